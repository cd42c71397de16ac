//! Helpers shared by the `wasm_*` integration tests: building JavaScript
//! inputs, reading results whatever their Ok type, and checking the thrown
//! `FaceIdError`s.
#![allow(dead_code)]
// Test doubles hand Rust closures to JavaScript: the wasm-bindgen-test
// suites run no trap recovery (clippy.toml refuses `Closure` in the crate).
#![allow(clippy::disallowed_types)]

use js_sys::{Array, Object, Reflect};
use sha1::{Digest, Sha1};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use faceid_edge::wasm::exports as x;

// ---- Calling the exports, whatever their Rust signature ----------------------
//
// An export either returns `Result<T, JsValue>` (wasm-bindgen throws the Err
// in its JS glue) or returns a plain value and throws from inside Rust with
// `wasm_bindgen::throw_val`. The second kind cannot be called directly from a
// test (the exception would unwind through the test itself), so it is called
// through a JS function that catches. Either way the tests see a `Result`.

#[wasm_bindgen(inline_js = "export function callCatching(f, a, b) { return f(a, b); }")]
extern "C" {
    #[wasm_bindgen(catch, js_name = callCatching)]
    fn call_catching(f: &js_sys::Function, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue>;
}

/// One-argument exports (`sign`, `signValues`).
pub trait Export1 {
    fn invoke(self, a: &JsValue) -> Result<JsValue, JsValue>;
}

impl<T: Into<JsValue>> Export1 for fn(&JsValue) -> Result<T, JsValue> {
    fn invoke(self, a: &JsValue) -> Result<JsValue, JsValue> {
        self(a).map(Into::into)
    }
}

impl Export1 for fn(&JsValue) -> JsValue {
    fn invoke(self, a: &JsValue) -> Result<JsValue, JsValue> {
        let f = Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(move |a: JsValue, _b| self(&a));
        call_catching(f.as_ref().unchecked_ref(), a, &JsValue::UNDEFINED)
    }
}

impl Export1 for fn(JsValue) -> JsValue {
    fn invoke(self, a: &JsValue) -> Result<JsValue, JsValue> {
        let f = Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(move |a: JsValue, _b| self(a));
        call_catching(f.as_ref().unchecked_ref(), a, &JsValue::UNDEFINED)
    }
}

/// Two-argument exports (`verifySign`).
pub trait Export2 {
    fn invoke(self, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue>;
}

impl<T: Into<JsValue>> Export2 for fn(&JsValue, &JsValue) -> Result<T, JsValue> {
    fn invoke(self, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue> {
        self(a, b).map(Into::into)
    }
}

impl Export2 for fn(&JsValue, &JsValue) -> JsValue {
    fn invoke(self, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue> {
        let f =
            Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(move |a: JsValue, b: JsValue| {
                self(&a, &b)
            });
        call_catching(f.as_ref().unchecked_ref(), a, b)
    }
}

/// Zero-argument exports (`nonce`).
pub trait Export0 {
    fn invoke(self) -> Result<JsValue, JsValue>;
}

impl<T: Into<JsValue>> Export0 for fn() -> Result<T, JsValue> {
    fn invoke(self) -> Result<JsValue, JsValue> {
        self().map(Into::into)
    }
}

impl Export0 for fn() -> JsValue {
    fn invoke(self) -> Result<JsValue, JsValue> {
        let f = Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(move |_a, _b| self());
        call_catching(
            f.as_ref().unchecked_ref(),
            &JsValue::UNDEFINED,
            &JsValue::UNDEFINED,
        )
    }
}

/// `sign(options)`.
pub fn sign(options: &JsValue) -> Result<JsValue, JsValue> {
    Export1::invoke(x::sign as fn(JsValue) -> JsValue, options)
}

/// `signValues(values)`.
pub fn sign_values(values: &JsValue) -> Result<JsValue, JsValue> {
    Export1::invoke(x::sign_values as fn(&JsValue) -> _, values)
}

/// `verifySign(values, sign)`, as a Rust bool when it returns.
pub fn verify_sign(values: &JsValue, sign: &JsValue) -> Result<bool, JsValue> {
    Export2::invoke(x::verify_sign as fn(&JsValue, &JsValue) -> _, values, sign).map(|v| {
        v.as_bool()
            .unwrap_or_else(|| panic!("verifySign returned a non-boolean {v:?}"))
    })
}

/// `nonce()`.
pub fn nonce() -> Result<JsValue, JsValue> {
    Export0::invoke(x::nonce as fn() -> _)
}

// ---- Calling the raw WebAssembly exports from JavaScript ---------------------

#[wasm_bindgen(inline_js = r#"
export function hammer(exports, name, args, n) {
  const f = exports[name];
  if (typeof f !== "function") return `no WebAssembly export named ${name}`;
  for (let i = 0; i < n; i++) {
    try {
      f(...args);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== "FaceIdError") {
        return `call ${i + 1} of ${n} threw ${e && e.name}: ${e && e.message}`;
      }
    }
  }
  return null;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = hammer)]
    fn hammer_js(exports: &JsValue, name: &str, args: &Array, n: u32) -> Option<String>;
}

/// Calls the WebAssembly export `name` (the function the generated JS glue
/// calls, including wasm-bindgen's argument shim) `n` times from
/// JavaScript, catching `FaceIdError`s. Returns a description of the first
/// other exception (for example a `RuntimeError` trap), if any.
///
/// The raw export's return value is ignored, so this works whether the
/// export returns a `Result` (a multi-value array here) or throws; it does
/// assume the export takes its arguments as `JsValue`s, as all four do.
pub fn hammer(name: &str, args: &[JsValue], n: u32) -> Option<String> {
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    hammer_js(&wasm_bindgen::exports(), name, &list, n)
}

pub const TICKET_1: &str = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
pub const TICKET_2: &str = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
pub const NONCE_1: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";

/// Official vector 1 (the ID card OCR signing page): these values sign to [`SIGN_1`].
pub const VALUES_1: [&str; 5] = ["appId001", "aabc1457895464", "1.0.0", TICKET_1, NONCE_1];
pub const SIGN_1: &str = "993D057C652D97FD90D5D298F2E5DC4B8D893CBC";
/// Official vector 2 (appId, userId, nonce, version, ticket).
pub const VALUES_2: [&str; 5] = [
    "IDAXXXXX",
    "userID19959248596551",
    NONCE_1,
    "1.0.0",
    TICKET_2,
];
pub const SIGN_2: &str = "D7606F1741DDCF90757DA924EDCF152A200AC7F0";
/// Vector 1 with orderNo `order51`: its SHA-1 starts with a zero byte.
pub const SIGN_LEADING_ZERO: &str = "000CB94C66CA4FF046D56877BD172D4403D79EF1";

/// The text of an Ok value, whether the export returns `String` or `JsValue`.
pub fn text(v: impl Into<JsValue>) -> String {
    let v: JsValue = v.into();
    v.as_string()
        .unwrap_or_else(|| panic!("expected a JS string, got {v:?}"))
}

/// A JS string.
pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// A JS number.
pub fn num(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

/// A JS array of the given values.
pub fn arr(items: &[JsValue]) -> JsValue {
    let a = Array::new();
    for item in items {
        a.push(item);
    }
    a.into()
}

/// A JS array of strings.
pub fn strs(items: &[&str]) -> JsValue {
    arr(&items.iter().map(|v| s(v)).collect::<Vec<_>>())
}

/// A plain JS object with the given own properties.
pub fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &s(k), v).expect("Reflect.set");
    }
    o.into()
}

