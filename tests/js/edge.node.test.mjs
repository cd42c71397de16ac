// The H5 face flow and the edge handler in Node 20, from the packed package:
// the handler behind a node:http server (Node's own Request/Response), the
// simulator as the service; and startFace / verifyCallback used directly, as
// a Node backend without the handler would.
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { Readable } from "node:stream";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { signValues, startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY, JPEG, edgeSuite } from "./lib/edge-suite.mjs";
import { installedPackage, repoRoot, resolveExport } from "./lib/package.mjs";
import { readmeBlocks, tagged } from "./lib/readme.mjs";

const pkg = installedPackage();
const faceid = await import(pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href);
const { FaceIdClient, FaceIdError, TicketManager, createEdgeHandler, verifyOrderToken } = faceid;

/**
 * Serves a Worker-shaped `fetch(request, env, ctx)` on loopback with
 * node:http. The request's URL is built as Node servers and their adapters
 * build it: from the Host header, and behind a proxy that terminates TLS,
 * from X-Forwarded-Proto; both come from the client.
 */
async function serve(worker, env) {
  const pending = new Set();
  const ctx = { waitUntil: (p) => { pending.add(p); p.finally(() => pending.delete(p)); } };
  const server = createServer(async (req, res) => {
    try {
      const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
      const url = `${proto}://${req.headers.host}${req.url}`;
      const hasBody = !["GET", "HEAD"].includes(req.method);
      const request = new Request(url, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) => [].concat(v).map((x) => [k, x])),
        body: hasBody ? Readable.toWeb(req) : undefined,
        duplex: hasBody ? "half" : undefined,
      });
      const response = await worker.fetch(request, env, ctx);
      res.writeHead(response.status, [...response.headers]);
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
      // A body the handler refused to read is not drained: close the connection.
      if (!req.complete) req.destroy();
    } catch (e) {
      res.writeHead(500).end(String(e?.stack ?? e));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      server.closeAllConnections();
      server.close();
      await Promise.allSettled([...pending]);
    },
  };
}

edgeSuite("in Node (node:http, Node's Request and Response)", async () => {
  const sim = await startSimulator({ nonceTicket: "NodeNonceTicket".padEnd(64, "n") });
  // The test app, copied into the project where "faceid-edge" is the packed package.
  const appFile = join(pkg.projectDir, "edge-app.mjs");
  copyFileSync(join(repoRoot, "tests/js/fixtures/edge-app.mjs"), appFile);
  const { default: worker } = await import(pathToFileURL(appFile).href);
  const env = { FACEID_APP_ID: sim.appId, FACEID_SECRET: sim.secret, SIM_URL: sim.url, ORDER_TOKEN_KEY };
  const server = await serve(worker, env);
  // Node cannot know its origin: the handlers are told (before the first request).
  env.PUBLIC_ORIGIN = server.url;
  return { url: server.url, sim, runtime: "node", stop: async () => { await server.stop(); await sim.stop(); } };
});

