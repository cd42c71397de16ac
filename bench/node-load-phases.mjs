// Where the Node entry's load time goes: a copy of the package's node.cjs
// with performance.now() marks between its phases, loaded in fresh `node`
// processes through `require` and through node.mjs's `import`; prints the
// median of each phase. Not part of `make bench` (an investigation tool):
//   node bench/node-load-phases.mjs [package dir, default pkg/] [samples, default 15]
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = resolve(process.argv[2] ?? join(root, "pkg"));
const samples = Number(process.argv[3] ?? 15);
const dir = mkdtempSync(join(tmpdir(), "faceid-edge-phases-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
cpSync(pkgDir, join(dir, "pkg"), { recursive: true });

// The marks, inserted at the phase boundaries of esbuild's bundle.
let src = readFileSync(join(pkgDir, "node.cjs"), "utf8");
const mark = (name) => `globalThis.__marks.push([${JSON.stringify(name)}, performance.now()]);\n`;
const insert = (before, name, after = false) => {
  const at = src.indexOf(before);
  if (at < 0) throw new Error(`node.cjs: ${JSON.stringify(before)} not found`);
  src = after ? src.slice(0, at + before.length) + mark(name) + src.slice(at + before.length)
    : src.slice(0, at) + mark(name) + src.slice(at);
};
insert("// pkg/faceid_edge_bg.wasm\n", "node.cjs: helpers", true);
insert("\n// pkg/snippets/", "base64 → bytes");
insert("    module2 = new WebAssembly.Module(module2);\n", "glue evaluated");
insert("    module2 = new WebAssembly.Module(module2);\n", "new WebAssembly.Module", true);
insert("  const instance = new WebAssembly.Instance(module2, imports);\n", "new WebAssembly.Instance", true);
insert("  wasm.__wbindgen_start();\n", "__wbindgen_start", true);
src = `globalThis.__marks.push(["before node.cjs runs: resolve, read (import: scan), compile", performance.now()]);\n${src}\n${mark("rest of node.cjs")}`;
writeFileSync(join(dir, "pkg", "node.cjs"), src);

const INPUT = `{ appId: "IDAXXXXX", orderNo: "order1", ticket: "T", nonce: "kHSIL1bcmMMp6gHVG0xTaJ8eqzyQfZN2" }`;
const child = (load) => `globalThis.__marks = [];
const t0 = performance.now();
${load}
globalThis.__marks.push(["import/require returns", performance.now()]);
lib.sign(${INPUT});
globalThis.__marks.push(["first sign()", performance.now()]);
let prev = t0;
console.log(JSON.stringify(globalThis.__marks.map(([k, t]) => [k, t - prev, (prev = t)].slice(0, 2))));`;
writeFileSync(join(dir, "require.cjs"), child(`const lib = require("./pkg/node.cjs");`));
writeFileSync(join(dir, "import.mjs"), child(`const lib = await import("./pkg/node.mjs");`));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const file of ["require.cjs", "import.mjs"]) {
  const runs = [];
  for (let i = 0; i < samples; i++) runs.push(JSON.parse(execFileSync(process.execPath, [join(dir, file)], { encoding: "utf8" })));
  const names = runs[0].map(([k]) => k);
  console.log(`${file === "require.cjs" ? "require(node.cjs)" : "import(node.mjs)"}, median of ${samples} fresh processes (ms):`);
  for (const [i, name] of names.entries()) {
    const m = median(runs.map((r) => r[i][1]));
    console.log(`  ${m.toFixed(2).padStart(7)}  ${name}`);
  }
  console.log(`  ${median(runs.map((r) => r.reduce((a, [, d]) => a + d, 0))).toFixed(2).padStart(7)}  in all (median of the sums)`);
}
