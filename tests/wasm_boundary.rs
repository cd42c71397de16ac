//! The exports under load, called the way the generated JavaScript glue calls
//! them: many calls in a row from JavaScript, most of them failing. A
//! failure must leave the module exactly as usable as before (no leaked
//! borrow slots, no trap, no poisoned state). Kept in its own test binary
//! so that a module broken here cannot take the other suites down with it.
//! Runs unchanged in Node and in headless Chromium (`scripts/test-wasm`).
#![allow(missing_docs)]
// clippy.toml allows these in tests, but clippy does not see a
// `#[wasm_bindgen_test]` function as a test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Object;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

/// More calls than wasm-bindgen's stack of borrowed `&JsValue` slots holds.
const CALLS: u32 = 5_000;

#[wasm_bindgen_test]
fn sign_survives_many_failures() {
    for bad in [
        Object::new().into(),
        JsValue::NULL,
        with(&options_1(), "orderNo", s("bad-order")),
        with(&options_1(), "ticket", s("bad ticket")),
    ] {
        assert_eq!(hammer("sign", &[bad], CALLS), None);
    }
    assert_eq!(hammer("sign", &[options_1()], CALLS), None);
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
}

#[wasm_bindgen_test]
fn sign_values_survives_many_failures() {
    for bad in [JsValue::NULL, arr(&[s("a"), num(1.0)])] {
        assert_eq!(hammer("signValues", &[bad], CALLS), None);
    }
    assert_eq!(hammer("signValues", &[strs(&VALUES_1)], CALLS), None);
    assert_eq!(text(sign_values(&strs(&VALUES_1)).unwrap()), SIGN_1);
}

#[wasm_bindgen_test]
fn verify_sign_survives_many_failures() {
    for bad in [JsValue::UNDEFINED, arr(&[Object::new().into()])] {
        assert_eq!(hammer("verifySign", &[bad, s(SIGN_1)], CALLS), None);
    }
    assert_eq!(
        hammer("verifySign", &[strs(&VALUES_1), num(1.0)], CALLS),
        None
    );
    assert!(verify_sign(&strs(&VALUES_1), &s(SIGN_1)).unwrap());
}

#[wasm_bindgen_test]
fn nonce_survives_many_calls() {
    assert_eq!(hammer("nonce", &[], CALLS), None);
    assert_eq!(text(nonce().unwrap()).len(), 32);
}

#[wasm_bindgen_test]
fn everything_still_works_after_hammering() {
    // Hammers first, whatever order the harness runs the tests in.
    assert_eq!(hammer("sign", &[JsValue::NULL], CALLS), None);
    assert_eq!(hammer("signValues", &[JsValue::NULL], CALLS), None);
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
    assert_eq!(text(sign_values(&strs(&VALUES_2)).unwrap()), SIGN_2);
    assert_eq!(hammer("sign", &[options_1()], 10), None);
}