describe("startFace and verifyCallback without the handler", () => {
  let sim;
  let client;
  const person = { userId: "user01", name: "张三", idNo: "11010519491231002X" };
  before(async () => {
    sim = await startSimulator();
    client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url, retryDelayMs: 10 });
  });
  after(() => sim?.stop());

  test("startFace: getAdvFaceId, a NONCE ticket, a login URL the face page accepts; the callback verifies", async () => {
    const r = await client.startFace({ ...person, orderNo: "h5order001", callbackUrl: "https://h5.example.com/back?from=x" });
    assert.deepEqual(Object.keys(r), ["orderNo", "faceId", "url", "optimalDomain", "device", "faceOrigin", "faceOriginFrom"]);
    assert.equal(r.orderNo, "h5order001");
    assert.equal(r.optimalDomain, new URL(sim.url).host);
    const login = new URL(r.url);
    assert.equal(login.searchParams.get("url"), "https://h5.example.com/back?from=x");
    assert.equal(login.searchParams.get("resultType"), "1");
    assert.equal(login.searchParams.get("from"), "browser");
    const page = await sim.passFacePage(r.url, "pass");
    assert.equal(page.status, 302);
    const back = new URL(page.location);
    assert.equal(back.searchParams.get("from"), "x");
    for (const form of [back, back.searchParams, back.search, back.href, Object.fromEntries(back.searchParams)]) {
      const v = await client.verifyCallback(form);
      // No `ok`: the code is what the page showed, not a verdict.
      assert.deepEqual({ ...v, codeInfo: v.codeInfo?.kind }, { valid: true, orderNo: "h5order001", code: "0", codeInfo: "success" });
    }
    // The NONCE ticket was single use: the same URL is refused the second time.
    assert.notEqual((await sim.passFacePage(r.url, "pass")).status, 302);
    // A generated order number: 32 letters and digits.
    const g = await client.startFace({ ...person, callbackUrl: "https://h5.example.com/back" });
    assert.match(g.orderNo, /^[A-Za-z0-9]{32}$/);
  });

  test("verifyCallback: wrong, altered or missing signatures are valid: false, never a throw; wrong types throw", async () => {
    const ticket = sim.ticket;
    const sign = signValues([sim.appId, "o1", ticket, "0"]);
    assert.equal((await client.verifyCallback({ orderNo: "o1", code: "0", newSign: sign })).valid, true);
    assert.equal((await client.verifyCallback({ orderNo: "o1", code: "0", newSign: sign.toLowerCase() })).valid, true);
    for (const bad of [
      { orderNo: "o1", code: "1", newSign: sign },
      { orderNo: "o2", code: "0", newSign: sign },
      { orderNo: "o1", code: "0" },
      { orderNo: "o1", code: "0", newSign: "x".repeat(10_000) },
      "", "?", "code=0", `orderNo=o1&code=0&newSign=${sign}&newSign=${sign}`,
      { orderNo: 1, code: 0, newSign: sign },
    ]) {
      const v = await client.verifyCallback(bad);
      assert.equal(v.valid, false, JSON.stringify(bad).slice(0, 80));
      assert.equal("ok" in v, false);
    }
    for (const bad of [undefined, null, 5, ["a"]]) {
      await assert.rejects(client.verifyCallback(bad), (e) => e instanceof FaceIdError && e.code === "INVALID_ARGUMENT");
    }
  });

  test("a callback signed with the ticket before a refresh still verifies (the owner's engine hands it on)", async () => {
    const manager = new TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, refreshIntervalMs: 1000 });
    const first = await manager.signTicket();
    assert.equal(first.previous, undefined);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await manager.refresh();
    assert.notEqual(second.value, first.value);
    assert.equal(second.previous, first.value);
    // A client that only ever saw the new ticket still accepts a callback signed with the old one.
    const c = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, refreshIntervalMs: 1000 });
    const t1 = (await c.signedRequest("faceResult", "o1")) && sim.ticket;
    const old = signValues([sim.appId, "cb001", t1, "0"]);
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 50 && sim.ticket === t1; i++) {
      await c.signedRequest("faceResult", "o1");
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.notEqual(sim.ticket, t1, "the client refreshed");
    assert.equal((await c.verifyCallback({ orderNo: "cb001", code: "0", newSign: old })).valid, true);
    const now = signValues([sim.appId, "cb001", sim.ticket, "0"]);
    assert.equal((await c.verifyCallback({ orderNo: "cb001", code: "0", newSign: now })).valid, true);
    assert.equal((await c.verifyCallback({ orderNo: "cb001", code: "0", newSign: signValues([sim.appId, "cb001", "X".repeat(64), "0"]) })).valid, false);
  });

  test("startFace checks every input before any network call", async () => {
    const before = sim.requests().length;
    const cases = [
      [{ ...person, callbackUrl: undefined }, "INVALID_URL"],
      [{ ...person, callbackUrl: "javascript:alert(1)" }, "INVALID_URL"],
      [{ ...person, callbackUrl: "http://h5.example.com/" }, "INVALID_URL"],
      [{ ...person, userId: "u".repeat(31), callbackUrl: "https://x.example" }, "INVALID_USER_ID"],
      [{ ...person, name: "", callbackUrl: "https://x.example" }, "INVALID_IDENTITY"],
      [{ ...person, idNo: "1101 05", callbackUrl: "https://x.example" }, "INVALID_IDENTITY"],
      [{ ...person, orderNo: "bad order", callbackUrl: "https://x.example" }, "INVALID_ORDER_NO"],
      [{ ...person, from: "a&b", callbackUrl: "https://x.example" }, "INVALID_OPTION"],
      [{ ...person, sourcePhoto: new Uint8Array(600 * 1024).fill(0xff), callbackUrl: "https://x.example" }, "IMAGE_TOO_LARGE"],
      [{ ...person, sourcePhoto: "R0lGODlhAQABAAAAACw=", callbackUrl: "https://x.example" }, "INVALID_IMAGE"],
      [{ ...person, sourcePhoto: 5, callbackUrl: "https://x.example" }, "INVALID_IMAGE"],
      [{ ...person, sourcePhoto: JPEG, sourcePhotoType: "3", callbackUrl: "https://x.example" }, "INVALID_OPTION"],
      [null, "INVALID_ARGUMENT"],
    ];
    for (const [input, code] of cases) {
      await assert.rejects(client.startFace(input), (e) => {
        assert.ok(e instanceof FaceIdError, String(e));
        assert.equal(e.code, code, `${JSON.stringify(input)?.slice(0, 80)}: ${e.message}`);
        assert.ok(!e.message.includes(person.idNo));
        return true;
      });
    }
    const fixed = new FaceIdClient({ appId: sim.appId, ticket: sim.ticket, serverUrl: sim.url, kycUrl: sim.url });
    await assert.rejects(fixed.startFace({ ...person, callbackUrl: "https://x.example" }), {
      code: "INVALID_OPTION", message: "startFace() needs a NONCE ticket: make the client with secret or ticketOwner" });
    assert.equal(sim.requests().length, before);
  });

  test("a comparison photo travels as sourcePhotoStr; a refusal by the service is REJECTED with its code", async () => {
    const r = await client.startFace({ ...person, orderNo: "h5photo01", sourcePhoto: JPEG, callbackUrl: "https://x.example/cb" });
    assert.equal(r.orderNo, "h5photo01");
    const [sent] = sim.requests({ orderNo: "h5photo01", endpoint: "getAdvFaceId" });
    assert.equal(sent.body.sourcePhotoStr, JPEG.toString("base64").length);
    assert.equal(sent.body.sourcePhotoType, "2");
    sim.setOrder("h5busy01", { fault: { type: "busy", code: "999999", times: 10 } });
    await assert.rejects(client.startFace({ ...person, orderNo: "h5busy01", callbackUrl: "https://x.example/cb" }), (e) => {
      assert.equal(e.code, "REJECTED");
      assert.equal(e.upstreamCode, "999999");
      return true;
    });
  });
});

