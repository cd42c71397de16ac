// examples/hono-workers runs: the Hono 4 Worker (the handler on
// app.all("/faceid/*"), the TicketOwner Durable Object bound as in its
// wrangler.jsonc) is copied into a project with the packed package installed
// and Hono linked from the repository's node_modules, run by `wrangler dev`
// offline (--local) with the simulator as the service, and driven through the
// whole flow (tests/js/lib/examples-flow.mjs). The secrets go in .dev.vars, as
// the example's README says; the other settings with --var.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { exampleFlow } from "./lib/examples-flow.mjs";
import { newProject, repoRoot } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";

const WRANGLER = join(repoRoot, "node_modules", ".bin", "wrangler");

let sim, child, base, dir, output = "";

before(async () => {
  sim = await startSimulator();
  dir = newProject("example-hono-workers", { type: "module" });
  for (const part of ["src", "wrangler.jsonc"]) cpSync(join(repoRoot, "examples", "hono-workers", part), join(dir, part), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules", "hono"), join(dir, "node_modules", "hono"), "dir");
  writeFileSync(join(dir, ".dev.vars"), `FACEID_SECRET=${sim.secret}\nORDER_TOKEN_KEY=${ORDER_TOKEN_KEY}\n`);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const vars = { FACEID_APP_ID: sim.appId, FACEID_SERVER_URL: sim.url, PUBLIC_ORIGIN: base };
  const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(dir, "state"),
    "--show-interactive-dev-session=false", "--live-reload=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
  child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: dir,
    detached: true, // its own process group: wrangler and its workerd end together
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_LOG_PATH: join(dir, "wrangler-logs"),
      XDG_CONFIG_HOME: join(dir, "wrangler-config"),
      FORCE_COLOR: "0",
    },
  });
  for (const s of [child.stdout, child.stderr]) s.setEncoding("utf8").on("data", (c) => { output = (output + c).slice(-20000); });
  const deadline = Date.now() + 90_000;
  for (;;) {
    assert.equal(child.exitCode, null, `wrangler dev exited:\n${output}`);
    try {
      const r = await fetch(`${base}/done.html`, { signal: AbortSignal.timeout(2000) });
      await r.body?.cancel();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline, `wrangler dev did not answer:\n${output}`);
    await sleep(250);
  }
}, { timeout: 180_000 });

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  }
  await sim?.stop();
});

test("examples/hono-workers: wrangler dev, Hono's app.all(\"/faceid/*\") with env and executionCtx, TicketOwner", { timeout: 120_000 }, async () => {
  await exampleFlow(sim, base);
  // The tickets came through the Durable Object: one access token for the whole flow.
  assert.ok(sim.requests({ endpoint: "access_token" }).length >= 1, "TicketOwner fetched no access token");
  assert.ok(!output.includes(sim.secret), "the secret is in wrangler's output");
});

test("examples/hono-workers type-checks: wrangler types, then tsc --strict with checkJs", { timeout: 120_000 }, () => {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", WRANGLER_LOG_PATH: join(dir, "wrangler-logs"), XDG_CONFIG_HOME: join(dir, "wrangler-config") };
  execFileSync(process.execPath, [WRANGLER, "types"], { cwd: dir, env, stdio: "pipe", timeout: 90_000 });
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
