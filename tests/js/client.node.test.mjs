// FaceIdClient of the packed faceid-edge package, in Node 20, against the
// loopback WeBank simulator (tests/sim/): every documented endpoint (success, business
// failure, bad input), shapes, getFile, file polls, busy retries, transport
// faults, nonces, media, ID card images, signedRequest, ticketProvider, and
// the SIGN ticket never showing anywhere.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import util from "node:util";
import { KNOWN_CODES, startSimulator } from "../sim/index.mjs";
import {
  assertServiceTime, bankCard, dataUrlFolded, errorText, expectedFace, expectedIdCardOcr, expectedIdCardOcrResult,
  expectedMedia, idCardValid, leaks, luhnValid, mediaBytes, newOrder, person, referenceSign, SMALL_JPEG, SMALL_PNG,
  startStub, TICKET,
} from "./lib/client-fixtures.mjs";
import { installedPackage, resolveExport } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";

const pkg = installedPackage();
const entry = resolveExport(pkg.manifest, ["node", "import"]);
const faceid = await import(pathToFileURL(join(pkg.packageDir, entry)).href);
const { FaceIdClient, FaceIdError, codeInfo, decodeMedia } = faceid;

const T = { timeout: 30_000 };
const RESULT_KEYS = ["ok", "code", "msg", "bizSeqNo", "transactionTime", "orderNo", "result", "codeInfo", "filesPending"];
const PATHS = {
  faceResult: "/api/server/sync",
  liveResult: "/api/server/getLiveResult",
  idCardOcrResult: "/api/server/getOcrResult",
  bankCardOcrResult: "/api/server/getBankCardOcrResult",
  queryFaceRecord: "/api/v2/base/queryfacerecord",
  idCardOcr: "/api/paas/idcardocrapp",
};
const QUERIES = ["faceResult", "liveResult", "idCardOcrResult", "bankCardOcrResult", "queryFaceRecord"];

let sim;
/** Every error the client produced in this file, for the final leak check. */
const caught = [];

before(async () => {
  sim = await startSimulator({ ticket: TICKET });
});
after(() => sim?.stop());

/** A client for the simulator; small delays so that retries and polls stay fast. */
function client(options = {}) {
  return new FaceIdClient({
    appId: sim.appId, ticket: TICKET, serverUrl: sim.url, kycUrl: sim.url,
    timeoutMs: 5000, retryDelayMs: 1, maxRetryDelayMs: 4, filePollIntervalMs: 5, ...options,
  });
}

/** Runs `method` the way a user calls it (idCardOcr takes one input object). */
function call(c, method, orderNo, options) {
  if (method === "idCardOcr") return c.idCardOcr({ orderNo, cardType: "portrait", image: SMALL_JPEG(), ...options });
  return c[method](orderNo, options);
}

const lastSeq = () => sim.requests().at(-1)?.seq ?? 0;
const sentSince = (seq) => sim.requests().filter((e) => e.seq > seq);
const log = (orderNo) => sim.requests({ orderNo });

/** Awaits `p` (or calls it), expects a FaceIdError with `code`, checks it leaks nothing. */
async function rejects(p, code) {
  let error;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected FaceIdError ${code}, but it resolved`);
  caught.push(error);
  assert.ok(error instanceof FaceIdError, `not a FaceIdError: ${error?.stack}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "FaceIdError");
  assert.equal(error.code, code, `${error.code}: ${error.message}`);
  assert.ok(error.message.length > 10, error.message);
  if (code !== "HTTP_STATUS") assert.equal("status" in error, false, "status only on HTTP_STATUS");
  assert.equal(leaks(errorText(error)), false, `the ticket shows in ${errorText(error)}`);
  return error;
}

/** Like `rejects`, and the simulator saw no request meanwhile. */
async function rejectsUnsent(fn, code) {
  const seq = lastSeq();
  const error = await rejects(fn, code);
  assert.deepEqual(sentSince(seq), [], `a request was sent before ${code}`);
  return error;
}

/** The common checks of a successful answer. */
function assertOk(r, orderNo) {
  assert.deepEqual(Object.keys(r).sort(), [...RESULT_KEYS].sort());
  assert.equal(r.ok, true, JSON.stringify({ ...r, result: undefined }));
  assert.equal(r.code, "0");
  assert.equal(r.msg, "请求成功");
  assert.match(r.bizSeqNo, /^\d{32}$/);
  assertServiceTime(r.transactionTime, "transactionTime");
  assert.equal(r.orderNo, orderNo);
  assert.deepEqual(r.codeInfo, { kind: "success", en: "success", zh: "成功", retryable: false });
  assert.equal(r.filesPending, false);
  assert.equal(typeof r.result, "object");
  assert.equal("success" in r.result, false, "result.success is dropped");
  for (const k of ["code", "msg"]) assert.equal(k in r.result, false, `envelope field ${k} in result`);
}

/** The common checks of a business failure answer. */
function assertFailure(r, orderNo, code, kind) {
  assert.deepEqual(Object.keys(r).sort(), [...RESULT_KEYS].sort());
  assert.equal(r.ok, false);
  assert.equal(r.code, code);
  assert.equal(r.msg, KNOWN_CODES[code], "msg verbatim");
  assert.equal(r.orderNo, orderNo);
  assert.match(r.bizSeqNo, /^\d{32}$/);
  assert.equal(r.filesPending, false);
  assert.equal(r.codeInfo?.kind, kind, JSON.stringify(r.codeInfo));
  assert.deepEqual(r.codeInfo, codeInfo(code));
  assert.equal(r.codeInfo.retryable, false);
  assert.equal("success" in r.result, false);
}

/** The request the client sent for a GET query: exactly the documented parameters, correctly signed. */
function assertGetRequest(e, path, orderNo, getFile, version = "1.0.0") {
  assert.equal(e.method, "GET");
  assert.equal(e.path, path);
  assert.equal(e.verdict, "ok", e.reason);
  const q = e.query;
  const keys = ["app_id", "nonce", "order_no", "sign", "version", ...(getFile === undefined ? [] : ["get_file"])];
  assert.deepEqual(Object.keys(q).sort(), keys.sort());
  assert.equal(q.app_id, sim.appId);
  assert.equal(q.order_no, orderNo);
  assert.equal(q.version, version);
  assert.equal(q.get_file, getFile);
  assert.match(q.nonce, /^[A-Za-z0-9]{32}$/);
  assert.equal(q.sign, referenceSign([sim.appId, orderNo, version, TICKET, q.nonce]), "uppercase SHA-1 over the sorted values");
}

/** Decoded media as { field: { mime, size, equal } } against the expected bytes. */
function media(result, expected) {
  return Object.fromEntries(decodeMedia(result).map((m) => {
    assert.ok(m.bytes instanceof Uint8Array);
    const want = expected[m.field];
    return [m.field, { mime: m.mime, size: m.bytes.byteLength, equal: want ? Buffer.from(m.bytes).equals(want) : null }];
  }));
}

