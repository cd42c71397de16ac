// FaceIdClient of the packed faceid-edge package in headless Chromium,
// against the loopback WeBank simulator (CORS). A page maps "faceid-edge" to
// the package's browser entry with an import map, awaits init(), and runs a
// list of scenarios sent by the test; results (media as { mime, length, head,
// sha256 } from decodeMedia, errors as { name, code, status, message }) are
// checked here in Node. The simulator's scenarios are set from Node.
//
// (A browser never gets a real SIGN ticket in production, docs/protocol.md#what-this-library-never-does; this test
// hands the page the simulator's ticket only to exercise the client's fetch
// path in Chromium.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KNOWN_CODES, startSimulator } from "../sim/index.mjs";
import {
  bankCard, dataUrlFolded, expectedFace, expectedIdCardOcr, expectedIdCardOcrResult, leaks, mediaBytes, newOrder,
  referenceSign, sha256, SMALL_JPEG, SMALL_PNG, TICKET,
} from "./lib/client-fixtures.mjs";
import { installedPackage, PACKAGE_NAME, resolveExport, tempDir } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";
import { newSession, startChromedriver, startStaticServer } from "./lib/webdriver.mjs";

const pkg = installedPackage();
const PREFIX = `/node_modules/${PACKAGE_NAME}/`;
const entry = PREFIX + resolveExport(pkg.manifest, ["browser", "import"]).replace(/^\.\//, "");

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>FaceIdClient in the browser</title>
<script>
  window.__errors = [];
  addEventListener("error", (e) => __errors.push(String(e.message)));
  addEventListener("unhandledrejection", (e) => __errors.push(String(e.reason)));
</script>
<script type="importmap">${JSON.stringify({ imports: { [PACKAGE_NAME]: entry } })}</script>
<script type="module" onerror="window.__ready = Promise.resolve('the module graph failed to load')">
  import init, { FaceIdClient, FaceIdError, decodeMedia } from "${PACKAGE_NAME}";

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  function revive(value) {
    if (Array.isArray(value)) return value.map(revive);
    if (value === null || typeof value !== "object") return value;
    if ("$bytes" in value) return fromB64(value.$bytes);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  async function summarize(r) {
    const out = { ...r, result: { ...r.result } };
    for (const m of decodeMedia(r)) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", m.bytes));
      out.result[m.field] = { mime: m.mime, length: m.bytes.byteLength, head: hex(m.bytes.subarray(0, 8)), sha256: hex(digest) };
    }
    return out;
  }
  async function runOne(env, s) {
    const started = performance.now();
    try {
      const settings = { appId: env.appId, serverUrl: env.simUrl, kycUrl: env.simUrl,
        retryDelayMs: 1, maxRetryDelayMs: 4, filePollIntervalMs: 5, ...revive(s.options ?? {}) };
      if (s.provider) settings.ticketProvider = async () => env.ticket;
      else settings.ticket ??= env.ticket;
      const client = new FaceIdClient(settings);
      let value;
      if (s.method === "toJSON") value = JSON.parse(JSON.stringify(client));
      else if (s.method === "signedRequest") {
        const req = await client.signedRequest(...revive(s.args));
        const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
        value = { method: req.method, answer: await res.json() };
      } else value = await summarize(await client[s.method](...revive(s.args)));
      return { value, ms: performance.now() - started };
    } catch (e) {
      return { error: { name: e?.name, code: e?.code, status: e?.status, message: String(e?.message ?? e),
        stack: String(e?.stack), isFaceIdError: e instanceof FaceIdError }, ms: performance.now() - started };
    }
  }
  window.__run = async (env, list) => {
    const out = {};
    for (const s of list) out[s.label] = await runOne(env, s);
    return out;
  };
  window.__ready = init().then(() => "ready", (e) => "init failed: " + (e && e.stack || e));
</script>
`;

// Runs the scenarios in the page (WebDriver async script).
const RUN = `const [env, list, done] = arguments;
const deadline = Date.now() + 10000;
(function wait() {
  if (window.__ready) return window.__ready.then((state) => state === "ready"
    ? window.__run(env, list).then(done, (e) => done({ failure: String(e && e.stack || e) }))
    : done({ failure: state, errors: window.__errors }));
  if (Date.now() > deadline) return done({ failure: "the page never got ready", errors: window.__errors });
  setTimeout(wait, 50);
})();`;

let sim, server, driver, session, results, closedUrl;
const scenarios = [];
/** Adds a scenario; `sim` is the scenario the simulator's order gets first. */
function scenario(label, method, args, { sim: order, options, provider } = {}) {
  scenarios.push({ label, method, args, options, provider, order });
  return label;
}

const jpeg = { $bytes: SMALL_JPEG().toString("base64") };
const orders = {};
const O = (tag) => (orders[tag] ??= newOrder(`br${tag}`));

before(async () => {
  sim = await startSimulator({ ticket: TICKET });
  closedUrl = `http://127.0.0.1:${await freePort()}`;

  // Success and a business failure on every method.
  scenario("face ok", "faceResult", [O("face")]);
  scenario("live ok", "liveResult", [O("live")]);
  scenario("ocr ok", "idCardOcrResult", [O("ocr")]);
  scenario("bank ok", "bankCardOcrResult", [O("bank")]);
  scenario("record ok", "queryFaceRecord", [O("rec")]);
  scenario("upload ok", "idCardOcr", [{ orderNo: O("upl"), cardType: "portrait", image: jpeg, userId: "bruser" }]);
  scenario("upload dataurl", "idCardOcr", [{ orderNo: O("uplData"), cardType: "emblem", image: dataUrlFolded(SMALL_PNG(), "image/png") }]);
  scenario("face fail", "faceResult", [O("faceFail")], { sim: { code: "66660011" } });
  scenario("live fail", "liveResult", [O("liveFail")], { sim: { code: "400604" } });
  scenario("ocr fail", "idCardOcrResult", [O("ocrFail")], { sim: { code: "66660020" } });
  scenario("bank fail", "bankCardOcrResult", [O("bankFail")], { sim: { code: "66661001" } });
  scenario("record fail", "queryFaceRecord", [O("recFail")], { sim: { code: "66660018" } });
  scenario("upload fail", "idCardOcr", [{ orderNo: O("uplFail"), cardType: "portrait", image: jpeg }], { sim: { code: "66661003" } });
  // Bad input, signature, provider.
  scenario("bad order", "faceResult", ["bad-order"]);
  scenario("bad image", "idCardOcr", [{ orderNo: "ok1", cardType: "portrait", image: "not base64!" }]);
  scenario("wrong ticket", "liveResult", [O("wrong")], { options: { ticket: `Wr${TICKET.slice(2)}` } });
  scenario("provider", "bankCardOcrResult", [O("provider")], { provider: true });
  scenario("toJSON", "toJSON", []);
  // Retries and polls.
  scenario("busy", "queryFaceRecord", [O("busy")], { sim: { fault: { type: "busy", times: 2 } } });
  scenario("lag", "faceResult", [O("lag"), { getFile: "photo" }], { sim: { filesLagPolls: 1 } });
  // One fault of each kind.
  scenario("timeout", "faceResult", [O("slow")], { sim: { fault: { type: "slow", delayMs: 5000 } }, options: { timeoutMs: 300 } });
  scenario("status", "idCardOcr", [{ orderNo: O("status"), cardType: "portrait", image: jpeg }], { sim: { fault: { type: "status", status: 503 } } });
  scenario("html", "liveResult", [O("html")], { sim: { fault: { type: "html" } } });
  scenario("truncated", "bankCardOcrResult", [O("trunc")], { sim: { fault: { type: "truncated" } } });
  scenario("reset", "faceResult", [O("reset"), { getFile: "photo" }], { sim: { fault: { type: "reset" }, photoBytes: 300_000 } });
  scenario("closed", "queryFaceRecord", ["closed1"], { options: { kycUrl: closedUrl } });
  // Media.
  scenario("media", "faceResult", [O("media"), { getFile: "all" }], { sim: { photoBytes: 1 << 20, videoBytes: 2 << 20 } });
  scenario("png", "idCardOcrResult", [O("png"), { getFile: true }], { sim: { photoFormat: "png", photoBytes: 50_000 } });
  // signedRequest through the page's own fetch.
  scenario("signed get", "signedRequest", ["liveResult", O("signedGet"), { getFile: "video" }]);
  scenario("signed post", "signedRequest", ["idCardOcr", O("signedPost"), { cardType: "portrait", image: jpeg }]);

  for (const s of scenarios) if (s.order) sim.setOrder(s.args[0]?.orderNo ?? s.args[0], s.order);

  server = await startStaticServer({ pages: { "/": PAGE }, mounts: { [PREFIX]: pkg.packageDir } });
  driver = await startChromedriver();
  session = await newSession(driver.url, { userDataDir: tempDir("chromium-client") });
  await session.navigate(`${server.url}/`);
  const env = { simUrl: sim.url, appId: sim.appId, ticket: TICKET };
  const list = scenarios.map(({ label, method, args, options, provider }) => ({ label, method, args, options, provider }));
  results = await session.executeAsync(RUN, env, list);
});

