// The Worker the edge load benchmark (bench/edge-load.mjs) runs in workerd:
// the package's createEdgeHandler under /faceid, with a FaceIdClient made
// from appId + secret (the SIGN ticket cached in the isolate, like the plain
// Worker of bench/plain-edge-worker.js), and a /mint route that issues
// order tokens for the benchmark's orders.
//
// Bindings: FACEID_APP_ID, FACEID_SECRET, SIM_URL, ORDER_TOKEN_KEY.
import { FaceIdClient, createEdgeHandler } from "faceid-edge";
import { USERS } from "./shared.js";

let handler; // one per isolate

export default {
  async fetch(request, env, ctx) {
    handler ??= createEdgeHandler({
      client: new FaceIdClient({ appId: env.FACEID_APP_ID, secret: env.FACEID_SECRET, serverUrl: env.SIM_URL,
        kycUrl: env.SIM_URL, timeoutMs: 5000 }),
      orderTokenKey: env.ORDER_TOKEN_KEY,
      identity: (req) => USERS[req.headers.get("x-user")] ?? null,
      returnUrl: "/done.html",
      // Every request queries the simulator, as the plain worker's do: no result memory.
      resultCacheMs: 0,
    });
    if (request.url.includes("/faceid/")) return handler(request, env, ctx);
    if (request.url.includes("/mint?")) {
      const q = new URL(request.url).searchParams;
      return Response.json(handler.issueOrderToken("face", q.get("orderNo"), { userId: q.get("userId") }));
    }
    return new Response("ok");
  },
};
