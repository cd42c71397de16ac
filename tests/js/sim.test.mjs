// The WeBank service simulator (tests/sim/) checked on its own, with a tiny
// independent signer: every endpoint, every check, every scenario field and
// fault, CORS, the control API, the H5 face flow and the standalone CLI.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import zlib from "node:zlib";
import { sdkStart as sdkStartOver, signValues, startSimulator } from "../sim/index.mjs";

// ---- an independent signer: sort values by code point, concatenate, SHA-1, uppercase hex
function byCodePoint(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
const signOf = (values) => createHash("sha1").update([...values].sort(byCodePoint).join(""), "utf8").digest("hex").toUpperCase();
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const newNonce = () => Array.from({ length: 32 }, () => ALNUM[randomInt(62)]).join("");
let orderSeq = 0;
const newOrder = (tag = "o") => `${tag}${Date.now().toString(36)}${++orderSeq}`.slice(0, 32);

const RESULT_PATHS = {
  sync: "/api/server/sync",
  live: "/api/server/getLiveResult",
  ocr: "/api/server/getOcrResult",
  bank: "/api/server/getBankCardOcrResult",
};
const JPEG_1PX = Buffer.from("ffd8ffe000104a46494600010100000100010000ffd9", "hex").toString("base64");
const PNG_SIG = Buffer.from("89504e470d0a1a0a", "hex");

/** A signed result-query URL; `o` overrides or drops (value undefined) any parameter. */
function queryUrl(sim, path, orderNo, o = {}) {
  const p = { app_id: sim.appId, order_no: orderNo, nonce: newNonce(), version: "1.0.0", ...o.params };
  p.sign ??= signOf([p.app_id, p.order_no, p.version, o.ticket ?? sim.ticket, p.nonce]);
  if (o.getFile !== undefined) p.get_file = o.getFile;
  for (const k of o.drop ?? []) delete p[k];
  return `${sim.url}${path}?${new URLSearchParams(p)}`;
}

async function call(url, init) {
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (HTML, plain text, truncated)
  }
  return { status: res.status, headers: res.headers, text, json };
}

const getResult = (sim, kind, orderNo, o) => call(queryUrl(sim, RESULT_PATHS[kind], orderNo, o));

/** POST /api/paas/idcardocrapp with a signed body; `o.body` overrides, `o.drop` removes fields. */
function idcardOcr(sim, orderNo, o = {}) {
  const b = { webankAppId: sim.appId, version: "1.0.0", nonce: newNonce(), orderNo, cardType: "0", idcardStr: JPEG_1PX, ...o.body };
  b.sign ??= signOf([b.webankAppId, b.orderNo, b.version, sim.ticket, b.nonce]);
  for (const k of o.drop ?? []) delete b[k];
  return post(sim, `/api/paas/idcardocrapp?orderNo=${o.queryOrderNo ?? orderNo}`, b, o.contentType);
}

/** POST /api/v2/base/queryfacerecord with a signed body. */
function queryFaceRecord(sim, orderNo, o = {}) {
  const b = { appId: sim.appId, version: "1.0.0", nonce: newNonce(), orderNo, queryVersion: "1.0", ...o.body };
  b.sign ??= signOf([b.appId, b.orderNo, b.version, sim.ticket, b.nonce]);
  return post(sim, `/api/v2/base/queryfacerecord?orderNo=${orderNo}`, b);
}

