// NONCE tickets near a token's retirement (docs/protocol.md#access-token-and-tickets),
// from the packed package in Node 20: a NONCE ticket dies with the access token
// that minted it, and a token replaced by a refresh dies about a minute later.
// So the library never mints a NONCE ticket from a token whose planned refresh
// (or expiry) is less than the ticket's 120 s (and a margin) away: it refreshes
// first, in its one single flight, and mints from the new token. Here the
// H5 flow starts 30 s before the planned refresh, the refresh happens on
// schedule (a query carries it), and the user reaches the login 91 s after the
// start: the login must still accept the NONCE ticket. With a managed client,
// several starts at once, and two "processes" sharing a store.
//
// Time: the library reads its clock from Date.now (the WebAssembly imports it),
// so this file moves Date.now and the simulator's clock (sim.advance) together.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { loadPackage, memoryStore, refreshIssues } from "./lib/tickets-fixtures.mjs";

const { FaceIdClient } = await loadPackage();

const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset;

/** The library's default refresh interval (refreshIntervalMs). */
const REFRESH_MS = 20 * 60_000;
const T = { timeout: 30_000 };
const person = (userId) => ({ userId, name: "张三", idNo: "11010519491231002X", callbackUrl: "https://h5.example.com/back" });

/** A simulator on the real clock; `advance(ms)` moves the library's and the simulator's clocks together. */
async function setup(t, simOptions = {}) {
  const sim = await startSimulator({ now: realNow, ...simOptions });
  offset = 0;
  t.after(async () => {
    offset = 0;
    await sim.stop();
  });
  const advance = (ms) => {
    offset += ms;
    sim.advance(ms);
  };
  const make = (options = {}) => new FaceIdClient({
    appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url, timeoutMs: 5000, ...options,
  });
  return { sim, advance, make };
}

/** The login page's answer: a redirect, or the refusal's reason. */
async function login(sim, url) {
  const page = await sim.passFacePage(url);
  const reason = page.body?.match(/id="reason">([^<]*)</)?.[1];
  return { status: page.status, reason };
}

/** Asserts that every login succeeded (302), naming the refusals. */
function allPassed(pages) {
  const refused = pages.filter((p) => p.status !== 302);
  assert.deepEqual(refused, [], `${refused.length} of ${pages.length} logins refused`);
}

/** The access_token issue times, and the NONCE issues, of the simulator. */
function issues(sim) {
  const all = sim.refreshStats().issues;
  return { tokens: all.filter((i) => i.kind === "access_token").map((i) => i.at), nonces: all.filter((i) => i.kind === "NONCE") };
}

