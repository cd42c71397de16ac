// examples/bun and examples/deno run in their real runtimes: Bun and Deno
// from the repository's devDependencies (the npm packages `bun` and `deno`,
// whose binaries come as platform packages). Each example is copied into a
// project that has the packed package installed, started as its README says
// (`bun run index.mjs`; `deno run --allow-net --allow-env --allow-read
// --node-modules-dir=manual index.mjs`, which makes `npm:faceid-edge` resolve
// to the project's node_modules without the network) on a free port with the
// simulator as the service, and driven through the whole flow
// (lib/examples-flow.mjs): start → the face page → the callback (303) → the
// result with the order token → ID card OCR uploads. Both also type-check:
// examples/bun with tsc --strict against Bun's types (@types/bun),
// examples/deno with `deno check` (Deno's own types), each with the packed
// package's declarations.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { exampleFlow } from "./lib/examples-flow.mjs";
import { newProject, repoRoot, tempDir } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";

const bin = (name) => join(repoRoot, "node_modules", ".bin", name);

/**
 * Starts `command args` in `cwd` and resolves once it prints "listening on";
 * rejects with its output if it exits (or stays silent for 60 s) first.
 */
async function startServer(command, args, cwd, env) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk) => (output += chunk);
  child.stdout.setEncoding("utf8").on("data", collect);
  child.stderr.setEncoding("utf8").on("data", collect);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (/listening on/.test(output)) {
        clearTimeout(timer);
        resolve(undefined);
      }
    };
    child.stdout.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe("examples/bun and examples/deno drive the whole flow against the simulator in their runtimes", () => {
  let sim;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.stop());

  /** The environment the examples read (README.md's settings), the simulator as the service. */
  const envFor = (port, extra = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    HOST: "127.0.0.1",
    FACEID_APP_ID: sim.appId,
    FACEID_SECRET: sim.secret,
    FACEID_SERVICE_URL: sim.url,
    ORDER_TOKEN_KEY,
    PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
    ...extra,
  });

  /** Runs the whole flow against a started example, stopping it (and showing its output on failure) after. */
  async function drive(server, base) {
    try {
      await exampleFlow(sim, base);
    } catch (error) {
      error.message += `\n--- the example's output ---\n${server.output()}`;
      throw error;
    } finally {
      await server.stop();
    }
  }

  test("examples/bun: Bun.serve({ fetch }), bun run", async () => {
    const dir = newProject("bun", { type: "module" });
    cpSync(join(repoRoot, "examples", "bun"), dir, { recursive: true });
    const port = await freePort();
    const server = await startServer(bin("bun"), ["run", "index.mjs"], dir, envFor(port, {
      // Bun's cache and telemetry stay inside the test's temporary root.
      BUN_INSTALL_CACHE_DIR: tempDir("bun-cache"),
      DO_NOT_TRACK: "1",
    }));
    await drive(server, `http://127.0.0.1:${port}`);
  });

  test("examples/deno: Deno.serve, npm:faceid-edge from the project's node_modules (--node-modules-dir=manual), offline", async () => {
    const dir = newProject("deno", { type: "module" });
    cpSync(join(repoRoot, "examples", "deno"), dir, { recursive: true });
    const port = await freePort();
    const server = await startServer(
      bin("deno"),
      ["run", "--allow-net", "--allow-env", "--allow-read", "--node-modules-dir=manual", "--cached-only", "--no-config", "index.mjs"],
      dir,
      // An empty DENO_DIR: nothing cached, so --cached-only fails if Deno reaches for the registry.
      envFor(port, { DENO_DIR: mkdtempSync(join(tempDir("deno"), "dir-")), DENO_NO_UPDATE_CHECK: "1" }),
    );
    await drive(server, `http://127.0.0.1:${port}`);
  });
});

/** Runs `command args` in `cwd`: its exit code and output. */
function run(command, args, cwd, env = process.env) {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
  });
}

test("examples/bun type-checks (tsc --strict, checkJs) with Bun's types (@types/bun) and the packed ones", async () => {
  const dir = newProject("bun-types", { type: "module" });
  cpSync(join(repoRoot, "examples", "bun"), dir, { recursive: true });
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022"],
      types: ["bun"], typeRoots: [join(repoRoot, "node_modules", "@types")],
      strict: true, noEmit: true, allowJs: true, checkJs: true,
      // bun-types 1.4 is written against a newer @types/node than the repository's 20.x (which the Node
      // examples check against): their declarations disagree, so theirs are not checked here. The
      // example is, against both, and faceid-edge's declarations are checked with the Node examples.
      skipLibCheck: true,
    },
    files: ["index.mjs"],
  }, null, 2));
  const { code, output } = await run(bin("tsc"), ["-p", "tsconfig.json", "--listFiles"], dir);
  const lines = output.split("\n").filter(Boolean);
  assert.equal(code, 0, `tsc failed:\n${lines.filter((l) => !l.startsWith("/")).join("\n")}`);
  assert.ok(lines.includes(join(dir, "index.mjs")), "tsc did not read index.mjs");
  assert.ok(lines.some((l) => l.startsWith(join(dir, "node_modules", "faceid-edge"))), "tsc did not read faceid-edge's types");
  assert.ok(lines.some((l) => l.includes("bun-types")), "tsc did not read Bun's types");
});

test("examples/deno type-checks (deno check, // @ts-check) with Deno's types and the packed ones, offline", async () => {
  const dir = newProject("deno-types", { type: "module" });
  cpSync(join(repoRoot, "examples", "deno"), dir, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DENO_DIR: mkdtempSync(join(tempDir("deno"), "dir-")), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  const { code, output } = await run(bin("deno"), ["check", "--node-modules-dir=manual", "--cached-only", "--no-config", "index.mjs"], dir, env);
  assert.equal(code, 0, `deno check failed:\n${output}`);
  assert.match(output, /Check .*index\.mjs/);
  // The check is real: a wrong type in the example is caught.
  writeFileSync(join(dir, "wrong.mjs"), `// @ts-check\nimport { createApp } from "./index.mjs";\ncreateApp({ appId: 1 });\n`);
  const wrong = await run(bin("deno"), ["check", "--node-modules-dir=manual", "--cached-only", "--no-config", "wrong.mjs"], dir, env);
  assert.notEqual(wrong.code, 0, wrong.output);
  assert.match(wrong.output, /TS2\d{3}/);
});
