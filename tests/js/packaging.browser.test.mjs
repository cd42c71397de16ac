// The packed package through browser bundlers, run in headless Chromium:
// Vite's dev server (Vite 7 and 6, with the one line of configuration the
// package README gives, and without it: init() must say what to add), `vite
// build`, and esbuild's browser bundles following the README's recipes. Each
// page signs the official vector with signValues() after `await init()`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { newProject, PACKAGE_NAME, repoRoot, tempDir } from "./lib/package.mjs";
import { freePort, spawnTracked, stopProcess, waitForHttp } from "./lib/proc.mjs";
import { SIGN1, VECTOR1 } from "./lib/probe.mjs";
import { commands, readmeBlocks, tagged } from "./lib/readme.mjs";
import { newSession, startChromedriver, startStaticServer } from "./lib/webdriver.mjs";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = join(repoRoot, "node_modules", ".bin");
// Vite 7 is installed as `vite`, Vite 6 under the alias `vite6` (package.json).
const VITES = {
  "Vite 7": join(repoRoot, "node_modules", "vite", "bin", "vite.js"),
  "Vite 6": join(repoRoot, "node_modules", "vite6", "bin", "vite.js"),
};
const blocks = readmeBlocks();

/** The README block tagged `tag` in language `lang` (exactly one). */
function recipe(tag, lang) {
  const found = tagged(blocks, tag).filter((b) => b.lang === lang);
  assert.equal(found.length, 1, `expected one \`${lang} ${tag}\` block in the READMEs`);
  return found[0];
}

// Records errors before any module runs; the app publishes window.__result.
const PAGE_HEAD = `<!doctype html>
<meta charset="utf-8">
<title>faceid-edge through a bundler</title>
<script>
  window.__errors = [];
  addEventListener("error", (e) => __errors.push(String(e.message)));
  addEventListener("unhandledrejection", (e) => __errors.push(String(e.reason && e.reason.message || e.reason)));
</script>
`;
const page = (script) => `${PAGE_HEAD}<script type="module" src="${script}"></script>\n`;

// What a user's page does: init(), then sign.
const APP = `import init, { signValues } from "${PACKAGE_NAME}";

window.__result = (async () => {
  await init();
  return { sign: signValues(${JSON.stringify(VECTOR1)}) };
})().catch((e) => ({ failure: String(e && e.message || e) }));
`;
// Appended to an app that awaits init() at its top level itself.
const PUBLISH = `\nwindow.__result = Promise.resolve({ sign: signValues(${JSON.stringify(VECTOR1)}) });\n`;

// Runs in the page (WebDriver async script): the result, or the errors so far.
const WAIT_FOR_RESULT = `const done = arguments[arguments.length - 1];
const deadline = Date.now() + arguments[0];
(function poll() {
  if (window.__result) return window.__result.then(done, (e) => done({ failure: String(e) }));
  if (window.__errors.length) return done({ failure: window.__errors.join("; ") });
  if (Date.now() > deadline) return done({ failure: "the page published no result" });
  setTimeout(poll, 50);
})();`;

let driver, session;

before(async () => {
  driver = await startChromedriver();
  session = await newSession(driver.url, { userDataDir: tempDir("chromium-bundlers") });
});

after(async () => {
  await session?.delete().catch((e) => console.error(e.message));
  await driver?.stop();
});

/** Loads `url` and returns what the page published (once more if a dev server reloaded it meanwhile). */
async function pageResult(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.navigate(url);
      return await session.executeAsync(WAIT_FOR_RESULT, 20_000);
    } catch (error) {
      if (attempt === 2) throw error;
    }
  }
}

/** Serves `dir` (and `html` as /, when given) and returns the page's result and the requests. */
async function serveAndLoad(dir, html) {
  const server = await startStaticServer({ pages: html ? { "/": html } : {}, mounts: { "/": dir } });
  try {
    const result = await pageResult(`${server.url}/${html ? "" : "index.html"}`);
    return { result, requests: server.requests };
  } finally {
    server.close();
  }
}

/** Starts `vite` (dev) in `dir` on a loopback port; returns { url, stop }. */
async function startVite(vite, dir) {
  const port = await freePort();
  const child = spawnTracked(process.execPath, [vite, "--port", String(port), "--strictPort", "--host", "127.0.0.1", "--clearScreen", "false"], {
    cwd: dir, env: { ...process.env, NO_COLOR: "1" },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, { child, timeoutMs: 30_000 });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, child, stop: () => stopProcess(child) };
}