describe("createEdgeHandler options", () => {
  test("bad options are typed errors, before any request", async () => {
    const sim = await startSimulator();
    try {
      const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url });
      const good = { client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done", publicOrigin: "https://h5.example.com" };
      assert.equal(typeof createEdgeHandler(good), "function");
      assert.equal(typeof createEdgeHandler(good).issueOrderToken, "function");
      for (const [patch, code] of [
        [{ client: {} }, "INVALID_OPTION"],
        [{ client: undefined }, "INVALID_OPTION"],
        [{ orderTokenKey: "short" }, "INVALID_OPTION"],
        [{ orderTokenKey: undefined }, "INVALID_OPTION"],
        [{ identity: undefined }, "INVALID_OPTION"],
        [{ returnUrl: undefined }, "INVALID_URL"],
        [{ returnUrl: "//evil.example.com/" }, "INVALID_URL"],
        [{ returnUrl: "javascript:alert(1)" }, "INVALID_URL"],
        [{ prefix: "faceid" }, "INVALID_OPTION"],
        [{ prefix: "/faceid/" }, "INVALID_OPTION"],
        [{ allowedOrigins: ["*"] }, "INVALID_OPTION"],
        [{ allowedOrigins: ["https://h5.example.com/app"] }, "INVALID_OPTION"],
        [{ tokenTtlMs: 0 }, "INVALID_OPTION"],
        [{ reveal: ["a.b"] }, "INVALID_OPTION"],
        // Outside Workers the request's URL comes from the Host header: the origin must be given.
        [{ publicOrigin: undefined }, "INVALID_OPTION"],
        [{ publicOrigin: "http://h5.example.com" }, "INVALID_OPTION"],
        [{ publicOrigin: "https://h5.example.com/app" }, "INVALID_OPTION"],
        [{ publicOrigin: "*" }, "INVALID_OPTION"],
        [{ publicOrigin: 5 }, "INVALID_OPTION"],
        [{ allowAnonymous: ["start"] }, "INVALID_OPTION"],
        [{ allowAnonymous: "ocr" }, "INVALID_OPTION"],
        [{ onEvent: "log" }, "INVALID_OPTION"],
        [{ orderTokenKey: [] }, "INVALID_OPTION"],
        [{ orderTokenKey: [ORDER_TOKEN_KEY, "short"] }, "INVALID_OPTION"],
        [{ orderTokenKey: Array(9).fill(ORDER_TOKEN_KEY) }, "INVALID_OPTION"],
        [{ orderTokenKey: [ORDER_TOKEN_KEY, 5] }, "INVALID_OPTION"],
        [{ audience: "a\nb" }, "INVALID_OPTION"],
        [{ audience: "x".repeat(129) }, "INVALID_OPTION"],
        [{ audience: 5 }, "INVALID_OPTION"],
        [{ callbackTtlMs: 999 }, "INVALID_OPTION"],
        [{ callbackTtlMs: 8 * 86_400_000 }, "INVALID_OPTION"],
        [{ onStart: 5 }, "INVALID_OPTION"],
        [{ onResult: "log" }, "INVALID_OPTION"],
        [{ rateLimit: 5 }, "INVALID_OPTION"],
        [{ rateLimit: { limit: 10 } }, "INVALID_OPTION"],
        [{ resultCacheMs: -1 }, "INVALID_OPTION"],
        [{ resultCacheMs: 60_001 }, "INVALID_OPTION"],
        [{ bodyTimeoutMs: 0 }, "INVALID_OPTION"],
        [{ bodyTimeoutMs: "5000" }, "INVALID_OPTION"],
        [{ minBodyRate: 1.5 }, "INVALID_OPTION"],
        [{ maxImageBytes: 20 * 1024 * 1024 + 1 }, "INVALID_OPTION"],
        [{ maxImageBytes: 1000 }, "INVALID_OPTION"],
      ]) {
        assert.throws(() => createEdgeHandler({ ...good, ...patch }), (e) => e instanceof FaceIdError && e.code === code, JSON.stringify(Object.keys(patch)));
      }
      assert.throws(() => createEdgeHandler(null), { code: "INVALID_ARGUMENT" });
      assert.throws(() => createEdgeHandler({ ...good, publicOrigin: undefined }), (e) => /publicOrigin/.test(e.message) && /Host header/.test(e.message));
      assert.equal(typeof createEdgeHandler({ ...good, publicOrigin: "http://127.0.0.1:8080", allowAnonymous: ["ocr"], onEvent: () => {} }), "function");
      for (const key of [[ORDER_TOKEN_KEY], [new Uint8Array(32).fill(3), ORDER_TOKEN_KEY], Array(8).fill(ORDER_TOKEN_KEY)]) {
        assert.equal(typeof createEdgeHandler({ ...good, orderTokenKey: key, audience: "", callbackTtlMs: 1000 }), "function");
      }
      for (const ok of [{ rateLimit: () => true }, { resultCacheMs: 0 }, { bodyTimeoutMs: 1 }, { minBodyRate: 0 }, { maxImageBytes: 1024 }]) {
        assert.equal(typeof createEdgeHandler({ ...good, ...ok }), "function", JSON.stringify(ok));
      }
      const h = createEdgeHandler({ ...good, orderTokenKey: new Uint8Array(32).fill(3) });
      assert.throws(() => h.issueOrderToken("other", "o1"), { code: "INVALID_OPTION" });
      assert.throws(() => h.issueOrderToken("face", "bad order"), { code: "INVALID_ORDER_NO" });
      // Not a Request: a 400 Response, not a throw.
      const r = await h("http://x/faceid/result");
      assert.equal(r.status, 400);
      assert.equal(sim.requests().length, 0);
    } finally {
      await sim.stop();
    }
  });
});

