// Recovery from a WebAssembly trap, in Node 20 (RELIABILITY.md "Wasm traps"):
// the packed package, through `import` and `require` (one instance for both).
// A trap is made the way a memory-safety bug would make one: an object's
// pointer is overwritten (`__wbg_ptr` = 0xFFFFFFF0), and its next method
// reads out of bounds ("memory access out of bounds", a
// WebAssembly.RuntimeError). Each test checks that the call that met the
// trap fails with FaceIdError INTERNAL (or, for a trap inside a promise
// reaction, that the caller's promise rejects with it, never hangs), that
// the calls in flight are rejected with it too, and that everything works
// afterwards in the same process: plain functions, clients and ticket
// managers made before the trap (remade from their options), the edge
// handler, and signatures checked against an independent SHA-1.
// The same in a real workerd: trap.workerd.test.mjs.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../sim/index.mjs";
import { errorText, expectedFace, leaks, newOrder, referenceSign, TICKET } from "./lib/client-fixtures.mjs";
import { installedPackage, resolveExport } from "./lib/package.mjs";

const pkg = installedPackage();
const esm = await import(pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href);
const cjs = createRequire(join(pkg.projectDir, "index.cjs"))("faceid-edge");

const T = { timeout: 60_000 };
/** Longer than any answer here takes; only the build without the recovery ever reaches it. */
const HANG_MS = 15_000;
const BAD_POINTER = 0xfffffff0;
const ORDER_TOKEN_KEY = "k".repeat(40);

let sim;
/** Unhandled rejections and uncaught exceptions while the tests run (a trap in a reaction must cause none). */
const stray = [];
const onStray = (e) => stray.push(e);

before(async () => {
  sim = await startSimulator({ ticket: TICKET });
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);
});
after(async () => {
  process.off("unhandledRejection", onStray);
  process.off("uncaughtException", onStray);
  await sim?.stop();
});

const settings = () => ({ appId: sim.appId, ticket: TICKET, serverUrl: sim.url, kycUrl: sim.url, timeoutMs: 10_000 });

/** Makes the next call into WebAssembly trap: `m` is FaceIdClient of either entry. */
function trapNext(m = esm) {
  const victim = new m.FaceIdClient(settings());
  victim.__wbg_ptr = BAD_POINTER;
  return () => victim.toJSON();
}

