// examples/hono-workers runs: the Hono 4 Worker (the handler on
// app.all("/faceid/*"), the TicketOwner Durable Object bound as in its
// wrangler.jsonc) is copied into a project with the packed package installed
// and Hono linked from the repository's node_modules, run by `wrangler dev`
// offline (--local) with the simulator as the service, and driven through the
// whole flow (tests/js/lib/examples-flow.mjs). The secrets go in .dev.vars, as
// the example's README says; the other settings with --var.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { exampleFlow } from "./lib/examples-flow.mjs";
import { newProject, repoRoot } from "./lib/package.mjs";
import { freePort, stopProcess, waitForHttp } from "./lib/proc.mjs";
import { WRANGLER, wranglerDev, wranglerEnv } from "./lib/wrangler.mjs";


let sim, child, base, dir;

before(async () => {
  sim = await startSimulator();
  dir = newProject("example-hono-workers", { type: "module" });
  for (const part of ["src", "wrangler.jsonc"]) cpSync(join(repoRoot, "examples", "hono-workers", part), join(dir, part), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules", "hono"), join(dir, "node_modules", "hono"), "dir");
  writeFileSync(join(dir, ".dev.vars"), `FACEID_SECRET=${sim.secret}\nORDER_TOKEN_KEY=${ORDER_TOKEN_KEY}\n`);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const vars = { FACEID_APP_ID: sim.appId, FACEID_SERVER_URL: sim.url, PUBLIC_ORIGIN: base };
  child = wranglerDev(dir, port, vars);
  await waitForHttp(`${base}/done.html`, { child, timeoutMs: 90_000, ready: async (r) => (await r.body?.cancel(), r.status === 200) });
}, { timeout: 180_000 });

after(async () => {
  await stopProcess(child);
  await sim?.stop();
});

test("examples/hono-workers: wrangler dev, Hono's app.all(\"/faceid/*\") with env and executionCtx, TicketOwner", { timeout: 120_000 }, async () => {
  await exampleFlow(sim, base);
  // The tickets came through the Durable Object: one access token for the whole flow.
  assert.ok(sim.requests({ endpoint: "access_token" }).length >= 1, "TicketOwner fetched no access token");
  assert.ok(!child.output().includes(sim.secret), "the secret is in wrangler's output");
});

test("examples/hono-workers type-checks: wrangler types, then tsc --strict with checkJs", { timeout: 120_000 }, () => {
  execFileSync(process.execPath, [WRANGLER, "types"], { cwd: dir, env: wranglerEnv(dir), stdio: "pipe", timeout: 90_000 });
  assert.match(readFileSync(join(dir, "worker-configuration.d.ts"), "utf8"), /TICKET_OWNER: DurableObjectNamespace/);
  writeFileSync(join(dir, "tsconfig.check.json"), JSON.stringify({
    compilerOptions: {
      target: "es2022", module: "es2022", moduleResolution: "bundler", strict: true, allowJs: true, checkJs: true,
      noEmit: true, lib: ["es2022"], types: [],
    },
    files: ["worker-configuration.d.ts", "src/index.js"],
  }));
  let out = "";
  try {
    out = execFileSync(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.check.json", "--listFiles"], { cwd: dir, encoding: "utf8", timeout: 90_000 });
  } catch (e) {
    assert.fail(`tsc --strict failed:\n${e.stdout}${e.stderr}`);
  }
  assert.ok(out.includes(join(dir, "src", "index.js")), "tsc did not read the Worker");
  assert.ok(/node_modules\/faceid-edge\/[^\n]*\.d\.ts/.test(out), "tsc did not read faceid-edge's types");
});
