// The packed faceid-edge package inside a real workerd: the worker imports
// "faceid-edge" (resolved to the package's `workerd` entry), signs in its
// fetch handler, and the test checks the answers over loopback HTTP.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { installedPackage } from "./lib/package.mjs";
import { checkProbe, NONCE, probe, SIGN1, SIGN2, SIGN_CODE_POINT, SIGN_LEADING_ZERO, TICKET, VECTOR1, VECTOR2 } from "./lib/probe.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

const APP_ID = "appId001";

const WORKER = `import init, * as faceid from "faceid-edge";
import { FaceIdError, nonce, sign, signValues } from "faceid-edge";

const probe = (${probe});
const json = (body, status = 200) => Response.json(body, { status });

export class Counter {
  constructor(state) { this.state = state; }
  async fetch() {
    const n = ((await this.state.storage.get("n")) ?? 0) + 1;
    await this.state.storage.put("n", n);
    return json({ n });
  }
}

export default {
  async fetch(request, env) {
    await init();
    const url = new URL(request.url);
    const q = url.searchParams;
    try {
      switch (url.pathname) {
        case "/vectors": return json({
          vector1: signValues(${JSON.stringify(VECTOR1)}),
          vector2: signValues(${JSON.stringify(VECTOR2)}),
          leadingZero: sign({ appId: env.APP_ID, orderNo: "order51", ticket: env.TICKET, nonce: ${JSON.stringify(NONCE)} }),
          codePoint: signValues(["\\u{1F600}", "\\uFF5E", "a"]),
        });
        case "/sign": {
          const n = nonce();
          return json({ nonce: n, sign: sign({ appId: env.APP_ID, orderNo: q.get("orderNo"), ticket: env.TICKET, nonce: n }) });
        }
        case "/probe": return json(await probe(faceid, Number(q.get("nonces"))));
        case "/upstream": {
          const response = await fetch(q.get("url"));
          return json({ status: response.status, body: await response.text() });
        }
        case "/counter": return env.COUNTER.get(env.COUNTER.idFromName("one")).fetch(request);
        default: return json({ ready: true });
      }
    } catch (e) {
      if (e instanceof FaceIdError) return json({ code: e.code, message: e.message }, 400);
      throw e;
    }
  },
};
`;

/** SIGN by hand: UTF-8 byte order is code-point order. */
const referenceSign = (values) =>
  createHash("sha1").update(Buffer.concat(values.map((v) => Buffer.from(v)).sort(Buffer.compare)))
    .digest("hex").toUpperCase();

let wd;
before(async () => {
  wd = await startWorkerd({
    projectDir: installedPackage().projectDir,
    workerSource: WORKER,
    bindings: [{ name: "TICKET", text: TICKET }, { name: "APP_ID", text: APP_ID }],
    durableObjects: [{ className: "Counter", binding: "COUNTER" }],
  });
});
after(() => wd?.stop());

async function get(path) {
  const response = await fetch(wd.url + path, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${path}: HTTP ${response.status}, not JSON: ${text}\n${wd.output()}`);
  }
}

test("official vectors, leading zero and code-point order", async () => {
  assert.deepEqual(await get("/vectors"), {
    status: 200,
    body: { vector1: SIGN1, vector2: SIGN2, leadingZero: SIGN_LEADING_ZERO, codePoint: SIGN_CODE_POINT },
  });
});

test("a fresh nonce per request, each signed correctly", async () => {
  assert.equal(referenceSign(VECTOR1), SIGN1, "the reference itself");
  const seen = new Set();
  for (let i = 0; i < 20; i++) {
    const { status, body } = await get("/sign?orderNo=aabc1457895464");
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.nonce, /^[A-Za-z0-9]{32}$/);
    assert.equal(body.sign, referenceSign([APP_ID, "aabc1457895464", "1.0.0", TICKET, body.nonce]));
    seen.add(body.nonce);
  }
  assert.equal(seen.size, 20, "a nonce came back twice");
});

test("an invalid orderNo comes back as JSON { code, message } from the caught FaceIdError", async () => {
  for (const orderNo of ["bad-order", "a".repeat(33), ""]) {
    const { status, body } = await get(`/sign?orderNo=${encodeURIComponent(orderNo)}`);
    assert.equal(status, 400, JSON.stringify(body));
    assert.deepEqual(Object.keys(body).sort(), ["code", "message"]);
    assert.equal(body.code, "INVALID_ORDER_NO");
    assert.ok(body.message.length > 10);
    assert.ok(!body.message.includes(TICKET.slice(0, 8)), body.message);
  }
  const { status, body } = await get("/sign"); // orderNo null
  assert.equal(status, 400, JSON.stringify(body));
  assert.equal(body.code, "INVALID_ORDER_NO");
});

test("the full probe inside the worker", async () => {
  const { status, body } = await get("/probe?nonces=10000");
  assert.equal(status, 200);
  checkProbe(body, 10000);
});

test("harness: global fetch reaches a loopback server, Durable Objects work", async () => {
  const upstream = createServer((req, res) => res.end(`pong ${req.url}`));
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  try {
    const target = `http://127.0.0.1:${upstream.address().port}/ping`;
    assert.deepEqual(await get(`/upstream?url=${encodeURIComponent(target)}`),
      { status: 200, body: { status: 200, body: "pong /ping" } });
  } finally {
    upstream.close();
  }
  assert.deepEqual((await get("/counter")).body, { n: 1 });
  assert.deepEqual((await get("/counter")).body, { n: 2 });
});
