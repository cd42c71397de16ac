// Builds the npm package into pkg/ from the release .wasm:
//   wasm-bindgen --target web --omit-default-module-path
//     --experimental-reset-state-function                 (the glue, never edited)
//   src/wasm/js/recover.js                                (the API over the glue)
//   wasm-opt -Oz                                          (size)
//   pkg-template/ merged in; errors.js, node.cjs (the .wasm inlined) and the
//   CommonJS copies of the types (index.d.cts, faceid_edge.d.cts) generated.
// Usage: node scripts/build-pkg.mjs <path to faceid_edge.wasm> [output dir, default pkg/]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const input = resolve(process.argv[2] ?? "");
const pkg = resolve(process.argv[3] ?? join(root, "pkg"));
const template = join(root, "pkg-template");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit", cwd: root });

if (!existsSync(input)) throw new Error(`no wasm at ${input}: build it first (make pkg)`);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);

run("wasm-bindgen", ["--target", "web", "--omit-default-module-path", "--experimental-reset-state-function", "--out-dir", pkg, input]);
rmSync(join(pkg, "faceid_edge_bg.wasm.d.ts"), { force: true });
// wasm-bindgen ends the types with its loader's: InitInput, the raw export
// table (InitOutput), initSync and the default init. The entries export none
// of them but InitInput, and they name DOM-only types (RequestInfo,
// BufferSource, WebAssembly.*), which a Node.js project with Node's types and
// no DOM library lacks: replace them with an InitInput that names none. (And
// no `any` from wasm-bindgen should reach users' type checks.) The one edit
// of wasm-bindgen's output left, and of its types only: wasm-bindgen has no
// option to leave the loader's types out or to name them differently, and
// index.d.ts re-exports from this file. A wasm-bindgen upgrade that changes
// that tail stops the build here, never silently.
{
  const dts = join(pkg, "faceid_edge.d.ts");
  const text = readFileSync(dts, "utf8");
  const tail = text.indexOf("export type InitInput");
  if (tail < 0 || !/export function initSync/.test(text.slice(tail))) {
    throw new Error("faceid_edge.d.ts: wasm-bindgen's loader types (InitInput … initSync) not found at its end");
  }
  writeFileSync(dts, `${text.slice(0, tail).replace(/\bany\b(?=[,)\];])/g, "unknown")}/**
 * What \`init()\` loads the WebAssembly from: its URL (a string, \`URL\` or
 * \`Request\`), a \`Response\`, its bytes, or a compiled \`WebAssembly.Module\`.
 */
export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule;

/** \`WebAssembly.Module\` where the program declares it (DOM or Workers types); nothing elsewhere. */
type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : never;
`);
}
rmSync(join(pkg, ".gitignore"), { force: true });

// Recovery from a WebAssembly trap (RELIABILITY.md "Wasm traps"): nothing in
// the glue is edited. wasm-bindgen emits the reinit machinery itself
// (--experimental-reset-state-function: __wbg_reset_state, instance ids on
// objects and closures); src/wasm/js/recover.js is a module of its own over
// the glue (the entries import the API from it), and src/wasm/js/instance.js
// (a snippet) catches traps where Rust tasks resume. Here: recover.js is
// copied in, with instance.js, a stable name for the snippet it imports,
// and (once the package.json is in) its list of async methods is checked
// against the generated types.
cpSync(join(root, "src/wasm/js/recover.js"), join(pkg, "recover.js"));

const wasm = join(pkg, "faceid_edge_bg.wasm");
const before = statSync(wasm).size;
// --strip-target-features: a section no runtime reads. --low-memory-unused
// (wasm-opt may fold `ptr + constant` into a load's or store's offset, which
// differs only when the addition wraps into the lowest 1 KB): Rust's wasm32
// layout puts the stack first, growing down from 1 MB to 0, with the data
// above it, so that happens only after a stack overflow, where the folded
// access traps instead of writing there. About 0.5 KB gzip (BENCHMARKS.md).
run(bin("wasm-opt"), [
  "-Oz", "--strip-debug", "--strip-producers", "--strip-target-features", "--low-memory-unused",
  "--enable-bulk-memory", "--enable-reference-types", "--enable-multivalue",
  "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals",
  "--enable-simd",
  wasm, "-o", wasm,
]);

