//! TypeScript declarations of the shapes that cross the boundary.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Options of the face queries (TypeScript: `FaceQueryOptions`).
    #[wasm_bindgen(typescript_type = "FaceQueryOptions")]
    pub type FaceQueryOptionsArg;

    /// Options of the OCR result queries (TypeScript: `OcrQueryOptions`).
    #[wasm_bindgen(typescript_type = "OcrQueryOptions")]
    pub type OcrQueryOptionsArg;

    /// Options of `signedRequest`.
    #[wasm_bindgen(
        typescript_type = "FaceQueryOptions | OcrQueryOptions | Omit<IdCardOcrInput, \"orderNo\">"
    )]
    pub type SignedRequestOptionsArg;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT_TYPES: &'static str = r#"
/**
 * Options of `new FaceIdClient(...)`. Give exactly one ticket source:
 * `ticket`, `ticketProvider`, `secret` (the client then owns the token and
 * SIGN ticket; with `store`, shared by several processes) or `ticketOwner`
 * (a Worker reading from the `TicketOwner` Durable Object). Only own
 * properties are read (never inherited ones).
 */
export interface FaceIdClientOptions {
  /** The App ID assigned by Tencent Cloud. */
  appId: string;
  /** The SIGN ticket, held server-side. */
  ticket?: string;
  /** Called once per query for the current SIGN ticket. */
  ticketProvider?: () => string | Promise<string>;
  /** The App ID's secret: the client fetches, caches and refreshes the access token and SIGN ticket itself. */
  secret?: string;
  /** With `secret`: a store shared by several processes so that exactly one refreshes. */
  store?: TicketStore;
  /** In a Worker: the Durable Object namespace binding of `TicketOwner`. */
  ticketOwner?: DurableObjectNamespaceLike;
  /** With `secret`: refresh this often (default 20 minutes), and never later than expiry minus 5 minutes. */
  refreshIntervalMs?: number;
  /** Business codes that mean "this ticket is no longer valid": refresh once and retry the call once. The public docs list none; default `[]`. */
  ticketErrorCodes?: string[];
  /** API version; default `"1.0.0"`. */
  version?: string;
  /** The default hosts: `"current"` (default: `https://kyc1.qcloud.com` for every call, as the current official pages show) or `"legacy"` (`https://idasc.webank.com` and `https://miniprogram-kyc.tencentcloudapi.com`, as older pages show). `serverUrl` and `kycUrl` override either. */
  hosts?: "current" | "legacy";
  /** Development only: host names (such as a docker compose service `"sim"`) for which plain `http://` is taken in `serverUrl`, `kycUrl` and `loginUrl`, as it is for loopback. Refused in Cloudflare Workers and when `NODE_ENV` is `"production"`. */
  devHosts?: string[];
  /** Tokens, tickets and the four GET result queries; default `https://kyc1.qcloud.com` (`hosts: "legacy"`: `https://idasc.webank.com`). `https://` only; plain `http://` is accepted for a local simulator on `localhost`, `127.x.x.x` or `[::1]`. No user name or password. */
  serverUrl?: string;
  /** startFace (`getAdvFaceId`), idCardOcr, queryFaceRecord, and the face page when the service names no `optimalDomain`; default `https://kyc1.qcloud.com` (`hosts: "legacy"`: `https://miniprogram-kyc.tencentcloudapi.com`). Same rules as `serverUrl`. */
  kycUrl?: string;
  /** Replaces `https://{optimalDomain}` in the face page URL that `startFace` builds (a private deployment, a simulator). */
  loginUrl?: string;
  /** Used instead of the global `fetch` for every request (a service binding, a proxy, a test double). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Told of each request, retry, file poll, ticket refresh, result and failure, with timings and codes; never a secret. A hook that throws is ignored. */
  onEvent?: (event: FaceIdEvent) => void;
  /** Every call's deadline, retries and file polls included (a call's own `deadlineMs` wins). None by default. */
  deadlineMs?: number;
  /** Deadline per request, body included; default 10000. */
  timeoutMs?: number;
  /** Retries after a busy code (999999/999998/999997); default 2. */
  retries?: number;
  /** First backoff delay, doubled each retry; default 200. */
  retryDelayMs?: number;
  /** Largest backoff delay; default 2000. */
  maxRetryDelayMs?: number;
  /** Extra queries while requested files lag behind the verdict; default 3. */
  filePolls?: number;
  /** Delay between those queries; default 2000. */
  filePollIntervalMs?: number;
}

