// Builds the signing-only entry `faceid-edge/sign` into pkg/sign/: the crate
// (Cargo profile `sign`) without its `full` feature (only `sign`, `signValues`, `verifySign`,
// `nonce`: src/wasm/mod.rs), in its own target directory so that it never
// replaces the main build's .wasm, then
//   wasm-bindgen --target web --omit-default-module-path  (the glue, unedited,
//     with wasm-bindgen's reset machinery for trap recovery)
//   wasm-opt -Oz                                          (size)
//   pkg-template/sign/ copied in; errors.js (the snippet's FaceIdError under a
//   stable name) and node.cjs (the Node entry, the .wasm inlined) generated.
// Run after scripts/build-pkg.mjs (it empties pkg/), by `make pkg`.
// Usage: node scripts/build-sign.mjs [package dir, default pkg/]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { findFile, wasmOpt } from "./lib/wasm-build.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = resolve(process.argv[2] ?? join(root, "pkg"));
const out = join(pkg, "sign");
const template = join(root, "pkg-template", "sign");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { stdio: "inherit", cwd: root, env: { ...process.env, ...env } });

if (!existsSync(join(pkg, "package.json"))) throw new Error(`no package at ${pkg}: run scripts/build-pkg.mjs first (make pkg)`);

const targetDir = join(root, "target", "wasm-sign");
run(join(root, "scripts", "wasm-cargo"), ["build", "--profile", "sign", "--lib", "--no-default-features", "--features", "small-alloc"], { CARGO_TARGET_DIR: targetDir });
const input = join(targetDir, "wasm32-unknown-unknown", "sign", "faceid_edge.wasm");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// --experimental-reset-state-function: __wbg_reset_state(), which recover.js
// (pkg-template/sign/) calls after a trap.
run("wasm-bindgen", ["--target", "web", "--omit-default-module-path", "--experimental-reset-state-function", "--out-dir", out, "--out-name", "faceid_edge_sign", input]);
// The entry's types are pkg-template/sign/index.d.ts (the main package's declarations).
for (const f of ["faceid_edge_sign.d.ts", "faceid_edge_sign_bg.wasm.d.ts", ".gitignore"]) rmSync(join(out, f), { force: true });

const wasm = join(out, "faceid_edge_sign_bg.wasm");
const before = statSync(wasm).size;
wasmOpt(root, wasm);

// FaceIdError lives in the snippet wasm-bindgen copied (a folder name with a hash).
const boundary = existsSync(join(out, "snippets")) && findFile(join(out, "snippets"), "boundary.js");
if (!boundary) throw new Error("sign: snippet boundary.js not found in wasm-bindgen output");
// errors.js: FaceIdError under a stable name, with the JavaScript half of the
// sign() fast lane and forgetInstance (for recover.js).
writeFileSync(join(out, "errors.js"), `export { FaceIdError, forgetInstance, setSignLane, signLane } from "./${relative(out, boundary)}";\n`);

for (const file of readdirSync(template)) cpSync(join(template, file), join(out, file));

// node.cjs: the glue and the Node entry bundled as CommonJS with the .wasm
// inlined, as the main package's node.cjs (scripts/build-pkg.mjs).
run(bin("esbuild"), [
  join(out, "node-entry.mjs"), "--bundle", "--format=cjs", "--platform=node",
  "--target=node20", "--log-level=warning", "--loader:.wasm=binary",
  "--log-override:duplicate-object-key=silent", `--outfile=${join(out, "node.cjs")}`,
]);
rmSync(join(out, "node-entry.mjs"));

const after = statSync(wasm).size;
const gz = gzipSync(readFileSync(wasm), { level: 9 }).length;
console.log(`pkg/sign/: faceid_edge_sign_bg.wasm ${before} -> ${after} bytes (${gz} gzip)`);