// The error class lives in a wasm-bindgen snippet whose folder name carries a
// hash: give it a stable name (with the JavaScript half of the sign() fast
// lane, which recover.js calls).
function find(dir, name) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const hit = find(p, name);
      if (hit) return hit;
    } else if (entry === name) return p;
  }
  return null;
}
const boundary = find(join(pkg, "snippets"), "boundary.js");
if (!boundary) throw new Error("snippet boundary.js not found in wasm-bindgen output");
writeFileSync(
  join(pkg, "errors.js"),
  `export { FaceIdError, setSignLane, signLane } from "./${relative(pkg, boundary)}";\n`,
);
writeFileSync(join(pkg, "instance.js"), `export * from "./${relative(pkg, join(dirname(boundary), "instance.js"))}";\n`);

for (const file of ["workerd.js", "ticket-owner.js", "redis-store.js", "browser.js", "node.mjs", "node-load.cjs", "node-adapter.cjs", "node-adapter.d.cts", "node/package.json", "index.d.ts", "workerd.d.ts", "package.json"]) {
  mkdirSync(dirname(join(pkg, file)), { recursive: true });
  cpSync(join(template, file), join(pkg, file));
}

// The types for `require` (the `node.require` export condition): the same
// declarations as CommonJS files (.d.cts), so that TypeScript's node16/nodenext
// resolution in a CommonJS project does not read them as an ES module.
writeFileSync(join(pkg, "faceid_edge.d.cts"), readFileSync(join(pkg, "faceid_edge.d.ts"), "utf8"));
{
  const esm = readFileSync(join(pkg, "index.d.ts"), "utf8");
  const cjs = esm.replaceAll('"./faceid_edge.js"', '"./faceid_edge.cjs"');
  if (cjs === esm || /from\s+"\.\/(?!faceid_edge\.cjs")/.test(cjs)) {
    throw new Error("index.d.ts: expected its only relative imports to be ./faceid_edge.js");
  }
  writeFileSync(join(pkg, "index.d.cts"), `// The types of require("faceid-edge"): generated from index.d.ts by scripts/build-pkg.mjs.\n${cjs}`);
}
// recover.js's list of the methods that return a promise (a trap in one
// rejects its promise) must match the generated types.
{
  const types = readFileSync(join(pkg, "faceid_edge.d.ts"), "utf8");
  // Loading the modules instantiates nothing.
  const { ASYNC_METHODS } = await import(pathToFileURL(join(pkg, "recover.js")).href);
  for (const [name, body] of types.matchAll(/^export class (\w+) \{\n([^]*?)^\}/gm)) {
    const found = [...body.matchAll(/^ {4}(\w+)\([^\n]*\): Promise<[^\n]*;$/gm)].map((m) => m[1]).sort();
    const listed = [...(ASYNC_METHODS[name] ?? [])].sort();
    if (found.join() !== listed.join()) {
      throw new Error(`src/wasm/js/recover.js: ASYNC_METHODS.${name} is [${listed}], the types say [${found}]: update it`);
    }
  }
}
cpSync(join(template, "README.md"), join(pkg, "README.md"));
cpSync(join(root, "LICENSE"), join(pkg, "LICENSE"));

// node.cjs: the web glue and the Node entry bundled as CommonJS, with the
// .wasm inlined (esbuild's binary loader: base64, decoded once on load), so
// that bundles of a Node app (esbuild, webpack…) carry it without a file beside them.
cpSync(join(template, "node-entry.mjs"), join(pkg, "node-entry.mjs"));
run(bin("esbuild"), [
  join(pkg, "node-entry.mjs"), "--bundle", "--format=cjs", "--platform=node",
  "--target=node20", "--log-level=warning", "--loader:.wasm=binary",
  // wasm-bindgen lists the snippet module twice in its imports object (same namespace, harmless).
  "--log-override:duplicate-object-key=silent", `--outfile=${join(pkg, "node.cjs")}`,
]);
rmSync(join(pkg, "node-entry.mjs"));

// Version from Cargo.toml, so the crate and the package never disagree.
const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
manifest.version = version;
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

const after = statSync(wasm).size;
const gz = gzipSync(readFileSync(wasm), { level: 9 }).length;
console.log(`pkg/: faceid_edge_bg.wasm ${before} -> ${after} bytes (${gz} gzip)`);
