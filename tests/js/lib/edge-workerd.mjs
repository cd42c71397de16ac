// The edge handler's test app (fixtures/edge-app.mjs) in a real workerd, as
// a Worker deploys it: the TicketOwner Durable Object holds the tickets of
// the simulator's App ID. Used by the handler suite and by the soak.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { installedPackage, repoRoot } from "./package.mjs";
import { startWorkerd } from "./workerd.mjs";

/**
 * @param {{ appId: string, secret: string, url: string }} sim  the simulator
 * @param {{ orderTokenKey: string, env?: Record<string, string>,
 *   durableObjectStorage?: { localDisk: string } }} o  `env`: more text bindings
 *   (FACEID_REFRESH_INTERVAL_MS…); storage in memory unless given
 */
export function startEdgeWorkerd(sim, { orderTokenKey, env = {}, durableObjectStorage } = {}) {
  return startWorkerd({
    projectDir: installedPackage().projectDir,
    workerSource: readFileSync(join(repoRoot, "tests/js/fixtures/edge-app.mjs"), "utf8"),
    bindings: [
      { name: "FACEID_APP_ID", text: sim.appId },
      { name: "FACEID_SECRET", text: sim.secret },
      { name: "FACEID_SERVER_URL", text: sim.url },
      { name: "SIM_URL", text: sim.url },
      { name: "ORDER_TOKEN_KEY", text: orderTokenKey },
      ...Object.entries(env).map(([name, text]) => ({ name, text })),
    ],
    durableObjects: [{ className: "TicketOwner", binding: "TICKET_OWNER", uniqueKey: "faceid-edge-ticket-owner" }],
    durableObjectStorage,
    readyPath: "/done.html",
  });
}