/** `p` settled, or "hung" after HANG_MS. */
async function outcome(p) {
  let timer;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), HANG_MS);
  });
  try {
    return await Promise.race([Promise.resolve(p).then((value) => ({ value }), (error) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** A FaceIdError INTERNAL that says what happened and carries nothing of the input. */
function assertInternal(error, FaceIdError = esm.FaceIdError) {
  assert.ok(error, "expected FaceIdError INTERNAL, got no error");
  assert.ok(error instanceof FaceIdError, `not a FaceIdError: ${error?.stack ?? error}`);
  assert.equal(error.name, "FaceIdError");
  assert.equal(error.code, "INTERNAL", `${error.code}: ${error.message}`);
  assert.match(error.message, /trapped.*replaced/);
  assert.equal(leaks(errorText(error)), false, "the ticket shows in the error");
}

function syncError(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Everything that must work after a trap, with `m` (either entry). */
async function assertAllWorks(m, { client, manager, handler } = {}) {
  const nonce = m.nonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  const orderNo = newOrder("after");
  assert.equal(m.sign({ appId: sim.appId, orderNo, ticket: TICKET, nonce }), referenceSign([sim.appId, orderNo, "1.0.0", TICKET, nonce]));
  const values = ["b", "a", "中文", nonce];
  const signature = m.signValues(values);
  assert.equal(signature, referenceSign(values));
  assert.equal(m.verifySign(values, signature.toLowerCase()), true);
  assert.equal(m.codeInfo("0").kind, "success");
  const [photo] = m.decodeMedia({ photo: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString("base64") });
  assert.equal(photo.mime, "image/jpeg");
  const c = client ?? new m.FaceIdClient(settings());
  const r = await c.faceResult(orderNo);
  assert.equal(r.ok, true, JSON.stringify(r));
  assertFace(r.result, orderNo);
  assert.equal(JSON.stringify(c).includes(sim.appId), true);
  if (manager) assert.equal(manager.status().hasTicket, false);
  if (handler) await assertHandlerWorks(handler);
}

/** The simulator's face result for `orderNo`. */
function assertFace(result, orderNo) {
  for (const [k, v] of Object.entries(expectedFace(orderNo))) assert.equal(result[k], v, k);
}

/** The edge handler proxies one trimmed result behind an order token. */
async function assertHandlerWorks(handler) {
  const orderNo = newOrder("edge");
  const { orderToken } = handler.issueOrderToken("face", orderNo, {});
  const res = await handler(new Request(`http://127.0.0.1/faceid/result?orderNo=${orderNo}`, {
    headers: { authorization: `Bearer ${orderToken}` },
  }));
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.ok, true);
  assert.equal(body.orderNo, orderNo);
}

const handlerOptions = (client) => ({
  client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => null, returnUrl: "/done.html", publicOrigin: "https://edge.example",
});

test("a trap in a call: that call throws FaceIdError INTERNAL, and everything works after it (import)", T, async () => {
  const client = new esm.FaceIdClient(settings());
  const manager = new esm.TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url });
  const handler = esm.createEdgeHandler(handlerOptions(client));
  const before = JSON.stringify(client);
  await assertAllWorks(esm, { client, manager, handler });

  const error = syncError(trapNext(esm));
  assertInternal(error);
  assert.ok(error.cause instanceof WebAssembly.RuntimeError, "the trap is the cause");

  // The objects made before the trap are remade from their options.
  assert.equal(JSON.stringify(client), before);
  await assertAllWorks(esm, { client, manager, handler });
  await assertAllWorks(cjs);
});

test("a trap in the synchronous part of an async method: the method returns a promise rejected with INTERNAL, never throws", T, async () => {
  const client = new esm.FaceIdClient(settings());
  for (const [label, call] of [
    ["faceResult", (victim) => victim.faceResult(newOrder("asyncTrap"))],
    ["startFace", (victim) => victim.startFace({ userId: "u1", name: "张三", idNo: "11010519491231002X", returnUrl: "https://h5.example/done" })],
    ["TicketManager.signTicket", () => {
      const manager = new esm.TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url });
      manager.__wbg_ptr = BAD_POINTER;
      return manager.signTicket();
    }],
  ]) {
    const victim = new esm.FaceIdClient(settings());
    victim.__wbg_ptr = BAD_POINTER;
    let returned;
    const thrown = syncError(() => {
      returned = call(victim);
    });
    assert.equal(thrown, undefined, `${label} threw instead of rejecting: ${thrown?.stack ?? thrown}`);
    assert.ok(returned instanceof Promise, `${label} returned ${typeof returned}`);
    const o = await outcome(returned);
    assert.equal(o.hung, undefined, `${label} never settled`);
    assertInternal(o.error);
    await assertAllWorks(esm, { client });
  }
});

test("a trap through require(): the same instance recovers for both entries", T, async () => {
  const client = new cjs.FaceIdClient(settings());
  assert.equal(cjs.FaceIdError, esm.FaceIdError, "one instance, one error class");
  assertInternal(syncError(trapNext(cjs)), cjs.FaceIdError);
  await assertAllWorks(cjs, { client });
  await assertAllWorks(esm);
});

test("calls in flight when the instance traps are rejected with INTERNAL, and their late answers change nothing", T, async () => {
  const slow = newOrder("slow");
  sim.setOrder(slow, { fault: { type: "slow", delayMs: 1500 } });
  const client = new esm.FaceIdClient(settings());
  const manager = new esm.TicketManager({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url });
  const inFlight = [client.faceResult(slow), client.faceResult(slow), manager.whenIdle()];
  // Wait until the simulator has the requests (they are then stalled in the slow fault).
  while (sim.requests({ orderNo: slow }).length < 2) await new Promise((r) => setTimeout(r, 10));

  assertInternal(syncError(trapNext()));
  for (const p of inFlight.slice(0, 2)) {
    const o = await outcome(p);
    assert.equal(o.hung, undefined, "a call in flight never settled");
    assertInternal(o.error);
  }
  // whenIdle: no refresh was running, so it may have settled before the trap.
  const idle = await outcome(inFlight[2]);
  assert.equal(idle.hung, undefined);
  if (idle.error) assertInternal(idle.error);

  // The stalled answers arrive now, to closures of the dead instance: they do nothing.
  await new Promise((r) => setTimeout(r, 2000));
  await assertAllWorks(esm, { client });
});

