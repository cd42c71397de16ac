// sign() and nonce(): faceid-edge (WebAssembly) against the plain-JavaScript
// way with node:crypto, side by side in one process, on the same inputs.
import { createHash, randomBytes } from "node:crypto";
import { compare, fmt } from "./lib.mjs";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The plain way: sort the values, join, SHA-1 with node:crypto, upper hex. */
export function plainSign({ appId, orderNo, ticket, nonce, version = "1.0.0" }) {
  return createHash("sha1")
    .update([appId, orderNo, version, ticket, nonce].sort().join(""))
    .digest("hex")
    .toUpperCase();
}

/** The plain way: crypto.randomBytes with rejection sampling. */
export function plainNonce() {
  let out = "";
  while (out.length < 32) {
    for (const b of randomBytes(48)) {
      if (b < 248 && out.length < 32) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/**
 * sign() and nonce() of `lib` against node:crypto; with `signEntry` (the
 * faceid-edge/sign entry), its sign() too, in the same interleaved rounds.
 */
export function run(lib, log = console.log, signEntry = null) {
  // Realistic inputs: one appId and ticket, a new orderNo and nonce per call.
  const N = 4096;
  const inputs = Array.from({ length: N }, (_, i) => ({
    appId: "IDAXXXXX",
    orderNo: `order${20261125000000 + i}`,
    ticket: "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
    nonce: plainNonce(),
  }));
  for (const o of inputs.slice(0, 64)) {
    if (lib.sign(o) !== plainSign(o)) throw new Error("sign() disagrees with the plain way");
    if (signEntry && signEntry.sign(o) !== plainSign(o)) throw new Error("faceid-edge/sign's sign() disagrees with the plain way");
  }
  const s = compare({
    wasm: (i) => lib.sign(inputs[i & (N - 1)]),
    plain: (i) => plainSign(inputs[i & (N - 1)]),
    ...(signEntry ? { signEntry: (i) => signEntry.sign(inputs[i & (N - 1)]) } : {}),
  });
  log(`sign():  faceid-edge ${fmt(s.wasm)} ops/s | node:crypto ${fmt(s.plain)} ops/s | ratio ${(s.wasm / s.plain).toFixed(2)}x (target at least 2x)`);
  if (signEntry) log(`  faceid-edge/sign's sign() (its own small .wasm): ${fmt(s.signEntry)} ops/s | ratio ${(s.signEntry / s.plain).toFixed(2)}x`);
  const r = compare({ wasm: () => lib.nonce(), plain: () => plainNonce() }, { n: 50_000 });
  log(`nonce(): faceid-edge ${fmt(r.wasm)} ops/s | node:crypto ${fmt(r.plain)} ops/s | ratio ${(r.wasm / r.plain).toFixed(2)}x`);
  return { sign: s, nonce: r };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lib = await import(process.argv[2] ?? "../pkg/node.mjs");
  const signEntry = await import(process.argv[3] ?? "../pkg/sign/node.mjs").catch(() => null);
  run(lib, console.log, signEntry);
}
