// The edge handler under load: `GET /faceid/result` with a valid order token
// through createEdgeHandler in real workerd (the package's workerd entry),
// against a hand-written plain-JavaScript Worker doing the same work
// (bench/plain-edge-worker.js), both in one workerd, both against the
// loopback simulator (in its own process), driven by autocannon.
//
// Fairness: both Workers get the SIGN ticket from appId + secret and cache it
// in the isolate (fetched once, before timing); both check the same order
// tokens (minted by the handler), call the identity lookup, sign with a fresh
// nonce, query `sync` with a 5 s timeout, trim and mask the answer and send
// the same body with the same headers (checked before timing: the bench
// throws when the bodies differ). The sides alternate in rounds, so drift of
// the shared machine hits both.
//
// Figures: requests per second, p50/p99 latency (per request, from
// autocannon's response events, in ms with sub-ms precision), and the CPU
// time workerd and the simulator spend per request (from /proc).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { installedPackage } from "../tests/js/lib/package.mjs";
import { startWorkerd } from "../tests/js/lib/workerd.mjs";
import { runWhenMain } from "./lib.mjs";
import { startSim } from "./query.mjs";
import { ORDER_TOKEN_KEY } from "./shared.js";

const here = dirname(fileURLToPath(import.meta.url));
const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far (Linux). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** One timed autocannon run against `url`; throws on any error or non-200 answer. */
async function load(url, requests, { seconds, connections }) {
  const latencies = [];
  const instance = autocannon({ url, connections, duration: seconds, requests });
  instance.on("response", (_client, status, _bytes, ms) => {
    if (status === 200) latencies.push(ms);
  });
  const r = await instance;
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`load on ${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  }
  return { requests: r.requests.total, seconds: r.duration, latencies };
}

/**
 * @param {(line: string) => void} [log]
 * @param {{ seconds?: number, rounds?: number, connections?: number, orders?: number }} [o]
 *   `rounds` of `seconds` per side (default 3 × 9 s = 27 s per side)
 */
export async function run(log = console.log, { seconds = 9, rounds = 3, connections = 32, orders = 20 } = {}) {
  const sim = await startSim();
  let wd;
  try {
    const bindings = [
      { name: "FACEID_APP_ID", text: sim.appId },
      { name: "FACEID_SECRET", text: sim.secret },
      { name: "SIM_URL", text: sim.url },
      { name: "ORDER_TOKEN_KEY", text: ORDER_TOKEN_KEY },
    ];
    const shared = { name: "shared.js", path: join(here, "shared.js") };
    wd = await startWorkerd({
      projectDir: installedPackage().projectDir,
      workerSource: readFileSync(join(here, "edge-worker.js"), "utf8"),
      bindings,
      modules: [shared],
      workers: [{ name: "plain", workerSource: readFileSync(join(here, "plain-edge-worker.js"), "utf8"), bindings,
        modules: [{ name: "plain-trim.js", path: join(here, "plain-trim.js") }, shared] }],
      readyPath: "/ready",
    });
    const sides = { handler: wd.urls.main, plain: wd.urls.plain };

    // Orders and their tokens (minted by the handler, checked by both).
    const tokens = [];
    for (let i = 0; i < orders; i++) {
      const orderNo = `bench${String(i).padStart(6, "0")}`;
      const r = await fetch(`${sides.handler}/mint?orderNo=${orderNo}&userId=alice`);
      tokens.push({ orderNo, token: (await r.json()).orderToken });
    }
    const headersFor = (token) => ({ "x-user": "alice", authorization: `Bearer ${token}` });
    const requests = tokens.map(({ orderNo, token }) => ({
      method: "GET", path: `/faceid/result?orderNo=${orderNo}`, headers: headersFor(token),
    }));

    // Correctness before timing: the same trimmed body and headers from both,
    // and both refuse (403) a token for another order or for another
    // signed-in user (with nobody signed in, the handler answers 401: README).
    for (const { orderNo, token } of tokens) {
      const answers = {};
      for (const [side, base] of Object.entries(sides)) {
        const r = await fetch(`${base}/faceid/result?orderNo=${orderNo}`, { headers: headersFor(token) });
        answers[side] = { status: r.status, type: r.headers.get("content-type"), cache: r.headers.get("cache-control"), body: await r.text() };
        const other = await fetch(`${base}/faceid/result?orderNo=${orderNo === tokens[0].orderNo ? tokens[1].orderNo : tokens[0].orderNo}`, { headers: headersFor(token) });
        const stranger = await fetch(`${base}/faceid/result?orderNo=${orderNo}`, { headers: { ...headersFor(token), "x-user": "mallory" } });
        if (other.status !== 403 || stranger.status !== 403) {
          throw new Error(`${side}: a token opened another order (${other.status}) or served another user (${stranger.status})`);
        }
      }
      const { handler: h, plain: p } = answers;
      const parsed = JSON.parse(h.body);
      if (h.status !== 200 || !parsed.ok || parsed.orderNo !== orderNo || !/^\S\*$/.test(parsed.result.name) || !parsed.result.idNo.includes("**********")) {
        throw new Error(`handler answered ${h.status} ${h.body}`);
      }
      if (JSON.stringify(h) !== JSON.stringify(p)) {
        throw new Error(`the two Workers answer differently for ${orderNo}:\n  handler ${JSON.stringify(h)}\n  plain   ${JSON.stringify(p)}`);
      }
    }

    // Warm-up (JIT, connections, the isolates' caches), then interleaved rounds.
    for (const url of Object.values(sides)) await load(url, requests, { seconds: 2, connections });
    const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, {
      requests: 0, seconds: 0, latencies: [], rounds: [], workerdCpu: 0, simCpu: 0 }]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? ["plain", "handler"] : ["handler", "plain"];
      for (const side of order) {
        const cpu0 = [cpuSeconds(wd.process.pid), cpuSeconds(sim.pid)];
        const r = await load(sides[side], requests, { seconds, connections });
        const t = totals[side];
        t.workerdCpu += cpuSeconds(wd.process.pid) - cpu0[0];
        t.simCpu += cpuSeconds(sim.pid) - cpu0[1];
        t.requests += r.requests;
        t.seconds += r.seconds;
        t.rounds.push(r.requests / r.seconds);
        for (const ms of r.latencies) t.latencies.push(ms);
      }
    }
    const figures = { connections, seconds: seconds * rounds, rounds };
    for (const [side, t] of Object.entries(totals)) {
      const lat = t.latencies.sort((a, b) => a - b);
      figures[side] = {
        requests: t.requests,
        perSecond: t.requests / t.seconds,
        roundsPerSecond: t.rounds.map(Math.round),
        p50Ms: percentile(lat, 0.5),
        p99Ms: percentile(lat, 0.99),
        workerdCpuMsPerRequest: (t.workerdCpu * 1000) / t.requests,
        simCpuMsPerRequest: (t.simCpu * 1000) / t.requests,
      };
    }
    const { handler: h, plain: p } = figures;
    figures.throughputRatio = h.perSecond / p.perSecond;
    figures.p50Ratio = h.p50Ms / p.p50Ms;
    figures.p99Ratio = h.p99Ms / p.p99Ms;
    figures.workerdCpuRatio = h.workerdCpuMsPerRequest / p.workerdCpuMsPerRequest;
    const line = (name, s) => `  ${name}: ${Math.round(s.perSecond)} req/s (rounds ${s.roundsPerSecond.join(", ")}), p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms; CPU per request: workerd ${s.workerdCpuMsPerRequest.toFixed(3)} ms, simulator ${s.simCpuMsPerRequest.toFixed(3)} ms`;
    log(`GET /faceid/result in workerd, ${connections} connections, ${rounds} interleaved rounds of ${seconds} s per side:`);
    log(line("createEdgeHandler", h));
    log(line("plain Worker (crypto.subtle + fetch)", p));
    log(`  ratios: throughput ${figures.throughputRatio.toFixed(2)}x (target at least 1.0x) | p50 ${figures.p50Ratio.toFixed(2)}x | p99 ${figures.p99Ratio.toFixed(2)}x (target at most 1.2x) | workerd CPU per request ${figures.workerdCpuRatio.toFixed(2)}x (target at most 1.0x)`);
    return figures;
  } finally {
    await wd?.stop();
    sim.stop();
  }
}

await runWhenMain(import.meta.url, run);
