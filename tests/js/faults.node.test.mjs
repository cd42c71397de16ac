// The fault matrix (RELIABILITY.md "Fault matrix"): one table of cells, each a
// fault injected between a FaceIdClient made from appId + secret (the client
// owns its token and SIGN ticket) and the loopback simulator, its ticket
// source (a store, Redis, the TicketOwner) or the edge handler in front of it.
// For every cell: the call ends with the cell's typed FaceIdError code (or a
// correct result after a bounded retry) within the cell's bound; no secret,
// token or ticket in the error or the answer; the simulator counts no
// overlapping refresh and no dead-ticket use (beyond the one a cell injects);
// and the next call works, without a new token when none is needed.
//
// Faults already covered elsewhere with a fixed ticket are not repeated here
// for their details (client.node "transport faults", control.node for
// signal / deadlineMs, tickets.node "under faults", tickets.workerd and
// tickets.cancel.workerd for the real Durable Object): this file puts each of
// them next to a managed ticket and checks that the ticket survives.
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { startSimulator } from "../sim/index.mjs";
import { newOrder, SMALL_JPEG } from "./lib/client-fixtures.mjs";
import { freePort, spawnTracked, stopProcess } from "./lib/proc.mjs";
import { errorText, leaksIn, loadPackage } from "./lib/tickets-fixtures.mjs";

const { FaceIdClient, FaceIdError, TicketOwner, createEdgeHandler, createRedisTicketStore } = await loadPackage();
const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(existsSync) ?? "redis-server";
const ORDER_TOKEN_KEY = "faults-order-token-key-0123456789abcdef";
const ALICE = { userId: "alice", name: "张三丰", idNo: "11010519491231002X" };
const GRACE_MS = 300;

let sim;
let closedUrl;
const originalSecret = () => "SimSecretIDAsim001xxxxxxxxxxxxxx";
const ROTATED_SECRET = "RotatedSecretIDAsim001yyyyyyyyyyy";

before(async () => {
  // A short grace, so that a ticket replaced mid-flight dies within the test.
  sim = await startSimulator({ graceMs: GRACE_MS, overlapWindowMs: 500 });
  closedUrl = `http://127.0.0.1:${await freePort()}`;
});
after(() => sim?.stop());

/** Every value that must never show: the secret(s) and every token and ticket issued. */
const secretsNow = () => [sim.secret, originalSecret(), ROTATED_SECRET, ...sim.issuedValues()];

function assertNoLeak(label, ...texts) {
  const found = leaksIn(texts.join("\n"), secretsNow());
  assert.deepEqual(found, [], `${label}: a secret value shows`);
}

/** `fn()`'s outcome: { error } or { value }, and how long it took. */
async function outcome(fn) {
  const t0 = Date.now();
  try {
    const value = await fn();
    return { value, ms: Date.now() - t0 };
  } catch (error) {
    return { error, ms: Date.now() - t0 };
  }
}

/**
 * A fetch (the client's `fetch` option) that, once per rule, sends a chosen
 * request elsewhere (`to`), holds it back (`holdMs`, or `until` a promise
 * settles; then sends it, unless its signal fired meanwhile), or answers it
 * with an HTTP `status` itself.
 */
function steeredFetch() {
  const rules = [];
  const f = async (url, init) => {
    let u = typeof url === "string" ? url : url.url;
    const i = rules.findIndex((r) => u.includes(r.match));
    if (i >= 0) {
      const [r] = rules.splice(i, 1);
      if (r.holdMs) await sleep(r.holdMs);
      if (r.until) await r.until;
      if (r.to) u = u.replace(sim.url, r.to);
      if (r.status) return new Response(`${r.status} from a test proxy`, { status: r.status });
    }
    return fetch(u, init);
  };
  f.once = (match, rule) => rules.push({ match, ...rule });
  return f;
}

