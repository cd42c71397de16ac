// The HTTP side: routing, CORS, bodies, the checks, faults, responses, the
// request log, and the /__sim control API. The H5 face pages live in web.mjs,
// the simulator-only SDK start (POST /sim/sdk/start) in sdk.mjs.
import { STATUS_CODES } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ADV_FACE_ID_BODY, authenticate, checkAccessToken, checkAdvFaceIdFields, checkApiTicket, checkIdCardImage, checkPostEnvelope, checkSourcePhoto,
  CODE_MSG, CODES, IDCARD_OCR_BODY, IDCARD_STR_MAX, QUERY_FACE_RECORD_BODY, readBody, readQuery, RESULT_QUERY, SIGNED,
} from "./checks.mjs";
import { loggedBody } from "./log.mjs";
import { advFaceIdBody, errorBody, resultBody } from "./results.mjs";
import { faultFor, KNOWN_CODES } from "./scenarios.mjs";
import { SDK_START_PATH, sdkStartRoute } from "./sdk.mjs";
import { formatTime, isPlainObject, serialize } from "./util.mjs";
import { send as sendPage, WEB_ROUTES } from "./web.mjs";

const BODY_LIMIT = IDCARD_STR_MAX + 64 * 1024;
const JSON_TYPE = "application/json;charset=UTF-8";

/**
 * path -> { method, endpoint } for the JSON endpoints (the two OAuth endpoints answered apart); the H5 pages are WEB_ROUTES.
 * Paths and methods as their pages give them (each body or query spec in checks.mjs names its page).
 */
const ROUTES = {
  "/api/server/sync": { method: "GET", endpoint: "sync" },
  "/api/server/getLiveResult": { method: "GET", endpoint: "getLiveResult" },
  "/api/server/getOcrResult": { method: "GET", endpoint: "getOcrResult" },
  "/api/server/getBankCardOcrResult": { method: "GET", endpoint: "getBankCardOcrResult" },
  "/api/paas/idcardocrapp": { method: "POST", endpoint: "idcardocrapp" },
  "/api/v2/base/queryfacerecord": { method: "POST", endpoint: "queryfacerecord" },
  "/api/server/getAdvFaceId": { method: "POST", endpoint: "getAdvFaceId" },
  "/api/oauth2/access_token": { method: "GET", endpoint: "access_token" },
  "/api/oauth2/api_ticket": { method: "GET", endpoint: "api_ticket" },
};

const HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
  "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/**
 * The request handler.
 * @param {{ creds, orders, faces, log, cors: boolean, now: () => number, issueDelayMs: number, signal: AbortSignal,
 *   hostPort: string, dropReusedSockets: boolean, reset, refreshStats, advance, rotateSecret, useNonceTicket }} sim
 *   `hostPort`: "127.0.0.1:<port>", getAdvFaceId's optimalDomain (set once listening);
 *   `dropReusedSockets`: read at every request (a test may switch it)
 */
export function createHandler(sim) {
  /** socket -> { id, served }: the connection's number (from 1, since the start) and its requests so far. */
  const connections = new WeakMap();
  let lastId = 0;
  return (req, res) => {
    let conn = connections.get(req.socket);
    if (!conn) connections.set(req.socket, (conn = { id: ++lastId, served: 0 }));
    conn.served++;
    if (conn.served > 1 && sim.dropReusedSockets && !req.url.startsWith("/__sim/")) return drop(sim, req, conn);
    handle(sim, req, res, conn).catch((e) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`simulator error: ${e.message}`);
      } else res.destroy();
    });
  };
}

/**
 * `dropReusedSockets`: what a server that closed an idle kept-alive connection
 * looks like to the client that reused it. The request is logged (verdict
 * "dropped", nothing checked, no nonce used) and its connection destroyed at
 * once, before its body is read and without a byte of an answer.
 */
function drop(sim, req, conn) {
  const url = new URL(req.url, "http://127.0.0.1");
  const entry = sim.log.start(req.method, url);
  entry.connection = conn.id;
  entry.endpoint = ROUTES[url.pathname]?.endpoint ?? null;
  const orderNo = url.searchParams.get("order_no") ?? url.searchParams.get("orderNo");
  if (orderNo) entry.orderNo = orderNo;
  entry.verdict = "dropped";
  entry.status = "dropped";
  entry.reason = `request ${conn.served} of a kept-alive connection: closed without an answer (dropReusedSockets)`;
  req.socket.destroy();
}

