// Recovery from a WebAssembly trap in a real workerd (RELIABILITY.md "Wasm
// traps"): one isolate, a Worker and the package's TicketOwner Durable Object
// (subclassed only to trap on request), against the loopback simulator. A
// trap is made the way a memory-safety bug would make one: an object's
// pointer is overwritten (`__wbg_ptr` = 0xFFFFFFF0) and its next method
// reads out of bounds. The request that meets a trap ends with FaceIdError
// INTERNAL (in the Worker, inside a promise reaction of the edge handler, in
// the Durable Object), a request in flight in the dead instance too, and
// every later request in the same isolate answers correctly: plain calls,
// the isolate's FaceIdClient querying through the owner, the edge handler.
// The owner keeps its stored ticket through every trap: the simulator
// issues one access token and one SIGN ticket for the whole file.
// The same in Node: trap.node.test.mjs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { expectedFace, referenceSign } from "./lib/client-fixtures.mjs";
import { startOwnerWorkerd } from "./lib/edge-workerd.mjs";
import { tempDir } from "./lib/package.mjs";
import { leaksIn } from "./lib/tickets-fixtures.mjs";

const WORKER = `import {
  FaceIdClient, FaceIdError, TicketManager, TicketOwner as Base, codeInfo, createEdgeHandler, decodeMedia,
  nonce, sign, signValues, verifySign,
} from "faceid-edge";

/** Makes a call into WebAssembly trap, as a memory-safety bug would: an overwritten pointer. */
function trap() {
  const victim = new TicketManager({ appId: "IDAvictim", secret: "victim-secret-0123456789abcdef" });
  victim.__wbg_ptr = 0xfffffff0;
  victim.status();
}

const describe = (e) => ({ code: e?.code ?? null, name: e?.name, message: String(e?.message ?? e),
  isFaceIdError: e instanceof FaceIdError, cause: e?.cause?.constructor?.name ?? null });

function caught(fn) {
  try {
    fn();
    return { error: null };
  } catch (e) {
    return { error: describe(e) };
  }
}

// The package's owner; "/__trap" makes a call trap inside the Durable Object.
export class TicketOwner extends Base {
  async fetch(request) {
    if (new URL(request.url).pathname === "/__trap") return Response.json(caught(trap));
    return super.fetch(request);
  }
}

let client;
let handler;
const ORDER_TOKEN_KEY = "k".repeat(40);

function setUp(env) {
  client ??= new FaceIdClient({ appId: env.FACEID_APP_ID, serverUrl: env.SIM_URL, kycUrl: env.SIM_URL,
    ticketOwner: env.TICKET_OWNER, timeoutMs: 10000 });
  handler ??= createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done.html" });
}

/** A result through the edge handler, behind an order token. */
async function viaHandler(orderNo) {
  const { orderToken } = handler.issueOrderToken("face", orderNo, {});
  const res = await handler(new Request("https://worker.example/faceid/result?orderNo=" + orderNo, {
    headers: { authorization: "Bearer " + orderToken } }));
  return { status: res.status, body: await res.json() };
}

export default {
  async fetch(request, env) {
    setUp(env);
    const url = new URL(request.url);
    const q = url.searchParams;
    const orderNo = q.get("orderNo");
    try {
      switch (url.pathname) {
        case "/check": {
          const n = nonce();
          const values = ["b", "a", "中文", n];
          const signature = signValues(values);
          const [photo] = decodeMedia({ photo: "/9j/4AECAw==" });
          const query = await client.faceResult(orderNo);
          const edge = await viaHandler(orderNo + "e");
          return Response.json({
            nonce: n, sign: sign({ appId: env.FACEID_APP_ID, orderNo, ticket: "T".repeat(64), nonce: n }),
            signature, verified: verifySign(values, signature), codeInfo: codeInfo("0").kind, mime: photo.mime,
            query: { ok: query.ok, orderNo: query.orderNo, result: query.result }, edge,
          });
        }
        case "/trap":
          return Response.json(caught(trap));
        case "/trap-reaction": {
          // The handler reads request.url in its task, run from a promise
          // reaction: the getter traps there, far from the call site.
          class TrappingRequest extends Request {
            get url() {
              trap();
              return super.url;
            }
          }
          try {
            const res = await handler(new TrappingRequest("https://worker.example/faceid/result?orderNo=x1"));
            return Response.json({ error: null, status: res.status });
          } catch (e) {
            return Response.json({ error: describe(e) });
          }
        }
        case "/trap-owner": {
          const stub = env.TICKET_OWNER.get(env.TICKET_OWNER.idFromName(env.FACEID_APP_ID));
          return new Response((await stub.fetch("https://owner/__trap")).body);
        }
        case "/query": {
          try {
            const r = await client.faceResult(orderNo);
            return Response.json({ error: null, ok: r.ok });
          } catch (e) {
            return Response.json({ error: describe(e) });
          }
        }
      }
      return Response.json({ ready: true });
    } catch (e) {
      return Response.json({ unexpected: describe(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
`;

