// A TicketStore on Redis (Node.js; runtime-neutral code, exported by every entry), so that several Node.js processes share one access
// token and SIGN ticket and exactly one of them refreshes.
//
//   import { createClient } from "redis";           // node-redis 4+, or ioredis
//   import { FaceIdClient, createRedisTicketStore } from "faceid-edge";
//   const redis = await createClient({ url: process.env.REDIS_URL }).connect();
//   const client = new FaceIdClient({ appId, secret, store: createRedisTicketStore(redis) });
//
// Keys: `<prefix>faceid-edge:<appId>:tickets` (JSON with the token and the
// ticket: keep Redis private) and `…:lock` (SET NX PX with a random token per
// lock, released only with that token, so two clients sharing this store
// never release each other's lock). Writes of a refresh are compare-and-set
// (a Lua script), so a late writer never overwrites a newer ticket.
import { FaceIdError } from "./errors.js";

const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
// KEYS[1]; ARGV: expected ('' with ARGV[4] = '1' for "must be empty"), value, ttl ms, empty flag.
const CAS = "local v = redis.call('get', KEYS[1]) " +
  "if (ARGV[4] == '1' and v == false) or (ARGV[4] ~= '1' and v == ARGV[1]) then " +
  "redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end";

function flavour(redis) {
  try {
    if (redis && typeof redis.set === "function" && typeof redis.get === "function") {
      // node-redis 4+ takes options objects; ioredis takes positional tokens.
      return "isOpen" in redis || typeof redis.sendCommand === "function" && !("status" in redis) ? "node-redis" : "ioredis";
    }
  } catch {
    // A getter or a proxy that throws: not a client either.
  }
  throw new FaceIdError("INVALID_ARGUMENT", "createRedisTicketStore(redis): pass a connected node-redis (4+) or ioredis client");
}

/**
 * @param {object} redis a connected node-redis 4+ or ioredis client
 * @param {{ prefix?: string }} [options]
 * @returns {TicketStore} (see index.d.ts)
 */
export function createRedisTicketStore(redis, options) {
  // An own property only: never a prefix added to Object.prototype elsewhere.
  let prefix;
  try {
    prefix = options != null && Object.hasOwn(options, "prefix") && options.prefix !== undefined ? options.prefix : "";
  } catch {
    throw new FaceIdError("INVALID_OPTION", "createRedisTicketStore(redis, options): reading options.prefix threw");
  }
  if (typeof prefix !== "string" || prefix.length > 256) {
    throw new FaceIdError("INVALID_OPTION", "createRedisTicketStore(redis, { prefix }): prefix must be a string of at most 256 characters");
  }
  const kind = flavour(redis);
  const k = (key) => prefix + key;
  const evaluate = (script, keys, args) => kind === "node-redis"
    ? redis.eval(script, { keys: keys.map(k), arguments: args.map(String) })
    : redis.eval(script, keys.length, ...keys.map(k), ...args.map(String));
  const ms = (ttl) => Math.max(1, Math.ceil(Number(ttl)));
  return {
    async get(key) {
      const v = await redis.get(k(key));
      return v == null ? null : String(v);
    },
    async set(key, value, ttlMs) {
      if (kind === "node-redis") await redis.set(k(key), value, { PX: ms(ttlMs) });
      else await redis.set(k(key), value, "PX", ms(ttlMs));
    },
    async compareAndSet(key, expected, value, ttlMs) {
      const empty = expected === null || expected === undefined;
      return Number(await evaluate(CAS, [key], [empty ? "" : expected, value, ms(ttlMs), empty ? "1" : "0"])) === 1;
    },
    async lock(key, ttlMs) {
      const token = globalThis.crypto.randomUUID();
      const ok = kind === "node-redis"
        ? await redis.set(k(key), token, { NX: true, PX: ms(ttlMs) })
        : await redis.set(k(key), token, "PX", ms(ttlMs), "NX");
      return ok === "OK" || ok === true ? token : null;
    },
    async unlock(key, token) {
      if (typeof token !== "string") return;
      await evaluate(UNLOCK, [key], [token]);
    },
  };
}