/** Which files a face query returns: none (default), photo and video, photo, video. */
export type GetFile = "none" | "all" | "photo" | "video";

/** Options of `faceResult`, `liveResult` and `queryFaceRecord`. */
export interface FaceQueryOptions extends CallContextOptions {
  getFile?: GetFile;
}

/**
 * Anything with `waitUntil(promise)`: a Worker's `ctx` (the third argument
 * of `fetch`) or a Durable Object's state.
 */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The request context of one call. */
export interface CallContextOptions {
  /**
   * In a Worker: the request's `ctx`. A ticket refresh that this call starts
   * (also one in the background, when the ticket is due) is handed to
   * `ctx.waitUntil`, so it completes even if the response is sent first or
   * the client goes away.
   */
  ctx?: WaitUntilContext;
  /** Aborts the whole call (its attempts, retries and file polls): it rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** The whole call's deadline, retries and file polls included (besides `timeoutMs` per attempt): past it, `TIMEOUT`. Default: the client's `deadlineMs`. */
  deadlineMs?: number;
}

/** Options of `idCardOcrResult` and `bankCardOcrResult`: `getFile: true` returns the images. */
export interface OcrQueryOptions extends CallContextOptions {
  getFile?: boolean;
}

/** Input of `idCardOcr`. */
export interface IdCardOcrInput extends CallContextOptions {
  orderNo: string;
  /** `"portrait"` (人像面, cardType 0) or `"emblem"` (国徽面, cardType 1). */
  cardType: "portrait" | "emblem";
  /** The image: bytes, or base64 (a `data:` prefix and line breaks are removed). At most 20 MB of base64. */
  image: Uint8Array | string;
  /** ASCII letters and digits only, at most 32 (hash an e-mail address or a UUID first). */
  userId?: string;
}

/** The request kinds of `signedRequest`. */
export type RequestKind =
  | "faceResult"
  | "liveResult"
  | "idCardOcrResult"
  | "bankCardOcrResult"
  | "queryFaceRecord"
  | "idCardOcr";

/** A signed request, ready for any HTTP client. */
export interface SignedRequestInit {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** The JSON body of POST requests; `null` for GET. */
  body: string | null;
}

/** What a known business code means. */
export interface CodeInfo {
  /** `front_end`: a code of the face page itself (3001–3005, 300101), as a callback's `code`. */
  kind: "success" | "no_result" | "risk" | "expired" | "bad_video" | "not_live" | "ocr" | "busy" | "front_end";
  en: string;
  zh: string;
  retryable: boolean;
}

/** Every query resolves to this, whatever the business code. */
interface QueryResultBase<T> {
  /** The business code, verbatim. */
  code: string;
  /** The service's message, verbatim. */
  msg: string;
  bizSeqNo: string | null;
  /** `yyyyMMddHHmmss`. */
  transactionTime: string | null;
  orderNo: string;
  /** Payload fields from `result` (or the top level); unknown fields pass through; `success` is dropped. */
  result: T;
  /** The meaning of `code`, or `null` for a code this version does not know. */
  codeInfo: CodeInfo | null;
  /** Files were asked for, the verdict is there, but the files were still missing after polling. */
  filesPending: boolean;
}

/** Every query resolves to this, whatever the business code: narrow on `ok`. */
export type QueryResult<T> =
  | (QueryResultBase<T> & { ok: true; code: "0" })
  | (QueryResultBase<Partial<T>> & { ok: false });

