// Shared pieces of the ticket management tests (tickets.node / tickets.redis /
// tickets.workerd / nonce.node): the packed package's Node entry, a recording
// proxy in front of the simulator, leak checks, and a ticket store in memory.
//
// The proxy forwards everything to the simulator and remembers every secret,
// access token and ticket (SIGN and NONCE) that passes through it, so that a
// test can grep any output for all of them, not just the one it knows. It can
// also make the OAuth endpoints fail (the simulator's old ticket stays
// valid: a failed refresh that loses nothing) and hold back chosen answers.
import assert from "node:assert/strict";
import { request as httpRequest, createServer } from "node:http";
import { once } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { installedPackage, resolveExport } from "./package.mjs";

export const TOKEN_PATH = "/api/oauth2/access_token";
export const TICKET_PATH = "/api/oauth2/api_ticket";

/** The installed package's Node ESM entry, as a file URL. */
export function packageEntryUrl() {
  const pkg = installedPackage();
  return pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href;
}

/** The packed package, imported the way a Node user imports it. */
export async function loadPackage() {
  return import(packageEntryUrl());
}

/**
 * A loopback proxy in front of `target` (the simulator's URL).
 * - `failOauth`: an HTTP status (e.g. 503) that every /api/oauth2/* request gets
 *   instead of being forwarded, or 0 to forward them (the default);
 * - `holdBack(fn)`: `fn(url)` → milliseconds to hold the answer to that
 *   request back (after the simulator answered), or 0;
 * - `seen`: { secrets, tokens, signTickets, nonceTickets } (Sets) of every value
 *   that went through; `values()` all of them in one array;
 * - `oauth`: { token, sign, nonce, failed } request counts; `maxConcurrentOauth`:
 *   the most OAuth requests (token or SIGN ticket; NONCE ones not counted) that were
 *   open at the same time.
 */
export async function startProxy(target) {
  const seen = { secrets: new Set(), tokens: new Set(), signTickets: new Set(), nonceTickets: new Set() };
  const oauth = { token: 0, sign: 0, nonce: 0, failed: 0 };
  let holdBack = () => 0;
  let open = 0;
  const proxy = {
    failOauth: 0,
    maxConcurrentOauth: 0,
    seen,
    oauth,
    holdBack(fn) {
      holdBack = fn ?? (() => 0);
    },
    values: () => [...seen.secrets, ...seen.tokens, ...seen.signTickets, ...seen.nonceTickets],
  };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const url = new URL(req.url, "http://proxy");
    const q = url.searchParams;
    if (url.pathname === TOKEN_PATH && q.get("secret")) seen.secrets.add(q.get("secret"));
    if (url.pathname === TICKET_PATH && q.get("access_token")) seen.tokens.add(q.get("access_token"));
    const refresh = url.pathname === TOKEN_PATH || (url.pathname === TICKET_PATH && q.get("type") !== "NONCE");
    if (refresh) {
      open++;
      proxy.maxConcurrentOauth = Math.max(proxy.maxConcurrentOauth, open);
      res.on("close", () => open--);
    }
    if (url.pathname.startsWith("/api/oauth2/")) {
      if (url.pathname === TOKEN_PATH) oauth.token++;
      else if (q.get("type") === "NONCE") oauth.nonce++;
      else oauth.sign++;
      if (proxy.failOauth) {
        oauth.failed++;
        res.writeHead(proxy.failOauth, { "content-type": "text/plain" });
        res.end("upstream unavailable (test proxy)");
        return;
      }
    }
    const headers = { ...req.headers };
    delete headers.host;
    const upstream = httpRequest(new URL(req.url, target), { method: req.method, headers });
    upstream.on("error", () => res.destroy());
    upstream.end(Buffer.concat(chunks));
    let answer;
    try {
      [answer] = await once(upstream, "response");
    } catch {
      return;
    }
    const body = [];
    for await (const c of answer) body.push(c);
    const bytes = Buffer.concat(body);
    if (url.pathname.startsWith("/api/oauth2/")) {
      try {
        const json = JSON.parse(bytes.toString("utf8"));
        if (json.access_token) seen.tokens.add(json.access_token);
        for (const t of json.tickets ?? []) (q.get("type") === "NONCE" ? seen.nonceTickets : seen.signTickets).add(t.value);
      } catch {
        // not JSON: nothing to remember
      }
    }
    const wait = holdBack(req.url);
    if (wait > 0) await sleep(wait);
    const out = { ...answer.headers };
    delete out["transfer-encoding"];
    out["content-length"] = String(bytes.length);
    res.writeHead(answer.statusCode, out);
    res.end(bytes);
  });
  server.keepAliveTimeout = 2000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = async () => {
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    await closed;
  };
  return proxy;
}

/**
 * The values among `secrets` that occur in `text`, each also caught by any
 * 12-character piece of it (a value cut or embedded in a longer string).
 */
export function leaksIn(text, secrets) {
  const s = String(text);
  const found = [];
  for (const v of secrets) {
    if (!v) continue;
    const piece = Math.min(12, v.length);
    for (let i = 0; i + piece <= v.length; i++) {
      if (s.includes(v.slice(i, i + piece))) {
        found.push(`${v.slice(0, 4)}… (${v.length} chars)`);
        break;
      }
    }
  }
  return found;
}

export { errorText } from "./client-fixtures.mjs";

/** The refresh issuances of the simulator (access_token and SIGN only), oldest first. */
export function refreshIssues(sim) {
  return sim.refreshStats().issues.filter((i) => i.kind !== "NONCE");
}

/**
 * Checks that refreshes never ran two at once: issuances alternate
 * access_token, SIGN, access_token, SIGN… Returns the access_token times.
 */
export function alternating(issues) {
  const kinds = issues.map((i) => i.kind);
  for (let i = 0; i < kinds.length; i++) {
    const want = i % 2 === 0 ? "access_token" : "SIGN";
    if (kinds[i] !== want) throw new Error(`refreshes interleaved: ${kinds.join(", ")}`);
  }
  return issues.filter((i) => i.kind === "access_token").map((i) => i.at);
}

/** A percentile (0–100) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * An in-memory TicketStore (get/set with TTL, compareAndSet, lock/unlock with
 * a token per lock, released only with it).
 */
export function memoryStore() {
  const data = new Map();
  const locks = new Map();
  let tokens = 0;
  const live = (key) => {
    const e = data.get(key);
    return e && e.until > Date.now() ? e.value : null;
  };
  const store = {
    locksTaken: 0,
    writes: 0,
    keys: () => [...data.keys()].filter((k) => data.get(k).until > Date.now()),
    locksHeld: () => [...locks.values()].filter((l) => l.until > Date.now()).length,
    async get(key) {
      return live(key);
    },
    async set(key, value, ttlMs) {
      assert.equal(typeof value, "string");
      assert.ok(ttlMs > 0, `ttl ${ttlMs}`);
      data.set(key, { value, until: Date.now() + ttlMs });
      store.writes++;
    },
    async compareAndSet(key, expected, value, ttlMs) {
      if (live(key) !== expected) return false;
      await store.set(key, value, ttlMs);
      return true;
    },
    async lock(key, ttlMs) {
      if ((locks.get(key)?.until ?? 0) > Date.now()) return null;
      const token = `lock${++tokens}`;
      locks.set(key, { token, until: Date.now() + ttlMs });
      store.locksTaken++;
      return token;
    },
    async unlock(key, token) {
      if (locks.get(key)?.token === token) locks.delete(key);
    },
  };
  return store;
}
