// faceid-edge test simulator: a loopback HTTP stand-in for the WeBank /
// Tencent Cloud FaceID partner service (result queries, ID card OCR, OAuth
// token and tickets). See README.md beside this file.
//
//   import { startSimulator } from "../sim/index.mjs";
//   const sim = await startSimulator();
//   sim.setOrder("order001", { shape: "flat", photoBytes: 2 << 20 });
//   ... point the client at sim.url (both server and kyc hosts) ...
//   await sim.stop();
//
// Standalone: node tests/sim/index.mjs [--port 8788] [--app-id ID] [--secret S] [--ticket T]
import http from "node:http";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { RequestLog } from "./log.mjs";
import { Orders } from "./scenarios.mjs";
import { createHandler } from "./server.mjs";
import { Credentials } from "./state.mjs";

export { signValues } from "./checks.mjs";
export { DEFAULT_SCENARIO, KNOWN_CODES } from "./scenarios.mjs";

export const DEFAULT_APP_ID = "IDAsim001";
export const DEFAULT_SECRET = "SimSecretIDAsim001xxxxxxxxxxxxxx";

/**
 * Starts the simulator on 127.0.0.1.
 * @param {{ port?: number, appId?: string, secret?: string, ticket?: string,
 *   nonceTicket?: string, cors?: boolean, now?: () => number }} [options]
 *   `ticket`: the SIGN ticket valid at start (random otherwise; a later
 *   api_ticket call replaces it); `nonceTicket`: the value of every NONCE
 *   ticket issued; `now`: the clock for token and ticket expiry (ms).
 */
export async function startSimulator({
  port = 0, appId = DEFAULT_APP_ID, secret = DEFAULT_SECRET, ticket, nonceTicket, cors = true, now = Date.now,
} = {}) {
  const creds = new Credentials({ appId, secret, ticket, nonceTicket, now });
  const orders = new Orders(now);
  const log = new RequestLog();
  const stopping = new AbortController();
  const sim = {
    creds, orders, log, cors, now, signal: stopping.signal,
    setOrder: (orderNo, scenario = {}) => orders.set(orderNo, scenario),
    reset: () => {
      orders.reset();
      log.clear();
      creds.reset();
    },
  };
  const server = http.createServer({ keepAliveTimeout: 2000 }, createHandler(sim));
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = server.address().port;

  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    appId,
    secret,
    /** The SIGN ticket queries must be signed with now (changes when a client fetches a new one). */
    get ticket() {
      return creds.currentSignTicket(appId);
    },
    /** Sets the scenario of an order (see README); returns the normalized scenario. Throws on a bad field. */
    setOrder: sim.setOrder,
    /** Copies of the request log entries, optionally filtered: requests({ path, orderNo, endpoint, verdict }). */
    requests: (filter) => log.list(filter),
    /** Forgets scenarios, counters, the log, nonces and issued tokens/tickets (the initial SIGN ticket is valid again). */
    reset: sim.reset,
    /** Stops listening and drops every connection, including slow responses still waiting. */
    async stop() {
      stopping.abort();
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      "app-id": { type: "string" },
      secret: { type: "string" },
      ticket: { type: "string" },
      "nonce-ticket": { type: "string" },
    },
  });
  const sim = await startSimulator({
    port: Number(values.port), appId: values["app-id"], secret: values.secret, ticket: values.ticket, nonceTicket: values["nonce-ticket"],
  });
  console.log(`faceid-edge simulator listening on ${sim.url}`);
  console.log(`  appId:       ${sim.appId}`);
  console.log(`  secret:      ${sim.secret}`);
  console.log(`  SIGN ticket: ${sim.ticket}`);
  console.log("  control:     POST /__sim/orders/<orderNo>, GET /__sim/requests, POST /__sim/reset");
  const quit = () => sim.stop().then(() => process.exit(0));
  process.on("SIGINT", quit);
  process.on("SIGTERM", quit);
}
