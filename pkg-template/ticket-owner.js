// TicketOwner: the Durable Object that alone talks to access_token and
// api_ticket for one App ID, so that Worker isolates never refresh (and
// invalidate) each other's tickets. Re-export it
// from your Worker:
//
//   export { TicketOwner } from "faceid-edge";
//
// and bind it (wrangler.toml):
//
//   [[durable_objects.bindings]]
//   name = "TICKET_OWNER"
//   class_name = "TicketOwner"
//
// Clients use it with `new FaceIdClient({ appId, ticketOwner: env.TICKET_OWNER })`;
// they address one owner per App ID (`idFromName(appId)`), and each owner
// serves only the App ID it was first asked for. Its settings come from the
// Worker's environment:
//   FACEID_SECRET_<appId>        the secret of that App ID (one per App ID), or
//   FACEID_APP_ID + FACEID_SECRET  one App ID and its secret;
//   FACEID_SERVER_URL (or FACEID_SERVER_URL_<appId>), FACEID_REFRESH_INTERVAL_MS,
//   FACEID_TIMEOUT_MS  optional.
//
// Its answers carry the SIGN ticket (to your own isolates, through the
// Durable Object stub): never route public requests to it. The token,
// tickets and environment are kept in private fields: JSON.stringify or
// util.inspect of the object show none of them.
import { FaceIdError } from "./errors.js";
import { TicketManager, whenRemade } from "./recover.js";

const STATE_KEY = "tickets";
const APP_KEY = "appId";

