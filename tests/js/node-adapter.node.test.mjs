// faceid-edge/node (toNodeHandler) from the packed package: the whole edge
// handler suite through it on node:http; Express 5 with a JSON body parser
// ahead of it (mounted under a path too), a urlencoded parser (a clear
// refusal), Fastify 5 (the README's recipe), the origin from publicOrigin or
// a trusted proxy and never from a forged Host header, waitUntil and drain(),
// and the hint when a Node request reaches the handler itself.
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { once } from "node:events";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY, edgeSuite } from "./lib/edge-suite.mjs";
import { installedPackage, repoRoot, resolveExport } from "./lib/package.mjs";

const pkg = installedPackage();
const entry = (sub, cond) => pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, cond, sub))).href;
const faceid = await import(entry(".", ["node", "import"]));
const { toNodeHandler } = await import(entry("./node", ["node", "import"]));
const { FaceIdClient, createEdgeHandler } = faceid;
const requireFromRepo = createRequire(join(repoRoot, "package.json"));
const express = requireFromRepo("express");
const Fastify = requireFromRepo("fastify");

/** Listens on loopback; resolves to { url, close }. */
async function listen(server) {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

/** A raw HTTP request (any Host header); resolves to { status, headers, text }. */
function raw(url, { method = "GET", path, headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method, headers }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(parts).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

edgeSuite("through toNodeHandler (faceid-edge/node) on node:http", async () => {
  const sim = await startSimulator({ nonceTicket: "AdapterNonceTicket".padEnd(64, "n") });
  const appFile = join(pkg.projectDir, "edge-app-adapter.mjs");
  copyFileSync(join(repoRoot, "tests/js/fixtures/edge-app.mjs"), appFile);
  const { default: worker } = await import(pathToFileURL(appFile).href);
  const env = { FACEID_APP_ID: sim.appId, FACEID_SECRET: sim.secret, SIM_URL: sim.url, ORDER_TOKEN_KEY };
  const handler = toNodeHandler((request, e, ctx) => worker.fetch(request, e, ctx), { env });
  const server = await listen(createServer(handler));
  // Node cannot know its origin: the handlers are told (before the first request).
  env.PUBLIC_ORIGIN = server.url;
  return { url: server.url, sim, runtime: "node", stop: async () => { await server.close(); await handler.drain(); await sim.stop(); } };
});

describe("toNodeHandler with frameworks", () => {
  let sim;
  let client;
  const alice = { userId: "alice", name: "张三", idNo: "11010519491231002X" };
  const handlerFor = (extra = {}) =>
    createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: (r) => (r.headers.get("x-user") === "alice" ? alice : null), returnUrl: "/done", publicOrigin: "https://h5.example.com", ...extra });
  before(async () => {
    sim = await startSimulator();
    client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url, retryDelayMs: 10 });
  });
  after(() => sim?.stop());

  /** start → the face page → the callback → the verdict, through `base`. */
  async function flow(base, headers = {}) {
    const s = await fetch(`${base}/faceid/start`, { method: "POST", headers: { "x-user": "alice", "content-type": "application/json", ...headers }, body: JSON.stringify({}) });
    const start = await s.json();
    assert.equal(s.status, 200, JSON.stringify(start));
    const page = await sim.passFacePage(start.url, "pass");
    const back = new URL(page.location);
    const cb = await fetch(`${base}${back.pathname}${back.search}`, { redirect: "manual", headers: { "x-user": "alice" } });
    assert.equal(cb.status, 303);
    const r = await fetch(`${base}/faceid/result?orderNo=${start.orderNo}`, { headers: { authorization: `Bearer ${start.orderToken}`, "x-user": "alice" } });
    const verdict = await r.json();
    assert.equal(r.status, 200, JSON.stringify(verdict));
    assert.equal(verdict.ok, true);
    return start;
  }

  test("Express 5 with express.json() ahead of the handler: the parsed body is sent on; mounted under a path it still sees its routes", async () => {
    const app = express();
    app.use(express.json());
    app.use(toNodeHandler(handlerFor()));
    const server = await listen(createServer(app));
    try {
      await flow(server.url);
    } finally {
      await server.close();
    }
    const mounted = express();
    mounted.use(express.json());
    mounted.use("/faceid", toNodeHandler(handlerFor()));
    const m = await listen(createServer(mounted));
    try {
      await flow(m.url);
    } finally {
      await m.close();
    }
  });

  test("Express 5 with express.urlencoded() ahead: a clear INVALID_BODY that names the fix, not a TypeError", async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(toNodeHandler(handlerFor()));
    const server = await listen(createServer(app));
    try {
      const r = await fetch(`${server.url}/faceid/ocr/idcard`, { method: "POST", headers: { "x-user": "alice", "content-type": "application/x-www-form-urlencoded" }, body: "cardType=portrait&image=abc" });
      const body = await r.json();
      assert.equal(r.status, 400);
      assert.equal(body.error.code, "INVALID_BODY");
      assert.match(body.error.message, /before express\.json\(\)/);
    } finally {
      await server.close();
    }
  });

  test("Fastify 5 (the README's recipe: a plugin that leaves bodies unread, reply.hijack())", async () => {
    const fastify = Fastify();
    const nodeHandler = toNodeHandler(handlerFor());
    await fastify.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", (request, payload, done) => done(null));
      scope.all("/faceid/*", (request, reply) => {
        reply.hijack();
        return nodeHandler(request.raw, reply.raw);
      });
    });
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    try {
      await flow(`http://127.0.0.1:${fastify.server.address().port}`);
    } finally {
      await fastify.close();
    }
  });

  test("the origin: the adapter's publicOrigin wins over a forged Host header; trustProxy reads X-Forwarded-*; the handler's own publicOrigin signs the way back", async () => {
    // What URL the handler is given.
    const echo = async (request) => new Response(request.url);
    const urlOf = async (url, headers) => (await raw(url, { path: "/faceid/x?y=1", headers })).text;
    const fixed = await listen(createServer(toNodeHandler(echo, { publicOrigin: "https://h5.example.com" })));
    const proxied = await listen(createServer(toNodeHandler(echo, { trustProxy: true })));
    const plain = await listen(createServer(toNodeHandler(echo)));
    try {
      assert.equal(await urlOf(fixed.url, { host: "evil.example" }), "https://h5.example.com/faceid/x?y=1");
      assert.equal(await urlOf(fixed.url, { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" }), "https://h5.example.com/faceid/x?y=1");
      assert.equal(await urlOf(proxied.url, { host: "127.0.0.1", "x-forwarded-host": "h5.example.com", "x-forwarded-proto": "https" }), "https://h5.example.com/faceid/x?y=1");
      assert.equal(await urlOf(plain.url, { host: "evil.example", "x-forwarded-host": "h5.example.com" }), "http://evil.example/faceid/x?y=1");
    } finally {
      await fixed.close();
      await proxied.close();
      await plain.close();
    }
    // The edge handler itself: its publicOrigin, whatever Host says.
    const server = await listen(createServer(toNodeHandler(handlerFor())));
    try {
      const r = await raw(server.url, { method: "POST", path: "/faceid/start", headers: { host: "evil.example", "x-user": "alice", "content-type": "application/json" }, body: "{}" });
      assert.equal(r.status, 200, r.text);
      assert.equal(new URL(new URL(JSON.parse(r.text).url).searchParams.get("url")).origin, "https://h5.example.com");
    } finally {
      await server.close();
    }
    assert.throws(() => toNodeHandler(echo, { publicOrigin: "https://h5.example.com/path" }), /publicOrigin must be an origin/);
    assert.throws(() => toNodeHandler({}), /toNodeHandler takes the handler function/);
  });

  test("ctx.waitUntil work outlives the response, and drain() waits for it", async () => {
    let finished = false;
    const handler = toNodeHandler(async (request, env, ctx) => {
      ctx.waitUntil(new Promise((r) => setTimeout(r, 200)).then(() => { finished = true; }));
      return new Response("ok");
    });
    const server = await listen(createServer(handler));
    try {
      assert.equal(await (await fetch(server.url)).text(), "ok");
      assert.equal(finished, false);
      await handler.drain();
      assert.equal(finished, true);
    } finally {
      await server.close();
    }
  });

  test("bodies stream both ways: a 3 MB answer arrives whole, an upload reaches the handler as a stream", async () => {
    const big = Buffer.alloc(3 << 20, 97);
    let chunks = 0;
    const handler = toNodeHandler(async (request) => {
      if (request.method === "POST") {
        let size = 0;
        for await (const c of request.body) {
          chunks++;
          size += c.length;
        }
        return Response.json({ size });
      }
      return new Response(big);
    });
    const server = await listen(createServer(handler));
    try {
      assert.equal((await (await fetch(server.url)).arrayBuffer()).byteLength, big.length);
      const r = await (await fetch(server.url, { method: "POST", body: big })).json();
      assert.equal(r.size, big.length);
      assert.ok(chunks > 1, `the upload came in ${chunks} chunk(s)`);
    } finally {
      await server.close();
    }
  });

  test("a Node request handed to the handler itself: INVALID_ARGUMENT, and onEvent's detail names faceid-edge/node", async () => {
    const events = [];
    const handler = handlerFor({ onEvent: (e) => events.push(e) });
    const server = await listen(createServer(async (req, res) => {
      const response = await handler(req);
      res.writeHead(response.status, { "content-type": "application/json" });
      res.end(await response.text());
    }));
    try {
      const r = await fetch(`${server.url}/faceid/start`, { method: "POST" });
      const body = await r.json();
      assert.equal(body.error.code, "INVALID_ARGUMENT");
      const error = events.find((e) => e.type === "error");
      assert.match(error.detail, /toNodeHandler.*faceid-edge\/node/);
      assert.ok(!/faceid-edge\/node/.test(body.error.message), "the caller gets the fixed message");
    } finally {
      await server.close();
    }
  });
});
