// Requests that end early, in a real workerd. A "front" worker calls the
// "main" worker through a service binding and aborts the call while main is
// in the middle of a ticket refresh (the recording proxy holds the
// access_token answer back), so workerd cancels main's request and with it
// the refresh's continuation. Then main must keep working: the requests that
// follow at once, and one 10 s later, answer correctly, and the status says
// why when something failed (never an empty reason). The same for a
// background refresh (the ticket due) with and without `ctx.waitUntil`, and
// for an isolate's first read from the TicketOwner Durable Object. Last, the
// owner's alarm under a wrong secret follows the backoff.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../sim/index.mjs";
import { installedPackage } from "./lib/package.mjs";
import { refreshIssues, startProxy, TOKEN_PATH } from "./lib/tickets-fixtures.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

const MAIN = `import { FaceIdClient } from "faceid-edge";
export { TicketOwner } from "faceid-edge";

const clients = new Map(); // one client per kind per isolate
const settings = (env) => ({ appId: env.FACEID_APP_ID, serverUrl: env.SIM_URL, kycUrl: env.SIM_URL, timeoutMs: 2000 });
function client(kind, env) {
  if (!clients.has(kind)) {
    clients.set(kind, new FaceIdClient(kind === "owner"
      ? { ...settings(env), ticketOwner: env.TICKET_OWNER }
      : { ...settings(env), secret: env.FACEID_SECRET, refreshIntervalMs: kind === "due" ? 2000 : undefined }));
  }
  return clients.get(kind);
}

export default {
  async fetch(request, env, ctx) {
    const q = new URL(request.url).searchParams;
    const kind = q.get("kind") ?? "secret";
    try {
      if (new URL(request.url).pathname === "/status") return Response.json(client(kind, env).ticketStatus());
      const options = q.get("ctx") ? { ctx } : undefined;
      const r = await client(kind, env).faceResult(q.get("orderNo"), options);
      return Response.json({ ok: r.ok, code: r.code, msg: r.msg });
    } catch (e) {
      return Response.json({ error: { code: e?.code, message: String(e?.message ?? e) } }, { status: 500 });
    }
  },
};
`;

const FRONT = `export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    try {
      const r = await env.MAIN.fetch("https://main" + q.get("path"), { signal: AbortSignal.timeout(Number(q.get("ms"))) });
      return Response.json({ aborted: false, status: r.status, body: await r.text() });
    } catch (e) {
      return Response.json({ aborted: true, name: e?.name });
    }
  },
};
`;

const projectDir = installedPackage().projectDir;
const T = { timeout: 90_000 };
const cleanup = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function start({ secret, simOptions = {} } = {}) {
  const sim = await startSimulator({ graceMs: 8000, ...simOptions });
  const proxy = await startProxy(sim.url);
  const common = [{ name: "FACEID_APP_ID", text: sim.appId }, { name: "SIM_URL", text: proxy.url }];
  const wd = await startWorkerd({
    projectDir,
    workerSource: MAIN,
    bindings: [
      ...common,
      { name: "FACEID_SECRET", text: secret ?? sim.secret },
      { name: "FACEID_SERVER_URL", text: proxy.url },
      { name: "FACEID_TIMEOUT_MS", text: "2000" },
    ],
    durableObjects: [{ className: "TicketOwner", binding: "TICKET_OWNER", uniqueKey: "faceid-edge-cancel" }],
    workers: [{ name: "front", workerSource: FRONT, bindings: [{ name: "MAIN", service: "main" }] }],
    readyPath: "/status",
  });
  cleanup.push(async () => {
    await wd.stop();
    await proxy.close();
    await sim.stop();
  });
  return { sim, proxy, wd };
}

