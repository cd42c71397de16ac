// NONCE tickets near a token's retirement, through the TicketOwner Durable
// Object in a real workerd (docs/protocol.md#access-token-and-tickets; the
// managed client and the shared store: nonce.node.test.mjs). The owner mints
// every NONCE ticket from its own access token; a token replaced by a refresh
// dies about a minute later, and its NONCE tickets with it. So the owner never
// mints one from a token whose planned refresh is less than the ticket's 120 s
// (and a margin) away: it refreshes first, in its single flight, stores the new
// token, and mints from it.
//
// Time: the library reads its clock from Date.now. The worker below moves
// Date.now in its isolate (where the Durable Object runs too) by what
// /advance adds; the test moves the simulator's clock (sim.advance) by the same.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../sim/index.mjs";
import { startOwnerWorkerd } from "./lib/edge-workerd.mjs";
import { tempDir } from "./lib/package.mjs";
import { leaksIn } from "./lib/tickets-fixtures.mjs";

const WORKER = `import { FaceIdClient, FaceIdError } from "faceid-edge";
export { TicketOwner } from "faceid-edge";

const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset;

let client; // one per isolate: it keeps the owner's SIGN ticket at most 60 s
const person = (userId) => ({ userId, name: "张三", idNo: "11010519491231002X", callbackUrl: "https://h5.example.com/back" });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    client ??= new FaceIdClient({ appId: env.FACEID_APP_ID, ticketOwner: env.TICKET_OWNER,
      serverUrl: env.SIM_URL, kycUrl: env.SIM_URL, loginUrl: env.SIM_URL, timeoutMs: 5000 });
    const owner = env.TICKET_OWNER.get(env.TICKET_OWNER.idFromName(env.FACEID_APP_ID));
    try {
      switch (url.pathname) {
        case "/advance": offset += Number(q.get("ms")); return Response.json({ offset });
        case "/query": {
          const r = await client.faceResult(q.get("orderNo"));
          return Response.json({ ok: r.ok, code: r.code, msg: r.msg });
        }
        case "/start": { // n H5 starts at once, one user each; the login URLs go to the test (the user's browser)
          const n = Number(q.get("n") ?? 1);
          const starts = await Promise.all(Array.from({ length: n }, (_, i) =>
            client.startFace({ ...person(q.get("user") + i), orderNo: q.get("order") + i })));
          return Response.json({ urls: starts.map((s) => s.url) });
        }
        case "/owner-read": { // what an isolate whose cache ran out asks the owner (as the alarm would, it refreshes when due)
          const r = await owner.fetch("https://owner/sign-ticket?appId=" + env.FACEID_APP_ID);
          return Response.json({ status: r.status });
        }
        case "/owner-status": return new Response((await owner.fetch("https://owner/status")).body);
        default: return Response.json({ ready: true });
      }
    } catch (e) {
      return Response.json({ error: { code: e?.code, message: String(e?.message ?? e), isFaceIdError: e instanceof FaceIdError } }, { status: 500 });
    }
  },
};
`;

const REFRESH_MS = 20 * 60_000;
const T = { timeout: 60_000 };
const answers = [];
const outputs = [];
const sims = [];