// ---------------------------------------------------------------------------
describe("faceResult (GET /api/server/sync)", T, () => {
  test("success: the simulator's person, values verbatim, one signed GET", async () => {
    const orderNo = newOrder("face");
    const r = await client().faceResult(orderNo);
    assertOk(r, orderNo);
    const p = person(orderNo);
    assert.deepEqual(
      Object.keys(r.result).sort(),
      ["app_id", "bizSeqNo", "idNo", "idType", "liveRate", "name", "occurredTime", "orderNo", "order_no", "similarity", "transactionTime"],
    );
    assert.deepEqual({ ...r.result, occurredTime: undefined, bizSeqNo: undefined, transactionTime: undefined }, {
      ...expectedFace(orderNo), orderNo, app_id: sim.appId, order_no: orderNo,
      occurredTime: undefined, bizSeqNo: undefined, transactionTime: undefined,
    });
    assert.equal(r.result.idNo, p.idcard);
    assert.ok(idCardValid(r.result.idNo), r.result.idNo);
    assert.equal(r.result.similarity, "95.0", "a string stays a string, '.0' kept");
    assertServiceTime(r.result.occurredTime, "occurredTime");
    assert.ok(r.result.occurredTime <= r.transactionTime);
    assert.equal(r.result.bizSeqNo, r.bizSeqNo);
    const [e, ...more] = log(orderNo);
    assert.deepEqual(more, [], "one request");
    assertGetRequest(e, PATHS.faceResult, orderNo, undefined);
  });

  test("business failures come back (not thrown) with code, msg and codeInfo, and are not retried", async () => {
    for (const [code, kind] of [["66660011", "no_result"], ["66660017", "risk"], ["66660018", "expired"],
      ["66660016", "bad_video"], ["400604", "not_live"]]) {
      const orderNo = newOrder(`faceFail${code}`);
      sim.setOrder(orderNo, { code });
      const r = await client().faceResult(orderNo, { getFile: "all" });
      assertFailure(r, orderNo, code, kind);
      assert.equal(r.result.name, undefined);
      assert.equal(r.result.photo, undefined);
      assert.equal(log(orderNo).length, 1, `${code}: no retry, no file poll`);
    }
  });

  test("an unknown code: codeInfo null, msg verbatim", async () => {
    const orderNo = newOrder("faceOdd");
    sim.setOrder(orderNo, { code: "12345678", msg: "未知错误 unknown <&> \"quoted\"" });
    const r = await client().faceResult(orderNo);
    assert.equal(r.ok, false);
    assert.equal(r.code, "12345678");
    assert.equal(r.msg, "未知错误 unknown <&> \"quoted\"");
    assert.equal(r.codeInfo, null);
  });

  test("bad input is rejected before any request", async () => {
    const c = client();
    for (const [orderNo, options, code] of [
      ["bad-order", undefined, "INVALID_ORDER_NO"], ["a".repeat(33), undefined, "INVALID_ORDER_NO"],
      ["", undefined, "INVALID_ORDER_NO"], [12345, undefined, "INVALID_ORDER_NO"], [null, undefined, "INVALID_ORDER_NO"],
      ["订单1", undefined, "INVALID_ORDER_NO"], ["ok1", { getFile: "both" }, "INVALID_OPTION"],
      ["ok1", { getFile: true }, "INVALID_OPTION"], ["ok1", { getFile: 1 }, "INVALID_OPTION"],
      ["ok1", "all", "INVALID_ARGUMENT"],
    ]) {
      await rejectsUnsent(() => c.faceResult(orderNo, options), code);
    }
  });
});

// ---------------------------------------------------------------------------
describe("liveResult (GET /api/server/getLiveResult)", T, () => {
  test("success: liveRate and occurredTime, no identity fields", async () => {
    const orderNo = newOrder("live");
    const r = await client().liveResult(orderNo);
    assertOk(r, orderNo);
    assert.deepEqual(Object.keys(r.result).sort(), ["app_id", "bizSeqNo", "liveRate", "occurredTime", "orderNo", "transactionTime"]);
    assert.equal(r.result.liveRate, "100");
    assert.equal(r.result.app_id, sim.appId);
    assertServiceTime(r.result.occurredTime, "occurredTime");
    assertGetRequest(log(orderNo)[0], PATHS.liveResult, orderNo, undefined);
  });

  test("business failures: 400604 not live, 66660018 expired", async () => {
    for (const [code, kind] of [["400604", "not_live"], ["66660018", "expired"]]) {
      const orderNo = newOrder("liveFail");
      sim.setOrder(orderNo, { code });
      assertFailure(await client().liveResult(orderNo), orderNo, code, kind);
    }
  });

  test("bad input is rejected before any request", async () => {
    const c = client();
    await rejectsUnsent(() => c.liveResult("has space"), "INVALID_ORDER_NO");
    await rejectsUnsent(() => c.liveResult(undefined), "INVALID_ORDER_NO");
    await rejectsUnsent(() => c.liveResult("ok2", { getFile: "2" }), "INVALID_OPTION");
  });
});

// ---------------------------------------------------------------------------
describe("idCardOcrResult (GET /api/server/getOcrResult)", T, () => {
  test("success: both sides of the simulator's ID card, verbatim", async () => {
    const orderNo = newOrder("ocr");
    const r = await client().idCardOcrResult(orderNo);
    assertOk(r, orderNo);
    const want = expectedIdCardOcrResult(orderNo);
    for (const [k, v] of Object.entries(want)) assert.equal(r.result[k], v, k);
    assert.ok(idCardValid(r.result.idcard));
    assert.match(r.result.validDate, /^\d{8}-(\d{8}|长期)$/);
    assertServiceTime(r.result.operateTime, "operateTime");
    for (const f of ["frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"]) assert.equal(r.result[f], undefined);
    assertGetRequest(log(orderNo)[0], PATHS.idCardOcrResult, orderNo, undefined);
  });

  test("business failures: 66660020 no OCR result, 66661003 wrong side", async () => {
    for (const [code, kind] of [["66660020", "no_result"], ["66661003", "ocr"], ["66661099", "ocr"]]) {
      const orderNo = newOrder("ocrFail");
      sim.setOrder(orderNo, { code, msg: KNOWN_CODES[code] ?? "OCR 图片问题" });
      const r = await client().idCardOcrResult(orderNo, { getFile: true });
      assert.equal(r.ok, false);
      assert.equal(r.code, code);
      assert.equal(r.codeInfo?.kind, kind);
      assert.equal(r.result.name, undefined);
      assert.equal(log(orderNo).length, 1);
    }
  });

  test("bad input: getFile takes a boolean here", async () => {
    const c = client();
    await rejectsUnsent(() => c.idCardOcrResult("ok3", { getFile: "all" }), "INVALID_OPTION");
    await rejectsUnsent(() => c.idCardOcrResult("ok3", { getFile: 1 }), "INVALID_OPTION");
    await rejectsUnsent(() => c.idCardOcrResult("x".repeat(40)), "INVALID_ORDER_NO");
  });
});

// ---------------------------------------------------------------------------
describe("bankCardOcrResult (GET /api/server/getBankCardOcrResult)", T, () => {
  test("success: the simulator's Luhn-valid bank card, verbatim", async () => {
    const orderNo = newOrder("bank");
    const r = await client().bankCardOcrResult(orderNo);
    assertOk(r, orderNo);
    const card = bankCard(orderNo);
    assert.equal(r.result.bankCardNo, card.bankCardNo);
    assert.equal(r.result.bankCardValidDate, card.bankCardValidDate);
    assert.ok(luhnValid(r.result.bankCardNo), r.result.bankCardNo);
    assert.match(r.result.bankCardValidDate, /^\d{2}\/\d{4}$/);
    assertServiceTime(r.result.operateTime, "operateTime");
    assertGetRequest(log(orderNo)[0], PATHS.bankCardOcrResult, orderNo, undefined);
  });

  test("business failures: 66660020, 66661004", async () => {
    for (const [code, kind] of [["66660020", "no_result"], ["66661004", "ocr"]]) {
      const orderNo = newOrder("bankFail");
      sim.setOrder(orderNo, { code });
      assertFailure(await client().bankCardOcrResult(orderNo), orderNo, code, kind);
    }
  });

  test("bad input is rejected before any request", async () => {
    const c = client();
    await rejectsUnsent(() => c.bankCardOcrResult("bad/order"), "INVALID_ORDER_NO");
    await rejectsUnsent(() => c.bankCardOcrResult("ok4", { getFile: "yes" }), "INVALID_OPTION");
  });
});

// ---------------------------------------------------------------------------
describe("queryFaceRecord (POST {kyc}/api/v2/base/queryfacerecord)", T, () => {
  test("success: a signed JSON POST, the face payload", async () => {
    const orderNo = newOrder("rec");
    const r = await client().queryFaceRecord(orderNo);
    assertOk(r, orderNo);
    for (const [k, v] of Object.entries(expectedFace(orderNo))) assert.equal(r.result[k], v, k);
    assert.equal(r.result.app_id, undefined, "no top-level extras on this endpoint");
    const [e, ...more] = log(orderNo);
    assert.deepEqual(more, []);
    assert.equal(e.method, "POST");
    assert.equal(e.path, PATHS.queryFaceRecord);
    assert.equal(e.verdict, "ok", e.reason);
    assert.deepEqual(e.query, { orderNo });
    assert.deepEqual(Object.keys(e.body).sort(), ["appId", "getFile", "nonce", "orderNo", "queryVersion", "sign", "version"]);
    assert.equal(e.body.appId, sim.appId);
    assert.equal(e.body.getFile, "0");
    assert.equal(e.body.queryVersion, "1.0");
    assert.equal(e.body.sign, referenceSign([sim.appId, orderNo, "1.0.0", TICKET, e.body.nonce]));
  });

  test("business failures: 66660011, 66660018", async () => {
    for (const [code, kind] of [["66660011", "no_result"], ["66660018", "expired"]]) {
      const orderNo = newOrder("recFail");
      sim.setOrder(orderNo, { code });
      assertFailure(await client().queryFaceRecord(orderNo, { getFile: "photo" }), orderNo, code, kind);
      assert.equal(log(orderNo).length, 1);
    }
  });

  test("bad input is rejected before any request", async () => {
    const c = client();
    await rejectsUnsent(() => c.queryFaceRecord("bad.order"), "INVALID_ORDER_NO");
    await rejectsUnsent(() => c.queryFaceRecord("ok5", { getFile: "3" }), "INVALID_OPTION");
  });
});

