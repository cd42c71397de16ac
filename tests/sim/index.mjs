// faceid-edge test simulator: a loopback HTTP stand-in for the WeBank /
// Tencent Cloud FaceID partner service (result queries, ID card OCR, OAuth
// token and tickets, the H5 face flow). See README.md beside this file.
//
//   import { startSimulator } from "../sim/index.mjs";
//   const sim = await startSimulator();
//   sim.setOrder("order001", { shape: "flat", photoBytes: 2 << 20 });
//   ... point the client at sim.url (both server and kyc hosts) ...
//   await sim.stop();
//
// Standalone: node tests/sim/index.mjs [--port 8788] [--app-id ID] [--secret S] [--ticket T] [--keep-alive-ms 2000]
//   [--nonce-ticket N] [--issue-delay-ms 0] [--overlap-window-ms 1000] [--drop-reused-sockets]
import http from "node:http";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Faces } from "./faces.mjs";
import { RequestLog } from "./log.mjs";
import { Orders } from "./scenarios.mjs";
import { createHandler } from "./server.mjs";
import { Credentials, DEFAULT_OVERLAP_WINDOW_MS } from "./state.mjs";

export { signValues } from "./checks.mjs";
export { FACE_FAIL_CODE, NO_RESULT_CODE } from "./faces.mjs";
export { DEFAULT_SCENARIO, KNOWN_CODES } from "./scenarios.mjs";

export const DEFAULT_APP_ID = "IDAsim001";
export const DEFAULT_SECRET = "SimSecretIDAsim001xxxxxxxxxxxxxx";

/**
 * Starts the simulator on 127.0.0.1.
 * @param {{ port?: number, appId?: string, secret?: string, ticket?: string,
 *   nonceTicket?: string, cors?: boolean, now?: () => number,
 *   issueDelayMs?: number, overlapWindowMs?: number, graceMs?: number,
 *   keepAliveMs?: number, dropReusedSockets?: boolean }} [options]
 *   `ticket`: the SIGN ticket valid at start (random otherwise; a later
 *   api_ticket call replaces it); `nonceTicket`: the value of every NONCE
 *   ticket issued; `now`: the base clock (ms; `advance` adds to it);
 *   `issueDelayMs`: how long access_token and api_ticket answers take;
 *   `overlapWindowMs`: refreshes of one kind closer than this are overlaps.
 *   `graceMs`: how long a replaced token or ticket keeps working (default 60 000).
 *   `keepAliveMs`: how long idle connections are kept (default 2 000; the benchmarks use 30 000).
 *   `dropReusedSockets`: every request but the first on a connection (the control API
 *   excepted) is logged as "dropped" and its connection destroyed without an answer:
 *   a stale kept-alive socket (needs a `keepAliveMs` long enough for clients to reuse one;
 *   `sim.dropReusedSockets` switches it later).
 */
