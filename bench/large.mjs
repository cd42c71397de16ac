// Large results: a 10 MB `sync` answer (the face result with photo and video
// asked for) through the edge handler's trimming in Node, against the plain
// way (JSON.parse, picking and masking fields, JSON.stringify). The handler
// is made with `reveal: ["photo", "video"]`, the one way it asks for both
// files; both sides answer the same body (checked: the bench throws when the
// SHA-256 of the bodies differ).
//
// Each side runs in a fresh process (bench/large-child.mjs), alternating,
// `runs` times: the peak RSS of its first big call above its settled
// baseline, the growth of the wasm memory, and the time of `repeats` calls
// (request in, response body read as bytes), median over all calls.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runWhenMain } from "./lib.mjs";
import { startSim } from "./query.mjs";
import { TICKET } from "./shared.js";
import { plainNonce } from "./sign.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;
const ORDER = "benchBig10MB";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function child(way, simUrl, repeats) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["--expose-gc", join(here, "large-child.mjs"), way, simUrl, ORDER, String(repeats)],
      { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${way} child exited with ${code}`))));
  });
}

/** The size of the service's answer: one signed query, as the plain side sends it. */
async function payloadBytes(sim) {
  const nonce = plainNonce();
  const sign = createHash("sha1").update([sim.appId, ORDER, "1.0.0", TICKET, nonce].sort().join("")).digest("hex").toUpperCase();
  const q = new URLSearchParams({ app_id: sim.appId, order_no: ORDER, nonce, version: "1.0.0", sign, get_file: "1" });
  const text = await (await fetch(`${sim.url}/api/server/sync?${q}`)).text();
  if (JSON.parse(text).code !== "0") throw new Error(`the big query failed: ${text.slice(0, 200)}`);
  return Buffer.byteLength(text);
}

/**
 * @param {(line: string) => void} [log]
 * @param {{ runs?: number, repeats?: number }} [o]
 */
export async function run(log = console.log, { runs = 3, repeats = 5 } = {}) {
  const sim = await startSim();
  try {
    // 2.5 MB photo + 5 MB video: 10 MB of base64 in the answer.
    await sim.setOrder(ORDER, { photoBytes: 2.5 * MB, videoBytes: 5 * MB });
    const payload = await payloadBytes(sim);
    const results = { handler: [], plain: [] };
    for (let i = 0; i < runs; i++) {
      for (const way of i % 2 ? ["plain", "handler"] : ["handler", "plain"]) results[way].push(await child(way, sim.url, repeats));
    }
    const hashes = new Set([...results.handler, ...results.plain].map((r) => r.sha256));
    if (hashes.size !== 1) throw new Error(`the handler and the plain way answer different bodies (${[...hashes].join(", ")})`);
    const figures = { payloadBytes: payload, bodyBytes: results.handler[0].bodyBytes, runs, repeats };
    for (const [way, rs] of Object.entries(results)) {
      figures[way] = {
        timeMs: median(rs.flatMap((r) => r.times)),
        firstCallMs: median(rs.map((r) => r.times[0])),
        peakBytes: median(rs.map((r) => r.peak)),
        peakBytesMax: Math.max(...rs.map((r) => r.peak)),
        peakPerPayload: median(rs.map((r) => r.peak)) / payload,
        wasmGrowthBytes: median(rs.map((r) => r.wasmGrowth)),
      };
    }
    const { handler: h, plain: p } = figures;
    figures.timeRatio = h.timeMs / p.timeMs;
    figures.peakRatio = h.peakBytes / p.peakBytes;
    const mb = (b) => (b / MB).toFixed(1);
    log(`${mb(payload)} MB sync answer (photo + video asked for), trimmed to a ${mb(figures.bodyBytes)} MB body, in Node, ${runs} fresh processes per side × ${repeats} calls:`);
    for (const [name, s] of [["createEdgeHandler (reveal photo, video)", h], ["plain (JSON.parse + pick/mask + JSON.stringify)", p]]) {
      log(`  ${name}: ${s.timeMs.toFixed(1)} ms (first call ${s.firstCallMs.toFixed(1)} ms) | peak RSS +${mb(s.peakBytes)} MB = ${s.peakPerPayload.toFixed(2)}x the payload (max +${mb(s.peakBytesMax)} MB) | wasm memory +${mb(s.wasmGrowthBytes)} MB`);
    }
    log(`  ratios: time ${figures.timeRatio.toFixed(2)}x (target at most 1.5x) | peak memory ${figures.peakRatio.toFixed(2)}x of the plain way; handler peak ${h.peakPerPayload.toFixed(2)}x the payload (target at most 3x)`);
    return figures;
  } finally {
    sim.stop();
  }
}

await runWhenMain(import.meta.url, run);