/** A decoded photo or video. */
export interface MediaFile {
  field: string;
  mime: "image/jpeg" | "image/png" | "image/gif" | "image/bmp" | "video/mp4" | "application/octet-stream";
  bytes: Uint8Array;
}

/** Face verification result (`GET /api/server/sync`). Values stay as the service sends them. */
export interface FaceResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  idNo?: string;
  idType?: string;
  name?: string;
  liveRate?: string | number;
  similarity?: string | number;
  occurredTime?: string;
  /** Base64 JPG/PNG. */
  photo?: string;
  /** Base64 MP4. */
  video?: string;
  app_id?: string;
  order_no?: string;
  [field: string]: unknown;
}

/** Liveness result (`GET /api/server/getLiveResult`). */
export interface LiveResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  liveRate?: string | number;
  occurredTime?: string;
  photo?: string;
  video?: string;
  app_id?: string;
  [field: string]: unknown;
}

/** ID card OCR result (`GET /api/server/getOcrResult`). */
export interface IdCardOcrResult {
  frontCode?: string;
  backCode?: string;
  orderNo?: string;
  name?: string;
  sex?: string;
  nation?: string;
  birth?: string;
  address?: string;
  idcard?: string;
  validDate?: string;
  authority?: string;
  frontPhoto?: string;
  backPhoto?: string;
  frontCrop?: string;
  backCrop?: string;
  headPhoto?: string;
  frontWarnCode?: string;
  backWarnCode?: string;
  operateTime?: string;
  [field: string]: unknown;
}

/** Bank card OCR result (`GET /api/server/getBankCardOcrResult`). */
export interface BankCardOcrResult {
  orderNo?: string;
  bankCardNo?: string;
  bankCardValidDate?: string;
  bankcardCropPhoto?: string;
  bankcardNoPhoto?: string;
  /** The original image, as the current server-result pages spell it. */
  originBankcardPhoto?: string;
  /** The original image, as an older page spells it: both are read. */
  orginBankcardPhoto?: string;
  warnCode?: string;
  operateTime?: string;
  [field: string]: unknown;
}

/** ID card OCR from an image (`POST /api/paas/idcardocrapp`). */
export interface IdCardOcrResponse {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  ocrId?: string;
  name?: string;
  sex?: string;
  nation?: string;
  birth?: string;
  idcard?: string;
  address?: string;
  authority?: string;
  validDate?: string;
  /** 8-character bit string. */
  warning?: string;
  /** 8-character bit string. */
  multiWarning?: string;
  clarity?: string | number;
  retry?: string;
  sign?: string;
  [field: string]: unknown;
}

/** The newer face result query (`queryfacerecord`). */
export interface FaceRecordResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  liveRate?: string | number;
  similarity?: string | number;
  occurredTime?: string;
  appId?: string;
  photo?: string;
  video?: string;
  [field: string]: unknown;
}

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

/** Input of `client.startFace`. */
export interface StartFaceInput extends CallContextOptions {
  /** Your id for the user: ASCII letters and digits only; at most 30 (a NONCE ticket follows). Hash an e-mail address or a UUID first. */
  userId: string;
  /** The person's name as on the ID card. Required unless `sourcePhoto` is given. */
  name?: string;
  /** The person's ID number (ASCII letters and digits, at most 32). Required unless `sourcePhoto` is given. */
  idNo?: string;
  /** Where the face page sends the user back (`https://`, or `http://` on localhost). */
  callbackUrl: string;
  /** 1 to 32 ASCII letters or digits; generated (32 characters) when absent. */
  orderNo?: string;
  /** Your own comparison photo: JPEG, PNG or BMP, at most 500 KB; bytes or base64. With it, `name` and `idNo` may be left out. */
  sourcePhoto?: Uint8Array | string;
  /** `"1"` watermarked photo (水纹正脸照), `"2"` (default) high-definition photo (高清正脸照). */
  sourcePhotoType?: "1" | "2";
  /** `"mobile"` (default): the phone face page `/api/web/login`; `"pc"`: the desktop face page `/api/pc/login` (which takes no `resultType`, `from` or `redirectType`). */
  device?: FaceDevice;
  /** `"1"`: real-time detection only; a browser that cannot do it comes back with code `3005`. Absent: real-time detection first, video recording where it is not supported. */
  liveInterType?: "1";
  /** `"1"` (default): the face page returns straight to `callbackUrl`. */
  resultType?: string;
  /** `"browser"` (default) or `"App"`. */
  from?: string;
  /** `"1"`: the face page replaces history entries instead of adding them. Absent by default. */
  redirectType?: string;
}