async function get(base, path) {
  const response = await fetch(base + path, { signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
}

/** Holds the next `count` access_token answers back by `ms`. */
function holdTokens(proxy, ms, count = 1) {
  let left = count;
  proxy.holdBack((url) => (url.startsWith(TOKEN_PATH) && left-- > 0 ? ms : 0));
}

/** Aborts a call from front to main after `ms`. */
async function aborted(wd, path, ms = 300) {
  const r = await get(wd.urls.front, `/?ms=${ms}&path=${encodeURIComponent(path)}`);
  return r.body;
}

function assertOk(results, what) {
  for (const r of results) assert.equal(r.body.ok, true, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

describe("a request that ends while it refreshes the ticket", () => {
  for (const kind of ["secret", "owner"]) {
    test(`${kind}: the call is aborted mid-refresh; the requests that follow, and one 10 s later, answer correctly`, T, async (t) => {
      const { sim, proxy, wd } = await start();
      holdTokens(proxy, 1500);
      const cut = await aborted(wd, `/?kind=${kind}&orderNo=${kind}A0`);
      assert.equal(cut.aborted, true, JSON.stringify(cut));
      const t0 = Date.now();
      const next = await Promise.all([1, 2, 3].map((i) => get(wd.url, `/?kind=${kind}&orderNo=${kind}A${i}`)));
      assertOk(next, "right after the aborted one");
      const waited = Date.now() - t0;
      await sleep(10_000);
      assertOk([await get(wd.url, `/?kind=${kind}&orderNo=${kind}A9`)], "10 s later");
      const status = (await get(wd.url, `/status?kind=${kind}`)).body;
      assert.equal(status.hasTicket, true, JSON.stringify(status));
      assert.equal(status.refreshing, false, JSON.stringify(status));
      assert.equal(sim.refreshStats().deadUses, 0);
      t.diagnostic(`the first requests after the abort waited ${waited} ms; status ${JSON.stringify(status)}`);
    });
  }

  test("secret: a background refresh (ticket due) cut with its request is replaced; with ctx.waitUntil it completes", T, async (t) => {
    const { sim, proxy, wd } = await start();
    assertOk([await get(wd.url, "/?kind=due&orderNo=due0")], "first");
    await sleep(2200); // due (refreshIntervalMs 2000)
    holdTokens(proxy, 1500);
    // The request ends at once (it uses the still-valid ticket); nothing keeps its refresh alive.
    const r = await aborted(wd, "/?kind=due&orderNo=due1", 300);
    assert.ok(r.aborted || JSON.parse(r.body).ok === true, JSON.stringify(r));
    const results = [];
    for (let i = 0; i < 20; i++) {
      results.push(await get(wd.url, `/?kind=due&orderNo=dueB${i}`));
      await sleep(500);
    }
    assertOk(results, "after the cut background refresh");
    let status = (await get(wd.url, "/status?kind=due")).body;
    assert.equal(status.hasTicket, true, JSON.stringify(status));
    assert.ok(status.refreshes >= 2, `the refresh was done again: ${JSON.stringify(status)}`);
    assert.equal(sim.refreshStats().deadUses, 0, "the token the cut refresh minted did not retire our ticket unseen");
    // With ctx: the front gives up, but waitUntil keeps the refresh going.
    await sleep(2200);
    const before = status.refreshes;
    holdTokens(proxy, 1000);
    await aborted(wd, "/?kind=due&ctx=1&orderNo=dueC0", 300);
    await sleep(1800);
    status = (await get(wd.url, "/status?kind=due")).body;
    assert.equal(status.refreshes, before + 1, `completed under waitUntil: ${JSON.stringify(status)}`);
    assert.equal(status.abandonedRefreshes, 1, "only the cut one was abandoned");
    assert.equal(sim.refreshStats().deadUses, 0);
    assert.equal(sim.refreshStats().overlaps, 0);
    t.diagnostic(JSON.stringify(status));
  });
});

test("the TicketOwner's alarm with a wrong secret: attempts over a minute stay within the backoff", { timeout: 120_000 }, async (t) => {
  const { sim, proxy, wd } = await start({ secret: "WrongSecretWrongSecretWrongSecre" });
  const first = await get(wd.url, "/?kind=owner&orderNo=wrong0");
  assert.equal(first.status, 500);
  assert.equal(first.body.error.code, "TICKET_UNAVAILABLE");
  assert.match(first.body.error.message, /400104|refused the access token/);
  const t0 = Date.now();
  await sleep(60_000);
  // The schedule: 1 s, doubling (half of it at the least with jitter),
  // capped at minutes; an alarm never sooner than 1 s. Attempts at about
  // 0, 1, 2, 4, 8, 16, 32 s at the most: 7 within the minute.
  assert.ok(proxy.oauth.token >= 4, `it kept retrying: ${proxy.oauth.token}`);
  assert.ok(proxy.oauth.token <= 7, `${proxy.oauth.token} access_token requests in ${Date.now() - t0} ms`);
  assert.equal(refreshIssues(sim).length, 0);
  const again = await get(wd.url, "/?kind=owner&orderNo=wrong1");
  assert.equal(again.body.error.code, "TICKET_UNAVAILABLE");
  assert.ok(again.body.error.message.length > 60, again.body.error.message);
  t.diagnostic(`${proxy.oauth.token} token attempts in a minute; then: ${again.body.error.message}`);
});