function post(sim, path, body, contentType = "application/json") {
  return call(`${sim.url}${path}`, {
    method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const payload = (r) => r.json.result ?? r.json;
const decode = (b64) => Buffer.from(b64, "base64");
const isJpeg = (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff && b.at(-2) === 0xff && b.at(-1) === 0xd9;
const isMp4 = (b) => b.subarray(4, 12).toString("latin1") === "ftypisom";
function isPng(b) {
  if (!b.subarray(0, 8).equals(PNG_SIG) || b.subarray(12, 16).toString("latin1") !== "IHDR") return false;
  const crcOk = zlib.crc32(b.subarray(12, 29)) >>> 0 === b.readUInt32BE(29);
  return crcOk && b.subarray(-8, -4).toString("latin1") === "IEND";
}

function assertEnvelope(r, orderNo) {
  assert.equal(r.status, 200);
  assert.equal(r.json.code, "0", r.json.msg);
  assert.equal(r.json.msg, "请求成功");
  assert.match(r.json.bizSeqNo, /^\d{32}$/);
  assert.match(r.json.transactionTime, /^\d{14}$/);
  assert.equal(r.json.result.orderNo, orderNo);
  assert.equal(r.json.result.bizSeqNo, r.json.bizSeqNo);
  assert.equal(r.json.result.transactionTime, r.json.transactionTime);
  assert.equal(r.json.result.success, false);
}

function assertRejected(r, code, reasonPart) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.code, code, r.json.msg);
  assert.equal(r.json.result, undefined);
  assert.match(r.json.bizSeqNo, /^\d{32}$/);
  if (reasonPart) assert.ok(r.json.msg.includes(reasonPart), `msg ${JSON.stringify(r.json.msg)} lacks ${JSON.stringify(reasonPart)}`);
}

let sim;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.stop());

test("the test's signer reproduces the official vectors", () => {
  assert.equal(signOf(["appId001", "aabc1457895464", "1.0.0", "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"]), "993D057C652D97FD90D5D298F2E5DC4B8D893CBC");
  assert.equal(signOf(["IDAXXXXX", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", "1.0.0", "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"]), "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
  // The login pages' example (NONCE ticket; F/H5 接入/启动 H5 人脸核身.md, F/PC端H5接入/启动 H5 人脸验证.md) and
  // the callback's (SIGN ticket; F/验证结果/前端获取结果验证签名.md); the simulator's signer agrees.
  const login = ["appId001", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", "1.0.0", "bwiwe1457895464", "aabc1457895464", "zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"];
  const callback = ["appId001", "test1480921551481", "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe", "0"];
  assert.equal(signOf(login), "4E9DFABF938BF37BDB7A7DC25CCA1233D12D986B");
  assert.equal(signOf(callback), "526365E042766AE27A6E52D2E4829D4C6E156B5D");
  for (const values of [login, callback]) assert.equal(signValues(values), signOf(values));
});

describe("endpoints answer a correctly signed request", () => {
  test("sync: the official nested shape, top-level app_id and order_no, no files without get_file", async () => {
    const orderNo = newOrder();
    const r = await getResult(sim, "sync", orderNo);
    assertEnvelope(r, orderNo);
    assert.equal(r.json.app_id, sim.appId);
    assert.equal(r.json.order_no, orderNo);
    const p = r.json.result;
    assert.match(p.idNo, /^\d{17}[\dX]$/);
    assert.equal(p.idType, "01");
    assert.match(p.name, /^\p{Script=Han}{2,3}$/u);
    assert.equal(p.liveRate, "100");
    assert.equal(p.similarity, "95.0");
    assert.match(p.occurredTime, /^\d{14}$/);
    assert.equal(p.photo, undefined);
    assert.equal(p.video, undefined);
  });

  test("getLiveResult, getOcrResult, getBankCardOcrResult", async () => {
    const orderNo = newOrder();
    const live = await getResult(sim, "live", orderNo);
    assertEnvelope(live, orderNo);
    assert.equal(live.json.app_id, sim.appId);
    assert.equal(live.json.result.liveRate, "100");

    const ocr = await getResult(sim, "ocr", orderNo);
    assertEnvelope(ocr, orderNo);
    for (const k of ["frontCode", "backCode"]) assert.equal(ocr.json.result[k], "0");
    for (const k of ["name", "sex", "nation", "birth", "address", "idcard", "validDate", "authority", "operateTime"]) {
      assert.equal(typeof ocr.json.result[k], "string", k);
    }
    assert.equal(ocr.json.result.frontPhoto, undefined);

    const bank = await getResult(sim, "bank", orderNo);
    assertEnvelope(bank, orderNo);
    assert.match(bank.json.result.bankCardNo, /^62\d{14,17}$/);
    assert.match(bank.json.result.bankCardValidDate, /^\d{2}\/\d{4}$/);
  });

  test("queryfacerecord answers like sync", async () => {
    const orderNo = newOrder();
    const r = await queryFaceRecord(sim, orderNo, { body: { getFile: "2" } });
    assertEnvelope(r, orderNo);
    assert.equal(r.json.result.similarity, "95.0");
    assert.ok(isJpeg(decode(r.json.result.photo)));
    assert.equal(r.json.result.video, undefined);
  });

  test("idcardocrapp: portrait side and emblem side, JPEG and PNG uploads, one identity per order", async () => {
    const orderNo = newOrder();
    const front = await idcardOcr(sim, orderNo, { body: { cardType: "0", userId: "user001" } });
    assertEnvelope(front, orderNo);
    const f = front.json.result;
    for (const k of ["name", "sex", "nation", "birth", "address", "idcard"]) assert.equal(typeof f[k], "string", k);
    assert.ok(["男", "女"].includes(f.sex));
    assert.equal(f.validDate, undefined);
    assert.equal(f.warning, "00000000");
    assert.equal(f.multiWarning, "00000000");
    assert.match(f.clarity, /^\d+$/);
    assert.match(f.ocrId, /^[0-9a-f]{32}$/);
    assert.match(f.sign, /^[0-9A-F]{40}$/);
    assert.equal(f.retry, "1");

    const png = Buffer.concat([PNG_SIG, Buffer.alloc(40)]).toString("base64");
    const back = await idcardOcr(sim, orderNo, { body: { cardType: "1", idcardStr: png } });
    assertEnvelope(back, orderNo);
    assert.match(back.json.result.validDate, /^\d{8}-(\d{8}|长期)$/);
    assert.equal(typeof back.json.result.authority, "string");
    assert.equal(back.json.result.name, undefined);

    const sync = await getResult(sim, "sync", orderNo);
    const ocr = await getResult(sim, "ocr", orderNo);
    assert.equal(sync.json.result.name, f.name);
    assert.equal(sync.json.result.idNo, f.idcard);
    assert.equal(ocr.json.result.authority, back.json.result.authority);
  });
});

describe("signature, nonce and app checks", () => {
  test("a valid sign in lowercase is accepted; a wrong one is 400101", async () => {
    const orderNo = newOrder();
    const nonce = newNonce();
    const sign = signOf([sim.appId, orderNo, "1.0.0", sim.ticket, nonce]).toLowerCase();
    assertEnvelope(await getResult(sim, "sync", orderNo, { params: { nonce, sign } }), orderNo);

    const good = signOf([sim.appId, orderNo, "1.0.0", sim.ticket, (nonce.slice(1) + "A")]);
    const flipped = (good[0] === "A" ? "B" : "A") + good.slice(1);
    assertRejected(await getResult(sim, "sync", orderNo, { params: { nonce: nonce.slice(1) + "A", sign: flipped } }), "400101");
    assertRejected(await getResult(sim, "live", orderNo, { ticket: "notTheTicket" }), "400101");
    // Signed over the keys instead of the values, or with another order number.
    const n2 = newNonce();
    assertRejected(await getResult(sim, "ocr", orderNo, { params: { nonce: n2, sign: signOf(["app_id", "order_no", "version", "ticket", "nonce"]) } }), "400101");
    assertRejected(await getResult(sim, "bank", orderNo, { params: { sign: signOf([sim.appId, "other", "1.0.0", sim.ticket, n2]) } }), "400101");
    assertRejected(await idcardOcr(sim, orderNo, { body: { sign: "0".repeat(40) } }), "400101");
    assertRejected(await queryFaceRecord(sim, orderNo, { body: { sign: "F".repeat(40) } }), "400101");
    const log = sim.requests({ orderNo, verdict: "400101" });
    assert.equal(log.length, 6);
    assert.match(log[0].reason, /sign does not match/);
  });

  test("a reused nonce is 400102, across endpoints; a rejected request does not use up its nonce", async () => {
    const orderNo = newOrder();
    const nonce = newNonce();
    const signed = { nonce, sign: signOf([sim.appId, orderNo, "1.0.0", sim.ticket, nonce]) };
    assertRejected(await getResult(sim, "sync", orderNo, { params: { nonce, sign: "A".repeat(40) } }), "400101");
    assertEnvelope(await getResult(sim, "sync", orderNo, { params: signed }), orderNo);
    assertRejected(await getResult(sim, "sync", orderNo, { params: signed }), "400102", "nonce");
    assertRejected(await getResult(sim, "live", orderNo, { params: signed }), "400102");
    assertRejected(await idcardOcr(sim, orderNo, { body: { nonce } }), "400102");
  });

  test("missing, empty, malformed, repeated or unexpected parameters are 400100", async () => {
    const orderNo = newOrder();
    for (const name of ["app_id", "order_no", "nonce", "version", "sign"]) {
      assertRejected(await getResult(sim, "sync", orderNo, { drop: [name] }), "400100", name);
      assertRejected(await getResult(sim, "live", orderNo, { params: { [name]: "" } }), "400100", name);
    }
    const cases = [
      { nonce: newNonce().slice(1) }, // 31 chars
      { nonce: newNonce().slice(1) + "_" },
      { order_no: "a".repeat(33) },
      { order_no: "order-1" },
      { version: "1.0 .0" },
      { sign: "A".repeat(39) },
      { sign: "G".repeat(40) },
    ];
    for (const params of cases) assertRejected(await getResult(sim, "ocr", orderNo, { params }), "400100");
    assertRejected(await getResult(sim, "bank", orderNo, { params: { appId: sim.appId } }), "400100", "unexpected");
    assertRejected(await call(queryUrl(sim, RESULT_PATHS.sync, orderNo) + `&nonce=${newNonce()}`), "400100", "more than once");
    assertRejected(await call(queryUrl(sim, RESULT_PATHS.sync, orderNo), { method: "POST" }), "400100", "use GET");
    assertRejected(await call(`${sim.url}/api/paas/idcardocrapp?orderNo=${orderNo}`), "400100", "use POST");
  });

  test("POST bodies: content type, JSON, orderNo in query and body, field types, idcardStr", async () => {
    const orderNo = newOrder();
    const bad = async (o, part) => assertRejected(await idcardOcr(sim, orderNo, o), "400100", part);
    await bad({ contentType: "text/plain" }, "Content-Type");
    await bad({ queryOrderNo: "another1" }, "orderNo");
    await bad({ drop: ["cardType"] }, "cardType");
    await bad({ drop: ["idcardStr"] }, "idcardStr");
    await bad({ body: { cardType: "2" } }, "cardType");
    await bad({ body: { cardType: 0 } }, "must be a string");
    await bad({ body: { userId: "u".repeat(33) } }, "userId");
    // "不要带有特殊字符" (身份证识别 API): letters and digits only.
    for (const userId of ["user_001", "user-001", "user 001"]) await bad({ body: { userId } }, "userId must be 1 to 32 ASCII letters or digits");
    await bad({ body: { extra: "x" } }, "unexpected");
    await bad({ body: { idcardStr: `data:image/jpeg;base64,${JPEG_1PX}` } }, "data:");
    await bad({ body: { idcardStr: `${JPEG_1PX.slice(0, 8)}\n${JPEG_1PX.slice(8)}` } }, "line breaks");
    await bad({ body: { idcardStr: JPEG_1PX.replace(/=+$/, "") + "*" } }, "base64");
    await bad({ body: { idcardStr: Buffer.from("GIF89a-not-a-card").toString("base64") } }, "JPEG or PNG");
    assertRejected(await post(sim, `/api/paas/idcardocrapp?orderNo=${orderNo}`, "{not json"), "400100", "JSON");
    assertRejected(await post(sim, "/api/paas/idcardocrapp", { orderNo }), "400100", "orderNo");
    assertRejected(await queryFaceRecord(sim, orderNo, { body: { getFile: 1 } }), "400100", "getFile");
    // queryfacerecord: ?orderNo= in the URL (1007/114181), getFile camelCase in the body (F/验证结果/查询核身结果.md).
    const record = { appId: sim.appId, version: "1.0.0", nonce: newNonce(), orderNo };
    record.sign = signOf([record.appId, orderNo, "1.0.0", sim.ticket, record.nonce]);
    assertRejected(await post(sim, "/api/v2/base/queryfacerecord", record), "400100", "orderNo is missing");
    assertRejected(await post(sim, `/api/v2/base/queryfacerecord?orderNo=${orderNo}`, { ...record, get_file: "1" }), "400100", 'unexpected body field "get_file"');
    assertEnvelope(await post(sim, `/api/v2/base/queryfacerecord?orderNo=${orderNo}`, record), orderNo);
    await bad({ body: { idcardStr: "A".repeat(21 << 20) } }, "at most");
    assertEnvelope(await idcardOcr(sim, orderNo, { contentType: "application/json; charset=utf-8" }), orderNo);
  });

  test("an unknown app_id is 400103; an unknown path is 404", async () => {
    const orderNo = newOrder();
    const nonce = newNonce();
    const params = { app_id: "IDAnobody", nonce, sign: signOf(["IDAnobody", orderNo, "1.0.0", sim.ticket, nonce]) };
    assertRejected(await getResult(sim, "sync", orderNo, { params }), "400103", "IDAnobody");
    const r = await call(`${sim.url}/api/server/nothing`);
    assert.equal(r.status, 404);
  });
});

describe("access token and tickets", () => {
  let own;
  before(async () => {
    own = await startSimulator({ appId: "IDAtok001", secret: "s3cret", ticket: "InitialTicket0001", nonceTicket: "FixedNonceTicket" });
  });
  after(() => own.stop());
  const tokenUrl = (q) => `${own.url}/api/oauth2/access_token?${new URLSearchParams({ app_id: own.appId, secret: "s3cret", grant_type: "client_credential", version: "1.0.0", ...q })}`;
  const ticketUrl = (q) => `${own.url}/api/oauth2/api_ticket?${new URLSearchParams({ app_id: own.appId, type: "SIGN", version: "1.0.0", ...q })}`;

  test("token, SIGN ticket, NONCE ticket; a replaced ticket or token is 400104", async () => {
    assert.equal(own.ticket, "InitialTicket0001");
    const orderNo = newOrder();
    assertEnvelope(await getResult(own, "sync", orderNo), orderNo);

    const t = await call(tokenUrl());
    assert.equal(t.json.code, "0");
    assert.equal(t.json.msg, "请求成功");
    assert.equal(t.json.expire_in, 7200);
    assert.match(t.json.expire_time, /^\d{14}$/);
    assert.match(t.json.transactionTime, /^\d{14}$/);
    assert.match(t.json.access_token, /^[A-Za-z0-9]{32}$/);

    const s = await call(ticketUrl({ access_token: t.json.access_token }));
    assert.equal(s.json.code, "0");
    assert.equal(s.json.tickets.length, 1);
    assert.equal(s.json.tickets[0].expire_in, 3600);
    assert.equal(own.ticket, s.json.tickets[0].value);
    assertEnvelope(await getResult(own, "live", orderNo), orderNo);
    // The replaced ticket keeps working for 60 s (it used to die at once: that was a placeholder).
    assertEnvelope(await getResult(own, "live", orderNo, { ticket: "InitialTicket0001" }), orderNo);

    const n = await call(ticketUrl({ access_token: t.json.access_token, type: "NONCE", user_id: "user001" }));
    assert.deepEqual([n.json.tickets[0].value, n.json.tickets[0].expire_in], ["FixedNonceTicket", 120]);
    assertRejected(await call(ticketUrl({ access_token: t.json.access_token, type: "NONCE" })), "400100", "user_id");

    const t2 = await call(tokenUrl());
    assert.notEqual(t2.json.access_token, t.json.access_token);
    assert.equal((await call(ticketUrl({ access_token: t2.json.access_token }))).json.code, "0");
    own.advance(61_000);
    assertRejected(await getResult(own, "live", orderNo, { ticket: "InitialTicket0001" }), "400104", "replaced");
    assertRejected(await call(ticketUrl({ access_token: t.json.access_token })), "400104", "replaced");
    assertRejected(await call(ticketUrl({ access_token: "bogus" })), "400104", "unknown");
    assert.equal((await call(ticketUrl({ access_token: t2.json.access_token }))).json.code, "0");

    own.reset();
    assert.equal(own.ticket, "InitialTicket0001");
    assertEnvelope(await getResult(own, "sync", orderNo), orderNo);
  });

  test("app_id or appId, exactly one, on access_token and api_ticket (the SIGN page 1007/57613 says appId, the others app_id)", async () => {
    const q = (path, params) => call(`${own.url}/api/oauth2/${path}?${new URLSearchParams(params)}`);
    const base = { secret: "s3cret", grant_type: "client_credential", version: "1.0.0" };
    const t1 = await q("access_token", { appId: own.appId, ...base });
    assert.equal(t1.json.code, "0", t1.json.msg);
    assertRejected(await q("access_token", { app_id: own.appId, appId: own.appId, ...base }), "400100", "give query parameter app_id or appId, not both");
    assertRejected(await q("access_token", base), "400100", "app_id is missing (or its other name appId)");
    assertRejected(await q("access_token", { appId: "IDAother", ...base }), "400103");
    const token = (await q("access_token", { app_id: own.appId, ...base })).json.access_token;
    for (const name of ["appId", "app_id"]) {
      const sign = await q("api_ticket", { [name]: own.appId, access_token: token, type: "SIGN", version: "1.0.0" });
      assert.equal(sign.json.code, "0", sign.json.msg);
      const nonce = await q("api_ticket", { [name]: own.appId, access_token: token, type: "NONCE", version: "1.0.0", user_id: "user001" });
      assert.equal(nonce.json.tickets[0].value, "FixedNonceTicket");
    }
    assertRejected(await q("api_ticket", { app_id: own.appId, appId: own.appId, access_token: token, type: "SIGN", version: "1.0.0" }), "400100", "not both");
    assertRejected(await q("api_ticket", { access_token: token, type: "SIGN", version: "1.0.0" }), "400100", "app_id is missing");
    assertRejected(await q("api_ticket", { app_id: own.appId, access_token: token, type: "SIGN", version: "1.0.0", userId: "user001" }), "400100", 'unexpected query parameter "userId"');
  });

  test("token request checks: secret, grant_type, version, app_id; the secret never reaches the log", async () => {
    assertRejected(await call(tokenUrl({ secret: "wrong" })), "400104", "secret");
    assertRejected(await call(tokenUrl({ grant_type: "password" })), "400100", "grant_type");
    assertRejected(await call(tokenUrl({ version: "2.0.0" })), "400100", "version");
    assertRejected(await call(tokenUrl({ app_id: "IDAother" })), "400103");
    assertRejected(await call(ticketUrl({ access_token: "x", type: "OTHER" })), "400100", "type");
    const log = JSON.stringify(own.requests({ endpoint: "access_token" }));
    assert.ok(!log.includes("s3cret") && !log.includes("wrong"), log);
  });

  test("tickets and tokens expire by the clock", async () => {
    let now = Date.now();
    const timed = await startSimulator({ now: () => now });
    try {
      const orderNo = newOrder();
      assertEnvelope(await getResult(timed, "sync", orderNo), orderNo);
      const ticket = timed.ticket;
      now += 3601_000;
      assert.equal(timed.ticket, null);
      assertRejected(await getResult(timed, "sync", orderNo, { ticket }), "400104", "expired");
      const url = `${timed.url}/api/oauth2/access_token?app_id=${timed.appId}&secret=${timed.secret}&grant_type=client_credential&version=1.0.0`;
      const token = (await call(url)).json.access_token;
      now += 7201_000;
      assertRejected(await call(`${timed.url}/api/oauth2/api_ticket?app_id=${timed.appId}&access_token=${token}&type=SIGN&version=1.0.0`), "400104", "expired");
    } finally {
      await timed.stop();
    }
  });
});

describe("token and ticket rules (state.mjs)", () => {
  /** The OAuth calls of `s`, answered as JSON; `secret` defaults to the simulator's current one. */
  const oauth = (s) => ({
    token: (secret = s.secret) => call(`${s.url}/api/oauth2/access_token?${new URLSearchParams({ app_id: s.appId, secret, grant_type: "client_credential", version: "1.0.0" })}`),
    ticket: (accessToken, userId) => call(`${s.url}/api/oauth2/api_ticket?${new URLSearchParams({
      app_id: s.appId, access_token: accessToken, type: userId === undefined ? "SIGN" : "NONCE", version: "1.0.0", ...(userId === undefined ? {} : { user_id: userId }),
    })}`),
  });
  const tokenOf = async (s, secret) => {
    const r = await oauth(s).token(secret);
    assert.equal(r.json.code, "0", r.json.msg);
    return r.json.access_token;
  };
  const ticketOf = async (s, accessToken, userId) => {
    const r = await oauth(s).ticket(accessToken, userId);
    assert.equal(r.json.code, "0", r.json.msg);
    assert.equal(r.json.tickets.length, 1);
    return r.json.tickets[0].value;
  };
  /** A refresh done right: access_token, then api_ticket(SIGN) with it. */
  const refresh = async (s) => {
    const token = await tokenOf(s);
    return { token, ticket: await ticketOf(s, token) };
  };
  const queryWith = (s, ticket) => getResult(s, "sync", newOrder("q"), { ticket });
  const accepted = async (s, ticket) => assert.equal((await queryWith(s, ticket)).json.code, "0");
  const useNonce = (s, value, userId) => post(s, "/__sim/nonce-tickets/use", { value, userId });
  const fresh = async (options, fn) => {
    const s = await startSimulator(options);
    try {
      await fn(s);
    } finally {
      await s.stop();
    }
  };

  test("a new access token leaves the old one 60 s: usable at 59 s, dead at 61 s, its SIGN ticket with it", () => fresh({}, async (s) => {
    const first = await refresh(s);
    await accepted(s, first.ticket);
    const token2 = await tokenOf(s);
    s.advance(59_000);
    await ticketOf(s, first.token, "user59"); // the old token still mints (a NONCE ticket: SIGN would replace)
    await accepted(s, first.ticket);
    assert.equal(s.ticket, first.ticket);
    assert.equal(s.refreshStats().deadUses, 0);

    s.advance(2_000);
    assertRejected(await oauth(s).ticket(first.token), "400104", "access_token was replaced by a newer one more than 60 s ago");
    assertRejected(await queryWith(s, first.ticket), "400104", "died with the access_token");
    assert.equal(s.ticket, null);
    const ticket2 = await ticketOf(s, token2);
    await accepted(s, ticket2);
    assert.equal(s.ticket, ticket2);
    assert.equal(s.refreshStats().deadUses, 2);
  }));

  test("a new SIGN ticket leaves the old one 60 s: both sign during the overlap, then only the new one", () => fresh({ ticket: "InitialSignTicket" }, async (s) => {
    const token = await tokenOf(s);
    const t1 = await ticketOf(s, token);
    const t2 = await ticketOf(s, token);
    assert.notEqual(t1, t2);
    assert.equal(s.ticket, t2);
    await accepted(s, t1);
    await accepted(s, t2);
    s.advance(59_000);
    await accepted(s, t1);
    await accepted(s, "InitialSignTicket");
    s.advance(2_000);
    assertRejected(await queryWith(s, t1), "400104", "SIGN ticket was replaced by a newer one more than 60 s ago");
    assertRejected(await queryWith(s, "InitialSignTicket"), "400104", "replaced");
    await accepted(s, t2);
    assertRejected(await queryWith(s, "NeverIssuedTicket"), "400101"); // a signing bug stays 400101
    assert.equal(s.refreshStats().deadUses, 2);
    const log = s.requests({ verdict: "400104" });
    assert.equal(log.length, 2);
    assert.ok(!JSON.stringify(log).includes(t1), "the log never holds a ticket");
  }));

  test("expiry by advance: SIGN 3600 s, token 7200 s, NONCE 120 s; a SIGN ticket never outlives its token", () => fresh({}, async (s) => {
    const token = await tokenOf(s);
    const a = await ticketOf(s, token);
    const n1 = await ticketOf(s, token, "u1");
    const n2 = await ticketOf(s, token, "u1");
    s.advance(119_000);
    assert.deepEqual(s.useNonceTicket(n1, "u1"), { ok: true, reason: null });
    s.advance(2_000); // 121 s
    assert.equal(s.useNonceTicket(n2, "u1").reason, "expired");

    s.advance(3_599_000 - 121_000);
    await accepted(s, a);
    s.advance(2_000); // 3601 s
    assertRejected(await queryWith(s, a), "400104", "SIGN ticket expired (3600 s after issue)");
    assert.equal(s.ticket, null);

    const late = await oauth(s).ticket(token); // minted 3601 s into the token's life
    assert.equal(late.json.tickets[0].expire_in, 3600); // the answer does not warn...
    const b = late.json.tickets[0].value;
    s.advance(7_199_000 - 3_601_000);
    await accepted(s, b);
    await ticketOf(s, token, "u2");
    s.advance(2_000); // 7201 s: ...but the ticket dies with its token, 3600 s early
    assertRejected(await queryWith(s, b), "400104", "died with the access_token it was minted from (access_token expired");
    assertRejected(await oauth(s).ticket(token), "400104", "access_token expired (7200 s after issue)");
    assert.equal(s.refreshStats().deadUses, 4); // a, b, the token, n2
  }));

  test("NONCE tickets: per user_id, a fresh value each, single use, every refusal reason, over HTTP too", () => fresh({}, async (s) => {
    const token = await tokenOf(s);
    const n1 = await ticketOf(s, token, "userA1");
    const n2 = await ticketOf(s, token, "userA1");
    assert.notEqual(n1, n2);
    assert.match(n1, /^[A-Za-z0-9]{64}$/);
    await ticketOf(s, token, "u".repeat(30));
    assertRejected(await oauth(s).ticket(token, "u".repeat(31)), "400100", "user_id");
    for (const bad of ["user!", "user_A-1", "user_1", "user-1"]) assertRejected(await oauth(s).ticket(token, bad), "400100", "user_id must be 1 to 30 ASCII letters or digits");

    assert.deepEqual(s.useNonceTicket(n1, "someoneElse"), { ok: false, reason: "wrong user", detail: "NONCE ticket was issued for another user_id" });
    assert.deepEqual(s.useNonceTicket(n1, "userA1"), { ok: true, reason: null }); // a refused use spent nothing
    assert.equal(s.useNonceTicket(n1, "userA1").reason, "used");
    assert.equal(s.useNonceTicket("noSuchTicket", "userA1").reason, "unknown");

    const r = await useNonce(s, n2, "userA1");
    assert.deepEqual([r.status, r.json], [200, { ok: true, reason: null }]);
    assert.equal((await useNonce(s, n2, "userA1")).json.reason, "used");
    assert.equal((await useNonce(s, 42, "userA1")).status, 400);
    assert.equal((await post(s, "/__sim/nonce-tickets/use", "[1]")).status, 400);

    const n3 = await ticketOf(s, token, "userB");
    await tokenOf(s);
    s.advance(61_000);
    const dead = s.useNonceTicket(n3, "userB");
    assert.equal(dead.reason, "token died");
    assert.match(dead.detail, /replaced by a newer one more than 60 s ago/);
    assert.equal(s.refreshStats().nonceTickets, 4);
    assert.equal(s.refreshStats().deadUses, 1);
  }));

  test("rotateSecret kills every token and ticket at once; the old secret stops working; reset restores", () => fresh({ ticket: "InitialSignTicket" }, async (s) => {
    const initialSecret = s.secret;
    const { token, ticket } = await refresh(s);
    const nonce = await ticketOf(s, token, "u1");
    s.rotateSecret("NewSecret0002");
    assert.equal(s.secret, "NewSecret0002");
    assert.equal(s.ticket, null);
    assertRejected(await queryWith(s, ticket), "400104", "secret was changed");
    assertRejected(await queryWith(s, "InitialSignTicket"), "400104", "secret was changed");
    assertRejected(await oauth(s).ticket(token), "400104", "secret was changed");
    assertRejected(await oauth(s).token(initialSecret), "400104", "secret was changed");
    assert.equal(s.useNonceTicket(nonce, "u1").reason, "secret changed");
    assert.throws(() => s.rotateSecret("NewSecret0002"), /differ/);
    assert.throws(() => s.rotateSecret(""), /secret/);

    const again = await refresh(s); // refreshing right after the change is no overlap
    await accepted(s, again.ticket);
    const r = await post(s, "/__sim/rotate-secret", { secret: "ThirdSecret03" });
    assert.deepEqual([r.status, r.json], [200, { ok: true }]);
    assert.equal((await post(s, "/__sim/rotate-secret", {})).status, 400);
    assertRejected(await queryWith(s, again.ticket), "400104", "secret");
    await refresh(s);
    const stats = s.refreshStats();
    assert.deepEqual([stats.accessTokens, stats.signTickets, stats.overlaps, stats.deadUses], [3, 3, 0, 5]);
    assert.ok(!JSON.stringify(s.requests()).includes("NewSecret0002"));

    s.reset();
    assert.equal(s.secret, initialSecret);
    assert.equal(s.ticket, "InitialSignTicket");
    await tokenOf(s, initialSecret);
  }));

  test("overlapping refreshes are counted (issueDelayMs); sequential ones spaced beyond the window are not", () => fresh({ issueDelayMs: 150 }, async (s) => {
    const t = performance.now();
    await refresh(s);
    assert.ok(performance.now() - t >= 290, "each OAuth answer takes issueDelayMs");
    s.advance(1_001);
    await refresh(s);
    assert.equal(s.refreshStats().overlaps, 0);

    // Two owners refreshing at once, the second 50 ms after the first: A's token [0, 150 ms],
    // B's token [50, 200], A's SIGN from 150 (B's token still served), B's SIGN from 200.
    s.reset();
    const a = refresh(s);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([a, refresh(s)]);
    const stats = s.refreshStats();
    assert.deepEqual([stats.accessTokens, stats.signTickets, stats.nonceTickets, stats.overlaps], [2, 2, 0, 3]);
    assert.deepEqual(stats.issues.map((i) => [i.kind, i.overlap]), [["access_token", false], ["access_token", true], ["SIGN", true], ["SIGN", true]]);
    const log = s.requests();
    for (const i of stats.issues) {
      assert.equal(typeof i.at, "number");
      const entry = log.find((e) => e.seq === i.by);
      assert.equal(entry.endpoint, i.kind === "SIGN" ? "api_ticket" : "access_token");
      assert.equal(entry.overlap ?? false, i.overlap);
    }
    assert.deepEqual((await call(`${s.url}/__sim/refresh-stats`)).json, stats);

    // Back to back without waiting: the window catches what no longer overlaps in time.
    s.reset();
    await refresh(s);
    await refresh(s);
    assert.equal(s.refreshStats().overlaps, 2);

    // Many at once: every request but the first overlaps; NONCE tickets never do.
    s.reset();
    const token = await tokenOf(s);
    s.advance(2_000);
    await Promise.all(Array.from({ length: 5 }, (_, i) => ticketOf(s, token, `user${i}`)));
    assert.equal(s.refreshStats().overlaps, 0);
    await Promise.all(Array.from({ length: 10 }, () => tokenOf(s)));
    assert.deepEqual([s.refreshStats().accessTokens, s.refreshStats().overlaps], [11, 9]);
  }));

  test("a secret change while a refresh is being served fails that refresh", () => fresh({ issueDelayMs: 200 }, async (s) => {
    const pending = oauth(s).token();
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.rotateSecret("Rotated000001");
    assertRejected(await pending, "400104", "while this request was being served");
    assert.equal(s.refreshStats().accessTokens, 0);
  }));

  test("deadUses counts dead credentials only (not unknown ones); reset clears the statistics", () => fresh({}, async (s) => {
    const { token, ticket } = await refresh(s);
    await tokenOf(s);
    await accepted(s, ticket);
    s.advance(61_000);
    assertRejected(await queryWith(s, ticket), "400104");
    assertRejected(await oauth(s).ticket(token, "u1"), "400104");
    assertRejected(await oauth(s).ticket("unknownToken"), "400104", "unknown");
    assertRejected(await queryWith(s, "unknownTicket"), "400101");
    assert.equal(s.refreshStats().deadUses, 2);
    assert.equal((await call(`${s.url}/__sim/refresh-stats`)).json.deadUses, 2);

    s.reset();
    assert.deepEqual(s.refreshStats(), { accessTokens: 0, signTickets: 0, nonceTickets: 0, overlaps: 0, deadUses: 0, issues: [] });
    assertRejected(await oauth(s).ticket(token), "400104", "unknown"); // tokens from before a reset are unknown
    assert.equal(s.refreshStats().deadUses, 0);
  }));

  test("advance: adds to the `now` option, also over HTTP; reset zeroes it; bad values refused", () => {
    let base = 1_700_000_000_000;
    return fresh({ now: () => base }, async (s) => {
      assert.equal(s.now(), base);
      assert.equal(s.advance(5_000), base + 5_000);
      base += 1_000;
      assert.equal(s.now(), base + 5_000);
      const r = await post(s, "/__sim/advance", { ms: 1_000 });
      assert.deepEqual([r.status, r.json], [200, { ok: true, now: base + 6_000 }]);
      assert.equal((await post(s, "/__sim/advance", { ms: -1 })).status, 400);
      assert.equal((await post(s, "/__sim/advance", { ms: "10" })).status, 400);
      assert.throws(() => s.advance(Number.NaN), /advance/);
      // The answers follow the simulator's clock: one day on, another date.
      const before = (await oauth(s).token()).json.transactionTime;
      s.advance(86_400_000);
      const later = (await oauth(s).token()).json.transactionTime;
      assert.equal(Number(later.slice(0, 8)) - Number(before.slice(0, 8)) > 0, true);
      s.reset();
      assert.equal(s.now(), base);
      await assert.rejects(startSimulator({ issueDelayMs: -5 }), /issueDelayMs/);
      await assert.rejects(startSimulator({ overlapWindowMs: Infinity }), /overlapWindowMs/);
    });
  });
});

describe("scenarios", () => {
  test("shape: nested (default), flat, both", async () => {
    const flat = newOrder();
    sim.setOrder(flat, { shape: "flat" });
    const f = await getResult(sim, "sync", flat);
    assert.equal(f.json.result, undefined);
    assert.equal(f.json.code, "0");
    assert.equal(f.json.orderNo, flat);
    assert.equal(f.json.order_no, flat);
    assert.equal(f.json.similarity, "95.0");
    assert.deepEqual(Object.keys(f.json).slice(0, 2), ["code", "msg"]);

    const both = newOrder();
    sim.setOrder(both, { shape: "both" });
    const b = await getResult(sim, "bank", both);
    assert.equal(b.json.bankCardNo, b.json.result.bankCardNo);
    assertEnvelope(b, both);
  });

  test("numbers: JSON numbers, written as the service writes them", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { numbers: "numbers" });
    const r = await getResult(sim, "sync", orderNo);
    assert.ok(r.text.includes('"liveRate":100,') && r.text.includes('"similarity":95.0,'), r.text);
    assert.equal(r.json.result.similarity, 95);
    const o = await idcardOcr(sim, orderNo);
    assert.equal(typeof o.json.result.clarity, "number");
    assert.equal(o.json.code, "0");
  });

  test("business codes: code and msg verbatim, no files unless filesOnError", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { code: "66660011" });
    const r = await getResult(sim, "sync", orderNo, { getFile: "1" });
    assert.equal(r.json.code, "66660011");
    assert.equal(r.json.msg, "无此查询结果");
    assert.equal(r.json.result.orderNo, orderNo);
    assert.equal(r.json.result.photo, undefined);
    assert.equal(r.json.result.similarity, undefined);

    sim.setOrder(orderNo, { code: 400604, msg: "custom", filesOnError: true, photoBytes: 100 });
    const e = await getResult(sim, "live", orderNo, { getFile: "2" });
    assert.deepEqual([e.json.code, e.json.msg], ["400604", "custom"]);
    assert.equal(decode(e.json.result.photo).length, 100);
  });

  test("files: get_file per endpoint, exact sizes, JPEG / PNG / MP4 magic", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { photoBytes: 3000, videoBytes: 5000 });
    const fields = async (kind, getFile) => {
      const r = await getResult(sim, kind, orderNo, { getFile });
      return Object.keys(r.json.result).filter((k) => /photo|video|crop/i.test(k)).sort();
    };
    assert.deepEqual(await fields("sync", "1"), ["photo", "video"]);
    assert.deepEqual(await fields("sync", "2"), ["photo"]);
    assert.deepEqual(await fields("live", "3"), ["video"]);
    for (const v of ["0", "4", "", "x", undefined]) assert.deepEqual(await fields("live", v), [], `get_file=${v}`);
    assert.deepEqual(await fields("ocr", "1"), ["backCrop", "backPhoto", "frontCrop", "frontPhoto", "headPhoto"]);
    assert.deepEqual(await fields("ocr", "2"), []);
    assert.deepEqual(await fields("bank", "1"), ["bankcardCropPhoto", "bankcardNoPhoto", "originBankcardPhoto"]);

    const r = await getResult(sim, "sync", orderNo, { getFile: "1" });
    const photo = decode(r.json.result.photo);
    const video = decode(r.json.result.video);
    assert.equal(photo.length, 3000);
    assert.equal(video.length, 5000);
    assert.ok(isJpeg(photo));
    assert.ok(isMp4(video));
    assert.equal(video.readUInt32BE(32) + 32, 5000); // ftyp box + mdat box fill the file

    sim.setOrder(orderNo, { photoFormat: "png", photoBytes: 4000 });
    const p = await getResult(sim, "bank", orderNo, { getFile: "1" });
    const png = decode(p.json.result.originBankcardPhoto);
    assert.equal(png.length, 4000);
    assert.ok(isPng(png));
  });

  test("bankPhotoField: originBankcardPhoto (the current result pages) by default, orginBankcardPhoto (an older iOS page) per order", async () => {
    const orderNo = newOrder();
    const fields = async () => Object.keys((await getResult(sim, "bank", orderNo, { getFile: "1" })).json.result).filter((k) => /Photo$/.test(k)).sort();
    assert.deepEqual(await fields(), ["bankcardCropPhoto", "bankcardNoPhoto", "originBankcardPhoto"]);
    assert.equal(sim.setOrder(orderNo, { bankPhotoField: "orginBankcardPhoto" }).bankPhotoField, "orginBankcardPhoto");
    assert.deepEqual(await fields(), ["bankcardCropPhoto", "bankcardNoPhoto", "orginBankcardPhoto"]);
    const flat = newOrder();
    sim.setOrder(flat, { bankPhotoField: "orginBankcardPhoto", shape: "flat", photoFormat: "png" });
    assert.ok(isPng(decode((await getResult(sim, "bank", flat, { getFile: "1" })).json.orginBankcardPhoto)));
    assert.deepEqual(Object.keys((await getResult(sim, "ocr", flat, { getFile: "1" })).json).filter((k) => /Photo$/.test(k)).sort(), ["backPhoto", "frontPhoto", "headPhoto"]);
    assert.throws(() => sim.setOrder(orderNo, { bankPhotoField: "originBankCardPhoto" }), /bankPhotoField must be/);
  });

  test("filesLagPolls: the verdict first, the files from the (N+1)th file request", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { filesLagPolls: 2 });
    const photo = async (getFile) => (await getResult(sim, "sync", orderNo, { getFile })).json.result.photo;
    assert.equal(await photo(undefined), undefined); // asks for no files: does not count
    assert.equal(await photo("2"), undefined);
    assert.equal(await photo("1"), undefined);
    assert.ok(isJpeg(decode(await photo("2"))));
  });

  test("extraFields reach the payload, nested or flat", async () => {
    const orderNo = newOrder();
    const extraFields = { riskTag: "none", nested: { a: [1, "2"] }, similarity: "88.5" };
    sim.setOrder(orderNo, { extraFields });
    const r = await getResult(sim, "sync", orderNo);
    assert.deepEqual(r.json.result.nested, extraFields.nested);
    assert.equal(r.json.result.similarity, "88.5");
    sim.setOrder(orderNo, { extraFields, shape: "flat" });
    assert.equal((await getResult(sim, "sync", orderNo)).json.riskTag, "none");
  });

  test("topFields reach the top level; __proto__, constructor and prototype keys are sent verbatim", async () => {
    const orderNo = newOrder();
    const keys = JSON.parse('{"__proto__": {"injected": "p"}, "constructor": {"prototype": {"injected": "c"}}, "prototype": "x"}');
    for (const shape of ["nested", "flat", "both"]) {
      sim.setOrder(orderNo, { shape, extraFields: keys, topFields: { ...keys, riskTag: "top" } });
      const r = await getResult(sim, "sync", orderNo);
      assert.equal(r.json.code, "0");
      assert.equal(r.json.riskTag, "top", shape);
      for (const obj of shape === "flat" ? [r.json] : [r.json, r.json.result]) {
        assert.deepEqual(Object.keys(obj).filter((k) => k in keys), ["__proto__", "constructor", "prototype"], `${shape}: ${r.text}`);
        assert.deepEqual(obj.__proto__, { injected: "p" }, shape); // JSON.parse makes it an own key
        assert.equal(obj.injected, undefined);
        assert.equal(obj.prototype, "x");
      }
    }
  });

  test("setOrder rejects unknown or malformed fields", () => {
    assert.throws(() => sim.setOrder("o1", { shapes: "flat" }), /unknown scenario field/);
    assert.throws(() => sim.setOrder("o1", { shape: "round" }), /shape/);
    assert.throws(() => sim.setOrder("o1", { fault: { type: "explode" } }), /fault.type/);
    assert.throws(() => sim.setOrder("o1", { fault: { type: "busy", code: "123" } }), /busy/);
    assert.throws(() => sim.setOrder("o1", { photoBytes: 10 }), /photoBytes/);
    assert.throws(() => sim.setOrder("o1", { topFields: [] }), /topFields must be an object/);
    assert.throws(() => sim.setOrder("bad-order", {}), /orderNo/);
  });
});

