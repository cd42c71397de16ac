// Types of require("faceid-edge/sign"): index.d.ts as a CommonJS declaration file.
export { FaceIdError, nonce, sign, signValues, verifySign } from "../index.cjs";
export type { FaceIdErrorCode, InitInput, SignOptions } from "../index.cjs";
export { default } from "../index.cjs";
