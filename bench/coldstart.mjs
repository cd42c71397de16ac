// Cold start and upload size: from loading faceid-edge to its first
// signature, each time in a fresh process, side by side with a plain
// JavaScript module that does the same with the platform's crypto, measured
// the same way in the same run. The package is the packed pkg/ (npm pack +
// install, like the tests).
//
// Node: a fresh `node` per sample, four kinds interleaved: `import()` of the
// package (its `node` + `import` entry, node.mjs), `require()` of it (node.cjs),
// and the same of a plain module that imports node:crypto and signs once.
// The child takes two times with performance.now(): from just before the
// import/require to just after the first signature (`load`), and from the
// process's time origin to then (`start`, Node's own start-up included).
//
// workerd: both Workers go through `wrangler deploy --dry-run --outdir` (the
// bundle and modules wrangler would upload; its "Total Upload … gzip" line is
// the upload size), then run in a fresh workerd per sample. The driver opens
// the listening socket itself and hands it to workerd (`--socket-fd`), sends
// the first request right after spawning it (the kernel queues the
// connection until workerd accepts), and times spawn → first answer: process
// start, config, compiling the modules (the .wasm included), evaluating them,
// the isolate's first request. A workerd without any Worker module of ours
// does not exist, so the plain Worker (crypto.subtle.digest) is the baseline
// and the difference is what the package adds.
//
// Figures: the median and the quartiles (q1–q3) of the samples, min and max
// in the JSON.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { installedPackage, PACKAGE_NAME, repoRoot } from "../tests/js/lib/package.mjs";
import { capnpText, COMPATIBILITY_DATE, WORKERD } from "../tests/js/lib/workerd.mjs";
import { runWhenMain } from "./lib.mjs";
import { plainSign } from "./sign.mjs";

const INPUT = { appId: "IDAXXXXX", orderNo: "order20261125000001", ticket: "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS", nonce: "kHSIL1bcmMMp6gHVG0xTaJ8eqzyQfZN2" };
const EXPECTED = plainSign(INPUT);
const WRANGLER = join(repoRoot, "node_modules", ".bin", "wrangler");

/** Median, quartiles, min and max of `xs` (milliseconds). */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: s[0], max: s[s.length - 1], samples: s.length };
}
const ms = (x) => `${x.toFixed(1)} ms`;
const show = (st) => `${ms(st.median)} (${st.q1.toFixed(1)}–${st.q3.toFixed(1)})`;

// ---------------------------------------------------------------------------
// Node

const PLAIN_BODY = `function sign({ appId, orderNo, ticket, nonce, version = "1.0.0" }) {
  return createHash("sha1").update([appId, orderNo, version, ticket, nonce].sort().join("")).digest("hex").toUpperCase();
}`;

function nodeChildren(dir) {
  writeFileSync(join(dir, "plain-sign.mjs"), `import { createHash } from "node:crypto";\nexport ${PLAIN_BODY}\n`);
  writeFileSync(join(dir, "plain-sign.cjs"), `const { createHash } = require("node:crypto");\n${PLAIN_BODY}\nexports.sign = sign;\n`);
  const report = `const t1 = performance.now();
if (signature !== ${JSON.stringify(EXPECTED)}) throw new Error("wrong signature " + signature);
process.stdout.write(JSON.stringify({ load: t1 - t0, start: t1 }));`;
  const input = JSON.stringify(INPUT);
  const kinds = {
    "faceid-edge ESM": ["child-pkg.mjs", `const t0 = performance.now();
const { sign } = await import(${JSON.stringify(PACKAGE_NAME)});
const signature = sign(${input});
${report}`],
    "faceid-edge CJS": ["child-pkg.cjs", `const t0 = performance.now();
const { sign } = require(${JSON.stringify(PACKAGE_NAME)});
const signature = sign(${input});
${report}`],
    "plain ESM": ["child-plain.mjs", `const t0 = performance.now();
const { sign } = await import("./plain-sign.mjs");
const signature = sign(${input});
${report}`],
    "plain CJS": ["child-plain.cjs", `const t0 = performance.now();
const { sign } = require("./plain-sign.cjs");
const signature = sign(${input});
${report}`],
  };
  for (const [file, source] of Object.values(kinds)) writeFileSync(join(dir, file), source);
  return Object.fromEntries(Object.entries(kinds).map(([k, [file]]) => [k, join(dir, file)]));
}

