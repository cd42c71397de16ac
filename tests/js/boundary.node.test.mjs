// The JavaScript boundary of the packed faceid-edge package, in Node 20:
// what crosses into WebAssembly and back. Memory per call, own properties
// only (options in, answers out), which URLs may carry the secret, and large
// inputs refused before they are copied. Measurements of the module's
// linear memory run in fresh processes (lib/fresh-instance.mjs).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { startSimulator } from "../sim/index.mjs";
import { errorText, leaks, mediaBytes, newOrder, referenceSign, SMALL_JPEG, TICKET } from "./lib/client-fixtures.mjs";
import { inFreshInstance } from "./lib/fresh-instance.mjs";
import { installedPackage, PACKAGE_NAME, resolveExport } from "./lib/package.mjs";

const pkg = installedPackage();
const entry = resolveExport(pkg.manifest, ["node", "import"]);
const faceid = await import(pathToFileURL(join(pkg.packageDir, entry)).href);
const { FaceIdClient, FaceIdError, TicketManager, decodeMedia } = faceid;

const T = { timeout: 120_000 };
const MB = 1 << 20;

let sim;
before(async () => {
  sim = await startSimulator({ ticket: TICKET });
});
after(() => sim?.stop());

/** Calls `fn`, expects a FaceIdError with `code` that does not carry the ticket; returns it. */
function throwsCode(fn, code) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof FaceIdError, `expected FaceIdError ${code}, got ${error?.stack ?? error}`);
  assert.equal(error.code, code, error.message);
  assert.equal(leaks(errorText(error)), false, error.message);
  return error;
}

// ---------------------------------------------------------------------------
describe("memory per call", T, () => {
  // The ticketProvider's deadline timer used to leave its callback behind on
  // every call (about 1 KB of JavaScript heap and a few bytes of wasm memory).
  test("a ticketProvider client keeps a flat heap over 20 000 calls", async () => {
    const r = await inFreshInstance(`
      const client = new faceid.FaceIdClient({
        appId: "IDAsim001", serverUrl: "http://127.0.0.1:9", ticketProvider: () => input.ticket,
      });
      let wasmEarly, heapEarly;
      for (let i = 1; i <= 20000; i++) {
        const request = await client.signedRequest("faceResult", "leak" + (i % 97));
        if (!request.url.includes("order_no=leak")) throw new Error("unexpected request " + request.url);
        if (i === 2000) {
          gc();
          wasmEarly = memoryBytes();
          heapEarly = process.memoryUsage().heapUsed;
        }
      }
      gc();
      return { wasmGrowth: memoryBytes() - wasmEarly, heapGrowth: process.memoryUsage().heapUsed - heapEarly };
    `, { input: { ticket: TICKET }, nodeArgs: ["--expose-gc"] });
    // 18 000 calls: a leak of 1 KB each would be 18 MB of heap; 16 bytes
    // each would be 288 KB of wasm memory (more than four 64 KiB pages).
    assert.ok(r.wasmGrowth <= 64 * 1024, `wasm memory grew by ${r.wasmGrowth} bytes over 18 000 calls`);
    assert.ok(r.heapGrowth < 4 * MB, `the JS heap grew by ${r.heapGrowth} bytes over 18 000 calls`);
  });

  // The handler's JSON answer used to be copied into wasm memory on its way
  // to the Response (up to 3 bytes per character once the text holds one
  // non-ASCII character): a revealed 10 MB result grew the memory by 40 MB,
  // for good (wasm memory never shrinks; a Worker has 128 MB).
  test("an edge handler answering an 8 MB revealed result keeps its wasm memory flat", async () => {
    const orderNo = newOrder("bigReveal");
    sim.setOrder(orderNo, { videoBytes: 6 * MB, photoBytes: 2 * MB });
    const r = await inFreshInstance(`
      const client = new faceid.FaceIdClient({ appId: input.appId, ticket: input.ticket, serverUrl: input.url, kycUrl: input.url });
      const handler = faceid.createEdgeHandler({ client, orderTokenKey: "k".repeat(32), returnUrl: "/done.html", reveal: ["photo", "video"], publicOrigin: "https://edge.example",
        identity: () => ({ userId: "alice" }) });
      const token = handler.issueOrderToken("face", input.orderNo, { userId: "alice" });
      const call = async () => {
        const res = await handler(new Request("https://edge.example/faceid/result?orderNo=" + input.orderNo,
          { headers: { authorization: "Bearer " + token.orderToken } }));
        return { status: res.status, bytes: (await res.arrayBuffer()).byteLength };
      };
      const first = await call();
      const base = memoryBytes();
      const again = [await call(), await call()];
      return { first, again, growth: memoryBytes() - base, total: memoryBytes() };
    `, { input: { url: sim.url, appId: sim.appId, ticket: TICKET, orderNo } });
    assert.equal(r.first.status, 200, JSON.stringify(r));
    assert.ok(r.first.bytes > 8 * MB, `the answer carries the files: ${r.first.bytes} bytes`);
    assert.deepEqual(r.again.map((a) => a.status), [200, 200]);
    assert.ok(r.growth <= 1 * MB, `wasm memory grew by ${r.growth} bytes over two 8 MB answers`);
    assert.ok(r.total < 8 * MB, `wasm memory is ${r.total} bytes after 8 MB answers`);
  });
});

