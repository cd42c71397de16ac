// faceid-edge/sign for Cloudflare Workers / workerd: the signing functions
// alone, with their own small .wasm. It is imported as a compiled
// WebAssembly.Module (workerd refuses to compile bytes at run time) and
// instantiated synchronously on load. No randomness or timers run here.
import wasmModule from "./faceid_edge_sign_bg.wasm";
import { initSync } from "./faceid_edge_sign.js";

initSync({ module: wasmModule });

export { nonce, sign, signValues, verifySign } from "./recover.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on import; kept so that portable code can `await init()`. */
export default async function init() {}