/// `{ appId, orderNo, ticket, nonce }`, with `version` only when given.
pub fn options(
    app_id: &str,
    order_no: &str,
    ticket: &str,
    nonce: &str,
    version: Option<&str>,
) -> JsValue {
    let mut fields = vec![
        ("appId", s(app_id)),
        ("orderNo", s(order_no)),
        ("ticket", s(ticket)),
        ("nonce", s(nonce)),
    ];
    if let Some(v) = version {
        fields.push(("version", s(v)));
    }
    obj(&fields)
}

/// The valid options of official vector 1 (no `version`).
pub fn options_1() -> JsValue {
    options("appId001", "aabc1457895464", TICKET_1, NONCE_1, None)
}

/// `new String(v)`: a boxed string, which is an object, not a string.
pub fn boxed_string(v: &str) -> JsValue {
    let ctor: js_sys::Function = Reflect::get(&js_sys::global(), &s("String"))
        .expect("globalThis.String")
        .unchecked_into();
    let boxed = Reflect::construct(&ctor, &Array::of1(&s(v))).expect("new String(v)");
    assert!(boxed.is_object() && !boxed.is_string());
    boxed
}

/// A shallow copy of `target` with `key` set to `value`.
pub fn with(target: &JsValue, key: &str, value: JsValue) -> JsValue {
    let copy = Object::assign(&Object::new(), target.unchecked_ref());
    Reflect::set(&copy, &s(key), &value).expect("Reflect.set");
    copy.into()
}