/** What `startFace` resolves to: send the user's browser to `url`. */
export interface StartFaceResult {
  orderNo: string;
  faceId: string;
  /** The signed URL of the face page. Single use (its NONCE ticket lives 120 s). */
  url: string;
  /** The host the service chose, or `null` when it gave none. */
  optimalDomain: string | null;
  /** The face page `url` opens. */
  device: FaceDevice;
  /** The face page's origin in `url`. */
  faceOrigin: string;
  /** Where `faceOrigin` came from: the service's `optimalDomain`; the client's `loginUrl`; or, when the service named no domain, the `kycUrl` (the default domain the start page names). */
  faceOriginFrom: "optimalDomain" | "loginUrl" | "kycUrl";
}

/** The mobile or the PC face page. */
export type FaceDevice = "mobile" | "pc";

/** Which App SDK `startSdk` makes start parameters for. */
export type SdkKind = "face" | "liveness" | "idCardOcr" | "bankCardOcr";

/** Input of `client.startSdk`. */
export interface StartSdkInput extends CallContextOptions {
  kind: SdkKind;
  /** Your id for the user: ASCII letters and digits only; at most 30 (a NONCE ticket follows). */
  userId: string;
  /** 1 to 32 ASCII letters or digits; generated (32 characters) when absent. */
  orderNo?: string;
  /** `kind: "face"` only: the person's name (or give `sourcePhoto`). */
  name?: string;
  /** `kind: "face"` only: the person's ID number (or give `sourcePhoto`). */
  idNo?: string;
  /** `kind: "face"` only: your own comparison photo, JPEG, PNG or BMP, at most 500 KB. */
  sourcePhoto?: Uint8Array | string;
  /** `kind: "face"` only: `"1"` watermarked, `"2"` (default) high-definition. */
  sourcePhotoType?: "1" | "2";
}

/** What an App SDK's start call takes (Android `InputData`: openApiAppId, agreementNo/orderNo, openApiUserId, openApiNonce, openApiAppVersion, openApiSign; iOS: appid, orderNo, userId, nonce, apiVersion, sign). Single use: the NONCE ticket behind `sign` lives 120 s. */
export interface SdkStartParams {
  appId: string;
  orderNo: string;
  userId: string;
  nonce: string;
  version: string;
  sign: string;
  /** The face SDK only: from `getAdvFaceId`, valid 5 minutes. */
  faceId?: string;
}

/** The callback's parameters, as an object. */
export interface CallbackParams {
  orderNo?: string;
  code?: string;
  /** The PC face page's name for the signature. */
  newSign?: string;
  /** The mobile face page's name for the signature. */
  newSignature?: string;
}

/**
 * What `verifyCallback` resolves to. It has no verdict: `code` is what the face page showed, and
 * the signature covers no time and no session. The verdict is `faceResult(orderNo)`.
 */
export interface CallbackVerdict {
  /** The signature verifies against the current SIGN ticket or the one before it. */
  valid: boolean;
  orderNo: string | null;
  /** What the face page showed (`"0"`: it showed success). Not a verdict. */
  code: string | null;
  /** What `code` means (the face page's own codes 3001–3005 and 300101 among them), when the callback verifies; otherwise `null`. */
  codeInfo: CodeInfo | null;
}

