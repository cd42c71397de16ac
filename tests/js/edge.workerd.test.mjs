// The edge handler in real workerd, as a Worker deploys it: the test app
// (fixtures/edge-app.mjs) as the main module, the SIGN and NONCE tickets
// from the package's TicketOwner Durable Object, the simulator as the
// service. The same HTTP suite as in Node (lib/edge-suite.mjs).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY, edgeSuite } from "./lib/edge-suite.mjs";
import { installedPackage, repoRoot } from "./lib/package.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

edgeSuite("in workerd (TicketOwner Durable Object)", async () => {
  const sim = await startSimulator({ nonceTicket: "WorkerdNonceTicket".padEnd(64, "w") });
  const wd = await startWorkerd({
    projectDir: installedPackage().projectDir,
    workerSource: readFileSync(join(repoRoot, "tests/js/fixtures/edge-app.mjs"), "utf8"),
    bindings: [
      { name: "FACEID_APP_ID", text: sim.appId },
      { name: "FACEID_SECRET", text: sim.secret },
      { name: "FACEID_SERVER_URL", text: sim.url },
      { name: "SIM_URL", text: sim.url },
      { name: "ORDER_TOKEN_KEY", text: ORDER_TOKEN_KEY },
    ],
    durableObjects: [{ className: "TicketOwner", binding: "TICKET_OWNER", uniqueKey: "faceid-edge-ticket-owner" }],
    readyPath: "/done.html",
  });
  return {
    url: wd.url,
    sim,
    stop: async () => {
      await wd.stop();
      await sim.stop();
    },
  };
});
