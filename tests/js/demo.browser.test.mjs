// The demo (`make demo`) end to end: www/demo.mjs starts the simulator and the
// demo Worker in `wrangler dev`, and headless Chromium clicks through every
// flow of the page: face verification passed and failed (on the simulator's
// face page), with the server's own record of each verdict (what the
// handler's onResult stored in the demo's DemoOrders Durable Object), ID card
// OCR upload and look-up, bank card and liveness look-ups,
// the signing playground. Then every answer the page received, the redirects
// and the static files are scanned for what must never reach a browser: the
// secret, access tokens, SIGN and NONCE tickets, the order token key, the full
// ID number, photos. Offline: everything listens on 127.0.0.1.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { startDemo } from "../../www/demo.mjs";
import { SMALL_JPEG } from "./lib/client-fixtures.mjs";
import { freePort } from "./lib/proc.mjs";
import { newSession, startChromedriver } from "./lib/webdriver.mjs";

const INITIAL_TICKET = `DemoSignTicket${"k".repeat(50)}`;
const NONCE_TICKET = `DemoNonceTicket${"n".repeat(49)}`;
const PERSON = { name: "张三丰", idNo: "11010519491231002X" }; // www/wrangler.jsonc

let dir, demo, driver, session;
/** Every text that reached a browser (or would have): scanned at the end. */
const seen = [];
/** Every SIGN ticket the simulator held as current during the test. */
const signTickets = new Set([INITIAL_TICKET]);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "faceid-edge-demo-test-"));
  demo = await startDemo({
    port: await freePort(),
    simPort: 0,
    env: {}, // the simulator, whatever this shell's FACEID_APP_ID says
    simulator: { ticket: INITIAL_TICKET, nonceTicket: NONCE_TICKET },
    devVars: join(dir, "dev.vars"),
    persistTo: join(dir, "state"),
    timeoutMs: 90_000,
  });
  driver = await startChromedriver();
  session = await newSession(driver.url, { userDataDir: join(dir, "chromium") });
}, { timeout: 150_000 });

