// The demo Worker (`make demo` runs it with `wrangler dev`, see wrangler.jsonc):
//
//   /faceid/*     the package's edge handler: start the H5 face verification,
//                 its callback, trimmed results, ID card OCR
//   /demo/me      who the demo signed the visitor in as (masked)
//   /demo/orders  an order token for a bank card OCR or liveness order (in a
//                 real app, your backend started those orders through the app SDK)
//   /demo/verdict the server's own verdict of one of the visitor's orders: what
//                 onResult recorded, never what the page or the callback said
//   everything else: the page (static assets in public/), with a demo session cookie
//
// The SIGN ticket lives in the TicketOwner Durable Object, which reads
// FACEID_APP_ID and FACEID_SECRET from the environment. The orders live in the
// DemoOrders Durable Object: the handler's onStart records who owns each order
// before the start answers, and its onResult records what the service answered.
// The page never sees a ticket, the secret, a full ID number or a photo.
import { DurableObject } from "cloudflare:workers";
import { FaceIdClient, createEdgeHandler, nonce } from "faceid-edge";

export { TicketOwner } from "faceid-edge";

/**
 * The demo backend's order store: one record per order, `{ kind, userId,
 * startedAt, verdict }`. A verdict is recorded only for an order this store
 * recorded at its start, and only for the user who started it: the backend
 * trusts its own records and its own queries, never a page.
 */
export class DemoOrders extends DurableObject {
  /** onStart: `userId` owns `orderNo`. */
  async recordStart({ kind, orderNo, userId }) {
    await this.ctx.storage.put(`order:${orderNo}`, { kind, userId, startedAt: Date.now(), verdict: null });
  }

  /** onResult: what the service answered about `orderNo`; false when the order is not one this store recorded for `userId`. */
  async recordResult({ kind, orderNo, userId, ok, code, msg }) {
    const order = await this.ctx.storage.get(`order:${orderNo}`);
    if (!order || order.userId !== userId || order.kind !== kind) return false;
    order.verdict = { ok, code, msg, at: Date.now() };
    await this.ctx.storage.put(`order:${orderNo}`, order);
    return true;
  }

  /** The record of `orderNo` when `userId` owns it, else null. */
  async order(orderNo, userId) {
    const order = await this.ctx.storage.get(`order:${orderNo}`);
    return order && order.userId === userId ? order : null;
  }
}

/** The one DemoOrders instance. */
const orders = (env) => env.DEMO_ORDERS.get(env.DEMO_ORDERS.idFromName("orders"));

const SESSION = "demo_session";
const PREFIX = "/faceid";
const ORDER_KINDS = new Set(["bankcard", "live"]);

/** A non-empty string setting, or undefined (an empty var means "the default"). */
const setting = (value) => (typeof value === "string" && value !== "" ? value : undefined);

let app; // one per isolate: the client keeps the owner's ticket for at most 60 s

function setup(env) {
  if (app) return app;
  const options = { appId: env.FACEID_APP_ID, ticketOwner: env.TICKET_OWNER };
  for (const [key, value] of [
    ["serverUrl", env.FACEID_SERVER_URL],
    ["kycUrl", env.FACEID_KYC_URL],
    ["loginUrl", env.FACEID_LOGIN_URL],
  ]) {
    if (setting(value)) options[key] = value;
  }
  const client = new FaceIdClient(options);
  const handler = createEdgeHandler({
    client,
    orderTokenKey: env.ORDER_TOKEN_KEY,
    identity: (request) => demoUser(request, env),
    returnUrl: "/",
    prefix: PREFIX,
    // Error answers carry a fixed message per code; the detail is logged here (wrangler's console).
    onEvent: (event) => {
      if (event.type === "error") console.log(`faceid ${event.route} ${event.status} ${event.code}: ${event.detail}`);
    },
    // The backend's own records: who owns each order (awaited before /start
    // answers: if the store fails, the start fails), then each final answer.
    onStart: ({ kind, orderNo, userId }) => orders(env).recordStart({ kind, orderNo, userId }),
    onResult: ({ kind, orderNo, userId, result }) =>
      orders(env).recordResult({ kind, orderNo, userId, ok: result.ok, code: result.code, msg: result.msg }),
  });
  app = { client, handler };
  return app;
}