/** A ticket store in memory; `slowGets` > 0: that many gets answer `lateMs` late. */
function memoryStore() {
  const data = new Map();
  const locks = new Map();
  let n = 0;
  const live = (k) => (data.get(k)?.until > Date.now() ? data.get(k).value : null);
  const store = {
    slowGets: 0,
    lateMs: 0,
    async get(k) {
      const v = live(k);
      if (store.slowGets > 0) {
        store.slowGets--;
        await sleep(store.lateMs);
      }
      return v;
    },
    async set(k, value, ttlMs) {
      data.set(k, { value, until: Date.now() + ttlMs });
    },
    async compareAndSet(k, expected, value, ttlMs) {
      if (live(k) !== expected) return false;
      data.set(k, { value, until: Date.now() + ttlMs });
      return true;
    },
    async lock(k, ttlMs) {
      if ((locks.get(k)?.until ?? 0) > Date.now()) return null;
      const token = `lock${++n}`;
      locks.set(k, { token, until: Date.now() + ttlMs });
      return token;
    },
    async unlock(k, token) {
      if (locks.get(k)?.token === token) locks.delete(k);
    },
  };
  return store;
}

/**
 * A Durable Object namespace stand-in around a real TicketOwner (the
 * package's class, on a stand-in state): `fault` "throw" makes the stub's
 * fetch throw once, "500" answers one HTTP 500; `evict()` starts a new
 * TicketOwner on the same storage (what workerd does after a reset).
 */
async function ownerNamespace() {
  const storage = new Map();
  const env = { FACEID_APP_ID: sim.appId, FACEID_SECRET: sim.secret, FACEID_SERVER_URL: sim.url };
  let owner;
  const waited = [];
  const ns = {
    fault: null,
    asked: 0,
    async evict() {
      await Promise.allSettled(waited);
      let ready;
      const ctx = {
        id: { name: sim.appId, toString: () => `id-${sim.appId}` },
        storage: {
          get: async (k) => storage.get(k),
          put: async (k, v) => void storage.set(k, v),
          setAlarm: async () => {},
          deleteAlarm: async () => {},
        },
        waitUntil: (p) => waited.push(p),
        blockConcurrencyWhile: (fn) => (ready = fn()),
      };
      owner = new TicketOwner(ctx, env);
      await ready;
    },
    idFromName: (name) => name,
    get: () => ({
      fetch: async (url) => {
        ns.asked++;
        const fault = ns.fault;
        ns.fault = null;
        if (fault === "throw") throw new Error(`Durable Object reset because its code was updated (${sim.secret})`);
        if (fault === "500") return new Response(`internal error ${sim.secret}`, { status: 500 });
        return owner.fetch(new Request(url));
      },
    }),
  };
  await ns.evict();
  return ns;
}

