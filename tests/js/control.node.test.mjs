// What a caller controls beyond timeoutMs, from the packed package in Node:
// a per-call `signal` and `deadlineMs` (retries and file polls included),
// a `fetch` option in place of the global one, and `onEvent`, which reports
// every request, retry, poll, refresh, result and failure without a secret.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../sim/index.mjs";
import { installedPackage, resolveExport } from "./lib/package.mjs";

const pkg = installedPackage();
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

/**
 * A `fetch` (the client's option) whose first `times` requests to a URL
 * containing `match` fail with `fail()` (after `delayMs`, or when their
 * signal fires with `whenAborted`); every other one goes to the real fetch.
 * `seen`: every request, `{ url, method }`.
 */
function failing(fail, times = 1, match = "", { delayMs = 0, whenAborted = false } = {}) {
  const seen = [];
  let failed = 0;
  const f = async (url, init) => {
    seen.push({ url, method: init.method });
    if (!url.includes(match) || failed >= times) return fetch(url, init);
    failed++;
    if (whenAborted) {
      await new Promise((resolve) => init.signal.addEventListener("abort", resolve, { once: true }));
    } else if (delayMs) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    throw fail();
  };
  f.seen = seen;
  return f;
}
const { FaceIdClient, FaceIdError } = await import(pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href);