async function handle(sim, req, res, conn) {
  const url = new URL(req.url, "http://127.0.0.1");
  if (sim.cors) res.setHeader("Access-Control-Allow-Origin", "*");
  if (url.pathname.startsWith("/__sim/")) return control(sim, req, res, url);

  const entry = sim.log.start(req.method, url);
  entry.connection = conn.id;
  const route = ROUTES[url.pathname];
  if (req.method === "OPTIONS") {
    entry.verdict = "preflight";
    if (!sim.cors) return sendText(res, entry, 405, "405 Method Not Allowed");
    entry.status = 204;
    return preflight(res);
  }
  const page = WEB_ROUTES[url.pathname];
  if (page) {
    if (req.method === "POST") await readRaw(req); // drained, never used
    return sendPage(res, entry, page(sim, req, url, entry));
  }
  if (url.pathname === SDK_START_PATH) {
    const raw = req.method === "POST" ? await readRaw(req) : null;
    return sendJson(res, entry, 200, sdkStartRoute(sim, req, url, entry, raw));
  }
  if (!route) {
    entry.verdict = "404";
    entry.reason = "no such endpoint";
    return sendText(res, entry, 404, `404 Not Found: ${url.pathname}`);
  }
  entry.endpoint = route.endpoint;
  const raw = req.method === "POST" ? await readRaw(req) : null;
  const checked = check(sim, route, req, url, raw, entry);
  if (route.endpoint === "access_token" || route.endpoint === "api_ticket") return oauth(sim, route.endpoint, checked, res, entry);
  if (checked.error) return reject(sim, res, entry, checked.error);
  entry.verdict = "ok";
  return answer(sim, route.endpoint, checked.call, req, res, entry);
}

/** Answers a failed check: HTTP 200 with the code and `<meaning>：<reason>`. */
function reject(sim, res, entry, error) {
  entry.verdict = error.code;
  entry.reason = error.reason;
  return sendJson(res, entry, 200, errorBody(error.code, `${CODE_MSG[error.code]}：${error.reason}`, sim.now()));
}

/**
 * access_token and api_ticket: every answer takes issueDelayMs; a valid request
 * is "being served" for that long (refresh overlap, state.mjs rule 5) and the
 * token or ticket is issued at the end, unless the secret changed meanwhile.
 */
async function oauth(sim, endpoint, checked, res, entry) {
  const call = checked.call;
  const kind = endpoint === "access_token" ? "TOKEN" : call?.type;
  const handle = call ? sim.creds.startIssue(call.appId, kind) : null;
  let served = true;
  try {
    if (sim.issueDelayMs > 0) await sleep(sim.issueDelayMs, undefined, { signal: sim.signal });
  } catch {
    return; // simulator stopping
  } finally {
    if (handle) served = sim.creds.finishIssue(handle);
  }
  if (checked.error) return reject(sim, res, entry, checked.error);
  if (!served) {
    return reject(sim, res, entry, { code: CODES.BAD_CREDENTIAL, reason: "the app's secret was changed (or the simulator reset) while this request was being served" });
  }
  entry.verdict = "ok";
  if (handle.overlap) entry.overlap = true;
  return sendJson(res, entry, 200, kind === "TOKEN" ? tokenBody(sim, call, handle, entry.seq) : ticketBody(sim, call, handle, entry.seq));
}