/** A TCP proxy in front of Redis that can go away (every connection cut, the port closed) and come back. */
async function redisWithOutage() {
  const port = await freePort();
  const proc = spawnTracked(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
      c.on("error", () => {});
      await c.connect();
      await c.close();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${e.message}\n${proc.output()}`);
      await sleep(100);
    }
  }
  const front = await freePort();
  const sockets = new Set();
  let server;
  const up = async () => {
    server = createServer((s) => {
      const r = tcpConnect(port, "127.0.0.1");
      for (const x of [s, r]) {
        sockets.add(x);
        x.on("close", () => sockets.delete(x));
        x.on("error", () => {});
      }
      s.pipe(r).pipe(s);
    });
    server.listen(front, "127.0.0.1");
    await once(server, "listening");
  };
  await up();
  return {
    url: `redis://127.0.0.1:${front}`,
    async away() {
      const closed = once(server, "close");
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
    back: up,
    async stop() {
      if (server.listening) server.close();
      for (const s of sockets) s.destroy();
      await stopProcess(proc);
    },
  };
}

/** A client on the simulator from appId + secret; small delays. */
function make(options = {}) {
  return new FaceIdClient({
    appId: sim.appId, secret: originalSecret(), serverUrl: sim.url, kycUrl: sim.url, timeoutMs: 2000,
    retryDelayMs: 5, maxRetryDelayMs: 20, filePollIntervalMs: 5, ...options,
  });
}

// ---------------------------------------------------------------------------
// The matrix. Each cell: what is injected (`scenario`: the order's simulator
// scenario for the next attempt; or `inject(ctx)`), what the call must end
// with (`code`, or `ok` with `attempts`), the bound in ms, the tokens the
// simulator may have issued in all (1: the fault cost no new token), the
// dead-ticket uses the cell itself causes, and the edge handler's answer for
// the same fault (`edge`: [status, error code or business code]).
const CELLS = [
  {
    cell: "upstream timeout", scenario: { fault: { type: "slow", delayMs: 3000, times: 1 } }, options: { timeoutMs: 300 },
    code: "TIMEOUT", boundMs: 1500, edge: [502, "TIMEOUT"],
  },
  {
    cell: "slow body", scenario: { fault: { type: "slowBody", delayMs: 3000, times: 1 } }, options: { timeoutMs: 300 },
    code: "TIMEOUT", boundMs: 1500, edge: [502, "TIMEOUT"],
  },
  {
    cell: "slow body within timeoutMs", scenario: { fault: { type: "slowBody", delayMs: 200, times: 1 } }, options: { timeoutMs: 1500 },
    ok: true, attempts: 1, boundMs: 1500,
  },
  { cell: "5xx", scenario: { fault: { type: "status", status: 503, times: 1 } }, code: "HTTP_STATUS", status: 503, boundMs: 1000, edge: [502, "HTTP_STATUS"] },
  { cell: "429", scenario: { fault: { type: "status", status: 429, times: 1 } }, code: "HTTP_STATUS", status: 429, boundMs: 1000, edge: [502, "HTTP_STATUS"] },
  { cell: "HTML error page", scenario: { fault: { type: "html", times: 1 } }, code: "HTTP_STATUS", status: 502, boundMs: 1000, edge: [502, "HTTP_STATUS"] },
  { cell: "truncated JSON", scenario: { fault: { type: "truncated", times: 1 } }, code: "BAD_RESPONSE", boundMs: 1000, edge: [502, "BAD_RESPONSE"] },
  { cell: "empty body", scenario: { fault: { type: "empty", times: 1 } }, code: "BAD_RESPONSE", boundMs: 1000, edge: [502, "BAD_RESPONSE"] },
  {
    cell: "reset connection", scenario: { fault: { type: "reset", times: 1 }, photoBytes: 200_000 }, options: { getFile: "photo" },
    code: "NETWORK", boundMs: 1000, edge: [502, "NETWORK"],
  },
  {
    cell: "refused connection",
    inject: ({ steer, orderNo }) => steer.once(`order_no=${orderNo}`, { to: closedUrl }),
    code: "NETWORK", boundMs: 1000, edge: [502, "NETWORK"],
  },
  { cell: "busy code, then success", scenario: { fault: { type: "busy", code: "999998", times: 2 } }, ok: true, attempts: 3, boundMs: 1000 },
  {
    cell: "busy code past the retries", scenario: { fault: { type: "busy", code: "999999", times: 3 } },
    ok: false, resultCode: "999999", attempts: 3, boundMs: 1000, edge: [200, "999999"],
  },
  { cell: "business code", scenario: { code: "66660020" }, ok: false, resultCode: "66660020", attempts: 1, boundMs: 1000, edge: [200, "66660020"] },
  {
    // The client's own refresh replaces T1 while a request signed with T1 is
    // held back past the grace: it arrives dead (the one injected dead use);
    // the renewal sees its ticket already moved on and retries with it.
    cell: "token dies mid-flight (grace ends)",
    options: { refreshIntervalMs: 1000, ticketErrorCodes: ["400104"] },
    async inject({ steer, orderNo, client }) {
      let release;
      steer.once(`order_no=${orderNo}`, { until: new Promise((resolve) => (release = resolve)) });
      return async () => {
        const held = client.faceResult(orderNo); // signed with T1, held back
        await sleep(1050); // T1 is due now
        assert.equal((await client.faceResult(newOrder("due"))).ok, true);
        const t0 = Date.now();
        while (client.ticketStatus().refreshes < 2 && Date.now() - t0 < 2000) await sleep(10);
        await sleep(GRACE_MS + 150); // T1 replaced and past its grace: dead
        release();
        return held;
      };
    },
    ok: true, attempts: 2, boundMs: 2600, tokens: 2, deadUses: 1,
  },
  {
    // The secret changes between the refresh and the use: every token and
    // ticket dies at once; the one query signed with the dead ticket is the
    // injected dead use; the renewal cannot get a token (TICKET_UNAVAILABLE,
    // no loop). The secret restored, the next call works after the backoff.
    cell: "token dies mid-flight (secret rotated)",
    options: { ticketErrorCodes: ["400104"] },
    inject: () => sim.rotateSecret(ROTATED_SECRET),
    code: "TICKET_UNAVAILABLE", boundMs: 1500, tokens: 2, deadUses: 1,
    async recover() {
      sim.rotateSecret(originalSecret());
      await sleep(1100); // the refresh backoff (1 s)
    },
  },
  {
    // A refresh whose token request times out: nothing reached the service;
    // the next refresh (after the 1 s backoff) mints the one token.
    cell: "refresh: access_token times out", warm: false, options: { timeoutMs: 300 },
    inject: ({ steer }) => steer.once("/api/oauth2/access_token", { holdMs: 1000 }),
    code: "TICKET_UNAVAILABLE", message: /TIMEOUT/, boundMs: 1500, edge: [503, "TICKET_UNAVAILABLE"],
    recover: () => sleep(1100),
  },
  {
    // The token is minted, the SIGN ticket request fails: the next refresh
    // reuses that token (no token minted in vain).
    cell: "refresh: api_ticket answers 503", warm: false,
    inject: ({ steer }) => steer.once("type=SIGN", { status: 503 }),
    code: "TICKET_UNAVAILABLE", message: /HTTP_STATUS|503/, boundMs: 1000, edge: [503, "TICKET_UNAVAILABLE"],
    recover: () => sleep(1100),
  },
  {
    cell: "store answers late (past timeoutMs)", store: true, options: { timeoutMs: 400 }, cold: true,
    inject: ({ store }) => Object.assign(store, { slowGets: 1, lateMs: 1500 }),
    code: "TICKET_UNAVAILABLE", message: /store\.get did not answer within 400 ms/, boundMs: 1500, edge: [503, "TICKET_UNAVAILABLE"],
    recover: () => sleep(1100), // a failed read of the store is a failed refresh: 1 s of backoff
  },
  {
    cell: "store answers late (within timeoutMs)", store: true, options: { timeoutMs: 1000 }, cold: true,
    inject: ({ store }) => Object.assign(store, { slowGets: 1, lateMs: 300 }),
    ok: true, attempts: 1, boundMs: 1500,
  },
  {
    cell: "Durable Object throws", owner: true, cold: true,
    inject: ({ ns }) => void (ns.fault = "throw"),
    code: "TICKET_UNAVAILABLE", message: /the TicketOwner request failed: Error\)$/, boundMs: 1000, edge: [503, "TICKET_UNAVAILABLE"],
  },
  {
    cell: "Durable Object answers 500", owner: true, cold: true,
    inject: ({ ns }) => void (ns.fault = "500"),
    code: "TICKET_UNAVAILABLE", boundMs: 1000, edge: [503, "TICKET_UNAVAILABLE"],
  },
  {
    // Evicted (its code updated, the machine moved): a new TicketOwner on
    // the same storage serves the stored ticket; a new isolate gets it.
    cell: "Durable Object reset", owner: true, cold: true,
    inject: ({ ns }) => ns.evict(),
    ok: true, attempts: 1, boundMs: 1000,
  },
  {
    cell: "Redis goes away", redis: true, cold: true, options: { timeoutMs: 500 },
    inject: ({ redis }) => redis.away(),
    code: "TICKET_UNAVAILABLE", boundMs: 2000,
    async recover({ redis }) {
      await redis.back();
      await sleep(1100); // reconnected, and past the refresh backoff the failed read started
    },
  },
];