after(async () => {
  await session?.delete().catch(() => {});
  await driver?.stop();
  await demo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the page shows, for failure messages. */
async function pageState() {
  return session.execute(`return { url: location.href, text: document.body ? document.body.innerText.slice(0, 3000) : "" };`);
}

/** Polls `script` (a function body returning a value) until it returns something truthy. */
async function waitFor(what, script, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value;
    try {
      value = await session.execute(script);
    } catch {
      value = null; // navigating
    }
    if (value) return value;
    if (Date.now() > deadline) {
      assert.fail(`waited ${timeoutMs} ms for ${what}; the page: ${JSON.stringify(await pageState())}\n` +
        `wrangler: ${demo.output().slice(-3000)}`);
    }
    await sleep(100);
  }
}

/** The final `data-state` of a status line (waits while it is idle, ready, busy or redirecting). */
const settled = (id) => waitFor(`#${id} to settle`, `const el = document.getElementById(${JSON.stringify(id)});
  const s = el && el.dataset.state;
  return s && !["idle", "ready", "busy", "redirecting"].includes(s) ? { state: s, text: el.textContent, code: el.dataset.code ?? null } : null;`);

/** The rows of a <dl class="fields"> as { field: text }. */
const fields = (id) => session.execute(`const out = {};
  for (const row of document.querySelectorAll(${JSON.stringify(`#${id} [data-field]`)})) out[row.dataset.field] = row.querySelector("dd").textContent;
  return out;`);

async function waitForUrl(prefix) {
  return waitFor(`a page at ${prefix}`, `return location.href.startsWith(${JSON.stringify(prefix)}) && document.readyState === "complete" ? location.href : null;`);
}

/** Starts a face verification on the page (on the phone or the PC face page) and presses `button` ("pass" or "fail") on the simulator's face page. */
async function faceFlow(button, device = "mobile") {
  await waitFor("the demo session", `return document.getElementById("who").dataset.state === "done";`);
  await session.execute(`document.querySelector('input[name="device"][value="${device}"]').checked = true;`);
  await session.click("#face-start");
  const login = await waitForUrl(`${demo.sim.url}/api/${device === "pc" ? "pc" : "web"}/login`);
  seen.push({ where: "the face page's URL", text: login });
  seen.push({ where: "the face page", text: await session.execute("return document.documentElement.outerHTML;") });
  signTickets.add(demo.sim.ticket);
  await session.click(`#${button}`);
  await waitForUrl(`${demo.url}/`);
  const state = await settled("face-status");
  seen.push({ where: "the page after the face page", text: await session.execute("return location.href + '\\n' + document.documentElement.outerHTML;") });
  return state;
}

test("face verification: passed, with the masked name and ID number", { timeout: 60_000 }, async () => {
  await session.navigate(`${demo.url}/?record=1`);
  const who = await waitFor("the demo user line", `const el = document.getElementById("who"); return el.dataset.state !== "loading" && el.textContent;`);
  assert.match(who, /张\* · 1101\*{10}002X/);
  assert.match(who, /simulator/);

  const state = await faceFlow("pass");
  assert.equal(state.state, "passed", JSON.stringify(state));
  assert.match(state.text, /Passed/);
  const f = await fields("face-result");
  assert.equal(f.code, "0");
  assert.equal(f.name, "张*");
  assert.equal(f.idNo, "1101**********002X");
  // The scores stay on the server (the handler reveals them only when told to).
  assert.equal(f.similarity, undefined);
  assert.equal(f.liveRate, undefined);
  assert.match(f.verdict, /passed/);
  // The server's own record, from onResult: the verdict a backend acts on.
  const server = await settled("face-server");
  assert.equal(server.state, "passed", JSON.stringify(server));
  assert.equal(server.code, "0");
  // The return URL's query is gone: a reload does not ask again.
  assert.equal(await session.url(), `${demo.url}/`);
  assert.deepEqual(demo.sim.faces().map((x) => x.outcome), ["pass"]);
});

test("face verification: failed, with the failure code 400604", { timeout: 60_000 }, async () => {
  const state = await faceFlow("fail");
  assert.equal(state.state, "failed", JSON.stringify(state));
  assert.equal(state.code, "400604");
  assert.match(state.text, /400604/);
  const f = await fields("face-result");
  assert.equal(f.code, "400604");
  assert.match(f.verdict, /failed/);
  const server = await settled("face-server");
  assert.equal(server.state, "failed", JSON.stringify(server));
  assert.equal(server.code, "400604");
  assert.deepEqual(demo.sim.faces().map((x) => x.outcome), ["pass", "fail"]);
});

test("ID card OCR: upload a file, masked fields, then the look-up", { timeout: 60_000 }, async () => {
  const file = join(dir, "card.jpg");
  writeFileSync(file, SMALL_JPEG());
  await session.type("#idcard-file", file);
  await waitFor("the image to be chosen", `return document.getElementById("idcard-status").dataset.state === "ready";`);
  await session.click("#idcard-upload");
  let state = await settled("idcard-status");
  assert.equal(state.state, "done", JSON.stringify(state));
  let f = await fields("idcard-fields");
  assert.equal(f.code, "0");
  assert.match(f.name, /^\p{Script=Han}\*$/u);
  assert.match(f.idcard, /^\d{4}\*{10}[\dX]{4}$/);
  assert.ok(f.orderNo && f.sex && f.nation, JSON.stringify(f)); // the portrait side

  await session.click("#idcard-lookup");
  state = await settled("idcard-lookup-status");
  assert.equal(state.state, "done", JSON.stringify(state));
  const looked = await fields("idcard-lookup-fields");
  assert.equal(looked.orderNo, f.orderNo);
  assert.match(looked.idcard, /^\d{4}\*{10}[\dX]{4}$/);
  assert.match(looked.name, /^\p{Script=Han}\*$/u);

  // The sample image drawn by the page, on the emblem side.
  await session.click('input[name="cardType"][value="emblem"]');
  await session.click("#idcard-sample");
  await waitFor("the sample image", `return document.getElementById("idcard-status").dataset.state === "ready";`);
  await session.click("#idcard-upload");
  state = await settled("idcard-status");
  assert.equal(state.state, "done", JSON.stringify(state));
  f = await fields("idcard-fields");
  assert.equal(f.code, "0");
  assert.ok(f.authority && f.validDate, JSON.stringify(f));
  const uploads = demo.sim.requests({ endpoint: "idcardocrapp" });
  assert.deepEqual(uploads.map((r) => [r.verdict, r.imageFormat]), [["ok", "jpeg"], ["ok", "jpeg"]]);
});

test("face verification on the PC face page: the switch opens /api/pc/login, and the verdict comes back", { timeout: 60_000 }, async () => {
  const state = await faceFlow("pass", "pc");
  assert.equal(state.state, "passed", JSON.stringify(state));
  assert.equal((await settled("face-server")).state, "passed");
  assert.equal(demo.sim.faces().at(-1).device, "pc");
  await session.execute(`document.querySelector('input[name="device"][value="mobile"]').checked = true;`);
});

test("App SDK start parameters for a made-up app: every kind, accepted once by the service", { timeout: 60_000 }, async () => {
  for (const kind of ["face", "liveness", "idCardOcr", "bankCardOcr"]) {
    await session.execute(`document.querySelector('input[name="sdkKind"][value="${kind}"]').checked = true;
      document.getElementById("sdk-status").dataset.state = "idle";`);
    await session.click("#sdk-start");
    const state = await settled("sdk-status");
    assert.equal(state.state, "passed", JSON.stringify(state));
    const f = await fields("sdk-fields");
    assert.equal(f.kind, kind);
    assert.match(f.sign, /^[0-9A-F]{40}$/);
    assert.match(f.nonce, /^[A-Za-z0-9]{32}$/);
    assert.equal("faceId" in f, kind === "face");
    const { kind: _, ...params } = f;
    assert.deepEqual(demo.sim.sdkStart({ kind, ...params }), { ok: true, orderNo: f.orderNo, kind });
  }
});

test("bank card OCR and liveness look-ups", { timeout: 60_000 }, async () => {
  await session.click("#bankcard-lookup");
  let state = await settled("bankcard-status");
  assert.equal(state.state, "done", JSON.stringify(state));
  const bank = await fields("bankcard-fields");
  assert.equal(bank.code, "0");
  assert.match(bank.bankCardNo, /^\*+\d{4}$/);
  assert.ok(bank.bankCardValidDate, JSON.stringify(bank));

  await session.click("#live-lookup");
  state = await settled("live-status");
  assert.equal(state.state, "done", JSON.stringify(state));
  const live = await fields("live-fields");
  assert.equal(live.code, "0");
  assert.ok(live.occurredTime, JSON.stringify(live));
  assert.equal(live.liveRate, undefined, "the liveness score stays on the server");
});

test("the signing playground: 2/2 official vectors, and a signature", { timeout: 30_000 }, async () => {
  assert.equal(await waitFor("the vectors", `return document.body.dataset.vectors;`), "2/2");
  await session.click('#form button[type="submit"]');
  const out = await waitFor("a signature", `return document.getElementById("result").textContent;`);
  assert.match(out, /^sign = [0-9A-F]{40}$/);
});

test("the Worker's errors, answered in JSON", { timeout: 30_000 }, async () => {
  const get = async (path, init) => {
    const r = await fetch(`${demo.url}${path}`, { redirect: "manual", ...init });
    const text = await r.text();
    seen.push({ where: `${init?.method ?? "GET"} ${path}`, text: `${JSON.stringify([...r.headers])}\n${text}` });
    return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
  };
  const page = await fetch(`${demo.url}/`);
  const cookie = page.headers.get("set-cookie").split(";")[0];
  await page.body.cancel();
  assert.match(cookie, /^demo_session=[A-Za-z0-9]{32}$/);

  const json = { "content-type": "application/json" };
  assert.equal((await get("/faceid/start", { method: "POST", headers: json })).status, 401); // no session
  // A cross-site form post (no JSON content type), even with the session cookie.
  assert.equal((await get("/faceid/start", { method: "POST", headers: { cookie, "content-type": "text/plain" }, body: "{}" })).status, 400);
  assert.equal((await get("/demo/orders", { method: "POST", headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ kind: "face" }) })).status, 400);
  assert.equal((await get("/demo/orders", { method: "POST", headers: { cookie, "content-type": "application/json",
    origin: "https://elsewhere.example" }, body: JSON.stringify({ kind: "live" }) })).status, 403);
  const forged = await get("/faceid/result?orderNo=abc123", { headers: { cookie, authorization: "Bearer v1.1.forged" } });
  assert.equal(forged.status, 403);
  assert.equal(forged.body.error.code, "FORBIDDEN");
  assert.equal((await get("/faceid/nothing")).status, 404);

  // The redirects of a face verification, seen from here: the callback's Location.
  const start = await get("/faceid/start", { method: "POST", headers: { cookie, ...json } });
  assert.equal(start.body.ok, true);
  const finished = await demo.sim.passFacePage(start.body.url, "pass");
  assert.equal(finished.status, 302);
  seen.push({ where: "the face page's redirect", text: finished.location });
  const callback = await fetch(finished.location, { redirect: "manual" });
  assert.equal(callback.status, 303);
  const location = callback.headers.get("location");
  // The order number only: the face page's code is not a verdict.
  assert.equal(location, `${demo.url}/?orderNo=${start.body.orderNo}`);
  seen.push({ where: "the callback's redirect", text: `${JSON.stringify([...callback.headers])}\n${await callback.text()}` });
  // Someone else's session cannot read the order with its token.
  const other = (await fetch(`${demo.url}/`)).headers.get("set-cookie").split(";")[0];
  const stolen = await get(`/faceid/result?orderNo=${start.body.orderNo}`, { headers: { cookie: other, authorization: `Bearer ${start.body.orderToken}` } });
  assert.equal(stolen.status, 403);
  // The server's own verdict: for the session that owns the order only.
  const mine = await get(`/faceid/result?orderNo=${start.body.orderNo}`, { headers: { cookie, authorization: `Bearer ${start.body.orderToken}` } });
  assert.equal(mine.status, 200);
  let verdict = null;
  for (let i = 0; i < 50 && !verdict?.body?.verdict; i++) {
    verdict = await get(`/demo/verdict?orderNo=${start.body.orderNo}`, { headers: { cookie } });
    assert.equal(verdict.status, 200, JSON.stringify(verdict.body));
    if (!verdict.body.verdict) await sleep(100);
  }
  assert.deepEqual([verdict.body.kind, verdict.body.verdict?.ok, verdict.body.verdict?.code], ["face", true, "0"]);
  const theirs = await get(`/demo/verdict?orderNo=${start.body.orderNo}`, { headers: { cookie: other } });
  assert.equal(theirs.status, 404);
  assert.equal(theirs.body.error.code, "NOT_FOUND");
  assert.equal((await get("/demo/verdict?orderNo=a%20b", { headers: { cookie } })).status, 400);
  // A replayed callback URL without its state (the face page's signature alone) is refused.
  const bare = new URL(finished.location);
  bare.searchParams.delete("state");
  assert.equal((await fetch(bare, { redirect: "manual" })).status, 403);
  signTickets.add(demo.sim.ticket);
});

