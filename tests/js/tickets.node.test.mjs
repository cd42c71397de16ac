// Ticket management (docs/protocol.md#access-token-and-tickets) of the packed faceid-edge package in one Node 20
// process: a FaceIdClient made from appId + secret fetches the access token
// and the SIGN ticket itself, caches them, refreshes them once per window in
// a single flight, keeps serving the valid ticket when a refresh fails,
// renews once on a ticket error code, mints NONCE tickets, and never shows a
// secret, token or ticket. Every test runs its own simulator behind a
// recording proxy (lib/tickets-fixtures.mjs) that knows every credential
// value that went by, for the leak checks.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import util from "node:util";
import { startSimulator } from "../sim/index.mjs";
import { SMALL_JPEG } from "./lib/client-fixtures.mjs";
import {
  alternating, errorText, leaksIn, loadPackage, memoryStore, refreshIssues, startProxy, TICKET_PATH, TOKEN_PATH,
} from "./lib/tickets-fixtures.mjs";

const { FaceIdClient, FaceIdError } = await loadPackage();

const QUERY_PATHS = {
  faceResult: "/api/server/sync",
  liveResult: "/api/server/getLiveResult",
  idCardOcrResult: "/api/server/getOcrResult",
  bankCardOcrResult: "/api/server/getBankCardOcrResult",
  queryFaceRecord: "/api/v2/base/queryfacerecord",
  idCardOcr: "/api/paas/idcardocrapp",
};

// Everything that must never show a credential: every error, every client,
// every console line (the package must not log them either).
const caught = [];
const clients = [];
const proxies = [];
const extraSecrets = [];
const logged = [];
for (const m of ["log", "info", "warn", "error", "debug", "trace"]) {
  const original = console[m].bind(console);
  console[m] = (...args) => {
    logged.push(util.format(...args));
    original(...args);
  };
}
const figures = [];

/** A simulator behind a recording proxy, stopped after the test; `make` builds clients on it. */
async function setup(t, simOptions = {}) {
  const sim = await startSimulator(simOptions);
  const proxy = await startProxy(sim.url);
  proxies.push(proxy);
  t.after(async () => {
    await proxy.close();
    await sim.stop();
  });
  const make = (options = {}) => {
    const c = new FaceIdClient({
      appId: sim.appId, secret: sim.secret, serverUrl: proxy.url, kycUrl: proxy.url, timeoutMs: 5000,
      retryDelayMs: 1, maxRetryDelayMs: 4, filePollIntervalMs: 5, ...options,
    });
    clients.push(c);
    return c;
  };
  const oauthLog = () => sim.requests().filter((e) => e.path.startsWith("/api/oauth2/"));
  return { sim, proxy, make, oauthLog };
}

/** Expects a FaceIdError with `code` from `p`; keeps it for the leak check. */
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
  assert.equal(error.code, code, `${error.code}: ${error.message}`);
  return error;
}

/** Every query kind once, each checked to be a success. */
async function everyKind(c, tag) {
  const out = {};
  for (const kind of ["faceResult", "liveResult", "idCardOcrResult", "bankCardOcrResult", "queryFaceRecord"]) {
    out[kind] = await c[kind](`${tag}${kind.slice(0, 6)}`);
  }
  out.idCardOcr = await c.idCardOcr({ orderNo: `${tag}ocr`, cardType: "portrait", image: SMALL_JPEG() });
  for (const [kind, r] of Object.entries(out)) assert.equal(r.ok, true, `${kind}: ${r.code} ${r.msg}`);
  return out;
}

/** Runs `fn` in `workers` loops until `ms` have passed; returns every result. */
async function load(ms, workers, fn) {
  const end = Date.now() + ms;
  const results = [];
  let i = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < end) results.push(await fn(++i));
  }));
  return results;
}

const T = { timeout: 30_000 };

