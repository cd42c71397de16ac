// Builds the npm package into pkg/ from the release .wasm:
//   wasm-bindgen --target web --omit-default-module-path  (the glue)
//   wasm-opt -Oz                                          (size)
//   pkg-template/ merged in; errors.js, node.cjs (the .wasm inlined) and the
//   CommonJS copies of the types (index.d.cts, faceid_edge.d.cts) generated.
// Usage: node scripts/build-pkg.mjs <path to faceid_edge.wasm> [output dir, default pkg/]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

run("wasm-bindgen", ["--target", "web", "--omit-default-module-path", "--out-dir", pkg, input]);
rmSync(join(pkg, "faceid_edge_bg.wasm.d.ts"), { force: true });
// wasm-bindgen ends the types with its loader's: InitInput, the raw export
// table (InitOutput), initSync and the default init. The entries export none
// of them but InitInput, and they name DOM-only types (RequestInfo,
// BufferSource, WebAssembly.*), which a Node.js project with Node's types and
// no DOM library lacks: replace them with an InitInput that names none. (And
// no `any` from wasm-bindgen should reach users' type checks.)
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

// Recovery from a WebAssembly trap (src/wasm/js/recover.js, RELIABILITY.md
// "Wasm traps"): its code, minified, goes into the glue right after the
// imports, and the glue is rewired to it. Each change must match
// wasm-bindgen's output exactly, or the build stops here.
{
  const file = join(pkg, "faceid_edge.js");
  let text = readFileSync(file, "utf8");
  const fail = (what) => {
    throw new Error(`faceid_edge.js: ${what}: wasm-bindgen's glue changed; update the trap recovery patch in scripts/build-pkg.mjs`);
  };
  const count = (re) => (text.match(re) ?? []).length;
  /** Replaces every match of `re` (global), expecting exactly `times` of them. */
  const patch = (re, replacement, times, what) => {
    const found = count(re);
    if (found !== times) fail(`${what}: found ${found} times, expected ${times}`);
    text = text.replace(re, replacement);
  };
  const classes = count(/^export class \w+ \{$/gm);
  const constructors = count(/^ {4}constructor\(/gm);
  const methods = count(/^ {8}(?:const ret = |)wasm\.\w+\(this\.__wbg_ptr\b/gm);
  if (classes === 0 || constructors === 0 || methods === 0) fail("no exported class, constructor or method found");
  if (count(/\bFinalizationRegistry\b/g) !== count(/= \(typeof FinalizationRegistry === 'undefined'\)\n {4}\? \{ register: \(\) => \{\}, unregister: \(\) => \{\} \}\n {4}: new FinalizationRegistry\(/g) * 2) {
    fail("a FinalizationRegistry used other than as `typeof … ? { register, unregister } : new FinalizationRegistry(…)`");
  }

  // Every export called through the trap guard.
  patch(/\n {4}wasm = instance\.exports;\n/g, "\n    wasm = guarded(instance.exports);\n", 1, "`wasm = instance.exports;` in __wbg_finalize_init");
  // Methods use the object's pointer in the current instance (remade if stale).
  patch(/^( {8}(?:const ret = |)wasm\.\w+\()this\.__wbg_ptr\b/gm, "$1live(this)", methods, "method calls");
  // Constructors record how to remake the object: the same call, same options.
  patch(/( {4}constructor\((\w+)\) \{\n {8}const ret = (wasm\.\w+)\(\2\);\n[^]*?\w+Finalization\.register\(this, this\.__wbg_ptr, this)\);/g,
    "$1, () => $3($2));", constructors, "constructors (one options argument)");
  // free() of a stale object only forgets its pointer (it died with the old instance).
  patch(/^( {4}free\(\) \{\n)( {8}const ptr = this\.__destroy_into_raw\(\);\n)/gm,
    "$1        if (stale(this)) return void this.__destroy_into_raw();\n$2", classes, "free()");
  // The edge handler's state, made by FaceIdClient.edgeHandler: remade by it.
  patch(/^( {8}\w+Finalization\.register\(obj, obj\.__wbg_ptr, obj\);\n)/gm, "$1        wrapped = obj;\n", 1, "__wrap (only the edge handler's state)");
  patch(/^( {8})(const ret = wasm\.faceidclient_edgeHandler\(live\(this\), options\);\n)/gm,
    "$1wrapped = null;\n$1$2$1remakeWrapped(() => this.edgeHandler(options));\n", 1, "FaceIdClient.edgeHandler");
  // Async methods: a trap in their synchronous part rejects their promise,
  // as every other error of theirs does, instead of throwing.
  patch(/(^ {5}\* @returns \{Promise<[^\n]*\n {5}\*\/\n {4}\w+\([^)\n]*\) \{\n)((?:(?: {8}[^\n]*)?\n)*?)( {4}\}\n)/gm,
    (_, head, body, tail) => `${head}        try {\n${body.replace(/^(?=.)/gm, "    ")}        } catch (e) {\n            return asyncLost(e);\n        }\n${tail}`,
    count(/^ {5}\* @returns \{Promise</gm), "async methods (`@returns {Promise…}`)");
  // Closures of an older generation do nothing (their pointers are into the dead instance).
  if (count(/CLOSURE_DTORS\.register\(/g) !== 1) fail("a closure factory other than makeMutClosure");
  patch(/^( {4}const real = \(\.\.\.args\) => \{\n)/gm, "$1        if (stale(state)) return;\n", 1, "makeMutClosure's call");
  patch(/^( {4}real\._wbg_cb_unref = \(\) => \{\n)/gm, "$1        if (stale(state)) return;\n", 1, "makeMutClosure's unref");
  // Where this.__wbg_ptr may still be read: nowhere that calls into wasm.
  const rest = text.match(/.*this\.__wbg_ptr.*/g).map((l) => l.trim()).filter((l) => ![
    "const ptr = this.__wbg_ptr;", "this.__wbg_ptr = 0;", "this.__wbg_ptr = ret[0];",
  ].includes(l) && !/^\w+Finalization\.register\(this, this\.__wbg_ptr, this, \(\) => wasm\.\w+\(\w+\)\);$/.test(l));
  if (rest.length) fail(`unexpected uses of this.__wbg_ptr: ${rest.join(" | ")}`);

  // The recovery itself, after the imports (with FaceIdError,
  // instanceTrapped and instanceReplaced from the boundary snippet).
  const head = /^(\/\*[^\n]*\*\/\n)?((?:import [^\n]*\n)+)/.exec(text);
  const snippet = /^import \{[^}]*\} from '(\.\/snippets\/[^']+\/boundary\.js)';$/m.exec(head?.[2] ?? "");
  if (!head || !snippet) fail("the imports (of the boundary snippet) are not where expected");
  const recover = execFileSync(bin("esbuild"), ["--minify-whitespace", "--minify-syntax", "--loader=js", "--log-level=warning"], {
    cwd: root, input: readFileSync(join(root, "src/wasm/js/recover.js"), "utf8"), encoding: "utf8",
  });
  text = `${head[0]}import { FaceIdError, instanceReplaced, instanceTrapped } from '${snippet[1]}';\n` +
    `// Recovery from a WebAssembly trap: src/wasm/js/recover.js, spliced in by scripts/build-pkg.mjs.\n${recover}` +
    text.slice(head[0].length);
  writeFileSync(file, text);
}

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
// hash: give it a stable name.
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
  `export { FaceIdError } from "./${relative(pkg, boundary)}";\n`,
);

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