describe("caller control", () => {
  let sim;
  let base;
  before(async () => {
    sim = await startSimulator();
    base = { appId: sim.appId, serverUrl: sim.url, kycUrl: sim.url };
  });
  after(() => sim?.stop());

  test("signal: aborting ends the call at once, during a request or between retries, with ABORTED", async () => {
    const c = new FaceIdClient({ ...base, ticket: sim.ticket, retries: 5, retryDelayMs: 5000, maxRetryDelayMs: 5000 });
    sim.setOrder("ctlSlow1", { fault: { type: "slow", delayMs: 5000 } });
    const a = new AbortController();
    const t0 = Date.now();
    setTimeout(() => a.abort(), 100);
    await assert.rejects(c.faceResult("ctlSlow1", { signal: a.signal }), (e) => e instanceof FaceIdError && e.code === "ABORTED");
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);

    sim.setOrder("ctlBusy1", { fault: { type: "busy", code: "999999", times: 10 } });
    const b = new AbortController();
    const t1 = Date.now();
    setTimeout(() => b.abort(), 300);
    await assert.rejects(c.faceResult("ctlBusy1", { signal: b.signal }), { code: "ABORTED" });
    assert.ok(Date.now() - t1 < 2000, `took ${Date.now() - t1} ms`);
    assert.equal(sim.requests({ orderNo: "ctlBusy1" }).length, 1, "no retry after the abort");

    // Already aborted: nothing is sent.
    await assert.rejects(c.liveResult("ctlNone1", { signal: AbortSignal.abort() }), { code: "ABORTED" });
    assert.equal(sim.requests({ orderNo: "ctlNone1" }).length, 0);
    await assert.rejects(c.faceResult("ctlNone1", { signal: "no" }), { code: "INVALID_OPTION" });
  });

  test("deadlineMs bounds the whole call (retries and polls), per call or for the client; TIMEOUT", async () => {
    sim.setOrder("ctlBusy2", { fault: { type: "busy", code: "999998", times: 10 } });
    const c = new FaceIdClient({ ...base, ticket: sim.ticket, retries: 10, retryDelayMs: 200, maxRetryDelayMs: 200 });
    const t0 = Date.now();
    await assert.rejects(c.faceResult("ctlBusy2", { deadlineMs: 500 }), (e) => {
      assert.equal(e.code, "TIMEOUT");
      assert.match(e.message, /deadlineMs/);
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took >= 450 && took < 1500, `took ${took} ms`);
    const d = new FaceIdClient({ ...base, ticket: sim.ticket, deadlineMs: 300 });
    sim.setOrder("ctlSlow2", { fault: { type: "slow", delayMs: 3000 } });
    await assert.rejects(d.bankCardOcrResult("ctlSlow2"), { code: "TIMEOUT" });
    // The call's own deadline wins over the client's.
    sim.setOrder("ctlSlow3", { fault: { type: "slow", delayMs: 500 } });
    assert.equal((await d.bankCardOcrResult("ctlSlow3", { deadlineMs: 3000 })).ok, true);
    for (const bad of [0, -1, 1.5, "1000", 3_600_001]) {
      await assert.rejects(c.faceResult("ctlX", { deadlineMs: bad }), { code: "INVALID_OPTION" });
      assert.throws(() => new FaceIdClient({ ...base, ticket: sim.ticket, deadlineMs: bad }), { code: "INVALID_OPTION" });
    }
  });

  test("fetch: every request (queries, token and tickets) goes through the caller's fetch", async () => {
    const seen = [];
    const myFetch = async (url, init) => {
      seen.push({ path: new URL(url).pathname, method: init.method, hasSignal: init.signal instanceof AbortSignal });
      return fetch(url, init);
    };
    const c = new FaceIdClient({ ...base, secret: sim.secret, fetch: myFetch });
    const r = await c.faceResult("ctlFetch1");
    assert.equal(r.ok, true);
    assert.deepEqual(seen.map((s) => s.path), ["/api/oauth2/access_token", "/api/oauth2/api_ticket", "/api/server/sync"]);
    assert.ok(seen.every((s) => s.hasSignal));
    // A fetch that throws, rejects or answers nonsense is a NETWORK error, typed.
    for (const bad of [() => { throw new Error("x"); }, async () => { throw new TypeError("y"); }, async () => 42]) {
      const d = new FaceIdClient({ ...base, ticket: sim.ticket, fetch: bad });
      await assert.rejects(d.faceResult("ctlFetch2"), { code: "NETWORK" });
    }
    assert.throws(() => new FaceIdClient({ ...base, ticket: sim.ticket, fetch: "global" }), { code: "INVALID_OPTION" });
  });

  test("a connection closed under a GET before any answer: sent again once, at once, with a new nonce and signature", async () => {
    const closed = (code) => new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code }) });
    for (const code of ["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]) {
      const f = failing(() => closed(code));
      const events = [];
      const c = new FaceIdClient({ ...base, ticket: sim.ticket, fetch: f, onEvent: (e) => events.push(e) });
      const orderNo = `ctlSock${code.replaceAll("_", "")}`;
      const t0 = Date.now();
      assert.equal((await c.faceResult(orderNo)).ok, true, code);
      assert.ok(Date.now() - t0 < 1000, `${code}: took ${Date.now() - t0} ms`);
      assert.equal(f.seen.length, 2, code);
      const [first, second] = f.seen.map((x) => new URL(x.url).searchParams);
      assert.notEqual(first.get("nonce"), second.get("nonce"), `${code}: a new nonce`);
      assert.notEqual(first.get("sign"), second.get("sign"), `${code}: a new signature`);
      assert.deepEqual(events.filter((e) => e.type === "retry"), [{
        type: "retry", endpoint: "faceResult", orderNo, reason: "socket", method: "GET", path: "/api/server/sync",
        error: "NETWORK", attempt: 1, delayMs: 0,
      }]);
      assert.equal(sim.requests({ orderNo }).length, 1, `${code}: the service saw the resend only`);
    }
    // A code on the error itself (a fetch other than Node's) counts as well.
    const own = failing(() => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    assert.equal((await new FaceIdClient({ ...base, ticket: sim.ticket, fetch: own }).liveResult("ctlSockOwn")).ok, true);
    assert.equal(own.seen.length, 2);
    // Not a busy retry: with retries: 0 too, and the busy policy intact after it.
    sim.setOrder("ctlSockBusy", { fault: { type: "busy", code: "999999", times: 1 } });
    const busy = failing(() => closed("UND_ERR_SOCKET"));
    const events = [];
    const b = new FaceIdClient({ ...base, ticket: sim.ticket, fetch: busy, retries: 1, retryDelayMs: 5, maxRetryDelayMs: 5, onEvent: (e) => events.push(e) });
    assert.equal((await b.faceResult("ctlSockBusy")).ok, true);
    assert.deepEqual(events.filter((e) => e.type === "retry").map((e) => [e.reason, e.attempt]), [["socket", 1], ["busy", 1]]);
    const none = failing(() => closed("UND_ERR_SOCKET"));
    assert.equal((await new FaceIdClient({ ...base, ticket: sim.ticket, fetch: none, retries: 0 }).faceResult("ctlSockR0")).ok, true);
    // The token and ticket GETs of a client from its secret: sent again the same way.
    const refresh = failing(() => closed("UND_ERR_SOCKET"), 1, "/api/oauth2/api_ticket");
    const before = sim.refreshStats();
    const r = new FaceIdClient({ ...base, secret: sim.secret, fetch: refresh });
    assert.equal((await r.faceResult("ctlSockTicket")).ok, true);
    assert.deepEqual(refresh.seen.map((x) => new URL(x.url).pathname),
      ["/api/oauth2/access_token", "/api/oauth2/api_ticket", "/api/oauth2/api_ticket", "/api/server/sync"]);
    assert.equal(sim.refreshStats().signTickets, before.signTickets + 1, "one SIGN ticket");
  });

  test("not sent again: a second close, other failures, a POST, an answer that began, a timeout, an abort", async () => {
    const closed = () => new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
    const once = (fetch, extra = {}) => new FaceIdClient({ ...base, ticket: sim.ticket, fetch, ...extra });
    // Closed twice in a row: one resend, then NETWORK, saying so.
    const twice = failing(closed, 2);
    await assert.rejects(once(twice).faceResult("ctlNo1"), (e) => {
      assert.equal(e.code, "NETWORK");
      assert.match(e.message, /UND_ERR_SOCKET.*sent again at once/);
      return true;
    });
    assert.equal(twice.seen.length, 2);
    // Failures that do not say the connection closed under the request.
    for (const fail of [
      () => new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) }),
      () => new TypeError("fetch failed"),
      () => Object.assign(new Error("odd"), { code: 104 }),
    ]) {
      const f = failing(fail);
      await assert.rejects(once(f).faceResult("ctlNo2"), { code: "NETWORK" });
      assert.equal(f.seen.length, 1);
    }
    // The POSTs: never sent twice.
    const post = failing(closed, 2);
    await assert.rejects(once(post).queryFaceRecord("ctlNo3"), (e) => e.code === "NETWORK" && !/sent again/.test(e.message));
    await assert.rejects(once(post).idCardOcr({ orderNo: "ctlNo3", cardType: "portrait", image: JPEG }), { code: "NETWORK" });
    assert.deepEqual(post.seen.map((x) => x.method), ["POST", "POST"]);
    // An answer began (status and headers), then its body broke off with ECONNRESET.
    let began = 0;
    const broken = async () => {
      began++;
      return new Response(new ReadableStream({
        start(ctl) {
          ctl.enqueue(new TextEncoder().encode('{"code":"0",'));
          ctl.error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
        },
      }), { status: 200 });
    };
    await assert.rejects(once(broken).faceResult("ctlNo4"), { code: "NETWORK" });
    assert.equal(began, 1);
    // timeoutMs ran out; the fetch then rejects as a closed connection would.
    const late = failing(closed, 1, "", { whenAborted: true });
    await assert.rejects(once(late, { timeoutMs: 100 }).faceResult("ctlNo5"), { code: "TIMEOUT" });
    assert.equal(late.seen.length, 1);
    // The call's deadline passed while the request was out.
    const slow = failing(closed, 1, "", { delayMs: 300 });
    await assert.rejects(once(slow).faceResult("ctlNo6", { deadlineMs: 100 }), { code: "TIMEOUT" });
    assert.equal(slow.seen.length, 1);
    // The caller aborted while the request was out.
    const a = new AbortController();
    const aborting = failing(() => {
      a.abort();
      return closed();
    });
    await assert.rejects(once(aborting).faceResult("ctlNo7", { signal: a.signal }), { code: "ABORTED" });
    assert.equal(aborting.seen.length, 1);
    assert.equal(sim.requests({ orderNo: "ctlNo1" }).length + sim.requests({ orderNo: "ctlNo7" }).length, 0);
  });

  test("onEvent: requests, retries, polls, refreshes, results and failures, with timings; never a secret", async () => {
    const events = [];
    const c = new FaceIdClient({
      ...base, secret: sim.secret, retryDelayMs: 10, maxRetryDelayMs: 10, filePollIntervalMs: 10,
      onEvent: (e) => events.push(e),
    });
    sim.setOrder("ctlEv1", { fault: { type: "busy", code: "999997", times: 1 } });
    assert.equal((await c.faceResult("ctlEv1")).ok, true);
    const types = events.map((e) => e.type);
    assert.deepEqual(types, ["request", "request", "refresh", "request", "retry", "request", "result"]);
    const refresh = events.find((e) => e.type === "refresh");
    assert.equal(refresh.ok, true);
    assert.equal(refresh.source, "secret");
    const retry = events.find((e) => e.type === "retry");
    assert.deepEqual({ ...retry, delayMs: undefined }, {
      type: "retry", endpoint: "faceResult", orderNo: "ctlEv1", reason: "busy", code: "999997", attempt: 1, delayMs: undefined,
    });
    const result = events.at(-1);
    assert.equal(result.code, "0");
    assert.ok(result.durationMs >= 0);
    for (const e of events.filter((x) => x.type === "request")) {
      assert.equal(typeof e.durationMs, "number");
      assert.equal(e.status, 200);
      assert.ok(!e.path.includes("?"));
    }
    // A file poll, then a failure.
    sim.setOrder("ctlEv2", { filesLagPolls: 1 });
    events.length = 0;
    await c.faceResult("ctlEv2", { getFile: "photo" });
    const poll = events.find((e) => e.type === "poll");
    assert.deepEqual([poll.endpoint, poll.orderNo, poll.attempt, poll.delayMs], ["faceResult", "ctlEv2", 1, 10]);
    sim.setOrder("ctlEv3", { fault: { type: "status", status: 503, times: 1 } });
    await assert.rejects(c.faceResult("ctlEv3"), { code: "HTTP_STATUS" });
    const failure = events.at(-1);
    assert.deepEqual([failure.type, failure.error, failure.orderNo], ["failure", "HTTP_STATUS", "ctlEv3"]);
    assert.equal(events.find((e) => e.type === "request" && e.error === "HTTP_STATUS").status, 503);
    // A hook that throws changes nothing.
    const d = new FaceIdClient({ ...base, ticket: sim.ticket, onEvent: () => { throw new Error("hook"); } });
    assert.equal((await d.faceResult("ctlEv4")).ok, true);
    const text = JSON.stringify(events);
    for (const secret of [sim.secret, sim.ticket, ...sim.issuedValues()]) assert.ok(!text.includes(secret));
  });
});