describe("a NONCE ticket is never minted from a token that retires within its 120 s", () => {
  test("a start 30 s before the planned refresh: the login 91 s later, after that refresh, succeeds", T, async (t) => {
    const { sim, advance, make } = await setup(t);
    const c = make();
    assert.equal((await c.faceResult("warm0")).ok, true); // the first token and SIGN ticket
    advance(REFRESH_MS - 30_000); // the token's planned refresh is 30 s away
    const start = await c.startFace({ ...person("nonceuser1"), orderNo: "near001" });
    advance(30_000); // the planned refresh: traffic carries it, as it would
    assert.equal((await c.faceResult("traffic1")).ok, true);
    advance(61_000); // 91 s after the start: a token replaced at the planned refresh has died
    const page = await login(sim, start.url);
    assert.equal(page.status, 302, `the login was refused: ${page.reason}`);
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 2, "one refresh, before the NONCE ticket, and none at the old plan");
    assert.equal(stats.signTickets, 2);
    assert.equal(stats.nonceTickets, 1);
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
    const { tokens, nonces } = issues(sim);
    assert.ok(nonces[0].at >= tokens[1], "the NONCE ticket was minted from the new token");
    assert.equal(c.ticketStatus().refreshes, 2);
  });

  test("several starts at once near the boundary share exactly one refresh; every login succeeds", T, async (t) => {
    // Every refresh answer takes 200 ms, so the starts really wait on it together.
    const { sim, advance, make } = await setup(t, { issueDelayMs: 200 });
    const c = make();
    assert.equal((await c.faceResult("warm0")).ok, true);
    advance(REFRESH_MS - 30_000);
    const n = 8;
    const starts = await Promise.all(Array.from({ length: n }, (_, i) =>
      c.startFace({ ...person(`nonceuser${i}`), orderNo: `many${i}` })));
    advance(30_000);
    assert.equal((await c.faceResult("traffic1")).ok, true);
    advance(61_000);
    allPassed(await Promise.all(starts.map((s) => login(sim, s.url))));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 2, "exactly one refresh for all the starts");
    assert.equal(stats.signTickets, 2);
    assert.equal(stats.nonceTickets, n);
    assert.equal(stats.overlaps, 0, "no two refreshes at once");
    assert.equal(stats.deadUses, 0);
    const { tokens, nonces } = issues(sim);
    assert.ok(nonces.every((x) => x.at >= tokens[1]), "every NONCE ticket from the new token");
    assert.deepEqual(refreshIssues(sim).map((i) => i.kind), ["access_token", "SIGN", "access_token", "SIGN"]);
  });

  test("a start with more than 2 minutes (and the margin) left mints from the current token: no extra refresh", T, async (t) => {
    const { sim, advance, make } = await setup(t);
    const c = make();
    assert.equal((await c.faceResult("warm0")).ok, true);
    advance(REFRESH_MS - 3 * 60_000);
    const start = await c.startFace({ ...person("nonceuser1"), orderNo: "early001" });
    advance(90_000);
    assert.equal((await login(sim, start.url)).status, 302);
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1);
    assert.equal(stats.deadUses, 0);
  });

  test("nonceTicket() follows the same rule", T, async (t) => {
    const { sim, advance, make } = await setup(t);
    const c = make();
    assert.equal((await c.faceResult("warm0")).ok, true);
    advance(REFRESH_MS - 30_000);
    const value = await c.nonceTicket("nonceuser1");
    advance(30_000);
    assert.equal((await c.faceResult("traffic1")).ok, true);
    advance(61_000);
    assert.deepEqual(sim.useNonceTicket(value, "nonceuser1"), { ok: true, reason: null });
    assert.equal(sim.refreshStats().accessTokens, 2);
    assert.equal(sim.refreshStats().deadUses, 0);
  });

  test("when that refresh fails, the token it would have replaced still mints (it was not replaced)", T, async (t) => {
    const { sim, advance, make } = await setup(t);
    let down = false;
    const c = make({
      fetch: (url, init) => (down && String(url).includes("/api/oauth2/access_token")
        ? Promise.resolve(new Response("upstream unavailable (test)", { status: 503 }))
        : fetch(url, init)),
    });
    assert.equal((await c.faceResult("warm0")).ok, true);
    advance(REFRESH_MS - 30_000);
    down = true;
    const value = await c.nonceTicket("nonceuser1");
    const status = c.ticketStatus();
    assert.equal(status.failures, 1, "the refresh was tried first");
    assert.equal(status.lastError.code, "HTTP_STATUS");
    assert.equal(await c.nonceTicket("nonceuser2").then(() => "minted"), "minted", "no new attempt within the backoff");
    assert.equal(c.ticketStatus().failures, 1);
    assert.deepEqual(sim.useNonceTicket(value, "nonceuser1"), { ok: true, reason: null });
    // Once the token's own refresh is due, a failing refresh leaves nothing to mint from.
    advance(30_000);
    await assert.rejects(c.nonceTicket("nonceuser3"), { code: "TICKET_UNAVAILABLE" });
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1);
    assert.equal(stats.deadUses, 0);
  });

  test("two processes sharing a store: one refresh for both, both logins succeed", T, async (t) => {
    const { sim, advance, make } = await setup(t, { issueDelayMs: 200 });
    const store = memoryStore();
    const a = make({ store });
    const b = make({ store });
    assert.equal((await a.faceResult("warmA")).ok, true);
    assert.equal((await b.faceResult("warmB")).ok, true); // b adopts a's token and ticket
    assert.equal(sim.refreshStats().accessTokens, 1);
    advance(REFRESH_MS - 30_000);
    const starts = await Promise.all([
      a.startFace({ ...person("nonceuserA"), orderNo: "storeA" }),
      b.startFace({ ...person("nonceuserB"), orderNo: "storeB" }),
      a.startFace({ ...person("nonceuserC"), orderNo: "storeC" }),
      b.startFace({ ...person("nonceuserD"), orderNo: "storeD" }),
    ]);
    advance(30_000);
    assert.equal((await a.faceResult("trafficA")).ok, true);
    assert.equal((await b.faceResult("trafficB")).ok, true);
    advance(61_000);
    allPassed(await Promise.all(starts.map((s) => login(sim, s.url))));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 2, "one refresh across both processes");
    assert.equal(stats.signTickets, 2);
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
  });
});