let sim;
let wd;
const answers = [];

before(async () => {
  sim = await startSimulator();
  wd = await startOwnerWorkerd(sim, {
    workerSource: WORKER,
    uniqueKey: "faceid-edge-trap",
    durableObjectStorage: { localDisk: tempDir("do-trap") },
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
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

let seq = 0;
/** One request that checks every call; `rounds` of them. */
async function assertAllWorks(rounds = 5) {
  for (let i = 0; i < rounds; i++) {
    const orderNo = `trapcheck${++seq}`;
    const b = await get(`/check?orderNo=${orderNo}`);
    assert.match(b.nonce, /^[A-Za-z0-9]{32}$/);
    assert.equal(b.sign, referenceSign([sim.appId, orderNo, "1.0.0", "T".repeat(64), b.nonce]));
    assert.equal(b.signature, referenceSign(["b", "a", "中文", b.nonce]));
    assert.equal(b.verified, true);
    assert.equal(b.codeInfo, "success");
    assert.equal(b.mime, "image/jpeg");
    assert.equal(b.query.ok, true, JSON.stringify(b.query));
    assert.equal(b.query.orderNo, orderNo);
    for (const [k, v] of Object.entries(expectedFace(orderNo))) assert.equal(b.query.result[k], v, k);
    assert.equal(b.edge.status, 200, JSON.stringify(b.edge));
    assert.equal(b.edge.body.ok, true);
    assert.equal(b.edge.body.orderNo, `${orderNo}e`);
  }
}

function assertInternal(error) {
  assert.ok(error, "expected FaceIdError INTERNAL, got no error");
  assert.equal(error.isFaceIdError, true, JSON.stringify(error));
  assert.equal(error.code, "INTERNAL", JSON.stringify(error));
  assert.match(error.message, /trapped.*replaced/);
}

test("workerd: one isolate goes on after traps in the Worker, in a promise reaction and in the Durable Object", { timeout: 120_000 }, async () => {
  await assertAllWorks(2);
  const warm = sim.refreshStats();
  assert.equal(warm.signTickets, 1);

  // A trap in a call of the Worker.
  const sync = await get("/trap");
  assertInternal(sync.error);
  assert.equal(sync.error.cause, "RuntimeError");
  await assertAllWorks(10);

  // A trap inside a promise reaction (the edge handler's task).
  assertInternal((await get("/trap-reaction")).error);
  await assertAllWorks(10);

  // A request in flight when another one traps: it ends with INTERNAL too.
  sim.setOrder("trapslow1", { fault: { type: "slow", delayMs: 1500 } });
  const slow = get("/query?orderNo=trapslow1");
  while (sim.requests({ orderNo: "trapslow1" }).length < 1) await new Promise((r) => setTimeout(r, 10));
  assertInternal((await get("/trap")).error);
  assertInternal((await slow).error);
  // Its stalled answer arrives now, to a closure of the dead instance.
  await new Promise((r) => setTimeout(r, 2000));
  await assertAllWorks(5);

  // A trap inside the TicketOwner: it goes on with its stored ticket.
  assertInternal((await get("/trap-owner")).error);
  await assertAllWorks(10);

  const stats = sim.refreshStats();
  assert.equal(stats.accessTokens, warm.accessTokens, "the owner kept its token through every trap");
  assert.equal(stats.signTickets, warm.signTickets, "the owner kept its SIGN ticket through every trap");
  assert.equal(stats.overlaps, 0);
  assert.equal(stats.deadUses, 0);
});

test("workerd: no uncaught error in its output, and no secret, token or ticket anywhere", () => {
  assert.doesNotMatch(wd.output(), /Uncaught|RuntimeError|unreachable|out of bounds/i);
  const values = [sim.secret, ...sim.issuedValues()];
  for (const a of answers) assert.deepEqual(leaksIn(a, values), [], a.slice(0, 300));
  assert.deepEqual(leaksIn(wd.output(), values), [], "workerd output");
});
