// Types of faceid-edge/sign (import; index.d.cts is the copy for require):
// the signing functions of the main package, with the same declarations.
export { FaceIdError, nonce, sign, signValues, verifySign } from "../index.js";
export type { FaceIdErrorCode, InitInput, SignOptions } from "../index.js";
export { default } from "../index.js";