describe("onResult without a ctx", () => {
  test("awaited before the answer (at most the client's timeoutMs); a throw, a rejection or a hang never changes the answer", async () => {
    const sim = await startSimulator();
    try {
      const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, timeoutMs: 400 });
      const seen = [];
      const hooks = {
        record: async (e) => { await new Promise((r) => setTimeout(r, 50)); seen.push([e.kind, e.orderNo, e.userId, e.result.code]); },
        throws: () => { throw new Error("sync"); },
        rejects: async () => { throw new Error("async"); },
        hangs: () => new Promise(() => {}),
      };
      for (const [name, onResult] of Object.entries(hooks)) {
        const handler = createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done", publicOrigin: "https://edge.example", onResult });
        const orderNo = `noctx${name}`;
        const { orderToken } = handler.issueOrderToken("bankcard", orderNo);
        const began = Date.now();
        // No env, no ctx: a plain Node server's call.
        const r = await handler(new Request(`https://edge.example/faceid/ocr/bankcard/result?orderNo=${orderNo}`, { headers: { authorization: `Bearer ${orderToken}` } }));
        const took = Date.now() - began;
        assert.equal(r.status, 200, name);
        assert.equal((await r.json()).ok, true, name);
        if (name === "record") assert.deepEqual(seen, [["bankcard", orderNo, null, "0"]], "recorded before the answer");
        if (name === "hangs") assert.ok(took >= 350 && took < 3000, `a hanging onResult held the answer ${took} ms`);
      }
    } finally {
      await sim.stop();
    }
  });
});

