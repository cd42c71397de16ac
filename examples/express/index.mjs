// The edge handler in an Express 5 app: `express.json()` mounted app-wide
// (the handler takes the body it parsed and sends it on as JSON), the
// handler through `toNodeHandler` from faceid-edge/node, and `publicOrigin`
// set so that no URL the handler builds comes from the Host header.
//
// Run it: see README.md beside this file.
import express from "express";
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
 * The Express app: the edge handler's routes under /faceid, and a tiny page at /done.html.
 *
 * @param {ExampleOptions} options
 * @returns {{ app: import("express").Express, drain: () => Promise<void> }}
 *   the app (for `http.createServer(app)` or `app.listen`) and `drain()`, which
 *   settles when the handler's background work (onResult hooks) has.
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
  const nodeHandler = toNodeHandler(handler, { publicOrigin: options.publicOrigin });

  const app = express();
  // The handler's routes take ID card photos: megabytes of base64, past
  // express.json()'s default limit of 100 kB (a 413 before the handler sees
  // them). Their own parser, with the handler's limit (20 MB of base64, see
  // maxImageBytes) and room for the JSON around it, comes first; the app-wide
  // one skips a body already parsed.
  app.use("/faceid", express.json({ limit: "21mb" }));
  // App-wide, as most Express apps have it: the handler reads what it parsed.
  app.use(express.json());
  // The handler reads req.originalUrl, so its routes stay under /faceid.
  app.use("/faceid", nodeHandler);
  app.get("/done.html", (req, res) => {
    res.type("html").send("<!doctype html><title>Done</title><p>Verification finished; this page reads /faceid/result?orderNo=… with its order token.");
  });
  return { app, drain: () => nodeHandler.drain() };
}

// node examples/express/index.mjs (settings from the environment; see README.md)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8787);
  const { app, drain } = createApp({
    appId: process.env.FACEID_APP_ID ?? "",
    secret: process.env.FACEID_SECRET ?? "",
    serviceUrl: process.env.FACEID_SERVICE_URL,
    orderTokenKey: process.env.ORDER_TOKEN_KEY ?? "",
    publicOrigin: process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`,
    users: { alice: { userId: "alice", name: "张三", idNo: "11010519491231002X" } },
  });
  const { createServer } = await import("node:http");
  const server = createServer(app).listen(port, () => console.log(`listening on http://localhost:${port}`));
  process.on("SIGTERM", () => server.close(() => drain()));
}
