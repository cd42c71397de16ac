// Tickets: the summary of a client, the shared store, `TicketManager` and the events of refreshes.

/** What `JSON.stringify(client)` shows: never the ticket. */
export interface FaceIdClientSummary {
  appId: string;
  version: string;
  serverUrl: string;
  kycUrl: string;
  ticketSource: "ticket" | "ticketProvider" | "secret" | "ticketOwner";
}

/**
 * A store shared by several processes, so that exactly one of them refreshes
 * the token and ticket (see `createRedisTicketStore` for Redis). Values are
 * JSON text holding the token and ticket: keep the store private.
 */
export interface TicketStore {
  /** The value at `key`, or null. */
  get(key: string): Promise<string | null>;
  /** Sets `key` to `value`, expiring after `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Takes the lock `key` for at most `ttlMs` if nobody holds it. Resolves to
   * a token naming this holder (any truthy value; a fresh random string is
   * best) when taken, or a falsy value when someone else holds it.
   */
  lock(key: string, ttlMs: number): Promise<string | boolean | null>;
  /**
   * Releases the lock `key` if `token` (what `lock` gave) still holds it:
   * never someone else's lock. The lock also expires by itself.
   */
  unlock(key: string, token: string | boolean): Promise<void>;
  /**
   * Optional, recommended: sets `key` to `value` (expiring after `ttlMs`)
   * only if it still holds `expected` (`null`: only if it is empty), in one
   * atomic step; resolves to whether it did. With it a refresh can never
   * overwrite a newer ticket; without it `set` is used under the lock.
   */
  compareAndSet?(key: string, expected: string | null, value: string, ttlMs: number): Promise<boolean>;
}

/** The parts of a Durable Object namespace binding the client uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string): Promise<Response> };
}

/** What `client.ticketStatus()` and `TicketManager.status()` show: never a ticket, token or secret. */
export interface TicketStatus {
  source: "ticket" | "ticketProvider" | "secret" | "secret+store" | "ticketOwner";
  /** A usable SIGN ticket is at hand (`null`: unknown, for a `ticketProvider`). */
  hasTicket: boolean | null;
  ticketAgeMs: number | null;
  ticketExpiresInMs: number | null;
  tokenAgeMs: number | null;
  tokenExpiresInMs: number | null;
  nextRefreshInMs: number | null;
  /** Epoch ms of the last successful refresh. */
  lastRefreshAt: number | null;
  refreshes: number;
  /** A refresh (or, with `ticketOwner`, a read of the owner) is running and not past its deadline. */
  refreshing: boolean;
  /** Refreshes that did not finish within their deadline and were replaced (their request ended early, say). */
  abandonedRefreshes: number;
  failures: number;
  /** After failures: milliseconds before the next attempt is allowed (0: now). */
  retryInMs: number;
  /** ticketOwner: age of the isolate's copy. */
  cachedAgeMs: number | null;
  lastError: { code: string; message: string; at: number } | null;
  /** With a store: why the last refresh could not be written there (its ticket is still used here), or null. */
  storeError: { code: string; message: string; at: number } | null;
  /** With a store: age of the last read of it. */
  storeReadAgeMs: number | null;
}

/** What `onEvent` is told. Paths never carry a query string; nothing here is secret. */
export type FaceIdEvent =
  | { type: "request"; method: string; path: string; status: number | null; durationMs: number; error?: FaceIdErrorCode }
  /** A busy code (`999999`/`999998`/`999997`), retried after `delayMs` of jittered backoff (`attempt` of `retries`). */
  | { type: "retry"; reason: "busy"; endpoint: string; orderNo: string; code: string; attempt: number; delayMs: number }
  /**
   * A GET whose connection was closed under it before any answer (a kept-alive socket the server had dropped:
   * `UND_ERR_SOCKET`, `ECONNRESET`, `EPIPE`), sent again at once, once; not counted in `retries`. `endpoint` and
   * `orderNo` for the queries; absent for the token and ticket requests.
   */
  | { type: "retry"; reason: "socket"; endpoint?: string; orderNo?: string; method: "GET"; path: string; error: "NETWORK"; attempt: number; delayMs: 0 }
  | { type: "poll"; endpoint: string; orderNo: string; attempt: number; delayMs: number }
  | { type: "renew"; endpoint: string; orderNo: string; code: string }
  | { type: "refresh"; source: "secret"; ok: boolean; durationMs: number; error?: FaceIdErrorCode }
  | { type: "result"; endpoint: string; orderNo: string; ok: boolean; code: string; durationMs: number }
  | { type: "failure"; endpoint: string; orderNo: string; error: FaceIdErrorCode; durationMs: number };

/** Options of `new TicketManager(...)` (the engine of the `TicketOwner` Durable Object). */
export interface TicketManagerOptions {
  appId: string;
  secret: string;
  /** As `FaceIdClientOptions.serverUrl`: `https://`, or `http://` on a loopback host only. */
  serverUrl?: string;
  /** As `FaceIdClientOptions.hosts`. */
  hosts?: "current" | "legacy";
  timeoutMs?: number;
  refreshIntervalMs?: number;
  /** As `FaceIdClientOptions.fetch`. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** As `FaceIdClientOptions.onEvent` (ticket refreshes and their requests). */
  onEvent?: (event: FaceIdEvent) => void;
}
