// faceid-edge for browsers and bundlers: call `await init()` once before use.
import initWasm from "./faceid_edge.js";

export * from "./faceid_edge.js";
export { FaceIdError } from "./errors.js";

let ready;

/**
 * Loads the WebAssembly module (by default the .wasm file beside this one,
 * which bundlers pick up from the `new URL(..., import.meta.url)` pattern).
 * Safe to call more than once: later calls return the first promise.
 */
export default function init(input) {
  ready ??= initWasm({
    module_or_path: input ?? new URL("./faceid_edge_bg.wasm", import.meta.url),
  }).then(() => undefined);
  return ready;
}