describe("a client from appId + secret", () => {
  test("works for every query kind, signedRequest included, after one token and one SIGN ticket", T, async (t) => {
    const { sim, proxy, make, oauthLog } = await setup(t);
    const c = make();
    assert.deepEqual(JSON.parse(JSON.stringify(c)).ticketSource, "secret");
    const before = c.ticketStatus();
    assert.equal(before.source, "secret");
    assert.equal(before.hasTicket, false);
    assert.equal(before.refreshes, 0);
    assert.equal(oauthLog().length, 0, "nothing fetched before the first call");

    const t0 = Date.now();
    await everyKind(c, "kinds");
    const signed = await c.signedRequest("faceResult", "kindsSigned");
    const answer = await (await fetch(signed.url, { method: signed.method, headers: signed.headers })).json();
    assert.equal(answer.code, "0", answer.msg);

    const paths = sim.requests().map((e) => e.path);
    assert.deepEqual(paths.slice(0, 2), [TOKEN_PATH, TICKET_PATH], "token first, then the SIGN ticket, then queries");
    for (const p of Object.values(QUERY_PATHS)) assert.ok(paths.includes(p), `no ${p}`);
    assert.ok(sim.requests().filter((e) => !e.path.startsWith("/api/oauth2/")).every((e) => e.verdict === "ok"));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1);
    assert.equal(stats.signTickets, 1);
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
    assert.equal(proxy.seen.signTickets.size, 1);
    assert.equal(sim.ticket, [...proxy.seen.signTickets][0], "signed with the ticket it fetched");

    const s = c.ticketStatus();
    // One shape whatever the source.
    assert.deepEqual(Object.keys(s).sort(), ["abandonedRefreshes", "cachedAgeMs", "failures", "hasTicket", "lastError", "lastRefreshAt", "nextRefreshInMs", "refreshes", "refreshing", "retryInMs", "source", "storeError", "storeReadAgeMs", "ticketAgeMs", "ticketExpiresInMs", "tokenAgeMs", "tokenExpiresInMs"]);
    assert.equal(s.hasTicket, true);
    assert.equal(s.refreshes, 1);
    assert.equal(s.failures, 0);
    assert.equal(s.lastError, null);
    assert.equal(s.refreshing, false);
    const elapsed = Date.now() - t0 + 50;
    assert.ok(s.ticketExpiresInMs <= 3_600_000 && s.ticketExpiresInMs > 3_600_000 - elapsed, `ticketExpiresInMs ${s.ticketExpiresInMs}`);
    assert.ok(s.tokenExpiresInMs <= 7_200_000 && s.tokenExpiresInMs > 7_200_000 - elapsed, `tokenExpiresInMs ${s.tokenExpiresInMs}`);
    assert.ok(s.nextRefreshInMs <= 1_200_000 && s.nextRefreshInMs > 1_200_000 - elapsed, `nextRefreshInMs ${s.nextRefreshInMs} (20 min)`);
    assert.ok(s.ticketAgeMs >= 0 && s.ticketAgeMs < elapsed);
    assert.ok(Math.abs(s.lastRefreshAt - Date.now()) < elapsed, `lastRefreshAt ${s.lastRefreshAt}`);
  });

  test("bad options: refreshIntervalMs below 1000, a store without its methods, two ticket sources, a bad secret", async () => {
    const base = { appId: "IDAsim001", secret: "SimSecretOpt", serverUrl: "http://127.0.0.1:9", kycUrl: "http://127.0.0.1:9" };
    await rejects(() => new FaceIdClient({ ...base, refreshIntervalMs: 999 }), "INVALID_OPTION");
    await rejects(() => new FaceIdClient({ ...base, store: { get() {}, set() {} } }), "INVALID_OPTION");
    await rejects(() => new FaceIdClient({ ...base, ticket: "T".repeat(32) }), "INVALID_OPTION");
    const { secret, ...noSecret } = base;
    await rejects(() => new FaceIdClient({ ...noSecret, ticket: "T".repeat(32), store: memoryStore() }), "INVALID_OPTION");
    const spaced = "Secret with space x9";
    extraSecrets.push(spaced, secret);
    const e = await rejects(() => new FaceIdClient({ ...base, secret: spaced }), "INVALID_OPTION");
    assert.deepEqual(leaksIn(errorText(e), [spaced]), []);
    assert.ok(new FaceIdClient({ ...base, refreshIntervalMs: 1000 }));
  });
});

describe("single flight", () => {
  for (const n of [1, 10, 100]) {
    test(`${n} concurrent caller(s) on a cold client: exactly one access_token and one SIGN ticket request`, T, async (t) => {
      // Each OAuth answer takes 150 ms, so concurrent refreshes would overlap in time.
      const { sim, proxy, make } = await setup(t, { issueDelayMs: 150 });
      const c = make();
      const t0 = Date.now();
      const first = await Promise.all(Array.from({ length: n }, (_, i) => c.faceResult(`cold${n}x${i}`)));
      const coldMs = Date.now() - t0;
      const second = await Promise.all(Array.from({ length: n }, (_, i) => c.liveResult(`warm${n}x${i}`)));
      for (const r of [...first, ...second]) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
      const stats = sim.refreshStats();
      assert.equal(stats.accessTokens, 1, "access_token requests");
      assert.equal(stats.signTickets, 1, "SIGN api_ticket requests");
      assert.equal(stats.overlaps, 0);
      assert.equal(stats.deadUses, 0);
      assert.equal(proxy.oauth.token, 1);
      assert.equal(proxy.oauth.sign, 1);
      assert.equal(proxy.maxConcurrentOauth, 1);
      assert.equal(c.ticketStatus().refreshes, 1);
      figures.push({ concurrency: n, queries: 2 * n, accessTokenRequests: stats.accessTokens, signTicketRequests: stats.signTickets, overlaps: stats.overlaps, coldMs });
      t.diagnostic(`N=${n}: ${2 * n} queries → ${stats.accessTokens} access_token, ${stats.signTickets} SIGN; cold wave ${coldMs} ms`);
    });
  }

  test("the first calls of every kind at once (queries, signedRequest, nonceTicket) share the one refresh", T, async (t) => {
    const { sim, proxy, make } = await setup(t, { issueDelayMs: 150 });
    const c = make();
    const calls = [
      ...["faceResult", "liveResult", "idCardOcrResult", "bankCardOcrResult", "queryFaceRecord"].map((k) => c[k](`mix${k.slice(0, 8)}`)),
      c.idCardOcr({ orderNo: "mixocr", cardType: "emblem", image: SMALL_JPEG() }),
      c.signedRequest("faceResult", "mixsigned"),
      c.nonceTicket("usermix1"),
      c.nonceTicket("usermix2"),
    ];
    const results = await Promise.all(calls);
    for (const r of results.slice(0, 6)) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1);
    assert.equal(stats.signTickets, 1);
    assert.equal(stats.nonceTickets, 2);
    assert.equal(stats.overlaps, 0);
    assert.equal(proxy.maxConcurrentOauth <= 3, true, "at most the refresh and the two NONCE requests at once");
  });

  test("two clients sharing a store in one process: one refresh between them", T, async (t) => {
    const { sim, make } = await setup(t, { issueDelayMs: 100 });
    const store = memoryStore();
    const a = make({ store });
    const b = make({ store });
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).faceResult(`shared${i}`)));
    for (const r of rs) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    assert.equal(sim.refreshStats().accessTokens, 1);
    assert.equal(sim.refreshStats().signTickets, 1);
    assert.equal(sim.refreshStats().overlaps, 0);
    assert.equal(a.ticketStatus().source, "secret+store");
    assert.deepEqual([...store.keys()].sort(), [`faceid-edge:${sim.appId}:tickets`]);
    assert.equal(store.locksTaken, 1, "the lock taken once");
    assert.equal(store.locksHeld(), 0, "and released");
  });
});