async function nodeSample(file) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [file], { cwd: resolve(file, ".."), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const [code] = await once(child, "exit");
  const wall = performance.now() - t0;
  if (code !== 0) throw new Error(`${file}: exit ${code}: ${err}`);
  return { ...JSON.parse(out), wall };
}

async function inNode(pkg, reps) {
  const children = nodeChildren(pkg.projectDir);
  const samples = Object.fromEntries(Object.keys(children).map((k) => [k, { load: [], start: [], wall: [] }]));
  for (const file of Object.values(children)) await nodeSample(file); // warm the file cache
  for (let r = 0; r < reps; r++) {
    for (const [kind, file] of Object.entries(children)) {
      const s = await nodeSample(file);
      for (const key of ["load", "start", "wall"]) samples[kind][key].push(s[key]);
    }
  }
  const figures = Object.fromEntries(Object.entries(samples).map(([kind, s]) =>
    [kind, { load: stats(s.load), start: stats(s.start), wall: stats(s.wall) }]));
  for (const flavour of ["ESM", "CJS"]) {
    const p = figures[`faceid-edge ${flavour}`];
    const q = figures[`plain ${flavour}`];
    figures[`ratio ${flavour}`] = {
      load: p.load.median / q.load.median, start: p.start.median / q.start.median, wall: p.wall.median / q.wall.median,
    };
  }
  return figures;
}

// ---------------------------------------------------------------------------
// workerd (and the upload size, from the same wrangler output)

const PKG_WORKER = `import { sign } from "faceid-edge";

export default {
  async fetch() {
    return new Response(sign(${JSON.stringify(INPUT)}));
  },
};
`;

// The same Worker on the signing-only entry (its own small .wasm).
const SIGN_ENTRY_WORKER = PKG_WORKER.replace('from "faceid-edge"', 'from "faceid-edge/sign"');

const PLAIN_WORKER = `const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

async function sign({ appId, orderNo, ticket, nonce, version = "1.0.0" }) {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode([appId, orderNo, version, ticket, nonce].sort().join("")));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += HEX[b];
  return hex.toUpperCase();
}

export default {
  async fetch() {
    return new Response(await sign(${JSON.stringify(INPUT)}));
  },
};
`;