// ---------------------------------------------------------------------------
describe("base URLs", T, () => {
  test("plain http:// only for loopback hosts; a user name or password is refused", () => {
    const base = { appId: sim.appId, ticket: TICKET };
    for (const url of ["http://example.com", "http://idasc.webank.com:80", "http://10.0.0.1:8788", "http://0.0.0.0:8788",
      "http://127.0.0.1.example.com", "http://sim.localhost:8788", "http://[::2]:8788", "http://0127.0.0.1:8788"]) {
      for (const key of ["serverUrl", "kycUrl"]) {
        const e = throwsCode(() => new FaceIdClient({ ...base, [key]: url }), "INVALID_URL");
        assert.match(e.message, new RegExp(`^${key} must use https://`), e.message);
        assert.match(e.message, /localhost, 127\.x\.x\.x or \[::1\]/, e.message);
      }
      const e = throwsCode(() => new TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: url }), "INVALID_URL");
      assert.match(e.message, /^serverUrl must use https:\/\//, e.message);
    }
    for (const url of ["https://user:Pa55word@idasc.webank.com", "https://user@idasc.webank.com",
      `http://user:Pa55word@${new URL(sim.url).host}`]) {
      const e = throwsCode(() => new FaceIdClient({ ...base, serverUrl: url }), "INVALID_URL");
      assert.match(e.message, /user name or password/, e.message);
      assert.doesNotMatch(e.message, /Pa55word/);
      throwsCode(() => new TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: url }), "INVALID_URL");
    }
    const port = new URL(sim.url).port;
    for (const url of [sim.url, `http://localhost:${port}`, `http://[::1]:${port}`, `http://127.3.2.1:${port}`,
      "https://idasc.webank.com", "https://kyc1.qcloud.com:443/"]) {
      const c = new FaceIdClient({ ...base, serverUrl: url, kycUrl: url });
      assert.equal(c.toJSON().serverUrl, url.replace(/\/+$/, ""));
      new TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: url });
    }
  });

  test("a loopback client still talks to the simulator", async () => {
    const c = new FaceIdClient({ appId: sim.appId, ticket: TICKET, serverUrl: sim.url, kycUrl: sim.url });
    const orderNo = newOrder("loop");
    const r = await c.faceResult(orderNo);
    assert.equal(r.code, "0", r.msg);
  });
});

