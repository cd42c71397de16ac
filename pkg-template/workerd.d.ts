// Types of the workerd entry (the `workerd` export condition: TypeScript reads
// them with `"customConditions": ["workerd"]`): those of index.d.ts, with
// TicketOwner a real DurableObject from cloudflare:workers, whose types the
// Worker project has (`wrangler types`, or @cloudflare/workers-types).
import { DurableObject } from "cloudflare:workers";

export * from "./index.js";
export { default } from "./index.js";

/**
 * The Durable Object that owns the token and SIGN ticket of one App ID.
 * Re-export it from your Worker (`export { TicketOwner } from "faceid-edge"`)
 * and bind it; clients address one owner per App ID. Settings come from the
 * Worker's environment: `FACEID_SECRET_<appId>` (one per App ID) or
 * `FACEID_APP_ID` with `FACEID_SECRET`; optionally `FACEID_SERVER_URL`,
 * `FACEID_REFRESH_INTERVAL_MS`, `FACEID_TIMEOUT_MS`.
 */
export declare class TicketOwner extends DurableObject {
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
  /** Shows the App ID only: never the token, tickets or environment. */
  toJSON(): { TicketOwner: string | null };
}
