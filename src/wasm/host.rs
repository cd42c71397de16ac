//! The JavaScript objects callers hand the package that are not part of the
//! web platform (so not in web-sys): a shared ticket store, a Durable Object
//! namespace and its stubs, a request context with `waitUntil`. Typed
//! bindings to the methods the package calls on them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
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