describe("faults", () => {
  test("slow: the answer after delayMs, for `times` attempts", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "slow", delayMs: 300, times: 1 } });
    let t = performance.now();
    assertEnvelope(await getResult(sim, "sync", orderNo), orderNo);
    assert.ok(performance.now() - t >= 280);
    t = performance.now();
    assertEnvelope(await getResult(sim, "sync", orderNo), orderNo);
    assert.ok(performance.now() - t < 250);
  });

  test("status: HTTP 5xx for `times` attempts, then the answer; invalid requests do not count", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "status", status: 503, times: 2 } });
    assertRejected(await getResult(sim, "sync", orderNo, { ticket: "wrong" }), "400101");
    for (let i = 0; i < 2; i++) {
      const r = await getResult(sim, "sync", orderNo);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get("access-control-allow-origin"), "*");
    }
    assertEnvelope(await getResult(sim, "sync", orderNo), orderNo);
    assert.deepEqual(sim.requests({ orderNo }).map((e) => [e.verdict, e.status, e.fault ?? null]), [
      ["400101", 200, null], ["ok", 503, "status"], ["ok", 503, "status"], ["ok", 200, null],
    ]);
  });

  test("html: a 502 HTML error page; a retry with the same nonce is 400102", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "html", times: 1 } });
    const url = queryUrl(sim, RESULT_PATHS.live, orderNo);
    const r = await call(url);
    assert.equal(r.status, 502);
    assert.match(r.headers.get("content-type"), /text\/html/);
    assert.match(r.text, /<html>[\s\S]*502 Bad Gateway/);
    assertRejected(await call(url), "400102");
  });

  test("truncated: a complete HTTP response whose JSON is cut in the middle", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "truncated" }, photoBytes: 20000 });
    const r = await getResult(sim, "sync", orderNo, { getFile: "2" });
    assert.equal(r.status, 200);
    assert.equal(r.json, undefined);
    assert.ok(r.text.startsWith('{"code":"0"') && r.text.length > 10000, r.text.slice(0, 80));
    assert.equal(Number(r.headers.get("content-length")), Buffer.byteLength(r.text)); // cut inside the base64: ASCII
  });

  test("reset: the connection dies mid-response", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "reset", times: 1 }, photoBytes: 200000 });
    await assert.rejects(async () => {
      const res = await fetch(queryUrl(sim, RESULT_PATHS.sync, orderNo, { getFile: "2" }));
      await res.text();
    });
    assertEnvelope(await getResult(sim, "sync", orderNo), orderNo);
  });

  test("dropReusedSockets: a connection's second request closes it without an answer (UND_ERR_SOCKET)", async () => {
    await assert.rejects(startSimulator({ dropReusedSockets: "yes" }), TypeError);
    const own = await startSimulator({ keepAliveMs: 30_000 });
    try {
      assert.equal(own.dropReusedSockets, false);
      assert.throws(() => (own.dropReusedSockets = 1), TypeError);
      const pause = () => new Promise((resolve) => setTimeout(resolve, 20)); // the connection back in the pool
      const [a, b, c, d] = [newOrder("a"), newOrder("b"), newOrder("c"), newOrder("d")];
      assertEnvelope(await getResult(own, "sync", a), a);
      await pause();
      assertEnvelope(await getResult(own, "sync", b), b); // off: the reused connection answers
      own.dropReusedSockets = true;
      await pause();
      const error = await getResult(own, "sync", c).then(() => null, (e) => e);
      assert.equal(error?.cause?.code, "UND_ERR_SOCKET", String(error?.cause ?? error));
      assertEnvelope(await getResult(own, "sync", c), c); // a new connection: its first request is answered
      await pause();
      await assert.rejects(queryFaceRecord(own, d)); // POSTs too, their body unread
      const log = own.requests();
      assert.deepEqual(log.map((e) => [e.orderNo, e.verdict, e.connection]),
        [[a, "ok", 1], [b, "ok", 1], [c, "dropped", 1], [c, "ok", 2], [d, "dropped", 2]]);
      assert.deepEqual([log[2].endpoint, log[2].status, log[4].endpoint], ["sync", "dropped", "queryfacerecord"]);
      assert.match(log[2].reason, /request 3 of a kept-alive connection/);
      assert.equal(log[4].body, undefined);
      assert.equal(own.requests({ orderNo: c, verdict: "ok" })[0].attempt, 1, "the dropped request was no attempt");
      // The control API is never dropped; reset leaves the setting.
      own.reset();
      assert.equal(own.dropReusedSockets, true);
      await pause();
      assert.equal((await post(own, `/__sim/orders/${a}`, {})).status, 200);
      await pause();
      assert.equal((await call(`${own.url}/__sim/requests`)).status, 200);
    } finally {
      await own.stop();
    }
  });

  test("slowBody: the headers and half the body at once, the rest after delayMs", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "slowBody", delayMs: 400, times: 1 }, photoBytes: 20000 });
    const t = performance.now();
    const res = await fetch(queryUrl(sim, RESULT_PATHS.sync, orderNo, { getFile: "2" }));
    const headersAfter = performance.now() - t;
    assert.ok(headersAfter < 300, `headers after ${headersAfter} ms`);
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.ok(first.value.length > 0 && performance.now() - t < 300, "the first half at once");
    const rest = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    assert.ok(performance.now() - t >= 380, "the rest after delayMs");
    const text = Buffer.concat([first.value, ...rest]).toString();
    assert.equal(Number(res.headers.get("content-length")), Buffer.byteLength(text));
    assertEnvelope(JSON.parse(text) && (await getResult(sim, "sync", orderNo)), orderNo);
    assert.throws(() => sim.setOrder(orderNo, { fault: { type: "slowBody" } }), /slowBody fault needs delayMs/);
  });

  test("empty: HTTP 200, JSON content type, no body", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "empty", times: 1 } });
    const r = await getResult(sim, "sync", orderNo);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /application\/json/);
    assert.equal(r.headers.get("content-length"), "0");
    assert.equal(r.text, "");
    assert.deepEqual(sim.requests({ orderNo }).map((e) => [e.verdict, e.status, e.fault]), [["ok", 200, "empty"]]);
    assertEnvelope(await getResult(sim, "sync", orderNo), orderNo);
  });

  test("busy: the busy code for `times` attempts, then the answer; faults in sequence", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { fault: { type: "busy", code: "999998", times: 2 } });
    for (let i = 0; i < 2; i++) {
      const r = await getResult(sim, "ocr", orderNo);
      assert.equal(r.json.code, "999998");
      assert.equal(r.json.result, undefined);
    }
    assertEnvelope(await getResult(sim, "ocr", orderNo), orderNo);

    const seq = newOrder();
    sim.setOrder(seq, { fault: [{ type: "status", status: 502, times: 1 }, { type: "busy", code: "999999", times: 1 }] });
    assert.equal((await queryFaceRecord(sim, seq)).status, 502);
    assert.equal((await queryFaceRecord(sim, seq)).json.code, "999999");
    assertEnvelope(await queryFaceRecord(sim, seq), seq);
  });
});

