//! Raw bindings to the web platform globals the client uses: `fetch`,
//! `AbortController`, `Response`, `setTimeout`. Bound as globals (never
//! through `window`), so the same code runs in workerd, Node.js and browsers.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

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

    /// The global `setTimeout(callback, ms, arg)`: `callback(arg)` after `ms`.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout_with_arg(callback: &js_sys::Function, ms: u32, arg: &JsValue) -> JsValue;

    /// The global `clearTimeout(id)`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);

    /// `AbortController`.
    pub type AbortController;

    /// `new AbortController()`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> AbortController;

    /// `controller.signal`.
    #[wasm_bindgen(method, getter)]
    pub fn signal(this: &AbortController) -> AbortSignal;

    /// `controller.abort()`.
    #[wasm_bindgen(method)]
    pub fn abort(this: &AbortController);

    /// A fetch `Response`.
    pub type Response;

    /// `response.status`.
    #[wasm_bindgen(method, getter)]
    pub fn status(this: &Response) -> u16;

    /// `response.text()`.
    #[wasm_bindgen(method, catch)]
    pub fn text(this: &Response) -> Result<Promise, JsValue>;

    /// `AbortSignal`.
    #[derive(Clone)]
    pub type AbortSignal;

    /// `AbortSignal.any(signals)`: aborts when any of them does.
    #[wasm_bindgen(static_method_of = AbortSignal, js_name = any, catch)]
    pub fn any(signals: &js_sys::Array) -> Result<AbortSignal, JsValue>;

    /// `AbortSignal.timeout(ms)`: aborts with a `TimeoutError` after `ms`.
    #[wasm_bindgen(static_method_of = AbortSignal, js_name = timeout, catch)]
    pub fn timeout(ms: u32) -> Result<AbortSignal, JsValue>;

    /// `signal.aborted`.
    #[wasm_bindgen(method, getter)]
    pub fn aborted(this: &AbortSignal) -> bool;

    /// `signal.reason`.
    #[wasm_bindgen(method, getter)]
    pub fn reason(this: &AbortSignal) -> JsValue;

    /// `signal.addEventListener(type, listener, options)`.
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_event_listener(
        this: &AbortSignal,
        kind: &str,
        listener: &js_sys::Function,
        options: &JsValue,
    );
}
