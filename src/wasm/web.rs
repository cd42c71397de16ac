//! The web platform where web-sys does not reach: the globals `fetch`,
//! `setTimeout` and `clearTimeout` (web-sys has them only on `Window` and
//! `WorkerGlobalScope`; workerd has no `window`, so they are bound as
//! globals, never through `web_sys::window()`), and extension traits over
//! web-sys types for what their bindings lack (the worker-sys pattern):
//! `AbortSignal.any` and `AbortSignal.timeout` that report a platform
//! without them instead of throwing through the instance.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::error::Error;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch(url, init)`, called as a plain function so that
    /// its `this` is the global object (workerd rejects any other).
    #[wasm_bindgen(js_name = fetch, catch)]
    pub fn fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue>;

    /// The global `setTimeout(callback, ms)`; the id is a number or, in
    /// Node.js, an object.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(callback: &js_sys::Function, ms: u32) -> JsValue;

    /// The global `clearTimeout(id)`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
}

/// The error for a platform without `what` (every supported one has it).
pub fn missing(what: &str) -> Error {
    Error::Internal(format!("this platform has no {what}"))
}

/// The raw bindings behind the extension traits.
mod glue {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        /// `AbortSignal`, for its static methods with `catch`.
        #[wasm_bindgen(js_name = AbortSignal)]
        pub type AbortSignalStatics;

        /// `AbortSignal.any(signals)`.
        #[wasm_bindgen(static_method_of = AbortSignalStatics, js_class = "AbortSignal", js_name = any, catch)]
        pub fn any(signals: &Array) -> Result<AbortSignal, JsValue>;

        /// `AbortSignal.timeout(ms)`.
        #[wasm_bindgen(static_method_of = AbortSignalStatics, js_class = "AbortSignal", js_name = timeout, catch)]
        pub fn timeout(ms: u32) -> Result<AbortSignal, JsValue>;
    }
}

/// `AbortSignal`'s static methods that some platforms lack, as results.
pub trait AbortSignalExt: Sized {
    /// `AbortSignal.any(signals)`: aborts when any of them does; `Err` where
    /// the platform has no `AbortSignal.any`.
    fn try_any(signals: &Array) -> Result<Self, JsValue>;

    /// `AbortSignal.timeout(ms)`: aborts with a `TimeoutError` after `ms`;
    /// `Err` where the platform has no `AbortSignal.timeout`.
    fn try_timeout(ms: u32) -> Result<Self, JsValue>;
}

impl AbortSignalExt for AbortSignal {
    fn try_any(signals: &Array) -> Result<Self, JsValue> {
        glue::AbortSignalStatics::any(signals)
    }

    fn try_timeout(ms: u32) -> Result<Self, JsValue> {
        glue::AbortSignalStatics::timeout(ms)
    }
}