describe("verifyOrderToken", () => {
  test("the verdict for the token's own order, user, kind, audience and lifetime, under any key of the list; typed errors otherwise", async () => {
    const sim = await startSimulator();
    try {
      const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url });
      const next = new Uint8Array(48).fill(9);
      const handler = createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done", publicOrigin: "https://edge.example" });
      const rotated = createEdgeHandler({ client, orderTokenKey: [next, ORDER_TOKEN_KEY], identity: () => null, returnUrl: "/done", prefix: "/api/face", publicOrigin: "https://edge.example" });
      const grant = handler.issueOrderToken("bankcard", "order42", { userId: "u1" });
      const opts = { kind: "bankcard", orderNo: "order42", userId: "u1" };
      assert.deepEqual(verifyOrderToken(ORDER_TOKEN_KEY, grant.orderToken, opts),
        { kind: "bankcard", orderNo: "order42", userId: "u1", audience: "/faceid", expiresAt: grant.expiresAt });
      assert.equal(verifyOrderToken([next, ORDER_TOKEN_KEY], grant.orderToken, opts).orderNo, "order42");
      const other = rotated.issueOrderToken("face", "order42");
      assert.deepEqual(verifyOrderToken([next], other.orderToken, { kind: "face", orderNo: "order42", audience: "/api/face" }),
        { kind: "face", orderNo: "order42", userId: null, audience: "/api/face", expiresAt: other.expiresAt });
      const fails = (key, token, o, code) => assert.throws(() => verifyOrderToken(key, token, o),
        (e) => e instanceof FaceIdError && e.code === code && !(typeof token === "string" && token.length > 8 && e.message.includes(token)),
        `${code}: ${JSON.stringify(o)}`);
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, userId: "u2" }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, userId: undefined }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, kind: "face" }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, orderNo: "order43" }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, audience: "/api/face" }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, tokenTtlMs: 60_000 }, "FORBIDDEN");
      fails(next, grant.orderToken, opts, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, other.orderToken, { kind: "face", orderNo: "order42", audience: "/api/face" }, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, `${grant.orderToken}x`, opts, "FORBIDDEN");
      fails(ORDER_TOKEN_KEY, "x".repeat(100_000), opts, "FORBIDDEN");
      for (const none of [undefined, null, ""]) fails(ORDER_TOKEN_KEY, none, opts, "UNAUTHORIZED");
      fails(ORDER_TOKEN_KEY, 5, opts, "INVALID_ARGUMENT");
      fails(ORDER_TOKEN_KEY, grant.orderToken, undefined, "INVALID_ARGUMENT");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, kind: "passport" }, "INVALID_OPTION");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, orderNo: "bad order" }, "INVALID_ORDER_NO");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, userId: "u_1" }, "INVALID_USER_ID");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, audience: "a\nb" }, "INVALID_OPTION");
      fails(ORDER_TOKEN_KEY, grant.orderToken, { ...opts, tokenTtlMs: -1 }, "INVALID_OPTION");
      fails("short", grant.orderToken, opts, "INVALID_OPTION");
      fails([], grant.orderToken, opts, "INVALID_OPTION");
      fails(undefined, grant.orderToken, opts, "INVALID_OPTION");
      // A token of the first format (no audience) is refused, and says why.
      assert.throws(() => verifyOrderToken(ORDER_TOKEN_KEY, "v1.1900000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", opts), /first format/);
      assert.equal(sim.requests().length, 0);
    } finally {
      await sim.stop();
    }
  });
});

