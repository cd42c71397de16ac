// The edge handler in a Fastify 5 app (the README's recipe): a plugin whose
// scope leaves request bodies unread, so the handler streams them itself,
// and `reply.hijack()`, so Fastify leaves the response to it. The handler
// goes through `toNodeHandler` from faceid-edge/node, with `publicOrigin`
// set so that no URL the handler builds comes from the Host header.
//
// Run it: see README.md beside this file.
import Fastify from "fastify";
import { FaceIdClient, createEdgeHandler } from "faceid-edge";
import { toNodeHandler } from "faceid-edge/node";
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
 * The Fastify app: the edge handler's routes under /faceid, and a tiny page at /done.html.
 * `app.close()` waits for the handler's background work (onResult hooks).
 *
 * @param {ExampleOptions} options
 */
export async function createApp(options) {
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
  const nodeHandler = toNodeHandler(handler, { publicOrigin: options.publicOrigin });

  const app = Fastify();
  // The rest of the app keeps Fastify's body parsers; only this scope drops them.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, done) => done(null));
    scope.all("/faceid/*", (request, reply) => {
      reply.hijack();
      return nodeHandler(request.raw, reply.raw);
    });
  });
  app.get("/done.html", async (request, reply) => {
    reply.type("text/html");
    return "<!doctype html><title>Done</title><p>Verification finished; this page reads /faceid/result?orderNo=… with its order token.";
  });
  app.addHook("onClose", async () => {
    await nodeHandler.drain();
  });
  return app;
}

// node examples/fastify/index.mjs (settings from the environment; see README.md)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8787);
  const app = await createApp({
    appId: process.env.FACEID_APP_ID ?? "",
    secret: process.env.FACEID_SECRET ?? "",
    serviceUrl: process.env.FACEID_SERVICE_URL,
    orderTokenKey: process.env.ORDER_TOKEN_KEY ?? "",
    publicOrigin: process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`,
    users: { alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" } },
  });
  await app.listen({ port, host: "127.0.0.1" });
  console.log(`listening on http://localhost:${port}`);
  process.on("SIGTERM", () => app.close());
}
