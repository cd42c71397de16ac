// Ticket ownership in a real workerd (docs/protocol.md#access-token-and-tickets:
// for Workers, a Durable Object): the package's TicketOwner Durable Object lives in the "main"
// worker service, two more worker services ("a", "b") bind the same namespace
// (durableObjectNamespace = (className = "TicketOwner", serviceName = "main")),
// and every service's FaceIdClient reads the SIGN ticket through the owner
// (`ticketOwner: env.TICKET_OWNER`). The simulator, behind a recording proxy
// (lib/tickets-fixtures.mjs), counts every refresh. Also: the owner's alarm
// refreshes with no traffic, a restarted workerd (new Durable Object, new
// isolates) reuses the stored ticket, NONCE tickets come through the owner,
// no credential ever leaves the worker, and what the owner read costs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../sim/index.mjs";
import { installedPackage, tempDir } from "./lib/package.mjs";
import { alternating, leaksIn, percentile, refreshIssues, startProxy } from "./lib/tickets-fixtures.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

// One source for every service; only "main" defines (re-exports) the class.
const worker = ({ owner }) => `import { FaceIdClient, FaceIdError } from "faceid-edge";
${owner ? 'export { TicketOwner } from "faceid-edge";' : ""}

let shared; // one client per isolate: it keeps the owner's ticket at most 60 s
const fixed = new Map();
const settings = (env) => ({ appId: env.FACEID_APP_ID, serverUrl: env.SIM_URL, kycUrl: env.SIM_URL, timeoutMs: 5000 });
const ownerClient = (env) => shared ??= new FaceIdClient({ ...settings(env), ticketOwner: env.TICKET_OWNER, ticketErrorCodes: ["400104"] });

function client(mode, env, request) {
  if (mode === "owner") return ownerClient(env);
  // A new client per request: every query reads through the Durable Object.
  if (mode === "fresh") return new FaceIdClient({ ...settings(env), ticketOwner: env.TICKET_OWNER });
  // A fixed ticket (the benchmark's baseline), given by the test.
  const ticket = request.headers.get("x-ticket");
  if (!fixed.has(ticket)) fixed.set(ticket, new FaceIdClient({ ...settings(env), ticket }));
  return fixed.get(ticket);
}

const hex = async (text) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
  (b) => b.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const mode = q.get("mode") ?? "owner";
    try {
      switch (url.pathname) {
        case "/query": {
          const r = await client(mode, env, request).faceResult(q.get("orderNo"));
          return Response.json({ ok: r.ok, code: r.code, msg: r.msg, orderNo: r.orderNo });
        }
        case "/queries": { // n concurrent queries inside one request
          const c = client(mode, env, request);
          const n = Number(q.get("n"));
          const rs = await Promise.all(Array.from({ length: n }, (_, i) => c.faceResult(q.get("tag") + "n" + i)));
          return Response.json({ codes: rs.map((r) => r.code) });
        }
        case "/signed": { // n signed requests, nothing sent: the cost of getting the ticket and signing
          const n = Number(q.get("n"));
          // "fresh": a new client per call, so each one reads through the Durable Object.
          for (let i = 0; i < n; i++) await client(mode, env, request).signedRequest("faceResult", "bench" + i);
          return Response.json({ n });
        }
        case "/nonce": {
          // The NONCE ticket is used here (the H5 login's part, via the simulator's control API)
          // and only its digest leaves the worker.
          const value = await ownerClient(env).nonceTicket(q.get("userId"));
          const use = await (await fetch(env.SIM_URL + "/__sim/nonce-tickets/use", {
            method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify({ value, userId: q.get("useAs") ?? q.get("userId") }),
          })).json();
          return Response.json({ digest: await hex(value), length: value.length, use });
        }
        case "/status": return Response.json(ownerClient(env).ticketStatus());
        case "/dump": return new Response(JSON.stringify(ownerClient(env)) + "\\n" + String(ownerClient(env)));
        case "/owner": { // what the Durable Object itself answers (the test reads only non-secret paths)
          const stub = env.TICKET_OWNER.get(env.TICKET_OWNER.idFromName(env.FACEID_APP_ID));
          const r = await stub.fetch("https://owner" + q.get("path"));
          return new Response(await r.text(), { status: r.status });
        }
        default: return Response.json({ ready: true });
      }
    } catch (e) {
      return Response.json({ error: { name: e?.name, code: e?.code, message: String(e?.message ?? e),
        stack: String(e?.stack), isFaceIdError: e instanceof FaceIdError } }, { status: 500 });
    }
  },
};
`;

