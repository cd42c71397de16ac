// The edge handler in a Hono 4 app on Node.js (@hono/node-server). The
// handler is already a fetch handler, so no adapter is needed: one route
// hands it every request under /faceid, unchanged (see README.md for why it
// is not `app.mount("/faceid", handler)`). `publicOrigin` is set, so no URL
// the handler builds comes from the Host header.
//
// Run it: see README.md beside this file.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { FaceIdClient, createEdgeHandler } from "faceid-edge";
import { pathToFileURL } from "node:url";

/**
 * @typedef {object} ExampleOptions
 * @property {string} appId The App ID (WBappid).
 * @property {string} secret The App ID's secret (from a secret store; never in the code).
 * @property {string} [serviceUrl] One origin for every service host (the simulator's URL); leave it out for the real service.
 * @property {string | Uint8Array} orderTokenKey At least 32 bytes: signs the order tokens and callback states.
 * @property {string} publicOrigin The origin users reach, such as "https://h5.example.com".
 * @property {Record<string, import("faceid-edge").FaceIdentity>} users Who each `x-user` header names: a stand-in for your session store.
 * @property {string} [returnUrl] Where the face page's callback sends the user back; default "/done.html".
 */

/**
 * The Hono app: the edge handler's routes under /faceid, and a tiny page at /done.html.
 * Serve it with `serve({ fetch: app.fetch, port })` from @hono/node-server.
 *
 * @param {ExampleOptions} options
 */
export function createApp(options) {
  const client = new FaceIdClient({
    appId: options.appId,
    secret: options.secret,
    ...(options.serviceUrl ? { serverUrl: options.serviceUrl, kycUrl: options.serviceUrl, loginUrl: options.serviceUrl } : {}),
  });
  const handler = createEdgeHandler({
    client,
    orderTokenKey: options.orderTokenKey,
    // Your session lookup goes here: the x-user header only stands in for a session cookie.
    identity: (request) => options.users[request.headers.get("x-user") ?? ""] ?? null,
    returnUrl: options.returnUrl ?? "/done.html",
    publicOrigin: options.publicOrigin,
  });

  const app = new Hono();
  // The whole request, path included: the handler routes /faceid/start,
  // /faceid/callback… itself (its default prefix), and the face page's way
  // back (publicOrigin + "/faceid/callback") lands on this same route.
  // With no ctx, the handler awaits its onResult hook before answering.
  app.all("/faceid/*", (c) => handler(c.req.raw, c.env));
  app.get("/done.html", (c) =>
    c.html("<!doctype html><title>Done</title><p>Verification finished; this page reads /faceid/result?orderNo=… with its order token."));
  return app;
}

// node examples/hono-node/index.mjs (settings from the environment; see README.md)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8787);
  const app = createApp({
    appId: process.env.FACEID_APP_ID ?? "",
    secret: process.env.FACEID_SECRET ?? "",
    serviceUrl: process.env.FACEID_SERVICE_URL,
    orderTokenKey: process.env.ORDER_TOKEN_KEY ?? "",
    publicOrigin: process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`,
    users: { alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" } },
  });
  const server = serve({ fetch: app.fetch, port }, () => console.log(`listening on http://localhost:${port}`));
  process.on("SIGTERM", () => server.close());
}
