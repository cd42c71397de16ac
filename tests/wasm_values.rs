//! `signValues()` and `verifySign()` as JavaScript sees them: the generic
//! SIGN recipe (sort by code point, concatenate, SHA-1, uppercase hex) over
//! JS arrays, and the `FaceIdError`s for arguments of the wrong shape.
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

use js_sys::{Array, JsString, Object};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn signed(values: &JsValue) -> String {
    text(sign_values(values).expect("signValues"))
}

#[wasm_bindgen_test]
fn official_vectors() {
    assert_eq!(signed(&strs(&VALUES_1)), SIGN_1);
    assert_eq!(signed(&strs(&VALUES_2)), SIGN_2);
    // Input order does not matter.
    let mut reversed = VALUES_2;
    reversed.reverse();
    assert_eq!(signed(&strs(&reversed)), SIGN_2);
}

#[wasm_bindgen_test]
fn leading_zero_is_kept() {
    let out = signed(&strs(&["appId001", "order51", "1.0.0", TICKET_1, NONCE_1]));
    assert_eq!(out, SIGN_LEADING_ZERO);
    assert_eq!(out.len(), 40);
}

#[wasm_bindgen_test]
fn output_is_40_uppercase_hex() {
    for values in [&["a"][..], &["b", "a"], &[], &[""], &VALUES_1] {
        let out = signed(&strs(values));
        assert_eq!(out.len(), 40);
        assert!(
            out.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
            "{out}"
        );
        assert_eq!(out, reference(values));
    }
    assert_eq!(
        signed(&Array::new().into()),
        "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
    );
}

#[wasm_bindgen_test]
fn code_point_order_not_utf16_or_locale() {
    // UTF-16 order would put U+1F600 (a surrogate pair, D83D DE00) before
    // U+FF5E; code-point order puts it after.
    let out = signed(&strs(&["\u{1F600}", "\u{FF5E}", "a"]));
    assert_eq!(out, "A7640075B9C155FC2C261ABDC2A7FFA9E5D5E255");
    assert_eq!(out, signed(&strs(&["a", "\u{FF5E}", "\u{1F600}"])));
    assert_eq!(
        signed(&strs(&["身份证", "Zeta", "alpha", "Ärger"])),
        "4FA5F752AEA31456E541160698BA1E52EF919B96"
    );
    // Uppercase before lowercase, no case folding: "C" < "a" < "b".
    assert_eq!(signed(&strs(&["b", "a", "C"])), reference(&["C", "a", "b"]));
    assert_eq!(signed(&strs(&["b", "a", "C"])), reference(&["Cab"]));
}

#[wasm_bindgen_test]
fn values_that_look_like_packing() {
    // Values are packed as `<utf16 length>:<value>` internally; values that
    // look like that, or hold U+0000, must come through unchanged.
    let tricky = [
        "12:34",
        "",
        "0:",
        "::",
        "3:abc",
        "a\u{0}b",
        "\u{0}",
        "9",
        "身份:2:",
        "\u{1F600}1:",
    ];
    assert_eq!(signed(&strs(&tricky)), reference(&tricky));
    for v in tricky {
        assert_eq!(signed(&strs(&[v])), reference(&[v]), "{v:?}");
    }
    // Long values, non-BMP heavy.
    let long = "\u{1F600}x身".repeat(500);
    assert_eq!(signed(&strs(&[&long, "a"])), reference(&[&long, "a"]));
}

#[wasm_bindgen_test]
fn lone_surrogates_are_refused_without_breaking_the_boundary() {
    // JS strings may hold lone surrogates, which no UTF-8 text can carry: a
    // value with one is refused (it used to be signed as U+FFFD, a silently
    // different value), and the next call is not desynchronised.
    let lone: JsValue = JsString::from_char_code(&[0xD83D]).into();
    let low: JsValue = JsString::from_char_code(&[0xDE00]).into();
    expect_code(
        sign_values(&arr(&[lone.clone(), low, s("a")])),
        "INVALID_VALUE",
    );
    expect_code(
        sign_values(&arr(&[s("x"), lone, s("1:y")])),
        "INVALID_VALUE",
    );
    let pair: JsValue = JsString::from_char_code(&[0xD83D, 0xDE00]).into();
    assert_eq!(
        signed(&arr(&[pair, s("a")])),
        reference(&["\u{1F600}", "a"])
    );
    assert_eq!(signed(&arr(&[s("x"), s("1:y")])), reference(&["x", "1:y"]));
}

#[wasm_bindgen_test]
fn null_and_undefined_are_dropped() {
    let with_holes = arr(&[
        JsValue::NULL,
        s("appId001"),
        JsValue::UNDEFINED,
        s("aabc1457895464"),
        s("1.0.0"),
        JsValue::NULL,
        s(TICKET_1),
        s(NONCE_1),
        JsValue::UNDEFINED,
    ]);
    assert_eq!(signed(&with_holes), SIGN_1);
    // Sparse arrays: holes read as undefined.
    let sparse = Array::new_with_length(9);
    for (i, v) in [
        (1, VALUES_1[0]),
        (3, VALUES_1[1]),
        (5, VALUES_1[2]),
        (6, VALUES_1[3]),
        (8, VALUES_1[4]),
    ] {
        sparse.set(i, s(v));
    }
    assert_eq!(signed(&sparse.into()), SIGN_1);
    // Only nulls: the SHA-1 of nothing. An empty string is not dropped.
    assert_eq!(
        signed(&arr(&[JsValue::NULL, JsValue::UNDEFINED])),
        reference(&[])
    );
    assert_eq!(signed(&arr(&[s(""), JsValue::NULL])), reference(&[""]));
    // verifySign drops them the same way.
    assert!(verify_sign(&with_holes, &s(SIGN_1)).unwrap());
}

