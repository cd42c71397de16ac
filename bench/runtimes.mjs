// Signing in each runtime: faceid-edge's `sign()` (WebAssembly, synchronous)
// against the plain way with WebCrypto (sort, join, `crypto.subtle.digest`
// "SHA-1", upper hex; awaited per signature), in real workerd, in headless
// Chromium and in Node, on the same inputs (bench/webcrypto-kernel.mjs, loaded
// unchanged into each). The package is the packed pkg/ (npm pack + install,
// like the tests).
//
// How the time is taken:
// - Node and Chromium: `performance.now()` around a loop of n signatures in
//   the runtime itself (Chromium coarsens the clock to 0.1 ms; a loop lasts
//   about 100 ms).
// - workerd: its clock does not move during synchronous work (and only at I/O
//   otherwise), so the time is taken from outside. One request runs a loop of
//   n signatures (`/loop?impl=wasm&n=…`); the driver times the request from
//   Node and subtracts, in the same round, the time of a request running the
//   same loop with nothing signed (`impl=none`, same n: the HTTP round trip and
//   the loop itself). n is chosen so that a request lasts about 200 ms, which
//   dwarfs the round trip (about 1 ms on loopback).
// Each figure is the median of interleaved rounds (wasm, plain, …, after a
// warm-up round); the spread is the lowest and highest round.
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installedPackage, tempDir } from "../tests/js/lib/package.mjs";
import { newSession, startChromedriver, startStaticServer } from "../tests/js/lib/webdriver.mjs";
import { startWorkerd } from "../tests/js/lib/workerd.mjs";
import { fmt, runWhenMain } from "./lib.mjs";
import { plainSign as nodeCryptoSign } from "./sign.mjs";
import * as kernel from "./webcrypto-kernel.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const KERNEL = join(benchDir, "webcrypto-kernel.mjs");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs the rounds for one runtime. `time(impl, n)` returns the milliseconds
 * one loop of n took there; with `subtractNone`, each round also times
 * `impl=none` with the same n and subtracts it.
 */
async function measure(time, { rounds, targetMs, subtractNone }) {
  const net = async (impl, n) => {
    const ms = await time(impl, n);
    return subtractNone ? ms - (await time("none", n)) : ms;
  };
  // Calibrate n per implementation: double until a loop lasts targetMs / 4,
  // time that loop again (warm now), scale n to targetMs.
  const n = {};
  for (const impl of ["wasm", "plain"]) {
    let k = 256;
    while ((await net(impl, k)) < targetMs / 4) k *= 2;
    n[impl] = Math.max(256, Math.round((k * targetMs) / Math.max(await net(impl, k), 1e-3)));
  }
  for (const impl of ["wasm", "plain"]) await net(impl, n[impl]); // warm-up round
  const opsPerSec = { wasm: [], plain: [] };
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    for (const impl of ["wasm", "plain"]) opsPerSec[impl].push((n[impl] / (await net(impl, n[impl]))) * 1000);
    ratios.push(opsPerSec.wasm[r] / opsPerSec.plain[r]);
  }
  const wasm = median(opsPerSec.wasm);
  const plain = median(opsPerSec.plain);
  return {
    opsPerSec: { wasm, plain },
    spread: {
      wasm: [Math.min(...opsPerSec.wasm), Math.max(...opsPerSec.wasm)],
      plain: [Math.min(...opsPerSec.plain), Math.max(...opsPerSec.plain)],
      ratio: [Math.min(...ratios), Math.max(...ratios)],
    },
    ratio: wasm / plain,
    n,
    rounds,
  };
}

/** Both ways must give the same signatures as node:crypto does. */
function checkAgreement(where, pairs) {
  const all = kernel.makeInputs();
  pairs.forEach(([wasm, plain], i) => {
    const expected = nodeCryptoSign(all[i]);
    if (wasm !== expected || plain !== expected) {
      throw new Error(`${where}: signature ${i} disagrees: sign() ${wasm}, WebCrypto ${plain}, node:crypto ${expected}`);
    }
  });
}

async function inNode(pkg, opts) {
  const lib = await import(pathToFileURL(join(pkg.packageDir, "node.mjs")).href);
  checkAgreement("Node", await kernel.agreement(lib.sign));
  return measure(async (impl, n) => {
    const t0 = performance.now();
    await kernel.signLoop(impl, n, lib.sign);
    return performance.now() - t0;
  }, opts);
}