describe("refresh schedule", () => {
  test("under continuous load with refreshIntervalMs 1000: one refresh per window, never two at once", T, async (t) => {
    const { sim, proxy, make } = await setup(t, { issueDelayMs: 100 });
    const c = make({ refreshIntervalMs: 1000 });
    assert.equal((await c.faceResult("load0")).ok, true);
    const statuses = [];
    const sampler = setInterval(() => statuses.push(c.ticketStatus()), 50);
    const t0 = Date.now();
    const DURATION = 4600;
    const results = await load(DURATION, 20, (i) => c.faceResult(`load${i}`));
    clearInterval(sampler);
    const elapsed = Date.now() - t0;
    for (const r of results) assert.equal(r.ok, true, `${r.code} ${r.msg}`);

    const stats = sim.refreshStats();
    assert.equal(stats.overlaps, 0, "no refresh overlapped another or came within 1 s of the previous");
    assert.equal(stats.deadUses, 0, "no query was signed with a dead ticket");
    assert.equal(proxy.maxConcurrentOauth, 1, "never two OAuth requests at once");
    const tokenTimes = alternating(refreshIssues(sim));
    const gaps = tokenTimes.slice(1).map((at, i) => at - tokenTimes[i]);
    // Due 1000 ms after the ticket arrived; a refresh takes two 100 ms answers.
    // A skipped window would be a gap of 2200 ms or more; below that, the
    // slack is the event loop's under 20 concurrent queries on a busy machine.
    const SKIPPED = 1000 + 200 + 1000;
    for (const g of gaps) assert.ok(g >= 1000 && g < SKIPPED, `gap between refreshes ${g} ms (${gaps})`);
    const windows = tokenTimes.length;
    assert.ok(windows >= 3 && windows <= Math.ceil(elapsed / 1000) + 1, `${windows} refreshes in ${elapsed} ms`);
    assert.ok(Date.now() - tokenTimes.at(-1) < SKIPPED, "and on to the end of the load");
    assert.equal(c.ticketStatus().refreshes, windows);
    assert.equal(stats.signTickets, windows);
    // The queries kept going while refreshing: the still-valid ticket was served.
    assert.ok(statuses.some((s) => s.refreshing), "a refresh was seen running");
    assert.ok(statuses.every((s) => s.hasTicket && s.failures === 0));
    assert.ok(results.length > 200, `${results.length} queries`);
    figures.push({ continuousLoad: { ms: elapsed, queries: results.length, refreshes: windows, gapsMs: gaps } });
    t.diagnostic(`${results.length} queries in ${elapsed} ms, ${windows} refreshes, gaps ${gaps.join("/")} ms`);
  });

  test("a failed refresh keeps serving the still-valid ticket, backs off, shows it in ticketStatus, then recovers", T, async (t) => {
    const { sim, proxy, make } = await setup(t);
    const c = make({ refreshIntervalMs: 1000 });
    assert.equal((await c.faceResult("fail0")).ok, true);
    const oldTicket = sim.ticket;
    proxy.failOauth = 503; // the service's OAuth is down, the old ticket stays valid
    await sleep(1050); // due now

    const during = await load(2200, 5, async (i) => {
      await sleep(5);
      return c.faceResult(`fail${i}`);
    });
    for (const r of during) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    while (c.ticketStatus().refreshing) await sleep(10); // the last attempt has failed too
    assert.equal(sim.ticket, oldTicket, "no refresh reached the simulator");
    assert.equal(sim.refreshStats().accessTokens, 1);
    const s = c.ticketStatus();
    assert.equal(s.hasTicket, true);
    assert.equal(s.refreshes, 1);
    assert.ok(s.failures >= 1, `failures ${s.failures}`);
    assert.equal(s.lastError?.code, "HTTP_STATUS", JSON.stringify(s.lastError));
    assert.match(s.lastError.message, /503/);
    assert.match(s.lastError.message, /access_token/);
    assert.ok(Date.now() - s.lastError.at < 4000);
    // Backoff (1 s doubling, with jitter), not an attempt per query.
    assert.ok(proxy.oauth.failed >= 1 && proxy.oauth.failed <= 4, `${proxy.oauth.failed} failed attempts for ${during.length} queries`);
    assert.equal(s.failures, proxy.oauth.failed);

    proxy.failOauth = 0;
    const deadline = Date.now() + 8000;
    while (c.ticketStatus().refreshes < 2 && Date.now() < deadline) {
      assert.equal((await c.faceResult(`recover${Date.now()}`)).ok, true);
      await sleep(50);
    }
    const after = c.ticketStatus();
    assert.equal(after.refreshes, 2, "recovered after the backoff");
    assert.equal(after.failures, 0);
    assert.equal(after.lastError, null);
    assert.notEqual(sim.ticket, oldTicket);
    assert.equal(sim.refreshStats().overlaps, 0);
    assert.equal(sim.refreshStats().deadUses, 0);
  });

  test("TICKET_UNAVAILABLE when no valid ticket can be had (wrong secret): one attempt per backoff, no query sent, no secret in the message", T, async (t) => {
    const { sim, proxy, make } = await setup(t);
    const wrong = `WrongSecret${randomBytes(12).toString("hex")}`;
    extraSecrets.push(wrong);
    const c = make({ secret: wrong });
    const errors = await Promise.all(Array.from({ length: 10 }, (_, i) => rejects(c.faceResult(`nope${i}`), "TICKET_UNAVAILABLE")));
    assert.equal(proxy.oauth.token, 1, "the ten callers shared one attempt");
    assert.equal(proxy.oauth.sign, 0);
    await rejects(c.liveResult("nope10"), "TICKET_UNAVAILABLE");
    assert.equal(proxy.oauth.token, 1, "no new attempt during the backoff");
    for (const e of errors) {
      assert.match(e.message, /400104/, e.message);
      assert.deepEqual(leaksIn(errorText(e), [wrong, sim.secret]), []);
    }
    const queries = sim.requests().filter((e) => !e.path.startsWith("/api/oauth2/"));
    assert.deepEqual(queries, [], "no query was sent without a ticket");
    const s = c.ticketStatus();
    assert.equal(s.hasTicket, false);
    assert.equal(s.failures, 1);
    assert.equal(s.lastError.code, "TICKET_UNAVAILABLE");
    assert.deepEqual(leaksIn(JSON.stringify(s), [wrong, sim.secret]), []);
    await sleep(1100); // the first backoff is 0.5–1 s
    await rejects(c.faceResult("nope11"), "TICKET_UNAVAILABLE");
    assert.equal(proxy.oauth.token, 2, "tried again after the backoff");
    assert.equal(c.ticketStatus().failures, 2);
    await rejects(c.nonceTicket("user1"), "TICKET_UNAVAILABLE");
  });

  test("nonceTicket on a client whose refresh fails respects the backoff too",
    T,
    async (t) => {
      const { proxy, make } = await setup(t);
      const wrong = `WrongSecret${randomBytes(12).toString("hex")}`;
      extraSecrets.push(wrong);
      const c = make({ secret: wrong });
      await rejects(c.faceResult("nope20"), "TICKET_UNAVAILABLE");
      for (let i = 0; i < 5; i++) await rejects(c.nonceTicket("user1"), "TICKET_UNAVAILABLE");
      assert.equal(proxy.oauth.token, 1, "five nonceTicket calls within the first backoff made no new attempt");
    });

  test("TICKET_UNAVAILABLE when the OAuth endpoints are down from the start", T, async (t) => {
    const { proxy, make } = await setup(t);
    proxy.failOauth = 502;
    const c = make();
    const e = await rejects(c.faceResult("down1"), "TICKET_UNAVAILABLE");
    assert.match(e.message, /502/);
    assert.equal(c.ticketStatus().lastError.code, "HTTP_STATUS");
  });
});