/** The user the operator's identity hook names. */
export interface FaceIdentity {
  /** ASCII letters and digits only; at most 30. */
  userId: string;
  /** Needed by `POST /start` and by `POST /sdk/start` with `kind: "face"`. */
  name?: string;
  /** Needed by `POST /start` and by `POST /sdk/start` with `kind: "face"`. */
  idNo?: string;
}

/**
 * The secret that signs order tokens and callback states: at least 32 bytes, from a secret binding;
 * or a list of up to 8 such keys, the current one first, then the previous ones (the first signs,
 * all verify: keys rotate without logging anyone out).
 */
export type OrderTokenKey = string | Uint8Array | Array<string | Uint8Array>;

/** What `onStart` is told, before the service is asked for anything. */
export interface OrderStartEvent {
  /** The result route that will read the order: `"face"` for `POST /start`; for `POST /sdk/start`, that of the SDK's kind. */
  kind: OrderKind;
  orderNo: string;
  /** The signed-in user, as the identity hook named them. */
  userId: string;
  /** The request of the start (its body already read). */
  request: Request;
}

/** What `onResult` is told: a final answer of the service (not busy, no file pending), untrimmed. */
export interface OrderResultEvent {
  kind: OrderKind;
  orderNo: string;
  /** The user the order token was bound to (the identity hook's), or `null` when the hook names none. */
  userId: string | null;
  /** The whole answer, as the client's queries resolve: photos and full ID numbers included when asked for. Keep it on the server. */
  result: QueryResult<Record<string, unknown>>;
}

/** Options of `verifyOrderToken`. */
export interface VerifyOrderTokenOptions {
  /** The result the token must open. */
  kind: OrderKind;
  /** The order it must open. */
  orderNo: string;
  /** The user it must be bound to: the identity hook's `userId` of the request. Leave it out for tokens issued without one. */
  userId?: string | null;
  /** The audience of the handler that issued it: its `audience` option, or its prefix; default `"/faceid"`. */
  audience?: string;
  /** The longest lifetime a token may have left (as the handler's `tokenTtlMs`); default 30 minutes. */
  tokenTtlMs?: number;
}

