// FaceIdClient of the packed faceid-edge package inside a real workerd,
// against the loopback WeBank simulator. The worker answers `POST /run
// { method, args, options }`: it creates a client from its bindings (SIM_URL,
// APP_ID, TICKET), runs one call and answers JSON, with media replaced by
// { mime, length, head, sha256 } from decodeMedia and errors as
// { error: { name, code, status, message } }. This proves the client's global
// fetch, AbortController and timers work in workerd.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KNOWN_CODES, startSimulator } from "../sim/index.mjs";
import {
  bankCard, dataUrlFolded, expectedFace, expectedIdCardOcr, expectedIdCardOcrResult, leaks, mediaBytes, newOrder,
  referenceSign, sha256, SMALL_JPEG, SMALL_PNG, TICKET,
} from "./lib/client-fixtures.mjs";
import { installedPackage } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

const WORKER = `import init, { FaceIdClient, FaceIdError, decodeMedia } from "faceid-edge";

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// JSON can't carry bytes: { $bytes: base64 } and { $zeros: n, head: base64 } become Uint8Arrays.
function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== "object") return value;
  if ("$bytes" in value) return Uint8Array.from(atob(value.$bytes), (c) => c.charCodeAt(0));
  if ("$zeros" in value) {
    const out = new Uint8Array(value.$zeros);
    if (value.head) out.set(Uint8Array.from(atob(value.head), (c) => c.charCodeAt(0)));
    return out;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
}

// Media fields become { mime, length, head, sha256 }.
async function summarize(r) {
  if (r === null || typeof r !== "object" || !r.result) return r;
  const out = { ...r, result: { ...r.result } };
  for (const m of decodeMedia(r)) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", m.bytes));
    out.result[m.field] = { mime: m.mime, length: m.bytes.byteLength, head: hex(m.bytes.subarray(0, 8)), sha256: hex(digest) };
  }
  return out;
}

export default {
  async fetch(request, env) {
    await init();
    const url = new URL(request.url);
    if (url.pathname !== "/run") return Response.json({ ready: true });
    const { method, args = [], options = {}, provider = false } = await request.json();
    try {
      const settings = {
        appId: env.APP_ID, serverUrl: env.SIM_URL, kycUrl: env.SIM_URL,
        retryDelayMs: 1, maxRetryDelayMs: 4, filePollIntervalMs: 5, ...revive(options),
      };
      if (provider) settings.ticketProvider = async () => env.TICKET;
      else settings.ticket ??= env.TICKET;
      const client = new FaceIdClient(settings);
      let value;
      if (method === "toJSON") {
        value = JSON.parse(JSON.stringify(client));
      } else if (method === "signedRequest") {
        const req = await client.signedRequest(...revive(args));
        const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
        value = { request: req, status: res.status, answer: await res.json() };
      } else {
        value = await summarize(await client[method](...revive(args)));
      }
      return Response.json({ value });
    } catch (e) {
      return Response.json({ error: {
        name: e?.name, code: e?.code, status: e?.status, message: String(e?.message ?? e),
        isFaceIdError: e instanceof FaceIdError, stack: String(e?.stack),
      } });
    }
  },
};
`;

let sim, wd;
before(async () => {
  sim = await startSimulator({ ticket: TICKET });
  wd = await startWorkerd({
    projectDir: installedPackage().projectDir,
    workerSource: WORKER,
    bindings: [{ name: "SIM_URL", text: sim.url }, { name: "APP_ID", text: sim.appId }, { name: "TICKET", text: TICKET }],
  });
});
after(async () => {
  await wd?.stop();
  await sim?.stop();
});

/** Every raw answer of the worker, for the final leak check. */
const answers = [];