describe("ticketErrorCodes", () => {
  /** Kills `c`'s token and ticket in the simulator: another owner refreshes, 61 s pass. */
  async function killTicketOf(sim, make) {
    sim.advance(1500); // not an overlap with the previous refresh
    const rogue = make();
    assert.equal((await rogue.faceResult(`rogue${Date.now()}`)).ok, true);
    sim.advance(61_000); // the replaced token (and the ticket minted from it) is dead now
  }

  test("a refused ticket (400104): the client refreshes once, retries once, succeeds", T, async (t) => {
    const { sim, make } = await setup(t);
    const c = make({ ticketErrorCodes: ["400104"] });
    assert.equal((await c.faceResult("renew0")).ok, true);
    await killTicketOf(sim, make);
    const before = sim.refreshStats();
    const r = await c.faceResult("renew1");
    assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    assert.deepEqual(sim.requests({ orderNo: "renew1" }).map((e) => e.verdict), ["400104", "ok"]);
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens - before.accessTokens, 1);
    assert.equal(stats.signTickets - before.signTickets, 1);
    assert.equal(stats.overlaps, 0);
    assert.equal(c.ticketStatus().refreshes, 2);
    assert.equal((await c.faceResult("renew2")).ok, true, "and keeps the new ticket");
    assert.equal(sim.refreshStats().accessTokens, stats.accessTokens);
  });

  test("30 concurrent queries refused at once: one renewal between them", T, async (t) => {
    const { sim, make } = await setup(t);
    const c = make({ ticketErrorCodes: ["400104"] });
    assert.equal((await c.faceResult("burst0")).ok, true);
    await killTicketOf(sim, make);
    const before = sim.refreshStats();
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => c.faceResult(`burst${i + 1}`)));
    for (const r of rs) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens - before.accessTokens, 1);
    assert.equal(stats.signTickets - before.signTickets, 1);
    assert.equal(stats.overlaps, 0);
  });

  test("when renewing does not help, the code comes back after exactly one retry (no loop)", T, async (t) => {
    const { sim, make } = await setup(t);
    const c = make({ ticketErrorCodes: ["400104"] });
    assert.equal((await c.faceResult("stuck0")).ok, true);
    sim.advance(1500); // the renewal is no overlap with the first fetch
    sim.setOrder("stuck1", { code: "400104" });
    const r = await c.faceResult("stuck1");
    assert.equal(r.ok, false);
    assert.equal(r.code, "400104");
    assert.equal(sim.requests({ orderNo: "stuck1" }).length, 2, "the query and one retry");
    assert.equal(sim.refreshStats().accessTokens, 2, "the first fetch and one renewal");
    sim.advance(1500);
    const again = await c.faceResult("stuck1");
    assert.equal(again.code, "400104");
    assert.equal(sim.requests({ orderNo: "stuck1" }).length, 4, "again one retry per call");
    assert.equal(sim.refreshStats().accessTokens, 3);
    assert.equal(sim.refreshStats().overlaps, 0);
  });

  test("without ticketErrorCodes a refused ticket is answered as is, no refresh", T, async (t) => {
    const { sim, make } = await setup(t);
    const c = make();
    assert.equal((await c.faceResult("plain0")).ok, true);
    await killTicketOf(sim, make);
    const before = sim.refreshStats().accessTokens;
    const r = await c.faceResult("plain1");
    assert.equal(r.code, "400104");
    assert.equal(sim.requests({ orderNo: "plain1" }).length, 1);
    assert.equal(sim.refreshStats().accessTokens, before);
  });

  test("answers to the dead ticket that arrive after the renewal do not renew again",
    T,
    async (t) => {
      const { sim, proxy, make } = await setup(t);
      const c = make({ ticketErrorCodes: ["400104"] });
      assert.equal((await c.faceResult("late0")).ok, true);
      await killTicketOf(sim, make);
      // Two queries signed with the dead ticket whose answers come 300 ms late.
      proxy.holdBack((url) => (/order_no=late[12]\b/.test(url) ? 300 : 0));
      const before = sim.refreshStats().accessTokens;
      const rs = await Promise.all([c.faceResult("fast1"), c.faceResult("late1"), c.faceResult("late2")]);
      for (const r of rs) assert.equal(r.ok, true);
      assert.equal(sim.refreshStats().accessTokens - before, 1, "one renewal for one dead ticket");
    });
});

