// What the simulated service remembers about its app: the secret, every access
// token and ticket it issued (each a record: issue time, expiry, the token it
// was minted from, when it was replaced or killed), the nonces it has seen, and
// the refresh statistics tests assert on. Every time comes from the `now`
// clock given to the constructor (the simulator's clock, `advance` included).
//
// The rules (docs/protocol.md#access-token-and-tickets; README "Tokens and tickets" says the same for test authors):
// 1. An access token lives 7200 s. A new access_token request replaces the
//    previous token, which then dies 60 s later. When a token dies, every
//    ticket minted from it (SIGN and NONCE) dies with it.
// 2. A SIGN ticket lives 3600 s, and never longer than its token (the answer
//    still says expire_in 3600). A new SIGN ticket replaces the previous one,
//    which dies 60 s later. A query may be signed with any SIGN ticket still
//    alive (both during the 60 s overlap); a dead one is 400104, a signature
//    matching no ticket ever issued is 400101.
// 3. A NONCE ticket lives 120 s (and never longer than its token), is issued
//    per user_id, and is single use: the first successful use consumes it.
//    It dies with the token that minted it (rule 1), so a NONCE ticket minted
//    shortly before a refresh dies about a minute after that refresh, and the
//    H5 login (web.mjs) refuses it (400104, "died with the access_token").
//    Sources: the official NONCE ticket page
//    (https://cloud.tencent.com/document/product/1007/57614) and the access
//    token page (https://cloud.tencent.com/document/product/1007/57603): a
//    token's tickets die with it, and a token replaced by a refresh survives
//    about a minute.
// 4. rotateSecret: the old secret stops working and every token and ticket of
//    the app dies at once.
// 5. Refresh statistics: every issuance is recorded; an access_token or SIGN
//    api_ticket request is an overlap when it arrives while another such
//    request of the app is being served, or less than overlapWindowMs after
//    the previous issuance of the same kind.
// 6. A query, api_ticket call or NONCE use made with a token or ticket that is
//    known but already dead counts as a dead use.
// A nonce (of a query) is remembered forever (until reset) once a request using
// it passed the signature check.
import { randomAlnum } from "./util.mjs";

// Sources (qcloud-documents paths and 1007/<id> pages as in checks.mjs):
// access token 7200 s, "旧的 Access Token 只有一分钟的并存期" (1007/37304, 1007/57603);
// SIGN ticket "有效期最长为3600秒" (1007/37305, 1007/57613); NONCE ticket "有效期为120秒，且一次性有效",
// issued per user_id (1007/37306; F/SDK 接入/生成 SDK 接口调用步骤使用签名.md = 1007/63359).
export const TOKEN_TTL_S = 7200;
export const SIGN_TTL_S = 3600;
export const NONCE_TTL_S = 120;
/** How long a replaced access token or SIGN ticket keeps working. */
export const REPLACED_GRACE_MS = 60_000;
export const DEFAULT_OVERLAP_WINDOW_MS = 1000;

const NAMES = { TOKEN: "access_token", SIGN: "SIGN ticket", NONCE: "NONCE ticket" };

export class Credentials {
  /**
   * @param {{ appId: string, secret: string, ticket?: string, nonceTicket?: string,
   *   now?: () => number, overlapWindowMs?: number, graceMs?: number }} options
   *   `graceMs`: how long a replaced token or ticket keeps working (default 60 s)
   *   `ticket`: the SIGN ticket valid at start (random if absent; it comes from no
   *   token and is not counted as an issuance); `nonceTicket`: the value every
   *   NONCE ticket takes (random per issue if absent).
   */
  constructor({ appId, secret, ticket, nonceTicket, now = Date.now, overlapWindowMs = DEFAULT_OVERLAP_WINDOW_MS, graceMs = REPLACED_GRACE_MS }) {
    this.graceMs = graceMs;
    this.now = now;
    this.overlapWindowMs = overlapWindowMs;
    this.options = { appId, secret, ticket: ticket ?? randomAlnum(64), nonceTicket };
    this.reset();
  }