// ---------------------------------------------------------------------------
describe("answers are built from own data properties", T, () => {
  // JSON.parse makes "__proto__", "constructor" and "prototype" ordinary own
  // keys; the simulator sends them verbatim (extraFields, topFields).
  const PHOTO = mediaBytes("jpeg", 4096).toString("base64");
  // A computed ["__proto__"] key is an own key, as JSON.parse makes it.
  const injected = () => JSON.parse(JSON.stringify({
    ["__proto__"]: { injected: "proto", photo: PHOTO, video: PHOTO },
    constructor: { prototype: { injected: "constructor" } },
    prototype: { injected: "prototype" },
  }));
  const KEYS = ["__proto__", "constructor", "prototype"];

  function assertOwnKeys(r, label) {
    const sent = injected();
    assert.equal(r.code, "0", `${label}: ${r.msg}`);
    assert.ok(Object.getPrototypeOf(r) === Object.prototype, label);
    assert.ok(Object.getPrototypeOf(r.result) === Object.prototype, `${label}: the prototype of result was replaced`);
    for (const k of KEYS) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(r.result, k), {
        value: Object.getOwnPropertyDescriptor(sent, k).value, writable: true, enumerable: true, configurable: true,
      }, `${label}: result.${k}`);
    }
    for (const k of ["injected", "photo", "video"]) assert.equal(k in r.result, false, `${label}: result.${k} is inherited`);
    assert.deepEqual(decodeMedia(r), [], `${label}: decodeMedia saw an inherited photo`);
    assert.deepEqual(decodeMedia(r.result), [], label);
    assert.equal({}.injected, undefined, "Object.prototype was polluted");
  }

  test("the keys sent in result, at the top level, or flat come back as own keys; no prototype is replaced", async () => {
    const c = new FaceIdClient({ appId: sim.appId, ticket: TICKET, serverUrl: sim.url, kycUrl: sim.url });
    assert.deepEqual(Object.keys(injected()), KEYS, "the fixture has the three own keys");
    for (const [label, scenario] of [
      ["in result", { extraFields: injected() }],
      ["at the top level beside result", { topFields: injected() }],
      ["flat", { shape: "flat", extraFields: injected() }],
      ["both", { shape: "both", extraFields: injected() }],
    ]) {
      const orderNo = newOrder("proto");
      sim.setOrder(orderNo, scenario);
      assertOwnKeys(await c.faceResult(orderNo), label);
      const o2 = newOrder("protoPost");
      sim.setOrder(o2, scenario);
      assertOwnKeys(await c.queryFaceRecord(o2), `${label}, queryFaceRecord`);
    }
  });

  test("setters on Object.prototype for the answer's keys never run: every key is an own data property", async () => {
    // What a hostile or careless library could install: accessors whose
    // setters would see (and could change) every value an answer carries. In
    // a child process (the simulator here must not see them), with the edge
    // handler's answers too.
    const orderNo = newOrder("setter");
    sim.setOrder(orderNo, {});
    const failed = newOrder("setterFailed");
    sim.setOrder(failed, { code: "66660017" });
    const file = join(pkg.projectDir, "setters.mjs");
    writeFileSync(file, `import * as f from "${PACKAGE_NAME}";
const { url, appId, ticket, orderNo, failed } = JSON.parse(process.env.FACEID_SETTERS_INPUT);
const KEYS = ["ok", "code", "msg", "bizSeqNo", "transactionTime", "result", "orderNo", "liveRate", "similarity",
  "occurredTime", "success", "requestId", "retryable", "photo", "video", "appId", "error", "message", "token"];
const seen = [];
const install = () => { for (const k of KEYS) Object.defineProperty(Object.prototype, k, { configurable: true, enumerable: false,
  get() { return undefined; }, set() { seen.push(k); } }); };
const remove = () => { for (const k of KEYS) delete Object.prototype[k]; };
const plain = (o) => Object.keys(o).every((k) => { const d = Object.getOwnPropertyDescriptor(o, k); return "value" in d && d.writable && d.enumerable && d.configurable; });
// Node's own HTTP client assigns "code" on its errors: the accessors are
// lifted while it runs, and back in place before the package reads the answer.
const cleanFetch = async (input, init) => {
  remove();
  try {
    const r = await fetch(input, init);
    return new Response(await r.text(), { status: r.status, headers: r.headers });
  } finally {
    install();
  }
};
const c = new f.FaceIdClient({ appId, ticket, serverUrl: url, kycUrl: url, fetch: cleanFetch });
install();
const ok = await c.faceResult(orderNo);
const missing = await c.faceResult(failed);
const info = f.codeInfo("66660017");
remove();
process.stdout.write(JSON.stringify({ seen, ok: [ok.ok, ok.code, ok.result.orderNo], missing: [missing.ok, missing.code],
  plain: [plain(ok), plain(ok.result), plain(missing), plain(info)] }));
`);
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      cwd: pkg.projectDir, timeout: 60_000, maxBuffer: 1 << 20,
      env: { ...process.env, FACEID_SETTERS_INPUT: JSON.stringify({ url: sim.url, appId: sim.appId, ticket: TICKET, orderNo, failed }) },
    });
    const r = JSON.parse(stdout);
    assert.deepEqual(r.seen, [], "a setter on Object.prototype ran");
    assert.deepEqual(r.ok, [true, "0", orderNo]);
    assert.deepEqual(r.missing, [false, "66660017"]);
    assert.deepEqual(r.plain, [true, true, true, true], "an answer key is not a plain own data property");
  });

  test("decodeMedia reads own properties only", () => {
    const inherited = Object.create({ photo: PHOTO, result: { photo: PHOTO } });
    assert.deepEqual(decodeMedia(inherited), []);
    assert.deepEqual(decodeMedia({ result: Object.create({ photo: PHOTO }) }), []);
    const own = decodeMedia({ result: { photo: PHOTO } });
    assert.deepEqual(own.map((m) => [m.field, m.mime]), [["photo", "image/jpeg"]]);
  });
});