const projectDir = installedPackage().projectDir;
const T = { timeout: 40_000 };
const answers = []; // every raw answer from every worker, for the leak check
const outputs = []; // workerd's own output
const proxies = [];
const sims = [];

/**
 * workerd with the owner in "main" and `clients` more services on the same
 * namespace. `env`: extra bindings of the owner (e.g. FACEID_REFRESH_INTERVAL_MS).
 */
async function startOwner(sim, proxy, { clients = ["a", "b"], env = {}, storage, dir } = {}) {
  const common = [{ name: "FACEID_APP_ID", text: sim.appId }, { name: "SIM_URL", text: proxy.url }];
  return startWorkerd({
    projectDir,
    dir,
    workerSource: worker({ owner: true }),
    bindings: [
      ...common,
      { name: "FACEID_SECRET", text: sim.secret },
      { name: "FACEID_SERVER_URL", text: proxy.url },
      ...Object.entries(env).map(([name, text]) => ({ name, text: String(text) })),
    ],
    durableObjects: [{ className: "TicketOwner", binding: "TICKET_OWNER", uniqueKey: "faceid-edge-ticket-owner" }],
    durableObjectStorage: storage,
    workers: clients.map((name) => ({
      name,
      workerSource: worker({ owner: false }),
      bindings: [...common, { name: "TICKET_OWNER", durableObjectNamespace: { className: "TicketOwner", serviceName: "main" } }],
    })),
  });
}

