// Result queries against the loopback simulator (run in its own process),
// side by side with the plain-JavaScript way: fetch + JSON.parse + the same
// signing with node:crypto. Also the cost of a 5 MB getFile answer and of
// decoding media, against JSON.parse, atob and Buffer.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { fmt } from "./lib.mjs";
import { APP_ID, TICKET } from "./shared.js";
import { plainNonce } from "./sign.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SECRET = "BenchSecretIDAbench01xxxxxxxxxxxx";
const MB = 1024 * 1024;

/** Starts the simulator in a child process; resolves { url, stop }. */
export async function startSim() {
  const child = spawn(process.execPath, [join(root, "tests/sim/index.mjs"), "--port", "0",
    "--app-id", APP_ID, "--ticket", TICKET, "--secret", SECRET, "--keep-alive-ms", "30000"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`simulator exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid,
    appId: APP_ID,
    secret: SECRET,
    async setOrder(orderNo, scenario) {
      const r = await fetch(`${url}/__sim/orders/${orderNo}`, { method: "POST", body: JSON.stringify(scenario) });
      if (!r.ok) throw new Error(`setOrder: ${r.status} ${await r.text()}`);
    },
    stop: () => child.kill(),
  };
}

function plainSign(orderNo, nonce) {
  return createHash("sha1").update([APP_ID, orderNo, "1.0.0", TICKET, nonce].sort().join(""))
    .digest("hex").toUpperCase();
}

/**
 * The plain way: sign, fetch, JSON.parse; with `timeoutMs`, the fetch gets
 * `AbortSignal.timeout(timeoutMs)`, the least a server-side caller adds (the
 * package bounds every exchange with its own timer and AbortController).
 */
async function plainQuery(base, orderNo, getFile, timeoutMs) {
  const nonce = plainNonce();
  const q = new URLSearchParams({ app_id: APP_ID, order_no: orderNo, nonce, version: "1.0.0",
    sign: plainSign(orderNo, nonce) });
  if (getFile) q.set("get_file", getFile);
  const res = await fetch(`${base}/api/server/sync?${q}`, timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : undefined);
  const body = JSON.parse(await res.text());
  if (body.code !== "0") throw new Error(`plain query failed: ${body.code} ${body.msg}`);
  return body;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeEach(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times;
}

export async function run(lib, log = console.log) {
  const sim = await startSim();
  const figures = {};
  try {
    const client = new lib.FaceIdClient({ appId: APP_ID, ticket: TICKET, serverUrl: sim.url, kycUrl: sim.url });
    const check = await client.faceResult("benchOrder1");
    if (!check.ok) throw new Error(`client query failed: ${check.code} ${check.msg}`);

    // Round trip: interleaved rounds, median latency.
    const wasm = [], plain = [], timed = [];
    for (let round = 0; round < 6; round++) {
      wasm.push(...await timeEach(100, () => client.faceResult("benchOrder1")));
      plain.push(...await timeEach(100, () => plainQuery(sim.url, "benchOrder1")));
      timed.push(...await timeEach(100, () => plainQuery(sim.url, "benchOrder1", undefined, 20_000)));
    }
    const w = median(wasm.slice(100)), p = median(plain.slice(100)), pt = median(timed.slice(100));
    log(`query round trip (median of 500): faceid-edge ${w.toFixed(3)} ms | fetch + JSON.parse + node:crypto ${p.toFixed(3)} ms | ratio ${(w / p).toFixed(2)}x (target at most 1.1x)`);
    log(`  the same plain way with a timeout (AbortSignal.timeout) ${pt.toFixed(3)} ms | ratio ${(w / pt).toFixed(2)}x`);
    figures.roundTripMs = { faceidEdge: w, plain: p, plainWithTimeout: pt, ratio: w / p, ratioWithTimeout: w / pt };

    // A 5 MB photo answer: time, then peak memory in fresh processes.
    await sim.setOrder("benchBig5MB", { photoBytes: 5 * MB });
    const bigW = [], bigP = [];
    for (let i = 0; i < 8; i++) {
      bigW.push(...await timeEach(1, () => client.faceResult("benchBig5MB", { getFile: "photo" })));
      bigP.push(...await timeEach(1, () => plainQuery(sim.url, "benchBig5MB", "2")));
    }
    log(`5 MB getFile answer (median of 8): faceid-edge ${median(bigW).toFixed(1)} ms | plain ${median(bigP).toFixed(1)} ms | ratio ${(median(bigW) / median(bigP)).toFixed(2)}x`);
    figures.getFile5MB = { faceidEdgeMs: median(bigW), plainMs: median(bigP), memory: {} };
    for (const way of ["faceid-edge", "plain"]) {
      const r = await peakMemory(way, sim.url);
      figures.getFile5MB.memory[way] = r;
      log(`  ${way}: heap + external held with the result ${(r.retained / MB).toFixed(1)} MB = ${(r.retained / r.payload).toFixed(2)}x the ${(r.payload / MB).toFixed(1)} MB payload (target at most 3x); process peak RSS +${(r.peak / MB).toFixed(1)} MB (${(r.peak / r.payload).toFixed(2)}x, fetch buffers included)`);
    }

    // decodeMedia against atob and Buffer.
    const photo = (await client.faceResult("benchBig5MB", { getFile: "photo" })).result.photo;
    const bytes = Buffer.from(photo, "base64").length;
    const rate = (ms) => (bytes / MB) / (ms / 1000);
    const times = { decodeMedia: [], atob: [], "atob + to bytes": [], "Buffer.from": [] };
    for (let i = 0; i < 7; i++) {
      times.decodeMedia.push(...await timeEach(1, async () => lib.decodeMedia({ photo })));
      times.atob.push(...await timeEach(1, async () => atob(photo)));
      times["atob + to bytes"].push(...await timeEach(1, async () => {
        const s = atob(photo);
        const out = new Uint8Array(s.length);
        for (let j = 0; j < s.length; j++) out[j] = s.charCodeAt(j);
        return out;
      }));
      times["Buffer.from"].push(...await timeEach(1, async () => Buffer.from(photo, "base64")));
    }
    const rates = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, rate(median(v))]));
    log(`decodeMedia on a ${(bytes / MB).toFixed(1)} MB photo: ${fmt(rates.decodeMedia)} MB/s | atob ${fmt(rates.atob)} MB/s (${(rates.decodeMedia / rates.atob).toFixed(2)}x, target at least 2x) | atob + to bytes ${fmt(rates["atob + to bytes"])} MB/s | Buffer.from ${fmt(rates["Buffer.from"])} MB/s`);
    figures.decodeMediaMBps = rates;
  } finally {
    sim.stop();
  }
  return figures;
}

/** Peak resident memory of one 5 MB query, in a fresh process. */
async function peakMemory(way, simUrl) {
  const pkg = pathToFileURL(join(process.env.FACEID_PKG_DIR ?? join(root, "pkg"), "node.mjs")).href;
  const script = `
import { createHash } from "node:crypto";
import { plainNonce } from ${JSON.stringify(pathToFileURL(join(root, "bench/sign.mjs")).href)};
const lib = await import(${JSON.stringify(pkg)});
const base = ${JSON.stringify(simUrl)};
const client = new lib.FaceIdClient({ appId: ${JSON.stringify(APP_ID)}, ticket: ${JSON.stringify(TICKET)}, serverUrl: base, kycUrl: base });
await client.faceResult("benchWarm");           // warm up both paths with a small answer
const nonce0 = plainNonce();
globalThis.gc();
const held = () => { const m = process.memoryUsage(); return m.heapUsed + m.external; };
const heldBefore = held();
const before = process.memoryUsage.rss();
const peakBefore = process.resourceUsage().maxRSS * 1024;
let payload;
if (${JSON.stringify(way)} === "plain") {
  const nonce = plainNonce();
  const sign = createHash("sha1").update([${JSON.stringify(APP_ID)}, "benchBig5MB", "1.0.0", ${JSON.stringify(TICKET)}, nonce].sort().join("")).digest("hex").toUpperCase();
  const res = await fetch(base + "/api/server/sync?" + new URLSearchParams({ app_id: ${JSON.stringify(APP_ID)}, order_no: "benchBig5MB", nonce, version: "1.0.0", sign, get_file: "2" }));
  const text = await res.text();
  payload = text.length;
  globalThis.kept = JSON.parse(text);
} else {
  globalThis.kept = await client.faceResult("benchBig5MB", { getFile: "photo" });
  payload = JSON.stringify(globalThis.kept).length;
}
const peak = process.resourceUsage().maxRSS * 1024;
globalThis.gc();
console.log(JSON.stringify({ peak: peak - Math.max(before, peakBefore), retained: held() - heldBefore, payload }));
`;
  const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise((ok) => child.on("exit", ok));
  return JSON.parse(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lib = await import(process.argv[2] ?? "../pkg/node.mjs");
  await run(lib);
}