const WORKER = `import { sign } from "faceid-edge";
import { agreement, signLoop } from "./kernel.mjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/agreement") return Response.json(await agreement(sign));
    if (url.pathname === "/loop") {
      const acc = await signLoop(url.searchParams.get("impl"), Number(url.searchParams.get("n")), sign);
      return new Response(String(acc));
    }
    return new Response("ok");
  },
};
`;

async function inWorkerd(pkg, opts) {
  const wd = await startWorkerd({
    projectDir: pkg.projectDir, workerSource: WORKER, modules: [{ name: "kernel.mjs", path: KERNEL }],
  });
  try {
    checkAgreement("workerd", await (await fetch(`${wd.url}/agreement`)).json());
    return await measure(async (impl, n) => {
      const t0 = performance.now();
      const response = await fetch(`${wd.url}/loop?impl=${impl}&n=${n}`);
      const body = await response.text();
      const ms = performance.now() - t0;
      if (!response.ok) throw new Error(`workerd /loop: HTTP ${response.status} ${body}`);
      return ms;
    }, { ...opts, targetMs: 200, subtractNone: true });
  } finally {
    await wd.stop();
  }
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>faceid-edge signing benchmark</title>
<script type="module">
  import init, { sign } from "/pkg/browser.js";
  import { agreement, signLoop } from "/bench/webcrypto-kernel.mjs";
  window.__ready = init().then(() => true);
  window.__agreement = () => agreement(sign);
  window.__time = async (impl, n) => {
    const t0 = performance.now();
    await signLoop(impl, n, sign);
    return performance.now() - t0;
  };
</script>
`;

// Runs in the page (WebDriver async script): waits for the module, then calls
// window[arguments[0]](...arguments[1]).
const CALL = `const done = arguments[arguments.length - 1];
const [name, args] = arguments;
const deadline = Date.now() + 20000;
(function poll() {
  if (!window.__ready) {
    if (Date.now() > deadline) return done({ failure: "the page's module did not run" });
    return setTimeout(poll, 20);
  }
  window.__ready.then(() => window[name](...args)).then((value) => done({ value }), (e) => done({ failure: String(e && e.stack || e) }));
})();`;

async function inChromium(pkg, opts) {
  const server = await startStaticServer({ pages: { "/": PAGE }, mounts: { "/pkg/": pkg.packageDir, "/bench/": benchDir } });
  let driver, session;
  try {
    driver = await startChromedriver();
    session = await newSession(driver.url, { userDataDir: tempDir("bench-chromium"), scriptTimeoutMs: 60_000 });
    await session.navigate(`${server.url}/`);
    const call = async (name, ...args) => {
      const r = await session.executeAsync(CALL, name, args);
      if (r.failure) throw new Error(`Chromium: ${r.failure}`);
      return r.value;
    };
    checkAgreement("Chromium", await call("__agreement"));
    const version = (await session.execute("return navigator.userAgent")).match(/Chrome\/[\d.]+/)?.[0];
    return { ...(await measure((impl, n) => call("__time", impl, n), { ...opts, targetMs: 100 })), browser: version };
  } finally {
    await session?.delete().catch(() => {});
    await driver?.stop();
    server.close();
  }
}

/**
 * Runs the signing benchmark in Node, workerd and Chromium; logs one line per
 * runtime and returns the figures ({ node, workerd, chromium }).
 */
export async function run(log = console.log, { rounds = 15 } = {}) {
  const pkg = installedPackage();
  const figures = {};
  const line = (name, r) => log(`${name.padEnd(8)} sign() ${fmt(r.opsPerSec.wasm)} ops/s | WebCrypto ${fmt(r.opsPerSec.plain)} ops/s | ratio ${r.ratio.toFixed(1)}x (rounds ${r.spread.ratio.map((x) => x.toFixed(1)).join("–")}x)`);
  for (const [name, fn] of [["Node", inNode], ["workerd", inWorkerd], ["Chromium", inChromium]]) {
    try {
      figures[name.toLowerCase()] = await fn(pkg, { rounds, targetMs: 100, subtractNone: false });
      line(name, figures[name.toLowerCase()]);
    } catch (error) {
      figures[name.toLowerCase()] = { error: String(error.message) };
      log(`${name.padEnd(8)} measurement failed: ${error.message}`);
    }
  }
  return figures;
}

await runWhenMain(import.meta.url, run);
