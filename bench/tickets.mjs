// Token and ticket requests per 10 000 queries at 1, 10 and 100 concurrent
// callers, for a client made from appId + secret, against the simulator (in
// its own process). The plain way, fetching a token and a ticket per query,
// is measured on a smaller run and scaled.
import { createHash } from "node:crypto";
import { startSim } from "./query.mjs";
import { plainNonce } from "./sign.mjs";

const QUERIES = 10_000;

async function stats(sim) {
  const s = await (await fetch(`${sim.url}/__sim/refresh-stats`)).json();
  return { tokens: s.accessTokens, tickets: s.signTickets, overlaps: s.overlaps };
}

async function reset(sim) {
  await fetch(`${sim.url}/__sim/reset`, { method: "POST", body: "{}" });
}

async function runConcurrent(n, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The plain way: a token and a ticket per query, then the query. */
async function plainQuery(sim, appId, secret, orderNo) {
  const q = (o) => new URLSearchParams(o).toString();
  const tok = await (await fetch(`${sim.url}/api/oauth2/access_token?${q({ app_id: appId, secret, grant_type: "client_credential", version: "1.0.0" })}`)).json();
  const tic = await (await fetch(`${sim.url}/api/oauth2/api_ticket?${q({ app_id: appId, access_token: tok.access_token, type: "SIGN", version: "1.0.0" })}`)).json();
  const ticket = tic.tickets[0].value;
  const nonce = plainNonce();
  const sign = createHash("sha1").update([appId, orderNo, "1.0.0", ticket, nonce].sort().join("")).digest("hex").toUpperCase();
  const r = await (await fetch(`${sim.url}/api/server/sync?${q({ app_id: appId, order_no: orderNo, nonce, version: "1.0.0", sign })}`)).json();
  if (r.code !== "0") throw new Error(`plain query failed: ${r.code}`);
}

export async function run(lib, log = console.log) {
  const sim = await startSim();
  const figures = { perConcurrency: {} };
  try {
    const appId = sim.appId;
    const simSecret = sim.secret;
    for (const concurrency of [1, 10, 100]) {
      await reset(sim);
      const client = new lib.FaceIdClient({ appId, secret: simSecret, serverUrl: sim.url, kycUrl: sim.url });
      const t0 = performance.now();
      await runConcurrent(QUERIES, concurrency, async (i) => {
        const r = await client.faceResult(`bench${i % 50}`);
        if (!r.ok) throw new Error(`query failed: ${r.code} ${r.msg}`);
      });
      const s = await stats(sim);
      figures.perConcurrency[concurrency] = { queries: QUERIES, ...s, seconds: (performance.now() - t0) / 1000 };
      log(`${QUERIES} queries at ${concurrency} concurrent: ${s.tokens} access_token + ${s.tickets} SIGN api_ticket requests, ${s.overlaps} overlapping (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    await reset(sim);
    const plainN = 300;
    await runConcurrent(plainN, 10, (i) => plainQuery(sim, appId, simSecret, `bench${i % 50}`));
    const p = await stats(sim);
    figures.plain = { queries: plainN, ...p };
    log(`the plain way (a token and a ticket per query): ${p.tokens} + ${p.tickets} requests for ${plainN} queries = ${Math.round(((p.tokens + p.tickets) * QUERIES) / plainN)} per ${QUERIES}`);
  } finally {
    sim.stop();
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lib = await import(process.argv[2] ?? "../pkg/node.mjs");
  await run(lib);
}
