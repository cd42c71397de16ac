// Builds the companion npm package faceid-edge-simulator (`npx faceid-edge-simulator`) into
// pkg-simulator/: packages/simulator/ (package.json, bin.mjs, README.md), the simulator's
// sources copied from tests/sim/*.mjs (the one copy in the repository), and LICENSE. The
// version is faceid-edge's (pkg-template/package.json), so the two are released in step.
// The simulator must stay self-contained: every import of its files is a `node:` built-in
// or a sibling file, or the build stops. Milliseconds: part of `make pkg`.
// Usage: node scripts/build-simulator.mjs [output dir, default pkg-simulator/]
//        then `cd pkg-simulator && npm pack`
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(root, "pkg-simulator"));
const own = join(root, "packages", "simulator");
const sim = join(root, "tests", "sim");

const fail = (message) => {
  throw new Error(`build-simulator: ${message}`);
};

const ownFiles = ["package.json", "bin.mjs", "README.md"];
const sources = readdirSync(sim).filter((f) => f.endsWith(".mjs")).sort();
if (!sources.includes("index.mjs")) fail("tests/sim/index.mjs is missing");
for (const f of sources) if (ownFiles.includes(f)) fail(`tests/sim/${f} would overwrite packages/simulator/${f}`);

// Every import: a built-in or a sibling (the package holds nothing else).
const IMPORT = /(?:^|[;\s])(?:import|export)\s[^;'"]*?\bfrom\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
for (const f of sources) {
  // Comment lines (// …, and the * lines of /** … */ blocks) are examples, not imports.
  const text = readFileSync(join(sim, f), "utf8").split("\n").filter((line) => !/^\s*(?:\/\/|\/?\*)/.test(line)).join("\n");
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith("node:")) continue;
    const sibling = /^\.\/([\w.-]+\.mjs)$/.exec(spec)?.[1];
    if (!sibling || !sources.includes(sibling)) {
      fail(`tests/sim/${f} imports "${spec}": the simulator package may import only node: built-ins and the files of tests/sim/`);
    }
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const f of ownFiles) {
  if (!existsSync(join(own, f))) fail(`packages/simulator/${f} is missing`);
  copyFileSync(join(own, f), join(out, f));
}
for (const f of sources) copyFileSync(join(sim, f), join(out, f));
copyFileSync(join(root, "LICENSE"), join(out, "LICENSE"));
chmodSync(join(out, "bin.mjs"), 0o755);

const manifest = JSON.parse(readFileSync(join(out, "package.json"), "utf8"));
manifest.version = JSON.parse(readFileSync(join(root, "pkg-template", "package.json"), "utf8")).version;
writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

console.log(`faceid-edge-simulator ${manifest.version}: ${out} (${sources.length} simulator files)`);
