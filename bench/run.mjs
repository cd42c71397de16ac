// `make bench`: speed and size of the built package (pkg/), each figure side
// by side with the plain-JavaScript way in the same process.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { run as runColdstart } from "./coldstart.mjs";
import { run as runEdgeLoad } from "./edge-load.mjs";
import { run as runLarge } from "./large.mjs";
import { run as runOwner } from "./owner.mjs";
import { run as runQuery } from "./query.mjs";
import { run as runRuntimes } from "./runtimes.mjs";
import { run as runSign } from "./sign.mjs";
import { run as runTickets } from "./tickets.mjs";
import { report } from "./targets.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = resolve(process.env.FACEID_PKG_DIR ?? join(root, "pkg"));
const lib = await import(pathToFileURL(join(pkgDir, "node.mjs")).href);
// The signing-only entry, when the package has it (make pkg builds it).
const signEntry = existsSync(join(pkgDir, "sign", "node.mjs")) ? await import(pathToFileURL(join(pkgDir, "sign", "node.mjs")).href) : null;

console.log(`faceid-edge ${JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version} on Node ${process.version}`);
console.log("");
// Each section prints its figures; all of them are written to
// bench/results/latest.json at the end.
const SECTIONS = [
  ["sign", "speed (median of 9 interleaved rounds)", () => runSign(lib, console.log, signEntry)],
  ["runtimes", "signing in each runtime: sign() against WebCrypto's SHA-1 (median of 15 interleaved rounds)", runRuntimes],
  ["coldstart", "cold start: loading the package to the first signature, in fresh processes", runColdstart],
  ["query", "result queries against the loopback simulator", () => runQuery(lib)],
  ["tickets", "tokens and tickets (client made from appId + secret)", () => runTickets(lib)],
  ["owner", "the TicketOwner Durable Object in workerd", runOwner],
  ["edgeLoad", "the edge handler under load in workerd", runEdgeLoad],
  ["large", "a 10 MB result through the handler's trimming", runLarge],
];
const figures = {};
for (const [key, title, run] of SECTIONS) {
  console.log(`== ${title} ==`);
  figures[key] = await run();
  console.log("");
}

console.log("== size ==");
const wasm = readFileSync(join(pkgDir, "faceid_edge_bg.wasm"));
const gz = gzipSync(wasm, { level: 9 }).length;
const glue = ["faceid_edge.js", "node.cjs", "workerd.js", "browser.js"]
  .map((f) => `${f} ${gzipSync(readFileSync(join(pkgDir, f)), { level: 9 }).length}`)
  .join(", ");
console.log(`faceid_edge_bg.wasm: ${wasm.length} bytes, ${gz} bytes gzip (the first stage's target was at most 40960, before FaceIdClient)`);
console.log(`JavaScript (gzip bytes): ${glue} (node.cjs carries the .wasm inlined, for bundles of Node apps)`);
figures.size = { wasmBytes: wasm.length, wasmGzipBytes: gz };
// The signing-only entry: its .wasm, and everything a page that imports it
// loads (the .wasm and the browser entry's JavaScript modules), gzip.
const signDir = join(pkgDir, "sign");
if (existsSync(join(signDir, "faceid_edge_sign_bg.wasm"))) {
  const gzOf = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
  const signWasm = readFileSync(join(signDir, "faceid_edge_sign_bg.wasm"));
  const snippet = /from "\.\/([^"]+)"/.exec(readFileSync(join(signDir, "errors.js"), "utf8"))[1];
  const js = ["browser.js", "recover.js", "faceid_edge_sign.js", "errors.js", snippet].map((f) => gzOf(join(signDir, f)));
  const signGz = gzOf(join(signDir, "faceid_edge_sign_bg.wasm"));
  const entry = signGz + js.reduce((a, b) => a + b, 0);
  console.log(`faceid-edge/sign: faceid_edge_sign_bg.wasm ${signWasm.length} bytes, ${signGz} bytes gzip; with the browser entry's JavaScript (${js.join(" + ")} bytes gzip) ${entry} bytes gzip`);
  Object.assign(figures.size, { signWasmBytes: signWasm.length, signWasmGzipBytes: signGz, signEntryGzipBytes: entry });
} else {
  console.log("faceid-edge/sign: not built (pkg/sign/ missing: make pkg)");
}

console.log("");
console.log("== issue 19 targets (ratios from this run, side by side with the plain way) ==");
figures.targets = report(figures);

mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "latest.json"), JSON.stringify({ date: new Date().toISOString(), node: process.version, figures }, null, 2) + "\n");
