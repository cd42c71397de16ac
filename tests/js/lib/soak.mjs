// The soak: many requests through the edge handler in real workerd, at a
// fixed concurrency, against the loopback simulator, while the TicketOwner
// Durable Object rotates the token and SIGN ticket every `refreshMs`.
//
//   const r = await runSoak({ requests: 100_000, concurrency: 50, refreshMs: 15_000 });
//
// The requests go to the test app's /uncached handler (`resultCacheMs: 0`),
// so that each one that is not shared with another in flight queries the
// service, as before the handler kept final results.
//
// Every answer is checked: status 200, the order asked for, the verdict and
// the masked identity the simulator's data give for that order. Returns the
// counts, the refreshes the simulator saw (overlaps and dead-ticket uses
// included) and workerd's memory (RSS) after the first quarter (warm-up) and
// at the end, with samples in between.
import { readFileSync } from "node:fs";
import http from "node:http";
import { startSimulator } from "../../sim/index.mjs";
import { startEdgeWorkerd } from "./edge-workerd.mjs";
import { tempDir } from "./package.mjs";

const ORDER_TOKEN_KEY = "soak-order-token-key-0123456789abcdef";

/** workerd's resident memory in bytes (Linux). */
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * @param {{ requests?: number, durationMs?: number, concurrency?: number, refreshMs?: number, orders?: number,
 *   log?: (line: string) => void }} o
 */
export async function runSoak({ requests = 100_000, durationMs = Infinity, concurrency = 50, refreshMs = 15_000, orders = 200, log = () => {} } = {}) {
  const sim = await startSimulator({ nonceTicket: "SoakNonceTicket".padEnd(64, "s") });
  const wd = await startEdgeWorkerd(sim, {
    orderTokenKey: ORDER_TOKEN_KEY,
    env: { FACEID_REFRESH_INTERVAL_MS: String(refreshMs) },
    // On disk, as deployed: the owner's alarm (its refresh on schedule) needs stored state.
    durableObjectStorage: { localDisk: tempDir("soak-do") },
  });
  // node:http with kept-alive connections, one per concurrent caller.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (path, headers = {}) =>
    new Promise((resolve, reject) => {
      const req = http.get(wd.url + path, { headers, agent }, (res) => {
        const parts = [];
        res.on("data", (c) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
  try {
    // The orders and their tokens; the expected answer of each, from a first read.
    const tokens = [];
    for (let i = 0; i < orders; i++) {
      const orderNo = `soak${String(i).padStart(6, "0")}`;
      const { body } = await get(`/test/issue?kind=face&orderNo=${orderNo}&userId=alice`, { "x-user": "alice" });
      tokens.push({ orderNo, token: JSON.parse(body).orderToken });
    }
    const expected = new Map();
    for (const { orderNo, token } of tokens) {
      const r = await get(`/uncached/result?orderNo=${orderNo}`, { "x-user": "alice", authorization: `Bearer ${token}` });
      expected.set(orderNo, r.body);
    }
    // Memory is compared from the end of a warm-up (the first quarter of the
    // requests: V8 and the isolate grow their heaps to a steady size) to the end.
    const warmUpAt = Number.isFinite(requests) ? Math.floor(requests / 4) : Infinity;
    const warmUpAfterMs = Number.isFinite(durationMs) ? durationMs / 3 : Infinity;
    let warmRss = NaN;
    const samples = [];
    const stats = { errorSamples: [], requests: 0, ok: 0, wrong: 0, serverErrors: 0, otherStatus: 0, failures: 0, latencies: [] };
    const started = Date.now();
    let next = 0;
    let lastLog = started;
    const worker = async () => {
      while (next < requests && Date.now() - started < durationMs) {
        const i = next++;
        if (i === warmUpAt || (Number.isNaN(warmRss) && Date.now() - started >= warmUpAfterMs)) warmRss = rss(wd.process.pid);
        if (i % (Number.isFinite(requests) ? Math.max(1, Math.floor(requests / 8)) : 10_000) === 0) samples.push(Math.round(rss(wd.process.pid) / 2 ** 20));
        const { orderNo, token } = tokens[i % tokens.length];
        const t0 = performance.now();
        try {
          const r = await get(`/uncached/result?orderNo=${orderNo}`, { "x-user": "alice", authorization: `Bearer ${token}` });
          stats.latencies.push(performance.now() - t0);
          stats.requests++;
          if (r.status >= 500) {
            stats.serverErrors++;
            if (stats.errorSamples.length < 5) stats.errorSamples.push({ at: Math.round((Date.now() - started) / 1000), status: r.status, body: r.body.slice(0, 300) });
          }
          else if (r.status !== 200) stats.otherStatus++;
          else if (r.body !== expected.get(orderNo)) stats.wrong++;
          else stats.ok++;
        } catch {
          stats.failures++;
        }
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`${stats.requests} requests, ${Math.round(stats.requests / ((Date.now() - started) / 1000))}/s, rss ${(rss(wd.process.pid) / 2 ** 20).toFixed(1)} MB`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (Date.now() - started) / 1000;
    const endRss = rss(wd.process.pid);
    const lat = stats.latencies.sort((a, b) => a - b);
    const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN;
    const refresh = sim.refreshStats();
    return {
      requests: stats.requests, ok: stats.ok, wrong: stats.wrong, serverErrors: stats.serverErrors,
      otherStatus: stats.otherStatus, failures: stats.failures, seconds, perSecond: stats.requests / seconds,
      p50Ms: pct(0.5), p99Ms: pct(0.99), concurrency, refreshMs,
      accessTokens: refresh.accessTokens, signTickets: refresh.signTickets, overlaps: refresh.overlaps,
      deadUses: refresh.deadUses, rssWarmMB: warmRss / 2 ** 20, rssEndMB: endRss / 2 ** 20,
      rssSamplesMB: samples,
      errorSamples: stats.errorSamples,
      workerdErrors: stats.serverErrors ? wd.output().split("\n").filter((l) => /error|exception|panic|unreachable/i.test(l)).slice(0, 12) : [],
    };
  } finally {
    agent.destroy();
    await wd.stop();
    await sim.stop();
  }
}
