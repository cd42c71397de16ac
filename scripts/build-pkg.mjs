// Builds the npm package into pkg/ from the release .wasm:
//   wasm-bindgen --target web --omit-default-module-path
//     --experimental-reset-state-function                 (the glue, never edited)
//   wasm-bindgen --target nodejs (its .d.ts only)         (the types, never edited)
//   src/wasm/js/recover.js                                (the API over the glue)
//   wasm-opt -Oz                                          (size)
//   pkg-template/ merged in; errors.js, node.cjs (the .wasm inlined) and the
//   CommonJS copies of the types (index.d.cts, faceid_edge.d.cts) generated.
// Usage: node scripts/build-pkg.mjs <path to faceid_edge.wasm> [output dir, default pkg/]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { findFile, wasmOpt } from "./lib/wasm-build.mjs";

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
// The types: wasm-bindgen's web target ends them with its loader's
// (InitInput, the raw export table InitOutput, initSync, the default init),
// which name DOM-only types (RequestInfo, BufferSource, WebAssembly.*) that a
// Node.js project with Node's types and no DOM library lacks, and which the
// entries do not export. Its nodejs target, run on the same .wasm, writes
// the same declarations without that tail: that file is shipped as it is
// (nothing edited), and index.d.ts declares init() and InitInput itself. The
// build stops if the two ever differ in more than the tail.
{
  const dts = join(pkg, "faceid_edge.d.ts");
  const web = readFileSync(dts, "utf8");
  const other = join(pkg, ".types");
  run("wasm-bindgen", ["--target", "nodejs", "--experimental-reset-state-function", "--out-dir", other, input]);
  const types = readFileSync(join(other, "faceid_edge.d.ts"), "utf8");
  const tail = web.indexOf("export type InitInput");
  if (tail < 0 || web.slice(0, tail).trimEnd() !== types.trimEnd() || !/export function initSync/.test(web.slice(tail))) {
    throw new Error("faceid_edge.d.ts: wasm-bindgen's web types are not its nodejs types followed by the loader's (InitInput … initSync)");
  }
  // No `any` from wasm-bindgen reaches users' type checks.
  if (/\bany\b(?=[,)\];])/.test(types)) throw new Error("faceid_edge.d.ts: wasm-bindgen declared an `any`: give it a type");
  cpSync(join(other, "faceid_edge.d.ts"), dts);
  rmSync(other, { recursive: true, force: true });
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
wasmOpt(root, wasm);

// The error class lives in a wasm-bindgen snippet whose folder name carries a
// hash: give it a stable name (with the JavaScript half of the sign() fast
// lane, which recover.js calls).
const boundary = findFile(join(pkg, "snippets"), "boundary.js");
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
// rejects its promise), per class, read from the generated types (the
// methods declared to return a Promise): async-methods.js, a module of ours,
// so that a new async method needs no list edited by hand. (The edge
// handler's class has no types: recover.js names its one method.)
{
  const types = readFileSync(join(pkg, "faceid_edge.d.ts"), "utf8");
  const classes = {};
  for (const [, name, body] of types.matchAll(/^export class (\w+) \{\n([^]*?)^\}/gm)) {
    const found = [...body.matchAll(/^ {4}(\w+)\([^\n]*\): Promise<[^\n]*;$/gm)].map((m) => m[1]).sort();
    if (found.length > 0) classes[name] = found;
  }
  for (const name of ["FaceIdClient", "TicketManager"]) {
    if (!classes[name]) throw new Error(`faceid_edge.d.ts: no async method found in class ${name}`);
  }
  writeFileSync(join(pkg, "async-methods.js"), `// Generated by scripts/build-pkg.mjs from faceid_edge.d.ts (the methods whose type returns a Promise).
/** Methods that return a promise, per class (the others return values). */
export const ASYNC_METHODS = ${JSON.stringify(classes, null, 2)};
`);
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
