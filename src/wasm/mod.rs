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

mod boundary;
pub mod exports;
mod fast_sign;

/// Declares modules compiled only with the `full` feature.
macro_rules! full_only {
    ($($vis:vis mod $name:ident;)*) => {
        $(
            #[cfg(feature = "full")]
            $vis mod $name;
        )*
    };
}

full_only! {
    mod answer;
    mod body;
    mod call;
    pub mod client;
    pub mod edge;
    mod edge_gate;
    mod flight;
    mod hooks;
    mod host;
    mod http;
    mod image;
    mod inputs;
    mod large;
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
}