async function get(base, path) {
  const response = await fetch(base + path, { signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  answers.push(text);
  const body = JSON.parse(text);
  assert.equal(response.status, 200, `${path}: ${text}`);
  return body;
}

/**
 * A simulator and the worker with its owner. `url()`: the worker's URL;
 * `advance(ms)` moves both clocks; `restart()` stops workerd and starts it
 * again (new isolate, new Durable Object, the same storage), its clock moved
 * as far as before.
 */
async function setup(t, { storage, ...simOptions } = {}) {
  const sim = await startSimulator(simOptions);
  sims.push(sim);
  let clock = 0;
  let wd;
  const start = async () => {
    wd = await startOwnerWorkerd(sim, { workerSource: WORKER, uniqueKey: "faceid-edge-nonce-owner", durableObjectStorage: storage });
    if (clock > 0) await get(wd.url, `/advance?ms=${clock}`);
  };
  const stop = async () => {
    outputs.push(wd.output());
    await wd.stop();
  };
  await start();
  t.after(stop);
  const advance = async (ms) => {
    clock += ms;
    await get(wd.url, `/advance?ms=${ms}`);
    sim.advance(ms);
  };
  const restart = async () => {
    await stop();
    await start();
  };
  return { sim, url: () => wd.url, advance, restart };
}

/** Waits until the owner runs no refresh (a due read starts one in the background). */
async function ownerIdle(url) {
  for (let i = 0; i < 100; i++) {
    const s = await get(url, "/owner-status");
    if (!s.refreshing) return s;
    await sleep(50);
  }
  throw new Error("the owner's refresh did not end");
}

async function login(sim, url) {
  const page = await sim.passFacePage(url);
  return { status: page.status, reason: page.body?.match(/id="reason">([^<]*)</)?.[1] };
}

after(async () => {
  for (const s of sims) await s.stop();
  const values = sims.flatMap((s) => s.issuedValues());
  assert.deepEqual(leaksIn(answers.join("\n") + outputs.join("\n"), values), [], "no token or ticket in any answer or in workerd's output");
});

describe("the TicketOwner never mints a NONCE ticket from a token that retires within its 120 s", () => {
  for (const n of [1, 6]) {
    test(`${n} start(s) 30 s before the owner's planned refresh: ${n === 1 ? "the login" : "every login"} 91 s later succeeds, after one refresh`, T, async (t) => {
      const { sim, url, advance } = await setup(t, { issueDelayMs: n > 1 ? 200 : 0 });
      assert.equal((await get(url(), "/query?orderNo=warm0")).ok, true); // the owner's first token and SIGN ticket
      await advance(REFRESH_MS - 30_000); // the owner's token is planned to be replaced in 30 s
      const { urls } = await get(url(), `/start?n=${n}&user=owneruser&order=owner${n}x`);
      await advance(30_000); // the planned refresh: an isolate's read (or the alarm) makes the owner refresh if due
      await get(url(), "/owner-read");
      await ownerIdle(url());
      await advance(61_000); // 91 s after the start: a token replaced at the planned refresh has died
      const pages = await Promise.all(urls.map((u) => login(sim, u)));
      assert.deepEqual(pages.filter((p) => p.status !== 302), [], "refused logins");
      const stats = sim.refreshStats();
      assert.equal(stats.accessTokens, 2, "exactly one refresh, before the NONCE tickets");
      assert.equal(stats.signTickets, 2);
      assert.equal(stats.nonceTickets, n);
      assert.equal(stats.overlaps, 0);
      assert.equal(stats.deadUses, 0);
      const tokens = stats.issues.filter((i) => i.kind === "access_token").map((i) => i.at);
      assert.ok(stats.issues.filter((i) => i.kind === "NONCE").every((i) => i.at >= tokens[1]), "every NONCE ticket from the new token");
      const owner = await get(url(), "/owner-status");
      assert.equal(owner.refreshes, 2, JSON.stringify(owner));
      assert.ok(owner.nextRefreshInMs > REFRESH_MS - 2 * 60_000, `the next refresh is planned from the new token: ${owner.nextRefreshInMs}`);
    });
  }

  test("the owner stores the token its NONCE refresh brought: after a restart it mints from it, with no refresh", T, async (t) => {
    const { sim, url, advance, restart } = await setup(t, { storage: { localDisk: tempDir("nonce-owner-storage") } });
    assert.equal((await get(url(), "/query?orderNo=warm0")).ok, true);
    await advance(REFRESH_MS - 30_000);
    const first = (await get(url(), "/start?user=storeduser&order=storedA")).urls[0];
    await restart(); // a new Durable Object: it takes back what its predecessor stored
    await advance(30_000); // the old token's planned refresh: nothing is due for the stored new one
    await get(url(), "/owner-read");
    await ownerIdle(url());
    const second = (await get(url(), "/start?user=storeduser&order=storedB")).urls[0];
    await advance(61_000);
    const pages = await Promise.all([first, second].map((u) => login(sim, u)));
    assert.deepEqual(pages.filter((p) => p.status !== 302), [], "refused logins");
    const stats = sim.refreshStats();
    assert.equal(stats.accessTokens, 2, "only the refresh before the first NONCE ticket");
    assert.equal(stats.signTickets, 2);
    assert.equal(stats.overlaps, 0);
    assert.equal(stats.deadUses, 0);
    assert.equal((await get(url(), "/owner-status")).refreshes, 0, "the restarted owner adopted the stored token");
  });
});