after(async () => {
  await session?.delete().catch((e) => console.error(e.message));
  await driver?.stop();
  server?.close();
  await sim?.stop();
});

function ok(label) {
  const r = results[label];
  assert.ok(r, `${label}: no result (${JSON.stringify(results).slice(0, 300)})`);
  assert.equal(r.error, undefined, `${label}: ${JSON.stringify(r.error)}`);
  const v = r.value;
  if (v.code !== undefined) {
    assert.equal(v.ok, v.code === "0");
    assert.match(v.bizSeqNo, /^\d{32}$/);
    assert.match(v.transactionTime, /^\d{14}$/);
    assert.equal("success" in v.result, false);
  }
  return v;
}

function failed(label, code) {
  const r = results[label];
  assert.ok(r?.error, `${label}: expected ${code}, got ${JSON.stringify(r?.value)?.slice(0, 300)}`);
  assert.equal(r.error.isFaceIdError, true, JSON.stringify(r.error));
  assert.equal(r.error.name, "FaceIdError");
  assert.equal(r.error.code, code, r.error.message);
  return r.error;
}

const pick = (obj, like) => Object.fromEntries(Object.keys(like).map((k) => [k, obj[k]]));

test("the page ran every scenario", () => {
  assert.equal(results.failure, undefined, JSON.stringify(results));
  assert.deepEqual(Object.keys(results).sort(), scenarios.map((s) => s.label).sort());
});

