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

    /// `new Response(body, init)` with a body that stays a JavaScript value
    /// (the string `JSON.stringify` made): a large answer is never copied
    /// into wasm memory, which would grow it for good.
    #[wasm_bindgen(constructor, catch)]
    pub fn with_body(body: &JsValue, init: &JsValue) -> Result<Response, JsValue>;

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

    /// A shared ticket store (`TicketStore` in the TypeScript types).
    pub type TicketStoreJs;

    /// `store.get(key)`.
    #[wasm_bindgen(method, catch, js_name = get)]
    pub fn store_get(this: &TicketStoreJs, key: &JsValue) -> Result<JsValue, JsValue>;

    /// `store.set(key, value, ttlMs)`.
    #[wasm_bindgen(method, catch, js_name = set)]
    pub fn store_set(
        this: &TicketStoreJs,
        key: &JsValue,
        value: &JsValue,
        ttl_ms: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// `store.lock(key, leaseMs)`: a token when taken, a falsy value otherwise.
    #[wasm_bindgen(method, catch, js_name = lock)]
    pub fn store_lock(
        this: &TicketStoreJs,
        key: &JsValue,
        lease_ms: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// `store.unlock(key, token)`.
    #[wasm_bindgen(method, catch, js_name = unlock)]
    pub fn store_unlock(
        this: &TicketStoreJs,
        key: &JsValue,
        token: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// `store.compareAndSet(key, expected, value, ttlMs)`.
    #[wasm_bindgen(method, catch, js_name = compareAndSet)]
    pub fn store_compare_and_set(
        this: &TicketStoreJs,
        key: &JsValue,
        expected: &JsValue,
        value: &JsValue,
        ttl_ms: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// A Durable Object namespace binding.
    pub type DurableObjectNamespaceJs;

    /// `namespace.idFromName(name)`.
    #[wasm_bindgen(method, catch, js_name = idFromName)]
    pub fn id_from_name(this: &DurableObjectNamespaceJs, name: &str) -> Result<JsValue, JsValue>;

    /// `namespace.get(id)`: the stub.
    #[wasm_bindgen(method, catch, js_name = get)]
    pub fn stub(
        this: &DurableObjectNamespaceJs,
        id: &JsValue,
    ) -> Result<DurableObjectStubJs, JsValue>;

    /// A Durable Object stub.
    pub type DurableObjectStubJs;

    /// `stub.fetch(url)`.
    #[wasm_bindgen(method, catch, js_name = fetch)]
    pub fn stub_fetch(this: &DurableObjectStubJs, url: &str) -> Result<JsValue, JsValue>;

    /// Anything with `waitUntil(promise)` (a Worker's `ctx`).
    pub type WaitUntilJs;

    /// `ctx.waitUntil(promise)`.
    #[wasm_bindgen(method, catch, js_name = waitUntil)]
    pub fn wait_until(this: &WaitUntilJs, promise: &js_sys::Promise) -> Result<(), JsValue>;
}
