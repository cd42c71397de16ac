//! The WebAssembly layer: the only place that touches `JsValue`.
//!
//! It converts JavaScript arguments into core inputs (through the packing
//! helpers of `js/boundary.js`), calls the pure core, and turns
//! [`Error`](crate::Error) into a JavaScript `FaceIdError` with a stable
//! `code`. Nothing here panics: every failure is a thrown `FaceIdError`.
//! Compiled only for `wasm32`.
//!
//! Without the `full` feature (the `faceid-edge/sign` entry's build) only
//! the signing exports are compiled: `boundary`, `exports`, `fast_sign`;
//! that build also takes the `small-alloc` feature (a smaller allocator).

/// The allocator of the signing-only build (`small-alloc`): a free list
/// sorted by address that merges neighbours, behind a lock that a wasm
/// instance (one thread) never contends.
#[cfg(feature = "small-alloc")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

#[cfg(feature = "full")]
mod answer;
#[cfg(feature = "full")]
mod body;
mod boundary;
#[cfg(feature = "full")]
mod call;
#[cfg(feature = "full")]
pub mod client;
#[cfg(feature = "full")]
pub mod edge;
#[cfg(feature = "full")]
mod edge_gate;
pub mod exports;
mod fast_sign;
#[cfg(feature = "full")]
mod flight;
#[cfg(feature = "full")]
mod hooks;
#[cfg(feature = "full")]
mod host;
#[cfg(feature = "full")]
mod http;
#[cfg(feature = "full")]
mod image;
#[cfg(feature = "full")]
mod inputs;
#[cfg(feature = "full")]
mod large;
#[cfg(feature = "full")]
mod limits;
#[cfg(feature = "full")]
pub mod media;
#[cfg(feature = "full")]
mod options;
#[cfg(feature = "full")]
mod order_keys;
#[cfg(feature = "full")]
pub mod owner;
#[cfg(feature = "full")]
mod results;
#[cfg(feature = "full")]
mod source;
#[cfg(feature = "full")]
mod task;
#[cfg(feature = "full")]
mod tickets;
#[cfg(feature = "full")]
mod timers;
#[cfg(feature = "full")]
mod types;
#[cfg(feature = "full")]
pub mod verify_token;
#[cfg(feature = "full")]
mod web;