/** Method, parameters and signature of a request; { call } or { error }. */
function check(sim, route, req, url, raw, entry) {
  const badParam = (reason) => ({ error: { code: CODES.BAD_PARAM, reason } });
  if (req.method !== route.method) return badParam(`method ${req.method} is not allowed on ${url.pathname}; use ${route.method}`);
  if (route.endpoint === "access_token") return checkAccessToken(sim.creds, url.searchParams);
  if (route.endpoint === "api_ticket") return checkApiTicket(sim.creds, url.searchParams);

  const claimed = url.searchParams.get(route.method === "GET" ? "order_no" : "orderNo");
  if (claimed) entry.orderNo = claimed; // for filtering the log, even when the request fails
  let call;
  if (route.method === "GET") {
    const q = readQuery(url.searchParams, RESULT_QUERY);
    if (q.error) return q;
    const { app_id: appId, order_no: orderNo, nonce, version, sign, get_file: getFile } = q.call;
    call = { appId, orderNo, nonce, version, sign, getFile };
  } else {
    const env = checkPostEnvelope(req.headers, url.searchParams);
    if (env.error) return env;
    if (raw.tooLarge) return badParam(`request body must be at most ${BODY_LIMIT} bytes`);
    let body;
    try {
      body = JSON.parse(raw.buffer.toString("utf8"));
    } catch {
      entry.body = { invalidJson: true, bytes: raw.buffer.length };
      return badParam("body is not valid JSON");
    }
    entry.body = loggedBody(body);
    const upload = route.endpoint === "idcardocrapp";
    const start = route.endpoint === "getAdvFaceId";
    const b = readBody(body, upload ? IDCARD_OCR_BODY : start ? ADV_FACE_ID_BODY : QUERY_FACE_RECORD_BODY);
    if (b.error) return b;
    if (body.orderNo !== env.call.orderNo) return badParam("orderNo in the query must equal orderNo in the body");
    if (start) {
      const ids = checkAdvFaceIdFields(body); // name and idNo, required without a comparison photo
      if (ids.error) return ids;
      const photo = checkSourcePhoto(body);
      if (photo.error) return photo;
      if (photo.format) entry.imageFormat = photo.format;
      const { appId, orderNo, nonce, version, sign, userId, name, idNo, liveInterType } = body;
      call = {
        appId, orderNo, nonce, version, sign, userId, name, idNo,
        sourcePhotoType: photo.format ? body.sourcePhotoType : null, liveInterType: liveInterType || null,
      };
      entry.orderNo = orderNo;
      const auth = authenticate(sim.creds, call, SIGNED.advFaceId);
      return auth.error ? auth : { call };
    }
    if (upload) {
      const img = checkIdCardImage(body);
      if (img.error) return img;
      entry.imageFormat = img.format;
      call = { appId: body.webankAppId, orderNo: body.orderNo, nonce: body.nonce, version: body.version, sign: body.sign, cardType: body.cardType };
    } else {
      call = { appId: body.appId, orderNo: body.orderNo, nonce: body.nonce, version: body.version, sign: body.sign, getFile: body.getFile };
    }
  }
  entry.orderNo = call.orderNo;
  const auth = authenticate(sim.creds, call);
  return auth.error ? auth : { call };
}

/** A valid business call: count the attempt, apply the order's fault, answer. */
async function answer(sim, endpoint, call, req, res, entry) {
  const order = sim.orders.get(call.orderNo);
  const attempt = ++order.attempts;
  const fault = faultFor(order.scenario.faults, attempt);
  entry.attempt = attempt;
  if (fault) entry.fault = fault.type;
  switch (fault?.type) {
    case "status":
      return sendText(res, entry, fault.status, `${fault.status} ${STATUS_CODES[fault.status] ?? "Error"}`);
    case "html":
      return send(res, entry, 502, "text/html", [Buffer.from(HTML_502)]);
    case "empty":
      return send(res, entry, 200, JSON_TYPE, []);
    case "busy":
      return sendJson(res, entry, 200, errorBody(fault.code, KNOWN_CODES[fault.code], sim.now()));
    case "slow":
      try {
        await sleep(fault.delayMs, undefined, { signal: sim.signal });
      } catch {
        return; // simulator stopping
      }
      if (res.destroyed || !res.socket || res.socket.destroyed) return void (entry.status = "client gone");
  }
  const body = endpoint === "getAdvFaceId"
    ? advFaceIdBody(sim.faces.start(call), sim.hostPort, order.scenario, sim.now())
    : resultBody(endpoint, call, order, sim.now(), sim.faces.resultFor(call.orderNo));
  const chunks = serialize(body);
  if (fault?.type === "truncated") {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    return send(res, entry, 200, JSON_TYPE, cut(chunks, Math.floor(total / 2)));
  }
  if (fault?.type === "reset") return resetMidway(res, entry, chunks);
  if (fault?.type === "slowBody") return sendSlowly(sim, res, entry, chunks, fault.delayMs);
  return send(res, entry, 200, JSON_TYPE, chunks);
}

function tokenBody(sim, { appId }, handle, by) {
  const t = sim.creds.issueToken(appId, handle, by);
  return {
    code: "0", msg: "请求成功", transactionTime: formatTime(sim.now()),
    access_token: t.value, expire_time: formatTime(t.expiresAt), expire_in: t.ttlS,
  };
}

function ticketBody(sim, { appId, type, token, userId }, handle, by) {
  const t = sim.creds.issueTicket(appId, type, token, userId, handle, by);
  return {
    code: "0", msg: "请求成功", transactionTime: formatTime(sim.now()),
    tickets: [{ value: t.value, expire_in: t.ttlS, expire_time: formatTime(t.expiresAt) }],
  };
}

/** POST /__sim/<action> with a JSON body: what each does (the body is checked by the sim function). */
const CONTROL_ACTIONS = {
  "/__sim/advance": (sim, { ms }) => ({ ok: true, now: sim.advance(ms) }),
  "/__sim/rotate-secret": (sim, { secret }) => {
    sim.rotateSecret(secret);
    return { ok: true };
  },
  "/__sim/nonce-tickets/use": (sim, { value, userId }) => sim.useNonceTicket(value, userId),
};

