// One Node process of tickets.redis.test.mjs: a node-redis client, the packed
// package's createRedisTicketStore and a FaceIdClient with the secret and that
// store, under load. Settings come as JSON in FACEID_CHILD (so the secret is
// not on the command line):
//   { entry, redisUrl, serverUrl, appId, secret, refreshIntervalMs?, prefix?,
//     startAt, rounds?, concurrency?, durationMs?, tag }
// With `durationMs`, `concurrency` loops query until it has passed; otherwise
// `rounds` waves of `concurrency` concurrent queries. It prints one JSON line:
//   { pid, ok, failed, codes, errors, status, json, inspect, ms }
// and exits 0 (1 on a crash, with the error on stderr).
import { setTimeout as sleep } from "node:timers/promises";
import util from "node:util";
import { createClient } from "redis";

const cfg = JSON.parse(process.env.FACEID_CHILD);
const { FaceIdClient, createRedisTicketStore } = await import(cfg.entry);

const redis = createClient({ url: cfg.redisUrl });
redis.on("error", (e) => console.error(`redis: ${e.message}`));
await redis.connect();
const client = new FaceIdClient({
  appId: cfg.appId, secret: cfg.secret, serverUrl: cfg.serverUrl, kycUrl: cfg.serverUrl, timeoutMs: 5000,
  store: createRedisTicketStore(redis, cfg.prefix ? { prefix: cfg.prefix } : undefined),
  ...(cfg.refreshIntervalMs ? { refreshIntervalMs: cfg.refreshIntervalMs } : {}),
});

const codes = {};
const errors = [];
let ok = 0;
let failed = 0;
let n = 0;
async function one() {
  const orderNo = `${cfg.tag}p${process.pid}n${++n}`.slice(0, 32);
  try {
    const r = await client.faceResult(orderNo);
    codes[r.code] = (codes[r.code] ?? 0) + 1;
    if (r.ok) ok++;
    else failed++;
  } catch (e) {
    failed++;
    errors.push({ code: e.code, message: e.message, stack: e.stack });
  }
}

await sleep(Math.max(0, cfg.startAt - Date.now()));
const t0 = Date.now();
const concurrency = cfg.concurrency ?? 50;
if (cfg.durationMs) {
  const end = t0 + cfg.durationMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) await one();
  }));
} else {
  for (let round = 0; round < (cfg.rounds ?? 1); round++) {
    await Promise.all(Array.from({ length: concurrency }, one));
  }
}
const ms = Date.now() - t0;
const out = {
  pid: process.pid, ok, failed, codes, errors: errors.slice(0, 5), ms,
  status: client.ticketStatus(),
  json: JSON.stringify(client),
  inspect: util.inspect(client, { showHidden: true, depth: Infinity }),
};
await redis.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
