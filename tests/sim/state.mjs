// What the simulated service remembers about each app: its secret, the access
// tokens and tickets it issued (each a record with issue time, expiry, the
// token it was minted from, and why it died), and the nonces it has seen.
//
// Rules today (kept in one place so later rules slot in here):
// - one current access token per app: issuing a new one revokes the previous;
// - one current SIGN ticket per app: issuing a new one revokes the previous;
//   queries are checked against the current SIGN ticket only;
// - NONCE tickets: any number, each valid 120 s and single use;
// - everything expires at issue time + expire_in (clock: the `now` option);
// - a nonce is remembered per app forever (until reset) once a request using it
//   passed the signature check.
import { randomAlnum } from "./util.mjs";

export const TOKEN_TTL_S = 7200;
export const SIGN_TTL_S = 3600;
export const NONCE_TTL_S = 120;
const KEEP_DEAD = 64; // revoked/expired records kept per app, to say why a value is refused

export class Credentials {
  /**
   * @param {{ appId: string, secret: string, ticket?: string, nonceTicket?: string, now?: () => number }} options
   *   `ticket`: the SIGN ticket valid at start (random if absent);
   *   `nonceTicket`: the value every NONCE ticket takes (random per issue if absent).
   */
  constructor({ appId, secret, ticket, nonceTicket, now = Date.now }) {
    this.now = now;
    this.options = { appId, secret, ticket: ticket ?? randomAlnum(64), nonceTicket };
    this.reset();
  }

  /** Back to the start: no token, the initial SIGN ticket, no nonces seen. */
  reset() {
    const { appId, secret, ticket } = this.options;
    /** @type {Map<string, AppState>} */
    this.apps = new Map([[appId, { appId, secret, token: null, sign: null, nonceTickets: new Map(), dead: [], nonces: new Set() }]]);
    this.app(appId).sign = this.#record("SIGN", ticket, SIGN_TTL_S, null);
  }

  /** The app's state, or undefined when the app_id is unknown. */
  app(appId) {
    return this.apps.get(appId);
  }

  /** The SIGN ticket queries of `appId` must be signed with now. */
  currentSignTicket(appId) {
    const a = this.app(appId);
    return a?.sign && this.#alive(a.sign) ? a.sign.value : null;
  }

  /** True when `secret` is the app's secret. */
  secretMatches(appId, secret) {
    return this.app(appId)?.secret === secret;
  }

  /** Issues a new access token (revoking the previous one). */
  issueToken(appId) {
    const a = this.app(appId);
    this.#retire(a, a.token, "replaced by a newer access token");
    a.token = this.#record("TOKEN", randomAlnum(32), TOKEN_TTL_S, null);
    return a.token;
  }

  /** Why `value` is not a usable access token of `appId`, or null when it is. */
  tokenProblem(appId, value) {
    const a = this.app(appId);
    if (a.token && a.token.value === value) return this.#alive(a.token) ? null : "access_token expired";
    return this.#deadReason(a, "TOKEN", value) ?? "access_token unknown";
  }

  /** Issues a ticket of `type` ("SIGN" | "NONCE") from the access token `tokenValue`. */
  issueTicket(appId, type, tokenValue, userId) {
    const a = this.app(appId);
    if (type === "SIGN") {
      this.#retire(a, a.sign, "replaced by a newer SIGN ticket");
      a.sign = this.#record("SIGN", randomAlnum(64), SIGN_TTL_S, tokenValue);
      return a.sign;
    }
    const rec = this.#record("NONCE", this.options.nonceTicket ?? randomAlnum(64), NONCE_TTL_S, tokenValue);
    rec.userId = userId;
    a.nonceTickets.set(rec.value, rec);
    return rec;
  }

  /**
   * Uses up a NONCE ticket (H5 login; no endpoint needs it yet). Returns why it
   * cannot be used, or null when it was valid (it is then spent).
   */
  spendNonceTicket(appId, value, userId) {
    const a = this.app(appId);
    const rec = a.nonceTickets.get(value);
    if (!rec) return "NONCE ticket unknown or already used";
    a.nonceTickets.delete(value);
    if (!this.#alive(rec)) return "NONCE ticket expired";
    if (rec.userId !== userId) return "NONCE ticket was issued for another user_id";
    return null;
  }

  /** Why the SIGN ticket `value` is dead (replaced, expired), or null if it never was one. */
  deadSignTicket(appId, value) {
    const a = this.app(appId);
    if (a.sign?.value === value && !this.#alive(a.sign)) return "SIGN ticket expired";
    return this.#deadReason(a, "SIGN", value);
  }

  /** Every SIGN ticket value the app ever had that is no longer valid (to recognise stale signatures). */
  deadSignTickets(appId) {
    const a = this.app(appId);
    const values = a.dead.filter((r) => r.type === "SIGN").map((r) => r.value);
    if (a.sign && !this.#alive(a.sign)) values.push(a.sign.value);
    return values;
  }

  /** Records `nonce` as used by `appId`; false when it had been used before. */
  useNonce(appId, nonce) {
    const seen = this.app(appId).nonces;
    if (seen.has(nonce)) return false;
    seen.add(nonce);
    return true;
  }

  #record(type, value, ttlS, from) {
    const issuedAt = this.now();
    return { type, value, issuedAt, expiresAt: issuedAt + ttlS * 1000, ttlS, from, revoked: null };
  }

  #alive(rec) {
    return !rec.revoked && this.now() < rec.expiresAt;
  }

  #retire(a, rec, reason) {
    if (!rec) return;
    rec.revoked ??= reason;
    a.dead.push(rec);
    if (a.dead.length > KEEP_DEAD) a.dead.shift();
  }

  #deadReason(a, type, value) {
    const rec = a.dead.findLast((r) => r.type === type && r.value === value);
    if (!rec) return null;
    const what = type === "SIGN" ? "SIGN ticket" : "access_token";
    return rec.revoked ? `${what} ${rec.revoked}` : `${what} expired`;
  }
}

/**
 * @typedef {{ appId: string, secret: string, token: object|null, sign: object|null,
 *   nonceTickets: Map<string, object>, dead: object[], nonces: Set<string> }} AppState
 */