test("success on every method, with the simulator's values", () => {
  const face = ok("face ok");
  assert.equal(face.code, "0");
  assert.deepEqual(pick(face.result, expectedFace(O("face"))), expectedFace(O("face")));
  assert.equal(face.result.app_id, sim.appId);
  assert.equal(ok("live ok").result.liveRate, "100");
  assert.deepEqual(pick(ok("ocr ok").result, expectedIdCardOcrResult(O("ocr"))), expectedIdCardOcrResult(O("ocr")));
  assert.deepEqual(pick(ok("bank ok").result, bankCard(O("bank"))), bankCard(O("bank")));
  assert.deepEqual(pick(ok("record ok").result, expectedFace(O("rec"))), expectedFace(O("rec")));
  const want = expectedIdCardOcr(O("upl"), "portrait");
  assert.deepEqual(pick(ok("upload ok").result, want), want);
  const back = expectedIdCardOcr(O("uplData"), "emblem");
  assert.deepEqual(pick(ok("upload dataurl").result, back), back);
  for (const tag of ["face", "rec", "upl", "uplData"]) {
    const [e, ...more] = sim.requests({ orderNo: O(tag) }).filter((x) => x.verdict !== "preflight");
    assert.deepEqual(more, [], tag);
    assert.equal(e.verdict, "ok", tag);
    const { nonce, sign } = e.query.nonce ? e.query : e.body;
    assert.equal(sign, referenceSign([sim.appId, O(tag), "1.0.0", TICKET, nonce]), tag);
  }
  const upload = sim.requests({ orderNo: O("uplData") }).find((x) => x.verdict === "ok");
  assert.equal(upload.body.idcardStr, SMALL_PNG().toString("base64").length, "data: prefix and line breaks removed");
  assert.ok(sim.requests({ path: "/api/paas/idcardocrapp", verdict: "preflight" }).length > 0, "the JSON POST was preflighted");
});