const viteProject = (name, withConfig) => newProject(name, { type: "module" }, {
  "index.html": page("/main.js"),
  "main.js": APP,
  ...(withConfig ? { "vite.config.js": recipe("vite-config", "js").code } : {}),
});

for (const [name, vite] of Object.entries(VITES)) {
  test(`${name} dev server, with the README's vite.config.js: the page signs in Chromium`, async () => {
    const dir = viteProject(`vite-dev-${name.replace(/\W/g, "")}`, true);
    const server = await startVite(vite, dir);
    try {
      const result = await pageResult(`${server.url}/`);
      assert.deepEqual(result, { sign: SIGN1 }, `${JSON.stringify(result)}\n${server.child.output()}`);
    } finally {
      await server.stop();
    }
  });

  test(`${name} build: the built page signs in Chromium`, async () => {
    const dir = viteProject(`vite-build-${name.replace(/\W/g, "")}`, false);
    await run(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: dir, timeout: 120_000 });
    const { result, requests } = await serveAndLoad(join(dir, "dist"));
    assert.deepEqual(result, { sign: SIGN1 }, JSON.stringify({ result, requests }));
    assert.ok(requests.some((r) => r.path.endsWith(".wasm") && r.status === 200 && r.type === "application/wasm"),
      JSON.stringify(requests));
  });
}

test("Vite 7 dev server without that line: init() rejects with an error that names optimizeDeps.exclude", async () => {
  const dir = viteProject("vite-dev-unconfigured", false);
  const server = await startVite(VITES["Vite 7"], dir);
  try {
    const result = await pageResult(`${server.url}/`);
    // If this ever signs, Vite pre-bundles with the .wasm and the README's line can go.
    assert.equal(result.sign, undefined, `Vite 7 pre-bundling works without the README's line now: ${JSON.stringify(result)}`);
    assert.match(result.failure, /optimizeDeps: \{ exclude: \["faceid-edge"\] \}/, JSON.stringify(result));
    assert.match(result.failure, /\/node_modules\/\.vite\/deps\/faceid_edge_bg\.wasm/, JSON.stringify(result));
  } finally {
    await server.stop();
  }
});

/** Runs a README `sh` recipe's commands in `dir`, with the repository's binaries first on PATH. */
async function follow(block, dir) {
  for (const line of commands(block)) {
    await run("/bin/sh", ["-c", line], { cwd: dir, timeout: 60_000, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` } });
  }
}

test("esbuild for browsers, the README's recipe (ES module bundle, .wasm copied beside it): signs in Chromium", async () => {
  const dir = newProject("esbuild-browser", { type: "module" }, { "app.js": APP });
  await follow(recipe("esbuild-browser", "sh"), dir);
  const { result, requests } = await serveAndLoad(join(dir, "dist"), page("/app.js"));
  assert.deepEqual(result, { sign: SIGN1 }, JSON.stringify({ result, requests }));
  assert.deepEqual(requests.filter((r) => r.path.endsWith(".wasm")).map((r) => [r.path, r.status, r.type]),
    [["/faceid_edge_bg.wasm", 200, "application/wasm"]]);
});

test("esbuild for browsers, the README's --loader:.wasm=file recipe: signs in Chromium", async () => {
  const app = recipe("esbuild-browser-loader", "js").code + PUBLISH;
  const dir = newProject("esbuild-browser-loader", { type: "module" }, { "app.js": app });
  await follow(recipe("esbuild-browser-loader", "sh"), dir);
  const { result, requests } = await serveAndLoad(join(dir, "dist"), page("/app.js"));
  assert.deepEqual(result, { sign: SIGN1 }, JSON.stringify({ result, requests }));
  const wasm = requests.filter((r) => r.path.endsWith(".wasm"));
  assert.equal(wasm.length, 1, JSON.stringify(requests));
  assert.match(wasm[0].path, /^\/faceid_edge_bg-[A-Z0-9]+\.wasm$/);
  assert.equal(wasm[0].type, "application/wasm");
  assert.deepEqual(readFileSync(join(dir, "dist", wasm[0].path)), readFileSync(join(dir, "node_modules", PACKAGE_NAME, "faceid_edge_bg.wasm")));
});
