// `make demo`: the demo Worker (www/worker.js) in `wrangler dev`, on loopback.
//
// Against the local WeBank simulator (tests/sim) by default: it starts the
// simulator, writes www/.dev.vars (ignored by git) with the simulator's secret
// and a random ORDER_TOKEN_KEY, and points the Worker at the simulator with
// --var. With FACEID_APP_ID and FACEID_SECRET in the environment it talks to the
// real service instead (default hosts, unless FACEID_SERVER_URL, FACEID_KYC_URL
// or FACEID_LOGIN_URL say otherwise; DEMO_PERSON_NAME and DEMO_PERSON_ID_NO name
// the person to verify). Builds nothing: `make demo` builds pkg/ first.
//
// Tests import startDemo() and stop() what it started.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

import { startSimulator } from "../tests/sim/index.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");

/** The pinned wrangler (a devDependency); `WRANGLER` may name another binary. */
export const WRANGLER = process.env.WRANGLER || join(root, "node_modules", ".bin", "wrangler");

/** Copies the package's browser build into the assets (public/pkg/, ignored by git). */
function copyBrowserBuild() {
  const pkg = join(root, "pkg");
  for (const file of ["workerd.js", "browser.js", "faceid_edge.js", "faceid_edge_bg.wasm"]) {
    if (!existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing: build the package first (make pkg)`);
  }
  const out = join(here, "public", "pkg");
  rmSync(out, { recursive: true, force: true });
  cpSync(pkg, out, {
    recursive: true,
    filter: (src) => !/(?:node\.c?js|node\.mjs|\.d\.ts|README\.md|LICENSE|package\.json)$/.test(src),
  });
}

/** KEY="value" lines, for .dev.vars (dotenv syntax). */
function dotenv(values) {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!/^[\x21-\x7e]*$/.test(v) || /["'\\$`]/.test(v)) throw new Error(`${k}: only printable ASCII without quotes, "\\", "$" or "\`" fits in .dev.vars`);
      return `${k}="${v}"\n`;
    })
    .join("");
}

/** Throws when something already listens on 127.0.0.1:`port` (it would answer in the Worker's place). */
async function portFree(port) {
  const server = createServer();
  try {
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
  } catch (error) {
    throw new Error(`127.0.0.1:${port} is taken (${error.code}): choose another port with PORT=…`);
  }
  await new Promise((resolve) => server.close(resolve));
}