#[wasm_bindgen_test]
fn non_arrays_are_invalid_argument() {
    let not_arrays: Vec<JsValue> = vec![
        JsValue::UNDEFINED,
        JsValue::NULL,
        s("appId001"),
        num(5.0),
        JsValue::FALSE,
        Object::new().into(),
        obj(&[("length", num(1.0)), ("0", s("a"))]),
        js_sys::Set::new(&strs(&["a"])).into(),
        js_sys::BigInt::from(1u64).into(),
    ];
    for v in &not_arrays {
        let err = expect_code(sign_values(v), "INVALID_ARGUMENT");
        assert!(prop(&err, "message").contains("signValues"), "{v:?}");
        let err = expect_code(verify_sign(v, &s(SIGN_1)), "INVALID_ARGUMENT");
        assert!(prop(&err, "message").contains("verifySign"), "{v:?}");
    }
}

#[wasm_bindgen_test]
fn non_string_elements_are_invalid_value() {
    let bad: Vec<JsValue> = vec![
        num(1.0),
        num(0.0),
        num(f64::NAN),
        JsValue::TRUE,
        Object::new().into(),
        strs(&["a", "b"]),
        arr(&[strs(&["nested"])]),
        boxed_string("appId001"),
        js_sys::BigInt::from(3u64).into(),
        js_sys::Symbol::for_("v").into(),
    ];
    for v in &bad {
        // At index 2, after two good strings and before a ticket.
        let values = arr(&[s("appId001"), s("aabc1457895464"), v.clone(), s(TICKET_1)]);
        let err = expect_code(sign_values(&values), "INVALID_VALUE");
        assert!(
            prop(&err, "message").contains("values[2]"),
            "{}",
            prop(&err, "message")
        );
        assert_not_leaked(&err, TICKET_1);
        let err = expect_code(verify_sign(&values, &s(SIGN_1)), "INVALID_VALUE");
        assert!(prop(&err, "message").contains("values[2]"));
        assert_not_leaked(&err, TICKET_1);
    }
}

#[wasm_bindgen_test]
fn verify_sign_matches_case_insensitively() {
    let values = strs(&VALUES_1);
    assert!(verify_sign(&values, &s(SIGN_1)).unwrap());
    assert!(verify_sign(&values, &s(&SIGN_1.to_lowercase())).unwrap());
    let mixed: String = SIGN_1
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect();
    assert!(verify_sign(&values, &s(&mixed)).unwrap());
    assert!(verify_sign(&strs(&VALUES_2), &s(SIGN_2)).unwrap());
    assert!(verify_sign(&strs(&VALUES_2), &s(&SIGN_2.to_lowercase())).unwrap());
}

#[wasm_bindgen_test]
fn verify_sign_rejects_everything_else() {
    let values = strs(&VALUES_1);
    let mut last_changed = SIGN_1.to_string();
    last_changed.pop();
    last_changed.push('D');
    let wrong = [
        last_changed.clone(),
        SIGN_1[..39].to_string(),
        format!("{SIGN_1}0"),
        format!(" {SIGN_1}"),
        format!("{SIGN_1}\n"),
        String::new(),
        SIGN_2.to_string(),
        format!("{}G", &SIGN_1[..39]),
        "é".repeat(20),
    ];
    for w in &wrong {
        assert!(!verify_sign(&values, &s(w)).unwrap(), "{w:?}");
    }
    // A signature of other values does not match.
    assert!(!verify_sign(&strs(&VALUES_2), &s(SIGN_1)).unwrap());
}

#[wasm_bindgen_test]
fn verify_sign_non_string_sign_is_false() {
    let values = strs(&VALUES_1);
    let not_strings: Vec<JsValue> = vec![
        JsValue::UNDEFINED,
        JsValue::NULL,
        num(0.0),
        JsValue::TRUE,
        Object::new().into(),
        strs(&[SIGN_1]),
        boxed_string(SIGN_1),
        obj(&[("toString", s(SIGN_1))]),
    ];
    for v in &not_strings {
        assert!(!verify_sign(&values, v).unwrap(), "{v:?}");
    }
}

#[wasm_bindgen_test]
fn many_calls_stay_consistent() {
    // Alternating arguments of different lengths and scripts must never
    // reuse state from the previous call.
    let sets: [&[&str]; 4] = [
        &VALUES_1,
        &VALUES_2,
        &["\u{1F600}", "\u{FF5E}", "a"],
        &["12:34", "", "a\u{0}b"],
    ];
    for i in 0..400usize {
        let set = sets[i % sets.len()];
        let want = reference(set);
        assert_eq!(signed(&strs(set)), want, "call {i}");
        assert!(verify_sign(&strs(set), &s(&want)).unwrap(), "call {i}");
    }
}
