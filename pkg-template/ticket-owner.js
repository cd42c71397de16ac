// TicketOwner: the Durable Object that alone talks to access_token and
// api_ticket for one App ID, so that Worker isolates never refresh (and
// invalidate) each other's tickets (SPEC §2). Re-export it from your Worker:
//
//   export { TicketOwner } from "faceid-edge";
//
// and bind it (wrangler.toml):
//
//   [[durable_objects.bindings]]
//   name = "TICKET_OWNER"
//   class_name = "TicketOwner"
//
// Its settings come from the Worker's environment: FACEID_APP_ID,
// FACEID_SECRET (a secret), and optionally FACEID_SERVER_URL and
// FACEID_REFRESH_INTERVAL_MS. Clients use it with
// `new FaceIdClient({ appId, ticketOwner: env.TICKET_OWNER })`.
//
// Its answers carry the SIGN ticket (to your own isolates, through the
// Durable Object stub): never route public requests to it.
import { TicketManager } from "./faceid_edge.js";

const KEY = "tickets";

function errorBody(e) {
  return { error: { code: e && e.code ? e.code : "TICKET_UNAVAILABLE", message: e && e.message ? e.message : "failed" } };
}

export class TicketOwner {
  constructor(ctx, env) {
    this.ctx = ctx;
    const interval = env.FACEID_REFRESH_INTERVAL_MS ? Number(env.FACEID_REFRESH_INTERVAL_MS) : undefined;
    this.manager = new TicketManager({
      appId: env.FACEID_APP_ID,
      secret: env.FACEID_SECRET,
      serverUrl: env.FACEID_SERVER_URL || undefined,
      refreshIntervalMs: interval,
    });
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get(KEY);
      if (typeof saved === "string" && this.manager.importState(saved)) this.saved = saved;
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/sign-ticket") {
        const stale = url.searchParams.get("stale");
        const ticket = stale ? await this.manager.refresh(stale) : await this.manager.signTicket();
        await this.persist();
        return Response.json(ticket);
      }
      if (url.pathname === "/nonce-ticket") {
        const value = await this.manager.nonceTicket(url.searchParams.get("userId") ?? "");
        return Response.json({ value });
      }
      if (url.pathname === "/status") return Response.json(this.manager.status());
      return Response.json({ error: { code: "NOT_FOUND", message: "unknown TicketOwner path" } }, { status: 404 });
    } catch (e) {
      return Response.json(errorBody(e), { status: 503 });
    }
  }

  /** Refreshes on schedule (about every 20 minutes), even with no traffic. */
  async alarm() {
    try {
      await this.manager.refresh();
    } catch {
      // No valid ticket remains; status() has the error. Retried below.
    } finally {
      await this.persist(true);
    }
  }

  /**
   * Stores the token and ticket and sets the alarm for the next refresh,
   * when they changed (reads cost no storage write). After a failure the
   * alarm comes back within a minute.
   */
  async persist(always = false) {
    const state = this.manager.exportState();
    if (!always && state === this.saved) return;
    if (state && state !== this.saved) await this.ctx.storage.put(KEY, state);
    this.saved = state;
    const due = this.manager.refreshDueInMs();
    await this.ctx.storage.setAlarm(Date.now() + (due == null ? 60_000 : Math.max(due, 1_000)));
  }
}
