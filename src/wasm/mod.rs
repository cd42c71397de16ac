//! The WebAssembly layer: the only place that touches `JsValue`.
//!
//! It converts JavaScript arguments into core inputs (through the packing
//! helpers of `js/boundary.js`), calls the pure core, and turns
//! [`Error`](crate::Error) into a JavaScript `FaceIdError` with a stable
//! `code`. Nothing here panics: every failure is a thrown `FaceIdError`.
//! Compiled only for `wasm32`.

mod answer;
mod body;
mod boundary;
mod call;
pub mod client;
pub mod edge;
mod edge_gate;
pub mod exports;
mod fast_sign;
mod flight;
mod hooks;
mod host;
mod http;
mod image;
mod inputs;
mod limits;
pub mod media;
mod options;
mod order_keys;
pub mod owner;
mod results;
mod source;
mod task;
mod tickets;
mod timers;
mod types;
pub mod verify_token;
mod web;
