// The plain-JavaScript Worker the edge load benchmark (bench/edge-load.mjs)
// compares createEdgeHandler with: `GET /faceid/result` written by hand with
// crypto.subtle and fetch, doing the same work as the handler on that route:
//
//   - the order token (`v2.<expiry>.<mac>`, HMAC-SHA256 over
//     "faceid-edge order token v2\n" audience "\n" kind "\n" orderNo "\n"
//     expiry "\n" user, the audience being the route prefix "/faceid",
//     base64url without padding; crates/faceid-edge-core/src/order_token.rs),
//     checked with crypto.subtle.verify (constant time) for the signed-in user;
//   - the SIGN ticket from appId + secret (access_token, then api_ticket),
//     cached in the isolate like a FaceIdClient made with `secret` caches it;
//   - a fresh 32-character nonce, the five-value SHA-1 signature
//     (crypto.subtle.digest), the `sync` query with a 5 s timeout;
//   - the same trimming and masking as the handler (bench/plain-trim.js), the
//     same JSON body and the same response headers.
//
// Bindings: FACEID_APP_ID, FACEID_SECRET, SIM_URL, ORDER_TOKEN_KEY.

import { trim } from "./plain-trim.js";
import { HEADERS, USERS } from "./shared.js";

const VERSION = "1.0.0";
const TIMEOUT_MS = 5000;
const encoder = new TextEncoder();
const ALNUM = /^[A-Za-z0-9]{1,32}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Isolate state, made on first use (nothing may run at module top level).
let hmacKey; // CryptoKey for the order tokens
let ticket; // { value, refreshAt }

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: HEADERS });
const failure = (status, code, message) => json({ error: { code, message } }, status);

async function withTimeout(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: controller.signal });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return JSON.parse(text);
  } finally {
    clearTimeout(timer);
  }
}

/** The SIGN ticket, cached in the isolate until 20 minutes before it expires. */
async function signTicket(env) {
  if (ticket && Date.now() < ticket.refreshAt) return ticket.value;
  const base = env.SIM_URL;
  const token = await withTimeout(`${base}/api/oauth2/access_token?${new URLSearchParams({
    app_id: env.FACEID_APP_ID, secret: env.FACEID_SECRET, grant_type: "client_credential", version: VERSION })}`);
  if (String(token.code) !== "0") throw new Error(`access_token: ${token.code}`);
  const answer = await withTimeout(`${base}/api/oauth2/api_ticket?${new URLSearchParams({
    app_id: env.FACEID_APP_ID, access_token: token.access_token, type: "SIGN", version: VERSION })}`);
  const t = answer.tickets?.[0];
  if (String(answer.code) !== "0" || !t) throw new Error(`api_ticket: ${answer.code}`);
  ticket = { value: t.value, refreshAt: Date.now() + (Number(t.expire_in) - 20 * 60) * 1000 };
  return ticket.value;
}

function nonce() {
  let out = "";
  const bytes = new Uint8Array(48);
  while (out.length < 32) {
    crypto.getRandomValues(bytes);
    for (const b of bytes) {
      if (out.length === 32) break;
      if (b < 248) out += ALPHABET[b % 62];
    }
  }
  return out;
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `null` when the token opens `orderNo` for `user`, else the 403 message. */
async function checkToken(env, token, orderNo, user) {
  const malformed = "the order token is malformed";
  if (token.length > 128 || !token.startsWith("v2.")) return malformed;
  const dot = token.indexOf(".", 3);
  if (dot < 0) return malformed;
  const expiry = token.slice(3, dot);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(expiry) || BigInt(expiry) > 18446744073709551615n) return malformed;
  const mac = fromBase64Url(token.slice(dot + 1));
  if (!mac || mac.length !== 32) return malformed;
  hmacKey ??= await crypto.subtle.importKey("raw", encoder.encode(env.ORDER_TOKEN_KEY),
    { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const message = encoder.encode(`faceid-edge order token v2\n/faceid\nface\n${orderNo}\n${expiry}\n${user ?? ""}`);
  if (!(await crypto.subtle.verify("HMAC", hmacKey, mac, message))) return "the order token is not valid for this order";
  if (Date.now() >= Number(expiry)) return "the order token has expired";
  return null;
}

async function sign(values) {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(values.sort().join("")));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex.toUpperCase();
}

async function result(request, env) {
  const auth = request.headers.get("authorization");
  const m = auth && /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) return failure(401, "UNAUTHORIZED", "send the orderToken as Authorization: Bearer <orderToken>");
  const orderNo = new URL(request.url).searchParams.get("orderNo");
  if (orderNo === null || !ALNUM.test(orderNo)) return failure(400, "INVALID_ORDER_NO", "orderNo must be 1 to 32 ASCII letters or digits");
  const who = USERS[request.headers.get("x-user")] ?? null;
  const refused = await checkToken(env, m[1], orderNo, who?.userId);
  if (refused) return failure(403, "FORBIDDEN", refused);
  let answer;
  try {
    const t = await signTicket(env);
    const n = nonce();
    const q = new URLSearchParams({ app_id: env.FACEID_APP_ID, order_no: orderNo, nonce: n, version: VERSION,
      sign: await sign([env.FACEID_APP_ID, orderNo, VERSION, t, n]) });
    answer = trim(await withTimeout(`${env.SIM_URL}/api/server/sync?${q}`), orderNo);
  } catch (e) {
    return failure(502, "UPSTREAM", `the service failed: ${e.name}`);
  }
  if (!answer) return failure(502, "BAD_RESPONSE", "the answer has no code");
  return json(answer);
}

export default {
  async fetch(request, env) {
    if (request.url.includes("/faceid/result")) {
      if (request.method !== "GET") return failure(405, "METHOD_NOT_ALLOWED", "this route takes GET only");
      return result(request, env);
    }
    return new Response("ok");
  },
};
