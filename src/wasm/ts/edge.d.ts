// The edge handler: `createEdgeHandler(options)`, its routes, answers and events, and order tokens.

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
