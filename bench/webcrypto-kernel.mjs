// The signing benchmark's inner loops, as one plain ES module that runs
// unchanged in workerd, in Chromium and in Node (bench/runtimes.mjs loads it
// into each): faceid-edge's `sign()` against the plain way with WebCrypto.
//
// No randomness, timers or I/O at the top level (workerd allows none there);
// the inputs are made on first use from a fixed rule, so every runtime signs
// the same values.

const TICKET = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** How many distinct inputs the loops cycle through (a power of two). */
export const INPUTS = 4096;

let inputs;

/**
 * The inputs, like bench/sign.mjs's: one appId and ticket, a new orderNo and a
 * 32-character nonce per call (the nonces from a fixed xorshift, not random).
 */
export function makeInputs() {
  if (inputs) return inputs;
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  inputs = Array.from({ length: INPUTS }, (_, i) => {
    let nonce = "";
    for (let k = 0; k < 32; k++) nonce += ALPHABET[next() % 62];
    return { appId: "IDAXXXXX", orderNo: `order${20261125000000 + i}`, ticket: TICKET, nonce };
  });
  return inputs;
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * The plain way with WebCrypto: sort the values, join, SHA-1 with
 * `crypto.subtle.digest` (asynchronous: awaited per signature, as a caller
 * must), lower hex from a table, upper-cased.
 */
export async function plainSign({ appId, orderNo, ticket, nonce, version = "1.0.0" }) {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode([appId, orderNo, version, ticket, nonce].sort().join("")));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += HEX[b];
  return hex.toUpperCase();
}

/**
 * Signs `n` inputs one after the other and returns a checksum of the
 * signatures (so that no engine can drop the work):
 *   "wasm"  faceid-edge's `sign` (synchronous)
 *   "plain" `plainSign` (each one awaited before the next)
 *   "none"  the same loop reading the inputs, signing nothing: its time is
 *           the loop's and the request's own, subtracted where the time is
 *           taken from outside (workerd)
 * @param {"wasm" | "plain" | "none"} impl
 * @param {number} n
 * @param {(o: object) => string} sign
 */
export async function signLoop(impl, n, sign) {
  const all = makeInputs();
  let acc = 0;
  if (impl === "wasm") {
    for (let i = 0; i < n; i++) acc = (acc + sign(all[i & (INPUTS - 1)]).charCodeAt(i % 40)) | 0;
  } else if (impl === "plain") {
    for (let i = 0; i < n; i++) acc = (acc + (await plainSign(all[i & (INPUTS - 1)])).charCodeAt(i % 40)) | 0;
  } else if (impl === "none") {
    for (let i = 0; i < n; i++) acc = (acc + all[i & (INPUTS - 1)].nonce.charCodeAt(i % 32)) | 0;
  } else {
    throw new Error(`unknown impl ${impl}`);
  }
  return acc;
}

/** The first `count` signatures both ways, for the driver to compare. */
export async function agreement(sign, count = 64) {
  const all = makeInputs();
  const out = [];
  for (let i = 0; i < count; i++) out.push([sign(all[i]), await plainSign(all[i])]);
  return out;
}
