/// <reference lib="esnext.disposable" />
// (wasm-bindgen classes declare [Symbol.dispose]; this keeps default `lib` settings working.)
// Types of every faceid-edge entry (workerd, node, browser).
import type { FaceIdErrorCode, InitInput } from "./faceid_edge.js";

export { FaceIdClient, codeInfo, decodeMedia, nonce, sign, signValues, verifySign } from "./faceid_edge.js";
export type {
  BankCardOcrResult,
  CodeInfo,
  FaceIdClientOptions,
  FaceIdClientSummary,
  FaceIdErrorCode,
  FaceQueryOptions,
  FaceRecordResult,
  FaceResult,
  GetFile,
  IdCardOcrInput,
  IdCardOcrResponse,
  IdCardOcrResult,
  InitInput,
  LiveResult,
  MediaFile,
  OcrQueryOptions,
  QueryResult,
  RequestKind,
  SignedRequestInit,
  SignOptions,
} from "./faceid_edge.js";

/**
 * The error every faceid-edge function throws. Branch on `code`, which is
 * stable; `message` says what to fix and never contains a ticket, token or
 * secret.
 */
export declare class FaceIdError extends Error {
  constructor(code: FaceIdErrorCode, message: string);
  readonly name: "FaceIdError";
  readonly code: FaceIdErrorCode;
  /** The HTTP status, for `HTTP_STATUS`. */
  readonly status?: number;
}

/**
 * Loads the WebAssembly module. Required once in browsers before any other
 * call (it fetches the `.wasm` beside the entry unless `input` is given); a
 * no-op on Node.js and workerd, where the module is ready on import.
 */
export default function init(
  input?: InitInput | Promise<InitInput>,
): Promise<void>;
