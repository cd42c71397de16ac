// The edge handler served by Bun: `Bun.serve({ fetch })` hands it every
// request under /faceid as it came (a fetch handler needs no adapter), and
// answers /done.html itself. Bun is not Cloudflare Workers: `publicOrigin`
// is set, so no URL the handler builds comes from the Host header, and with
// no execution context the handler awaits its onResult hook before answering.
//
// Run it: see README.md beside this file.
import { FaceIdClient, createEdgeHandler } from "faceid-edge";

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
 * The app: the edge handler's routes under /faceid, a tiny page at /done.html, 404 elsewhere.
 * Serve it with `Bun.serve({ fetch: app.fetch, port })`.
 *
 * @param {ExampleOptions} options
 * @returns {{ fetch: (request: Request) => Promise<Response> }}
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
  return {
    async fetch(request) {
      const { pathname } = new URL(request.url);
      // The whole request, path included: the handler routes /faceid/start, /faceid/callback… itself.
      if (pathname === "/faceid" || pathname.startsWith("/faceid/")) return handler(request);
      if (pathname === "/done.html") {
        return new Response("<!doctype html><title>Done</title><p>Verification finished; this page reads /faceid/result?orderNo=… with its order token.", {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
      return new Response("Not found", { status: 404 });
    },
  };
}

// bun run index.mjs (settings from the environment; see README.md)
if (import.meta.main) {
  const port = Number(process.env.PORT ?? 8787);
  const app = createApp({
    appId: process.env.FACEID_APP_ID ?? "",
    secret: process.env.FACEID_SECRET ?? "",
    serviceUrl: process.env.FACEID_SERVICE_URL,
    orderTokenKey: process.env.ORDER_TOKEN_KEY ?? "",
    publicOrigin: process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`,
    users: { alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" } },
  });
  const server = Bun.serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? "127.0.0.1" });
  console.log(`listening on http://${server.hostname}:${server.port}`);
  process.on("SIGTERM", () => server.stop(true).then(() => process.exit(0)));
}
