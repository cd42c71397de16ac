// The fault matrix's Durable Object cells in a real workerd (RELIABILITY.md
// "Fault matrix"): the package's TicketOwner, subclassed only to inject a
// fault into one request: its fetch throws, or it resets itself with
// ctx.abort() (workerd discards the object; the next request builds a new
// one on the same storage). Each cell: the request that meets the fault
// ends with TICKET_UNAVAILABLE within the bound, the next one works with the
// stored ticket (no new token), no overlapping refresh, no dead-ticket use,
// and no secret, token or ticket in any answer or in workerd's output.
// The same faults on the TicketOwner class in Node: faults.node.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { startOwnerWorkerd } from "./lib/edge-workerd.mjs";
import { tempDir } from "./lib/package.mjs";
import { leaksIn } from "./lib/tickets-fixtures.mjs";

const WORKER = `import { FaceIdClient, FaceIdError, TicketOwner as Base } from "faceid-edge";

// The package's owner; "/__fault?type=…" arms a fault for its next request.
export class TicketOwner extends Base {
  #state;
  #fault = null;
  constructor(ctx, env) {
    super(ctx, env);
    this.#state = ctx;
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__fault") {
      this.#fault = url.searchParams.get("type");
      return Response.json({ armed: this.#fault });
    }
    const fault = this.#fault;
    this.#fault = null;
    if (fault === "throw") throw new Error("owner failed: MARKER-7f3a");
    if (fault === "abort") this.#state.abort("reset by the fault matrix");
    return super.fetch(request);
  }
}

let shared;
const settings = (env) => ({ appId: env.FACEID_APP_ID, serverUrl: env.SIM_URL, kycUrl: env.SIM_URL, timeoutMs: 3000 });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const stub = env.TICKET_OWNER.get(env.TICKET_OWNER.idFromName(env.FACEID_APP_ID));
    try {
      if (url.pathname === "/fault") return new Response((await stub.fetch("https://owner/__fault?type=" + q.get("type"))).body);
      if (url.pathname === "/query") {
        // "fresh": a new client, as in a new isolate: it reads through the owner.
        const c = q.get("mode") === "fresh"
          ? new FaceIdClient({ ...settings(env), ticketOwner: env.TICKET_OWNER })
          : (shared ??= new FaceIdClient({ ...settings(env), ticketOwner: env.TICKET_OWNER }));
        const r = await c.faceResult(q.get("orderNo"));
        return Response.json({ ok: r.ok, code: r.code, msg: r.msg });
      }
      return Response.json({ ready: true });
    } catch (e) {
      return Response.json({ error: { code: e?.code ?? null, name: e?.name, message: String(e?.message ?? e),
        stack: String(e?.stack), isFaceIdError: e instanceof FaceIdError } }, { status: 500 });
    }
  },
};
`;

const CELLS = [
  { cell: "Durable Object throws (workerd)", fault: "throw", code: "TICKET_UNAVAILABLE", boundMs: 3000 },
  { cell: "Durable Object reset (workerd, ctx.abort())", fault: "abort", code: "TICKET_UNAVAILABLE", boundMs: 3000 },
];

let sim;
let wd;
const answers = [];

before(async () => {
  sim = await startSimulator();
  wd = await startOwnerWorkerd(sim, {
    workerSource: WORKER,
    uniqueKey: "faceid-edge-fault-matrix",
    // On disk, as in production: a reset object finds its storage again.
    durableObjectStorage: { localDisk: tempDir("do-faults") },
  });
});
after(async () => {
  await wd?.stop();
  await sim?.stop();
});

async function get(path) {
  const r = await fetch(wd.url + path, { signal: AbortSignal.timeout(20_000) });
  const text = await r.text();
  answers.push(text);
  return { status: r.status, body: JSON.parse(text) };
}

describe("fault matrix: the Durable Object in workerd", { timeout: 60_000 }, () => {
  let n = 0;
  for (const c of CELLS) {
    test(`fault matrix: ${c.cell}`, async () => {
      const tag = `wd${++n}`;
      const before = sim.refreshStats();
      assert.equal((await get(`/query?mode=fresh&orderNo=${tag}warm`)).body.ok, true, "warm-up");
      assert.equal((await get(`/fault?type=${c.fault}`)).body.armed, c.fault);
      const t0 = Date.now();
      const r = await get(`/query?mode=fresh&orderNo=${tag}hit`);
      const ms = Date.now() - t0;
      assert.equal(r.status, 500, JSON.stringify(r.body));
      assert.equal(r.body.error.isFaceIdError, true, JSON.stringify(r.body));
      assert.equal(r.body.error.code, c.code, r.body.error.message);
      assert.doesNotMatch(r.body.error.message, /MARKER/, "the owner's own error message is not echoed");
      assert.ok(ms < c.boundMs, `${ms} ms, bound ${c.boundMs} ms`);
      // The next requests work: a new isolate's client, and the isolate's shared one.
      for (const mode of ["fresh", "shared"]) {
        const next = await get(`/query?mode=${mode}&orderNo=${tag}next${mode}`);
        assert.equal(next.body.ok, true, `${mode}: ${JSON.stringify(next.body)}`);
      }
      const stats = sim.refreshStats();
      // One token and one SIGN ticket for the whole file: the first warm-up's.
      assert.equal(stats.accessTokens, 1, "the stored ticket outlived the fault");
      assert.equal(stats.signTickets, 1);
      assert.equal(stats.overlaps, 0);
      assert.equal(stats.deadUses, 0);
      assert.ok(stats.accessTokens >= before.accessTokens);
    });
  }

  test("no secret, token or ticket in any answer, nor in workerd's output", () => {
    const values = [sim.secret, ...sim.issuedValues()];
    assert.ok(sim.issuedValues().length >= 2);
    for (const a of answers) assert.deepEqual(leaksIn(a, values), [], a.slice(0, 300));
    assert.deepEqual(leaksIn(wd.output(), values), [], "workerd output");
  });
});
