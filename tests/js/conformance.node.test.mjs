// The service as its official pages describe it, from the packed package in
// Node 20, against the simulator (which follows the pages; its rules and their
// sources are in tests/sim/README.md): the current hosts, the empty
// optimalDomain fallback, comparison with one's own photo (BMP too), both
// spellings of the bank card's original image, the userId rule, the PC face
// page, liveInterType and the face page's own codes, and the App SDK starts,
// by the client and through the edge handler.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { signValues, startSimulator } from "../sim/index.mjs";
import { JPEG, ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { installedPackage, resolveExport } from "./lib/package.mjs";

const pkg = installedPackage();
const faceid = await import(pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href);
const { FaceIdClient, FaceIdError, createEdgeHandler, decodeMedia } = faceid;

const person = { userId: "user01", name: "张三", idNo: "11010519491231002X" };
/** A 2×1 BMP: "BM", sizes and offsets, one row of two pixels. */
const BMP = Buffer.from(
  "424d3e000000000000003600000028000000020000000100000001001800000000000800000000000000000000000000000000000000ffffff0000000000",
  "hex",
);
const rejectsWith = (promise, code, check = () => {}) =>
  assert.rejects(promise, (e) => {
    assert.ok(e instanceof FaceIdError, String(e));
    assert.equal(e.code, code, e.message);
    check(e);
    return true;
  });

describe("hosts", () => {
  test("the current host kyc1.qcloud.com is the default for every call; the legacy hosts are one option away", async () => {
    const ticket = "T".repeat(64);
    const current = new FaceIdClient({ appId: "IDAtest01", ticket });
    assert.equal(JSON.parse(JSON.stringify(current)).serverUrl, "https://kyc1.qcloud.com");
    assert.equal(JSON.parse(JSON.stringify(current)).kycUrl, "https://kyc1.qcloud.com");
    for (const kind of ["faceResult", "liveResult", "idCardOcrResult", "bankCardOcrResult", "queryFaceRecord"]) {
      const r = await current.signedRequest(kind, "order001");
      assert.ok(r.url.startsWith("https://kyc1.qcloud.com/api/"), `${kind}: ${r.url}`);
    }
    const ocr = await current.signedRequest("idCardOcr", "order001", { cardType: "portrait", image: JPEG });
    assert.ok(ocr.url.startsWith("https://kyc1.qcloud.com/api/paas/idcardocrapp?orderNo=order001"));
    const legacy = new FaceIdClient({ appId: "IDAtest01", ticket, hosts: "legacy" });
    assert.equal((await legacy.signedRequest("faceResult", "o1")).url.split("/api/")[0], "https://idasc.webank.com");
    assert.equal((await legacy.signedRequest("queryFaceRecord", "o1")).url.split("/api/")[0], "https://miniprogram-kyc.tencentcloudapi.com");
    // An explicit URL wins over either set.
    const mixed = new FaceIdClient({ appId: "IDAtest01", ticket, hosts: "legacy", serverUrl: "https://kyc1.qcloud.com" });
    assert.equal(JSON.parse(JSON.stringify(mixed)).serverUrl, "https://kyc1.qcloud.com");
    assert.throws(() => new FaceIdClient({ appId: "IDAtest01", ticket, hosts: "old" }), (e) => e.code === "INVALID_OPTION" && /legacy/.test(e.message));
  });
});

describe("named development hosts (devHosts)", () => {
  test("plain http:// for a simulator under another name (docker compose's http://sim:8788) only when listed, never with NODE_ENV=production", async () => {
    const sim = await startSimulator();
    try {
      const base = { appId: sim.appId, secret: sim.secret, serverUrl: "http://sim:8788", kycUrl: "http://sim:8788", loginUrl: "http://sim:8788" };
      assert.throws(() => new FaceIdClient(base), (e) => e.code === "INVALID_URL" && /devHosts/.test(e.message));
      assert.throws(() => new FaceIdClient({ ...base, devHosts: ["*"] }), { code: "INVALID_OPTION" });
      // The name resolves nowhere here: the fetch hook plays docker's DNS.
      const fetchVia = (url, init) => fetch(url.replace("http://sim:8788", sim.url), init);
      const client = new FaceIdClient({ ...base, devHosts: ["sim"], fetch: fetchVia });
      assert.equal((await client.faceResult("devhost01")).ok, true);
      const r = await client.startFace({ ...person, callbackUrl: "https://h5.example.com/back" });
      assert.ok(r.url.startsWith("http://sim:8788/api/web/login?"), r.url);
      const saved = process.env.NODE_ENV;
      process.env.NODE_ENV = "production";
      try {
        assert.throws(() => new FaceIdClient({ ...base, devHosts: ["sim"], fetch: fetchVia }), (e) => e.code === "INVALID_OPTION" && /production/.test(e.message));
      } finally {
        if (saved === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = saved;
      }
    } finally {
      await sim.stop();
    }
  });
});

describe("the H5 face flow as the pages describe it", () => {
  let sim;
  let client;
  let plain;
  before(async () => {
    sim = await startSimulator();
    // With loginUrl: the face page is always the simulator.
    client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url, retryDelayMs: 10 });
    // Without: the face page is the optimalDomain, or the kyc host when there is none.
    plain = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, retryDelayMs: 10 });
  });
  after(() => sim?.stop());

  for (const [label, optimalDomain] of [["empty", ""], ["missing", null]]) {
    test(`an ${label} optimalDomain: the face page on the kyc host (the default domain), and the flow completes`, async () => {
      const orderNo = `dom${label}01`;
      sim.setOrder(orderNo, { optimalDomain });
      const r = await plain.startFace({ ...person, orderNo, callbackUrl: "https://h5.example.com/back" });
      assert.equal(r.optimalDomain, null);
      assert.equal(r.faceOriginFrom, "kycUrl");
      assert.equal(r.faceOrigin, sim.url);
      assert.ok(r.url.startsWith(`${sim.url}/api/web/login?`), r.url);
      const page = await sim.passFacePage(r.url, "pass");
      assert.equal(page.status, 302);
      assert.equal((await plain.verifyCallback(new URL(page.location))).valid, true);
    });
  }

  test("a usable optimalDomain is used and reported; loginUrl wins over it", async () => {
    const r = await plain.startFace({ ...person, orderNo: "domgiven01", callbackUrl: "https://h5.example.com/back" });
    assert.equal(r.faceOriginFrom, "optimalDomain");
    assert.equal(r.faceOrigin, `https://${r.optimalDomain}`);
    const l = await client.startFace({ ...person, orderNo: "domlogin01", callbackUrl: "https://h5.example.com/back" });
    assert.equal(l.faceOriginFrom, "loginUrl");
    assert.equal(l.faceOrigin, sim.url);
  });

  test("with one's own comparison photo, name and idNo may be left out (and are not sent); without one they are required", async () => {
    const r = await client.startFace({ userId: "user02", orderNo: "ownphoto01", sourcePhoto: JPEG, callbackUrl: "https://h5.example.com/back" });
    const [sent] = sim.requests({ orderNo: "ownphoto01", endpoint: "getAdvFaceId" });
    assert.ok(!("name" in sent.body) && !("idNo" in sent.body), JSON.stringify(sent.body));
    assert.equal(sent.body.sourcePhotoType, "2");
    assert.equal((await sim.passFacePage(r.url, "pass")).status, 302);
    const before = sim.requests().length;
    for (const input of [{ userId: "user02" }, { userId: "user02", name: "张三" }, { userId: "user02", idNo: person.idNo }]) {
      await rejectsWith(client.startFace({ ...input, callbackUrl: "https://h5.example.com/back" }), "INVALID_IDENTITY", (e) => assert.match(e.message, /sourcePhoto/));
    }
    assert.equal(sim.requests().length, before, "no request for a refused start");
  });

  test("a BMP comparison photo is accepted by its magic bytes; the 500 KB limit holds for BMP too", async () => {
    await client.startFace({ ...person, orderNo: "bmpphoto01", sourcePhoto: BMP, sourcePhotoType: "1", callbackUrl: "https://h5.example.com/back" });
    const [sent] = sim.requests({ orderNo: "bmpphoto01", endpoint: "getAdvFaceId" });
    assert.equal(sent.verdict, "ok");
    assert.equal(sent.body.sourcePhotoType, "1");
    await client.startFace({ ...person, orderNo: "bmpphoto02", sourcePhoto: BMP.toString("base64"), callbackUrl: "https://h5.example.com/back" });
    const big = Buffer.alloc(500 * 1024 + 1);
    big.write("BM");
    await rejectsWith(client.startFace({ ...person, sourcePhoto: big, callbackUrl: "https://h5.example.com/back" }), "IMAGE_TOO_LARGE");
  });

  test("userId: letters and digits only, at most 30 where a NONCE ticket follows; the error says to hash e-mail addresses and UUIDs", async () => {
    const before = sim.requests().length;
    for (const userId of ["user_01", "user-01", "alice@example.com", "0f8fad5b-d9cb-469f-a165-70867728950e", "u".repeat(31)]) {
      await rejectsWith(client.startFace({ ...person, userId, callbackUrl: "https://h5.example.com/back" }), "INVALID_USER_ID", (e) => {
        assert.match(e.message, /SHA-256|hash/i);
        assert.ok(!e.message.includes("alice@example.com"));
      });
      await rejectsWith(client.nonceTicket(userId), "INVALID_USER_ID");
    }
    assert.equal(sim.requests().length, before);
  });

  test("the PC face page: /api/pc/login without the mobile options; its callback's newSign verifies", async () => {
    const r = await client.startFace({ ...person, orderNo: "pcorder01", device: "pc", callbackUrl: "https://h5.example.com/back" });
    assert.equal(r.device, "pc");
    const login = new URL(r.url);
    assert.equal(login.pathname, "/api/pc/login");
    assert.deepEqual([...login.searchParams.keys()], ["appId", "version", "nonce", "orderNo", "faceId", "url", "userId", "sign"]);
    const page = await sim.passFacePage(r.url, "pass");
    assert.equal(page.status, 302);
    const back = new URL(page.location);
    assert.ok(back.searchParams.has("newSign") && !back.searchParams.has("newSignature"), back.search);
    const v = await client.verifyCallback(back);
    assert.deepEqual(v.valid && { orderNo: v.orderNo, code: v.code }, { orderNo: "pcorder01", code: "0" });
    assert.equal(v.codeInfo.kind, "success");
    assert.equal(sim.faces().find((f) => f.orderNo === "pcorder01").device, "pc");
    await rejectsWith(client.startFace({ ...person, device: "desktop", callbackUrl: "https://h5.example.com/back" }), "INVALID_OPTION");
  });

  test("the mobile face page's callback names the signature newSignature (with liveRate): it verifies", async () => {
    const r = await client.startFace({ ...person, orderNo: "moborder01", callbackUrl: "https://h5.example.com/back" });
    assert.equal(new URL(r.url).pathname, "/api/web/login");
    const back = new URL((await sim.passFacePage(r.url, "pass")).location);
    assert.ok(back.searchParams.has("newSignature"), back.search);
    assert.equal((await client.verifyCallback(back)).valid, true);
  });

  test("liveInterType \"1\": sent to getAdvFaceId; a browser without real-time detection comes back with 3005, whose codeInfo says why", async () => {
    const r = await client.startFace({ ...person, orderNo: "realtime01", liveInterType: "1", callbackUrl: "https://h5.example.com/back" });
    const [sent] = sim.requests({ orderNo: "realtime01", endpoint: "getAdvFaceId" });
    assert.equal(sent.body.liveInterType, "1");
    const back = new URL((await sim.passFacePage(r.url, "pass", { realtime: false })).location);
    const v = await client.verifyCallback(back);
    assert.equal(v.valid, true);
    assert.equal(v.code, "3005");
    assert.equal(v.codeInfo.kind, "front_end");
    assert.match(v.codeInfo.en, /real-time/);
    // Without it the page falls back to video recording and the outcome stands.
    const d = await client.startFace({ ...person, orderNo: "realtime02", callbackUrl: "https://h5.example.com/back" });
    assert.equal((await client.verifyCallback(new URL((await sim.passFacePage(d.url, "pass", { realtime: false })).location))).code, "0");
    await rejectsWith(client.startFace({ ...person, liveInterType: "1&x", callbackUrl: "https://h5.example.com/back" }), "INVALID_OPTION");
  });

  test("the face page's own codes (3001–3005, 300101) reach verifyCallback with their meanings; a forged one has none", async () => {
    for (const code of ["3001", "3002", "3003", "3004", "300101"]) {
      const r = await client.startFace({ ...person, callbackUrl: "https://h5.example.com/back" });
      const v = await client.verifyCallback(new URL((await sim.passFacePage(r.url, code)).location));
      assert.equal(v.valid, true, code);
      assert.equal(v.code, code);
      assert.equal(v.codeInfo.kind, "front_end", code);
      assert.equal(faceid.codeInfo(code).zh, v.codeInfo.zh);
    }
    const forged = await client.verifyCallback({ orderNo: "o1", code: "3004", newSignature: "A".repeat(40) });
    assert.equal(forged.valid, false);
    assert.equal(forged.codeInfo, null);
  });

  test("the bank card's original image: both spellings are media, polled for, and revealed", async () => {
    for (const field of ["orginBankcardPhoto", "originBankcardPhoto"]) {
      const orderNo = `bank${field.slice(0, 5)}01`;
      sim.setOrder(orderNo, { bankPhotoField: field });
      const r = await client.bankCardOcrResult(orderNo, { getFile: true });
      assert.equal(r.ok, true);
      assert.equal(r.filesPending, false);
      assert.ok(decodeMedia(r).some((f) => f.field === field && f.mime.startsWith("image/")), field);
      // The handler reveals it when the operator names either spelling.
      for (const reveal of ["orginBankcardPhoto", "originBankcardPhoto"]) {
        const handler = createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done", reveal: [reveal], publicOrigin: "https://edge.example" });
        const { orderToken } = handler.issueOrderToken("bankcard", orderNo);
        const res = await handler(new Request(`https://edge.example/faceid/ocr/bankcard/result?orderNo=${orderNo}`, { headers: { authorization: `Bearer ${orderToken}` } }));
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(typeof body.result[field], "string", `${field} revealed as ${reveal}`);
      }
      const hidden = createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done", publicOrigin: "https://edge.example" });
      const { orderToken } = hidden.issueOrderToken("bankcard", orderNo);
      const body = await (await hidden(new Request(`https://edge.example/faceid/ocr/bankcard/result?orderNo=${orderNo}`, { headers: { authorization: `Bearer ${orderToken}` } }))).json();
      assert.ok(!(field in body.result), "not revealed by default");
    }
  });
});