// ---------------------------------------------------------------------------
describe("idCardOcr (POST {kyc}/api/paas/idcardocrapp)", T, () => {
  test("success, portrait side from a Uint8Array JPEG, with userId", async () => {
    const orderNo = newOrder("upl");
    const image = SMALL_JPEG();
    const r = await client().idCardOcr({ orderNo, cardType: "portrait", image, userId: "user01A" });
    assertOk(r, orderNo);
    const want = expectedIdCardOcr(orderNo, "portrait");
    for (const [k, v] of Object.entries(want)) assert.equal(r.result[k], v, k);
    assert.equal(r.result.authority, undefined);
    assert.match(r.result.sign, /^[0-9A-F]{40}$/);
    assert.match(r.result.ocrId, /^[0-9a-f]{32}$/);
    const [e, ...more] = log(orderNo);
    assert.deepEqual(more, []);
    assert.equal(e.method, "POST");
    assert.equal(e.path, PATHS.idCardOcr);
    assert.equal(e.verdict, "ok", e.reason);
    assert.deepEqual(e.query, { orderNo });
    assert.deepEqual(Object.keys(e.body).sort(), ["cardType", "idcardStr", "nonce", "orderNo", "sign", "userId", "version", "webankAppId"]);
    assert.equal(e.body.cardType, "0");
    assert.equal(e.body.userId, "user01A");
    assert.equal(e.body.idcardStr, Buffer.from(image).toString("base64").length);
    assert.equal(e.imageFormat, "jpeg");
    assert.equal(e.body.sign, referenceSign([sim.appId, orderNo, "1.0.0", TICKET, e.body.nonce]));
  });

  test("success, emblem side from a PNG", async () => {
    const orderNo = newOrder("uplBack");
    const r = await client().idCardOcr({ orderNo, cardType: "emblem", image: SMALL_PNG() });
    assertOk(r, orderNo);
    const want = expectedIdCardOcr(orderNo, "emblem");
    for (const [k, v] of Object.entries(want)) assert.equal(r.result[k], v, k);
    assert.equal(r.result.name, undefined, "the emblem side has no name");
    const [e] = log(orderNo);
    assert.equal(e.body.cardType, "1");
    assert.equal("userId" in e.body, false);
    assert.equal(e.imageFormat, "png");
  });

  test("business failures: 66661001 angle, 66661002 expired card", async () => {
    for (const code of ["66661001", "66661002"]) {
      const orderNo = newOrder("uplFail");
      sim.setOrder(orderNo, { code });
      const r = await client().idCardOcr({ orderNo, cardType: "portrait", image: SMALL_JPEG() });
      assertFailure(r, orderNo, code, "ocr");
      assert.equal(r.result.name, undefined);
    }
  });

  test("bad input is rejected before any request", async () => {
    const c = client();
    const jpeg = SMALL_JPEG();
    const input = (o) => ({ orderNo: "ok6", cardType: "portrait", image: jpeg, ...o });
    for (const [value, code] of [
      [input({ cardType: "front" }), "INVALID_OPTION"], [input({ cardType: 0 }), "INVALID_OPTION"],
      [input({ cardType: undefined }), "INVALID_OPTION"], [input({ image: undefined }), "INVALID_IMAGE"],
      [input({ image: 42 }), "INVALID_IMAGE"], [input({ image: [0xff, 0xd8, 0xff] }), "INVALID_IMAGE"],
      [input({ image: jpeg.buffer }), "INVALID_IMAGE"], [input({ image: "" }), "INVALID_IMAGE"],
      [input({ image: " \r\n " }), "INVALID_IMAGE"], [input({ image: "!!!!" }), "INVALID_IMAGE"],
      [input({ image: "abc" }), "INVALID_IMAGE"], [input({ image: "QUJD=A==" }), "INVALID_IMAGE"],
      [input({ image: new Uint8Array(0) }), "INVALID_IMAGE"], [input({ image: "data:text/plain,hello" }), "INVALID_IMAGE"],
      [input({ userId: "bad user" }), "INVALID_USER_ID"], [input({ userId: "u".repeat(33) }), "INVALID_USER_ID"],
      [input({ userId: 7 }), "INVALID_USER_ID"], [input({ orderNo: "bad-order" }), "INVALID_ORDER_NO"],
      [input({ orderNo: undefined }), "INVALID_ORDER_NO"], [null, "INVALID_ARGUMENT"], ["ok6", "INVALID_ARGUMENT"],
    ]) {
      await rejectsUnsent(() => c.idCardOcr(value), code);
    }
  });
});

// ---------------------------------------------------------------------------
describe("limits and codeInfo", T, () => {
  test("a 32-character orderNo and userId are accepted on every endpoint", async () => {
    const c = client();
    for (const method of [...QUERIES, "idCardOcr"]) {
      const orderNo = `L${method.slice(0, 6)}${"9".repeat(32)}`.slice(0, 32);
      assert.equal(orderNo.length, 32);
      const r = await call(c, method, orderNo, method === "idCardOcr" ? { userId: "u".repeat(32) } : undefined);
      assertOk(r, orderNo);
    }
  });

  test("codeInfo(): every documented code, null for the rest", () => {
    const kinds = {
      0: "success", 66660011: "no_result", 66660017: "risk", 66660018: "expired", 66660016: "bad_video",
      400604: "not_live", 66660020: "no_result", 66661001: "ocr", 66661050: "ocr", 66661099: "ocr",
      999999: "busy", 999998: "busy", 999997: "busy",
    };
    for (const [code, kind] of Object.entries(kinds)) {
      const info = codeInfo(code);
      assert.equal(info?.kind, kind, code);
      assert.deepEqual(Object.keys(info).sort(), ["en", "kind", "retryable", "zh"]);
      assert.equal(info.retryable, kind === "busy", code);
      assert.ok(info.en.length > 3 && info.zh.length > 1);
    }
    for (const code of ["66661000", "66661100", "400101", "1", "", " 0", "0 ", "999996", 0, null, undefined]) {
      assert.equal(codeInfo(code), null, String(code));
    }
  });
});

