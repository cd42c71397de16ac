// Tiny benchmark helpers: interleaved rounds, median ops/s.
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

/** Runs `fn(i)` `n` times and returns ops per second. */
export function opsPerSec(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - t0;
  return (n / ms) * 1000;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Compares named candidates: warms each up, then runs `rounds` interleaved
 * rounds of `n` calls and returns the median ops/s per candidate.
 */
export function compare(candidates, { n = 100_000, rounds = 9, warmup = 50_000 } = {}) {
  const names = Object.keys(candidates);
  for (const name of names) opsPerSec(candidates[name], warmup);
  const samples = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) samples[name].push(opsPerSec(candidates[name], n));
  }
  return Object.fromEntries(names.map((k) => [k, median(samples[k])]));
}

export const fmt = (x) => Math.round(x).toLocaleString("en-US");

/**
 * When the module at `moduleUrl` is the script node was started with, runs
 * `run()` (its section alone), prints its figures as JSON with `--json`, then
 * the time it took.
 */
export async function runWhenMain(moduleUrl, run) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  const t0 = performance.now();
  const figures = await run();
  if (process.argv.includes("--json")) console.log(JSON.stringify(figures, null, 2));
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