test("nothing secret reached the page", { timeout: 30_000 }, async () => {
  const responses = await session.execute("return window.__responses;");
  const paths = responses.map((r) => r.path.split("?")[0]);
  for (const p of ["/demo/me", "/faceid/start", "/faceid/result", "/demo/verdict", "/faceid/ocr/idcard", "/faceid/ocr/idcard/result",
    "/demo/orders", "/faceid/ocr/bankcard/result", "/faceid/live/result"]) {
    assert.ok(paths.includes(p), `the page recorded no answer of ${p}: ${paths.join(", ")}`);
  }
  for (const r of responses) seen.push({ where: `the page's ${r.path}`, text: `${JSON.stringify(r.headers)}\n${r.body}` });
  seen.push({ where: "the page", text: await session.execute("return location.href + '\\n' + document.documentElement.outerHTML;") });
  for (const path of ["/", "/index.html", "/app.js", "/playground.js", "/style.css"]) {
    const r = await fetch(`${demo.url}${path}`);
    assert.equal(r.status, 200, path);
    seen.push({ where: path, text: `${JSON.stringify([...r.headers])}\n${await r.text()}` });
  }

  signTickets.add(demo.sim.ticket);
  const stats = demo.sim.refreshStats();
  assert.ok(stats.nonceTickets >= 3, `NONCE tickets issued: ${stats.nonceTickets}`);
  const secrets = {
    "the App ID's secret": demo.sim.secret,
    "the order token key": demo.orderTokenKey,
    "a NONCE ticket": NONCE_TICKET,
    "the full ID number": PERSON.idNo,
    "a JPEG in base64": "/9j/",
    "a PNG in base64": "iVBORw0KGgo",
  };
  [...signTickets].filter(Boolean).forEach((t, i) => (secrets[`SIGN ticket #${i}`] = t));
  assert.ok(signTickets.size >= 2, "the TicketOwner fetched a SIGN ticket of its own");
  // Every access token and ticket the simulator issued (the tokens are nowhere else in this list).
  assert.ok(stats.accessTokens >= 1, `access tokens issued: ${stats.accessTokens}`);
  demo.sim.issuedValues().forEach((v, i) => (secrets[`issued access token or ticket #${i}`] = v));
  const found = [];
  for (const { where, text } of seen) {
    for (const [what, value] of Object.entries(secrets)) {
      if (text.includes(value) || text.includes(encodeURIComponent(value))) found.push(`${what} in ${where}`);
    }
  }
  assert.ok(seen.length > 20, `only ${seen.length} texts were collected`);
  // What the scan covers: the trimmed results themselves.
  assert.ok(seen.some(({ text }) => text.includes("1101**********002X")), "no masked ID number in what was collected");
  assert.deepEqual(found, []);
  // The full name never either (only "张*").
  assert.deepEqual(seen.filter(({ text }) => text.includes(PERSON.name)).map((s) => s.where), []);
});
