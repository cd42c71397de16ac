// One side of bench/large.mjs, in a fresh process (run with --expose-gc):
//
//   node --expose-gc bench/large-child.mjs <handler|plain> <simUrl> <orderNo> <repeats>
//
// `handler`: createEdgeHandler (the package's Node entry) with reveal photo
// and video, so that it asks for both files, trims and masks the rest and
// answers them; `plain`: the same route by hand (node:crypto for the order
// token and the signature, fetch, JSON.parse, picking and masking fields,
// JSON.stringify, a Response). Each call ends with the response body read as
// bytes, as a server would send them.
//
// Prints JSON: the peak RSS above the settled baseline during the first big
// call (Linux VmHWM, reset through /proc/self/clear_refs), the growth of the
// wasm memory, the body's SHA-256, and the time of each call.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { trim } from "./plain-trim.js";
import { APP_ID, HEADERS, ORDER_TOKEN_KEY as KEY, TICKET, USERS } from "./shared.js";

const [way, base, bigOrder, repeats = "5"] = process.argv.slice(2);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = pathToFileURL(join(process.env.FACEID_PKG_DIR ?? join(root, "pkg"), "node.mjs")).href;
const REVEAL = ["photo", "video"];

// The wasm memory, seen when the package instantiates its module.
let wasmMemory;
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args) {
    const instance = Reflect.construct(target, args);
    wasmMemory ??= instance.exports.memory;
    return instance;
  },
});

const status = () => readFileSync("/proc/self/status", "utf8");
const kB = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status())[1]) * 1024;

// Order tokens (v2), minted the way the handler mints them (order_token.rs):
// the audience is the handler's route prefix, /faceid.
function mint(orderNo, userId, ttlMs = 30 * 60 * 1000) {
  const expiry = String(Date.now() + ttlMs);
  const mac = createHmac("sha256", KEY).update(`faceid-edge order token v2\n/faceid\nface\n${orderNo}\n${expiry}\n${userId}`).digest("base64url");
  return `v2.${expiry}.${mac}`;
}

function plainNonce() {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  const bytes = new Uint8Array(48);
  while (out.length < 32) {
    crypto.getRandomValues(bytes);
    for (const b of bytes) if (out.length < 32 && b < 248) out += alphabet[b % 62];
  }
  return out;
}

/** The plain route: token, signature, fetch, JSON.parse, pick and mask, JSON.stringify. */
async function plainRoute(request) {
  const url = new URL(request.url);
  const orderNo = url.searchParams.get("orderNo");
  const token = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const user = USERS[request.headers.get("x-user")]?.userId ?? "";
  const [, expiry, mac] = /^v2\.(\d{1,20})\.([A-Za-z0-9_-]{43})$/.exec(token) ?? [];
  const expected = expiry && createHmac("sha256", KEY).update(`faceid-edge order token v2\n/faceid\nface\n${orderNo}\n${expiry}\n${user}`).digest();
  if (!expected || !timingSafeEqual(expected, Buffer.from(mac, "base64url")) || Date.now() >= Number(expiry)) {
    return new Response(JSON.stringify({ error: { code: "FORBIDDEN", message: "no" } }), { status: 403, headers: HEADERS });
  }
  const nonce = plainNonce();
  const sign = createHash("sha1").update([APP_ID, orderNo, "1.0.0", TICKET, nonce].sort().join("")).digest("hex").toUpperCase();
  const q = new URLSearchParams({ app_id: APP_ID, order_no: orderNo, nonce, version: "1.0.0", sign, get_file: "1" });
  const res = await fetch(`${base}/api/server/sync?${q}`, { signal: AbortSignal.timeout(30_000) });
  const answer = trim(JSON.parse(await res.text()), orderNo, REVEAL);
  return new Response(JSON.stringify(answer), { headers: HEADERS });
}

let route;
if (way === "handler") {
  const lib = await import(pkg);
  const client = new lib.FaceIdClient({ appId: APP_ID, ticket: TICKET, serverUrl: base, kycUrl: base, timeoutMs: 30_000 });
  route = lib.createEdgeHandler({
    client, orderTokenKey: KEY, returnUrl: "/done.html", reveal: REVEAL, publicOrigin: "https://edge.example",
    identity: (req) => USERS[req.headers.get("x-user")] ?? null,
    resultCacheMs: 0, // each call queries, as the plain route does
  });
} else if (way === "plain") {
  route = plainRoute;
} else {
  throw new Error(`way must be handler or plain; got ${way}`);
}

async function call(orderNo) {
  const request = new Request(`http://edge.example/faceid/result?orderNo=${orderNo}`, {
    headers: { "x-user": "alice", authorization: `Bearer ${mint(orderNo, "alice")}` },
  });
  const res = await route(request);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${way}: HTTP ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
  return body;
}

// Warm up both paths with small answers (the default scenario's 16 KB photo
// and 64 KB video), then settle.
for (let i = 0; i < 20; i++) await call("benchWarm");
globalThis.gc();
await new Promise((r) => setTimeout(r, 50));
globalThis.gc();
const wasmBefore = wasmMemory?.buffer.byteLength ?? 0;
const rssBefore = kB("VmRSS");
writeFileSync("/proc/self/clear_refs", "5"); // the peak (VmHWM) starts again from here
const t0 = performance.now();
const body = await call(bigOrder);
const first = performance.now() - t0;
const peak = kB("VmHWM") - rssBefore;
const wasmGrowth = (wasmMemory?.buffer.byteLength ?? 0) - wasmBefore;
const sha256 = createHash("sha256").update(body).digest("hex");
const times = [first];
for (let i = 1; i < Number(repeats); i++) {
  const t = performance.now();
  const again = await call(bigOrder);
  times.push(performance.now() - t);
  if (createHash("sha256").update(again).digest("hex") !== sha256) throw new Error(`${way}: the body changed between calls`);
}
console.log(JSON.stringify({ way, bodyBytes: body.length, sha256, peak, wasmGrowth, wasmBytes: wasmMemory?.buffer.byteLength ?? 0, times }));
