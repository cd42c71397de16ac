// The edge handler in a Next.js 16 App Router app: one catch-all route
// handler under /faceid hands every request to it, unchanged (its default
// prefix is /faceid, so /faceid/start, /faceid/callback… are its routes).
// Route handlers take a web Request and return a Response, as the handler
// does: no adapter. It runs in Node (Next's default runtime).
//
// Settings come from the environment (see ../../../README.md); the handler is
// made on first use, not when `next build` loads this module.
import { after } from "next/server";
import { FaceIdClient, createEdgeHandler } from "faceid-edge";

// Every answer depends on the request: never prerendered or cached.
export const dynamic = "force-dynamic";

/**
 * Who each `x-user` header names: a stand-in for your session store.
 * @type {Record<string, import("faceid-edge").FaceIdentity>}
 */
const USERS = {
  alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" },
};

/** @type {import("faceid-edge").EdgeHandler | undefined} */
let handler;

/** The edge handler, made on the first request. */
function faceid() {
  const serviceUrl = process.env.FACEID_SERVICE_URL; // the simulator's URL; unset for the real service
  handler ??= createEdgeHandler({
    client: new FaceIdClient({
      appId: process.env.FACEID_APP_ID ?? "",
      secret: process.env.FACEID_SECRET ?? "",
      ...(serviceUrl ? { serverUrl: serviceUrl, kycUrl: serviceUrl, loginUrl: serviceUrl } : {}),
    }),
    orderTokenKey: process.env.ORDER_TOKEN_KEY ?? "",
    // Your session lookup goes here: the x-user header only stands in for a session cookie.
    identity: (request) => USERS[request.headers.get("x-user") ?? ""] ?? null,
    returnUrl: "/done.html", // public/done.html
    // The origin your users reach: every URL the handler hands out is built on it, never on the Host header.
    publicOrigin: process.env.PUBLIC_ORIGIN ?? "",
    // Your record of the verdict (a database write): it runs after the answer is sent (ctx.waitUntil below).
    onResult: ({ orderNo, userId, result }) => {
      console.log(`faceid verdict recorded: order ${orderNo} user ${userId} ok=${result.ok}`);
    },
  });
  return handler;
}

/**
 * Hands the request to the edge handler. Its background work (ctx.waitUntil:
 * the onResult hook) goes to Next's after(), which runs it once the answer is sent.
 *
 * @param {Request} request
 */
function route(request) {
  return faceid()(request, undefined, { waitUntil: (promise) => after(() => promise) });
}

export const GET = route;
export const POST = route;
