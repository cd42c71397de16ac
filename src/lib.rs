//! # faceid-edge
//!
//! A client for the WeBank / Tencent Cloud FaceID (人脸核身) partner APIs, made
//! to run at the edge: compiled to WebAssembly for Cloudflare Workers
//! (workerd), Node.js and browsers, and usable as a plain Rust crate.
//!
//! The crate is split in two:
//!
//! - a **pure core** (this crate's public modules): signing, nonces,
//!   validation and the error type, with no JavaScript in it and tested with
//!   plain `cargo test`;
//! - a **thin WebAssembly layer** (`wasm`, compiled only for `wasm32`) that
//!   converts JavaScript values, calls the core and turns [`Error`] into a
//!   JavaScript `FaceIdError` with a stable `code`.
//!
//! ```
//! use faceid_edge::{nonce, sign, SignParams, DEFAULT_VERSION};
//!
//! let n = nonce()?;
//! let signature = sign(&SignParams {
//!     app_id: "IDAXXXXX",
//!     order_no: "order20260101001",
//!     ticket: "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
//!     nonce: &n,
//!     version: DEFAULT_VERSION,
//! })?;
//! assert_eq!(signature.len(), 40);
//! # Ok::<(), faceid_edge::Error>(())
//! ```
//!
//! ## Modules
//! - [`sign`](mod@sign): `sign_values`, `sign`, `verify_sign` (SPEC §1);
//! - [`nonce`](mod@nonce): CSPRNG nonces with rejection sampling;
//! - [`validate`]: the input rules, as typed errors;
//! - [`packed`]: several strings carried across the JS boundary as one;
//! - [`error`]: the one error enum and its stable codes.

pub mod endpoints;
pub mod error;
pub mod media;
pub mod nonce;
pub mod packed;
pub mod request;
pub mod response;
pub mod retry;
pub mod sign;
pub mod validate;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use nonce::nonce;
pub use sign::{sign, sign_values, verify_sign, SignParams, DEFAULT_VERSION};