export async function startSimulator({
  port = 0, appId = DEFAULT_APP_ID, secret = DEFAULT_SECRET, ticket, nonceTicket, cors = true, now = Date.now,
  issueDelayMs = 0, overlapWindowMs = DEFAULT_OVERLAP_WINDOW_MS, graceMs = 60_000, keepAliveMs = 2000,
  dropReusedSockets = false,
} = {}) {
  checkMs("keepAliveMs", keepAliveMs);
  checkFlag("dropReusedSockets", dropReusedSockets);
  checkMs("issueDelayMs", issueDelayMs);
  checkMs("overlapWindowMs", overlapWindowMs);
  checkMs("graceMs", graceMs);
  let offset = 0; // what advance() added to `now`
  const clock = () => now() + offset;
  const creds = new Credentials({ appId, secret, ticket, nonceTicket, now: clock, overlapWindowMs, graceMs });
  const orders = new Orders(clock);
  const faces = new Faces(clock);
  const log = new RequestLog();
  const stopping = new AbortController();
  const sim = {
    creds, orders, faces, log, cors, now: clock, issueDelayMs, signal: stopping.signal, hostPort: null, dropReusedSockets,
    setOrder: (orderNo, scenario = {}) => orders.set(orderNo, scenario),
    reset: () => {
      offset = 0;
      orders.reset();
      faces.reset();
      log.clear();
      creds.reset();
    },
    refreshStats: () => creds.refreshStats(),
    advance: (ms) => {
      checkMs("advance(ms)", ms);
      offset += ms;
      return clock();
    },
    rotateSecret: (newSecret) => creds.rotateSecret(appId, newSecret),
    useNonceTicket: (value, userId) => {
      if (typeof value !== "string" || typeof userId !== "string") throw new TypeError("value and userId must be strings");
      return creds.useNonceTicket(appId, value, userId);
    },
  };
  // How long idle connections are kept. Node's fetch drops a kept-alive
  // socket when less than about 2 s of the server's announced timeout is
  // left, so with the default 2 s every request from Node opens a new
  // connection; the benchmarks pass 30 s (`--keep-alive-ms`), as a real front
  // end keeps them (nginx's default is 75 s).
  const server = http.createServer({ keepAliveTimeout: keepAliveMs }, createHandler(sim));
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = server.address().port;
  sim.hostPort = `127.0.0.1:${bound}`;

  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    appId,
    /** The app's secret now (changes with rotateSecret; reset restores the initial one). */
    get secret() {
      return creds.secretOf(appId);
    },
    /**
     * The newest SIGN ticket still alive, what a query should be signed with now
     * (changes when a client fetches a new one; null when none is alive).
     */
    get ticket() {
      return creds.currentSignTicket(appId);
    },
    /** Whether requests on reused connections are dropped (the option; settable, `reset` leaves it). */
    get dropReusedSockets() {
      return sim.dropReusedSockets;
    },
    set dropReusedSockets(on) {
      checkFlag("dropReusedSockets", on);
      sim.dropReusedSockets = on;
    },
    /** Every access token, SIGN and NONCE ticket value issued since the last reset (tests scan answers for them). */
    issuedValues: () => creds.issuedValues(appId),
    /** Sets the scenario of an order (see README); returns the normalized scenario. Throws on a bad field. */
    setOrder: sim.setOrder,
    /** Copies of the request log entries, optionally filtered: requests({ path, orderNo, endpoint, verdict }). */
    requests: (filter) => log.list(filter),
    /**
     * Forgets scenarios, counters, the log, nonces, issued tokens/tickets, face checks and
     * their sessions, refresh statistics and the advance() offset; the initial secret and
     * SIGN ticket are valid again.
     */
    reset: sim.reset,
    /** The simulator's clock (ms): `now()` + everything advance() added since the last reset. */
    now: clock,
    /** Moves the simulator's clock forward by `ms` (>= 0); returns the new time. */
    advance: sim.advance,
    /** A new secret: the old one stops working, every token and ticket of the app dies now. */
    rotateSecret: sim.rotateSecret,
    /** Uses up a NONCE ticket for `userId` (the H5 login's part): { ok, reason, detail? }. */
    useNonceTicket: sim.useNonceTicket,
    /** { accessTokens, signTickets, nonceTickets, overlaps, deadUses, issues: [{ kind, at, by, overlap }] } (a copy). */
    refreshStats: sim.refreshStats,
    /** Every face check getAdvFaceId started, oldest first: [{ faceId, orderNo, userId, finished, outcome }]. */
    faces: () => faces.list(),
    /**
     * Plays the user on the face page: fetches `loginUrl`, then follows its `outcome`
     * button ("pass" | "fail") without following the redirect. Returns
     * { status: 302, location } (the callback URL with code, orderNo, newSign) or,
     * when the login or the finish is refused, { status, body } (the HTML error page).
     */
    passFacePage,
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

/** See the `passFacePage` member of startSimulator's answer. */
export async function passFacePage(loginUrl, outcome = "pass") {
  if (outcome !== "pass" && outcome !== "fail") throw new TypeError('outcome must be "pass" or "fail"');
  const login = await fetch(String(loginUrl), { redirect: "manual" });
  const page = await login.text();
  const button = new RegExp(`<a id="${outcome}"[^>]*\\shref="([^"]*)"`).exec(page);
  if (login.status !== 200 || !button) return { status: login.status, body: page };
  const href = button[1].replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
  const done = await fetch(new URL(href, String(loginUrl)), { redirect: "manual" });
  const location = done.headers.get("location");
  if (done.status >= 300 && done.status < 400 && location !== null) {
    await done.body?.cancel();
    return { status: done.status, location };
  }
  return { status: done.status, body: await done.text() };
}

function checkMs(name, v) {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be a finite number >= 0`);
}

function checkFlag(name, v) {
  if (typeof v !== "boolean") throw new TypeError(`${name} must be a boolean`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      "app-id": { type: "string" },
      secret: { type: "string" },
      ticket: { type: "string" },
      "nonce-ticket": { type: "string" },
      "issue-delay-ms": { type: "string", default: "0" },
      "overlap-window-ms": { type: "string", default: String(DEFAULT_OVERLAP_WINDOW_MS) },
      "keep-alive-ms": { type: "string", default: "2000" },
      "drop-reused-sockets": { type: "boolean", default: false },
    },
  });
  const sim = await startSimulator({
    port: Number(values.port), appId: values["app-id"], secret: values.secret, ticket: values.ticket, nonceTicket: values["nonce-ticket"],
    issueDelayMs: Number(values["issue-delay-ms"]), overlapWindowMs: Number(values["overlap-window-ms"]),
    keepAliveMs: Number(values["keep-alive-ms"]), dropReusedSockets: values["drop-reused-sockets"],
  });
  console.log(`faceid-edge simulator listening on ${sim.url}`);
  console.log(`  appId:       ${sim.appId}`);
  console.log(`  secret:      ${sim.secret}`);
  console.log(`  SIGN ticket: ${sim.ticket}`);
  console.log("  control:     POST /__sim/orders/<orderNo>, GET /__sim/requests, POST /__sim/reset,");
  console.log("               GET /__sim/refresh-stats, GET /__sim/faces, POST /__sim/advance, /__sim/rotate-secret,");
  console.log("               POST /__sim/nonce-tickets/use");
  console.log(`  H5 face:     POST /api/server/getAdvFaceId, then GET /api/web/login (optimalDomain 127.0.0.1:${sim.port})`);
  const quit = () => sim.stop().then(() => process.exit(0));
  process.on("SIGINT", quit);
  process.on("SIGTERM", quit);
}