test("business failures on every method, with codeInfo", () => {
  for (const [label, code, kind] of [
    ["face fail", "66660011", "no_result"], ["live fail", "400604", "not_live"], ["ocr fail", "66660020", "no_result"],
    ["bank fail", "66661001", "ocr"], ["record fail", "66660018", "expired"], ["upload fail", "66661003", "ocr"],
  ]) {
    const v = ok(label);
    assert.equal(v.ok, false, label);
    assert.equal(v.code, code);
    assert.equal(v.msg, KNOWN_CODES[code]);
    assert.equal(v.codeInfo.kind, kind);
  }
});

test("bad input, a wrong ticket, a ticketProvider, toJSON", () => {
  failed("bad order", "INVALID_ORDER_NO");
  failed("bad image", "INVALID_IMAGE");
  assert.deepEqual(sim.requests({ orderNo: "ok1" }), []);
  assert.equal(ok("wrong ticket").code, "400101");
  assert.equal(ok("provider").code, "0");
  assert.deepEqual(ok("toJSON"), { appId: sim.appId, version: "1.0.0", serverUrl: sim.url, kycUrl: sim.url, ticketSource: "ticket" });
});

test("busy retries and file polls", () => {
  assert.equal(ok("busy").code, "0");
  assert.equal(sim.requests({ orderNo: O("busy"), verdict: "ok" }).length, 3);
  const lag = ok("lag");
  assert.equal(lag.result.photo.mime, "image/jpeg");
  assert.equal(sim.requests({ orderNo: O("lag"), verdict: "ok" }).length, 2);
});

test("one fault of each kind", () => {
  const timeout = failed("timeout", "TIMEOUT");
  assert.ok(results.timeout.ms < 3000, `${results.timeout.ms} ms`);
  assert.match(timeout.message, /300/);
  assert.equal(failed("status", "HTTP_STATUS").status, 503);
  assert.equal(failed("html", "HTTP_STATUS").status, 502);
  failed("truncated", "BAD_RESPONSE");
  failed("reset", "NETWORK");
  failed("closed", "NETWORK");
});

test("decodeMedia on a JPEG, an MP4 and PNGs", () => {
  const media = ok("media");
  assert.deepEqual(media.result.photo, {
    mime: "image/jpeg", length: 1 << 20, head: "ffd8ffe000104a46", sha256: sha256(mediaBytes("jpeg", 1 << 20)),
  });
  assert.deepEqual(media.result.video, {
    mime: "video/mp4", length: 2 << 20, head: mediaBytes("mp4", 64).subarray(0, 8).toString("hex"),
    sha256: sha256(mediaBytes("mp4", 2 << 20)),
  });
  const png = ok("png");
  for (const f of ["frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"]) {
    assert.deepEqual(png.result[f], { mime: "image/png", length: 50_000, head: "89504e470d0a1a0a", sha256: sha256(mediaBytes("png", 50_000)) }, f);
  }
});

test("signedRequest output sent with the page's own fetch", () => {
  assert.equal(ok("signed get").method, "GET");
  assert.equal(ok("signed get").answer.code, "0", ok("signed get").answer.msg);
  assert.equal(ok("signed post").method, "POST");
  assert.equal(ok("signed post").answer.code, "0", ok("signed post").answer.msg);
});

test("the ticket never shows in any result or error; the page had no uncaught errors", () => {
  assert.equal(leaks(JSON.stringify(Object.values(results).map((r) => r.error ?? {}))), false);
  for (const [label, r] of Object.entries(results)) if (label !== "toJSON") assert.equal(leaks(JSON.stringify(r)), false, label);
  assert.equal(leaks(JSON.stringify(sim.requests())), false);
  assert.deepEqual(sim.requests().filter((e) => ["400100", "400102"].includes(e.verdict)), []);
});