/** The demo session id from the cookie, or null. */
function sessionOf(request) {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    const value = rest.join("=");
    if (name === SESSION && /^[A-Za-z0-9]{32}$/.test(value)) return value;
  }
  return null;
}

/**
 * The identity hook: a visitor with a demo session is the demo person of the
 * Worker's config. The user id is derived from the session (so the session
 * itself never leaves the Worker); the page never chooses who it is.
 */
async function demoUser(request, env) {
  const session = sessionOf(request);
  if (!session) return null;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`demo-user:${session}`)));
  const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return { userId: `demo${hex}`, name: env.DEMO_PERSON_NAME, idNo: env.DEMO_PERSON_ID_NO };
}

const maskName = (name) => (typeof name === "string" && name.length > 1 ? `${[...name][0]}*` : "*");
const maskId = (id) =>
  typeof id === "string" && id.length >= 10 ? `${id.slice(0, 4)}${"*".repeat(id.length - 8)}${id.slice(-4)}` : "*";

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
const failure = (status, code, message) => json({ error: { code, message } }, status);

/** The demo-only routes. */
async function demo(request, env, url) {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) return failure(403, "FORBIDDEN", "the demo routes answer this page only");
  const who = await demoUser(request, env);
  if (!who) return failure(401, "UNAUTHORIZED", "no demo session: open the demo page first");
  if (url.pathname === "/demo/me") {
    if (request.method !== "GET") return failure(405, "METHOD_NOT_ALLOWED", "use GET");
    return json({
      userId: who.userId,
      name: maskName(who.name),
      idNo: maskId(who.idNo),
      backend: env.DEMO_BACKEND === "simulator" ? "simulator" : "service",
    });
  }
  if (url.pathname === "/demo/orders") {
    if (request.method !== "POST") return failure(405, "METHOD_NOT_ALLOWED", "use POST");
    if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
      return failure(400, "INVALID_BODY", 'send JSON { "kind": "bankcard" | "live" }');
    }
    const body = await request.json().catch(() => null);
    if (!body || !ORDER_KINDS.has(body.kind)) return failure(400, "INVALID_BODY", 'kind must be "bankcard" or "live"');
    // A new order number, as if the app SDK had just run that order for this user.
    const grant = setup(env).handler.issueOrderToken(body.kind, nonce(), { userId: who.userId });
    await orders(env).recordStart({ kind: body.kind, orderNo: grant.orderNo, userId: who.userId });
    return json({ kind: body.kind, ...grant });
  }
  if (url.pathname === "/demo/verdict") {
    if (request.method !== "GET") return failure(405, "METHOD_NOT_ALLOWED", "use GET");
    const orderNo = url.searchParams.get("orderNo") ?? "";
    if (!/^[A-Za-z0-9]{1,32}$/.test(orderNo)) return failure(400, "INVALID_ORDER_NO", "orderNo must be 1 to 32 letters or digits");
    // Another visitor's order looks exactly like an unknown one.
    const order = await orders(env).order(orderNo, who.userId);
    if (!order) return failure(404, "NOT_FOUND", "no order of yours has this number");
    // `verdict` is null until onResult has recorded a final answer.
    return json({ orderNo, kind: order.kind, verdict: order.verdict });
  }
  return failure(404, "NOT_FOUND", "no demo route at this path");
}

const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** A static file, with a demo session cookie on the first visit. */
async function asset(request, env, url) {
  const served = await env.ASSETS.fetch(request);
  const response = new Response(served.body, served);
  for (const [k, v] of Object.entries(PAGE_HEADERS)) response.headers.set(k, v);
  if (!sessionOf(request)) {
    const secure = url.protocol === "https:" ? "; Secure" : "";
    response.headers.append("set-cookie", `${SESSION}=${nonce()}; Path=/; HttpOnly; SameSite=Lax${secure}`);
  }
  return response;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === PREFIX || url.pathname.startsWith(`${PREFIX}/`)) {
      return setup(env).handler(request, env, ctx);
    }
    if (url.pathname.startsWith("/demo/")) return demo(request, env, url);
    return asset(request, env, url);
  },
};