/** `wrangler deploy --dry-run --outdir` of one Worker; its modules and wrangler's size line. */
function wranglerBuild(pkg, name, source) {
  const dir = join(pkg.projectDir, `bench-${name}`); // inside the project: node_modules/faceid-edge resolves
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "index.js"), source);
  const out = execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", "dist", "--name", `bench-${name}`,
    "--compatibility-date", COMPATIBILITY_DATE, "src/index.js"], {
    cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" },
  });
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out);
  if (!m) throw new Error(`wrangler printed no upload size:\n${out}`);
  const dist = join(dir, "dist");
  const files = readdirSync(dist).filter((f) => /\.(js|mjs|wasm)$/.test(f));
  // The main module first; the rest as wrangler named them in the bundle.
  files.sort((a, b) => (b === "index.js") - (a === "index.js"));
  const modules = files.map((f) => `(name = ${capnpText(f)}, ${f.endsWith(".wasm") ? "wasm" : "esModule"} = embed ${capnpText(f)})`);
  writeFileSync(join(dist, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  compatibilityDate = ${capnpText(COMPATIBILITY_DATE)},
  modules = [
    ${modules.join(",\n    ")}
  ],
);
`);
  const sizes = Object.fromEntries(files.map((f) => {
    const bytes = readFileSync(join(dist, f));
    return [f.replace(/^[0-9a-f]{40}-/, ""), { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }];
  }));
  return { config: join(dist, "config.capnp"), upload: { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) }, modules: sizes };
}

/** One fresh workerd: spawn → first answer (the socket handed over open). */
async function workerdSample(config) {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  const fd = server._handle.fd; // Linux: the listening socket's descriptor
  const t0 = performance.now();
  const child = spawn(WORKERD, ["serve", config, "--socket-fd", "http=3"], {
    cwd: resolve(config, ".."), stdio: ["ignore", "ignore", "pipe", fd],
  });
  const exited = once(child, "exit");
  server.close(); // the parent's copy; workerd holds its own
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-4096)));
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    const first = performance.now() - t0;
    if (body !== EXPECTED) throw new Error(`workerd answered ${response.status} ${body.slice(0, 200)}\n${err}`);
    return first;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  }
}

async function inWorkerd(pkg, reps) {
  const builds = { "faceid-edge": wranglerBuild(pkg, "pkg", PKG_WORKER), plain: wranglerBuild(pkg, "plain", PLAIN_WORKER) };
  // The signing-only entry, when the package has it.
  if (existsSync(join(pkg.packageDir, "sign"))) builds["faceid-edge/sign"] = wranglerBuild(pkg, "sign", SIGN_ENTRY_WORKER);
  const samples = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  for (const b of Object.values(builds)) await workerdSample(b.config); // warm the file cache
  for (let r = 0; r < reps; r++) {
    for (const [kind, b] of Object.entries(builds)) samples[kind].push(await workerdSample(b.config));
  }
  const first = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  return {
    firstAnswer: first,
    ratio: first["faceid-edge"].median / first.plain.median,
    addedMs: first["faceid-edge"].median - first.plain.median,
    upload: Object.fromEntries(Object.entries(builds).map(([k, b]) => [k, b.upload])),
    modules: builds["faceid-edge"].modules,
    ...(builds["faceid-edge/sign"] ? { signEntryRatio: first["faceid-edge/sign"].median / first.plain.median } : {}),
  };
}

/**
 * Runs the cold-start benchmarks (Node ESM and CJS, workerd) and the upload
 * size; logs them and returns the figures ({ node, workerd }).
 */
export async function run(log = console.log, { nodeReps = 20, workerdReps = 12 } = {}) {
  const pkg = installedPackage();
  const figures = {};
  try {
    const n = (figures.node = await inNode(pkg, nodeReps));
    for (const flavour of ["ESM", "CJS"]) {
      const p = n[`faceid-edge ${flavour}`];
      const q = n[`plain ${flavour}`];
      const r = n[`ratio ${flavour}`];
      log(`Node ${flavour}: load → first sign(): faceid-edge ${show(p.load)} | plain node:crypto ${show(q.load)} | ratio ${r.load.toFixed(1)}x`);
      log(`  process start → first sign(): ${show(p.start)} | ${show(q.start)} | ratio ${r.start.toFixed(2)}x; whole process (spawn → exit) ${show(p.wall)} | ${show(q.wall)} | ratio ${r.wall.toFixed(2)}x`);
    }
  } catch (error) {
    figures.node = { error: String(error.message) };
    log(`Node cold start: measurement failed: ${error.message}`);
  }
  try {
    const w = (figures.workerd = await inWorkerd(pkg, workerdReps));
    log(`workerd: spawn → first answer: faceid-edge ${show(w.firstAnswer["faceid-edge"])} | plain WebCrypto Worker ${show(w.firstAnswer.plain)} | ratio ${w.ratio.toFixed(2)}x (+${ms(w.addedMs)})`);
    const u = w.upload["faceid-edge"];
    const wasm = w.modules["faceid_edge_bg.wasm"];
    log(`upload (wrangler deploy --dry-run): ${u.totalKiB} KiB, gzip ${u.gzipKiB} KiB (plain Worker: gzip ${w.upload.plain.gzipKiB} KiB); faceid_edge_bg.wasm ${wasm.bytes} bytes, gzip ${wasm.gzip} bytes (${(wasm.gzip / 1024).toFixed(1)} KiB; target ≤ 64 KiB)`);
    const se = w.upload["faceid-edge/sign"];
    if (se) {
      log(`  the same Worker on faceid-edge/sign: spawn → first answer ${show(w.firstAnswer["faceid-edge/sign"])} (ratio ${w.signEntryRatio.toFixed(2)}x); upload ${se.totalKiB} KiB, gzip ${se.gzipKiB} KiB`);
    }
  } catch (error) {
    figures.workerd = { error: String(error.message) };
    log(`workerd cold start: measurement failed: ${error.message}`);
  }
  return figures;
}

await runWhenMain(import.meta.url, run);
