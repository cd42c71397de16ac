// Ticket management across several Node 20 processes sharing a real Redis
// (docs/protocol.md#access-token-and-tickets: exactly one owner may refresh; for several processes, a shared
// store with a lock). A redis-server on 127.0.0.1 is started for this file;
// child processes (lib/tickets-child.mjs) each run node-redis +
// createRedisTicketStore + a FaceIdClient with the secret, under load, and the
// simulator counts the refreshes they cause together. The store adapter is
// also checked on its own: lock exclusivity, expiry, unlock only by the holder.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { startSimulator } from "../sim/index.mjs";
import { freePort, spawnTracked, stopProcess } from "./lib/proc.mjs";
import {
  alternating, leaksIn, loadPackage, packageEntryUrl, refreshIssues, startProxy,
} from "./lib/tickets-fixtures.mjs";

const { FaceIdClient, createRedisTicketStore } = await loadPackage();
const CHILD = fileURLToPath(new URL("./lib/tickets-child.mjs", import.meta.url));
const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(existsSync) ?? "redis-server";
const T = { timeout: 40_000 };

let redisProcess;
let redisUrl;
/** Raw connections opened by the tests, closed in `after`. */
const connections = [];

async function connect() {
  const c = createClient({ url: redisUrl });
  c.on("error", () => {});
  await c.connect();
  connections.push(c);
  return c;
}

before(async () => {
  const port = await freePort();
  redisProcess = spawnTracked(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  redisUrl = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const c = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
      c.on("error", () => {});
      await c.connect();
      assert.equal(await c.ping(), "PONG");
      await c.close();
      break;
    } catch (e) {
      const exited = await Promise.race([redisProcess.exited.then(() => true), sleep(100, false)]);
      if (exited || Date.now() > deadline) {
        throw new Error(`redis-server did not start (${REDIS_SERVER}; scripts/setup installs it): ${e.message}\n${redisProcess.output()}`);
      }
    }
  }
});

after(async () => {
  for (const c of connections) await c.close().catch(() => {});
  await stopProcess(redisProcess);
});

/** A simulator behind a recording proxy; stopped and its Redis keys flushed after the test. */
async function setup(t, simOptions = {}) {
  const sim = await startSimulator(simOptions);
  const proxy = await startProxy(sim.url);
  t.after(async () => {
    await proxy.close();
    await sim.stop();
    const c = await connect();
    await c.flushAll();
  });
  return { sim, proxy };
}

/** Runs `count` child processes with `settings`; resolves to their reports. */
async function children(count, settings) {
  const startAt = Date.now() + 1500; // all connected and loaded by then, so they start together
  const procs = Array.from({ length: count }, (_, i) => spawnTracked(process.execPath, [CHILD], {
    env: { ...process.env, FACEID_CHILD: JSON.stringify({ entry: packageEntryUrl(), redisUrl, startAt, tag: `c${i}`, ...settings }) },
  }));
  try {
    return await Promise.all(procs.map(async (p) => {
      const { code, signal } = await p.exited;
      const out = p.output();
      assert.equal(code, 0, `child exited ${code ?? signal}:\n${out}`);
      const line = out.trim().split("\n").at(-1);
      return { ...JSON.parse(line), output: out };
    }));
  } finally {
    for (const p of procs) await stopProcess(p);
  }
}

