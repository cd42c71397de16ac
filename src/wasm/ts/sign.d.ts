// The options of `sign()`.

/** The inputs of the five-value SIGN signature used by the result queries. */
export interface SignOptions {
  /** The App ID assigned by Tencent Cloud (no whitespace, at most 64 characters). */
  appId: string;
  /** The partner's order number: 1 to 32 ASCII letters or digits. */
  orderNo: string;
  /** The SIGN ticket (at most 512 characters). Keep it server-side; it never appears in an error. */
  ticket: string;
  /** 32 ASCII letters or digits, new for every request: use `nonce()`. */
  nonce: string;
  /** API version; `"1.0.0"` when left out. */
  version?: string;
}