async function get(base, path, headers = {}) {
  const response = await fetch(base + path, { headers, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  answers.push(text);
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
  }
}

async function simAndProxy(options = {}) {
  const sim = await startSimulator(options);
  const proxy = await startProxy(sim.url);
  sims.push(sim);
  proxies.push(proxy);
  return { sim, proxy };
}

after(async () => {
  for (const p of proxies) await p.close();
  for (const s of sims) await s.stop();
});

describe("one TicketOwner, three worker services", () => {
  let sim;
  let proxy;
  let wd;
  before(async () => {
    ({ sim, proxy } = await simAndProxy({ issueDelayMs: 150 }));
    wd = await startOwner(sim, proxy);
  });
  after(async () => {
    outputs.push(wd?.output() ?? "");
    await wd?.stop();
  });

  test("many concurrent requests across the services: exactly one access_token and one SIGN ticket", T, async (t) => {
    assert.deepEqual(Object.keys(wd.urls).sort(), ["a", "b", "main"]);
    const services = Object.values(wd.urls);
    const requests = [];
    for (let i = 0; i < 120; i++) requests.push(get(services[i % 3], `/query?orderNo=many${i}`));
    for (const [s, base] of services.entries()) requests.push(get(base, `/queries?n=30&tag=inner${s}`));
    const results = await Promise.all(requests);
    for (const { status, body } of results.slice(0, 120)) assert.equal(body.ok, true, `${status} ${JSON.stringify(body)}`);
    for (const { body } of results.slice(120)) assert.deepEqual(new Set(body.codes), new Set(["0"]), JSON.stringify(body));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 1, "access_token requests");
    assert.equal(stats.signTickets, 1, "SIGN api_ticket requests");
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
    assert.equal(proxy.maxConcurrentOauth, 1);
    assert.equal(sim.requests({ path: "/api/server/sync" }).filter((e) => e.verdict === "ok").length, 210);
    // Every isolate has it now; the owner refreshed once.
    for (const base of services) {
      const { body } = await get(base, "/status");
      assert.equal(body.source, "ticketOwner");
      assert.equal(body.hasTicket, true, JSON.stringify(body));
      assert.ok(body.cachedAgeMs >= 0 && body.cachedAgeMs < 60_000);
      assert.ok(body.ticketExpiresInMs > 3_500_000);
      assert.equal(body.lastError, null);
    }
    const owner = await get(wd.url, "/owner?path=/status");
    assert.equal(owner.body.refreshes, 1, JSON.stringify(owner.body));
    assert.equal(owner.body.failures, 0);
    t.diagnostic(`210 queries in 3 services → ${stats.accessTokens} access_token, ${stats.signTickets} SIGN`);
  });

  test("NONCE tickets through the owner: fresh per call, single use, for its user, no new token", T, async () => {
    const tokens = sim.refreshStats().accessTokens;
    const one = await get(wd.urls.a, "/nonce?userId=userwd1");
    const two = await get(wd.urls.b, "/nonce?userId=userwd1");
    for (const r of [one, two]) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.use, { ok: true, reason: null });
    }
    assert.notEqual(one.body.digest, two.body.digest, "a new NONCE ticket per call");
    const digests = [...proxy.seen.nonceTickets].map((v) => createHash("sha256").update(v).digest("hex"));
    assert.ok(digests.includes(one.body.digest) && digests.includes(two.body.digest));
    const wrongUser = await get(wd.urls.main, "/nonce?userId=userwd2&useAs=userwd3");
    assert.equal(wrongUser.body.use.reason, "wrong user");
    assert.equal(sim.refreshStats().nonceTickets, 3);
    assert.equal(sim.refreshStats().accessTokens, tokens, "minted from the owner's token");
    for (const bad of ["", "u".repeat(31), "a%20b", "a.b"]) {
      const r = await get(wd.urls.a, `/nonce?userId=${bad}`);
      assert.equal(r.status, 500);
      assert.equal(r.body.error.code, "INVALID_USER_ID", JSON.stringify(r.body));
      assert.equal(r.body.error.isFaceIdError, true);
    }
    assert.equal(sim.refreshStats().nonceTickets, 3, "nothing fetched for a bad userId");
  });

  test("a ticket the service refuses is replaced once by the owner, for every service", T, async () => {
    // Another owner refreshes behind the Durable Object's back; 61 s later its ticket is dead.
    sim.advance(1500);
    const before = sim.refreshStats();
    const oauth = (path) => fetch(`${proxy.url}/api/oauth2/${path}&version=1.0.0`).then((r) => r.json());
    const token = await oauth(`access_token?app_id=${sim.appId}&secret=${encodeURIComponent(sim.secret)}&grant_type=client_credential`);
    assert.equal((await oauth(`api_ticket?app_id=${sim.appId}&access_token=${token.access_token}&type=SIGN`)).code, "0");
    sim.advance(61_000);
    const results = await Promise.all(Object.values(wd.urls).flatMap((base, s) =>
      Array.from({ length: 10 }, (_, i) => get(base, `/query?orderNo=renew${s}x${i}`))));
    for (const { body } of results) assert.equal(body.ok, true, JSON.stringify(body));
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens - before.accessTokens, 2, "the rogue's and exactly one by the owner");
    assert.equal(stats.signTickets - before.signTickets, 2);
    assert.equal(stats.overlaps, 0);
  });

  test("cost of reading the ticket through the owner vs a fixed ticket (printed for the bench)", T, async () => {
    const base = wd.urls.a;
    const fixedTicket = { "x-ticket": sim.ticket };
    const time = async (path, headers) => {
      const t0 = process.hrtime.bigint();
      const r = await get(base, path, headers);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if ("ok" in r.body) assert.equal(r.body.ok, true, JSON.stringify(r.body));
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const modes = { fixed: fixedTicket, owner: {}, fresh: {} };
    const ROUNDS = 150;
    const query = { fixed: [], owner: [], fresh: [] };
    for (const m of Object.keys(modes)) await time(`/query?mode=${m}&orderNo=warm${m}`, modes[m]);
    for (let i = 0; i < ROUNDS; i++) {
      for (const m of Object.keys(modes)) query[m].push(await time(`/query?mode=${m}&orderNo=b${m}${i}`, modes[m]));
    }
    // In-worker: N signedRequests (nothing sent), minus an empty request.
    const N = 100;
    const signed = {};
    for (const m of Object.keys(modes)) {
      const empty = [];
      const full = [];
      for (let i = 0; i < 15; i++) {
        empty.push(await time(`/signed?mode=${m}&n=0`, modes[m]));
        full.push(await time(`/signed?mode=${m}&n=${N}`, modes[m]));
      }
      signed[m] = Math.max(0, (percentile(full, 50) - percentile(empty, 50)) / N);
    }
    const med = (m) => percentile(query[m], 50);
    const p90 = (m) => percentile(query[m], 90);
    const report = {
      queryMedianMs: { fixed: med("fixed"), ownerCached: med("owner"), ownerEveryQuery: med("fresh") },
      queryP90Ms: { fixed: p90("fixed"), ownerCached: p90("owner"), ownerEveryQuery: p90("fresh") },
      addedByOwnerCachedMs: med("owner") - med("fixed"),
      addedByOwnerReadMs: med("fresh") - med("fixed"),
      // Per call, inside one request: a fixed ticket, the isolate's cached copy, a Durable Object read each time.
      perSignedRequestMs: { fixed: signed.fixed, ownerCached: signed.owner, ownerReadEveryCall: signed.fresh },
    };
    const round = (v) => (typeof v === "number" ? Math.round(v * 1000) / 1000 : v);
    const text = JSON.stringify(report, (k, v) => round(v));
    console.log(`tickets.workerd bench: ${text}`);
    assert.equal(sim.refreshStats().overlaps, 0);
    // The isolate cache makes the owner path about as cheap as a fixed ticket.
    assert.ok(report.addedByOwnerCachedMs < 2, `the cached owner path adds ${report.addedByOwnerCachedMs} ms`);
  });

  test("what the outside sees of a client and of the owner: settings and ages, never a value", T, async () => {
    const raw = await fetch(`${wd.urls.b}/dump`);
    const dumped = await raw.text();
    answers.push(dumped);
    const [json] = dumped.split("\n");
    assert.deepEqual(JSON.parse(json), { appId: sim.appId, version: "1.0.0", serverUrl: proxy.url, kycUrl: proxy.url, ticketSource: "ticketOwner" });
    const status = await get(wd.urls.b, "/status");
    // One shape whatever the source.
    assert.deepEqual(Object.keys(status.body).sort(), ["abandonedRefreshes", "cachedAgeMs", "failures", "hasTicket", "lastError", "lastRefreshAt", "nextRefreshInMs", "refreshes", "refreshing", "retryInMs", "source", "storeError", "storeReadAgeMs", "ticketAgeMs", "ticketExpiresInMs", "tokenAgeMs", "tokenExpiresInMs"]);
    assert.equal(status.body.source, "ticketOwner");
    const owner = await get(wd.url, "/owner?path=/status");
    assert.equal(owner.body.source, "secret");
    assert.equal(owner.body.hasTicket, true);
    const unknown = await get(wd.url, "/owner?path=/nope");
    assert.equal(unknown.status, 404);
    assert.ok(proxy.seen.tokens.size >= 2 && proxy.seen.signTickets.size >= 2, "the leak check below knows several of each");
  });
});