describe("createRedisTicketStore on a real Redis", () => {
  test("get/set with a TTL, prefixes apart", T, async () => {
    const raw = await connect();
    const a = createRedisTicketStore(await connect());
    const p = createRedisTicketStore(await connect(), { prefix: "p1:" });
    assert.equal(await a.get("unit:x"), null);
    await a.set("unit:x", "value-a", 300);
    await p.set("unit:x", "value-p", 300);
    assert.equal(await a.get("unit:x"), "value-a");
    assert.equal(await p.get("unit:x"), "value-p");
    assert.equal(await raw.get("p1:unit:x"), "value-p", "the prefix is put in front of the key");
    const ttl = await raw.pTTL("unit:x");
    assert.ok(ttl > 0 && ttl <= 300, `PTTL ${ttl}`);
    await a.set("unit:frac", "v", 0.4); // rounded up to at least 1 ms, never "no expiry"
    assert.ok((await raw.pTTL("unit:frac")) <= 1);
    await sleep(350);
    assert.equal(await a.get("unit:x"), null, "expired");
    assert.equal(await p.get("unit:x"), null);
  });

  test("lock: exactly one of twenty racing holders; unlock only by the holder", T, async () => {
    const raw = await connect();
    const stores = await Promise.all(Array.from({ length: 20 }, async () => createRedisTicketStore(await connect())));
    const won = await Promise.all(stores.map((s) => s.lock("unit:lock", 5000)));
    assert.equal(won.filter(Boolean).length, 1, `winners: ${won}`);
    const token = won.find(Boolean);
    assert.equal(typeof token, "string", "the holder gets a token");
    const holder = stores[won.indexOf(token)];
    const other = stores[won.findIndex((w) => !w)];
    assert.equal(await holder.lock("unit:lock", 5000), null, "not re-entrant");
    await other.unlock("unit:lock", null); // never held it
    await other.unlock("unit:lock", "a guessed token");
    assert.notEqual(await raw.get("unit:lock"), null, "a non-holder's unlock releases nothing");
    assert.equal(await other.lock("unit:lock", 5000), null);
    await holder.unlock("unit:lock", token);
    assert.equal(await raw.get("unit:lock"), null, "the holder's unlock releases it");
    const again = await other.lock("unit:lock", 5000);
    assert.ok(again);
    await other.unlock("unit:lock", again);
  });

  test("two clients sharing one store object never release each other's lock", T, async () => {
    const raw = await connect();
    const shared = createRedisTicketStore(await connect());
    const first = await shared.lock("unit:shared", 5000); // client 1
    assert.ok(first);
    const second = await shared.lock("unit:shared", 5000); // client 2, same store object
    assert.equal(second, null);
    await shared.unlock("unit:shared", second); // client 2 gives up what it never had
    assert.equal(await raw.get("unit:shared"), first, "client 1 still holds it");
    await shared.unlock("unit:shared", first);
    assert.equal(await raw.get("unit:shared"), null);
  });

  test("compareAndSet: writes only over the value read, or only into an empty key", T, async () => {
    const raw = await connect();
    const s = createRedisTicketStore(await connect());
    assert.equal(await s.compareAndSet("unit:cas", null, "v1", 5000), true, "empty: written");
    assert.equal(await s.compareAndSet("unit:cas", null, "v2", 5000), false, "not empty any more");
    assert.equal(await s.compareAndSet("unit:cas", "v0", "v2", 5000), false, "a stale read loses");
    assert.equal(await s.get("unit:cas"), "v1");
    assert.equal(await s.compareAndSet("unit:cas", "v1", "v2", 5000), true);
    assert.equal(await s.get("unit:cas"), "v2");
    const ttl = await raw.pTTL("unit:cas");
    assert.ok(ttl > 0 && ttl <= 5000, `PTTL ${ttl}`);
    await raw.del("unit:cas");
  });

  test("lock TTL: an expired lock can be taken, and the old holder's late unlock does not release the new one", T, async () => {
    const raw = await connect();
    const a = createRedisTicketStore(await connect());
    const b = createRedisTicketStore(await connect());
    const c = createRedisTicketStore(await connect());
    const ta = await a.lock("unit:ttl", 200);
    assert.ok(ta);
    const ttl = await raw.pTTL("unit:ttl");
    assert.ok(ttl > 0 && ttl <= 200, `PTTL ${ttl}`);
    assert.equal(await b.lock("unit:ttl", 200), null);
    await sleep(300);
    const tb = await b.lock("unit:ttl", 5000);
    assert.ok(tb, "taken after expiry");
    await a.unlock("unit:ttl", ta); // a's lock expired: this must not delete b's
    assert.equal(await c.lock("unit:ttl", 5000), null, "b still holds it");
    await b.unlock("unit:ttl", tb);
    const tc = await c.lock("unit:ttl", 5000);
    assert.ok(tc);
    await c.unlock("unit:ttl", tc);
    // A lock on another prefix is another lock.
    const pa = createRedisTicketStore(await connect(), { prefix: "A:" });
    const pb = createRedisTicketStore(await connect(), { prefix: "B:" });
    const la = await pa.lock("unit:p", 5000);
    const lb = await pb.lock("unit:p", 5000);
    assert.ok(la && lb);
    await pa.unlock("unit:p", la);
    await pb.unlock("unit:p", lb);
  });

  test("what a client keeps in Redis: the tickets key with the ticket's lifetime, no lock left, never the secret", T, async (t) => {
    const { sim, proxy } = await setup(t);
    const raw = await connect();
    const c = new FaceIdClient({
      appId: sim.appId, secret: sim.secret, serverUrl: proxy.url, kycUrl: proxy.url,
      store: createRedisTicketStore(await connect(), { prefix: "app1:" }),
    });
    assert.equal((await c.faceResult("keys1")).ok, true);
    const keys = (await raw.keys("*")).sort();
    assert.deepEqual(keys, [`app1:faceid-edge:${sim.appId}:tickets`]);
    const ttl = await raw.pTTL(keys[0]);
    assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `PTTL ${ttl}`);
    const stored = JSON.parse(await raw.get(keys[0]));
    assert.deepEqual(Object.keys(stored).sort(), ["ticket", "token"]);
    assert.equal(stored.ticket.value, sim.ticket);
    assert.ok(proxy.seen.tokens.has(stored.token.value));
    assert.equal(stored.ticket.expiresAt - stored.ticket.obtainedAt, 3_600_000);
    assert.equal(stored.token.expiresAt - stored.token.obtainedAt, 7_200_000);
    assert.deepEqual(leaksIn(JSON.stringify(stored), [sim.secret]), [], "the secret is not stored");
    assert.equal(c.ticketStatus().source, "secret+store");
  });
});

