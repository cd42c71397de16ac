//! Raw bindings to `js/boundary.js` and `js/instance.js` (traps), and the
//! error conversion.

use wasm_bindgen::prelude::*;

use crate::error::Error;

#[wasm_bindgen(module = "/src/wasm/js/boundary.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str, status: u16, upstream_code: &str) -> JsValue;

    /// Packs `{ appId, orderNo, ticket, nonce, version? }`, or `None` when a
    /// field has the wrong type or the fields total more than `max`
    /// characters (nothing is copied then).
    #[wasm_bindgen(js_name = packSignOptions)]
    pub fn pack_sign_options(options: &JsValue, max: u32) -> Option<String>;

    /// Packs an array of strings (null/undefined dropped), or `None` when an
    /// element has the wrong type or the strings total more than `max`
    /// characters (nothing is copied then).
    #[wasm_bindgen(js_name = packValues)]
    pub fn pack_values(values: &JsValue, max: u32) -> Option<String>;

    /// `Object.keys(o)` packed (see [`crate::packed`]), or `None` when a
    /// key has a lone surrogate.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = packKeys)]
    pub fn pack_keys(o: &JsValue) -> Option<String>;

    /// Defines on `payload` each key of `plan` (packed, each value a source
    /// letter, `r` for `result` or `t` for `top`, then the key) with the own
    /// property of its source: a `QueryResult`'s payload in one crossing.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = copyPayload)]
    pub fn copy_payload(payload: &JsValue, top: &JsValue, result: &JsValue, plan: &str);

    /// `{ ok, code, msg, bizSeqNo, transactionTime, orderNo, result, codeInfo,
    /// filesPending }` as own data properties (`bizSeqNo` and
    /// `transactionTime` `null` when `None`).
    #[cfg(feature = "full")]
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = queryResult)]
    pub fn query_result(
        ok: bool,
        code: &str,
        msg: &str,
        biz_seq_no: Option<&str>,
        transaction_time: Option<&str>,
        order_no: &str,
        result: &JsValue,
        code_info: &JsValue,
        files_pending: bool,
    ) -> JsValue;

    /// `{ kind, en, zh, retryable }` as own data properties.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = codeInfoObject)]
    pub fn code_info_object(kind: &str, en: &str, zh: &str, retryable: bool) -> JsValue;

    /// Hands the module's memory to the fast lane (once).
    #[wasm_bindgen(js_name = bindMemory)]
    pub fn bind_memory(memory: &JsValue);

    /// `o[k]` when `k` is an own property of `o`, else `undefined`: nothing
    /// is read from the prototype chain. Throws what a getter throws.
    #[wasm_bindgen(js_name = ownValue, catch)]
    pub fn own_value(o: &JsValue, k: &str) -> Result<JsValue, JsValue>;

    /// Defines `k` on `o` as an own writable, enumerable, configurable data
    /// property (never an assignment, which a `__proto__` key would turn
    /// into a prototype change).
    #[wasm_bindgen(js_name = defineValue)]
    pub fn define_value(o: &JsValue, k: &str, v: &JsValue);

    /// `typeof`, with `null` and `array` told apart.
    #[wasm_bindgen(js_name = describeType)]
    pub fn describe_type(value: &JsValue) -> String;

    /// Starts watching a promise: the returned record's state is read with
    /// [`watched_state`], never by awaiting the promise (see `js/boundary.js`).
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = watchPromise)]
    pub fn watch_promise(p: &js_sys::Promise) -> JsValue;

    /// 0 while the watched promise is pending, 1 fulfilled, 2 rejected.
    #[wasm_bindgen(js_name = watchedState)]
    pub fn watched_state(record: &JsValue) -> u8;

    /// `Array.isArray(v)`, `false` where it would throw (a revoked Proxy).
    #[wasm_bindgen(js_name = isArray)]
    pub fn is_array(v: &JsValue) -> bool;

    /// `false` for a string with a lone surrogate.
    #[wasm_bindgen(js_name = wellFormed)]
    pub fn well_formed(s: &JsValue) -> bool;

    /// `s.length`.
    #[wasm_bindgen(js_name = stringLength)]
    pub fn string_length(s: &JsValue) -> u32;

    /// The length of base64 text `s` without its `data:` prefix and ASCII
    /// whitespace, counted in JavaScript (nothing is copied).
    #[wasm_bindgen(js_name = base64Length)]
    pub fn base64_length(s: &JsValue) -> u32;

    /// Writes `s` as UTF-8 at `ptr` (room for `cap` bytes) with
    /// `TextEncoder.encodeInto`: bytes written, or -1 if it did not fit.
    #[wasm_bindgen(js_name = writeString)]
    pub fn write_string(s: &JsValue, ptr: u32, cap: u32) -> i32;

    /// Writes `s.slice(start, end)` as UTF-8 at `ptr` (room for `cap`
    /// bytes): bytes written, or -1 if it did not fit.
    #[wasm_bindgen(js_name = writeStringSlice)]
    pub fn write_string_slice(s: &JsValue, start: u32, end: u32, ptr: u32, cap: u32) -> i32;

    /// `head` + `image` + `tail` as one `Uint8Array` (the body of an ID
    /// card OCR attempt).
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = joinBody)]
    pub fn join_body(head: &str, image: &js_sys::Uint8Array, tail: &str) -> js_sys::Uint8Array;

    /// UTF-8 bytes decoded as a JavaScript string.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = bytesText)]
    pub fn bytes_text(bytes: &js_sys::Uint8Array) -> JsValue;
}

