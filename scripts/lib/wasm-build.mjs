// What the two package builds (scripts/build-pkg.mjs: the whole package;
// scripts/build-sign.mjs: faceid-edge/sign) share: wasm-opt's flags and the
// search for a wasm-bindgen snippet (its folder name carries a hash).
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Optimises `wasm` in place for size (`wasm-opt` from node_modules/.bin of `root`).
 * --strip-target-features: a section no runtime reads. --low-memory-unused
 * (wasm-opt may fold `ptr + constant` into a load's or store's offset, which
 * differs only when the addition wraps into the lowest 1 KB): Rust's wasm32
 * layout puts the stack first, growing down from 1 MB to 0, with the data
 * above it, so that happens only after a stack overflow, where the folded
 * access traps instead of writing there. About 0.5 KB gzip (BENCHMARKS.md).
 */
export function wasmOpt(root, wasm) {
  execFileSync(join(root, "node_modules", ".bin", "wasm-opt"), [
    "-Oz", "--strip-debug", "--strip-producers", "--strip-target-features", "--low-memory-unused",
    "--enable-bulk-memory", "--enable-reference-types", "--enable-multivalue",
    "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals",
    "--enable-simd",
    wasm, "-o", wasm,
  ], { stdio: "inherit", cwd: root });
}

/** The first file called `name` below `dir` (depth first), or null. */
export function findFile(dir, name) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const hit = findFile(p, name);
      if (hit) return hit;
    } else if (entry === name) return p;
  }
  return null;
}