describe("the README's in-memory rate limit for one Node.js process", () => {
  test("memoryRateLimit: a fixed window per route and user; through the handler, 429 with Retry-After and nothing upstream", async () => {
    const block = tagged(readmeBlocks(), "node").find((b) => b.readme === "README.md" && b.code.includes("function memoryRateLimit"));
    assert.ok(block, "the README has no memoryRateLimit block");
    // The recipe, without the example's use of it (which needs the reader's client).
    const file = join(pkg.projectDir, "memory-rate-limit.mjs");
    writeFileSync(file, block.code.slice(0, block.code.indexOf("\nexport const handler")));
    const { memoryRateLimit } = await import(pathToFileURL(file).href);

    const hook = memoryRateLimit({ limit: 2, windowMs: 400 });
    const ask = (route, userId, ip = null) => hook({ route, userId, request: new Request("http://x/", { headers: ip ? { "x-real-ip": ip } : {} }) });
    assert.equal(ask("start", "alice"), true);
    assert.equal(ask("start", "alice"), true);
    const refused = ask("start", "alice");
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 400, JSON.stringify(refused));
    assert.equal(ask("result", "alice"), true, "per route");
    assert.equal(ask("start", "bob"), true, "per user");
    assert.equal(ask("start", null, "10.0.0.1"), true);
    assert.equal(ask("start", null, "10.0.0.1"), true);
    assert.notEqual(ask("start", null, "10.0.0.1"), true, "anonymous callers by address");
    assert.equal(ask("start", null, "10.0.0.2"), true);
    await new Promise((r) => setTimeout(r, 420));
    assert.equal(ask("start", "alice"), true, "a new window");

    const sim = await startSimulator();
    try {
      const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url });
      const handler = createEdgeHandler({
        client, orderTokenKey: ORDER_TOKEN_KEY, returnUrl: "/done.html", publicOrigin: "http://127.0.0.1",
        identity: () => ({ userId: "alice", name: "张三丰", idNo: "11010519491231002X" }),
        rateLimit: memoryRateLimit({ limit: 2, windowMs: 60_000 }),
      });
      const post = () => handler(new Request("http://127.0.0.1/faceid/start", { method: "POST", headers: { "content-type": "application/json" } }));
      assert.equal((await post()).status, 200);
      assert.equal((await post()).status, 200);
      const r = await post();
      assert.equal(r.status, 429);
      assert.equal((await r.json()).error.code, "RATE_LIMITED");
      assert.ok(Number(r.headers.get("retry-after")) >= 59, r.headers.get("retry-after"));
      assert.equal(sim.requests({ endpoint: "getAdvFaceId" }).length, 2);
    } finally {
      await sim.stop();
    }
  });
});

describe("the rateLimit hook's answer, whatever it is", () => {
  test("true and undefined go on; anything else is 429 RATE_LIMITED, never a crash, and reaches nothing upstream", async () => {
    const sim = await startSimulator();
    try {
      const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url, timeoutMs: 500 });
      const { proxy: revoked, revoke } = Proxy.revocable({}, {});
      revoke();
      const answers = [
        ["true", true, 200], ["undefined", undefined, 200], ["false", false, 429],
        ["null", null, 429], ["0", 0, 429], ["1", 1, 429], ["empty string", "", 429], ["NaN", NaN, 429],
        ["symbol", Symbol("x"), 429], ["bigint", 10n, 429], ["function", () => true, 429], ["array", [true], 429],
        ["{}", {}, 429], ["retryAfterMs text", { retryAfterMs: "5" }, 429], ["retryAfterMs < 0", { retryAfterMs: -1 }, 429],
        ["retryAfterMs Infinity", { retryAfterMs: Infinity }, 429], ["retryAfterMs over a day", { retryAfterMs: 86_400_001 }, 429],
        ["a throwing getter", { get retryAfterMs() { throw new Error("boom"); } }, 429],
        ["an inherited retryAfterMs", Object.create({ retryAfterMs: 1000 }), 429],
        ["a revoked proxy", revoked, 429],
        ["a promise of false", Promise.resolve(false), 429], ["a promise of true", Promise.resolve(true), 200],
      ];
      const user = { userId: "alice", name: "张三丰", idNo: "11010519491231002X" };
      for (const [name, answer, status] of answers) {
        const handler = createEdgeHandler({
          client, orderTokenKey: ORDER_TOKEN_KEY, returnUrl: "/done.html", publicOrigin: "http://127.0.0.1", identity: () => user, rateLimit: () => answer,
        });
        const before = sim.requests({ endpoint: "getAdvFaceId" }).length;
        const r = await handler(new Request("http://127.0.0.1/faceid/start", { method: "POST", headers: { "content-type": "application/json" } }));
        assert.equal(r.status, status, `${name}: ${await r.clone().text()}`);
        if (status === 429) {
          assert.equal((await r.json()).error.code, "RATE_LIMITED", name);
          assert.equal(sim.requests({ endpoint: "getAdvFaceId" }).length, before, name);
        }
      }
    } finally {
      await sim.stop();
    }
  });
});
