/// <reference lib="esnext.disposable" />
// (wasm-bindgen classes declare [Symbol.dispose]; this keeps default `lib` settings working.)
// Types of the faceid-edge entries for Node.js (import; index.d.cts is the copy for require),
// browsers and bundlers; workerd.d.ts re-exports them for the workerd entry.
import type { FaceIdErrorCode, InitInput } from "./faceid_edge.js";

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
export type {
  BankCardOcrResult,
  CallbackParams,
  CallbackVerdict,
  CodeInfo,
  EdgeErrorBody,
  EdgeEvent,
  EdgeHandler,
  EdgeHandlerOptions,
  EdgeRoute,
  FaceIdentity,
  OrderKind,
  OrderResultEvent,
  OrderStartEvent,
  OrderTokenGrant,
  OrderTokenKey,
  OrderTokenVerdict,
  VerifyOrderTokenOptions,
  StartFaceInput,
  StartFaceResult,
  StartRefused,
  StartResponse,
  TrimmedResult,
  FaceIdClientOptions,
  FaceIdClientSummary,
  FaceIdErrorCode,
  FaceIdEvent,
  FaceQueryOptions,
  FaceRecordResult,
  FaceResult,
  GetFile,
  IdCardOcrInput,
  IdCardOcrResponse,
  IdCardOcrResult,
  InitInput,
  LiveResult,
  MediaFile,
  OcrQueryOptions,
  QueryResult,
  RequestKind,
  SignedRequestInit,
  SignOptions,
  TicketManagerOptions,
  TicketStatus,
  TicketStore,
  DurableObjectNamespaceLike,
  FaceDevice,
  SdkKind,
  SdkStartParams,
  SdkStartResponse,
  StartSdkInput,
} from "./faceid_edge.js";

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

// Only what is exported above is public (declaration files otherwise export every declaration).
export {};