describe("App SDK starts", () => {
  let sim;
  let client;
  before(async () => {
    sim = await startSimulator();
    client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, retryDelayMs: 10 });
  });
  after(() => sim?.stop());

  for (const kind of ["face", "liveness", "idCardOcr", "bankCardOcr"]) {
    test(`startSdk({ kind: "${kind}" }): exactly the SDK's start parameters, signed with a NONCE ticket; the service accepts them once`, async () => {
      const orderNo = `sdk${kind}01`;
      const input = kind === "face" ? { ...person, kind, orderNo } : { kind, orderNo, userId: "user01" };
      const p = await client.startSdk(input);
      const keys = ["appId", "orderNo", "userId", "nonce", "version", "sign", ...(kind === "face" ? ["faceId"] : [])];
      assert.deepEqual(Object.keys(p), keys);
      assert.equal(p.appId, sim.appId);
      assert.equal(p.orderNo, orderNo);
      assert.equal(p.version, "1.0.0");
      assert.match(p.nonce, /^[A-Za-z0-9]{32}$/);
      assert.match(p.sign, /^[0-9A-F]{40}$/);
      // The ticket is never in the parameters.
      assert.ok(!sim.issuedValues().some((v) => JSON.stringify(p).includes(v)));
      assert.equal(sim.requests({ orderNo, endpoint: "getAdvFaceId" }).length, kind === "face" ? 1 : 0);
      assert.deepEqual(sim.sdkStart({ kind, ...p }), { ok: true, orderNo, kind });
      // Single use: the NONCE ticket behind it is spent.
      assert.equal(sim.sdkStart({ kind, ...p }).ok, false);
      // Altered parameters do not verify.
      const q = await client.startSdk({ ...input, orderNo: `${orderNo}b` });
      assert.equal(sim.sdkStart({ kind, ...q, userId: "user02" }).ok, false);
    });
  }

  test("the official example: appId IDAXXXXX, userID19959248596551 → D7606F1741DDCF90757DA924EDCF152A200AC7F0 (the recipe the SDK pages give)", () => {
    assert.equal(
      signValues(["IDAXXXXX", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", "1.0.0", "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"]),
      "D7606F1741DDCF90757DA924EDCF152A200AC7F0",
    );
  });

  test("bad input is refused before any request; a client without NONCE tickets cannot start an SDK", async () => {
    const before = sim.requests().length;
    for (const [input, code] of [
      [{ kind: "ocr", userId: "user01" }, "INVALID_OPTION"],
      [{ userId: "user01" }, "INVALID_OPTION"],
      [{ kind: "liveness" }, "INVALID_USER_ID"],
      [{ kind: "liveness", userId: "user_01" }, "INVALID_USER_ID"],
      [{ kind: "liveness", userId: "user01", name: "张三" }, "INVALID_OPTION"],
      [{ kind: "face", userId: "user01" }, "INVALID_IDENTITY"],
      [{ kind: "bankCardOcr", userId: "user01", orderNo: "bad order" }, "INVALID_ORDER_NO"],
      [null, "INVALID_ARGUMENT"],
    ]) {
      await rejectsWith(client.startSdk(input), code);
    }
    const fixed = new FaceIdClient({ appId: sim.appId, ticket: sim.ticket, serverUrl: sim.url, kycUrl: sim.url });
    await rejectsWith(fixed.startSdk({ kind: "liveness", userId: "user01" }), "INVALID_OPTION",
      (e) => assert.equal(e.message, "startSdk() needs a NONCE ticket: make the client with secret or ticketOwner"));
    assert.equal(sim.requests().length, before);
  });

  test("the edge handler: POST /sdk/start answers the parameters and a token for the kind's result route; POST /start takes { device: \"pc\" }", async () => {
    let who = { userId: "user01", name: "张三", idNo: "11010519491231002X" };
    const handler = createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => who, returnUrl: "/done", publicOrigin: "https://edge.example" });
    const post = (path, body, headers = {}) =>
      handler(new Request(`https://edge.example/faceid${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }));
    for (const [kind, route] of [["liveness", "/live/result"], ["face", "/result"], ["bankCardOcr", "/ocr/bankcard/result"], ["idCardOcr", "/ocr/idcard/result"]]) {
      const res = await post("/sdk/start", { kind });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.kind, kind);
      assert.equal(body.sdk.orderNo, body.orderNo);
      assert.equal(body.sdk.userId, "user01");
      assert.equal("faceId" in body.sdk, kind === "face");
      assert.deepEqual(sim.sdkStart({ kind, ...body.sdk }), { ok: true, orderNo: body.orderNo, kind });
      // The token opens the kind's result route for this order, and no other route.
      const read = (path) => handler(new Request(`https://edge.example/faceid${path}?orderNo=${body.orderNo}`, { headers: { authorization: `Bearer ${body.orderToken}` } }));
      assert.equal((await read(route)).status, 200, route);
      const other = route === "/result" ? "/live/result" : "/result";
      assert.equal((await read(other)).status, 403, other);
    }
    for (const [body, status] of [[{ kind: "ocr" }, 400], [{}, 400], [undefined, 400], [["face"], 400]]) {
      assert.equal((await post("/sdk/start", body)).status, status, JSON.stringify(body));
    }
    const pc = await (await post("/start", { device: "pc" })).json();
    assert.equal(new URL(pc.url).pathname, "/api/pc/login");
    const mobile = await (await post("/start", undefined)).json();
    assert.equal(new URL(mobile.url).pathname, "/api/web/login");
    assert.equal((await post("/start", { device: "tv" })).status, 400);
    who = null;
    const before = sim.requests().length;
    assert.equal((await post("/sdk/start", { kind: "liveness" })).status, 401);
    assert.equal(sim.requests().length, before, "no upstream call without a signed-in user");
  });
});
