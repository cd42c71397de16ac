// Source of sign/node.cjs (bundled to CommonJS by scripts/build-sign.mjs, not
// shipped as is): the .wasm's bytes inlined and instantiated synchronously, so
// that `require("faceid-edge/sign")` and `import` both work and share one
// instance, as the main package's node.cjs does.
import wasmBytes from "./faceid_edge_sign_bg.wasm";
import { initSync } from "./faceid_edge_sign.js";

initSync({ module: wasmBytes });

export { nonce, sign, signValues, verifySign } from "./recover.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on load; kept so that portable code can `await init()`. */
export default async function init() {}
