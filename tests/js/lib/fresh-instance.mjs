// Runs a piece of code in a fresh Node.js process on a fresh instance of the
// packed package's WebAssembly module, loaded through the wasm-bindgen glue
// the package ships (faceid_edge.js + faceid_edge_bg.wasm), so that the code
// can read the module's linear memory: `memoryBytes()` is its size in bytes.
// A fresh process per call keeps measurements independent: wasm memory never
// shrinks, and a test run before would leave room that hides new growth.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { installedPackage, tempDir } from "./package.mjs";

const run = promisify(execFile);

/**
 * Runs `body` (the text of an async function body that ends with `return
 * <JSON-able value>`) with `faceid` (the glue's exports: FaceIdClient, sign,
 * signValues…), `memoryBytes()` and `input` (the given JSON value) in scope,
 * and resolves to what it returned. `nodeArgs` go to node (e.g.
 * `--expose-gc`, which also gives `gc()` to the body).
 */
export async function inFreshInstance(body, { input = null, nodeArgs = [], timeoutMs = 120_000 } = {}) {
  const { packageDir } = installedPackage();
  const file = join(tempDir("fresh"), "run.mjs");
  writeFileSync(file, `import { readFileSync } from "node:fs";
import * as faceid from ${JSON.stringify(pathToFileURL(join(packageDir, "faceid_edge.js")).href)};
const wasm = faceid.initSync({ module: readFileSync(${JSON.stringify(join(packageDir, "faceid_edge_bg.wasm"))}) });
const memoryBytes = () => wasm.memory.buffer.byteLength;
const input = JSON.parse(process.env.FACEID_FRESH_INPUT);
const output = await (async () => {
${body}
})();
process.stdout.write(JSON.stringify(output));
`);
  const { stdout } = await run(process.execPath, [...nodeArgs, file], {
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
    env: { ...process.env, FACEID_FRESH_INPUT: JSON.stringify(input) },
  });
  return JSON.parse(stdout);
}