function errorBody(e) {
  const code = e && typeof e.code === "string" ? e.code : "TICKET_UNAVAILABLE";
  const message = e && typeof e.message === "string" && e.message ? e.message : "the TicketOwner failed without a reason";
  return { error: { code, message } };
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** `ctx` if it can keep work alive (`waitUntil`), else undefined. */
const keeper = (ctx) => (ctx && typeof ctx.waitUntil === "function" ? ctx : undefined);

/**
 * The TicketOwner class on top of `Base`: workerd's `DurableObject` (so that
 * `wrangler types` and RPC see a Durable Object), or a plain class elsewhere.
 */
export function defineTicketOwner(Base) {
  return class TicketOwner extends Base {
    #ctx;
    #env;
    #manager = null;
    #appId = null;
    #saved = null;

    constructor(ctx, env) {
      super(ctx, env);
      // The base class keeps ctx and env (which holds the secret) as
      // properties: not enumerable here, so they are never serialised.
      for (const key of ["ctx", "env"]) {
        if (Object.hasOwn(this, key)) Object.defineProperty(this, key, { enumerable: false });
      }
      this.#ctx = ctx;
      this.#env = env ?? {};
      ctx.blockConcurrencyWhile(async () => {
        const appId = await ctx.storage.get(APP_KEY);
        if (typeof appId !== "string") return;
        try {
          this.#open(appId);
        } catch {
          return; // its secret is gone: requests will say so
        }
        const saved = await ctx.storage.get(STATE_KEY);
        if (typeof saved === "string" && this.#manager.importState(saved)) this.#saved = saved;
      });
    }

    /** The secret of `appId`, or null. */
    #secretFor(appId) {
      const env = this.#env;
      const own = env[`FACEID_SECRET_${appId}`];
      if (typeof own === "string" && own) return own;
      if (env.FACEID_APP_ID === appId && typeof env.FACEID_SECRET === "string") return env.FACEID_SECRET;
      return null;
    }

    /** Starts serving `appId` (throws a FaceIdError when it has no secret). */
    #open(appId) {
      const secret = this.#secretFor(appId);
      if (!secret) {
        throw new FaceIdError("INVALID_APP_ID",
          `the TicketOwner has no secret for App ID ${JSON.stringify(appId)}: set FACEID_SECRET_${appId} (or FACEID_APP_ID and FACEID_SECRET) in the Worker's environment`);
      }
      const env = this.#env;
      const number = (v) => (v === undefined || v === null || v === "" ? undefined : Number(v));
      this.#manager = new TicketManager({
        appId,
        secret,
        serverUrl: env[`FACEID_SERVER_URL_${appId}`] || env.FACEID_SERVER_URL || undefined,
        hosts: env.FACEID_HOSTS || undefined,
        refreshIntervalMs: number(env.FACEID_REFRESH_INTERVAL_MS),
        timeoutMs: number(env.FACEID_TIMEOUT_MS),
      });
      // After a WebAssembly trap the manager is remade empty: it takes back
      // the stored token and ticket instead of fetching new ones (which
      // would end the ones the isolates hold).
      whenRemade(this.#manager, (manager) => {
        if (this.#saved) manager.importState(this.#saved);
      });
      this.#appId = appId;
    }

    /** Checks that the request is for this owner's App ID (fixing it on first use). */
    async #serve(appId) {
      if (!appId) throw new FaceIdError("INVALID_APP_ID", "the request names no App ID (appId=)");
      const name = this.#ctx.id && typeof this.#ctx.id.name === "string" ? this.#ctx.id.name : null;
      if (name !== null && name !== appId) {
        throw new FaceIdError("INVALID_APP_ID",
          `this TicketOwner is named ${JSON.stringify(name)} and serves only that App ID, not ${JSON.stringify(appId)}: address it with idFromName(appId)`);
      }
      if (this.#appId === null) {
        this.#open(appId);
        await this.#ctx.storage.put(APP_KEY, appId);
      } else if (this.#appId !== appId) {
        throw new FaceIdError("INVALID_APP_ID",
          `this TicketOwner serves App ID ${JSON.stringify(this.#appId)}, not ${JSON.stringify(appId)}: address the owner of each App ID with idFromName(appId)`);
      }
      return this.#manager;
    }

    async fetch(request) {
      const url = new URL(request.url);
      const q = url.searchParams;
      try {
        if (url.pathname === "/sign-ticket") {
          const manager = await this.#serve(q.get("appId"));
          const ctx = keeper(this.#ctx);
          const stale = q.get("stale");
          let ticket;
          try {
            ticket = stale ? await manager.refresh(stale, ctx) : await manager.signTicket(ctx);
          } catch (e) {
            // Failed: the alarm retries when the backoff allows.
            await this.#persist(true);
            throw e;
          }
          await this.#persist();
          // A due ticket started a background refresh: store what it brings.
          if (manager.status().refreshing) {
            const done = manager.whenIdle().then(() => this.#persist(true));
            if (ctx) ctx.waitUntil(done);
          }
          return json(ticket);
        }
        if (url.pathname === "/nonce-ticket") {
          const manager = await this.#serve(q.get("appId"));
          let value;
          try {
            // A token that retires within the NONCE ticket's 120 s is
            // refreshed first: store what that refresh brought.
            value = await manager.nonceTicket(q.get("userId") ?? "", keeper(this.#ctx));
          } catch (e) {
            await this.#persist(true);
            throw e;
          }
          await this.#persist();
          return json({ value });
        }
        if (url.pathname === "/status") {
          if (this.#manager === null) return json({ source: "secret", hasTicket: false, appId: null });
          return json({ ...this.#manager.status(), appId: this.#appId });
        }
        return json({ error: { code: "NOT_FOUND", message: "unknown TicketOwner path" } }, 404);
      } catch (e) {
        return json(errorBody(e), e && e.code === "INVALID_APP_ID" ? 409 : 503);
      }
    }

    /**
     * Refreshes on schedule (about every 20 minutes), even with no traffic;
     * after a failure, when the backoff allows (growing, capped at minutes).
     */
    async alarm() {
      if (this.#manager === null) return;
      try {
        await this.#manager.refresh(undefined, keeper(this.#ctx));
      } catch {
        // No valid ticket remains; status() has the error. Retried below.
      } finally {
        await this.#persist(true);
      }
    }

    /**
     * Stores the token and ticket when they changed (reads cost no storage
     * write) and sets the alarm for the next attempt: when the ticket is
     * due, never before the backoff after failures ends.
     */
    async #persist(always = false) {
      const state = this.#manager.exportState();
      if (!always && state === this.#saved) return;
      if (state && state !== this.#saved) await this.#ctx.storage.put(STATE_KEY, state);
      this.#saved = state;
      const next = this.#manager.refreshDueInMs();
      if (next === null || next === undefined) await this.#ctx.storage.deleteAlarm();
      else await this.#ctx.storage.setAlarm(Date.now() + Math.max(next, 1_000));
    }

    toJSON() {
      return { TicketOwner: this.#appId };
    }
  };
}

/** For Node.js and browsers (no Durable Objects there): a plain class. */
export const TicketOwner = defineTicketOwner(class {});
