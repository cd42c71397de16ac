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
//   [--nonce-ticket N] [--issue-delay-ms 0] [--overlap-window-ms 1000] [--drop-reused-sockets] [--help]
// (`main`, below; the npm package faceid-edge-simulator runs the same from its bin.mjs).
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

/** The command-line options: name -> [parseArgs type, value placeholder, what it sets]. */
const CLI_OPTIONS = {
  port: ["string", "N", "the port on 127.0.0.1 (0: any free one; default 8788)"],
  "app-id": ["string", "ID", `the one known app ID (default ${DEFAULT_APP_ID})`],
  secret: ["string", "S", "its secret (default: a fixed development secret)"],
  ticket: ["string", "T", "the SIGN ticket valid at start (default: random)"],
  "nonce-ticket": ["string", "N", "the value every NONCE ticket takes (default: random per issue)"],
  "issue-delay-ms": ["string", "MS", "how long every access_token and api_ticket answer takes (default 0)"],
  "overlap-window-ms": ["string", "MS", `refreshes of one kind closer than this count as overlaps (default ${DEFAULT_OVERLAP_WINDOW_MS})`],
  "keep-alive-ms": ["string", "MS", "how long idle connections are kept open (default 2000)"],
  "drop-reused-sockets": ["boolean", null, "drop every request but the first on a kept-alive connection"],
  help: ["boolean", null, "print this help and exit"],
};

/** The usage text of the command, named `program`. */
export function usage(program = "node tests/sim/index.mjs") {
  const lines = Object.entries(CLI_OPTIONS).map(([name, [, arg, what]]) => `  ${`--${name}${arg ? ` ${arg}` : ""}`.padEnd(26)}${what}`);
  return `Usage: ${program} [options]

A loopback stand-in of the WeBank / Tencent Cloud FaceID service for development and tests:
never for production (anyone who can reach it passes any face check). It listens on 127.0.0.1
only and prints its URL, app ID, secret and SIGN ticket. Point a FaceIdClient's serverUrl, kycUrl
and loginUrl at the URL. SIGINT (Ctrl-C) or SIGTERM stops it.

Options:
${lines.join("\n")}
`;
}

/**
 * The command line: parses `argv` (the options of {@link usage}), starts the simulator, prints
 * its URL and credentials, and stops it on SIGINT or SIGTERM (exit code 0). `--help` prints the
 * usage; a bad option prints why on stderr and sets exit code 2. Returns the simulator, or null
 * when none was started. `program` names the command in the usage.
 */
export async function main(argv = process.argv.slice(2), { program = "node tests/sim/index.mjs" } = {}) {
  const refuse = (message) => {
    console.error(`${program}: ${message}\nSee ${program} --help.`);
    process.exitCode = 2;
    return null;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(CLI_OPTIONS).map(([name, [type]]) => [name, { type }])),
    }));
  } catch (e) {
    return refuse(e.message);
  }
  if (values.help) {
    process.stdout.write(usage(program));
    return null;
  }
  const numbers = {};
  for (const [name, fallback, max] of [["port", 8788, 65535], ["issue-delay-ms", 0], ["overlap-window-ms", DEFAULT_OVERLAP_WINDOW_MS], ["keep-alive-ms", 2000]]) {
    const text = values[name];
    const n = text === undefined ? fallback : Number(text);
    if (text !== undefined && (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || (max !== undefined && n > max))) {
      return refuse(`--${name} must be a whole number from 0${max === undefined ? "" : ` to ${max}`}, not ${JSON.stringify(text)}`);
    }
    numbers[name] = n;
  }
  for (const name of ["app-id", "secret", "ticket", "nonce-ticket"]) {
    if (values[name] === "") return refuse(`--${name} must not be empty`);
  }
  let sim;
  try {
    sim = await startSimulator({
      port: numbers.port, appId: values["app-id"], secret: values.secret, ticket: values.ticket, nonceTicket: values["nonce-ticket"],
      issueDelayMs: numbers["issue-delay-ms"], overlapWindowMs: numbers["overlap-window-ms"],
      keepAliveMs: numbers["keep-alive-ms"], dropReusedSockets: values["drop-reused-sockets"] ?? false,
    });
  } catch (e) {
    console.error(`${program}: cannot start on 127.0.0.1:${numbers.port}: ${e.message}`);
    process.exitCode = 1;
    return null;
  }
  // Before the banner: whoever reads it may signal at once.
  const quit = () => sim.stop().then(() => process.exit(0));
  process.once("SIGINT", quit);
  process.once("SIGTERM", quit);
  console.log(`faceid-edge simulator listening on ${sim.url}`);
  console.log(`  appId:       ${sim.appId}`);
  console.log(`  secret:      ${sim.secret}`);
  console.log(`  SIGN ticket: ${sim.ticket}`);
  console.log(`  client:      new FaceIdClient({ appId, secret, serverUrl, kycUrl, loginUrl }), the three URLs ${sim.url}`);
  console.log("  control:     POST /__sim/orders/<orderNo>, GET /__sim/requests, POST /__sim/reset,");
  console.log("               GET /__sim/refresh-stats, GET /__sim/faces, POST /__sim/advance, /__sim/rotate-secret,");
  console.log("               POST /__sim/nonce-tickets/use");
  console.log(`  H5 face:     POST /api/server/getAdvFaceId, then GET /api/web/login or /api/pc/login (optimalDomain 127.0.0.1:${sim.port})`);
  console.log(`  App SDK:     POST ${SDK_START_PATH} (simulator only: what the SDK sends when it starts)`);
  console.log("  A development stand-in, never for production. Ctrl-C stops it.");
  return sim;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
