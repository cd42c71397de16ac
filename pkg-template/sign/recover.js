// faceid-edge/sign's functions, with recovery from a WebAssembly trap (a
// `WebAssembly.RuntimeError`: a panic or an allocation failure is an
// `unreachable` with panic = "abort", or an out-of-bounds access). As in the
// main package (src/wasm/js/recover.js, RELIABILITY.md "Wasm traps"), the
// call that trapped throws FaceIdError INTERNAL and the next call runs in a
// fresh instance of the same compiled module: here through wasm-bindgen's
// own reset machinery (`--experimental-reset-state-function`:
// `__wbg_reset_state()` instantiates the module again, synchronously, which
// workerd allows), without editing the generated glue. The signing functions
// hold no objects and start no tasks, so nothing else needs remaking: the
// fast lane forgets the old instance's memory and binds the new one's on its
// first call.
import * as glue from "./faceid_edge_sign.js";
import { FaceIdError, forgetInstance, setSignLane, signLane } from "./errors.js";

setSignLane(glue.__signScratch, glue.__signLane);

/** The error a call lost to a trap throws, replacing the instance first (never any input in it). */
function recover(error) {
  if (!(error instanceof WebAssembly.RuntimeError)) return error;
  glue.__wbg_reset_state();
  forgetInstance();
  const lost = new FaceIdError("INTERNAL",
    "faceid-edge's WebAssembly instance trapped (a bug: a panic or an allocation failure) and was replaced by a fresh one; this call was lost: retry it");
  lost.cause = error;
  return lost;
}

/** `sign()` of the main package: see its declaration. */
export function sign(options) {
  try {
    // The fast lane (one call into wasm), else the general path, which reports errors.
    const out = signLane(options);
    return out === undefined ? glue.sign(options) : out;
  } catch (e) {
    throw recover(e);
  }
}

/** `signValues()` of the main package: see its declaration. */
export function signValues(values) {
  try {
    return glue.signValues(values);
  } catch (e) {
    throw recover(e);
  }
}

/** `verifySign()` of the main package: see its declaration. */
export function verifySign(values, signature) {
  try {
    return glue.verifySign(values, signature);
  } catch (e) {
    throw recover(e);
  }
}

/** `nonce()` of the main package: see its declaration. */
export function nonce() {
  try {
    return glue.nonce();
  } catch (e) {
    throw recover(e);
  }
}
