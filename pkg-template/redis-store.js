// A TicketStore on Redis (Node.js; runtime-neutral code, exported by every entry), so that several Node.js processes share one access
// token and SIGN ticket and exactly one of them refreshes (SPEC §2).
//
//   import { createClient } from "redis";           // node-redis 4+, or ioredis
//   import { FaceIdClient, createRedisTicketStore } from "faceid-edge";
//   const redis = await createClient({ url: process.env.REDIS_URL }).connect();
//   const client = new FaceIdClient({ appId, secret, store: createRedisTicketStore(redis) });
//
// Keys: `<prefix>faceid-edge:<appId>:tickets` (JSON with the token and the
// ticket: keep Redis private) and `…:lock` (SET NX PX, released only by its
// holder).

const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function flavour(redis) {
  if (redis && typeof redis.set === "function" && typeof redis.get === "function") {
    // node-redis 4+ takes options objects; ioredis takes positional tokens.
    return "isOpen" in redis || typeof redis.sendCommand === "function" && !("status" in redis) ? "node-redis" : "ioredis";
  }
  throw new TypeError("createRedisTicketStore(redis): pass a connected node-redis (4+) or ioredis client");
}

/**
 * @param {object} redis a connected node-redis 4+ or ioredis client
 * @param {{ prefix?: string }} [options]
 * @returns {TicketStore} (see index.d.ts)
 */
export function createRedisTicketStore(redis, options) {
  // An own property only: never a prefix added to Object.prototype elsewhere.
  const prefix = options != null && Object.hasOwn(options, "prefix") && options.prefix !== undefined ? options.prefix : "";
  const kind = flavour(redis);
  const held = new Map();
  const k = (key) => prefix + key;
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
    async lock(key, ttlMs) {
      const token = globalThis.crypto.randomUUID();
      const ok = kind === "node-redis"
        ? await redis.set(k(key), token, { NX: true, PX: ms(ttlMs) })
        : await redis.set(k(key), token, "PX", ms(ttlMs), "NX");
      if (ok === "OK" || ok === true) {
        held.set(key, token);
        return true;
      }
      return false;
    },
    async unlock(key) {
      const token = held.get(key);
      if (!token) return;
      held.delete(key);
      if (kind === "node-redis") await redis.eval(UNLOCK, { keys: [k(key)], arguments: [token] });
      else await redis.eval(UNLOCK, 1, k(key), token);
    },
  };
}