// ---------------------------------------------------------------------------
describe("options are read from own properties only", T, () => {
  // Runs in a child process, because it pollutes Object.prototype the way a
  // careless library would, with a value for every option name.
  test("a polluted Object.prototype changes nothing: clients, sign, signValues, TicketManager", async () => {
    const orders = { fixed: newOrder("pollFixed"), provider: newOrder("pollProv"), ocr: newOrder("pollOcr"),
      secret: newOrder("pollSecret") };
    const file = join(pkg.projectDir, "polluted.mjs");
    writeFileSync(file, `import * as f from "${PACKAGE_NAME}";
const input = JSON.parse(process.env.FACEID_POLLUTED_INPUT);
const { url, appId, ticket, secret, orders } = input;
const evilStore = { get: async () => null, set: async () => {}, lock: async () => true, unlock: async () => {} };
const evilOwner = { idFromName: () => 1, get: () => ({ fetch: async () => new Response("{}") }) };
const POLLUTED = {
  appId: "EvilApp", orderNo: "EvilOrder1", nonce: "E".repeat(32), ticket: "EvilTicket", version: "9.9.9",
  serverUrl: "https://evil.example", kycUrl: "https://evil.example", secret: "EvilSecret",
  ticketProvider: () => "EvilTicket", ticketOwner: evilOwner, store: evilStore, getFile: "all",
  cardType: "emblem", image: "AAAA", userId: "evilUser", timeoutMs: 1, retries: 10, retryDelayMs: 60000,
  maxRetryDelayMs: 60000, filePolls: 10, filePollIntervalMs: 60000, refreshIntervalMs: 1000,
  ticketErrorCodes: ["0"], prefix: "evil:",
};
for (const [k, value] of Object.entries(POLLUTED)) {
  Object.defineProperty(Object.prototype, k, { value, writable: true, configurable: true, enumerable: false });
}
const out = {};
const attempt = async (name, fn) => {
  try {
    out[name] = { value: await fn() };
  } catch (e) {
    out[name] = { code: e?.code ?? null, message: String(e?.message) };
  }
};
await attempt("fixed", async () => {
  const c = new f.FaceIdClient({ appId, ticket, serverUrl: url, kycUrl: url, retryDelayMs: 1 });
  const r = await c.faceResult(orders.fixed, {});
  return { code: r.code, summary: c.toJSON(), status: c.ticketStatus() };
});
await attempt("defaults", () => new f.FaceIdClient({ appId, ticket }).toJSON());
await attempt("provider", async () => {
  const c = new f.FaceIdClient({ appId, ticketProvider: () => ticket, serverUrl: url, kycUrl: url });
  return (await c.queryFaceRecord(orders.provider, {})).code;
});
await attempt("ocr", async () => {
  const c = new f.FaceIdClient({ appId, ticket, serverUrl: url, kycUrl: url });
  const image = Uint8Array.from(input.jpeg);
  return (await c.idCardOcr({ orderNo: orders.ocr, cardType: "portrait", image })).code;
});
await attempt("secret", async () => {
  const c = new f.FaceIdClient({ appId, secret, serverUrl: url, kycUrl: url });
  const r = await c.faceResult(orders.secret);
  return { code: r.code, source: c.ticketStatus().source };
});
await attempt("manager", async () => {
  const m = new f.TicketManager({ appId, secret, serverUrl: url });
  return typeof (await m.signTicket()).value;
});
const opts = { appId: "IDAXXXXX", orderNo: "order001", ticket, nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T" };
await attempt("sign", () => f.sign(opts));
await attempt("signTwice", () => f.sign({ ...opts }));
await attempt("signNoOrderNo", () => f.sign({ appId: opts.appId, ticket, nonce: opts.nonce }));
await attempt("signNoNonce", () => f.sign({ appId: opts.appId, orderNo: "order001", ticket }));
await attempt("signNoAppId", () => f.sign({ orderNo: "order001", ticket, nonce: opts.nonce }));
await attempt("signNoTicket", () => f.sign({ appId: opts.appId, orderNo: "order001", nonce: opts.nonce }));
await attempt("missingTicket", () => new f.FaceIdClient({ appId, serverUrl: url }));
await attempt("redisKeys", async () => {
  const keys = [];
  const redis = { isOpen: true, get: async (k) => (keys.push(k), null), set: async () => "OK", eval: async () => 0 };
  await f.createRedisTicketStore(redis).get("k1");
  await f.createRedisTicketStore(redis, {}).get("k2");
  await f.createRedisTicketStore(redis, { prefix: "p:" }).get("k3");
  return keys;
});
// Array holes, with indexes polluted too (only around these synchronous
// calls: Node's own HTTP client does not survive polluted indexes).
for (const i of [0, 1]) Object.defineProperty(Object.prototype, i, { value: "EvilValue", configurable: true });
await attempt("signValuesHoles", () => f.signValues([, "b", "a"]));
await attempt("signValuesPlain", () => f.signValues(["b", "a"]));
await attempt("verifyHoles", () => f.verifySign([, "b", "a"], f.signValues(["a", "b"])));
await attempt("ticketErrorCodes", () => {
  new f.FaceIdClient({ appId, ticketProvider: () => ticket, serverUrl: url, ticketErrorCodes: [, "400101"] });
  return "built";
});
for (const i of [0, 1]) delete Object.prototype[i];
process.stdout.write(JSON.stringify(out));
`);
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      cwd: pkg.projectDir, timeout: 60_000, maxBuffer: 1 << 20,
      env: { ...process.env, FACEID_POLLUTED_INPUT: JSON.stringify({
        url: sim.url, appId: sim.appId, ticket: TICKET, secret: sim.secret, orders, jpeg: [...SMALL_JPEG()],
      }) },
    });
    const r = JSON.parse(stdout);
    assert.equal(leaks(stdout), false, "the ticket shows in an error");

    assert.deepEqual(r.fixed, { value: {
      code: "0",
      // One shape whatever the source; nothing read from the prototype.
      status: {
        source: "ticket", hasTicket: true, ticketAgeMs: null, ticketExpiresInMs: null, tokenAgeMs: null,
        tokenExpiresInMs: null, nextRefreshInMs: null, lastRefreshAt: null, refreshes: 0, refreshing: false,
        abandonedRefreshes: 0, failures: 0, retryInMs: 0, cachedAgeMs: null, lastError: null, storeError: null,
        storeReadAgeMs: null,
      },
      summary: { appId: sim.appId, version: "1.0.0", serverUrl: sim.url, kycUrl: sim.url, ticketSource: "ticket" },
    } }, JSON.stringify(r.fixed));
    assert.deepEqual(r.defaults, { value: {
      appId: sim.appId, version: "1.0.0", serverUrl: "https://kyc1.qcloud.com",
      kycUrl: "https://kyc1.qcloud.com", ticketSource: "ticket",
    } });
    assert.deepEqual(r.provider, { value: "0" }, JSON.stringify(r.provider));
    assert.deepEqual(r.ocr, { value: "0" }, JSON.stringify(r.ocr));
    assert.deepEqual(r.secret, { value: { code: "0", source: "secret" } }, JSON.stringify(r.secret));
    assert.deepEqual(r.manager, { value: "string" }, JSON.stringify(r.manager));

    // What the simulator saw: the real values, nothing polluted.
    for (const orderNo of Object.values(orders)) {
      const log = sim.requests({ orderNo });
      assert.equal(log.length, 1, `${orderNo}: ${JSON.stringify(log)}`);
      const [e] = log;
      assert.equal(e.verdict, "ok", e.reason);
      const params = e.method === "GET" ? e.query : e.body;
      assert.equal(params.version, "1.0.0", JSON.stringify(params));
      assert.equal(params.app_id ?? params.appId ?? params.webankAppId, sim.appId);
      assert.equal(params.get_file, undefined, "getFile came from the prototype");
      if (e.method === "POST" && e.path.endsWith("queryfacerecord")) assert.equal(params.getFile, "0");
      assert.equal(params.userId, undefined, "userId came from the prototype");
    }
    assert.equal(sim.requests({ orderNo: orders.ocr })[0].body.cardType, "0");

    const v = ["IDAXXXXX", "order001", "1.0.0", TICKET, "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"];
    assert.deepEqual(r.sign, { value: referenceSign(v) });
    assert.deepEqual(r.signTwice, { value: referenceSign(v) });
    assert.equal(r.signNoOrderNo.code, "INVALID_ORDER_NO", JSON.stringify(r.signNoOrderNo));
    assert.equal(r.signNoNonce.code, "INVALID_NONCE", JSON.stringify(r.signNoNonce));
    assert.equal(r.signNoAppId.code, "INVALID_APP_ID", JSON.stringify(r.signNoAppId));
    assert.equal(r.signNoTicket.code, "INVALID_TICKET", JSON.stringify(r.signNoTicket));
    assert.deepEqual(r.signValuesHoles, { value: referenceSign(["a", "b"]) }, "a hole was filled from the prototype");
    assert.deepEqual(r.signValuesHoles, r.signValuesPlain);
    assert.deepEqual(r.verifyHoles, { value: true });
    assert.equal(r.missingTicket.code, "INVALID_TICKET", JSON.stringify(r.missingTicket));
    assert.deepEqual(r.redisKeys, { value: ["k1", "k2", "p:k3"] }, "createRedisTicketStore took a polluted prefix");
    assert.equal(r.ticketErrorCodes.code, "INVALID_OPTION", JSON.stringify(r.ticketErrorCodes));
  });
});