test("a trap inside a promise reaction (the edge handler's task): its promise rejects with INTERNAL, nothing is unhandled", T, async () => {
  const client = new esm.FaceIdClient(settings());
  const handler = esm.createEdgeHandler(handlerOptions(client));
  await assertHandlerWorks(handler);
  const trap = trapNext();
  // The handler reads request.url in its task, run from a promise reaction:
  // the getter traps there, far from the call site.
  class TrappingRequest extends Request {
    get url() {
      trap();
      return super.url;
    }
  }
  const strayBefore = stray.length;
  const o = await outcome(handler(new TrappingRequest("http://127.0.0.1/faceid/result?orderNo=x1")));
  assert.equal(o.hung, undefined, "the handler's promise never settled");
  assertInternal(o.error);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(stray.slice(strayBefore).map(String), [], "an unhandled rejection or uncaught exception");
  await assertAllWorks(esm, { client, handler });
});

test("a trap swallowed on its way out (a fetch hook that traps) still replaces the instance", T, async () => {
  const trap = trapNext();
  let calls = 0;
  const client = new esm.FaceIdClient({
    ...settings(),
    fetch: (...args) => {
      calls++;
      if (calls === 1) trap(); // the glue turns this into a failed fetch
      return fetch(...args);
    },
  });
  const o = await outcome(client.faceResult(newOrder("hook")));
  assert.equal(o.hung, undefined);
  assertInternal(o.error);
  // The same client, remade: its hook is called again and works.
  const orderNo = newOrder("hook");
  assertFace((await client.faceResult(orderNo)).result, orderNo);
  await assertAllWorks(esm);
});

test("sign()'s fast lane starts afresh in the new instance (the same static fields right after a trap)", T, async () => {
  const options = (orderNo, nonce) => ({ appId: sim.appId, orderNo, ticket: TICKET, nonce });
  const nonce = esm.nonce();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3; i++) {
      const orderNo = newOrder(`fast${round}`);
      assert.equal(esm.sign(options(orderNo, nonce)), referenceSign([sim.appId, orderNo, "1.0.0", TICKET, nonce]));
    }
    assertInternal(syncError(trapNext()));
  }
  const orderNo = newOrder("fast");
  assert.equal(esm.sign(options(orderNo, nonce)), referenceSign([sim.appId, orderNo, "1.0.0", TICKET, nonce]));
});

test("many traps in a row: each is INTERNAL, and the process keeps working", T, async () => {
  const client = new esm.FaceIdClient(settings());
  for (let i = 0; i < 50; i++) assertInternal(syncError(trapNext(i % 2 ? cjs : esm)));
  await assertAllWorks(esm, { client });
  // A freed object stays freed; freeing one made before a trap is harmless.
  const old = new esm.FaceIdClient(settings());
  assertInternal(syncError(trapNext()));
  old.free();
  assert.throws(() => old.toJSON(), /null pointer/);
  await assertAllWorks(cjs, { client });
  assert.deepEqual(stray.map(String), []);
});

test("a call started in the same turn as a trap: its promise rejects with INTERNAL, its task never resumes in the new instance", T, async () => {
  const client = new esm.FaceIdClient(settings());
  const strayBefore = stray.length;
  // The task's first step is already queued (a reaction of the old instance) when the trap replaces it.
  const started = [client.faceResult(newOrder("sameTurn")), esm.createEdgeHandler(handlerOptions(client))(new Request("http://127.0.0.1/faceid/result?orderNo=x2"))];
  assertInternal(syncError(trapNext()));
  for (const p of started) {
    const o = await outcome(p);
    assert.equal(o.hung, undefined, "a call started before the trap never settled");
    assertInternal(o.error);
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(stray.slice(strayBefore).map(String), [], "an unhandled rejection or uncaught exception");
  await assertAllWorks(esm, { client });
});
