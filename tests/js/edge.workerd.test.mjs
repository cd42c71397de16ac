// The edge handler in real workerd, as a Worker deploys it: the test app
// (fixtures/edge-app.mjs) as the main module, the SIGN and NONCE tickets
// from the package's TicketOwner Durable Object, the simulator as the
// service. The same HTTP suite as in Node (lib/edge-suite.mjs).
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY, edgeSuite } from "./lib/edge-suite.mjs";
import { startEdgeWorkerd } from "./lib/edge-workerd.mjs";

edgeSuite("in workerd (TicketOwner Durable Object)", async () => {
  const sim = await startSimulator({ nonceTicket: "WorkerdNonceTicket".padEnd(64, "w") });
  const wd = await startEdgeWorkerd(sim, { orderTokenKey: ORDER_TOKEN_KEY });
  return {
    url: wd.url,
    sim,
    runtime: "workerd",
    stop: async () => {
      await wd.stop();
      await sim.stop();
    },
  };
});