  /** Back to the start: the initial secret and SIGN ticket, no token, no nonces, empty statistics. */
  reset() {
    const { appId, secret, ticket } = this.options;
    /** @type {Map<string, AppState>} */
    this.apps = new Map([[appId, {
      appId, secret, oldSecrets: new Set(), epoch: 0, tokens: [], signs: [], nonceTickets: [], nonces: new Set(),
      serving: new Set(), lastIssuedAt: { TOKEN: null, SIGN: null },
    }]]);
    this.stats = { accessTokens: 0, signTickets: 0, nonceTickets: 0, overlaps: 0, deadUses: 0, issues: [] };
    this.app(appId).signs.push(this.#record("SIGN", ticket, SIGN_TTL_S, null));
  }

  /** The app's state, or undefined when the app_id is unknown. */
  app(appId) {
    return this.apps.get(appId);
  }

  /** The newest SIGN ticket of `appId` still alive (what a query should be signed with now), or null. */
  currentSignTicket(appId) {
    return this.app(appId)?.signs.findLast((r) => this.#alive(r))?.value ?? null;
  }

  /** The app's secret now. */
  secretOf(appId) {
    return this.app(appId)?.secret;
  }

  /** Why `secret` does not open `appId`, or null when it does. */
  secretProblem(appId, secret) {
    const a = this.app(appId);
    if (a.secret === secret) return null;
    return a.oldSecrets.has(secret) ? "secret was changed; this one no longer works" : "secret does not match this app_id";
  }

  /** Rule 4: a new secret; the old one stops working and every token and ticket of the app dies now. */
  rotateSecret(appId, secret) {
    const a = this.app(appId);
    if (typeof secret !== "string" || !/^[\x21-\x7e]{1,128}$/.test(secret)) {
      throw new TypeError("the new secret must be 1 to 128 printable ASCII characters");
    }
    if (secret === a.secret) throw new TypeError("the new secret must differ from the current one");
    a.oldSecrets.add(a.secret);
    a.secret = secret;
    a.epoch++; // requests being served with the old secret or a killed token fail when they finish
    const now = this.now();
    for (const r of [...a.tokens, ...a.signs, ...a.nonceTickets]) r.killedAt ??= now;
    a.lastIssuedAt = { TOKEN: null, SIGN: null }; // refreshing right after a secret change is no overlap
  }

  /**
   * Rule 5: an access_token or api_ticket request that passed its checks starts
   * being served. `kind` "TOKEN" or "SIGN" is a refresh (checked for overlap);
   * "NONCE" is not. Returns a handle for {@link finishIssue}.
   */
  startIssue(appId, kind) {
    const a = this.app(appId);
    const handle = { app: a, epoch: a.epoch, kind, overlap: false };
    if (kind === "NONCE") return handle;
    const last = a.lastIssuedAt[kind];
    handle.overlap = a.serving.size > 0 || (last !== null && this.now() - last < this.overlapWindowMs);
    if (handle.overlap) this.stats.overlaps++;
    a.serving.add(handle);
    return handle;
  }

  /** The request is answered; false when the secret changed (or the simulator was reset) meanwhile. */
  finishIssue(handle) {
    handle.app.serving.delete(handle);
    return this.app(handle.app.appId) === handle.app && handle.app.epoch === handle.epoch;
  }

  /** Every access token, SIGN and NONCE ticket value of `appId` issued since the last reset (for leak checks). */
  issuedValues(appId) {
    const a = this.app(appId);
    return [...a.tokens, ...a.signs, ...a.nonceTickets].map((r) => r.value);
  }

  /** Rule 1: issues a new access token; the previous one dies 60 s from now. `by`: the request's log seq. */
  issueToken(appId, handle, by) {
    const a = this.app(appId);
    const now = this.now();
    for (const t of a.tokens) t.replacedAt ??= now;
    const rec = this.#record("TOKEN", randomAlnum(32), TOKEN_TTL_S, null);
    a.tokens.push(rec);
    a.lastIssuedAt.TOKEN = now;
    this.stats.accessTokens++;
    this.stats.issues.push({ kind: "access_token", at: now, by, overlap: handle.overlap });
    return rec;
  }

  /**
   * The access token `value` of `appId`: { token } when alive, else { problem }
   * (a known but dead token counts as a dead use).
   */
  findToken(appId, value) {
    const rec = this.app(appId).tokens.findLast((r) => r.value === value);
    if (!rec) return { problem: "access_token unknown" };
    if (this.#alive(rec)) return { token: rec };
    this.stats.deadUses++;
    return { problem: this.#death(rec).detail };
  }

  /** Rules 2 and 3: issues a ticket of `type` ("SIGN" | "NONCE") from the token record `token`. */
  issueTicket(appId, type, token, userId, handle, by) {
    const a = this.app(appId);
    const now = this.now();
    if (type === "SIGN") {
      for (const t of a.signs) t.replacedAt ??= now;
      const rec = this.#record("SIGN", randomAlnum(64), SIGN_TTL_S, token);
      a.signs.push(rec);
      a.lastIssuedAt.SIGN = now;
      this.stats.signTickets++;
      this.stats.issues.push({ kind: "SIGN", at: now, by, overlap: handle.overlap });
      return rec;
    }
    const rec = this.#record("NONCE", this.options.nonceTicket ?? randomAlnum(64), NONCE_TTL_S, token);
    rec.userId = userId;
    a.nonceTickets.push(rec);
    this.stats.nonceTickets++;
    this.stats.issues.push({ kind: "NONCE", at: now, by, overlap: false, userId });
    return rec;
  }

  /**
   * The SIGN ticket a query was signed with: `matches(value)` says whether the
   * signature was made with `value`. { ok: true } for a ticket alive now;
   * { ok: false, detail } for a dead one (a dead use); null when no SIGN
   * ticket ever issued matches (a signing bug, 400101).
   */
  findSignTicket(appId, matches) {
    const signs = this.app(appId).signs;
    const alive = signs.filter((r) => this.#alive(r));
    if (alive.some((r) => matches(r.value))) return { ok: true };
    const dead = signs.findLast((r) => !alive.includes(r) && matches(r.value));
    if (!dead) return null;
    this.stats.deadUses++;
    return { ok: false, detail: this.#death(dead).detail };
  }

  /**
   * Rule 3: uses the NONCE ticket `value` for `userId` (the H5 login's part).
   * Returns { ok: true, reason: null } (the ticket is now spent) or
   * { ok: false, reason, detail }, reason one of "unknown", "used", "expired",
   * "token died", "secret changed", "wrong user". A failed use spends nothing.
   */
  useNonceTicket(appId, value, userId) {
    const recs = this.app(appId).nonceTickets.filter((r) => r.value === value);
    if (recs.length === 0) return { ok: false, reason: "unknown", detail: "NONCE ticket unknown" };
    const usable = recs.find((r) => r.usedAt === null && r.userId === userId && this.#alive(r));
    if (usable) {
      usable.usedAt = this.now();
      return { ok: true, reason: null };
    }
    const rec = recs.at(-1); // with a fixed `nonceTicket` value, the newest speaks for all
    if (rec.usedAt !== null) return { ok: false, reason: "used", detail: "NONCE ticket already used (single use)" };
    if (!this.#alive(rec)) {
      this.stats.deadUses++;
      const d = this.#death(rec);
      return { ok: false, reason: d.reason, detail: d.detail };
    }
    return { ok: false, reason: "wrong user", detail: "NONCE ticket was issued for another user_id" };
  }

  /**
   * The distinct values of every NONCE ticket ever issued to `appId` (alive or
   * not, any user), for finding which one an H5 login was signed with; the use
   * itself goes through {@link useNonceTicket}.
   */
  nonceTicketValues(appId) {
    return [...new Set(this.app(appId).nonceTickets.map((r) => r.value))];
  }

  /** The values of every SIGN ticket of `appId` (alive or not), for diagnosing a login signed with the wrong kind. */
  signTicketValues(appId) {
    return this.app(appId).signs.map((r) => r.value);
  }

  /** The SIGN ticket an H5 callback is signed with: the current one, or the newest ever when none is alive. */
  callbackSignTicket(appId) {
    return this.currentSignTicket(appId) ?? this.app(appId).signs.at(-1).value;
  }

  /** Records `nonce` as used by `appId`; false when it had been used before. */
  useNonce(appId, nonce) {
    const seen = this.app(appId).nonces;
    if (seen.has(nonce)) return false;
    seen.add(nonce);
    return true;
  }

  /** A copy of the refresh statistics (rule 5 and 6). */
  refreshStats() {
    return structuredClone(this.stats);
  }

  #record(type, value, ttlS, token) {
    const issuedAt = this.now();
    return { type, value, issuedAt, expiresAt: issuedAt + ttlS * 1000, ttlS, token, replacedAt: null, killedAt: null, usedAt: null };
  }

  #alive(rec) {
    return this.now() < this.#death(rec).at;
  }

  /**
   * When and why `rec` dies: the earliest of its expiry, the secret change, 60 s
   * after it was replaced, and its token's death. `reason` is a short word
   * ("expired", "secret changed", "replaced", "token died"), `detail` a sentence.
   */
  #death(rec) {
    const what = NAMES[rec.type];
    let end = { at: rec.expiresAt, reason: "expired", detail: `${what} expired (${rec.ttlS} s after issue)` };
    const earlier = (at, reason, detail) => {
      if (at < end.at) end = { at, reason, detail };
    };
    if (rec.killedAt !== null) earlier(rec.killedAt, "secret changed", `${what} died when the app's secret was changed`);
    if (rec.replacedAt !== null) {
      earlier(rec.replacedAt + this.graceMs, "replaced", `${what} was replaced by a newer one more than ${this.graceMs / 1000} s ago`);
    }
    if (rec.token) {
      const t = this.#death(rec.token);
      earlier(t.at, "token died", `${what} died with the access_token it was minted from (${t.detail})`);
    }
    return end;
  }
}

/**
 * @typedef {{ appId: string, secret: string, oldSecrets: Set<string>, epoch: number,
 *   tokens: object[], signs: object[], nonceTickets: object[], nonces: Set<string>,
 *   serving: Set<object>, lastIssuedAt: { TOKEN: number|null, SIGN: number|null } }} AppState
 */
