// `make soak`: the long soak of the edge handler in real workerd (see
// tests/js/lib/soak.mjs). SOAK_REQUESTS (default 100000), SOAK_CONCURRENCY
// (50), SOAK_REFRESH_MS (15000). Prints the figures as JSON and fails on a
// wrong answer, a 5xx, an overlapping refresh, a dead-ticket use or memory
// that grew by more than 15% from the end of the warm-up (the first quarter).
import { runSoak } from "./js/lib/soak.mjs";

const r = await runSoak({
  requests: Number(process.env.SOAK_REQUESTS ?? 100_000),
  concurrency: Number(process.env.SOAK_CONCURRENCY ?? 50),
  refreshMs: Number(process.env.SOAK_REFRESH_MS ?? 15_000),
  log: (line) => console.log(`soak: ${line}`),
});
console.log(JSON.stringify(r, null, 2));
const problems = [];
if (r.wrong || r.serverErrors || r.otherStatus || r.failures) problems.push("wrong answers, 5xx, other statuses or failed requests");
if (r.overlaps || r.deadUses) problems.push("overlapping refreshes or dead-ticket uses");
if (r.rssEndMB > r.rssWarmMB * 1.15) problems.push(`memory grew from ${r.rssWarmMB.toFixed(1)} to ${r.rssEndMB.toFixed(1)} MB after the warm-up`);
if (problems.length) {
  console.error(`soak: FAILED: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("soak: passed");