/** Polls `url` until it answers 2xx, or throws when `child` exits first. */
async function waitForUrl(url, child, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`wrangler dev exited (${exited.code ?? exited.signal}) before ${url} answered:\n${output()}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: "manual" });
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts the simulator (unless `env` names a real App ID and secret) and the
 * Worker in `wrangler dev` on 127.0.0.1:`port`.
 * @param {object} [o]
 * @param {number} [o.port] the Worker's port (default $PORT or 8787)
 * @param {number} [o.simPort] the simulator's port (default $SIM_PORT or a free one)
 * @param {object} [o.env] where FACEID_APP_ID, FACEID_SECRET… are read (default process.env)
 * @param {object} [o.simulator] more options for startSimulator
 * @param {string} [o.devVars] write the secrets here and pass it with --env-file
 *   (default: www/.dev.vars, which wrangler reads by itself)
 * @param {string} [o.persistTo] wrangler's state directory (default: a new temporary
 *   one with the simulator, whose tickets die with it; .wrangler/state with the service)
 * @param {boolean} [o.echo] copy wrangler's output to this process's stdout/stderr
 * @param {number} [o.timeoutMs] how long wrangler dev may take to answer
 * @returns {Promise<{ url: string, sim: object | null, orderTokenKey: string,
 *   output: () => string, exited: Promise<object>, stop: () => Promise<void> }>}
 *   `output()`: the end of wrangler's output; `exited`: settles if wrangler stops by itself.
 */
export async function startDemo({
  port = Number(process.env.PORT || 8787),
  simPort = Number(process.env.SIM_PORT || 0),
  env = process.env,
  simulator = {},
  devVars,
  persistTo,
  echo = false,
  timeoutMs = 60_000,
} = {}) {
  if (!existsSync(WRANGLER)) throw new Error(`wrangler not found at ${WRANGLER}: run scripts/setup (or set WRANGLER)`);
  await portFree(port);
  copyBrowserBuild();

  const real = Boolean(env.FACEID_APP_ID && env.FACEID_SECRET);
  const sim = real ? null : await startSimulator({ port: simPort, ...simulator });
  const cleanup = [];
  let child = null;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      const group = (signal) => {
        try {
          process.kill(-child.pid, signal); // wrangler and its workerd children
        } catch {
          // already gone
        }
      };
      group("SIGTERM");
      const timer = setTimeout(() => group("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      group("SIGKILL"); // whatever the group left behind
    }
    await sim?.stop();
    for (const f of cleanup.splice(0)) f();
  };

  try {
    const orderTokenKey = randomBytes(48).toString("base64url");
    const vars = real
      ? {
          FACEID_APP_ID: env.FACEID_APP_ID,
          FACEID_SERVER_URL: env.FACEID_SERVER_URL ?? "",
          FACEID_KYC_URL: env.FACEID_KYC_URL ?? "",
          FACEID_LOGIN_URL: env.FACEID_LOGIN_URL ?? "",
          DEMO_BACKEND: "service",
        }
      : {
          FACEID_APP_ID: sim.appId,
          FACEID_SERVER_URL: sim.url,
          FACEID_KYC_URL: sim.url,
          FACEID_LOGIN_URL: sim.url,
          DEMO_BACKEND: "simulator",
        };
    if (env.DEMO_PERSON_NAME) vars.DEMO_PERSON_NAME = env.DEMO_PERSON_NAME;
    if (env.DEMO_PERSON_ID_NO) vars.DEMO_PERSON_ID_NO = env.DEMO_PERSON_ID_NO;

    const secrets = dotenv({ FACEID_SECRET: real ? env.FACEID_SECRET : sim.secret, ORDER_TOKEN_KEY: orderTokenKey });
    const args = ["dev", "--config", join(here, "wrangler.jsonc"), "--ip", "127.0.0.1", "--port", String(port),
      "--local", "--show-interactive-dev-session=false", "--live-reload=false"];
    if (devVars) {
      writeFileSync(devVars, secrets, { mode: 0o600 });
      args.push("--env-file", devVars);
    } else {
      writeFileSync(join(here, ".dev.vars"), secrets, { mode: 0o600 });
    }
    if (!persistTo && !real) {
      persistTo = mkdtempSync(join(tmpdir(), "faceid-edge-demo-"));
      const dir = persistTo;
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    }
    if (persistTo) args.push("--persist-to", persistTo);
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);

    child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: here,
      detached: true, // its own process group: stop() ends workerd too
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false", // no telemetry
        WRANGLER_HIDE_BANNER: "true", // the banner asks the npm registry for updates
        CLOUDFLARE_CF_FETCH_ENABLED: "false", // no download of the request.cf placeholder
        FORCE_COLOR: "0",
      },
    });
    const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
    const pid = child.pid;
    const lastResort = () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    process.on("exit", lastResort); // never leave workerd behind
    cleanup.push(() => process.off("exit", lastResort));
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8").on("data", (chunk) => {
        output = (output + chunk).slice(-65536);
        if (echo) (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      });
    }
    const url = `http://127.0.0.1:${port}`;
    await waitForUrl(`${url}/`, child, () => output, timeoutMs);
    return { url, sim, orderTokenKey, output: () => output, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log("faceid-edge demo: starting wrangler dev (the first start takes a few seconds)…");
  const demo = await startDemo().catch((error) => {
    console.error(`faceid-edge demo: ${error.message}`);
    process.exit(1);
  });
  const where = demo.sim ? `the local WeBank simulator at ${demo.sim.url}` : "the FaceID service (FACEID_APP_ID and FACEID_SECRET from the environment)";
  console.log(`\n  Open ${demo.url}/  (on a phone-sized window, or any browser)`);
  console.log(`  The Worker talks to ${where}.`);
  console.log("  Ctrl-C stops the Worker and the simulator.\n");
  let stopping = false;
  const quit = async () => {
    if (stopping) return;
    stopping = true;
    await demo.stop();
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, quit);
  demo.exited.then(async ({ code, signal }) => {
    if (stopping) return;
    console.error(`wrangler dev stopped by itself (${code ?? signal}):\n${demo.output()}`);
    stopping = true;
    await demo.stop();
    process.exit(1);
  });
}