describe("transport", () => {
  test("CORS: preflight answered, Access-Control-Allow-Origin on every response", async () => {
    const pre = await fetch(`${sim.url}/api/paas/idcardocrapp?orderNo=x1`, {
      method: "OPTIONS", headers: { origin: "http://example.test", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
    assert.match(pre.headers.get("access-control-allow-methods"), /GET/);
    assert.equal(pre.headers.get("access-control-allow-headers"), "content-type");
    assert.equal(pre.headers.get("access-control-allow-private-network"), "true");
    const r = await getResult(sim, "sync", newOrder(), { ticket: "wrong" });
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.equal((await call(`${sim.url}/nothing`)).headers.get("access-control-allow-origin"), "*");

    const closed = await startSimulator({ cors: false });
    try {
      assert.equal((await fetch(`${closed.url}/api/server/sync`, { method: "OPTIONS" })).status, 405);
      assert.equal((await getResult(closed, "sync", newOrder())).headers.get("access-control-allow-origin"), null);
    } finally {
      await closed.stop();
    }
  });

  test("a 5 MB photo", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { photoBytes: 5 << 20, videoBytes: 2 << 20 });
    const r = await getResult(sim, "sync", orderNo, { getFile: "1" });
    const photo = decode(r.json.result.photo);
    assert.equal(photo.length, 5 << 20);
    assert.ok(isJpeg(photo));
    assert.equal(decode(r.json.result.video).length, 2 << 20);
    assert.ok(r.text.length > 9_000_000);
  });

  test("the request log: parameters and verdicts, idcardStr as its length, never media", async () => {
    const orderNo = newOrder();
    sim.setOrder(orderNo, { photoBytes: 50000 });
    const big = Buffer.concat([Buffer.from("ffd8ff", "hex"), Buffer.alloc(30000)]).toString("base64");
    await idcardOcr(sim, orderNo, { body: { idcardStr: big } });
    await getResult(sim, "sync", orderNo, { getFile: "1" });
    const log = sim.requests({ orderNo });
    assert.equal(log.length, 2);
    assert.equal(log[0].method, "POST");
    assert.equal(log[0].path, "/api/paas/idcardocrapp");
    assert.equal(log[0].body.idcardStr, big.length);
    assert.equal(log[0].body.cardType, "0");
    assert.deepEqual([log[0].verdict, log[0].status], ["ok", 200]);
    assert.equal(log[1].query.get_file, "1");
    assert.ok(JSON.stringify(log).length < 4000);
  });

  test("the control API over HTTP: orders, requests, reset", async () => {
    const orderNo = newOrder();
    const set = await post(sim, `/__sim/orders/${orderNo}`, { shape: "flat", fault: { type: "busy", code: "999997", times: 1 } });
    assert.equal(set.status, 200);
    assert.equal(set.json.scenario.shape, "flat");
    assert.equal((await getResult(sim, "sync", orderNo)).json.code, "999997");
    assert.equal((await getResult(sim, "sync", orderNo)).json.similarity, "95.0");
    const bad = await post(sim, `/__sim/orders/${orderNo}`, { shape: "round" });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /shape/);
    const log = await call(`${sim.url}/__sim/requests?orderNo=${orderNo}`);
    assert.deepEqual(log.json.map((e) => e.verdict), ["ok", "ok"]);

    const own = await startSimulator();
    try {
      await getResult(own, "sync", newOrder());
      assert.equal((await post(own, "/__sim/reset", {})).json.ok, true);
      assert.deepEqual(own.requests(), []);
    } finally {
      await own.stop();
    }
  });

  test("standalone: node tests/sim/index.mjs --port 0 prints the URL and credentials", async () => {
    const entry = fileURLToPath(new URL("../sim/index.mjs", import.meta.url));
    const child = spawn(process.execPath, [entry, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      for await (const chunk of child.stdout) {
        out += chunk;
        if (/SIGN ticket: \S+/.test(out)) break;
      }
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)[1];
      assert.match(out, /appId: +IDAsim001/);
      assert.match(out, /secret: +\S+/);
      const ticket = /SIGN ticket: (\S+)/.exec(out)[1];
      const orderNo = newOrder();
      assertEnvelope(await getResult({ url, appId: "IDAsim001", ticket }, "sync", orderNo), orderNo);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});

describe("H5 face flow", () => {
  let h5;
  before(async () => {
    h5 = await startSimulator({ appId: "IDAh5sim01" });
  });
  after(() => h5.stop());

  const PERSON = { name: "张三", idNo: "11010519900307123X" };
  const USER = "userH51";
  const CALLBACK = "https://partner.example/h5/done?from=sim&lang=zh#top";
  const jpegOf = (bytes) => Buffer.concat([Buffer.from("ffd8ffe0", "hex"), Buffer.alloc(bytes - 4)]).toString("base64");

  /** POST getAdvFaceId with a signed body; `o.body` overrides, `o.drop` removes fields, `o.ticket` signs with another SIGN ticket. */
  function startFace(s, orderNo, o = {}) {
    const b = { appId: s.appId, orderNo, ...PERSON, userId: USER, version: "1.0.0", nonce: newNonce(), ...o.body };
    b.sign ??= signOf([b.appId, b.userId, b.version, b.nonce, o.ticket ?? s.ticket]);
    for (const k of o.drop ?? []) delete b[k];
    return post(s, `/api/server/getAdvFaceId?orderNo=${o.queryOrderNo ?? orderNo}`, b, o.contentType);
  }
  /** A started face check (of `o.orderNo`, else a new order): its orderNo, faceId and userId. */
  async function started(s, o = {}) {
    const orderNo = o.orderNo ?? newOrder("h");
    const r = await startFace(s, orderNo, o);
    assertEnvelope(r, orderNo);
    return { orderNo, faceId: r.json.result.faceId, userId: o.body?.userId ?? USER };
  }
  /** A NONCE ticket for `userId`: a token, then api_ticket type=NONCE. */
  async function nonceTicket(s, userId = USER) {
    const t = await call(`${s.url}/api/oauth2/access_token?${new URLSearchParams({ app_id: s.appId, secret: s.secret, grant_type: "client_credential", version: "1.0.0" })}`);
    const n = await call(`${s.url}/api/oauth2/api_ticket?${new URLSearchParams({ app_id: s.appId, access_token: t.json.access_token, type: "NONCE", version: "1.0.0", user_id: userId })}`);
    assert.equal(n.json.code, "0", n.json.msg);
    return n.json.tickets[0].value;
  }
  /**
   * The login URL of face check `f` on `device` ("mobile": /api/web/login with resultType, from and
   * redirectType; "pc": /api/pc/login without them), signed with the NONCE ticket `ticket`;
   * `params` override (undefined drops; webankAppId / h5faceId are signed in place of appId / faceId).
   */
  function loginUrl(s, f, ticket, params = {}, device = "mobile") {
    const extra = device === "mobile" ? { resultType: "1", from: "browser", redirectType: "1" } : {};
    const p = { appId: s.appId, version: "1.0.0", nonce: newNonce(), orderNo: f.orderNo, faceId: f.faceId, url: CALLBACK, userId: f.userId, ...extra, ...params };
    if (!("sign" in params)) p.sign = signOf([p.appId ?? p.webankAppId, p.orderNo, p.userId, p.version, p.faceId ?? p.h5faceId, ticket, p.nonce]);
    for (const [k, v] of Object.entries(p)) if (v === undefined) delete p[k];
    return `${s.url}/api/${device === "pc" ? "pc" : "web"}/login?${new URLSearchParams(p)}`;
  }
  const pcLoginUrl = (s, f, ticket, params) => loginUrl(s, f, ticket, params, "pc");
  /** What faces() lists for a face check `f` (its orderNo, faceId, userId) with `more` on top of a fresh start. */
  const faceEntry = (f, more = {}) => ({
    faceId: f.faceId, orderNo: f.orderNo, userId: f.userId, finished: false, outcome: null, code: null,
    device: null, liveInterType: null, liveMode: null, ...more,
  });
  /** The callback's query as a plain object (the url's own parameters included). */
  const callbackQuery = (location) => Object.fromEntries(new URL(location).searchParams);
  /** A refused page: HTTP 400, HTML naming `reasonPart`, no redirect. */
  function assertRefusedPage(r, reasonPart) {
    assert.equal(r.status, 400, r.text ?? r.body);
    assert.equal(r.location, undefined);
    const html = r.text ?? r.body;
    assert.match(html, /<title>人脸核身 · Face verification \(simulator\)/);
    const escaped = /<p class="reason" id="reason">([^<]*)<\/p>/.exec(html)[1];
    const reason = escaped.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
    assert.ok(reason.includes(reasonPart), `reason ${JSON.stringify(reason)} lacks ${JSON.stringify(reasonPart)}`);
    if (r.headers) assert.equal(r.headers.get("location"), null);
    return escaped;
  }

  test("getAdvFaceId: the envelope with a 32-character faceId and optimalDomain = the simulator's host:port", async () => {
    const orderNo = newOrder("h");
    const r = await startFace(h5, orderNo);
    assertEnvelope(r, orderNo);
    const { faceId, optimalDomain } = r.json.result;
    assert.match(faceId, /^[A-Za-z0-9]{32}$/);
    assert.equal(optimalDomain, `127.0.0.1:${h5.port}`);
    assert.equal(`http://${optimalDomain}`, h5.url);
    assert.deepEqual(Object.keys(r.json.result), ["bizSeqNo", "transactionTime", "orderNo", "faceId", "optimalDomain", "success"]);
    assert.deepEqual(h5.faces().find((f) => f.faceId === faceId), faceEntry({ faceId, orderNo, userId: USER }));

    // A comparison photo: JPEG, PNG or BMP, exactly 500 KB accepted; the log holds its length only.
    const photo = jpegOf(500 * 1024);
    const p = await startFace(h5, orderNo, { body: { sourcePhotoStr: photo, sourcePhotoType: "2" } });
    assertEnvelope(p, orderNo);
    assert.notEqual(p.json.result.faceId, faceId);
    const png = Buffer.concat([PNG_SIG, Buffer.alloc(64)]).toString("base64");
    assertEnvelope(await startFace(h5, orderNo, { body: { sourcePhotoStr: png, sourcePhotoType: "1" } }), orderNo);
    const bmp = Buffer.concat([Buffer.from("BM"), Buffer.alloc(52)]).toString("base64");
    assertEnvelope(await startFace(h5, orderNo, { body: { sourcePhotoStr: bmp, sourcePhotoType: "2" } }), orderNo);
    const log = h5.requests({ orderNo, endpoint: "getAdvFaceId" });
    assert.deepEqual(log.map((e) => [e.verdict, e.imageFormat ?? null]), [["ok", null], ["ok", "jpeg"], ["ok", "png"], ["ok", "bmp"]]);
    assert.equal(log[1].body.sourcePhotoStr, photo.length);
    assert.equal(log[1].body.name, PERSON.name);

    // Signed with any SIGN ticket the simulator accepts: also the replaced one, during its 60 s.
    const own = await startSimulator({ ticket: "InitialSignTicketH5" });
    try {
      const token = (await call(`${own.url}/api/oauth2/access_token?app_id=${own.appId}&secret=${own.secret}&grant_type=client_credential&version=1.0.0`)).json.access_token;
      await call(`${own.url}/api/oauth2/api_ticket?app_id=${own.appId}&access_token=${token}&type=SIGN&version=1.0.0`);
      assert.notEqual(own.ticket, "InitialSignTicketH5");
      assertEnvelope(await startFace(own, orderNo, { ticket: "InitialSignTicketH5" }), orderNo);
      own.advance(61_000);
      assertRejected(await startFace(own, orderNo, { ticket: "InitialSignTicketH5" }), "400104", "replaced");
    } finally {
      await own.stop();
    }
  });

  test("getAdvFaceId checks: sign (over userId, not orderNo), nonce, app, orderNo, fields, sourcePhotoStr", async () => {
    const orderNo = newOrder("h");
    const nonce = newNonce();
    const overOrderNo = signOf([h5.appId, orderNo, "1.0.0", h5.ticket, nonce]); // the result queries' recipe
    assertRejected(await startFace(h5, orderNo, { body: { nonce, sign: overOrderNo } }), "400101", "appId, userId, version, nonce");
    assertRejected(await startFace(h5, orderNo, { ticket: "notTheTicket" }), "400101");
    assertEnvelope(await startFace(h5, orderNo, { body: { nonce } }), orderNo); // the refused request did not use up the nonce
    assertRejected(await startFace(h5, orderNo, { body: { nonce } }), "400102");
    assertRejected(await startFace(h5, orderNo, { body: { appId: "IDAnobody" } }), "400103", "IDAnobody");

    const bad = async (o, part) => assertRejected(await startFace(h5, orderNo, o), "400100", part);
    await bad({ queryOrderNo: "another1" }, "orderNo");
    await bad({ body: { orderNo: "another1" } }, "orderNo");
    await bad({ drop: ["name"] }, "name is missing (name and idNo may be left out only with a sourcePhotoStr)");
    await bad({ body: { name: "" } }, "name is empty");
    await bad({ drop: ["idNo"] }, "idNo is missing");
    await bad({ body: { idNo: "" } }, "idNo is empty");
    for (const idNo of ["1101051990030712", "11010519900307123Y", "X10105199003071234", "1101051990030712345"]) await bad({ body: { idNo } }, "idNo");
    await bad({ drop: ["userId"] }, "userId");
    await bad({ body: { userId: "u".repeat(31) } }, "userId must be 1 to 30 ASCII letters or digits"); // a NONCE ticket's user_id is at most 30
    for (const userId of ["user!", "user_h5", "user-h5"]) await bad({ body: { userId } }, "userId must be 1 to 30 ASCII letters or digits (no special characters)");
    await bad({ body: { version: "2.0.0" } }, "version");
    await bad({ body: { nonce: "short" } }, "nonce");
    await bad({ drop: ["sign"] }, "sign");
    await bad({ body: { extra: "x" } }, "unexpected");
    await bad({ body: { name: 7 } }, "must be a string");
    await bad({ contentType: "text/plain" }, "Content-Type");
    await bad({ body: { sourcePhotoStr: jpegOf(500 * 1024 + 1), sourcePhotoType: "1" } }, "at most 512000 bytes (500 KB)");
    await bad({ body: { sourcePhotoStr: Buffer.from("GIF89a-not-a-face").toString("base64"), sourcePhotoType: "1" } }, "JPEG, PNG or BMP");
    await bad({ body: { sourcePhotoStr: `${JPEG_1PX.slice(0, 8)}\n${JPEG_1PX.slice(8)}`, sourcePhotoType: "1" } }, "line breaks");
    await bad({ body: { sourcePhotoStr: `data:image/jpeg;base64,${JPEG_1PX}`, sourcePhotoType: "1" } }, "data:");
    await bad({ body: { sourcePhotoStr: JPEG_1PX } }, "sourcePhotoType");
    await bad({ body: { sourcePhotoStr: JPEG_1PX, sourcePhotoType: "3" } }, "sourcePhotoType");
    await bad({ body: { sourcePhotoType: "1" } }, "sourcePhotoType is only for a sourcePhotoStr");
    assertRejected(await call(`${h5.url}/api/server/getAdvFaceId?orderNo=${orderNo}`), "400100", "use POST");
    assertEnvelope(await startFace(h5, orderNo, { body: { idNo: "110105900307123", userId: "u".repeat(30) } }), orderNo); // 15 digits; 30 characters
    assertEnvelope(await startFace(h5, orderNo, { body: { idNo: "11010519900307123x" } }), orderNo);
    assert.equal(h5.faces().filter((f) => f.orderNo === orderNo).length, 3);
  });

  test("login and pass: the face page, then a 302 to the callback with code 0, orderNo, h5faceId, a newSignature that verifies, liveRate", async () => {
    const f = await started(h5);
    const ticket = await nonceTicket(h5);
    const url = loginUrl(h5, f, ticket);
    const page = await call(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.headers.get("content-security-policy"), /default-src 'none'/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.match(page.text, /<title>人脸核身 · Face verification \(simulator\)<\/title>/);
    assert.match(page.text, /<meta name="viewport"/);
    const pass = /<a id="pass"[^>]*href="(\/api\/web\/finish\?session=([A-Za-z0-9]{32})&outcome=pass)"/.exec(page.text);
    const fail = /<a id="fail"[^>]*href="(\/api\/web\/finish\?session=([A-Za-z0-9]{32})&outcome=fail)"/.exec(page.text);
    assert.ok(pass && fail, page.text);
    assert.equal(pass[2], fail[2]);
    for (const secret of [h5.secret, h5.ticket, ticket, PERSON.idNo, PERSON.name]) assert.ok(!page.text.includes(secret), "the page holds no secret, ticket or identity");
    assert.match(page.text, /\*三/); // the name, masked

    const done = await fetch(`${h5.url}${pass[1]}`, { redirect: "manual" });
    assert.equal(done.status, 302);
    const location = done.headers.get("location");
    assert.ok(location.startsWith("https://partner.example/h5/done?from=sim&lang=zh&code=0&"), location);
    assert.ok(location.endsWith("#top"), location);
    const q = callbackQuery(location);
    // The mobile callback page (F/H5 接入/H5 人脸核身结果跳转.md): code, orderNo, h5faceId, newSignature, liveRate.
    assert.deepEqual(Object.keys(q), ["from", "lang", "code", "orderNo", "h5faceId", "newSignature", "liveRate"]);
    assert.deepEqual([q.code, q.orderNo, q.h5faceId, q.liveRate], ["0", f.orderNo, f.faceId, "100"]);
    assert.equal(q.newSignature, signOf([h5.appId, f.orderNo, h5.ticket, "0"]));
    assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { finished: true, outcome: "pass", code: "0", device: "mobile", liveMode: "realtime" }));
    assertRefusedPage(await call(`${h5.url}${fail[1]}`), "session already used");
    assert.deepEqual(h5.requests({ orderNo: f.orderNo }).map((e) => [e.endpoint, e.verdict, e.status]), [
      ["getAdvFaceId", "ok", 200], ["login", "ok", 200], ["finish", "ok", 302], ["finish", "400104", 400],
    ]);
    assert.ok(!JSON.stringify(h5.requests()).includes(ticket), "the log never holds a NONCE ticket");

    // The helper does the same; the page's links are relative, so it works from any login URL.
    const g = await started(h5);
    const r = await h5.passFacePage(loginUrl(h5, g, await nonceTicket(h5)));
    assert.equal(r.status, 302);
    assert.equal(callbackQuery(r.location).newSignature, signOf([h5.appId, g.orderNo, h5.ticket, "0"]));
  });

  test("the NONCE ticket: single use, 120 s, of the user; a refused login spends nothing", async () => {
    const f = await started(h5);
    const ticket = await nonceTicket(h5);
    const url = loginUrl(h5, f, ticket);
    assert.equal((await call(url)).status, 200);
    assertRefusedPage(await call(url), "NONCE ticket already used (single use)");
    assertRefusedPage(await call(loginUrl(h5, f, ticket)), "already used"); // a new nonce does not help

    const late = await nonceTicket(h5);
    h5.advance(121_000);
    assertRefusedPage(await call(loginUrl(h5, f, late)), "NONCE ticket expired (120 s after issue)");

    const other = await started(h5, { body: { userId: "someoneElse" } });
    const hers = await nonceTicket(h5, "someoneElse");
    const mine = await nonceTicket(h5);
    assertRefusedPage(await call(loginUrl(h5, f, hers)), "NONCE ticket was issued for another user_id");
    assertRefusedPage(await call(loginUrl(h5, { ...other, userId: USER }, mine)), "faceId was started for another userId");
    assert.equal((await h5.passFacePage(loginUrl(h5, other, hers), "fail")).status, 302); // refused above, still unspent
    const r = await h5.passFacePage(loginUrl(h5, f, mine));
    assert.equal(r.status, 302, r.body);
    assert.ok(h5.refreshStats().deadUses >= 1); // the expired ticket was a dead use
    assert.deepEqual(h5.requests({ endpoint: "login", orderNo: f.orderNo }).map((e) => e.verdict), ["ok", "400104", "400104", "400104", "400104", "ok"]);
    assert.deepEqual(h5.requests({ endpoint: "login", orderNo: other.orderNo }).map((e) => e.verdict), ["400100", "ok"]);
  });

  test("the NONCE ticket dies with its token: a login over 60 s after a refresh replaced that token is refused", async () => {
    const f = await started(h5);
    h5.advance(1500);
    const ticket = await nonceTicket(h5); // minted from a new token
    const deadUses = h5.refreshStats().deadUses;
    h5.advance(1500);
    const newToken = await call(`${h5.url}/api/oauth2/access_token?${new URLSearchParams({ app_id: h5.appId, secret: h5.secret, grant_type: "client_credential", version: "1.0.0" })}`);
    assert.equal(newToken.json.code, "0"); // the refresh: the NONCE ticket's token now has about a minute
    h5.advance(61_000); // 62.5 s after issue: well within the ticket's own 120 s
    assertRefusedPage(await call(loginUrl(h5, f, ticket)), "NONCE ticket died with the access_token it was minted from");
    assert.equal(h5.refreshStats().deadUses, deadUses + 1);
    assert.equal(h5.requests({ endpoint: "login", orderNo: f.orderNo }).at(-1).verdict, "400104");
    h5.advance(1500);
    const r = await h5.passFacePage(loginUrl(h5, f, await nonceTicket(h5))); // a new token's ticket: accepted
    assert.equal(r.status, 302, r.body);
  });

  test("login refusals: wrong sign, a SIGN ticket instead of a NONCE one, faceId, app, url, parameters; all HTML-escaped", async () => {
    const f = await started(h5);
    const ticket = await nonceTicket(h5);
    const refused = async (params, part, verdict, t = ticket) => {
      const before = h5.requests({ endpoint: "login" }).length;
      const r = await call(loginUrl(h5, f, t, params));
      r.reason = assertRefusedPage(r, part);
      assert.match(r.headers.get("content-type"), /^text\/html/);
      const entry = h5.requests({ endpoint: "login" }).at(-1);
      assert.equal(h5.requests({ endpoint: "login" }).length, before + 1);
      assert.equal(entry.verdict, verdict);
      assert.ok(entry.reason.includes(part));
      return r;
    };
    await refused({ sign: "A".repeat(40) }, "sign does not match appId, orderNo, userId, version, faceId, nonce and any NONCE ticket", "400101");
    const nonce = newNonce();
    await refused({ nonce, sign: signOf([h5.appId, f.orderNo, f.userId, "1.0.0", f.faceId, ticket, newNonce()]) }, "sign does not match", "400101");
    await refused({ nonce, sign: signOf([h5.appId, f.orderNo, f.userId, "1.0.0", f.faceId, h5.ticket, nonce]) }, "the login needs a NONCE ticket", "400101");
    await refused({ faceId: "wbUnknownFaceId0000000000000000" }, "faceId unknown", "400100");
    const g = await started(h5);
    await refused({ faceId: g.faceId }, "faceId was started for another orderNo", "400100");
    await refused({ url: "ftp://partner.example/cb" }, "url must be http or https", "400100");
    await refused({ url: "/relative/cb" }, "absolute http or https URL", "400100");
    await refused({ from: "desktop" }, "from", "400100");
    for (const name of ["appId", "version", "nonce", "orderNo", "faceId", "url", "userId", "sign"]) await refused({ [name]: undefined }, `${name} is missing`, "400100");
    await refused({ faceID: f.faceId }, "unexpected query parameter", "400100");

    // Echoed values are escaped: the reason repeats the unknown appId, the url's scheme.
    const x = await refused({ appId: "<script>alert(1)</script>" }, "<script>alert(1)</script>", "400103");
    assert.ok(x.reason.includes("&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;"), x.reason);
    assert.ok(!x.text.includes("<script>"), x.text);
    const js = await refused({ url: 'javascript:alert("x")' }, 'url must be http or https; got "javascript"', "400100");
    assert.ok(js.reason.endsWith("got &quot;javascript&quot;"), js.reason);
    const y = await refused({ appId: "'\"><img/src=x>" }, "'\\\"><img/src=x>", "400103");
    assert.ok(y.reason.includes("&#39;\\&quot;&gt;&lt;img/src=x&gt;"), y.reason);
    assert.ok(!y.text.includes("<img"));
    assert.equal((await call(loginUrl(h5, f, ticket), { method: "POST" })).status, 400);

    // None of this spent the ticket.
    const ok = await h5.passFacePage(loginUrl(h5, f, ticket));
    assert.equal(ok.status, 302, ok.body);
    assert.equal(callbackQuery(ok.location).code, "0");
  });

  test("fail: the callback's code is 400604; the order's face: \"fail\" overrides a pass click; face: \"pass\" a fail click", async () => {
    const f = await started(h5);
    const r = await h5.passFacePage(loginUrl(h5, f, await nonceTicket(h5)), "fail");
    assert.equal(r.status, 302);
    const q = callbackQuery(r.location);
    assert.deepEqual([q.code, q.orderNo], ["400604", f.orderNo]);
    assert.equal(q.newSignature, signOf([h5.appId, f.orderNo, h5.ticket, "400604"]));
    assert.equal(q.liveRate, undefined); // "如活体检测不通过，则不返回该字段"
    assert.equal(h5.faces().find((x) => x.faceId === f.faceId).outcome, "fail");

    const orderNo = newOrder("h");
    h5.setOrder(orderNo, { face: "fail" });
    const g = await started(h5, { orderNo });
    const url = loginUrl(h5, g, await nonceTicket(h5));
    const forced = await h5.passFacePage(url, "pass");
    assert.equal(forced.status, 302, forced.body);
    assert.equal(callbackQuery(forced.location).code, "400604");

    const passing = newOrder("h");
    h5.setOrder(passing, { face: "pass" });
    const p = await started(h5, { orderNo: passing });
    assert.equal(callbackQuery((await h5.passFacePage(loginUrl(h5, p, await nonceTicket(h5)), "fail")).location).code, "0");
    assert.throws(() => h5.setOrder(passing, { face: "maybe" }), /face must be/);
    await assert.rejects(h5.passFacePage(loginUrl(h5, p, "x"), "maybe"), /outcome/);
  });

  test("result queries: 66660011 before the finish, then the identity given at start and the verdict; other orders as before", async () => {
    const f = await started(h5, { body: { name: "欧阳娜娜", idNo: "440305200001011234" } });
    for (const kind of ["sync", "live"]) assertRejectedResult(await getResult(h5, kind, f.orderNo), "66660011", f.orderNo);
    assertRejectedResult(await queryFaceRecord(h5, f.orderNo), "66660011", f.orderNo);

    const ticket = await nonceTicket(h5);
    assertRejectedResult(await getResult(h5, "sync", f.orderNo), "66660011", f.orderNo); // a login alone is no result
    assert.equal((await h5.passFacePage(loginUrl(h5, f, ticket))).status, 302);
    const sync = await getResult(h5, "sync", f.orderNo, { getFile: "2" });
    assertEnvelope(sync, f.orderNo);
    assert.deepEqual([sync.json.result.name, sync.json.result.idNo, sync.json.result.liveRate, sync.json.result.similarity], ["欧阳娜娜", "440305200001011234", "100", "95.0"]);
    assert.ok(isJpeg(decode(sync.json.result.photo)));
    const record = await queryFaceRecord(h5, f.orderNo);
    assertEnvelope(record, f.orderNo);
    assert.deepEqual([record.json.result.name, record.json.result.idNo], ["欧阳娜娜", "440305200001011234"]);
    const live = await getResult(h5, "live", f.orderNo);
    assertEnvelope(live, f.orderNo);
    assert.equal(live.json.result.liveRate, "100");

    // A failed face check: its code everywhere; a newer start of the order does not hide it.
    const g = await started(h5);
    assert.equal((await h5.passFacePage(loginUrl(h5, g, await nonceTicket(h5)), "fail")).status, 302);
    await startFace(h5, g.orderNo);
    for (const r of [await getResult(h5, "sync", g.orderNo), await getResult(h5, "live", g.orderNo), await queryFaceRecord(h5, g.orderNo)]) {
      assertRejectedResult(r, "400604", g.orderNo);
      assert.equal(r.json.msg, "活体检测未通过，视频非真人");
    }

    // Orders never started through getAdvFaceId keep the invented person; OCR queries ignore the face flow.
    const plain = newOrder("h");
    assertEnvelope(await getResult(h5, "sync", plain), plain);
    assertEnvelope(await getResult(h5, "ocr", f.orderNo), f.orderNo);
  });

  /** A result query answered with a business code: the envelope, `result` with orderNo only. */
  function assertRejectedResult(r, code, orderNo) {
    assert.equal(r.status, 200);
    assert.equal(r.json.code, code, r.json.msg);
    assert.equal(r.json.result.orderNo, orderNo);
    assert.equal(r.json.result.name, undefined);
    assert.equal(r.json.result.liveRate, undefined);
  }

  test("callback styles: forged (a signature that does not verify) on mobile and PC; withLiveRate on PC; legacy is gone", async () => {
    const forged = newOrder("h");
    h5.setOrder(forged, { callback: "forged" });
    const g = await started(h5, { orderNo: forged });
    const s = callbackQuery((await h5.passFacePage(loginUrl(h5, g, await nonceTicket(h5)), "fail")).location);
    assert.equal(s.code, "400604");
    assert.match(s.newSignature, /^[0-9A-F]{40}$/);
    assert.notEqual(s.newSignature, signOf([h5.appId, forged, h5.ticket, "400604"]));
    const pcForged = await started(h5, { orderNo: forged });
    const p = callbackQuery((await h5.passFacePage(pcLoginUrl(h5, pcForged, await nonceTicket(h5)))).location);
    assert.equal(p.code, "0");
    assert.match(p.newSign, /^[0-9A-F]{40}$/);
    assert.notEqual(p.newSign, signOf([h5.appId, forged, h5.ticket, "0"]));

    // The older repo PC page lists liveRate too (the live 1007/35895 does not): "withLiveRate" sends it, with code 0 only.
    const older = newOrder("h");
    h5.setOrder(older, { callback: "withLiveRate" });
    const a = await started(h5, { orderNo: older });
    const q = callbackQuery((await h5.passFacePage(pcLoginUrl(h5, a, await nonceTicket(h5), { url: "http://127.0.0.1:9/cb" }))).location);
    assert.deepEqual(Object.keys(q), ["code", "orderNo", "h5faceId", "newSign", "liveRate"]);
    assert.deepEqual([q.liveRate, q.newSign], ["100", signOf([h5.appId, older, h5.ticket, "0"])]);
    const b = await started(h5, { orderNo: older });
    assert.equal(callbackQuery((await h5.passFacePage(pcLoginUrl(h5, b, await nonceTicket(h5)), "fail")).location).liveRate, undefined);
    const m = await started(h5, { orderNo: older }); // mobile sends liveRate anyway
    assert.equal(callbackQuery((await h5.passFacePage(loginUrl(h5, m, await nonceTicket(h5)))).location).liveRate, "100");

    assert.throws(() => h5.setOrder(forged, { callback: "legacy" }), /callback "legacy" is gone/);
    assert.throws(() => h5.setOrder(forged, { callback: "old" }), /callback must be/);
  });

  test("finish refusals: unknown, used or expired session, bad outcome; no redirect", async () => {
    const f = await started(h5);
    const page = await call(loginUrl(h5, f, await nonceTicket(h5)));
    const session = /session=([A-Za-z0-9]{32})/.exec(page.text)[1];
    const finish = (q) => fetch(`${h5.url}/api/web/finish?${q}`, { redirect: "manual" }).then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text() }));
    assertRefusedPage(await finish(`session=${session}&outcome=maybe`), 'outcome must be "pass" or "fail"');
    assertRefusedPage(await finish(`session=${"A".repeat(32)}&outcome=pass`), "session unknown");
    assertRefusedPage(await finish(`session=${session}`), "outcome is missing");
    assertRefusedPage(await finish(`session=<b>&outcome=pass`), "session must be");
    h5.advance(10 * 60_000);
    assertRefusedPage(await finish(`session=${session}&outcome=pass`), "session expired (10 minutes after the login)");
    assert.equal(h5.faces().find((x) => x.faceId === f.faceId).finished, false);

    // A second session for the same faceId: the first finish wins.
    const a = await call(loginUrl(h5, f, await nonceTicket(h5)));
    const b = await call(loginUrl(h5, f, await nonceTicket(h5)));
    const [sa, sb] = [a, b].map((p) => /session=([A-Za-z0-9]{32})/.exec(p.text)[1]);
    assert.equal((await finish(`session=${sb}&outcome=fail`)).status, 302);
    assertRefusedPage(await finish(`session=${sa}&outcome=pass`), "already finished");
    assertRefusedPage(await call(loginUrl(h5, f, await nonceTicket(h5))), "already finished");
  });

  test("faults and shape apply to getAdvFaceId; reset forgets every face; GET /__sim/faces", async () => {
    const orderNo = newOrder("h");
    h5.setOrder(orderNo, { shape: "flat", fault: { type: "busy", code: "999999", times: 1 } });
    const busy = await startFace(h5, orderNo);
    assert.deepEqual([busy.json.code, busy.json.result], ["999999", undefined]);
    assert.equal(h5.faces().filter((f) => f.orderNo === orderNo).length, 0);
    const flat = await startFace(h5, orderNo);
    assert.equal(flat.json.code, "0");
    assert.equal(flat.json.result, undefined);
    assert.match(flat.json.faceId, /^[A-Za-z0-9]{32}$/);
    assert.equal(flat.json.optimalDomain, `127.0.0.1:${h5.port}`);

    const listed = await call(`${h5.url}/__sim/faces`);
    assert.deepEqual(listed.json, h5.faces());
    assert.ok(listed.json.some((f) => f.faceId === flat.json.faceId));
    assert.ok(!listed.text.includes(PERSON.idNo));
    const f = { orderNo, faceId: flat.json.faceId, userId: USER };
    const ticket = await nonceTicket(h5);
    h5.reset();
    assert.deepEqual(h5.faces(), []);
    assertRefusedPage(await call(loginUrl(h5, f, ticket)), "faceId unknown");
    assertEnvelope(await getResult(h5, "sync", orderNo), orderNo); // no longer an H5 order
  });

  test("getAdvFaceId with a comparison photo: name and idNo may be left out (自带源); the result then has neither", async () => {
    const photo = { sourcePhotoStr: JPEG_1PX, sourcePhotoType: "1" };
    const f = await started(h5, { drop: ["name", "idNo"], body: photo });
    const g = await started(h5, { body: { ...photo, name: "", idNo: "" } }); // empty counts as absent
    const h = await started(h5, { drop: ["idNo"], body: photo }); // either one alone, too
    assert.equal(h5.requests({ orderNo: f.orderNo, endpoint: "getAdvFaceId" })[0].body.name, undefined);
    const page = await call(loginUrl(h5, f, await nonceTicket(h5)));
    assert.match(page.text, /<dd id="name">—<\/dd>/);
    const pass = /<a id="pass"[^>]*href="([^"]*)"/.exec(page.text)[1];
    assert.equal((await fetch(`${h5.url}${pass}`, { redirect: "manual" })).status, 302);
    const sync = await getResult(h5, "sync", f.orderNo);
    assertEnvelope(sync, f.orderNo);
    assert.deepEqual(Object.keys(sync.json.result).filter((k) => ["name", "idNo", "idType", "similarity", "liveRate"].includes(k)), ["liveRate", "similarity"]);
    assert.equal((await h5.passFacePage(loginUrl(h5, h, await nonceTicket(h5)))).status, 302);
    const partial = await queryFaceRecord(h5, h.orderNo);
    assert.deepEqual([partial.json.result.name, partial.json.result.idNo], [PERSON.name, undefined]);
    assert.ok(h5.faces().some((x) => x.faceId === g.faceId));
    // Without a photo both stay required (权威源).
    assertRejected(await startFace(h5, newOrder("h"), { drop: ["name", "idNo"] }), "400100", "name is missing");
    assertRejected(await startFace(h5, newOrder("h"), { body: { idNo: "" } }), "400100", "idNo is empty");
  });

  test("optimalDomain: the simulator's host:port by default; setOrder { optimalDomain: \"\" } answers it empty, null leaves it out", async () => {
    const empty = newOrder("h");
    assert.equal(h5.setOrder(empty, { optimalDomain: "" }).optimalDomain, "");
    const e = await startFace(h5, empty);
    assertEnvelope(e, empty);
    assert.deepEqual(Object.keys(e.json.result), ["bizSeqNo", "transactionTime", "orderNo", "faceId", "optimalDomain", "success"]);
    assert.equal(e.json.result.optimalDomain, "");

    const absent = newOrder("h");
    h5.setOrder(absent, { optimalDomain: null });
    const a = await startFace(h5, absent);
    assertEnvelope(a, absent);
    assert.deepEqual(Object.keys(a.json.result), ["bizSeqNo", "transactionTime", "orderNo", "faceId", "success"]);
    h5.setOrder(absent, { optimalDomain: null, shape: "flat" });
    assert.equal("optimalDomain" in (await startFace(h5, absent)).json, false);

    const named = newOrder("h");
    const set = await post(h5, `/__sim/orders/${named}`, { optimalDomain: "kyc1.qcloud.com" });
    assert.equal(set.json.scenario.optimalDomain, "kyc1.qcloud.com");
    assert.equal((await startFace(h5, named)).json.result.optimalDomain, "kyc1.qcloud.com");
    assert.equal((await startFace(h5, newOrder("h"))).json.result.optimalDomain, `127.0.0.1:${h5.port}`);
    for (const bad of ["https://kyc1.qcloud.com", 5, "a b"]) assert.throws(() => h5.setOrder(named, { optimalDomain: bad }), /optimalDomain must be/);
  });

  test("liveInterType is recorded; the login names webankAppId and h5faceId (older pages) in place of appId and faceId, never both", async () => {
    const f = await started(h5, { body: { liveInterType: "1" } });
    assert.equal(h5.faces().find((x) => x.faceId === f.faceId).liveInterType, "1");
    assert.equal(h5.requests({ orderNo: f.orderNo })[0].body.liveInterType, "1");
    const ticket = await nonceTicket(h5);
    assertRefusedPage(await call(loginUrl(h5, f, ticket, { webankAppId: h5.appId })), "give query parameter appId or webankAppId, not both");
    assertRefusedPage(await call(loginUrl(h5, f, ticket, { h5faceId: f.faceId })), "give query parameter faceId or h5faceId, not both");
    assertRefusedPage(await call(loginUrl(h5, f, ticket, { faceId: undefined })), "faceId is missing (or its other name h5faceId)");
    for (const userId of ["u".repeat(31), "user_h5", "user-h5"]) {
      assertRefusedPage(await call(loginUrl(h5, { ...f, userId }, ticket)), "userId must be 1 to 30 ASCII letters or digits");
    }
    const old = (x) => ({ appId: undefined, webankAppId: h5.appId, faceId: undefined, h5faceId: x.faceId });
    const page = await call(loginUrl(h5, f, ticket, old(f)));
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /<dd id="mode">仅实时检测 · real-time detection only<\/dd>/);
    const g = await started(h5);
    const r = await h5.passFacePage(pcLoginUrl(h5, g, await nonceTicket(h5), old(g)));
    assert.equal(r.status, 302, r.body);
    assert.equal(callbackQuery(r.location).newSign, signOf([h5.appId, g.orderNo, h5.ticket, "0"]));
    assert.equal(h5.faces().find((x) => x.faceId === g.faceId).liveInterType, null);
  });

  test("PC login (/api/pc/login): the same checks and NONCE signature, no resultType/from/redirectType; callback code, orderNo, h5faceId, newSign", async () => {
    const f = await started(h5);
    const ticket = await nonceTicket(h5);
    for (const [name, value] of [["resultType", "1"], ["from", "browser"], ["redirectType", "1"]]) {
      assertRefusedPage(await call(pcLoginUrl(h5, f, ticket, { [name]: value })), `unexpected query parameter "${name}"`);
    }
    assertRefusedPage(await call(pcLoginUrl(h5, f, ticket, { sign: "A".repeat(40) })), "sign does not match appId, orderNo, userId, version, faceId, nonce and any NONCE ticket");
    const nonce = newNonce();
    assertRefusedPage(await call(pcLoginUrl(h5, f, ticket, { nonce, sign: signOf([h5.appId, f.orderNo, f.userId, "1.0.0", f.faceId, h5.ticket, nonce]) })), "the login needs a NONCE ticket");
    assertRefusedPage(await call(pcLoginUrl(h5, { ...f, orderNo: newOrder("h") }, ticket)), "faceId was started for another orderNo");
    for (const name of ["version", "nonce", "orderNo", "url", "userId", "sign"]) assertRefusedPage(await call(pcLoginUrl(h5, f, ticket, { [name]: undefined })), `${name} is missing`);

    const page = await call(pcLoginUrl(h5, f, ticket)); // none of the refusals spent the ticket
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /<main class="pc">/);
    assert.match(page.text, /<dd id="device">PC<\/dd>/);
    assert.ok(!page.text.includes(ticket) && !page.text.includes(PERSON.idNo));
    assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { device: "pc" }));
    const pass = /<a id="pass"[^>]*href="([^"]*)"/.exec(page.text)[1];
    const done = await fetch(`${h5.url}${pass}`, { redirect: "manual" });
    assert.equal(done.status, 302);
    const q = callbackQuery(done.headers.get("location"));
    assert.deepEqual(Object.keys(q), ["from", "lang", "code", "orderNo", "h5faceId", "newSign"]); // no liveRate (1007/35895)
    assert.deepEqual([q.code, q.orderNo, q.h5faceId], ["0", f.orderNo, f.faceId]);
    assert.equal(q.newSign, signOf([h5.appId, f.orderNo, h5.ticket, "0"]));
    assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { device: "pc", finished: true, outcome: "pass", code: "0", liveMode: "realtime" }));
    const log = h5.requests({ orderNo: f.orderNo }).filter((e) => e.verdict === "ok");
    assert.deepEqual(log.map((e) => [e.endpoint, e.device ?? null, e.path]), [
      ["getAdvFaceId", null, "/api/server/getAdvFaceId"], ["pcLogin", "pc", "/api/pc/login"], ["finish", "pc", "/api/web/finish"],
    ]);

    // A fail on PC: 400604, newSign, no liveRate; the finished check refuses any further login, mobile included.
    const g = await started(h5);
    const r = await h5.passFacePage(pcLoginUrl(h5, g, await nonceTicket(h5)), "fail");
    assert.deepEqual(Object.keys(callbackQuery(r.location)), ["from", "lang", "code", "orderNo", "h5faceId", "newSign"]);
    assert.equal(callbackQuery(r.location).code, "400604");
    assertRefusedPage(await call(loginUrl(h5, g, await nonceTicket(h5))), "already finished");
    assert.equal((await call(pcLoginUrl(h5, g, ticket), { method: "POST" })).status, 400);
  });

  test("front-end codes 3001–3005, 300101: the callback carries the code, signed; the face check stays unfinished and may be entered again", async () => {
    const codes = [["mobile", "3001"], ["pc", "3002"], ["mobile", "3003"], ["pc", "3004"], ["mobile", "3005"], ["pc", "300101"]];
    for (const [device, code] of codes) {
      const f = await started(h5);
      const url = loginUrl(h5, f, await nonceTicket(h5), {}, device);
      const r = await h5.passFacePage(url, code);
      assert.equal(r.status, 302, r.body);
      const q = callbackQuery(r.location);
      const signName = device === "pc" ? "newSign" : "newSignature";
      assert.deepEqual(Object.keys(q), ["from", "lang", "code", "orderNo", "h5faceId", signName]);
      assert.deepEqual([q.code, q.orderNo, q.h5faceId], [code, f.orderNo, f.faceId]);
      assert.equal(q[signName], signOf([h5.appId, f.orderNo, h5.ticket, code]));
      assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { code, device }));
      assert.deepEqual(h5.requests({ orderNo: f.orderNo, endpoint: "finish" }).map((e) => [e.verdict, e.outcome, e.code]), [["ok", null, code]]);
      assertRejectedResult(await getResult(h5, "sync", f.orderNo), "66660011", f.orderNo);
      if (code !== "300101") continue;
      // "重新进入": a new login (a new NONCE ticket) on the same faceId, then a pass.
      const again = await h5.passFacePage(loginUrl(h5, f, await nonceTicket(h5)), "pass");
      assert.equal(callbackQuery(again.location).code, "0");
      assertEnvelope(await getResult(h5, "sync", f.orderNo), f.orderNo);
      assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { code: "0", device: "mobile", finished: true, outcome: "pass", liveMode: "realtime" }));
    }
    // The page offers every code; the order's face does not turn a front-end code into a verdict.
    const orderNo = newOrder("h");
    h5.setOrder(orderNo, { face: "pass" });
    const f = await started(h5, { orderNo });
    const page = await call(loginUrl(h5, f, await nonceTicket(h5)));
    for (const code of ["3001", "3002", "3003", "3004", "3005", "300101"]) assert.match(page.text, new RegExp(`<a id="code-${code}"[^>]*href="/api/web/finish\\?session=[A-Za-z0-9]{32}&outcome=${code}"`));
    const session = /session=([A-Za-z0-9]{32})/.exec(page.text)[1];
    const bad = await call(`${h5.url}/api/web/finish?session=${session}&outcome=3006`);
    assertRefusedPage(bad, 'outcome must be "pass" or "fail" (or a front-end code: 3001, 3002, 3003, 3004, 3005, 300101)');
    const done = await fetch(`${h5.url}/api/web/finish?session=${session}&outcome=3004`, { redirect: "manual" });
    assert.equal(callbackQuery(done.headers.get("location")).code, "3004");
    await assert.rejects(h5.passFacePage(loginUrl(h5, f, "x"), "3006"), /outcome must be one of/);
    await assert.rejects(h5.passFacePage(loginUrl(h5, f, "x"), "pass", { realtime: "no" }), /realtime must be a boolean/);
  });

  test("liveInterType \"1\": a browser without real-time detection ends with 3005; any other value (or none) falls back to video and the outcome applies", async () => {
    const only = await started(h5, { body: { liveInterType: "1" } });
    const r = await h5.passFacePage(loginUrl(h5, only, await nonceTicket(h5)), "pass", { realtime: false });
    assert.equal(r.status, 302, r.body);
    const q = callbackQuery(r.location);
    assert.deepEqual([q.code, q.liveRate], ["3005", undefined]);
    assert.equal(q.newSignature, signOf([h5.appId, only.orderNo, h5.ticket, "3005"]));
    assert.deepEqual(h5.faces().find((x) => x.faceId === only.faceId), faceEntry(only, { code: "3005", device: "mobile", liveInterType: "1" }));
    const pc = await h5.passFacePage(pcLoginUrl(h5, only, await nonceTicket(h5)), "fail", { realtime: false }); // whatever is pressed
    assert.equal(callbackQuery(pc.location).code, "3005");
    const ok = await h5.passFacePage(loginUrl(h5, only, await nonceTicket(h5)), "pass"); // a browser that can
    assert.equal(callbackQuery(ok.location).code, "0");
    assert.equal(h5.faces().find((x) => x.faceId === only.faceId).liveMode, "realtime");

    for (const [liveInterType, outcome, code] of [[undefined, "pass", "0"], ["2", "fail", "400604"], ["0", "pass", "0"], ["", "3004", "3004"]]) {
      const f = await started(h5, liveInterType === undefined ? {} : { body: { liveInterType } });
      const res = await h5.passFacePage(pcLoginUrl(h5, f, await nonceTicket(h5)), outcome, { realtime: false });
      assert.equal(callbackQuery(res.location).code, code, `liveInterType ${liveInterType}`);
      const entry = h5.faces().find((x) => x.faceId === f.faceId);
      assert.equal(entry.liveInterType, liveInterType || null);
      assert.equal(entry.liveMode, code === "3004" ? null : "video");
    }
    const f = await started(h5);
    const page = await call(loginUrl(h5, f, await nonceTicket(h5)));
    const session = /session=([A-Za-z0-9]{32})/.exec(page.text)[1];
    assertRefusedPage(await call(`${h5.url}/api/web/finish?session=${session}&outcome=pass&realtime=no`), 'realtime must be "0" or "1"');
  });

  describe("App SDK start", () => {
    /** The fields of an SDK start, signed over appId, userId, nonce, version with `ticket` (a NONCE ticket); `more` overrides. */
    function sdkFields(s, ticket, more = {}) {
      const f = { kind: "liveness", appId: s.appId, orderNo: newOrder("k"), userId: USER, nonce: newNonce(), version: "1.0.0", ...more };
      if (!("sign" in more)) f.sign = signOf([f.appId, f.userId, f.nonce, f.version, ticket]);
      for (const [k, v] of Object.entries(f)) if (v === undefined) delete f[k];
      return f;
    }

    test("the official example (1007/63359 and the OCR SDK 生成签名 pages) is accepted as it stands; single use", async () => {
      const own = await startSimulator({ appId: "IDAXXXXX", nonceTicket: "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS" });
      try {
        await nonceTicket(own, "userID19959248596551");
        const fields = {
          kind: "liveness", appId: "IDAXXXXX", orderNo: "order0001", userId: "userID19959248596551",
          nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", version: "1.0.0", sign: "D7606F1741DDCF90757DA924EDCF152A200AC7F0",
        };
        assert.deepEqual(own.sdkStart(fields), { ok: true, orderNo: "order0001", kind: "liveness" });
        assert.deepEqual(own.sdkStart({ ...fields, kind: "idCardOcr" }), {
          ok: false, code: "400104", reason: "signed with a NONCE ticket that cannot be used: NONCE ticket already used (single use)",
        });
        assert.deepEqual(own.requests({ endpoint: "sdkStart" }).map((e) => [e.method, e.path, e.verdict, e.kind, e.orderNo]), [
          ["CALL", "/sim/sdk/start", "ok", "liveness", "order0001"], ["CALL", "/sim/sdk/start", "400104", "idCardOcr", "order0001"],
        ]);
      } finally {
        await own.stop();
      }
    });

    test("kind face: the faceId of getAdvFaceId for that order and user; the check ends at once and the result queries answer it", async () => {
      const f = await started(h5);
      const ticket = await nonceTicket(h5);
      const fields = sdkFields(h5, ticket, { kind: "face", orderNo: f.orderNo, faceId: f.faceId });
      assertRejectedResult(await getResult(h5, "sync", f.orderNo), "66660011", f.orderNo);
      assert.deepEqual(h5.sdkStart(fields), { ok: true, orderNo: f.orderNo, kind: "face" });
      assert.deepEqual(h5.faces().find((x) => x.faceId === f.faceId), faceEntry(f, { device: "app", finished: true, outcome: "pass", code: "0", liveMode: "realtime" }));
      const sync = await getResult(h5, "sync", f.orderNo);
      assertEnvelope(sync, f.orderNo);
      assert.deepEqual([sync.json.result.name, sync.json.result.idNo], [PERSON.name, PERSON.idNo]);
      const again = h5.sdkStart(sdkFields(h5, await nonceTicket(h5), { kind: "face", orderNo: f.orderNo, faceId: f.faceId }));
      assert.deepEqual(again, { ok: false, code: "400100", reason: "faceId's face check has already finished" });
      assertRefusedPage(await call(loginUrl(h5, f, await nonceTicket(h5))), "already finished");

      // The order's face scenario decides ("clicked" counts as a pass).
      const orderNo = newOrder("k");
      h5.setOrder(orderNo, { face: "fail" });
      const g = await started(h5, { orderNo });
      assert.equal(h5.sdkStart(sdkFields(h5, await nonceTicket(h5), { kind: "face", orderNo, faceId: g.faceId })).ok, true);
      assertRejectedResult(await getResult(h5, "sync", orderNo), "400604", orderNo);
    });

    test("refusals: fields, kind, faceId by kind, app, signature (NONCE, not SIGN; no orderNo), ticket; a refusal spends nothing", async () => {
      const own = await startSimulator({ appId: "IDAsdk0001" });
      try {
        const f = await started(own);
        const other = await started(own, { body: { userId: "someoneElse" } });
        const ticket = await nonceTicket(own);
        const refused = (more, code, reason) => {
          const r = own.sdkStart(sdkFields(own, ticket, more));
          assert.equal(r.ok, false, JSON.stringify(more));
          assert.equal(r.code, code, r.reason);
          assert.ok(r.reason.includes(reason), `reason ${JSON.stringify(r.reason)} lacks ${JSON.stringify(reason)}`);
        };
        refused({ kind: "ocr" }, "400100", "kind must be one of face, liveness, idCardOcr, bankCardOcr");
        for (const name of ["kind", "appId", "orderNo", "userId", "nonce", "version", "sign"]) refused({ [name]: undefined }, "400100", `${name} is missing`);
        refused({ orderNo: "order-1" }, "400100", "orderNo must be 1 to 32 ASCII letters or digits");
        refused({ orderNo: "o".repeat(33) }, "400100", "orderNo");
        for (const userId of ["u".repeat(31), "user_1", "user-1"]) refused({ userId }, "400100", "userId must be 1 to 30 ASCII letters or digits");
        refused({ nonce: "short" }, "400100", "nonce must be exactly 32");
        refused({ sign: "xyz" }, "400100", "sign must be 40 hexadecimal");
        refused({ version: "1.0 .0" }, "400100", "version");
        refused({ extra: "x" }, "400100", 'unexpected body field "extra"');
        refused({ nonce: 7 }, "400100", "must be a string");
        refused({ kind: "face", orderNo: f.orderNo }, "400100", "faceId is missing (the face SDK starts with the faceId of getAdvFaceId)");
        for (const kind of ["liveness", "idCardOcr", "bankCardOcr"]) refused({ kind, faceId: f.faceId }, "400100", `faceId is only for kind "face"`);
        refused({ appId: "IDAnobody" }, "400103", "IDAnobody");
        refused({ kind: "face", orderNo: f.orderNo, faceId: "wbUnknownFaceId0000000000000000" }, "400100", "faceId unknown");
        refused({ kind: "face", faceId: f.faceId }, "400100", "faceId was started for another orderNo");
        refused({ kind: "face", orderNo: other.orderNo, faceId: other.faceId }, "400100", "faceId was started for another userId");
        const nonce = newNonce();
        refused({ nonce, sign: signOf([own.appId, USER, nonce, "1.0.0", own.ticket]) }, "400101", "the SDK needs a NONCE ticket");
        const orderNo = newOrder("k");
        refused({ orderNo, nonce, sign: signOf([own.appId, USER, nonce, "1.0.0", ticket, orderNo]) }, "400101", "sign does not match appId, userId, nonce, version and any NONCE ticket");
        refused({ userId: "someoneElse", nonce, sign: signOf([own.appId, USER, nonce, "1.0.0", ticket]) }, "400101", "sign does not match"); // signed for USER
        refused({ userId: "someoneElse", nonce, sign: signOf([own.appId, "someoneElse", nonce, "1.0.0", ticket]) }, "400104", "issued for another user_id");
        assert.deepEqual(own.sdkStart("not an object"), { ok: false, code: "400100", reason: "body must be a JSON object" });
        // None of it spent the ticket: the iOS liveness start (an empty faceId) goes through.
        assert.deepEqual(own.sdkStart(sdkFields(own, ticket, { faceId: "", orderNo: "k1" })), { ok: true, orderNo: "k1", kind: "liveness" });
        const spare = await nonceTicket(own); // a property set to undefined counts as absent
        assert.equal(own.sdkStart({ ...sdkFields(own, spare, { orderNo: "k2" }), faceId: undefined }).ok, true);
        const late = await nonceTicket(own);
        own.advance(121_000);
        const expired = own.sdkStart(sdkFields(own, late));
        assert.deepEqual([expired.code, expired.reason], ["400104", "signed with a NONCE ticket that cannot be used: NONCE ticket expired (120 s after issue)"]);
        assert.equal(own.refreshStats().deadUses, 1);
        const log = own.requests({ endpoint: "sdkStart" });
        assert.equal(log.filter((e) => e.verdict === "ok").length, 2);
        assert.ok(!JSON.stringify(log).includes(ticket) && !JSON.stringify(log).includes(late), "the log never holds a NONCE ticket");
      } finally {
        await own.stop();
      }
    });

    test("over HTTP: POST /sim/sdk/start (simulator only) and the exported sdkStart(url, fields); every kind", async () => {
      const kinds = ["liveness", "idCardOcr", "bankCardOcr"];
      for (const kind of kinds) {
        const fields = sdkFields(h5, await nonceTicket(h5), { kind });
        const r = await post(h5, "/sim/sdk/start", fields);
        assert.deepEqual([r.status, r.json], [200, { ok: true, orderNo: fields.orderNo, kind }]);
        assert.equal(r.headers.get("access-control-allow-origin"), "*");
      }
      const f = await started(h5);
      const fields = sdkFields(h5, await nonceTicket(h5), { kind: "face", orderNo: f.orderNo, faceId: f.faceId });
      assert.deepEqual(await sdkStartOver(h5.url, fields), { ok: true, orderNo: f.orderNo, kind: "face" });
      assert.deepEqual(await sdkStartOver(h5.url, fields), { ok: false, code: "400100", reason: "faceId's face check has already finished" });
      const refusal = async (r, reason) => {
        assert.equal(r.status, 200);
        assert.deepEqual([r.json.ok, r.json.code], [false, "400100"]);
        assert.ok(r.json.reason.includes(reason), r.json.reason);
      };
      await refusal(await call(`${h5.url}/sim/sdk/start`), "use POST");
      await refusal(await post(h5, "/sim/sdk/start", fields, "text/plain"), "Content-Type");
      await refusal(await post(h5, "/sim/sdk/start", "{nope"), "not valid JSON");
      await refusal(await post(h5, "/sim/sdk/start", "[1]"), "body must be a JSON object");
      await refusal(await post(h5, "/sim/sdk/start?x=1", fields), "no query parameters");
      const log = h5.requests({ endpoint: "sdkStart" });
      assert.deepEqual(log.slice(-10).map((e) => [e.method, e.verdict]), [
        ["POST", "ok"], ["POST", "ok"], ["POST", "ok"], ["POST", "ok"], ["POST", "400100"],
        ["GET", "400100"], ["POST", "400100"], ["POST", "400100"], ["POST", "400100"], ["POST", "400100"],
      ]);
      assert.equal(log.at(-6).kind, "face");
    });
  });
});