describe("NONCE tickets", () => {
  test("fresh per call, never cached, single use, from the cached token", T, async (t) => {
    const { sim, proxy, make } = await setup(t);
    const c = make();
    assert.equal((await c.faceResult("nonce0")).ok, true);
    const n1 = await c.nonceTicket("user1");
    const n2 = await c.nonceTicket("user1");
    const n3 = await c.nonceTicket("u".repeat(30));
    const n4 = await c.nonceTicket("Az09");
    assert.equal(new Set([n1, n2, n3, n4]).size, 4, "a new value every call");
    for (const n of [n1, n2, n3, n4]) assert.match(n, /^[\x21-\x7e]+$/);
    assert.equal(proxy.oauth.nonce, 4);
    assert.equal(proxy.oauth.token, 1, "no new token for NONCE tickets");
    assert.equal(proxy.oauth.sign, 1, "and no SIGN refresh");
    const nonceReqs = sim.requests({ path: TICKET_PATH }).filter((e) => e.query.type === "NONCE");
    assert.deepEqual(nonceReqs.map((e) => e.query.user_id), ["user1", "user1", "u".repeat(30), "Az09"]);

    assert.deepEqual(sim.useNonceTicket(n1, "user1"), { ok: true, reason: null });
    assert.equal(sim.useNonceTicket(n1, "user1").reason, "used", "single use");
    assert.equal(sim.useNonceTicket(n2, "someoneelse").reason, "wrong user");
    assert.deepEqual(sim.useNonceTicket(n2, "user1"), { ok: true, reason: null });
    assert.equal(sim.useNonceTicket(n3, "u".repeat(30)).ok, true);
    const stats = sim.refreshStats();
    assert.equal(stats.nonceTickets, 4);
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
  });

  test("on a cold client: ten at once share one token fetch, each its own NONCE ticket", T, async (t) => {
    const { sim, proxy, make } = await setup(t, { issueDelayMs: 100 });
    const c = make();
    const values = await Promise.all(Array.from({ length: 10 }, (_, i) => c.nonceTicket(`user${i}`)));
    assert.equal(new Set(values).size, 10);
    assert.equal(proxy.oauth.token, 1);
    assert.equal(proxy.oauth.nonce, 10);
    assert.equal(sim.refreshStats().overlaps, 0);
    values.forEach((v, i) => assert.equal(sim.useNonceTicket(v, `user${i}`).ok, true));
  });

  test("INVALID_USER_ID before anything is sent; INVALID_OPTION without a secret", T, async (t) => {
    const { sim, make } = await setup(t);
    const c = make();
    for (const bad of ["", "u".repeat(31), "has space", "a.b", "中文", "user\n", 42, null, undefined]) {
      await rejects(c.nonceTicket(bad), "INVALID_USER_ID");
    }
    assert.deepEqual(sim.requests(), [], "nothing was sent");
    const fixed = new FaceIdClient({ appId: sim.appId, ticket: sim.ticket, serverUrl: sim.url, kycUrl: sim.url });
    clients.push(fixed);
    await rejects(fixed.nonceTicket("user1"), "INVALID_OPTION");
  });
});

