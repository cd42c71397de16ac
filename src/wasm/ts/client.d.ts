// The client: `new FaceIdClient(options)`, the options of its calls, signed requests, business codes and the query result envelope.

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