describe("several processes, one Redis", () => {
  test("4 processes × 3 rounds × 50 concurrent queries: one access_token and one SIGN ticket in all", T, async (t) => {
    const { sim, proxy } = await setup(t, { issueDelayMs: 150 });
    const reports = await children(4, {
      serverUrl: proxy.url, appId: sim.appId, secret: sim.secret, rounds: 3, concurrency: 50,
    });
    for (const r of reports) {
      assert.deepEqual(r.errors, [], `child ${r.pid}: ${JSON.stringify(r.errors)}`);
      assert.equal(r.ok, 150, `child ${r.pid}: ${JSON.stringify(r.codes)}`);
      assert.equal(r.status.source, "secret+store");
      assert.equal(r.status.hasTicket, true);
    }
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1, "access_token requests from all four processes");
    assert.equal(stats.signTickets, 1, "SIGN api_ticket requests from all four processes");
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
    assert.equal(proxy.maxConcurrentOauth, 1);
    assert.equal(sim.requests({ path: "/api/server/sync" }).filter((e) => e.verdict === "ok").length, 600);
    const values = [...proxy.values(), sim.secret];
    for (const r of reports) assert.deepEqual(leaksIn(r.output, values), [], `child ${r.pid} printed a credential`);
    t.diagnostic(`600 queries in 4 processes → ${stats.accessTokens} access_token, ${stats.signTickets} SIGN; ` +
      `rounds took ${reports.map((r) => r.ms).join("/")} ms`);
  });

  test("control: the same load with a store per process (other prefixes) refreshes per process, and the simulator sees the overlap", T, async (t) => {
    const { sim, proxy } = await setup(t, { issueDelayMs: 150 });
    const base = { serverUrl: proxy.url, appId: sim.appId, secret: sim.secret, rounds: 1, concurrency: 10 };
    const reports = await Promise.all([children(1, { ...base, prefix: "one:" }), children(1, { ...base, prefix: "two:" })]);
    for (const [r] of reports) assert.equal(r.errors.length + r.failed, 0, JSON.stringify(r));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 2);
    assert.ok(stats.overlaps >= 1, "two owners refreshing at once is what this file's other tests rule out");
  });

  test("refreshIntervalMs 1000 under load in 4 processes: one refresh per window across all of them", T, async (t) => {
    const { sim, proxy } = await setup(t, { issueDelayMs: 100 });
    const DURATION = 5000;
    const reports = await children(4, {
      serverUrl: proxy.url, appId: sim.appId, secret: sim.secret, refreshIntervalMs: 1000, durationMs: DURATION, concurrency: 10,
    });
    const end = Date.now();
    for (const r of reports) {
      assert.deepEqual(r.errors, [], `child ${r.pid}: ${JSON.stringify(r.errors)}`);
      assert.equal(r.failed, 0, `child ${r.pid}: ${JSON.stringify(r.codes)}`);
      assert.ok(r.ok > 100, `child ${r.pid}: only ${r.ok} queries`);
    }
    const stats = sim.refreshStats();
    assert.equal(stats.overlaps, 0, "no two processes refreshed at once or within a second");
    assert.equal(stats.deadUses, 0, "no process signed with a dead ticket");
    assert.equal(proxy.maxConcurrentOauth, 1);
    const tokenTimes = alternating(refreshIssues(sim));
    const gaps = tokenTimes.slice(1).map((at, i) => at - tokenTimes[i]);
    // A skipped window would be a gap of 2200 ms or more.
    for (const g of gaps) assert.ok(g >= 1000 && g < 2000, `gap between refreshes ${g} ms (${gaps})`);
    assert.ok(tokenTimes.length >= 3, `${tokenTimes.length} refreshes in ${DURATION} ms`);
    assert.ok(end - tokenTimes.at(-1) < 2500 + 1500, "refreshes went on to the end");
    const queries = reports.reduce((s, r) => s + r.ok, 0);
    t.diagnostic(`${queries} queries in 4 processes over ${DURATION} ms → ${tokenTimes.length} refreshes, gaps ${gaps.join("/")} ms`);
  });

  test("a lock left by a crashed holder expires and another process takes over, with one refresh", T, async (t) => {
    const { sim, proxy } = await setup(t);
    const raw = await connect();
    await raw.set(`faceid-edge:${sim.appId}:lock`, "crashed-holder", { PX: 1200 });
    const c = new FaceIdClient({
      appId: sim.appId, secret: sim.secret, serverUrl: proxy.url, kycUrl: proxy.url, store: createRedisTicketStore(await connect()),
    });
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => c.faceResult(`crash${i}`)));
    const waited = Date.now() - t0;
    for (const r of rs) assert.equal(r.ok, true, `${r.code} ${r.msg}`);
    assert.ok(waited >= 1000, `waited ${waited} ms for the stale lock`);
    assert.equal(sim.refreshStats().accessTokens, 1);
    assert.equal(await raw.get(`faceid-edge:${sim.appId}:lock`), null, "released after the refresh");
  });

  test("ticketErrorCodes with a store: a refused ticket is replaced in the store, not read back from it",
    T,
    async (t) => {
      const { sim, proxy } = await setup(t);
      const make = async () => new FaceIdClient({
        appId: sim.appId, secret: sim.secret, serverUrl: proxy.url, kycUrl: proxy.url, ticketErrorCodes: ["400104"],
        store: createRedisTicketStore(await connect()),
      });
      const a = await make();
      assert.equal((await a.faceResult("storeRenew0")).ok, true);
      // Another owner (no store) refreshes; 61 s later the stored ticket is dead.
      sim.advance(1500);
      const rogue = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url });
      assert.equal((await rogue.faceResult("storeRogue")).ok, true);
      sim.advance(61_000);
      const before = sim.refreshStats().accessTokens;
      const r = await a.faceResult("storeRenew1");
      assert.equal(sim.refreshStats().accessTokens - before, 1, "one renewal");
      assert.equal(r.ok, true, `${r.code} ${r.msg}`);
      const b = await make(); // another process reads the renewed ticket from the store
      assert.equal((await b.faceResult("storeRenew2")).ok, true);
      assert.equal(sim.refreshStats().accessTokens - before, 1);
    });
});