describe("under faults: peers, slow and failing stores", () => {
  const LONG = { timeout: 60_000 };
  const allOk = (results, what) => {
    const bad = results.filter((r) => !r || r.ok !== true);
    assert.equal(bad.length, 0, `${what}: ${bad.length} of ${results.length} not ok: ${JSON.stringify(bad.slice(0, 2))}`);
  };

  test("an idle peer re-reads the store before signing with a due ticket: zero dead-ticket uses", LONG, async (t) => {
    // Replaced tickets die 3 s after replacement; the busy peer refreshes every
    // 1.5 s; the idle one wakes up every 5 s, long after its ticket died.
    const { sim, make } = await setup(t, { graceMs: 3000, overlapWindowMs: 500 });
    const store = memoryStore();
    const busy = make({ store, refreshIntervalMs: 1500 });
    const idle = make({ store, refreshIntervalMs: 1500 });
    assert.equal((await idle.faceResult("idle0")).ok, true);
    const idleRuns = [];
    const [busyRuns] = await Promise.all([
      load(11_000, 2, (i) => busy.faceResult(`busy${i}`)),
      (async () => {
        for (let k = 1; k <= 2; k++) {
          await sleep(5000);
          idleRuns.push(await idle.faceResult(`idle${k}`));
        }
      })(),
    ]);
    allOk(busyRuns, "busy peer");
    allOk(idleRuns, "idle peer");
    const stats = sim.refreshStats();
    assert.equal(stats.deadUses, 0, "no call signed with a dead ticket");
    assert.equal(stats.overlaps, 0);
    assert.ok(stats.accessTokens >= 5, `the busy peer rotated the ticket ${stats.accessTokens} times`);
    assert.ok(idle.ticketStatus().storeReadAgeMs < 30_000);
    t.diagnostic(`${busyRuns.length + idleRuns.length} queries, ${stats.accessTokens} rotations, 0 dead uses`);
  });

  test("a store reply held up inside the lock: the holder gives up at timeoutMs, no overlapping refresh, no dead ticket", LONG, async (t) => {
    const { sim, make } = await setup(t, { graceMs: 2000, overlapWindowMs: 5000 });
    const store = memoryStore();
    // Client a's second get (its read inside the lock) answers 4 s late with
    // the value it read before the delay, as a reply held up on the network.
    let gets = 0;
    const late = {
      ...store,
      async get(key) {
        const value = await store.get(key);
        if (++gets === 2) await sleep(4000);
        return value;
      },
    };
    const a = make({ store: late, timeoutMs: 1000 });
    const b = make({ store, timeoutMs: 1000 });
    const first = a.faceResult("lateA0").then((r) => r, (e) => e);
    await sleep(3500);
    allOk([await b.faceResult("lateB0")], "the peer, once the slow holder is gone");
    const slow = await first;
    if (slow instanceof Error) {
      caught.push(slow);
      assert.ok(["TICKET_UNAVAILABLE", "TIMEOUT"].includes(slow.code), `${slow.code}: ${slow.message}`);
      assert.match(slow.message, /store\.get did not answer within 1000 ms/);
    }
    await sleep(3000); // past the grace of anything replaced meanwhile
    allOk(await Promise.all([a.faceResult("lateA1"), b.faceResult("lateB1"), a.faceResult("lateA2")]), "afterwards");
    const stats = sim.refreshStats();
    assert.equal(stats.overlaps, 0, "no two refreshes within 5 s");
    assert.equal(stats.deadUses, 0);
    assert.equal(stats.accessTokens, 1, "one refresh in all");
    assert.equal(store.locksHeld(), 0);
  });

  test("a store that refuses writes: the minted ticket is used, the failure shows, one token per refresh window", LONG, async (t) => {
    const { sim, make } = await setup(t);
    const store = memoryStore();
    const refuse = async () => {
      throw Object.assign(new Error("READONLY You can't write against a read only replica."), { name: "ReplyError" });
    };
    const readOnly = { ...store, set: refuse, compareAndSet: refuse };
    const c = make({ store: readOnly, refreshIntervalMs: 1000 });
    const t0 = Date.now();
    const results = await load(4500, 2, (i) => c.faceResult(`ro${i}`));
    const windows = Math.ceil((Date.now() - t0) / 1000) + 1;
    allOk(results, "queries with a read-only store");
    const status = c.ticketStatus();
    assert.equal(status.hasTicket, true);
    assert.equal(status.storeError?.code, "TICKET_UNAVAILABLE");
    assert.match(status.storeError.message, /store\.compareAndSet rejected with ReplyError/);
    const stats = sim.refreshStats();
    assert.ok(stats.accessTokens <= windows, `${stats.accessTokens} token requests in ${windows} refresh windows`);
    assert.equal(stats.deadUses, 0);
    assert.equal(stats.overlaps, 0);
    assert.equal(store.keys().length, 0, "nothing was written");
  });

  test("the store's lock and the store's calls: a lock is released only by its holder; a store that never answers costs timeoutMs", LONG, async (t) => {
    const { make } = await setup(t);
    const store = memoryStore();
    const a = await store.lock("k", 10_000);
    assert.ok(a);
    assert.equal(await store.lock("k", 10_000), null);
    await store.unlock("k", "someone else's");
    assert.equal(store.locksHeld(), 1, "not released by another holder");
    await store.unlock("k", a);
    assert.equal(store.locksHeld(), 0);
    const hung = { ...store, get: () => new Promise(() => {}) };
    const c = make({ store: hung, timeoutMs: 300 });
    const t0 = Date.now();
    const e = await rejects(c.faceResult("hung0"), "TICKET_UNAVAILABLE");
    assert.match(e.message, /store\.get did not answer within 300 ms/);
    assert.ok(Date.now() - t0 < 5000, "bounded");
  });
});

