// The fast part of the soak (`make soak` runs the long one): 70 s of
// requests through the edge handler in real workerd at 50 concurrent
// connections, across the moment the isolate's copy of the ticket expires
// (60 s) and the Durable Object refreshes (every 15 s). Before the per-task
// executor and watched flights, 49 of the 50 requests in flight at that
// moment ended in workerd's 500 ("code had hung"): they had awaited the
// promise of another request's flight.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSoak } from "./lib/soak.mjs";

test("70 s at 50 concurrent connections in workerd: every answer right, no 5xx, no dead ticket, memory flat", { timeout: 180_000 }, async () => {
  const r = await runSoak({ requests: Infinity, durationMs: 70_000, concurrency: 50, refreshMs: 15_000 });
  const summary = JSON.stringify({ ...r, errorSamples: r.errorSamples, workerdErrors: r.workerdErrors });
  assert.ok(r.requests > 10_000, summary);
  assert.equal(r.wrong, 0, summary);
  assert.equal(r.serverErrors, 0, summary);
  assert.equal(r.otherStatus, 0, summary);
  assert.equal(r.failures, 0, summary);
  assert.equal(r.overlaps, 0, summary);
  assert.equal(r.deadUses, 0, summary);
  // One refresh per 15 s window (the owner's alarm), plus the first: 70 s → about 5.
  assert.ok(r.accessTokens >= 4 && r.accessTokens <= 7, `not one refresh per window: ${summary}`);
  assert.equal(r.signTickets, r.accessTokens, summary);
  assert.ok(r.rssEndMB < r.rssWarmMB * 1.25, summary);
});