/** What `verifyOrderToken` returns when the token opens the order: who may read it, not what the verdict is. */
export interface OrderTokenVerdict {
  kind: OrderKind;
  orderNo: string;
  userId: string | null;
  audience: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Options of `createEdgeHandler`. */
export interface EdgeHandlerOptions {
  /** A client made with `secret` or `ticketOwner` (the face flow needs NONCE tickets). */
  client: FaceIdClient;
  /** At least 32 bytes, from a secret binding: signs the order tokens and callback states. A list rotates keys: the current one first. */
  orderTokenKey: OrderTokenKey;
  /** What the tokens and callback states are bound to; default: the prefix. Handlers that share `orderTokenKey` open each other's tokens only when they share it. */
  audience?: string;
  /**
   * Awaited before `POST /start` and `POST /sdk/start` ask the service for anything: record which user owns which order.
   * A throw, a rejection or no answer within the client's `timeoutMs` fails the start with `500 INTERNAL`, and no token is issued.
   */
  onStart?(event: OrderStartEvent): void | Promise<void>;
  /**
   * Told each final answer the handler receives (result routes and `POST /ocr/idcard`), untrimmed: record the verdict.
   * Runs through `ctx.waitUntil` when there is a `ctx`, otherwise it is awaited (at most `timeoutMs`). Its failure never changes the page's answer.
   */
  onResult?(event: OrderResultEvent): void | Promise<void>;
  /**
   * Who the signed-in user is (from your session cookie or header), or `null`. The page never chooses an identity.
   * Every route that calls the service needs a user (`401` otherwise, before any call): `POST /start`, `POST /sdk/start`,
   * and `POST /ocr/idcard` unless `allowAnonymous` names `"ocr"`. A result route needs the user its order token was minted
   * for (`401` with nobody signed in, `403` for another user); a token minted with no user opens its result without one.
   */
  identity(request: Request, env: unknown): FaceIdentity | null | undefined | Promise<FaceIdentity | null | undefined>;
  /** The H5 page the callback sends the user back to, with `orderNo` added (never the face page's code): an absolute URL or a path on `publicOrigin` (or, in Workers, on the request's origin). */
  returnUrl: string;
  /**
   * The origin your users' browsers see, such as `"https://h5.example.com"` (`http://` only on localhost, no path).
   * The face page's callback URL and a relative `returnUrl` are built on it, never on the request's URL; it is also
   * the handler's own origin for the CORS and cross-site checks. Required outside Cloudflare Workers (in Node.js the
   * request's URL comes from the `Host` header, which any client sets): `createEdgeHandler` throws `INVALID_OPTION`
   * without it there. In Workers (`navigator.userAgent === "Cloudflare-Workers"`) it defaults to the request's origin,
   * which must then be `https://`.
   */
  publicOrigin?: string;
  /**
   * Routes that run with no signed-in user: only `"ocr"` (`POST /ocr/idcard`, billed per call; its order token names no
   * user). Nothing by default.
   */
  allowAnonymous?: "ocr"[];
  /**
   * Told of every request (`type: "request"`) and every failure (`type: "error"`, with the `detail` that error answers
   * leave out: they carry only a fixed message per code). A hook that throws or rejects changes nothing.
   */
  onEvent?: (event: EdgeEvent) => void | Promise<void>;
  /** Route prefix; default `"/faceid"`. */
  prefix?: string;
  /** Origins (such as `"https://h5.example.com"`) that may call the routes from a browser, cross-site included; the handler's own origin (`publicOrigin`) always may. Never `*`. */
  allowedOrigins?: string[];
  /** Order token lifetime; default 30 minutes. A token that expires later than now + `tokenTtlMs` (+ 1 minute of clock skew) is refused. */
  tokenTtlMs?: number;
  /** How long the face page's return to `/callback` is accepted after `/start`; default 30 minutes. */
  callbackTtlMs?: number;
  /** Result fields to let through unmasked (for example `"idNo"`, `"photo"`, `"address"`, `"liveRate"`, `"similarity"`); by default photos, videos and the scores `liveRate` and `similarity` are dropped, and names, ID and card numbers masked. */
  reveal?: string[];
  /** `resultType` of the face page; default `"1"`. */
  resultType?: string;
  /** `from` of the face page; default `"browser"`. */
  from?: string;
  /** `redirectType` of the face page; absent by default. */
  redirectType?: string;
  /** `liveInterType` of every face verification started (`"1"`: real-time detection only). Absent by default. */
  liveInterType?: "1";
  /**
   * Asked before each request that may call the service (`/start`, `/sdk/start`, `/callback`, `/ocr/idcard`, and
   * a result route's query; never for a result served from memory or shared with a request in flight). `true` or
   * `undefined`: go on; `false`: `429 RATE_LIMITED`; `{ retryAfterMs }`: `429` with `Retry-After` (seconds,
   * rounded up). A hook that throws, rejects, does not settle within the client's `timeoutMs` or answers anything
   * else refuses too (fail closed).
   */
  rateLimit?(
    input: { route: EdgeRoute; userId: string | null; request: Request },
    env: unknown,
  ): boolean | undefined | { retryAfterMs: number } | Promise<boolean | undefined | { retryAfterMs: number }>;
  /** A final result (the verdict, or a code that ends the verification) is kept this long per order and user, per isolate or process, and requests for it in the meantime are answered from memory; default `3000`, `0` keeps none (requests in flight together still share one query). At most 60000. */
  resultCacheMs?: number;
  /** How long a request body may take before its bytes count: default `10000` ms (at most 600000); then it must keep up `minBodyRate`. Too slow: `408 BODY_TIMEOUT`. */
  bodyTimeoutMs?: number;
  /** The slowest upload accepted after `bodyTimeoutMs`, in bytes a second; default `16384`; `0`: the whole body within `bodyTimeoutMs`. */
  minBodyRate?: number;
  /** The largest ID card image `POST /ocr/idcard` takes, in bytes of base64; default and at most `20971520` (the service's 20 MB), at least `1024`. */
  maxImageBytes?: number;
}

/**
 * What the edge handler's `onEvent` is told. `route` is the route's path under the prefix (`"/start"`,
 * `"/ocr/idcard/result"`…), `null` when no route matched. Nothing here is secret; `detail` is the error's own message
 * (which may name an environment variable, carry the service's `msg` or say how the identity hook failed), for logs only.
 */
export type EdgeEvent =
  | { type: "request"; route: string | null; method: string; status: number; durationMs: number; error?: FaceIdErrorCode }
  | {
      type: "error"; route: string | null; method: string; status: number; code: FaceIdErrorCode; detail: string;
      durationMs: number;
      /** For `REJECTED`: the service's code (the answer is `200 { ok: false, code, msg }`). */
      upstreamCode?: string;
    };

/** A route's name, as the `rateLimit` hook sees it. */
export type EdgeRoute =
  | "start"
  | "sdkStart"
  | "callback"
  | "ocrIdCard"
  | "result"
  | "liveResult"
  | "idCardResult"
  | "bankCardResult";

/** What a page may read of an order. */
export type OrderKind = "face" | "live" | "idcard" | "bankcard";

/** An order token and the order it opens. */
export interface OrderTokenGrant {
  orderNo: string;
  /** Send as `Authorization: Bearer <orderToken>`. */
  orderToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * The edge handler: a Worker's `fetch` (also Node 20's `Request`/`Response`).
 * Routes under the prefix: `POST /start` (`Content-Type: application/json`,
 * body `{ device?: "mobile" | "pc" }`, `{}` or none), `GET /callback`,
 * `GET /result`, `GET /live/result`, `POST /ocr/idcard` (JSON, or multipart
 * from a page of `publicOrigin` or `allowedOrigins`), `GET /ocr/idcard/result`,
 * `GET /ocr/bankcard/result`, `POST /sdk/start` (JSON `{ kind }`). A request
 * with `Sec-Fetch-Site: cross-site` or `same-site` needs an allowed `Origin`
 * (except `/callback`). It always resolves to a `Response`.
 */
export interface EdgeHandler {
  (request: Request, env?: unknown, ctx?: WaitUntilContext): Promise<Response>;
  /** A token for an order started elsewhere (for example by the app SDK). Pass the `userId` your identity hook names for the page that reads it. */
  issueOrderToken(kind: OrderKind, orderNo: string, options?: { userId?: string }): OrderTokenGrant;
}

/** `200` of `POST /start`. */
export interface StartResponse extends OrderTokenGrant {
  ok: true;
  /** Send the browser here. */
  url: string;
}

/** `200` of `POST /sdk/start`: the App SDK's start parameters and a token for the result route of `kind` (`/result`, `/live/result`, `/ocr/idcard/result`, `/ocr/bankcard/result`). */
export interface SdkStartResponse extends OrderTokenGrant {
  ok: true;
  kind: SdkKind;
  sdk: SdkStartParams;
}

/** `200` of the result routes: the business outcome, trimmed (no photos, videos or scores unless revealed). */
export interface TrimmedResult {
  ok: boolean;
  code: string;
  msg: string;
  orderNo: string;
  result: Record<string, string | number | null>;
}

/** The body of every error answer of the edge handler. */
export interface EdgeErrorBody {
  /** `message` is fixed per `code`: the cause goes to `onEvent`, never to the caller. */
  error: { code: FaceIdErrorCode; message: string };
}

/** `200` of `POST /start` or `POST /sdk/start` when the service refused to start (`REJECTED`). */
export interface StartRefused {
  ok: false;
  /** The service's business code. */
  code: string;
  /** What this library knows the code means, or a fixed sentence; never the service's own `msg`. */
  msg: string;
}
"#;