const edgeCells = CELLS.filter((c) => c.edge);

/** Sets up a cell: a reset simulator, a warm client (one token, one SIGN ticket) unless `warm: false`. */
async function arrange(c, t) {
  sim.reset();
  const steer = steeredFetch();
  const events = [];
  const ctx = { steer, orderNo: newOrder("f"), events };
  const base = { fetch: steer, onEvent: (e) => events.push(e), ...c.options };
  delete base.getFile;
  const clients = [];
  if (c.store) ctx.store = memoryStore();
  if (c.owner) ctx.ns = await ownerNamespace();
  if (c.redis) {
    ctx.redis = await redisWithOutage();
    const conn = createClient({ url: ctx.redis.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
    conn.on("error", () => {});
    await conn.connect();
    ctx.store = createRedisTicketStore(conn);
    t.after(async () => {
      await conn.close().catch(() => conn.destroy?.());
      await ctx.redis.stop();
    });
  }
  const build = () => {
    const o = { ...base };
    if (c.store || c.redis) o.store = ctx.store;
    if (c.owner) o.ticketOwner = ctx.ns;
    const client = c.owner ? new FaceIdClient({ appId: sim.appId, serverUrl: sim.url, kycUrl: sim.url, timeoutMs: 2000, retryDelayMs: 5, ...o })
      : make(o);
    clients.push(client);
    return client;
  };
  const warm = build();
  if (c.warm === false) {
    // The faulty call is the client's first: its first refresh meets the fault.
    Object.assign(ctx, { client: warm, warm });
    return ctx;
  }
  assert.equal((await warm.faceResult(newOrder("warm"))).ok, true, "the warm-up call");
  // `cold`: the faulty call comes from a new client (another process or
  // isolate) that must get the ticket through the faulty source.
  ctx.client = c.cold ? build() : warm;
  ctx.warm = warm;
  return ctx;
}

/** Runs `ctx.orderNo` through the cell's call (getFile when the cell asks for it). */
function query(c, client, orderNo) {
  return client.faceResult(orderNo, c.options?.getFile ? { getFile: c.options.getFile } : undefined);
}

/** The cell's checks on one outcome. */
function judge(c, label, { error, value, ms }, attempts) {
  if (c.code) {
    assert.ok(error, `${label}: expected ${c.code}, got ${JSON.stringify(value && { ok: value.ok, code: value.code })}`);
    assert.ok(error instanceof FaceIdError, `${label}: not a FaceIdError: ${error?.stack}`);
    assert.equal(error.code, c.code, `${label}: ${error.code}: ${error.message}`);
    if (c.status) assert.equal(error.status, c.status);
    if (c.message) assert.match(error.message, c.message);
    assertNoLeak(label, errorText(error));
  } else {
    assert.ok(!error, `${label}: ${error?.code}: ${error?.message}`);
    assert.equal(value.ok, c.ok, `${label}: ${value.code} ${value.msg}`);
    if (c.resultCode) assert.equal(value.code, c.resultCode);
    assertNoLeak(label, JSON.stringify(value));
    if (attempts !== undefined && c.attempts !== undefined) assert.equal(attempts, c.attempts, `${label}: attempts`);
  }
  assert.ok(ms < c.boundMs, `${label}: took ${ms} ms, bound ${c.boundMs} ms`);
}

function assertStats(c, label) {
  const stats = sim.refreshStats();
  assert.equal(stats.overlaps, 0, `${label}: overlapping refresh`);
  assert.equal(stats.deadUses, c.deadUses ?? 0, `${label}: dead-ticket uses`);
  assert.equal(stats.accessTokens, c.tokens ?? 1, `${label}: access tokens issued`);
  assert.equal(stats.signTickets, c.tokens ?? 1, `${label}: SIGN tickets issued`);
}

describe("fault matrix: the client", { timeout: 60_000 }, () => {
  for (const c of CELLS) {
    test(`fault matrix: ${c.cell}`, async (t) => {
      const ctx = await arrange(c, t);
      if (c.scenario) sim.setOrder(ctx.orderNo, c.scenario);
      const custom = c.inject ? await c.inject(ctx) : undefined;
      const run = typeof custom === "function" ? custom : () => query(c, ctx.client, ctx.orderNo);
      const result = await outcome(run);
      judge(c, c.cell, result, sim.requests({ orderNo: ctx.orderNo }).length);
      if (c.recover) await c.recover(ctx);
      // The next call works (the same order: every fault above acts once).
      const next = await query(c, ctx.client, ctx.orderNo);
      assert.equal(next.ok, c.resultCode === "66660020" ? false : true, `${c.cell}: the next call: ${next.code} ${next.msg}`);
      assert.equal((await ctx.warm.faceResult(newOrder("after"))).ok, true, `${c.cell}: the warm client afterwards`);
      assertNoLeak(c.cell, JSON.stringify(next), JSON.stringify(ctx.client.ticketStatus()), JSON.stringify(ctx.client),
        JSON.stringify(ctx.events));
      assert.ok(ctx.events.length > 0, "onEvent saw the calls");
      assertStats(c, c.cell);
      t.diagnostic(`${c.cell}: ${result.error ? result.error.code : `ok=${result.value.ok} ${result.value.code}`} in ${result.ms} ms`);
    });
  }
});

describe("fault matrix: the edge handler (Node's Request)", { timeout: 60_000 }, () => {
  for (const c of edgeCells) {
    test(`fault matrix through the edge handler: ${c.cell} → ${c.edge[0]}`, async (t) => {
      const ctx = await arrange(c, t);
      const handler = createEdgeHandler({ client: ctx.client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => ALICE, returnUrl: "/done.html",
        publicOrigin: "https://edge.example" });
      const { orderToken } = handler.issueOrderToken("face", ctx.orderNo, { userId: "alice" });
      const ask = async () => {
        const r = await handler(new Request(`https://edge.example/faceid/result?orderNo=${ctx.orderNo}`, {
          headers: { authorization: `Bearer ${orderToken}` },
        }));
        const text = await r.text();
        assertNoLeak(`${c.cell} (edge)`, text, JSON.stringify([...r.headers]));
        return { status: r.status, json: JSON.parse(text) };
      };
      if (c.scenario) sim.setOrder(ctx.orderNo, c.scenario);
      if (c.inject) await c.inject(ctx);
      const t0 = Date.now();
      const r = await ask();
      const ms = Date.now() - t0;
      const [status, code] = c.edge;
      assert.equal(r.status, status, JSON.stringify(r.json));
      if (status === 200) {
        assert.equal(r.json.ok, false);
        assert.equal(r.json.code, code);
      } else {
        assert.equal(r.json.error.code, code, JSON.stringify(r.json));
        assert.equal(typeof r.json.error.message, "string");
      }
      assert.ok(ms < c.boundMs, `took ${ms} ms, bound ${c.boundMs} ms`);
      if (c.recover) await c.recover(ctx);
      const next = await ask();
      assert.equal(next.status, 200, JSON.stringify(next.json));
      assert.equal(next.json.ok, c.resultCode !== "66660020", JSON.stringify(next.json));
      assertStats(c, `${c.cell} (edge)`);
    });
  }
});

// ---------------------------------------------------------------------------
// Stale kept-alive sockets (Node's fetch). A simulator of its own keeps idle
// connections 30 s, so that Node's fetch reuses them, and once
// `dropReusedSockets` is switched on destroys a connection the moment its
// second request arrives, before reading it and without a byte of an answer:
// what a server that closed an idle connection looks like to the client that
// reused it (`TypeError: fetch failed`, its cause UND_ERR_SOCKET "other side
// closed"). A GET (the four result queries, the token and the tickets) is
// sent again once, at once, with a new nonce and signature, on a new
// connection; a POST never is. Each cell: a warm client (token, SIGN ticket
// and one query done: idle kept-alive connections in Node's pool), dropping
// switched on, then the cell's call, which meets a reused connection.
const SOCKET_CELLS = [
  { cell: "faceResult (GET)", endpoint: "faceResult", path: "/api/server/sync", call: (c, o) => c.faceResult(o), resent: true },
  { cell: "liveResult (GET)", endpoint: "liveResult", path: "/api/server/getLiveResult", call: (c, o) => c.liveResult(o), resent: true },
  {
    cell: "idCardOcrResult (GET)", endpoint: "idCardOcrResult", path: "/api/server/getOcrResult",
    call: (c, o) => c.idCardOcrResult(o), resent: true,
  },
  {
    cell: "bankCardOcrResult (GET)", endpoint: "bankCardOcrResult", path: "/api/server/getBankCardOcrResult",
    call: (c, o) => c.bankCardOcrResult(o), resent: true,
  },
  {
    cell: "idCardOcr (POST)", endpoint: "idCardOcr", path: "/api/paas/idcardocrapp",
    call: (c, o) => c.idCardOcr({ orderNo: o, cardType: "portrait", image: SMALL_JPEG() }), resent: false,
  },
  {
    cell: "queryFaceRecord (POST)", endpoint: "queryFaceRecord", path: "/api/v2/base/queryfacerecord",
    call: (c, o) => c.queryFaceRecord(o), resent: false,
  },
];

describe("fault matrix: stale kept-alive sockets (Node's fetch)", { timeout: 60_000 }, () => {
  let stale;
  before(async () => {
    stale = await startSimulator({ keepAliveMs: 30_000 });
  });
  after(() => stale?.stop());

  const staleSecrets = () => [stale.secret, ...stale.issuedValues()];

  /** A reset simulator, a warm client from appId + secret, then every reused connection dropped. */
  async function warmClient(t) {
    stale.dropReusedSockets = false;
    stale.reset();
    const events = [];
    const client = new FaceIdClient({
      appId: stale.appId, secret: stale.secret, serverUrl: stale.url, kycUrl: stale.url, timeoutMs: 2000,
      retryDelayMs: 5, maxRetryDelayMs: 20, onEvent: (e) => events.push(e),
    });
    assert.equal((await client.faceResult(newOrder("warm"))).ok, true, "the warm-up call");
    await sleep(50); // the warm-up's connections back in Node's pool, idle
    stale.dropReusedSockets = true;
    t.after(() => void (stale.dropReusedSockets = false));
    events.length = 0;
    return { client, events };
  }

  /** The nonce a logged request carried (GET: the query; POST: the body). */
  const nonceOf = (entry) => entry.query.nonce ?? entry.body?.nonce;

  for (const c of SOCKET_CELLS) {
    const name = c.resent ? `stale socket: ${c.cell} is sent again once, at once, with a new nonce`
      : `stale socket: ${c.cell} is not sent again (NETWORK)`;
    test(name, async (t) => {
      const { client, events } = await warmClient(t);
      const orderNo = newOrder("stale");
      const result = await outcome(() => c.call(client, orderNo));
      const log = stale.requests({ orderNo });
      const retries = events.filter((e) => e.type === "retry");
      const requests = events.filter((e) => e.type === "request" && e.path === c.path);
      if (c.resent) {
        assert.ok(!result.error, `${c.cell}: ${result.error?.code}: ${result.error?.message}`);
        assert.equal(result.value.ok, true, `${c.cell}: ${result.value.code} ${result.value.msg}`);
        assert.ok(result.ms < 1000, `${c.cell}: took ${result.ms} ms (no backoff expected)`);
        assert.deepEqual(log.map((e) => e.verdict), ["dropped", "ok"], `${c.cell}: the simulator's log`);
        assert.notEqual(log[1].connection, log[0].connection, "sent again on another connection");
        assert.notEqual(nonceOf(log[1]), nonceOf(log[0]), "a new nonce");
        assert.notEqual(log[1].query.sign, log[0].query.sign, "a new signature");
        assert.deepEqual(retries, [{
          type: "retry", endpoint: c.endpoint, orderNo, reason: "socket", method: "GET", path: c.path, error: "NETWORK",
          attempt: 1, delayMs: 0,
        }]);
        assert.deepEqual(requests.map((e) => [e.status, e.error]), [[null, "NETWORK"], [200, undefined]]);
        assertNoLeakIn(c.cell, staleSecrets(), JSON.stringify(result.value));
      } else {
        assert.ok(result.error instanceof FaceIdError, `${c.cell}: expected NETWORK, got ${JSON.stringify(result.value?.code)}`);
        assert.equal(result.error.code, "NETWORK", result.error.message);
        assert.match(result.error.message, /UND_ERR_SOCKET|ECONNRESET|EPIPE/);
        assert.doesNotMatch(result.error.message, /sent again/);
        assert.deepEqual(log.map((e) => e.verdict), ["dropped"], `${c.cell}: one attempt, on the dropped connection`);
        assert.deepEqual(retries, [], "no retry event");
        assert.deepEqual(requests.map((e) => [e.status, e.error]), [[null, "NETWORK"]]);
        assertNoLeakIn(c.cell, staleSecrets(), errorText(result.error));
      }
      assert.deepEqual(events.at(-1).type, c.resent ? "result" : "failure");
      // The next call works, once the server stops dropping (with dropping
      // on, Node's pool may hold two idle connections by now, and a resend
      // that meets a second stale one fails: one resend is the rule).
      stale.dropReusedSockets = false;
      assert.equal((await c.call(client, orderNo)).ok, true, `${c.cell}: the next call`);
      const stats = stale.refreshStats();
      assert.deepEqual([stats.accessTokens, stats.signTickets, stats.overlaps, stats.deadUses], [1, 1, 0, 0]);
      assertNoLeakIn(c.cell, staleSecrets(), JSON.stringify(events), JSON.stringify(client.ticketStatus()));
    });
  }

  test("stale socket: a ticket GET (a NONCE ticket) is sent again once, at once", async (t) => {
    const { client, events } = await warmClient(t);
    const before = stale.requests({ endpoint: "api_ticket" }).length;
    const ticket = await client.nonceTicket("alice");
    assert.equal(typeof ticket, "string");
    const log = stale.requests({ endpoint: "api_ticket" }).slice(before);
    assert.deepEqual(log.map((e) => [e.verdict, e.query.type]), [["dropped", "NONCE"], ["ok", "NONCE"]]);
    assert.notEqual(log[1].connection, log[0].connection);
    assert.deepEqual(events.filter((e) => e.type === "retry"), [{
      type: "retry", reason: "socket", method: "GET", path: "/api/oauth2/api_ticket", error: "NETWORK", attempt: 1, delayMs: 0,
    }]);
    const stats = stale.refreshStats();
    assert.deepEqual([stats.accessTokens, stats.signTickets, stats.nonceTickets, stats.overlaps], [1, 1, 1, 0]);
    assert.deepEqual(stale.useNonceTicket(ticket, "alice"), { ok: true, reason: null }, "the one ticket issued works");
    assertNoLeakIn("nonce ticket", staleSecrets(), JSON.stringify(events));
  });
});

function assertNoLeakIn(label, secrets, ...texts) {
  assert.deepEqual(leaksIn(texts.join("\n"), secrets), [], `${label}: a secret value shows`);
}
