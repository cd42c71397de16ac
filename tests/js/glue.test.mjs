// The package ships wasm-bindgen's glue as wasm-bindgen writes it: nothing in
// faceid_edge.js, its types or the JS snippet is edited by scripts/build-pkg.mjs, so a
// wasm-bindgen upgrade is a version bump (RELIABILITY.md "Wasm traps": trap
// recovery lives in recover.js, a module over the glue, and in the snippet).
// wasm-bindgen is run again here on the release .wasm that `make pkg` built
// the package from, and its output compared byte for byte with the packed
// package's.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { installedPackage, repoRoot, tempDir } from "./lib/package.mjs";

const WASM = join(repoRoot, "target/wasm/wasm32-unknown-unknown/release/faceid_edge.wasm");
/** wasm-bindgen's options: the web target and the reinit machinery (`__wbg_reset_state`). */
const FLAGS = ["--target", "web", "--omit-default-module-path", "--experimental-reset-state-function"];

function files(dir) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

test("faceid_edge.js and the snippets are wasm-bindgen's output, unedited", { skip: !existsSync(WASM) && `no ${WASM}: make pkg` }, () => {
  const out = tempDir("glue");
  execFileSync("wasm-bindgen", [...FLAGS, "--out-dir", out, WASM], { stdio: "inherit" });
  const { packageDir } = installedPackage();
  const generated = files(out).map((f) => relative(out, f)).filter((f) => f === "faceid_edge.js" || f.startsWith("snippets/"));
  assert.ok(generated.includes("faceid_edge.js"));
  assert.ok(generated.some((f) => f.endsWith("boundary.js")), "the boundary snippet");
  for (const f of generated) {
    assert.ok(readFileSync(join(packageDir, f)).equals(readFileSync(join(out, f))), `${f} differs from wasm-bindgen's output`);
  }
  // The glue carries wasm-bindgen's reinit machinery, which recover.js uses.
  assert.match(readFileSync(join(packageDir, "faceid_edge.js"), "utf8"), /^export function __wbg_reset_state\b/m);
});

test("faceid_edge.d.ts is wasm-bindgen's output, unedited (its nodejs target's: the web target's without the loader's tail)", { skip: !existsSync(WASM) && `no ${WASM}: make pkg` }, () => {
  const out = tempDir("types");
  execFileSync("wasm-bindgen", ["--target", "nodejs", "--experimental-reset-state-function", "--out-dir", out, WASM], { stdio: "inherit" });
  const { packageDir } = installedPackage();
  const generated = readFileSync(join(out, "faceid_edge.d.ts"));
  assert.ok(readFileSync(join(packageDir, "faceid_edge.d.ts")).equals(generated), "faceid_edge.d.ts differs from wasm-bindgen's output");
  assert.ok(readFileSync(join(packageDir, "faceid_edge.d.cts")).equals(generated), "faceid_edge.d.cts differs from wasm-bindgen's output");
});

test("the entries take the API from recover.js, not from the glue", () => {
  const { packageDir } = installedPackage();
  for (const entry of ["workerd.js", "browser.js", "ticket-owner.js"]) {
    const text = readFileSync(join(packageDir, entry), "utf8");
    assert.doesNotMatch(text, /from "\.\/faceid_edge\.js"/, entry);
    assert.match(text, /from "\.\/recover\.js"/, entry);
  }
});
