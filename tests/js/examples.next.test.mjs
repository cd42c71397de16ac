// examples/next runs: the Next.js 16 App Router app (a catch-all route
// handler under /faceid, public/done.html) is copied into a project with the
// packed package installed, built with `next build` (Turbopack), served by
// `next start` on a free port with the simulator as the service, and driven
// through the whole flow (tests/js/lib/examples-flow.mjs). The handler's
// background work goes to Next's after(): the example's onResult hook must
// have run by the time the flow is over. Next, React and React DOM are the
// versions package-lock.json pins, hard-linked from the repository's
// node_modules as in packaging.next.test.mjs (nothing here needs the network).
// The route handler also type-checks under tsc --strict (checkJs).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { exampleFlow } from "./lib/examples-flow.mjs";
import { newProject, repoRoot, runTsc } from "./lib/package.mjs";
import { freePort, spawnTracked, stopProcess, waitForHttp } from "./lib/proc.mjs";

const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8"));
const pinned = (name) => lock.packages[`node_modules/${name}`].version;
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1" };

let sim, child, base, dir;

before(async () => {
  sim = await startSimulator();
  dir = newProject("example-next", { type: "module", dependencies: { next: pinned("next"), react: pinned("react"), "react-dom": pinned("react-dom") } });
  for (const part of ["app", "public"]) cpSync(join(repoRoot, "examples", "next", part), join(dir, part), { recursive: true });
  // Hard links: quick, no copy, no symlink out of the project (Turbopack refuses those).
  execFileSync("cp", ["-al", "--no-clobber", `${join(repoRoot, "node_modules")}/.`, join(dir, "node_modules")], { stdio: "pipe", timeout: 300_000 });
  const next = join(dir, "node_modules/.bin/next");
  // Built with no settings at all: the route reads them when the first request comes.
  execFileSync(next, ["build"], { cwd: dir, env: ENV, stdio: "pipe", timeout: 300_000 });

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawnTracked(next, ["start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: dir,
    env: {
      ...ENV,
      FACEID_APP_ID: sim.appId,
      FACEID_SECRET: sim.secret,
      FACEID_SERVICE_URL: sim.url,
      ORDER_TOKEN_KEY,
      PUBLIC_ORIGIN: base,
    },
  });
  await waitForHttp(`${base}/done.html`, { child, timeoutMs: 90_000, ready: async (r) => (await r.body?.cancel(), r.status === 200) });
}, { timeout: 600_000 });

after(async () => {
  await stopProcess(child);
  await sim?.stop();
});

test("examples/next: next build + next start, the catch-all route handler drives the whole flow", { timeout: 120_000 }, async () => {
  await exampleFlow(sim, base);
  // The verdict reached the onResult hook through ctx.waitUntil → after().
  const deadline = Date.now() + 10_000;
  while (!/faceid verdict recorded: order \w+ user alice ok=true/.test(child.output())) {
    assert.ok(Date.now() < deadline, `the onResult hook never ran:\n${child.output()}`);
    await sleep(100);
  }
  // Nothing secret in the server's log.
  assert.ok(!child.output().includes(sim.secret), "the secret is in next start's output");
});

test("examples/next: the route handler type-checks (tsc --strict, checkJs) against Next's and the packed package's types", { timeout: 180_000 }, async () => {
  // As create-next-app's tsconfig: bundler resolution (next/server has no
  // exports map) and skipLibCheck (Next's declarations name React's and
  // webpack's types, which this project does not install).
  const file = "app/faceid/[...path]/route.js";
  writeFileSync(join(dir, "tsconfig.example.json"), JSON.stringify({
    compilerOptions: {
      module: "esnext", moduleResolution: "bundler", target: "es2022", lib: ["es2022", "dom"],
      types: ["node"], typeRoots: [join(repoRoot, "node_modules", "@types")],
      strict: true, noEmit: true, allowJs: true, checkJs: true, skipLibCheck: true,
    },
    files: [file],
  }, null, 2));
  const { code, output: out } = await runTsc(["-p", "tsconfig.example.json", "--listFiles"], { cwd: dir });
  const lines = out.split("\n").filter(Boolean);
  assert.equal(code, 0, `tsc failed:\n${lines.filter((l) => !l.startsWith("/")).join("\n")}`);
  assert.ok(lines.includes(join(dir, file)), `tsc did not read ${file}`);
  assert.ok(lines.some((l) => l.startsWith(join(dir, "node_modules", "faceid-edge"))), "tsc did not read faceid-edge's types");
  assert.ok(lines.some((l) => l.startsWith(join(dir, "node_modules", "next"))), "tsc did not read next's types");
});