/**
 * The control API: POST /__sim/orders/<orderNo>, GET /__sim/requests, POST /__sim/reset,
 * GET /__sim/refresh-stats, GET /__sim/faces, POST /__sim/advance, /__sim/rotate-secret, /__sim/nonce-tickets/use.
 */
async function control(sim, req, res, url) {
  const reply = (status, value) => {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": body.length });
    res.end(body);
  };
  if (req.method === "OPTIONS" && sim.cors) return preflight(res);
  const order = /^\/__sim\/orders\/([^/]+)$/.exec(url.pathname);
  if (order && req.method === "POST") {
    const raw = await readRaw(req);
    try {
      const text = raw.buffer.toString("utf8").trim();
      const scenario = sim.setOrder(decodeURIComponent(order[1]), text ? JSON.parse(text) : {});
      return reply(200, { ok: true, orderNo: decodeURIComponent(order[1]), scenario });
    } catch (e) {
      return reply(400, { ok: false, error: e.message });
    }
  }
  if (url.pathname === "/__sim/requests" && req.method === "GET") {
    return reply(200, sim.log.list(Object.fromEntries(url.searchParams)));
  }
  if (url.pathname === "/__sim/reset" && req.method === "POST") {
    sim.reset();
    return reply(200, { ok: true });
  }
  if (url.pathname === "/__sim/refresh-stats" && req.method === "GET") return reply(200, sim.refreshStats());
  if (url.pathname === "/__sim/faces" && req.method === "GET") return reply(200, sim.faces.list());
  const action = CONTROL_ACTIONS[url.pathname];
  if (action && req.method === "POST") {
    const raw = await readRaw(req);
    try {
      const text = raw.buffer.toString("utf8").trim();
      const body = text ? JSON.parse(text) : {};
      if (!isPlainObject(body)) throw new TypeError("body must be a JSON object");
      return reply(200, action(sim, body));
    } catch (e) {
      return reply(400, { ok: false, error: e.message });
    }
  }
  return reply(404, { ok: false, error: `no control endpoint ${req.method} ${url.pathname}` });
}

/** Answers a CORS preflight (also Chromium's Private Network Access one). */
function preflight(res) {
  res.writeHead(204, {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "content-type",
    "Access-Control-Allow-Private-Network": "true",
    "Access-Control-Max-Age": "600",
  });
  res.end();
}

/** Reads a request body, keeping at most BODY_LIMIT bytes (the rest is drained). */
async function readRaw(req) {
  const parts = [];
  let size = 0;
  for await (const part of req) {
    size += part.length;
    if (size <= BODY_LIMIT) parts.push(part);
  }
  return { buffer: Buffer.concat(parts), tooLarge: size > BODY_LIMIT };
}

function sendJson(res, entry, status, value) {
  return send(res, entry, status, JSON_TYPE, serialize(value));
}

function sendText(res, entry, status, text) {
  return send(res, entry, status, "text/plain;charset=UTF-8", [Buffer.from(text)]);
}

function send(res, entry, status, type, chunks) {
  entry.status = status;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  res.writeHead(status, { "Content-Type": type, "Content-Length": length });
  for (const c of chunks) res.write(c);
  res.end();
}

/** The first `n` bytes of `chunks`. */
function cut(chunks, n) {
  const out = [];
  for (const c of chunks) {
    if (n <= 0) break;
    out.push(c.length <= n ? c : c.subarray(0, n));
    n -= c.length;
  }
  return out;
}

/** Announces the full length, sends half the body, waits `delayMs`, then sends the rest. */
async function sendSlowly(sim, res, entry, chunks, delayMs) {
  entry.status = 200;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": length });
  const half = Math.floor(length / 2);
  for (const c of cut(chunks, half)) res.write(c);
  try {
    await sleep(delayMs, undefined, { signal: sim.signal });
  } catch {
    return void res.destroy(); // simulator stopping
  }
  if (res.destroyed || !res.socket || res.socket.destroyed) return void (entry.status = "client gone");
  let skip = half;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    res.write(skip ? c.subarray(skip) : c);
    skip = 0;
  }
  res.end();
}

/** Announces the full length, sends half the body, then resets the connection. */
function resetMidway(res, entry, chunks) {
  entry.status = 200;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": length });
  const half = cut(chunks, Math.floor(length / 2));
  half.forEach((c, i) => res.write(c, i === half.length - 1 ? () => res.socket?.resetAndDestroy() : undefined));
  if (half.length === 0) res.socket?.resetAndDestroy();
}