describe("the TicketOwner class with a stand-in for its Durable Object context", () => {
  /** A Durable Object state: storage (shared across restarts when given), alarm, waitUntil. */
  function doContext(name, storage = new Map()) {
    const ctx = {
      id: { name, toString: () => `id-${name}` },
      waited: [],
      alarmAt: null,
      storage: {
        data: storage,
        async get(key) {
          return storage.get(key);
        },
        async put(key, value) {
          storage.set(key, value);
        },
        async setAlarm(at) {
          ctx.alarmAt = at;
        },
        async deleteAlarm() {
          ctx.alarmAt = null;
        },
      },
      waitUntil(p) {
        ctx.waited.push(p);
      },
      blockConcurrencyWhile(fn) {
        ctx.ready = fn();
        return ctx.ready;
      },
    };
    return ctx;
  }
  const ask = async (owner, path) => {
    const r = await owner.fetch(new Request(`https://owner${path}`));
    return { status: r.status, body: await r.json() };
  };

  test("a request that finds the ticket due starts a refresh that the owner stores: a restarted owner does not rotate again", T, async (t) => {
    const { TicketOwner } = await loadPackage();
    const { sim, proxy } = await setup(t);
    const env = { FACEID_APP_ID: sim.appId, FACEID_SECRET: sim.secret, FACEID_SERVER_URL: proxy.url, FACEID_REFRESH_INTERVAL_MS: "1000" };
    const storage = new Map();
    const ctx = doContext(sim.appId, storage);
    const owner = new TicketOwner(ctx, env);
    await ctx.ready;
    const first = await ask(owner, `/sign-ticket?appId=${sim.appId}`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    await sleep(1100); // due now; no alarm runs here
    const second = await ask(owner, `/sign-ticket?appId=${sim.appId}`);
    assert.equal(second.body.value, first.body.value, "the still-valid ticket is answered at once");
    assert.ok(ctx.waited.length >= 1, "the background refresh was handed to waitUntil");
    await Promise.all(ctx.waited);
    assert.equal(sim.refreshStats().accessTokens, 2);
    // The Durable Object is evicted and starts again on its storage.
    const ctx2 = doContext(sim.appId, storage);
    const again = new TicketOwner(ctx2, env);
    await ctx2.ready;
    const third = await ask(again, `/sign-ticket?appId=${sim.appId}`);
    assert.equal(third.status, 200);
    assert.notEqual(third.body.value, first.body.value, "the refreshed ticket was stored");
    assert.equal(sim.refreshStats().accessTokens, 2, "no second rotation");
    assert.equal(sim.refreshStats().overlaps, 0);
  });

  test("a renewal never joins an ordinary read in flight (which would hand the refused ticket back)", T, async (t) => {
    const { sim, proxy } = await setup(t, { graceMs: 300, overlapWindowMs: 0 });
    const mint = async () => {
      const q = (o) => new URLSearchParams({ app_id: sim.appId, version: "1.0.0", ...o });
      const token = (await (await fetch(`${sim.url}${TOKEN_PATH}?${q({ secret: sim.secret, grant_type: "client_credential" })}`)).json()).access_token;
      return (await (await fetch(`${sim.url}${TICKET_PATH}?${q({ access_token: token, type: "SIGN" })}`)).json()).tickets[0].value;
    };
    const digest = (v) => createHash("sha1").update(v).digest("hex").toUpperCase().slice(0, 16);
    // A stand-in owner that still holds a ticket the service has killed;
    // ordinary reads are slow, renewals replace the ticket they name.
    let current = sim.ticket;
    let reads = 0;
    const renewals = [];
    const owner = async (url) => {
      const q = new URL(url).searchParams;
      const stale = q.get("stale");
      if (stale) {
        renewals.push(stale);
        if (stale === digest(current)) current = await mint();
      } else {
        await sleep(++reads === 1 ? 50 : 800);
      }
      return new Response(JSON.stringify({ value: current, expiresAt: Date.now() + 30_600 }));
    };
    const namespace = { idFromName: (n) => n, get: () => ({ fetch: owner }) };
    await mint(); // the service replaced the owner's ticket behind its back
    await sleep(400); // and it died
    let held = 0;
    proxy.holdBack((url) => (url.includes("order_no=renewA") && held++ === 0 ? 900 : 0));
    const c = new FaceIdClient({ appId: sim.appId, ticketOwner: namespace, serverUrl: proxy.url, ticketErrorCodes: ["400104"] });
    clients.push(c);
    const a = c.faceResult("renewA"); // reads the dead ticket, refused after 0.9 s
    await sleep(750); // the isolate's copy is too close to expiry now
    const b = c.faceResult("renewB"); // an ordinary read, in flight when a renews
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.ok, true, `the renewal got a new ticket: ${ra.code} ${ra.msg}`);
    assert.equal(rb.ok, true, `${rb.code} ${rb.msg}`);
    assert.ok(renewals.length >= 1);
    assert.equal(sim.refreshStats().overlaps, 0);
  });

  test("one owner per App ID: a mismatch is refused, several App IDs work side by side, nothing secret is enumerable", T, async (t) => {
    const { TicketOwner } = await loadPackage();
    const one = await setup(t);
    const two = await setup(t, { appId: "IDAsim002", secret: "SimSecretIDAsim002yyyyyyyyyyyyyy" });
    const env = {
      [`FACEID_SECRET_${one.sim.appId}`]: one.sim.secret,
      [`FACEID_SECRET_${two.sim.appId}`]: two.sim.secret,
      [`FACEID_SERVER_URL_${one.sim.appId}`]: one.proxy.url,
      [`FACEID_SERVER_URL_${two.sim.appId}`]: two.proxy.url,
    };
    const owners = [];
    for (const { sim } of [one, two]) {
      const ctx = doContext(sim.appId);
      const owner = new TicketOwner(ctx, env);
      await ctx.ready;
      const r = await ask(owner, `/sign-ticket?appId=${sim.appId}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(sim.refreshStats().accessTokens, 1, `${sim.appId} refreshed with its own secret`);
      owners.push({ owner, ctx, sim });
    }
    // Asked for another App ID than the one it serves (or is named after).
    const wrong = await ask(owners[0].owner, `/sign-ticket?appId=${two.sim.appId}`);
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.error.code, "INVALID_APP_ID");
    assert.match(wrong.body.error.message, /idFromName\(appId\)/);
    const unnamed = doContext(undefined);
    const fresh = new TicketOwner(unnamed, env);
    await unnamed.ready;
    assert.equal((await ask(fresh, `/sign-ticket?appId=${one.sim.appId}`)).status, 200);
    const other = await ask(fresh, `/sign-ticket?appId=${two.sim.appId}`);
    assert.equal(other.status, 409, "an owner keeps the App ID it first served");
    // An App ID without a secret.
    const none = await ask(new TicketOwner(doContext("IDAnone"), env), "/sign-ticket?appId=IDAnone");
    assert.equal(none.status, 409);
    assert.match(none.body.error.message, /no secret for App ID "IDAnone": set FACEID_SECRET_IDAnone/);
    // Clients of both App IDs through one namespace binding, as a Worker has it.
    const namespace = {
      idFromName: (name) => name,
      get: (name) => ({ fetch: (url) => owners.find((o) => o.sim.appId === name).owner.fetch(new Request(url)) }),
    };
    for (const { sim } of owners) {
      const c = new FaceIdClient({ appId: sim.appId, ticketOwner: namespace, serverUrl: [one, two].find((x) => x.sim === sim).proxy.url });
      clients.push(c);
      assert.equal((await c.faceResult(`multi${sim.appId.slice(-1)}`)).ok, true);
    }
    const values = [...one.proxy.values(), ...two.proxy.values(), one.sim.secret, two.sim.secret];
    for (const { owner } of owners) {
      const shown = JSON.stringify(owner) + util.inspect(owner, { showHidden: true, depth: Infinity, getters: true });
      assert.deepEqual(leaksIn(shown, values), [], shown);
    }
  });
});

test("no secret, token or ticket in any error, JSON.stringify, util.inspect, ticketStatus or console line", T, async (t) => {
  // One more client through every path, so that this test stands alone too.
  const { sim, make } = await setup(t, { issueDelayMs: 20 });
  const c = make({ ticketErrorCodes: ["400104"], refreshIntervalMs: 1000 });
  await everyKind(c, "leak");
  await c.nonceTicket("userleak");
  await rejects(c.faceResult("bad order!"), "INVALID_ORDER_NO");
  await rejects(c.nonceTicket("bad user"), "INVALID_USER_ID");
  await rejects(make({ store: { get: async () => { throw new Error("store down"); }, set: async () => {}, lock: async () => true, unlock: async () => {} } })
    .faceResult("storeDown"), "TICKET_UNAVAILABLE");

  const values = [...proxies.flatMap((p) => p.values()), ...extraSecrets, sim.secret];
  assert.ok(values.length >= 10, `${values.length} credential values known`);
  for (const e of caught) assert.deepEqual(leaksIn(errorText(e), values), [], `in error ${e.code}: ${e.message}`);
  for (const client of clients) {
    const json = JSON.stringify(client);
    assert.deepEqual(leaksIn(json, values), [], json);
    assert.deepEqual(Object.keys(JSON.parse(json)).sort(), ["appId", "kycUrl", "serverUrl", "ticketSource", "version"]);
    const inspected = util.inspect(client, { showHidden: true, depth: Infinity, getters: true });
    assert.deepEqual(leaksIn(inspected, values), [], inspected);
    assert.deepEqual(leaksIn(JSON.stringify(client.ticketStatus()), values), []);
    assert.deepEqual(leaksIn(String(client), values), []);
  }
  assert.deepEqual(leaksIn(logged.join("\n"), values), [], "a console line");
  t.diagnostic(`figures: ${JSON.stringify(figures)}`);
  t.diagnostic(`${caught.length} errors, ${clients.length} clients, ${logged.length} console lines checked against ${values.length} values`);
});
