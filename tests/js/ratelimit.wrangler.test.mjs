// The README's rate limit recipe for Workers, in `wrangler dev` (offline,
// --local): the Workers rate limiting binding configured under `ratelimits`
// in wrangler.jsonc (wrangler runs it in its local runtime), and the edge
// handler's `rateLimit` hook asking `env.LIMITER.limit({ key })` exactly as
// the README's Worker does. The simulator is the service; the TicketOwner
// Durable Object holds the tickets. Checks that the binding's refusals are
// 429 RATE_LIMITED with Retry-After and reach nothing upstream, that the
// budget is per route and user, and that the README's hook is this one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { newProject } from "./lib/package.mjs";
import { freePort, stopProcess, waitForHttp } from "./lib/proc.mjs";
import { wranglerDev } from "./lib/wrangler.mjs";
import { readmeBlocks, tagged } from "./lib/readme.mjs";

const LIMIT = 3;

/** The README Worker's rateLimit hook, as written there. */
function readmeHook() {
  const [worker] = tagged(readmeBlocks(), "worker").filter((b) => b.readme === "README.md");
  const match = /rateLimit: async \(\{ route, userId, request \}\) => \{\n[\s\S]*?\n {6}\},\n/.exec(worker.code);
  assert.ok(match, "the README's Worker has no rateLimit hook");
  return match[0];
}

const WORKER = (hook) => `import { FaceIdClient, createEdgeHandler } from "faceid-edge";
export { TicketOwner } from "faceid-edge";

const USERS = {
  alice: { userId: "alice", name: "张三丰", idNo: "11010519491231002X" },
  bob: { userId: "bob", name: "李四", idNo: "440106198202020555" },
};
let handler;

export default {
  async fetch(request, env, ctx) {
    handler ??= createEdgeHandler({
      client: new FaceIdClient({
        appId: env.FACEID_APP_ID, ticketOwner: env.TICKET_OWNER,
        serverUrl: env.FACEID_SERVER_URL, kycUrl: env.FACEID_SERVER_URL, loginUrl: env.FACEID_SERVER_URL,
      }),
      orderTokenKey: env.ORDER_TOKEN_KEY,
      identity: (req) => USERS[req.headers.get("x-user")] ?? null,
      returnUrl: "/done.html",
      ${hook.trim()}
    });
    return handler(request, env, ctx);
  },
};
`;

let sim, child, url;

before(async () => {
  sim = await startSimulator();
  const port = await freePort();
  const dir = newProject("ratelimit-wrangler", { type: "module" }, {
    "src/index.js": WORKER(readmeHook()),
    "wrangler.jsonc": JSON.stringify({
      name: "faceid-ratelimit-test",
      main: "src/index.js",
      compatibility_date: "2025-09-01",
      durable_objects: { bindings: [{ name: "TICKET_OWNER", class_name: "TicketOwner" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["TicketOwner"] }],
      ratelimits: [{ name: "LIMITER", namespace_id: "1001", simple: { limit: LIMIT, period: 60 } }],
    }, null, 2),
  });
  const vars = {
    FACEID_APP_ID: sim.appId, FACEID_SECRET: sim.secret, FACEID_SERVER_URL: sim.url, ORDER_TOKEN_KEY,
  };
  child = wranglerDev(dir, port, vars);
  url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/faceid/result`, { child, timeoutMs: 90_000, ready: async (r) => (await r.body?.cancel(), r.status === 401) });
}, { timeout: 120_000 });

after(async () => {
  await stopProcess(child);
  await sim?.stop();
});

const start = (user) => fetch(`${url}/faceid/start`, { method: "POST", headers: { "x-user": user, "content-type": "application/json" } })
  .then(async (r) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), json: await r.json() }));

test("wrangler dev: the ratelimits binding refuses past its limit: 429 RATE_LIMITED, Retry-After, nothing upstream", { timeout: 60_000 }, async () => {
  const advs = () => sim.requests({ endpoint: "getAdvFaceId" }).length;
  for (let i = 0; i < LIMIT; i++) {
    const r = await start("alice");
    assert.equal(r.status, 200, `${JSON.stringify(r.json)}\n${child.output()}`);
  }
  assert.equal(advs(), LIMIT);
  const refused = await start("alice");
  assert.equal(refused.status, 429, JSON.stringify(refused.json));
  assert.equal(refused.json.error.code, "RATE_LIMITED");
  assert.equal(refused.retryAfter, "60");
  assert.equal(advs(), LIMIT, "the refused start called nothing");
  // Per route and user: bob has his own budget.
  assert.equal((await start("bob")).status, 200);
  assert.equal(advs(), LIMIT + 1);
});