// ---------------------------------------------------------------------------
describe("large inputs are refused before they are copied into wasm memory", T, () => {
  // Each check runs on a fresh instance and bounds the growth of its wasm
  // memory: an input that was copied before being refused grows it by at
  // least its own size.
  test("sign(), signValues(), verifySign(): a 200-million-character field throws its code, memory flat", async () => {
    const r = await inFreshInstance(`
      const huge = "a".repeat(200_000_000);
      const opts = { appId: "IDAXXXXX", orderNo: "order001", ticket: input.ticket, nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T" };
      const ok = faceid.sign(opts);
      const base = memoryBytes();
      const out = { ok };
      const attempt = (name, fn) => {
        try {
          out[name] = { value: fn() };
        } catch (e) {
          out[name] = { code: e.code, message: e.message };
        }
      };
      attempt("orderNo", () => faceid.sign({ ...opts, orderNo: huge }));
      attempt("orderNoCjk", () => faceid.sign({ ...opts, orderNo: "订".repeat(100_000_000) }));
      attempt("appId", () => faceid.sign({ ...opts, appId: huge }));
      attempt("ticket", () => faceid.sign({ ...opts, ticket: huge }));
      attempt("nonce", () => faceid.sign({ ...opts, nonce: huge }));
      attempt("version", () => faceid.sign({ ...opts, version: huge }));
      attempt("signValues", () => faceid.signValues(["a", huge]));
      attempt("signValuesMany", () => faceid.signValues(Array.from({ length: 3 }, () => "b".repeat(400_000))));
      attempt("verifySign", () => faceid.verifySign(["a", huge], ok));
      attempt("verifySignHugeSignature", () => faceid.verifySign(["a"], huge));
      attempt("after", () => faceid.sign(opts));
      out.growth = memoryBytes() - base;
      return out;
    `, { input: { ticket: TICKET } });
    assert.equal(r.after.value, r.ok, "sign() still works");
    for (const [name, code, field] of [["orderNo", "INVALID_ORDER_NO", "orderNo"], ["orderNoCjk", "INVALID_ORDER_NO", "orderNo"],
      ["appId", "INVALID_APP_ID", "appId"], ["ticket", "INVALID_TICKET", "ticket"], ["nonce", "INVALID_NONCE", "nonce"],
      ["version", "INVALID_VERSION", "version"]]) {
      assert.equal(r[name].code, code, `${name}: ${JSON.stringify(r[name])}`);
      assert.match(r[name].message, new RegExp(`^${field} must be at most \\d+ characters; got (200000000|100000000)$`));
    }
    for (const name of ["signValues", "signValuesMany", "verifySign"]) {
      assert.equal(r[name].code, "INVALID_VALUE", `${name}: ${JSON.stringify(r[name])}`);
      assert.match(r[name].message, /the values total \d+ characters; at most 1048576/);
    }
    assert.deepEqual(r.verifySignHugeSignature, { value: false });
    assert.ok(r.growth < MB, `wasm memory grew by ${r.growth} bytes`);
  });

  test("client options and arguments: oversized strings throw their code, memory flat", async () => {
    const r = await inFreshInstance(`
      const huge = "a".repeat(200_000_000);
      const base = { appId: "IDAsim001", ticket: input.ticket, serverUrl: "http://127.0.0.1:9" };
      const client = new faceid.FaceIdClient(base);
      const out = {};
      const attempt = async (name, fn) => {
        try {
          out[name] = { value: await fn() };
        } catch (e) {
          out[name] = { code: e.code, message: e.message };
        }
      };
      const start = memoryBytes();
      for (const key of ["appId", "ticket", "secret", "version", "serverUrl", "kycUrl"]) {
        await attempt(key, () => new faceid.FaceIdClient({ ...base, ...(key === "secret" ? { ticket: undefined } : {}), [key]: huge }));
      }
      await attempt("orderNo", () => client.faceResult(huge));
      await attempt("getFile", () => client.faceResult("o1", { getFile: huge }));
      await attempt("kind", () => client.signedRequest(huge, "o1"));
      await attempt("ocrOrderNo", () => client.idCardOcr({ orderNo: huge, cardType: "portrait", image: "AAAA" }));
      await attempt("cardType", () => client.idCardOcr({ orderNo: "o1", cardType: huge, image: "AAAA" }));
      await attempt("userId", () => client.idCardOcr({ orderNo: "o1", cardType: "portrait", image: "AAAA", userId: huge }));
      await attempt("provider", () => new faceid.FaceIdClient({ ...base, ticket: undefined, ticketProvider: () => huge }).signedRequest("faceResult", "o1"));
      await attempt("nonceUser", () => new faceid.FaceIdClient({ ...base, ticket: undefined, secret: "s" }).nonceTicket(huge));
      await attempt("manager", () => new faceid.TicketManager({ appId: "IDAsim001", secret: huge }));
      out.growth = memoryBytes() - start;
      return out;
    `, { input: { ticket: TICKET } });
    for (const [name, code] of [["appId", "INVALID_APP_ID"], ["ticket", "INVALID_TICKET"], ["secret", "INVALID_OPTION"],
      ["version", "INVALID_VERSION"], ["serverUrl", "INVALID_URL"], ["kycUrl", "INVALID_URL"], ["orderNo", "INVALID_ORDER_NO"],
      ["getFile", "INVALID_OPTION"], ["kind", "INVALID_OPTION"], ["ocrOrderNo", "INVALID_ORDER_NO"], ["cardType", "INVALID_OPTION"],
      ["userId", "INVALID_USER_ID"], ["provider", "TICKET_UNAVAILABLE"], ["nonceUser", "INVALID_USER_ID"], ["manager", "INVALID_OPTION"]]) {
      assert.equal(r[name]?.code, code, `${name}: ${JSON.stringify(r[name])}`);
      assert.match(r[name].message, /at most \d+ characters; got 200000000/, name);
    }
    assert.ok(r.growth < MB, `wasm memory grew by ${r.growth} bytes`);
  });

  test("idCardOcr: base64 text over 20 MB is IMAGE_TOO_LARGE without entering wasm memory", async () => {
    const r = await inFreshInstance(`
      const client = new faceid.FaceIdClient({ appId: "IDAsim001", ticket: input.ticket, serverUrl: "http://127.0.0.1:9", kycUrl: "http://127.0.0.1:9" });
      const out = {};
      const start = memoryBytes();
      for (const [name, image] of [
        ["plus4", "A".repeat(20 * 1024 * 1024 + 4)],
        ["folded", ("A".repeat(76) + "\\r\\n").repeat(Math.ceil((20 * 1024 * 1024 + 4) / 76))],
        ["huge", "A".repeat(300_000_000)],
      ]) {
        try {
          await client.signedRequest("idCardOcr", "o1", { cardType: "portrait", image });
          out[name] = { value: "accepted" };
        } catch (e) {
          out[name] = { code: e.code, message: e.message };
        }
      }
      out.growth = memoryBytes() - start;
      return out;
    `, { input: { ticket: TICKET } });
    for (const name of ["plus4", "folded", "huge"]) {
      assert.equal(r[name].code, "IMAGE_TOO_LARGE", `${name}: ${JSON.stringify(r[name])}`);
      assert.match(r[name].message, /the service takes at most 20 MB/);
    }
    assert.ok(r.growth < MB, `wasm memory grew by ${r.growth} bytes`);
  });

  test("a retried idCardOcr sends the same image, encoded once per call, and holds no copy in wasm memory", async () => {
    const IMAGE_BYTES = 6 * MB;
    const orders = Array.from({ length: 4 }, () => newOrder("ocrRetry"));
    for (const orderNo of orders) sim.setOrder(orderNo, { fault: { type: "busy", times: 2 } });
    const r = await inFreshInstance(`
      const client = new faceid.FaceIdClient({
        appId: input.appId, ticket: input.ticket, serverUrl: input.url, kycUrl: input.url,
        retries: 2, retryDelayMs: 40, maxRetryDelayMs: 80, timeoutMs: 20000,
      });
      const image = new Uint8Array(input.imageBytes);
      image.set(input.jpeg);
      const start = memoryBytes();
      const results = await Promise.all(input.orders.map((orderNo) => client.idCardOcr({ orderNo, cardType: "portrait", image })));
      return { codes: results.map((x) => x.code), growth: memoryBytes() - start };
    `, { input: { appId: sim.appId, ticket: TICKET, url: sim.url, orders, imageBytes: IMAGE_BYTES, jpeg: [...SMALL_JPEG()] } });
    assert.deepEqual(r.codes, orders.map(() => "0"));
    const base64Length = Math.ceil(IMAGE_BYTES / 3) * 4;
    for (const orderNo of orders) {
      const log = sim.requests({ orderNo });
      assert.equal(log.length, 3, "two busy answers, then the answer");
      assert.deepEqual(log.map((e) => e.body.idcardStr), [base64Length, base64Length, base64Length]);
      assert.deepEqual(log.map((e) => e.imageFormat), ["jpeg", "jpeg", "jpeg"]);
      assert.equal(new Set(log.map((e) => e.body.nonce)).size, 3, "a fresh nonce per attempt");
    }
    // One call's bytes and base64 at a time (14 MB): the four calls, in
    // flight together, hold nothing in wasm memory between their attempts.
    // Holding a copy per call would take 4 x 6 MB, plus the encodings.
    assert.ok(r.growth < 20 * MB, `wasm memory grew by ${(r.growth / MB).toFixed(1)} MB for 4 x 6 MB images`);
  });
});