async function run(method, args = [], { options, provider } = {}) {
  const response = await fetch(`${wd.url}/run`, {
    method: "POST",
    body: JSON.stringify({ method, args, options, provider }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  answers.push(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method}: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}\n${wd.output()}`);
  }
}

/** The call's value; fails with the worker's error otherwise. */
async function value(method, args, o) {
  const answer = await run(method, args, o);
  assert.equal(answer.error, undefined, `${method}: ${JSON.stringify(answer.error)}`);
  return answer.value;
}

/** The call's error, checked to be a FaceIdError with `code`. */
async function failure(method, args, code, o) {
  const answer = await run(method, args, o);
  assert.ok(answer.error, `${method}: expected ${code}, got ${JSON.stringify(answer.value)?.slice(0, 300)}`);
  const e = answer.error;
  assert.equal(e.isFaceIdError, true, JSON.stringify(e));
  assert.equal(e.name, "FaceIdError");
  assert.equal(e.code, code, e.message);
  assert.equal(leaks(e.message + e.stack), false);
  return e;
}

const lastSeq = () => sim.requests().at(-1)?.seq ?? 0;
const log = (orderNo) => sim.requests({ orderNo });
const jpeg = () => ({ $bytes: SMALL_JPEG().toString("base64") });
const ocrArgs = (orderNo, o = {}) => [{ orderNo, cardType: "portrait", image: jpeg(), ...o }];

function assertOk(r, orderNo) {
  assert.equal(r.ok, true, `${r.code} ${r.msg}`);
  assert.equal(r.code, "0");
  assert.equal(r.msg, "请求成功");
  assert.match(r.bizSeqNo, /^\d{32}$/);
  assert.match(r.transactionTime, /^\d{14}$/);
  assert.equal(r.orderNo, orderNo);
  assert.equal(r.codeInfo.kind, "success");
  assert.equal(r.filesPending, false);
  assert.equal("success" in r.result, false);
}

test("success on every method, with the simulator's values", async () => {
  const checks = {
    faceResult: [[], (r, o) => assert.deepEqual(pick(r.result, expectedFace(o)), expectedFace(o))],
    liveResult: [[], (r) => assert.equal(r.result.liveRate, "100")],
    idCardOcrResult: [[], (r, o) => assert.deepEqual(pick(r.result, expectedIdCardOcrResult(o)), expectedIdCardOcrResult(o))],
    bankCardOcrResult: [[], (r, o) => assert.deepEqual(pick(r.result, bankCard(o)), bankCard(o))],
    queryFaceRecord: [[], (r, o) => assert.deepEqual(pick(r.result, expectedFace(o)), expectedFace(o))],
  };
  for (const [method, [extra, check]] of Object.entries(checks)) {
    const orderNo = newOrder(`wd${method}`);
    const r = await value(method, [orderNo, ...extra]);
    assertOk(r, orderNo);
    check(r, orderNo);
    const [e, ...more] = log(orderNo);
    assert.deepEqual(more, [], method);
    assert.equal(e.verdict, "ok");
    const { nonce, sign } = e.query.nonce ? e.query : e.body;
    assert.equal(sign, referenceSign([sim.appId, orderNo, "1.0.0", TICKET, nonce]));
  }
  const orderNo = newOrder("wdUpload");
  const r = await value("idCardOcr", ocrArgs(orderNo, { userId: "wduser1" }));
  assertOk(r, orderNo);
  const want = expectedIdCardOcr(orderNo, "portrait");
  assert.deepEqual(pick(r.result, want), want);
  assert.equal(log(orderNo)[0].body.userId, "wduser1");
});

function pick(obj, like) {
  return Object.fromEntries(Object.keys(like).map((k) => [k, obj[k]]));
}

test("business failures on every method, with codeInfo", async () => {
  for (const [method, code, kind] of [
    ["faceResult", "66660017", "risk"], ["liveResult", "400604", "not_live"], ["idCardOcrResult", "66660020", "no_result"],
    ["bankCardOcrResult", "66661004", "ocr"], ["queryFaceRecord", "66660018", "expired"], ["idCardOcr", "66661002", "ocr"],
  ]) {
    const orderNo = newOrder("wdFail");
    sim.setOrder(orderNo, { code });
    const r = await value(method, method === "idCardOcr" ? ocrArgs(orderNo) : [orderNo]);
    assert.equal(r.ok, false, method);
    assert.equal(r.code, code);
    assert.equal(r.msg, KNOWN_CODES[code]);
    assert.equal(r.codeInfo.kind, kind);
    assert.equal(r.result.name, undefined);
  }
});

test("bad input on every method is rejected before any request", async () => {
  const seq = lastSeq();
  for (const [method, args, code] of [
    ["faceResult", ["bad-order"], "INVALID_ORDER_NO"], ["liveResult", ["ok1", { getFile: "2" }], "INVALID_OPTION"],
    ["idCardOcrResult", ["ok1", { getFile: "all" }], "INVALID_OPTION"], ["bankCardOcrResult", ["x".repeat(33)], "INVALID_ORDER_NO"],
    ["queryFaceRecord", [null], "INVALID_ORDER_NO"], ["idCardOcr", ocrArgs("ok1", { cardType: "front" }), "INVALID_OPTION"],
    ["idCardOcr", ocrArgs("ok1", { image: "!!!!" }), "INVALID_IMAGE"], ["idCardOcr", ocrArgs("ok1", { userId: "a b" }), "INVALID_USER_ID"],
    ["idCardOcr", ocrArgs("ok1", { image: { $zeros: (15 << 20) + 1, head: SMALL_JPEG().toString("base64") } }), "IMAGE_TOO_LARGE"],
  ]) {
    await failure(method, args, code);
  }
  await failure("faceResult", ["ok1"], "INVALID_OPTION", { options: { timeoutMs: 0 } });
  await failure("faceResult", ["ok1"], "INVALID_URL", { options: { serverUrl: "ftp://x" } });
  assert.deepEqual(sim.requests().filter((e) => e.seq > seq), []);
});

test("a wrong ticket gets the signature error; an async ticketProvider works", async () => {
  for (const method of ["faceResult", "queryFaceRecord"]) {
    const orderNo = newOrder("wdWrong");
    const r = await value(method, [orderNo], { options: { ticket: `Wr${TICKET.slice(2)}` } });
    assert.equal(r.code, "400101", r.msg);
    assert.equal(r.codeInfo, null);
  }
  const orderNo = newOrder("wdProvider");
  assertOk(await value("bankCardOcrResult", [orderNo], { provider: true }), orderNo);
  assert.deepEqual(await value("toJSON", [], { provider: true }), {
    appId: sim.appId, version: "1.0.0", serverUrl: sim.url, kycUrl: sim.url, ticketSource: "ticketProvider",
  });
});

test("faults: TIMEOUT, HTTP_STATUS, BAD_RESPONSE, NETWORK", async () => {
  const slow = newOrder("wdSlow");
  sim.setOrder(slow, { fault: { type: "slow", delayMs: 5000 } });
  const start = Date.now();
  await failure("faceResult", [slow], "TIMEOUT", { options: { timeoutMs: 300 } });
  assert.ok(Date.now() - start < 3000, `took ${Date.now() - start} ms`);

  const status = newOrder("wdStatus");
  sim.setOrder(status, { fault: { type: "status", status: 503 } });
  assert.equal((await failure("queryFaceRecord", [status], "HTTP_STATUS")).status, 503);
  const html = newOrder("wdHtml");
  sim.setOrder(html, { fault: { type: "html" } });
  assert.equal((await failure("liveResult", [html], "HTTP_STATUS")).status, 502);

  for (const method of ["idCardOcrResult", "idCardOcr"]) {
    const truncated = newOrder("wdTrunc");
    sim.setOrder(truncated, { fault: { type: "truncated" } });
    await failure(method, method === "idCardOcr" ? ocrArgs(truncated) : [truncated], "BAD_RESPONSE");
  }

  const reset = newOrder("wdReset");
  sim.setOrder(reset, { fault: { type: "reset" }, photoBytes: 200_000 });
  await failure("faceResult", [reset, { getFile: "photo" }], "NETWORK");
  const closed = `http://127.0.0.1:${await freePort()}`;
  await failure("bankCardOcrResult", ["wdClosed1"], "NETWORK", { options: { serverUrl: closed } });
});

test("busy retries and file polls", async () => {
  const busy = newOrder("wdBusy");
  sim.setOrder(busy, { fault: { type: "busy", code: "999998", times: 2 } });
  assertOk(await value("faceResult", [busy]), busy);
  assert.equal(log(busy).length, 3);
  assert.equal(new Set(log(busy).map((e) => e.query.nonce)).size, 3);
  const busyOut = newOrder("wdBusyOut");
  sim.setOrder(busyOut, { fault: { type: "busy" } });
  const r = await value("idCardOcr", ocrArgs(busyOut));
  assert.equal(r.code, "999999");
  assert.equal(r.codeInfo.retryable, true);
  assert.equal(log(busyOut).length, 3);

  const lag = newOrder("wdLag");
  sim.setOrder(lag, { filesLagPolls: 2 });
  const l = await value("liveResult", [lag, { getFile: "all" }]);
  assertOk(l, lag);
  assert.equal(l.result.video.mime, "video/mp4");
  assert.equal(log(lag).length, 3);
  const pending = newOrder("wdPending");
  sim.setOrder(pending, { filesLagPolls: 9 });
  const p = await value("idCardOcrResult", [pending, { getFile: true }], { options: { filePolls: 1 } });
  assert.equal(p.filesPending, true);
  assert.equal(log(pending).length, 2);
});

test("a 5 MB photo and a 2 MB video round trip through decodeMedia", async () => {
  const orderNo = newOrder("wdBig");
  sim.setOrder(orderNo, { photoBytes: 5 << 20, videoBytes: 2 << 20 });
  const r = await value("queryFaceRecord", [orderNo, { getFile: "all" }]);
  assertOk(r, orderNo);
  assert.deepEqual(r.result.photo, {
    mime: "image/jpeg", length: 5 << 20, head: "ffd8ffe000104a46", sha256: sha256(mediaBytes("jpeg", 5 << 20)),
  });
  assert.deepEqual(r.result.video, {
    mime: "video/mp4", length: 2 << 20, head: mediaBytes("mp4", 64).subarray(0, 8).toString("hex"),
    sha256: sha256(mediaBytes("mp4", 2 << 20)),
  });
  const png = newOrder("wdPng");
  sim.setOrder(png, { photoFormat: "png", photoBytes: 100_000 });
  const o = await value("bankCardOcrResult", [png, { getFile: true }]);
  assert.deepEqual(o.result.bankcardNoPhoto, {
    mime: "image/png", length: 100_000, head: "89504e470d0a1a0a", sha256: sha256(mediaBytes("png", 100_000)),
  });
});

test("idCardOcr with a data: URL with line breaks, and with 20 MB of base64", async () => {
  const orderNo = newOrder("wdDataUrl");
  const png = SMALL_PNG();
  assertOk(await value("idCardOcr", [{ orderNo, cardType: "emblem", image: dataUrlFolded(png, "image/png") }]), orderNo);
  assert.equal(log(orderNo)[0].body.idcardStr, png.toString("base64").length);
  assert.equal(log(orderNo)[0].imageFormat, "png");
  const big = newOrder("wdBigUpload");
  const r = await value("idCardOcr", ocrArgs(big, { image: { $zeros: 15 << 20, head: SMALL_JPEG().toString("base64") } }));
  assertOk(r, big);
  assert.equal(log(big)[0].body.idcardStr, 20971520);
});

test("signedRequest output sent with the worker's own fetch (GET and POST)", async () => {
  for (const [kind, args] of [["faceResult", { getFile: "photo" }], ["idCardOcr", { cardType: "portrait", image: jpeg() }]]) {
    const orderNo = newOrder("wdSigned");
    const v = await value("signedRequest", [kind, orderNo, args]);
    assert.equal(v.status, 200);
    assert.equal(v.answer.code, "0", v.answer.msg);
    assert.equal(v.request.method, kind === "faceResult" ? "GET" : "POST");
    assert.equal(log(orderNo)[0].verdict, "ok");
  }
});

test("concurrent worker requests: all succeed, every nonce fresh", async () => {
  const orders = Array.from({ length: 12 }, () => newOrder("wdPar"));
  const results = await Promise.all(orders.map((o, i) =>
    value(["faceResult", "liveResult", "queryFaceRecord"][i % 3], [o])));
  results.forEach((r, i) => assertOk(r, orders[i]));
  const nonces = orders.flatMap((o) => log(o)).map((e) => e.query.nonce ?? e.body.nonce);
  assert.equal(new Set(nonces).size, 12);
});

test("the ticket never shows: toJSON, answers, errors, the wire", async () => {
  assert.deepEqual(await value("toJSON"), {
    appId: sim.appId, version: "1.0.0", serverUrl: sim.url, kycUrl: sim.url, ticketSource: "ticket",
  });
  for (const text of answers) assert.equal(leaks(text), false, text.slice(0, 300));
  assert.equal(leaks(JSON.stringify(sim.requests())), false);
  assert.deepEqual(sim.requests().filter((e) => e.verdict === "400100" || e.verdict === "400102"), []);
});