// The task and promise gates of `js/instance.js`: only the full build runs
// tasks (the signing-only build has no async export).
#[cfg(feature = "full")]
#[wasm_bindgen(module = "/src/wasm/js/instance.js")]
extern "C" {
    /// `[promise, resolve, reject]` for a task: the promise is rejected
    /// with `INTERNAL` if the instance traps before the task settles it
    /// (see `taskPromise` in `js/instance.js`).
    #[wasm_bindgen(js_name = taskPromise)]
    pub fn task_promise() -> js_sys::Array;

    /// Ignores the rejection of `p` (an async hook's), in JavaScript.
    #[wasm_bindgen(js_name = ignoreRejection)]
    pub fn ignore_rejection(p: &js_sys::Promise);

    /// `p` behind a thenable whose reactions call into the instance as the
    /// package's other entry points do (a trap there is caught) and never
    /// once the instance is replaced (see `gate` in `js/instance.js`).
    #[wasm_bindgen(js_name = gate)]
    fn gate(p: &js_sys::Promise) -> js_sys::Promise;
}

/// Awaits a JavaScript promise: the crate's one way to (every
/// `JsFuture` is made here; clippy's `disallowed-types` refuses it
/// elsewhere). The Rust side resumes from a reaction that catches a trap of
/// the task it polls, and that never calls into an instance replaced after
/// a trap, whose closures are dead.
#[cfg(feature = "full")]
#[allow(clippy::disallowed_types)]
pub fn settled(p: &js_sys::Promise) -> wasm_bindgen_futures::JsFuture {
    wasm_bindgen_futures::JsFuture::from(gate(p))
}

thread_local! {
    static MEMORY_BOUND: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Hands the module's memory to `js/boundary.js` the first time it is needed
/// (never at load time).
pub fn bind_memory_once() {
    MEMORY_BOUND.with(|bound| {
        if !bound.get() {
            bind_memory(&wasm_bindgen::memory());
            bound.set(true);
        }
    });
}

/// Copies an ASCII JS string (such as base64) into a new buffer with the
/// engine's native encoder; `None` when it is not a string or not ASCII.
#[cfg(feature = "full")]
pub fn ascii_bytes(value: &JsValue) -> Option<Vec<u8>> {
    if !value.is_string() {
        return None;
    }
    bind_memory_once();
    let len = string_length(value);
    let mut buf = vec![0u8; len as usize];
    // JavaScript writes the bytes at this address (see writeString).
    let written = write_string(value, buf.as_mut_ptr() as usize as u32, len);
    (written == len as i32).then_some(buf)
}

/// Converts a core error into a thrown `FaceIdError`.
pub fn to_js(error: Error) -> JsValue {
    make_error(
        error.code(),
        error.message(),
        error.status().unwrap_or(0),
        error.upstream_code().unwrap_or(""),
    )
}