describe("the owner's alarm and storage", () => {
  test("the alarm refreshes with no traffic (FACEID_REFRESH_INTERVAL_MS 1500), one refresh at a time", T, async (t) => {
    const { sim, proxy } = await simAndProxy();
    const wd = await startOwner(sim, proxy, { clients: ["a"], env: { FACEID_REFRESH_INTERVAL_MS: 1500 } });
    try {
      assert.equal((await get(wd.urls.a, "/query?orderNo=alarm0")).body.ok, true);
      const t0 = Date.now();
      await sleep(5000); // no traffic at all
      const tokenTimes = alternating(refreshIssues(sim));
      const gaps = tokenTimes.slice(1).map((at, i) => at - tokenTimes[i]);
      assert.ok(tokenTimes.length >= 3, `${tokenTimes.length} refreshes in ${Date.now() - t0} ms idle: ${gaps}`);
      for (const g of gaps) assert.ok(g >= 1400 && g < 3000, `gap ${g} ms (${gaps})`);
      assert.equal(sim.refreshStats().overlaps, 0);
      assert.equal(sim.refreshStats().deadUses, 0);
      // The isolate's copy is older than the owner's now, but still alive in the service: queries work.
      assert.equal((await get(wd.urls.a, "/query?orderNo=alarm1")).body.ok, true);
      assert.equal((await get(wd.urls.a, "/query?mode=fresh&orderNo=alarm2")).body.ok, true);
      const owner = await get(wd.url, "/owner?path=/status");
      assert.equal(owner.body.refreshes, tokenTimes.length);
      t.diagnostic(`${tokenTimes.length} refreshes with no traffic, gaps ${gaps.join("/")} ms`);
    } finally {
      outputs.push(wd.output());
      await wd.stop();
    }
  });

  test("an alarm refresh that fails keeps serving the still-valid ticket",
    T,
    async () => {
      const { sim, proxy } = await simAndProxy();
      const wd = await startOwner(sim, proxy, { clients: ["a"], env: { FACEID_REFRESH_INTERVAL_MS: 1500 } });
      try {
        assert.equal((await get(wd.urls.a, "/query?mode=fresh&orderNo=afail0")).body.ok, true);
        proxy.failOauth = 503; // the service's OAuth is down; the ticket stays valid for an hour
        await sleep(2500); // the alarm has tried (and failed)
        assert.ok(proxy.oauth.failed >= 1, "the alarm tried");
        const r = await get(wd.urls.a, "/query?mode=fresh&orderNo=afail1");
        assert.equal(r.body.ok, true, JSON.stringify(r.body));
        const owner = await get(wd.url, "/owner?path=/status");
        assert.equal(owner.body.hasTicket, true, JSON.stringify(owner.body));
        assert.ok(owner.body.failures >= 1);
      } finally {
        outputs.push(wd.output());
        await wd.stop();
      }
    });

  test("a restarted workerd (new Durable Object, new isolates) reuses the stored ticket", T, async () => {
    const { sim, proxy } = await simAndProxy();
    const storage = { localDisk: tempDir("do-storage") };
    const first = await startOwner(sim, proxy, { storage });
    try {
      assert.equal((await get(first.urls.a, "/query?orderNo=restart0")).body.ok, true);
    } finally {
      outputs.push(first.output());
      await first.stop();
    }
    assert.equal(sim.refreshStats().accessTokens, 1);
    const ticket = sim.ticket;
    const second = await startOwner(sim, proxy, { storage });
    try {
      const rs = await Promise.all(["main", "a", "b"].map((s, i) => get(second.urls[s], `/query?orderNo=restart${i + 1}`)));
      for (const r of rs) assert.equal(r.body.ok, true, JSON.stringify(r.body));
      const stats = sim.refreshStats();
      assert.equal(stats.accessTokens, 1, "no new token after the restart");
      assert.equal(stats.signTickets, 1, "no new SIGN ticket after the restart");
      assert.equal(sim.ticket, ticket);
      const owner = await get(second.url, "/owner?path=/status");
      assert.equal(owner.body.hasTicket, true);
      // Adopted from storage: not a refresh of this owner's, but it says when it was made.
      assert.equal(owner.body.refreshes, 0, "no refresh by the restarted owner");
      assert.equal(typeof owner.body.lastRefreshAt, "number", "the stored refresh's time");
    } finally {
      outputs.push(second.output());
      await second.stop();
    }
  });
});

test("no secret, token or ticket in any answer of any worker, nor in workerd's output", () => {
  const values = [...proxies.flatMap((p) => p.values()), ...sims.map((s) => s.secret)];
  assert.ok(values.length >= 10, `${values.length} values`);
  assert.ok(answers.length > 300, `${answers.length} answers`);
  for (const a of answers) assert.deepEqual(leaksIn(a, values), [], a.slice(0, 300));
  for (const o of outputs) assert.deepEqual(leaksIn(o, values), [], "workerd output");
});
