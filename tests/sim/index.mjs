// faceid-edge test simulator: a loopback HTTP stand-in for the WeBank /
// Tencent Cloud FaceID partner service (result queries, ID card OCR, OAuth
// token and tickets, the H5 face flow on mobile and PC, the App SDK start).
// See README.md beside this file.
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
import { Faces, OUTCOMES } from "./faces.mjs";
import { RequestLog } from "./log.mjs";
import { Orders } from "./scenarios.mjs";
import { SDK_START_PATH, sdkStart as startSdk } from "./sdk.mjs";
import { createHandler } from "./server.mjs";
import { Credentials, DEFAULT_OVERLAP_WINDOW_MS } from "./state.mjs";

export { signValues } from "./checks.mjs";
export { FACE_FAIL_CODE, FRONT_END_CODES, NO_RESULT_CODE, OUTCOMES } from "./faces.mjs";
export { SDK_KINDS, SDK_START_PATH } from "./sdk.mjs";
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
  /** The SDK start called in-process (sdk.mjs): logged like the HTTP one, with method "CALL". */
  sim.sdkStart = (fields) => startSdk(sim, fields, log.start("CALL", new URL(SDK_START_PATH, "http://127.0.0.1")));
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
    /**
     * Every face check getAdvFaceId started, oldest first:
     * [{ faceId, orderNo, userId, finished, outcome, code, device, liveInterType, liveMode }].
     */
    faces: () => faces.list(),
    /**
     * Plays the user on the face page (mobile /api/web/login or PC /api/pc/login): fetches
     * `loginUrl`, then follows its `outcome` button ("pass" | "fail" | a front-end code
     * "3001".."3005", "300101") without following the redirect; `options.realtime === false`:
     * the browser cannot do real-time detection. Returns { status: 302, location } (the
     * callback URL) or, when the login or the finish is refused, { status, body } (the HTML error page).
     */
    passFacePage,
    /**
     * Plays the App SDK starting (sdk.mjs): sdkStart({ kind, appId, orderNo, userId, nonce,
     * version, sign, faceId? }) -> { ok: true, orderNo, kind } | { ok: false, code, reason }
     * (synchronous). Also over HTTP: POST /sim/sdk/start.
     */
    sdkStart: sim.sdkStart,
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

/**
 * The SDK start over HTTP against the simulator at `baseUrl` (POST /sim/sdk/start), for
 * code that holds only the URL: sdkStart(sim.url, fields) answers like sim.sdkStart(fields).
 */
export async function sdkStart(baseUrl, fields) {
  const res = await fetch(new URL(SDK_START_PATH, String(baseUrl)), {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fields),
  });
  return res.json();
}

/** See the `passFacePage` member of startSimulator's answer. */
export async function passFacePage(loginUrl, outcome = "pass", options = {}) {
  if (!OUTCOMES.includes(outcome)) throw new TypeError(`outcome must be one of ${OUTCOMES.map((o) => JSON.stringify(o)).join(", ")}`);
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { realtime = true } = options;
  if (typeof realtime !== "boolean") throw new TypeError("options.realtime must be a boolean");
  const login = await fetch(String(loginUrl), { redirect: "manual" });
  const page = await login.text();
  const id = outcome === "pass" || outcome === "fail" ? outcome : `code-${outcome}`;
  const button = new RegExp(`<a id="${id}"[^>]*\\shref="([^"]*)"`).exec(page);
  if (login.status !== 200 || !button) return { status: login.status, body: page };
  const href = button[1].replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
  const target = new URL(href, String(loginUrl));
  if (!realtime) target.searchParams.set("realtime", "0"); // the simulator's own finish parameter
  const done = await fetch(target, { redirect: "manual" });
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
  console.log(`  H5 face:     POST /api/server/getAdvFaceId, then GET /api/web/login or /api/pc/login (optimalDomain 127.0.0.1:${sim.port})`);
  console.log(`  App SDK:     POST ${SDK_START_PATH} (simulator only: what the SDK sends when it starts)`);
  const quit = () => sim.stop().then(() => process.exit(0));
  process.on("SIGINT", quit);
  process.on("SIGTERM", quit);
}
