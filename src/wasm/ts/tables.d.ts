// Generated from the core's tables (crates/faceid-edge-core/src/error/codes.rs, endpoints/rows.rs and
// edge.rs) by `cargo run -p faceid-edge-core --example gen-tables`: edit them there. `cargo test` fails when this file is out of date.
// Part of faceid_edge.d.ts (src/wasm/types.rs includes it; wasm-bindgen merges the parts).

/** Every `code` a `FaceIdError` can carry in this version. */
export type FaceIdErrorCode =
  | "INVALID_APP_ID"
  | "INVALID_ORDER_NO"
  | "INVALID_NONCE"
  | "INVALID_TICKET"
  | "INVALID_VERSION"
  | "INVALID_VALUE"
  | "INVALID_ARGUMENT"
  | "RANDOM_UNAVAILABLE"
  | "NOT_INITIALIZED"
  | "INVALID_USER_ID"
  | "INVALID_IMAGE"
  | "IMAGE_TOO_LARGE"
  | "INVALID_OPTION"
  | "INVALID_URL"
  | "TIMEOUT"
  | "NETWORK"
  | "HTTP_STATUS"
  | "BAD_RESPONSE"
  | "INVALID_MEDIA"
  | "TICKET_UNAVAILABLE"
  | "INVALID_IDENTITY"
  | "REJECTED"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "BODY_TOO_LARGE"
  | "INVALID_BODY"
  | "BODY_TIMEOUT"
  | "RATE_LIMITED"
  | "ABORTED"
  | "INTERNAL";

/** The request kinds of `signedRequest`. */
export type RequestKind =
  | "faceResult"
  | "liveResult"
  | "idCardOcrResult"
  | "bankCardOcrResult"
  | "idCardOcr"
  | "queryFaceRecord";

/** A route's name, as the `rateLimit` hook sees it. */
export type EdgeRoute =
  | "result"
  | "liveResult"
  | "idCardResult"
  | "bankCardResult"
  | "ocrIdCard"
  | "start"
  | "callback"
  | "sdkStart";

/** What a page may read of an order. */
export type OrderKind =
  | "face"
  | "live"
  | "idcard"
  | "bankcard";
