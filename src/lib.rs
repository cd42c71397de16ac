//! # faceid-edge
//!
//! A client for the WeBank / Tencent Cloud FaceID (人脸核身) partner APIs, made
//! to run at the edge: compiled to WebAssembly for Cloudflare Workers
//! (workerd), Node.js and browsers, and published on npm as `faceid-edge`.
//!
//! This crate is the thin WebAssembly layer; everything that needs no I/O
//! lives in [`faceid_edge_core`] and is re-exported here:
//!
//! - the core (re-exported): signing, nonces, validation, endpoints, request
//!   building, response rules, media, retry timing, the error type;
//! - `wasm` (compiled only for `wasm32`): the only place with wasm-bindgen:
//!   the exported functions, the `FaceIdClient` class, bindings to the global
//!   `fetch`, and the conversion of [`Error`] into a JavaScript `FaceIdError`
//!   with a stable `code`.
//!
//! The partner protocol these implement (hosts, signatures, tickets, every
//! endpoint, the H5 flow, result codes) is described in `docs/protocol.md` in
//! the repository.
//!
//! ```
//! let s = faceid_edge::sign_values([
//!     "appId001",
//!     "aabc1457895464",
//!     "1.0.0",
//!     "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S",
//!     "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
//! ]);
//! assert_eq!(s, "993D057C652D97FD90D5D298F2E5DC4B8D893CBC");
//! ```

pub use faceid_edge_core::*;

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod packed;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
