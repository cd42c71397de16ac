// faceid-edge/sign for browsers and bundlers: the signing functions alone,
// with their own small .wasm. Call `await init()` once before use.
import initWasm from "./faceid_edge_sign.js";
import * as recovering from "./recover.js";
import { FaceIdError } from "./errors.js";

export { FaceIdError };

let ready;
let loaded = false;

/**
 * Loads the WebAssembly module (by default the .wasm file beside this one,
 * which bundlers pick up from the `new URL(..., import.meta.url)` pattern).
 * Safe to call more than once: later calls return the first promise.
 */
export default function init(input) {
  if (!ready) {
    const url = input ?? new URL("./faceid_edge_sign_bg.wasm", import.meta.url);
    ready = initWasm({ module_or_path: url }).then(
      () => {
        loaded = true;
      },
      (error) => {
        if (input != null) throw error;
        throw new Error(
          `faceid-edge/sign: could not load its WebAssembly from ${url.href} (${error && error.message}). ` +
            "A bundler must put faceid_edge_sign_bg.wasm beside this module, or pass its URL: await init(url).",
          { cause: error },
        );
      },
    );
  }
  return ready;
}

function guard(name) {
  const fn = recovering[name];
  return function (...args) {
    if (!loaded) {
      throw new FaceIdError(
        "NOT_INITIALIZED",
        `${name}() was used before the WebAssembly module was loaded: await init() once first`,
      );
    }
    return fn(...args);
  };
}

export const nonce = guard("nonce");
export const sign = guard("sign");
export const signValues = guard("signValues");
export const verifySign = guard("verifySign");
