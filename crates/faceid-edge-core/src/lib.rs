//! # faceid-edge-core
//!
//! The pure core of [faceid-edge](https://www.npmjs.com/package/faceid-edge):
//! everything about the WeBank / Tencent Cloud FaceID (人脸核身) partner APIs
//! that needs no I/O. Signing, nonces, input rules, one table of endpoints,
//! signed request building, response envelope rules, media decoding and
//! retry timing. No JavaScript, no network: plain `cargo test` covers it, and
//! the `faceid-edge` crate puts a thin WebAssembly layer on top.
//!
//! The protocol itself (hosts, the signature and the value set of each call,
//! nonces, the access token and the SIGN and NONCE tickets, every endpoint,
//! the H5 flow, the result codes, and the rules this library adds beyond the
//! official pages) is described in `docs/protocol.md` in the repository.
//!
//! ```
//! use faceid_edge_core::{nonce, sign, SignParams, DEFAULT_VERSION};
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
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```
//!
//! ## Modules
//! - [`sign`](mod@sign): `sign_values`, `sign`, `verify_sign`;
//! - [`nonce`](mod@nonce): CSPRNG nonces with rejection sampling;
//! - [`validate`]: the input rules, as typed errors;
//! - [`endpoints`]: the one endpoint table (paths, methods, hosts, `get_file`,
//!   media fields, trimming, token kinds, edge routes) and what reads it;
//! - [`request`]: validated settings and signed requests;
//! - [`response`]: the envelope, payload and code rules;
//! - [`media`]: base64 media and type sniffing;
//! - [`retry`]: backoff, file polling, resending a GET whose connection closed;
//! - [`call_machine`]: one call as a state machine without I/O (ticket, renewal,
//!   busy retries, file polls, resends, the order check, the deadline);
//! - [`tickets`]: access token and SIGN ticket: URLs, answers, refresh plan;
//! - [`flight`]: one refresh at a time, with a deadline for one that never ends;
//! - [`store_lock`]: one refresh through a shared store's lock, as a sans-IO machine;
//! - [`ids`]: validated order numbers and user ids, made once where they enter;
//! - [`h5`]: the H5 face flow: `getAdvFaceId`, the login URL, the callback;
//! - [`keyring`]: the order token keys (the first signs, all verify) and the audience;
//! - [`order_token`]: HMAC order tokens that let a page read its own order;
//! - [`callback_state`]: the signed, expiring state that binds a callback to its start;
//! - [`sdk`]: start parameters for the App SDKs;
//! - [`edge`]: the edge handler's routes, CORS, limits and result trimming;
//! - [`body_type`]: what an upload's `Content-Type` says its body is;
//! - [`gate`]: who may reach the edge routes and from where (signed-in users,
//!   cross-site checks, the public origin);
//! - [`public_error`]: the fixed messages of the edge handler's error answers;
//! - [`limits`]: what one caller may cost: body time, image size, the rate limit's answer;
//! - [`result_cache`]: final results kept a few seconds for polling pages;
//! - [`image_text`]: the ID card image cleaned or encoded a piece at a time;
//! - [`error`]: the one error enum and its stable codes, each with when it happens.

pub mod body_type;
pub mod call_machine;
pub mod callback_state;
pub mod edge;
pub mod endpoints;
pub mod error;
pub mod flight;
pub mod gate;
pub mod h5;
pub mod ids;
pub mod image_text;
pub mod keyring;
pub mod limits;
pub mod media;
pub mod nonce;
pub mod order_token;
pub mod public_error;
pub mod request;
pub mod response;
pub mod result_cache;
pub mod retry;
pub mod sdk;
pub mod sign;
pub mod store_lock;
pub mod tickets;
pub mod validate;

pub use error::{Error, Result};
pub use nonce::nonce;
pub use sign::{sign, sign_values, verify_sign, SignParams, DEFAULT_VERSION};