// ---------------------------------------------------------------------------
describe("signature", T, () => {
  test("a wrong ticket gets the simulator's signature error on every endpoint", async () => {
    const wrong = client({ ticket: `Wr${TICKET.slice(2)}` });
    for (const method of [...QUERIES, "idCardOcr"]) {
      const orderNo = newOrder("wrongTicket");
      const r = await call(wrong, method, orderNo);
      assert.equal(r.ok, false, method);
      assert.equal(r.code, "400101", `${method}: ${r.msg}`);
      assert.match(r.msg, /^签名校验失败：/);
      assert.equal(r.codeInfo, null);
      assert.equal(log(orderNo)[0].verdict, "400101");
    }
  });

  test("an unknown appId gets 400103; another version is signed with it and accepted", async () => {
    const orderNo = newOrder("app");
    const r = await client({ appId: "IDAnobody" }).faceResult(orderNo);
    assert.equal(r.code, "400103");
    const v2 = newOrder("ver");
    const c = client({ version: "2.0.0" });
    assertOk(await c.faceResult(v2), v2);
    assertGetRequest(log(v2)[0], PATHS.faceResult, v2, undefined, "2.0.0");
    const v3 = newOrder("verPost");
    assertOk(await c.queryFaceRecord(v3), v3);
    assert.equal(log(v3)[0].body.version, "2.0.0");
  });

  test("escaping: an appId, version and ticket full of &, +, %, #, quotes and backslashes", async () => {
    const appId = 'IDA+s%26&x=1#"\\<';
    const ticket = `${TICKET.slice(0, 50)}+/=&%#"\\<>?`;
    const odd = await startSimulator({ appId, ticket });
    try {
      for (const version of ["1.0.0&a=b", '2+3%20#"\\']) {
        const c = new FaceIdClient({ appId, version, ticket, serverUrl: odd.url, kycUrl: odd.url });
        for (const method of [...QUERIES, "idCardOcr"]) {
          const orderNo = newOrder("esc");
          const r = await call(c, method, orderNo);
          assert.equal(r.code, "0", `${method} ${version}: ${r.msg}`);
        }
        const req = await c.signedRequest("liveResult", newOrder("escSr"));
        assert.equal(new URL(req.url).searchParams.get("app_id"), appId);
        assert.equal(new URL(req.url).searchParams.get("version"), version);
      }
      const entries = odd.requests();
      assert.equal(entries.length, 12);
      assert.ok(entries.every((e) => e.verdict === "ok"));
    } finally {
      await odd.stop();
    }
  });

  test("every request has a fresh nonce: 36 concurrent calls on one client", async () => {
    const c = client();
    const orders = [];
    const calls = [];
    for (let i = 0; i < 6; i++) {
      for (const method of [...QUERIES, "idCardOcr"]) {
        const orderNo = newOrder("par");
        orders.push(orderNo);
        calls.push(call(c, method, orderNo));
      }
    }
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.equal(r.code, "0", `${orders[i]}: ${r.msg}`));
    const entries = orders.flatMap((o) => log(o));
    assert.equal(entries.length, 36);
    const nonces = entries.map((e) => e.query.nonce ?? e.body.nonce);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9]{32}$/);
    assert.equal(new Set(nonces).size, 36);
  });

  test("two clients with different tickets, interleaved, each sign with their own", async () => {
    const good = client();
    const bad = client({ ticket: `Zz${TICKET.slice(2)}` });
    const pairs = await Promise.all(Array.from({ length: 10 }, () => {
      const [a, b] = [newOrder("mixA"), newOrder("mixB")];
      return Promise.all([good.faceResult(a), bad.faceResult(b), faceid.sign({ appId: "x", orderNo: a, ticket: "other", nonce: faceid.nonce() })]);
    }));
    for (const [a, b] of pairs) {
      assert.equal(a.code, "0");
      assert.equal(b.code, "400101");
    }
  });
});

// ---------------------------------------------------------------------------
describe("answer shapes", T, () => {
  const payloadOf = (r) => ({ ...r.result, bizSeqNo: undefined, transactionTime: undefined, occurredTime: undefined });

  test("nested, flat and both give the same payload and envelope", async () => {
    const results = {};
    for (const shape of ["nested", "flat", "both"]) {
      const orderNo = newOrder(`shape${shape}`);
      sim.setOrder(orderNo, { shape });
      const r = await client().faceResult(orderNo);
      assertOk(r, orderNo);
      results[shape] = { r, orderNo };
    }
    for (const shape of ["nested", "flat", "both"]) {
      const { r, orderNo } = results[shape];
      assert.deepEqual(
        { ...payloadOf(r), orderNo: undefined, app_id: undefined, order_no: undefined },
        { ...payloadOf(results.nested.r), orderNo: undefined, app_id: undefined, order_no: undefined, ...expectedFace(orderNo) },
        shape,
      );
      assert.equal(r.result.name, person(orderNo).name, shape);
      assert.equal(r.result.orderNo, orderNo, shape);
      assert.equal(r.result.order_no, orderNo, shape);
    }
    // Flat: bizSeqNo/transactionTime are envelope fields only (nested repeats them inside result).
    assert.equal(results.flat.r.result.bizSeqNo, undefined);
    assert.equal(results.nested.r.result.bizSeqNo, results.nested.r.bizSeqNo);
  });

  test("flat business failure and flat idCardOcr", async () => {
    const orderNo = newOrder("flatFail");
    sim.setOrder(orderNo, { shape: "flat", code: "66660011" });
    assertFailure(await client().faceResult(orderNo), orderNo, "66660011", "no_result");
    const up = newOrder("flatUpl");
    sim.setOrder(up, { shape: "flat" });
    const r = await client().idCardOcr({ orderNo: up, cardType: "portrait", image: SMALL_JPEG() });
    assertOk(r, up);
    for (const [k, v] of Object.entries(expectedIdCardOcr(up, "portrait"))) assert.equal(r.result[k], v, k);
  });

  test("numbers: JSON numbers pass through as numbers", async () => {
    const orderNo = newOrder("num");
    sim.setOrder(orderNo, { numbers: "numbers" });
    const r = await client().faceResult(orderNo);
    assertOk(r, orderNo);
    assert.equal(r.result.liveRate, 100);
    // The wire says 95.0; JSON.parse makes it 95 (the ".0" cannot survive).
    assert.equal(r.result.similarity, 95);
    assert.equal(r.result.idNo, person(orderNo).idcard, "ID numbers stay strings");
    const up = newOrder("numUpl");
    sim.setOrder(up, { numbers: "numbers", shape: "both" });
    const u = await client().idCardOcr({ orderNo: up, cardType: "emblem", image: SMALL_PNG() });
    assertOk(u, up);
    assert.equal(u.result.clarity, Number(expectedIdCardOcr(up, "emblem").clarity));
    assert.equal(u.result.retry, 1);
  });

  test("unknown fields pass through, success is dropped (nested, flat, and on failures)", async () => {
    const extraFields = { futureField: "新字段", futureObj: { a: [1, "b", null] }, futureNum: 7, futureBool: false, success: true };
    const want = { futureField: "新字段", futureObj: { a: [1, "b", null] }, futureNum: 7, futureBool: false };
    for (const scenario of [{}, { shape: "flat" }, { shape: "both" }, { code: "66660011" }, { shape: "flat", code: "66660020" }]) {
      const orderNo = newOrder("extra");
      sim.setOrder(orderNo, { ...scenario, extraFields });
      const r = await client().faceResult(orderNo);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(r.result[k], v, `${k} in ${JSON.stringify(scenario)}`);
      assert.equal("success" in r.result, false, JSON.stringify(scenario));
    }
  });

  test("extra fields override values and come back verbatim", async () => {
    const orderNo = newOrder("verbatim");
    sim.setOrder(orderNo, { extraFields: { liveRate: "099.50", similarity: "  88 ", name: "" } });
    const r = await client().faceResult(orderNo);
    assert.equal(r.result.liveRate, "099.50");
    assert.equal(r.result.similarity, "  88 ");
    assert.equal(r.result.name, "");
  });
});