/// A copy of `target` without `key`.
pub fn without(target: &JsValue, key: &str) -> JsValue {
    let copy = Object::assign(&Object::new(), target.unchecked_ref());
    Reflect::delete_property(&copy, &s(key)).expect("Reflect.deleteProperty");
    copy.into()
}

/// An independent reference: sort by code point (= UTF-8 byte order),
/// concatenate, SHA-1, uppercase hex.
pub fn reference(values: &[&str]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut h = Sha1::new();
    for v in sorted {
        h.update(v.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02X}")).collect()
}

/// A string property of a JS value (panics when it is not a string).
pub fn prop(v: &JsValue, key: &str) -> String {
    let p = Reflect::get(v, &s(key)).expect("Reflect.get");
    p.as_string()
        .unwrap_or_else(|| panic!("property {key} is not a string: {p:?}"))
}

/// `String(value)`, through the global `String` function.
pub fn js_string(v: &JsValue) -> String {
    let string_fn: js_sys::Function = Reflect::get(&js_sys::global(), &s("String"))
        .expect("globalThis.String")
        .unchecked_into();
    string_fn
        .call1(&JsValue::UNDEFINED, v)
        .expect("String(v)")
        .as_string()
        .expect("String(v) is a string")
}

/// Checks that `result` is a thrown `FaceIdError` with `code`, and that it is
/// well-formed: `instanceof Error`, `name` "FaceIdError", a non-empty
/// `message`, a known string `code`, `String(err)` = "FaceIdError: message".
/// Returns the error for further checks.
#[track_caller]
pub fn expect_code<T: Into<JsValue>>(result: Result<T, JsValue>, code: &str) -> JsValue {
    let err = match result {
        Ok(v) => panic!("expected FaceIdError {code}, got Ok({:?})", v.into()),
        Err(e) => e,
    };
    check_error_shape(&err);
    let got = prop(&err, "code");
    assert_eq!(got, code, "wrong code; message: {}", prop(&err, "message"));
    err
}

/// The shape every thrown `FaceIdError` must have.
#[track_caller]
pub fn check_error_shape(err: &JsValue) {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not instanceof Error: {err:?}"
    );
    let e: &js_sys::Error = err.unchecked_ref();
    assert_eq!(String::from(e.name()), "FaceIdError");
    let ctor = Reflect::get(&Object::get_prototype_of(err), &s("constructor")).expect("ctor");
    assert_eq!(prop(&ctor, "name"), "FaceIdError");
    let code = prop(err, "code");
    assert!(
        faceid_edge::Error::CODES.contains(&code.as_str()),
        "unknown code {code:?}"
    );
    let message = String::from(e.message());
    assert!(!message.is_empty(), "empty message for {code}");
    assert_eq!(js_string(err), format!("FaceIdError: {message}"));
}

/// Every textual rendering of an error a caller might log.
pub fn renderings(err: &JsValue) -> Vec<String> {
    let mut out = vec![prop(err, "message"), js_string(err), format!("{err:?}")];
    if let Ok(json) = js_sys::JSON::stringify(err) {
        out.push(String::from(json));
    }
    if let Ok(stack) = Reflect::get(err, &s("stack")) {
        if let Some(stack) = stack.as_string() {
            out.push(stack);
        }
    }
    out
}

/// Asserts that no rendering of `err` contains `secret`.
#[track_caller]
pub fn assert_not_leaked(err: &JsValue, secret: &str) {
    for r in renderings(err) {
        assert!(!r.contains(secret), "secret leaked into {r:?}");
    }
}
