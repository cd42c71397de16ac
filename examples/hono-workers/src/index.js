// The edge handler in a Hono 4 app on Cloudflare Workers. The handler is
// already a fetch handler, so no adapter is needed: one route hands it every
// request under /faceid, unchanged, with the Worker's env and execution
// context (see ../hono-node/README.md for why it is not
// `app.mount("/faceid", handler)`). The TicketOwner Durable Object holds the
// access token and SIGN ticket (wrangler.jsonc binds it as TICKET_OWNER).
//
// Run it: see ../README.md.
import { Hono } from "hono";
import { FaceIdClient, createEdgeHandler } from "faceid-edge";
export { TicketOwner } from "faceid-edge"; // the one owner of the token and SIGN ticket (a Durable Object)

/**
 * The Worker's bindings (wrangler.jsonc, and the secrets FACEID_SECRET and ORDER_TOKEN_KEY).
 * @typedef {object} Env
 * @property {string} FACEID_APP_ID The App ID (WBappid).
 * @property {string} FACEID_SECRET The App ID's secret (`wrangler secret put FACEID_SECRET`): TicketOwner reads it.
 * @property {string} ORDER_TOKEN_KEY At least 32 bytes (`wrangler secret put ORDER_TOKEN_KEY`).
 * @property {string} [FACEID_SERVER_URL] One origin for every service host (the simulator's URL); empty for the real service.
 *   TicketOwner reads it too: the token and tickets come from the same service.
 * @property {string} [PUBLIC_ORIGIN] The origin users reach, such as "https://h5.example.com"; empty: the request's.
 * @property {DurableObjectNamespace} TICKET_OWNER The TicketOwner Durable Object.
 */

/**
 * Who each `x-user` header names: a stand-in for your session store.
 * @type {Record<string, import("faceid-edge").FaceIdentity>}
 */
const USERS = {
  alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" },
};

/** @type {import("faceid-edge").EdgeHandler | undefined} */
let handler; // one per isolate, made on the first request (env is only known then)

/**
 * The edge handler for this isolate.
 * @param {Env} env
 */
function faceid(env) {
  const serviceUrl = env.FACEID_SERVER_URL;
  handler ??= createEdgeHandler({
    client: new FaceIdClient({
      appId: env.FACEID_APP_ID,
      ticketOwner: env.TICKET_OWNER,
      ...(serviceUrl ? { serverUrl: serviceUrl, kycUrl: serviceUrl, loginUrl: serviceUrl } : {}),
    }),
    orderTokenKey: env.ORDER_TOKEN_KEY,
    // Your session lookup goes here: the x-user header only stands in for a session cookie.
    identity: (request) => USERS[request.headers.get("x-user") ?? ""] ?? null,
    returnUrl: "/done.html",
    ...(env.PUBLIC_ORIGIN ? { publicOrigin: env.PUBLIC_ORIGIN } : {}),
  });
  return handler;
}

/** @type {Hono<{ Bindings: Env }>} */
const app = new Hono();
// The whole request, path included: the handler routes /faceid/start,
// /faceid/callback… itself (its default prefix). The execution context lets
// it finish background work (its onResult hook) after answering.
app.all("/faceid/*", (c) => faceid(c.env)(c.req.raw, c.env, c.executionCtx));
app.get("/done.html", (c) =>
  c.html("<!doctype html><title>Done</title><p>Verification finished; this page reads /faceid/result?orderNo=… with its order token."));

export default app;