// ---------------------------------------------------------------------------
describe("getFile", T, () => {
  test("faceResult and liveResult: none/all/photo/video → get_file absent/1/2/3", async () => {
    const c = client();
    for (const method of ["faceResult", "liveResult"]) {
      for (const [options, param, fields] of [
        [undefined, undefined, []], [{}, undefined, []], [{ getFile: "none" }, undefined, []], [{ getFile: null }, undefined, []],
        [{ getFile: "all" }, "1", ["photo", "video"]], [{ getFile: "photo" }, "2", ["photo"]], [{ getFile: "video" }, "3", ["video"]],
      ]) {
        const orderNo = newOrder("gf");
        const r = await c[method](orderNo, options);
        assertOk(r, orderNo);
        const [e, ...more] = log(orderNo);
        assert.deepEqual(more, [], `${method} ${JSON.stringify(options)}`);
        assertGetRequest(e, PATHS[method], orderNo, param);
        assert.deepEqual(["photo", "video"].filter((f) => f in r.result), fields, `${method} ${JSON.stringify(options)}`);
      }
    }
  });

  test("queryFaceRecord: getFile in the body, 0/1/2/3", async () => {
    const c = client();
    for (const [getFile, param, fields] of [["none", "0", []], ["all", "1", ["photo", "video"]], ["photo", "2", ["photo"]], ["video", "3", ["video"]]]) {
      const orderNo = newOrder("gfRec");
      const r = await c.queryFaceRecord(orderNo, { getFile });
      assertOk(r, orderNo);
      assert.equal(log(orderNo)[0].body.getFile, param);
      assert.deepEqual(["photo", "video"].filter((f) => f in r.result), fields);
    }
  });

  test("the OCR result queries: true → get_file=1 with every image, false → none", async () => {
    const c = client();
    const images = {
      idCardOcrResult: ["frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"],
      bankCardOcrResult: ["bankcardCropPhoto", "bankcardNoPhoto", "originBankcardPhoto"],
    };
    for (const [method, fields] of Object.entries(images)) {
      for (const [options, param] of [[{ getFile: true }, "1"], [{ getFile: false }, undefined], [undefined, undefined]]) {
        const orderNo = newOrder("gfOcr");
        const r = await c[method](orderNo, options);
        assertOk(r, orderNo);
        assertGetRequest(log(orderNo)[0], PATHS[method], orderNo, param);
        assert.deepEqual(fields.filter((f) => f in r.result), param ? fields : [], `${method} ${JSON.stringify(options)}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------
describe("files that lag behind the verdict", T, () => {
  test("faceResult polls until the files arrive (filesLagPolls 2 → 3 requests)", async () => {
    const orderNo = newOrder("lag");
    sim.setOrder(orderNo, { filesLagPolls: 2 });
    const r = await client({ filePollIntervalMs: 40 }).faceResult(orderNo, { getFile: "all" });
    assertOk(r, orderNo);
    const entries = log(orderNo);
    assert.equal(entries.length, 3);
    assert.equal(new Set(entries.map((e) => e.query.nonce)).size, 3, "a fresh nonce per poll");
    const times = entries.map((e) => Date.parse(e.time));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 35, `poll gap ${times[i] - times[i - 1]} ms`);
    const m = media(r, expectedMedia());
    assert.deepEqual(m, {
      photo: { mime: "image/jpeg", size: 16384, equal: true }, video: { mime: "video/mp4", size: 65536, equal: true },
    });
  });

  test("when the polls run out: the verdict with filesPending true", async () => {
    const orderNo = newOrder("lagOut");
    sim.setOrder(orderNo, { filesLagPolls: 10 });
    const r = await client({ filePolls: 3 }).faceResult(orderNo, { getFile: "photo" });
    assert.equal(r.ok, true);
    assert.equal(r.filesPending, true);
    assert.equal(r.result.name, person(orderNo).name);
    assert.equal(r.result.photo, undefined);
    assert.equal(log(orderNo).length, 4, "1 + filePolls requests");

    const once = newOrder("lagNoPoll");
    sim.setOrder(once, { filesLagPolls: 1 });
    const r0 = await client({ filePolls: 0 }).liveResult(once, { getFile: "video" });
    assert.equal(r0.filesPending, true);
    assert.equal(log(once).length, 1);
  });

  test("a file the service never sends ends as filesPending too", async () => {
    const orderNo = newOrder("noVideo");
    sim.setOrder(orderNo, { videoBytes: 0 });
    const r = await client({ filePolls: 2 }).faceResult(orderNo, { getFile: "all" });
    assert.equal(r.filesPending, true);
    assert.ok(r.result.photo, "the photo is there");
    assert.equal(log(orderNo).length, 3);
  });

  test("every endpoint with files polls: liveResult, queryFaceRecord, both OCR queries", async () => {
    const c = client();
    for (const [method, options, field] of [
      ["liveResult", { getFile: "video" }, "video"], ["queryFaceRecord", { getFile: "photo" }, "photo"],
      ["idCardOcrResult", { getFile: true }, "headPhoto"], ["bankCardOcrResult", { getFile: true }, "bankcardNoPhoto"],
    ]) {
      const orderNo = newOrder("lagAll");
      sim.setOrder(orderNo, { filesLagPolls: 1 });
      const r = await c[method](orderNo, options);
      assertOk(r, orderNo);
      assert.ok(r.result[field], `${method}: ${field}`);
      assert.equal(log(orderNo).length, 2, method);
    }
  });

  test("no polls without getFile, nor on a business failure", async () => {
    const a = newOrder("lagNone");
    sim.setOrder(a, { filesLagPolls: 5 });
    assert.equal((await client().faceResult(a)).filesPending, false);
    assert.equal(log(a).length, 1);
    const b = newOrder("lagFail");
    sim.setOrder(b, { code: "66660017", filesLagPolls: 5 });
    const r = await client().faceResult(b, { getFile: "all" });
    assert.equal(r.code, "66660017");
    assert.equal(r.filesPending, false);
    assert.equal(log(b).length, 1);
  });
});

// ---------------------------------------------------------------------------
describe("busy codes", T, () => {
  test("succeeds after 2 busy answers, each retry with a fresh nonce", async () => {
    const orderNo = newOrder("busy");
    sim.setOrder(orderNo, { fault: { type: "busy", code: "999999", times: 2 } });
    const r = await client().faceResult(orderNo);
    assertOk(r, orderNo);
    const entries = log(orderNo);
    assert.deepEqual(entries.map((e) => [e.verdict, e.fault ?? null]), [["ok", "busy"], ["ok", "busy"], ["ok", null]]);
    assert.equal(new Set(entries.map((e) => e.query.nonce)).size, 3);
  });

  test("returns the busy code when the retries run out (default 2 retries)", async () => {
    const orderNo = newOrder("busyOut");
    sim.setOrder(orderNo, { fault: { type: "busy", code: "999998" } });
    const r = await client().faceResult(orderNo);
    assert.equal(r.ok, false);
    assert.equal(r.code, "999998");
    assert.equal(r.msg, KNOWN_CODES["999998"]);
    assert.deepEqual(r.codeInfo, { kind: "busy", en: codeInfo("999998").en, zh: codeInfo("999998").zh, retryable: true });
    assert.equal(log(orderNo).length, 3);
  });

  test("retries: 0 gives up at once; retries: 5 outlasts 4 busy answers; every busy code", async () => {
    const a = newOrder("busy0");
    sim.setOrder(a, { fault: { type: "busy", times: 1 } });
    assert.equal((await client({ retries: 0 }).faceResult(a)).code, "999999");
    assert.equal(log(a).length, 1);
    const b = newOrder("busy5");
    sim.setOrder(b, { fault: { type: "busy", code: "999997", times: 4 } });
    assertOk(await client({ retries: 5 }).liveResult(b), b);
    assert.equal(log(b).length, 5);
    for (const code of ["999999", "999998", "999997"]) {
      const o = newOrder("busyCode");
      sim.setOrder(o, { fault: { type: "busy", code, times: 1 } });
      assertOk(await client().bankCardOcrResult(o), o);
    }
  });

  test("the POST endpoints retry too, with a fresh nonce", async () => {
    for (const method of ["idCardOcr", "queryFaceRecord"]) {
      const orderNo = newOrder("busyPost");
      sim.setOrder(orderNo, { fault: { type: "busy", times: 2 } });
      assertOk(await call(client(), method, orderNo), orderNo);
      const entries = log(orderNo);
      assert.equal(entries.length, 3, method);
      assert.equal(new Set(entries.map((e) => e.body.nonce)).size, 3);
    }
  });

  test("backoff: retryDelayMs with equal jitter, capped by maxRetryDelayMs", async () => {
    const a = newOrder("backoff");
    sim.setOrder(a, { fault: { type: "busy", times: 2 } });
    const start = Date.now();
    assertOk(await client({ retryDelayMs: 120, maxRetryDelayMs: 120 }).faceResult(a), a);
    const times = log(a).map((e) => Date.parse(e.time));
    for (let i = 1; i < 3; i++) {
      const gap = times[i] - times[i - 1];
      assert.ok(gap >= 55 && gap < 1000, `gap ${gap} ms, expected 60..120`);
    }
    assert.ok(Date.now() - start >= 115);

    const b = newOrder("backoffCap");
    sim.setOrder(b, { fault: { type: "busy", times: 2 } });
    const t0 = Date.now();
    assertOk(await client({ retryDelayMs: 60_000, maxRetryDelayMs: 30 }).faceResult(b), b);
    assert.ok(Date.now() - t0 < 2000, `maxRetryDelayMs ignored: ${Date.now() - t0} ms`);
  });

  test("a busy answer, then files that lag: both handled in one call", async () => {
    const orderNo = newOrder("busyLag");
    sim.setOrder(orderNo, { fault: { type: "busy", times: 1 }, filesLagPolls: 1 });
    const r = await client().faceResult(orderNo, { getFile: "all" });
    assertOk(r, orderNo);
    assert.ok(r.result.photo && r.result.video);
    assert.equal(log(orderNo).length, 3);
  });
});

// ---------------------------------------------------------------------------
describe("transport faults", T, () => {
  test("slow answer → TIMEOUT within timeoutMs; the client keeps working", async () => {
    const c = client({ timeoutMs: 250 });
    for (const method of ["faceResult", "idCardOcr"]) {
      const orderNo = newOrder("slow");
      sim.setOrder(orderNo, { fault: { type: "slow", delayMs: 5000, times: 1 } });
      const start = Date.now();
      const e = await rejects(call(c, method, orderNo), "TIMEOUT");
      const took = Date.now() - start;
      assert.ok(took >= 240 && took < 2500, `${method}: ${took} ms`);
      assert.match(e.message, /250/);
      assert.equal(log(orderNo).length, 1, "a timeout is not retried");
      assertOk(await call(c, method, orderNo), orderNo);
    }
  });

  test("a body that stalls after the headers → TIMEOUT (the deadline covers the body)", async () => {
    const stub = await startStub((req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"code":"0","msg":"');
    });
    try {
      const start = Date.now();
      await rejects(client({ serverUrl: stub.url, timeoutMs: 300 }).faceResult("stall1"), "TIMEOUT");
      assert.ok(Date.now() - start < 2500);
    } finally {
      stub.close();
    }
  });

  test("HTTP errors → HTTP_STATUS with .status, not retried", async () => {
    for (const [method, status] of [["faceResult", 500], ["liveResult", 502], ["queryFaceRecord", 503], ["idCardOcr", 429], ["bankCardOcrResult", 404]]) {
      const orderNo = newOrder("status");
      sim.setOrder(orderNo, { fault: { type: "status", status } });
      const e = await rejects(call(client(), method, orderNo), "HTTP_STATUS");
      assert.equal(e.status, status);
      assert.match(e.message, new RegExp(String(status)));
      assert.equal(log(orderNo).length, 1, `${method}: not retried`);
    }
  });

  test("the nginx HTML 502 page → HTTP_STATUS 502", async () => {
    const orderNo = newOrder("html");
    sim.setOrder(orderNo, { fault: { type: "html" } });
    const e = await rejects(client().idCardOcrResult(orderNo), "HTTP_STATUS");
    assert.equal(e.status, 502);
  });

  test("a 502, then the caller's retry succeeds (the order's next attempt)", async () => {
    const orderNo = newOrder("status1");
    sim.setOrder(orderNo, { fault: [{ type: "status", status: 502, times: 1 }, { type: "busy", times: 1 }] });
    const c = client();
    await rejects(c.faceResult(orderNo), "HTTP_STATUS");
    assertOk(await c.faceResult(orderNo), orderNo);
    assert.equal(log(orderNo).length, 3);
  });

  test("a truncated answer → BAD_RESPONSE (GET and POST)", async () => {
    for (const method of ["faceResult", "queryFaceRecord", "idCardOcr"]) {
      const orderNo = newOrder("trunc");
      sim.setOrder(orderNo, { fault: { type: "truncated" } });
      await rejects(call(client(), method, orderNo), "BAD_RESPONSE");
    }
  });

  test("answers that are not the service's JSON → BAD_RESPONSE; a numeric code is read as text", async () => {
    const bodies = {
      "/html": ["text/html", "<!doctype html><title>Login</title><p>portal</p>"],
      "/nocode": ["application/json", '{"msg":"no code here","result":{}}'],
      "/array": ["application/json", "[1,2,3]"],
      "/null": ["application/json", "null"],
      "/empty": ["application/json", ""],
      "/numeric": ["application/json", '{"code":0,"msg":"ok","bizSeqNo":"1","result":{"liveRate":99}}'],
      "/other-order": ["application/json", '{"code":"0","msg":"ok","result":{"orderNo":"someoneElse","liveRate":"99"}}'],
    };
    const stub = await startStub((req, res) => {
      const [type, body] = bodies[new URL(req.url, "http://x").pathname.replace(/\/api\/server\/getLiveResult$/, "")] ?? ["text/plain", "?"];
      res.writeHead(200, { "content-type": type });
      res.end(body);
    });
    try {
      for (const path of ["/html", "/nocode", "/array", "/null", "/empty", "/other-order"]) {
        const e = await rejects(client({ serverUrl: stub.url + path }).liveResult("x1"), "BAD_RESPONSE");
        if (path === "/html") assert.match(e.message, /HTML/);
        // Never hand one order's result to a caller who asked for another.
        if (path === "/other-order") assert.match(e.message, /another order/);
      }
      const r = await client({ serverUrl: `${stub.url}/numeric` }).liveResult("x1");
      assert.equal(r.ok, true);
      assert.equal(r.code, "0");
      assert.equal(r.result.liveRate, 99);
      assert.equal(r.transactionTime, null);
    } finally {
      stub.close();
    }
  });

  test("a connection reset mid-body → NETWORK (GET and POST)", async () => {
    for (const method of ["faceResult", "idCardOcr"]) {
      const orderNo = newOrder("reset");
      sim.setOrder(orderNo, { fault: { type: "reset" }, photoBytes: 200_000 });
      await rejects(call(client(), method, orderNo), "NETWORK");
    }
  });

  test("a closed port → NETWORK", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await rejects(client({ serverUrl: url }).faceResult("closed1"), "NETWORK");
    await rejects(client({ kycUrl: url }).queryFaceRecord("closed2"), "NETWORK");
  });
});

// ---------------------------------------------------------------------------
describe("decodeMedia", T, () => {
  test("10 MB photo + 10 MB video: mime, exact bytes, magic numbers", async () => {
    const orderNo = newOrder("big");
    const scenario = { photoBytes: 10 << 20, videoBytes: 10 << 20 };
    sim.setOrder(orderNo, scenario);
    const r = await client({ timeoutMs: 20_000 }).faceResult(orderNo, { getFile: "all" });
    assertOk(r, orderNo);
    const want = expectedMedia(scenario);
    const files = decodeMedia(r);
    assert.deepEqual(files.map((f) => [f.field, f.mime, f.bytes.byteLength]),
      [["photo", "image/jpeg", 10 << 20], ["video", "video/mp4", 10 << 20]]);
    const [photo, video] = files;
    assert.deepEqual([...photo.bytes.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xe0]);
    assert.deepEqual([...photo.bytes.subarray(-2)], [0xff, 0xd9]);
    assert.equal(Buffer.from(video.bytes.subarray(4, 12)).toString("latin1"), "ftypisom");
    assert.ok(Buffer.from(photo.bytes).equals(want.photo));
    assert.ok(Buffer.from(video.bytes).equals(want.video));
    // The payload alone works the same.
    assert.deepEqual(decodeMedia(r.result).map((f) => [f.field, f.bytes.byteLength]), [["photo", 10 << 20], ["video", 10 << 20]]);
  });

  test("1 MB photo and 3 MB video through liveResult and queryFaceRecord", async () => {
    const scenario = { photoBytes: 1 << 20, videoBytes: 3 << 20 };
    const want = expectedMedia(scenario);
    for (const method of ["liveResult", "queryFaceRecord"]) {
      const orderNo = newOrder("mid");
      sim.setOrder(orderNo, scenario);
      const r = await client()[method](orderNo, { getFile: "all" });
      assert.deepEqual(media(r, want), {
        photo: { mime: "image/jpeg", size: 1 << 20, equal: true }, video: { mime: "video/mp4", size: 3 << 20, equal: true },
      }, method);
    }
  });

  test("a PNG photo, and every OCR image", async () => {
    const orderNo = newOrder("png");
    const scenario = { photoFormat: "png", photoBytes: 300_000 };
    sim.setOrder(orderNo, scenario);
    const r = await client().faceResult(orderNo, { getFile: "photo" });
    const [png] = decodeMedia(r);
    assert.equal(png.mime, "image/png");
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(Buffer.from(png.bytes).equals(mediaBytes("png", 300_000)));

    const ocr = newOrder("ocrImg");
    sim.setOrder(ocr, { photoFormat: "png", photoBytes: 5000 });
    const o = await client().idCardOcrResult(ocr, { getFile: true });
    assert.deepEqual(decodeMedia(o).map((f) => [f.field, f.mime, f.bytes.byteLength]),
      ["frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"].map((f) => [f, "image/png", 5000]));
    const bank = newOrder("bankImg");
    const b = await client().bankCardOcrResult(bank, { getFile: true });
    assert.deepEqual(decodeMedia(b).map((f) => [f.field, f.mime, f.bytes.byteLength]),
      ["bankcardCropPhoto", "bankcardNoPhoto", "originBankcardPhoto"].map((f) => [f, "image/jpeg", 16384]));
  });

  test("inputs: empty and unknown fields skipped, line breaks tolerated, bad base64 and non-objects rejected", async () => {
    assert.deepEqual(decodeMedia({}), []);
    assert.deepEqual(decodeMedia({ photo: "", video: null, selfie: "/9j/4A==" }), []);
    const jpeg = SMALL_JPEG();
    const folded = dataUrlFolded(jpeg, "x").split(",")[1];
    const [m] = decodeMedia({ photo: folded });
    assert.equal(m.mime, "image/jpeg");
    assert.ok(Buffer.from(m.bytes).equals(jpeg));
    await rejects(() => decodeMedia({ photo: "!!!!" }), "INVALID_MEDIA");
    await rejects(() => decodeMedia({ result: { video: "AAAA*" } }), "INVALID_MEDIA");
    for (const bad of [null, undefined, "photo", 5, [{ photo: "AAAA" }]]) await rejects(() => decodeMedia(bad), "INVALID_ARGUMENT");
  });
});

// ---------------------------------------------------------------------------
describe("idCardOcr images", T, () => {
  async function upload(image, cardType = "portrait") {
    const orderNo = newOrder("img");
    const r = await client({ timeoutMs: 20_000 }).idCardOcr({ orderNo, cardType, image });
    const [e, ...more] = log(orderNo);
    assert.deepEqual(more, []);
    return { r, e, orderNo };
  }

  test("a Node Buffer that is a view into a larger pool is sent as exactly its bytes", async () => {
    const jpeg = SMALL_JPEG();
    const pool = new Uint8Array(jpeg.length + 100).fill(0x41);
    pool.set(jpeg, 37);
    const view = Buffer.from(pool.buffer, 37, jpeg.length);
    const { r, e } = await upload(view);
    assert.equal(r.code, "0", r.msg);
    assert.equal(e.imageFormat, "jpeg");
    assert.equal(e.body.idcardStr, jpeg.toString("base64").length);
  });

  test("base64 text: plain, with a data: prefix and CRLF or LF line breaks", async () => {
    const png = SMALL_PNG();
    const clean = png.toString("base64").length;
    for (const image of [png.toString("base64"), dataUrlFolded(png, "image/png"), dataUrlFolded(png, "image/png", 64, "\n"),
      `\n${dataUrlFolded(png, "image/png", 76, "\n").split(",")[1]}\n`]) {
      const { r, e } = await upload(image, "emblem");
      assert.equal(r.code, "0", `${r.code} ${r.msg}`);
      assert.equal(e.imageFormat, "png");
      assert.equal(e.body.idcardStr, clean, "prefix and line breaks removed");
    }
  });

  test("exactly 20 MB of base64 is sent; one byte more is IMAGE_TOO_LARGE before sending", async () => {
    const limit = 15 << 20; // 15 MiB of bytes = 20 MiB (20971520 characters) of base64
    const bytes = new Uint8Array(limit);
    bytes.set(SMALL_JPEG());
    const { r, e } = await upload(bytes);
    assert.equal(r.code, "0", r.msg);
    assert.equal(e.body.idcardStr, 20971520);

    const c = client();
    await rejectsUnsent(() => c.idCardOcr({ orderNo: "big1", cardType: "portrait", image: new Uint8Array(limit + 1) }), "IMAGE_TOO_LARGE");
    await rejectsUnsent(() => c.idCardOcr({ orderNo: "big2", cardType: "portrait", image: new Uint8Array(25 << 20) }), "IMAGE_TOO_LARGE");
    const text = Buffer.from(bytes).toString("base64");
    await rejectsUnsent(() => c.idCardOcr({ orderNo: "big3", cardType: "portrait", image: `${text}AAAA` }), "IMAGE_TOO_LARGE");
  });

  test("20 MB of base64 folded into lines (over 20 MB of text) is accepted after cleaning", async () => {
    const bytes = new Uint8Array(15 << 20);
    bytes.set(SMALL_PNG());
    const folded = dataUrlFolded(bytes, "image/png");
    assert.ok(folded.length > 20971520);
    const { r, e } = await upload(folded);
    assert.equal(r.code, "0", r.msg);
    assert.equal(e.body.idcardStr, 20971520);
    assert.equal(e.imageFormat, "png");
  });
});

// ---------------------------------------------------------------------------
describe("signedRequest", T, () => {
  const OPTIONS = {
    faceResult: { getFile: "video" }, liveResult: { getFile: "photo" }, idCardOcrResult: { getFile: true },
    bankCardOcrResult: {}, queryFaceRecord: { getFile: "all" },
    idCardOcr: { cardType: "emblem", image: SMALL_PNG(), userId: "u1" },
  };

  test("every kind, sent with plain fetch, is accepted by the simulator", async () => {
    const c = client();
    for (const [kind, options] of Object.entries(OPTIONS)) {
      const orderNo = newOrder("sr");
      const seq = lastSeq();
      const req = await c.signedRequest(kind, orderNo, options);
      assert.deepEqual(sentSince(seq), [], "signedRequest does not send");
      assert.deepEqual(Object.keys(req).sort(), ["body", "headers", "method", "url"]);
      assert.ok(req.url.startsWith(`${sim.url}${PATHS[kind]}?`), req.url);
      assert.equal(leaks(JSON.stringify(req)), false);
      if (kind === "idCardOcr" || kind === "queryFaceRecord") {
        assert.equal(req.method, "POST");
        assert.deepEqual(req.headers, { "content-type": "application/json" });
        assert.equal(JSON.parse(req.body).orderNo, orderNo);
      } else {
        assert.equal(req.method, "GET");
        assert.deepEqual(req.headers, {});
        assert.equal(req.body, null);
      }
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
      const json = await res.json();
      assert.equal(json.code, "0", `${kind}: ${json.msg}`);
      assert.equal(log(orderNo)[0].verdict, "ok");
    }
  });

  test("sending the same signed request twice is a reused nonce (400102); each call signs anew", async () => {
    const c = client();
    const orderNo = newOrder("replay");
    const a = await c.signedRequest("faceResult", orderNo);
    const b = await c.signedRequest("faceResult", orderNo);
    assert.notEqual(new URL(a.url).searchParams.get("nonce"), new URL(b.url).searchParams.get("nonce"));
    const codes = [];
    for (const req of [a, a, b]) codes.push((await (await fetch(req.url)).json()).code);
    assert.deepEqual(codes, ["0", "400102", "0"]);
  });

  test("bad kind, orderNo or options are rejected", async () => {
    const c = client();
    await rejects(c.signedRequest("sync", "ok7"), "INVALID_OPTION");
    await rejects(c.signedRequest(undefined, "ok7"), "INVALID_OPTION");
    await rejects(c.signedRequest("faceResult", "bad-7"), "INVALID_ORDER_NO");
    await rejects(c.signedRequest("faceResult", "ok7", { getFile: "everything" }), "INVALID_OPTION");
    await rejects(c.signedRequest("idCardOcr", "ok7"), "INVALID_ARGUMENT");
    await rejects(c.signedRequest("idCardOcr", "ok7", { cardType: "portrait", image: new Uint8Array(16 << 20) }), "IMAGE_TOO_LARGE");
  });
});

// ---------------------------------------------------------------------------
describe("ticketProvider", T, () => {
  const providerClient = (ticketProvider, options) => client({ ticket: undefined, ticketProvider, ...options });

  test("sync and async providers work; called once per query, even across retries and polls", async () => {
    let calls = 0;
    const sync = providerClient(() => (calls++, TICKET));
    const orderNo = newOrder("tp");
    assertOk(await sync.faceResult(orderNo), orderNo);
    assert.equal(calls, 1);
    const busy = newOrder("tpBusy");
    sim.setOrder(busy, { fault: { type: "busy", times: 2 }, filesLagPolls: 1 });
    assertOk(await sync.faceResult(busy, { getFile: "all" }), busy);
    assert.equal(log(busy).length, 4);
    assert.equal(calls, 2, "once per query");

    let asyncCalls = 0;
    const asyncClient = providerClient(async () => {
      asyncCalls++;
      await new Promise((r) => setTimeout(r, 5));
      return TICKET;
    });
    for (const method of [...QUERIES, "idCardOcr"]) {
      const o = newOrder("tpAsync");
      assertOk(await call(asyncClient, method, o), o);
    }
    assert.equal(asyncCalls, 6);
    const req = await asyncClient.signedRequest("faceResult", newOrder("tpSr"));
    assert.equal((await (await fetch(req.url)).json()).code, "0");
    assert.deepEqual(JSON.parse(JSON.stringify(sync)).ticketSource, "ticketProvider");
  });

  test("a provider that throws, rejects or returns a non-ticket → TICKET_UNAVAILABLE, nothing sent, nothing leaked", async () => {
    const secretError = () => Object.assign(new Error(`vault says ${TICKET}`), { code: "EVAULT", ticket: TICKET });
    for (const [label, provider] of [
      ["throws", () => { throw secretError(); }],
      ["rejects", () => Promise.reject(secretError())],
      ["throws a string", () => { throw TICKET; }],
      ["number", () => 5], ["undefined", () => undefined], ["empty", () => ""],
      ["object", async () => ({ value: TICKET })], ["spaces", () => `${TICKET} `], ["line break", async () => `${TICKET}\n`],
    ]) {
      const e = await rejectsUnsent(() => providerClient(provider).faceResult(newOrder("tpBad")), "TICKET_UNAVAILABLE");
      assert.match(e.message, /ticketProvider/, label);
    }
  });

  // timeoutMs bounds the provider too: a provider that never settles must not
  // leave the query pending forever.
  test("a provider that never settles: the query still settles (TICKET_UNAVAILABLE)", async () => {
    const c = providerClient(() => new Promise(() => {}), { timeoutMs: 200 });
    const outcome = await Promise.race([
      c.faceResult(newOrder("tpHang")).then(() => "resolved", (e) => e.code),
      new Promise((resolve) => setTimeout(resolve, 1500, "still pending after 1.5 s")),
    ]);
    assert.equal(outcome, "TICKET_UNAVAILABLE");
  });

  test("bad provider options throw synchronously", () => {
    for (const [options, code] of [
      [{ ticketProvider: "not a function" }, "INVALID_OPTION"],
      [{ ticketProvider: () => TICKET, ticket: TICKET }, "INVALID_OPTION"],
    ]) {
      assert.throws(() => new FaceIdClient({ appId: sim.appId, serverUrl: sim.url, ...options }), (e) => {
        caught.push(e);
        return e instanceof FaceIdError && e.code === code;
      });
    }
  });
});

// ---------------------------------------------------------------------------
describe("options", T, () => {
  test("bad options throw FaceIdError synchronously, without the ticket", () => {
    const base = { appId: "IDAsim001", ticket: TICKET };
    for (const [options, code] of [
      [undefined, "INVALID_ARGUMENT"], [null, "INVALID_ARGUMENT"], [TICKET, "INVALID_ARGUMENT"],
      [{ ticket: TICKET }, "INVALID_APP_ID"], [{ ...base, appId: "" }, "INVALID_APP_ID"], [{ ...base, appId: "a b" }, "INVALID_APP_ID"],
      [{ ...base, appId: 5 }, "INVALID_APP_ID"], [{ appId: "a" }, "INVALID_TICKET"], [{ ...base, ticket: "" }, "INVALID_TICKET"],
      [{ ...base, ticket: `${TICKET} ` }, "INVALID_TICKET"], [{ ...base, ticket: 5 }, "INVALID_TICKET"],
      [{ ...base, version: "" }, "INVALID_VERSION"], [{ ...base, version: "1 0" }, "INVALID_VERSION"],
      [{ ...base, serverUrl: "ftp://x" }, "INVALID_URL"], [{ ...base, serverUrl: "idasc.webank.com" }, "INVALID_URL"],
      [{ ...base, serverUrl: "https://" }, "INVALID_URL"], [{ ...base, kycUrl: "https://x/?a=1" }, "INVALID_URL"],
      [{ ...base, kycUrl: "https://a b" }, "INVALID_URL"], [{ ...base, serverUrl: 8080 }, "INVALID_URL"],
      [{ ...base, timeoutMs: 0 }, "INVALID_OPTION"], [{ ...base, timeoutMs: -1 }, "INVALID_OPTION"],
      [{ ...base, timeoutMs: 1.5 }, "INVALID_OPTION"], [{ ...base, timeoutMs: "100" }, "INVALID_OPTION"],
      [{ ...base, timeoutMs: NaN }, "INVALID_OPTION"], [{ ...base, retries: 11 }, "INVALID_OPTION"],
      [{ ...base, retryDelayMs: -5 }, "INVALID_OPTION"], [{ ...base, maxRetryDelayMs: Infinity }, "INVALID_OPTION"],
      [{ ...base, filePolls: 100 }, "INVALID_OPTION"], [{ ...base, filePollIntervalMs: "2000" }, "INVALID_OPTION"],
    ]) {
      let error;
      try {
        new FaceIdClient(options);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof FaceIdError, `${util.inspect(options)}: ${error}`);
      caught.push(error);
      assert.equal(error.code, code, `${util.inspect(options)}: ${error.message}`);
      assert.equal(leaks(errorText(error)), false, error.message);
    }
  });

  test("defaults, trailing slashes, and JSON.stringify / util.inspect never show the ticket", async () => {
    const d = new FaceIdClient({ appId: "IDAsim001", ticket: TICKET });
    assert.deepEqual(JSON.parse(JSON.stringify(d)), {
      appId: "IDAsim001", version: "1.0.0", serverUrl: "https://kyc1.qcloud.com",
      kycUrl: "https://kyc1.qcloud.com", ticketSource: "ticket",
    });
    const c = client({ serverUrl: `${sim.url}/`, kycUrl: `${sim.url}//` });
    assert.deepEqual(JSON.parse(JSON.stringify(c)), {
      appId: sim.appId, version: "1.0.0", serverUrl: sim.url, kycUrl: sim.url, ticketSource: "ticket",
    });
    const a = newOrder("slash");
    assertOk(await c.faceResult(a), a);
    const b = newOrder("slashPost");
    assertOk(await c.queryFaceRecord(b), b);

    for (const text of [
      JSON.stringify(c), util.inspect(c), util.inspect(c, { showHidden: true, depth: Infinity, getters: true }),
      String(c), `${c}`, util.format("%o %O %j", c, c, c), JSON.stringify(Object.getOwnPropertyNames(c).map((k) => String(c[k]))),
      JSON.stringify(Reflect.ownKeys(Object.getPrototypeOf(c)).map(String)),
      // ticketStatus() arrived with the ticket owner work: it must not show the ticket either.
      typeof c.ticketStatus === "function" ? JSON.stringify(c.ticketStatus()) : "",
    ]) {
      assert.equal(leaks(text), false, text);
    }
  });
});

// ---------------------------------------------------------------------------
describe("the whole run", T, () => {
  test("no error ever carried the ticket; the ticket never went over the wire; no nonce was reused by the client", () => {
    assert.ok(caught.length > 100, `only ${caught.length} errors collected`);
    for (const e of caught) assert.equal(leaks(errorText(e)), false, errorText(e));
    const all = sim.requests();
    assert.equal(leaks(JSON.stringify(all)), false);
    const reused = all.filter((e) => e.verdict === "400102" && !String(e.orderNo).startsWith("replay"));
    assert.deepEqual(reused, []);
    const bad = all.filter((e) => e.verdict === "400100");
    assert.deepEqual(bad, [], "the client never sent a malformed request");
  });

  test("a replaced SIGN ticket: works for its last minute, then 400104; a ticketProvider client follows the change", async () => {
    try {
      const token = await (await fetch(`${sim.url}/api/oauth2/access_token?${new URLSearchParams({
        app_id: sim.appId, secret: sim.secret, grant_type: "client_credential", version: "1.0.0" })}`)).json();
      assert.equal(token.code, "0");
      const ticket = await (await fetch(`${sim.url}/api/oauth2/api_ticket?${new URLSearchParams({
        app_id: sim.appId, access_token: token.access_token, type: "SIGN", version: "1.0.0" })}`)).json();
      assert.equal(ticket.code, "0");
      assert.notEqual(sim.ticket, TICKET);

      const orderNo = newOrder("rotated");
      // The official rule: the replaced ticket survives about a minute, then dies.
      assertOk(await client().faceResult(orderNo), orderNo);
      sim.advance(61_000);
      const stale = await client().faceResult(orderNo);
      assert.equal(stale.code, "400104", stale.msg);
      assert.equal(stale.ok, false);
      assert.equal(leaks(stale.msg) || stale.msg.includes(sim.ticket), false);
      const follow = client({ ticket: undefined, ticketProvider: () => sim.ticket });
      assertOk(await follow.faceResult(orderNo), orderNo);
    } finally {
      sim.reset();
    }
  });
});
