/// <reference lib="esnext.disposable" />
// (wasm-bindgen classes declare [Symbol.dispose]; this keeps default `lib` settings working.)
// Types of the faceid-edge entries for Node.js (import; index.d.cts is the copy for require),
// browsers and bundlers; workerd.d.ts re-exports them for the workerd entry.
import type { FaceIdErrorCode } from "./faceid_edge.js";

export {
  FaceIdClient,
  TicketManager,
  createEdgeHandler,
  codeInfo,
  decodeMedia,
  nonce,
  sign,
  signValues,
  verifyOrderToken,
  verifySign,
} from "./faceid_edge.js";
// Every type of wasm-bindgen's declarations (the interfaces of src/wasm/ts/*.d.ts and
// the classes' types), so that a new interface there needs no line here. Type-only:
// the values are the list above.
export type * from "./faceid_edge.js";
/** Not part of the API: wasm-bindgen's reset of the instance (this name shadows it in the line above). */
export type __wbg_reset_state = never;

import type { TicketStore } from "./faceid_edge.js";

/**
 * A `TicketStore` on a connected node-redis (4+) or ioredis
 * client, for `new FaceIdClient({ appId, secret, store })` in several
 * processes. Keys are prefixed with `prefix`.
 */
export declare function createRedisTicketStore(
  redis: { get(key: string): Promise<unknown>; set(...args: unknown[]): Promise<unknown>; eval(...args: unknown[]): Promise<unknown> },
  options?: { prefix?: string },
): TicketStore;

/**
 * The Durable Object brand of the Workers runtime types (`Rpc.DurableObjectBranded`)
 * when the program has them (`wrangler types`, or `@cloudflare/workers-types`),
 * so that `DurableObjectNamespace<TicketOwner>` and `ctx.exports` accept the
 * class a Worker re-exports; nothing in programs without them (Node.js,
 * browsers). With `"customConditions": ["workerd"]`, the `workerd` entry's
 * own types apply instead: there `TicketOwner` extends `DurableObject`.
 */
type DurableObjectBrand = typeof globalThis extends { Rpc: { __DURABLE_OBJECT_BRAND: infer B extends PropertyKey } }
  ? { readonly [K in B]: never }
  : {};

/**
 * The Durable Object (workerd) that owns the token and SIGN ticket of
 * one App ID (in workerd it extends `DurableObject` from
 * `cloudflare:workers`). Re-export it from your Worker and bind it; clients
 * address one owner per App ID. Settings come from the Worker's
 * environment: `FACEID_SECRET_<appId>` (one per App ID) or `FACEID_APP_ID`
 * with `FACEID_SECRET`; optionally `FACEID_SERVER_URL`,
 * `FACEID_REFRESH_INTERVAL_MS`, `FACEID_TIMEOUT_MS`.
 */
export declare class TicketOwner {
  constructor(ctx: unknown, env: Record<string, unknown>);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
  /** Shows the App ID only: never the token, tickets or environment. */
  toJSON(): { TicketOwner: string | null };
}
export interface TicketOwner extends DurableObjectBrand {}

/**
 * The error every faceid-edge function throws. Branch on `code`, which is
 * stable; `message` says what to fix and never contains a ticket, token or
 * secret.
 */
export declare class FaceIdError extends Error {
  constructor(code: FaceIdErrorCode, message: string);
  readonly name: "FaceIdError";
  readonly code: FaceIdErrorCode;
  /** The HTTP status, for `HTTP_STATUS`. */
  readonly status?: number;
  /** The service's business code, for `REJECTED`. */
  readonly upstreamCode?: string;
}

/**
 * Loads the WebAssembly module. Required once in browsers before any other
 * call (it fetches the `.wasm` beside the entry unless `input` is given); a
 * no-op on Node.js and workerd, where the module is ready on import.
 */
export default function init(
  input?: InitInput | Promise<InitInput>,
): Promise<void>;

/**
 * What `init()` loads the WebAssembly from: its URL (a string, `URL` or
 * `Request`), a `Response`, its bytes, or a compiled `WebAssembly.Module`.
 */
export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule;

/** `WebAssembly.Module` where the program declares it (DOM or Workers types); nothing elsewhere. */
type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : never;

// Only what is exported above is public (declaration files otherwise export every declaration).
export {};
