//! `sign()` as JavaScript sees it: the WebAssembly build of the five-value
//! SIGN signature (`docs/protocol.md#signature`), its validation, and the `FaceIdError`s it throws.
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

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

/// `signValues` of the five values `sign` is documented to sign.
fn sign_values_of(
    app_id: &str,
    order_no: &str,
    ticket: &str,
    nonce: &str,
    version: &str,
) -> String {
    text(sign_values(&strs(&[app_id, order_no, version, ticket, nonce])).expect("signValues"))
}

#[wasm_bindgen_test]
fn official_vector_one() {
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
    assert_eq!(reference(&VALUES_1), SIGN_1);
}

#[wasm_bindgen_test]
fn official_vector_two() {
    // appId IDAXXXXX, orderNo userID19959248596551, SIGN ticket, nonce, 1.0.0.
    let o = options("IDAXXXXX", "userID19959248596551", TICKET_2, NONCE_1, None);
    assert_eq!(text(sign(&o).unwrap()), SIGN_2);
}

#[wasm_bindgen_test]
fn leading_zero_is_kept() {
    let o = options("appId001", "order51", TICKET_1, NONCE_1, None);
    let out = text(sign(&o).unwrap());
    assert_eq!(out, SIGN_LEADING_ZERO);
    assert_eq!(out.len(), 40);
}

#[wasm_bindgen_test]
fn version_defaults_to_1_0_0() {
    let explicit = options(
        "appId001",
        "aabc1457895464",
        TICKET_1,
        NONCE_1,
        Some("1.0.0"),
    );
    assert_eq!(text(sign(&explicit).unwrap()), SIGN_1);
    // null and undefined mean "absent" too.
    assert_eq!(
        text(sign(&with(&options_1(), "version", JsValue::NULL)).unwrap()),
        SIGN_1
    );
    assert_eq!(
        text(sign(&with(&options_1(), "version", JsValue::UNDEFINED)).unwrap()),
        SIGN_1
    );
}

#[wasm_bindgen_test]
fn explicit_version_is_signed() {
    let o = options(
        "appId001",
        "aabc1457895464",
        TICKET_1,
        NONCE_1,
        Some("2.0.1"),
    );
    let out = text(sign(&o).unwrap());
    assert_ne!(out, SIGN_1);
    assert_eq!(
        out,
        reference(&["appId001", "aabc1457895464", "2.0.1", TICKET_1, NONCE_1])
    );
    assert_eq!(
        out,
        sign_values_of("appId001", "aabc1457895464", TICKET_1, NONCE_1, "2.0.1")
    );
}

#[wasm_bindgen_test]
fn extra_and_inherited_fields() {
    // Unknown fields are ignored.
    let o = with(&options_1(), "userId", s("someone"));
    assert_eq!(text(sign(&o).unwrap()), SIGN_1);
    // Only own properties count: fields found on the prototype (what another
    // library may have added to Object.prototype) are never read.
    let proto = Object::new();
    for (k, v) in [
        ("appId", "appId001"),
        ("orderNo", "aabc1457895464"),
        ("ticket", TICKET_1),
        ("nonce", NONCE_1),
        ("version", "9.9.9"),
    ] {
        Reflect::set(&proto, &s(k), &s(v)).unwrap();
    }
    let child = Object::create(&proto);
    expect_code(sign(&child), "INVALID_APP_ID");
    // Own fields with an inherited version: the default version is used.
    for (k, v) in [
        ("appId", "appId001"),
        ("orderNo", "aabc1457895464"),
        ("ticket", TICKET_1),
        ("nonce", NONCE_1),
    ] {
        Reflect::set(&child, &s(k), &s(v)).unwrap();
    }
    assert_eq!(text(sign(&child).unwrap()), SIGN_1);
}

#[wasm_bindgen_test]
fn repeated_calls_alternating_tickets_and_app_ids_match_sign_values() {
    // If sign() caches anything about the static fields (appId, ticket,
    // version), switching between two tenants must never reuse stale state.
    let tenants = [
        ("appId001", TICKET_1, None),
        ("IDAXXXXX", TICKET_2, Some("1.0.0")),
        ("appId001", TICKET_2, Some("2.0.0")),
        ("IDAXXXXX", TICKET_1, None),
    ];
    for i in 0..400usize {
        // Blocks of A B C D A B C D, then A A B B C C D D, and so on.
        let pick = if (i / 8) % 2 == 0 { i % 4 } else { (i / 2) % 4 };
        let (app_id, ticket, version) = tenants[pick];
        let order_no = format!("order{i}");
        let n = text(nonce().unwrap());
        let o = options(app_id, &order_no, ticket, &n, version);
        let got = text(sign(&o).unwrap());
        let v = version.unwrap_or("1.0.0");
        assert_eq!(
            got,
            sign_values_of(app_id, &order_no, ticket, &n, v),
            "call {i}"
        );
        assert_eq!(
            got,
            reference(&[app_id, &order_no, v, ticket, &n]),
            "call {i}"
        );
    }
    // And the official vectors still come out right afterwards.
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
    let o = options("IDAXXXXX", "userID19959248596551", TICKET_2, NONCE_1, None);
    assert_eq!(text(sign(&o).unwrap()), SIGN_2);
    // Same tenant, same everything but the nonce: different signatures.
    let a = options("appId001", "aabc1457895464", TICKET_1, NONCE_1, None);
    let b = options(
        "appId001",
        "aabc1457895464",
        TICKET_1,
        &"A".repeat(32),
        None,
    );
    assert_ne!(text(sign(&a).unwrap()), text(sign(&b).unwrap()));
}

#[wasm_bindgen_test]
fn options_not_an_object() {
    let not_objects = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        s("appId001"),
        num(42.0),
        JsValue::TRUE,
        arr(&[s("appId001"), s("aabc1457895464"), s(TICKET_1), s(NONCE_1)]),
        js_sys::BigInt::from(7u64).into(),
        js_sys::Symbol::for_("faceid").into(),
    ];
    for v in not_objects {
        expect_code(sign(&v), "INVALID_ARGUMENT");
    }
}

#[wasm_bindgen_test]
fn missing_fields() {
    expect_code(sign(&Object::new().into()), "INVALID_APP_ID");
    for (field, code) in [
        ("appId", "INVALID_APP_ID"),
        ("orderNo", "INVALID_ORDER_NO"),
        ("ticket", "INVALID_TICKET"),
        ("nonce", "INVALID_NONCE"),
    ] {
        let err = expect_code(sign(&without(&options_1(), field)), code);
        assert!(prop(&err, "message").contains("missing"), "{field}");
        expect_code(sign(&with(&options_1(), field, JsValue::UNDEFINED)), code);
        expect_code(sign(&with(&options_1(), field, JsValue::NULL)), code);
    }
}

#[wasm_bindgen_test]
fn wrong_types() {
    let wrong = || {
        [
            num(12345.0),
            JsValue::TRUE,
            Object::new().into(),
            strs(&["a"]),
            boxed_string("appId001"),
        ]
    };
    for (field, code) in [
        ("appId", "INVALID_APP_ID"),
        ("orderNo", "INVALID_ORDER_NO"),
        ("ticket", "INVALID_TICKET"),
        ("nonce", "INVALID_NONCE"),
        ("version", "INVALID_VERSION"),
    ] {
        for v in wrong() {
            let err = expect_code(sign(&with(&options_1(), field, v)), code);
            assert!(
                prop(&err, "message").contains("must be a string"),
                "{field}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn bad_app_id() {
    for bad in [
        "",
        "app Id",
        " appId001",
        "appId001\n",
        "app\tId",
        "app\u{3000}Id",
        "app\u{a0}Id",
    ] {
        expect_code(sign(&with(&options_1(), "appId", s(bad))), "INVALID_APP_ID");
    }
}

#[wasm_bindgen_test]
fn bad_order_no() {
    let too_long = "a".repeat(33);
    for bad in [
        "",
        "order-1",
        "order 1",
        "order_1",
        "订单1",
        "１２３",
        "orderé",
        too_long.as_str(),
    ] {
        expect_code(
            sign(&with(&options_1(), "orderNo", s(bad))),
            "INVALID_ORDER_NO",
        );
    }
    // Exactly 32 is fine.
    let max = "a".repeat(32);
    let o = with(&options_1(), "orderNo", s(&max));
    assert_eq!(
        text(sign(&o).unwrap()),
        reference(&["appId001", &max, "1.0.0", TICKET_1, NONCE_1])
    );
}

#[wasm_bindgen_test]
fn bad_ticket() {
    for bad in [
        "",
        "SECRETabc SECRETdef",
        "SECRETabc\n",
        "\tSECRET",
        "SECRET\u{3000}x",
        "SECRET\u{a0}x",
    ] {
        let err = expect_code(
            sign(&with(&options_1(), "ticket", s(bad))),
            "INVALID_TICKET",
        );
        if !bad.is_empty() {
            assert_not_leaked(&err, "SECRET");
        }
    }
}

#[wasm_bindgen_test]
fn bad_nonce() {
    let long = format!("{NONCE_1}a");
    let short = &NONCE_1[..31];
    let accented = format!("{}é", &NONCE_1[..31]);
    for bad in [
        "",
        short,
        long.as_str(),
        "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7_",
        "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7 ",
        accented.as_str(),
        "ｋHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7",
    ] {
        expect_code(sign(&with(&options_1(), "nonce", s(bad))), "INVALID_NONCE");
    }
}

#[wasm_bindgen_test]
fn bad_version() {
    let too_long = "1".repeat(21);
    for bad in [
        "",
        "1.0 .0",
        " 1.0.0",
        "1.0.0\n",
        "1.0.0\u{2028}",
        "1.0.0\u{3000}",
        too_long.as_str(),
    ] {
        expect_code(
            sign(&with(&options_1(), "version", s(bad))),
            "INVALID_VERSION",
        );
    }
    // 20 bytes is the limit.
    let max = "1".repeat(20);
    assert_eq!(
        text(sign(&with(&options_1(), "version", s(&max))).unwrap()),
        reference(&["appId001", "aabc1457895464", &max, TICKET_1, NONCE_1])
    );
}

#[wasm_bindgen_test]
fn fields_are_checked_in_order() {
    let all_bad = obj(&[
        ("appId", s("")),
        ("orderNo", s("a-b")),
        ("ticket", s("")),
        ("nonce", s("x")),
        ("version", s("")),
    ]);
    expect_code(sign(&all_bad), "INVALID_APP_ID");
    let o = with(&all_bad, "appId", s("appId001"));
    expect_code(sign(&o), "INVALID_ORDER_NO");
    let o = with(&o, "orderNo", s("abc"));
    expect_code(sign(&o), "INVALID_TICKET");
    let o = with(&o, "ticket", s(TICKET_1));
    expect_code(sign(&o), "INVALID_NONCE");
    let o = with(&o, "nonce", s(NONCE_1));
    expect_code(sign(&o), "INVALID_VERSION");
}

/// U+0000 inside a field, with an explicit `version`.
#[wasm_bindgen_test]
fn nul_inside_a_field_with_version() {
    let base = options(
        "appId001",
        "aabc1457895464",
        TICKET_1,
        NONCE_1,
        Some("1.0.0"),
    );
    check_nul_cases(&base);
}

/// U+0000 inside a field, without `version`: the options then hold as many
/// separators as a call with a version would, so fields must not shift.
#[wasm_bindgen_test]
fn nul_inside_a_field_without_version() {
    check_nul_cases(&options_1());
    // Two NULs.
    let o = with(&options_1(), "appId", s("a\0b\0c"));
    expect_code(sign(&o), "INVALID_APP_ID");
}

/// Puts U+0000 at the start, middle and end of each field of `base` in turn
/// and checks the code; lists every mismatch at once.
fn check_nul_cases(base: &JsValue) {
    let mut wrong = Vec::new();
    for (field, good, code) in nul_cases() {
        for bad in nul_variants(good) {
            match sign(&with(base, field, s(&bad))) {
                Ok(v) => wrong.push(format!("{field}={bad:?}: signed, got {}", text(v))),
                Err(err) => {
                    check_error_shape(&err);
                    assert_not_leaked(&err, TICKET_1);
                    let got = prop(&err, "code");
                    if got != code {
                        let message = prop(&err, "message");
                        wrong.push(format!("{field}={bad:?}: {got} ({message}), want {code}"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 15 cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The one-NUL case that can sign: a nonce followed by U+0000 and something
/// shaped like a version must be rejected, not signed as another version.
/// Tried both right after a call with the same appId/ticket (anything cached
/// is reused) and right after one with another tenant.
#[wasm_bindgen_test]
fn nul_in_nonce_never_smuggles_a_version() {
    let smuggled = with(&options_1(), "nonce", s(&format!("{NONCE_1}\u{0}2.0.0")));
    let other = options("IDAXXXXX", "userID19959248596551", TICKET_2, NONCE_1, None);
    for before in [options_1(), other] {
        sign(&before).expect("valid options");
        let got = sign(&smuggled);
        if let Ok(v) = &got {
            let as_v2 = reference(&["appId001", "aabc1457895464", "2.0.0", TICKET_1, NONCE_1]);
            assert_ne!(text(v.clone()), as_v2, "signed as version 2.0.0");
        }
        expect_code(got, "INVALID_NONCE");
    }
}

/// A U+0000 may also shift fields so that the ticket is checked as another
/// field; whatever is reported, no part of the ticket may be quoted. Each
/// case is tried right after a valid call with the same appId and ticket
/// (anything cached is reused) and right after one with another tenant.
#[wasm_bindgen_test]
fn nul_never_shifts_the_ticket_into_a_message() {
    // A ticket with characters that rules for other fields would quote.
    let ticket = "Fxl+Ae3H/FtEy73Um0pJNzIUriwtfnS3KR=";
    let same = options("appId001", "aabc1457895464", ticket, NONCE_1, None);
    let other = options("IDAXXXXX", "userID19959248596551", TICKET_2, NONCE_1, None);
    let mut leaks = Vec::new();
    for field in ["appId", "orderNo", "nonce"] {
        for version in [None, Some("1.0.0")] {
            for (primed, before) in [("same tenant", &same), ("other tenant", &other)] {
                let mut o = options("appId001", "aabc1457895464", ticket, NONCE_1, version);
                o = with(&o, field, s("ab\u{0}cd"));
                sign(before).expect("valid options");
                let message = match sign(&o) {
                    Ok(v) => {
                        leaks.push(format!(
                            "{field}, {version:?}, {primed}: signed {}",
                            text(v)
                        ));
                        continue;
                    }
                    Err(err) => {
                        check_error_shape(&err);
                        prop(&err, "message")
                    }
                };
                if ["'+'", "'/'", "'='", "Fxl"]
                    .iter()
                    .any(|q| message.contains(q))
                {
                    leaks.push(format!("{field}, {version:?}, {primed}: {message}"));
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "ticket characters quoted:\n{}",
        leaks.join("\n")
    );
}

/// Anything cached between calls must survive failed calls in between:
/// after each failure, the next valid call signs exactly its own inputs.
#[wasm_bindgen_test]
fn failures_between_calls_do_not_poison_later_calls() {
    let a = |order: &str, n: &str| options("appId001", order, TICKET_1, n, None);
    let b = |order: &str, n: &str| options("IDAXXXXX", order, TICKET_2, n, Some("1.0.0"));
    let want_a = |order: &str, n: &str| reference(&["appId001", order, "1.0.0", TICKET_1, n]);
    let want_b = |order: &str, n: &str| reference(&["IDAXXXXX", order, "1.0.0", TICKET_2, n]);
    let failures = [
        with(&a("o1", NONCE_1), "orderNo", s("bad-order")),
        with(&b("o1", NONCE_1), "ticket", s("bad ticket")),
        with(&b("o1", NONCE_1), "appId", s("")),
        with(&a("o1", NONCE_1), "nonce", s("short")),
        with(&a("o1", NONCE_1), "version", s("")),
        with(&a("o1", NONCE_1), "orderNo", s("订单")),
        with(&b("o1", NONCE_1), "appId", s("app\u{0}Id")),
        with(&a("o1", NONCE_1), "ticket", num(1.0)),
        JsValue::NULL,
    ];
    for (i, failure) in failures.iter().enumerate() {
        for (first_is_a, second_is_a) in
            [(true, true), (true, false), (false, true), (false, false)]
        {
            let order = format!("order{i}");
            let n = text(nonce().unwrap());
            let (o1, w1) = if first_is_a {
                (a(&order, &n), want_a(&order, &n))
            } else {
                (b(&order, &n), want_b(&order, &n))
            };
            assert_eq!(text(sign(&o1).unwrap()), w1, "before failure {i}");
            sign(failure).expect_err("must throw");
            let n = text(nonce().unwrap());
            let (o2, w2) = if second_is_a {
                (a(&order, &n), want_a(&order, &n))
            } else {
                (b(&order, &n), want_b(&order, &n))
            };
            assert_eq!(text(sign(&o2).unwrap()), w2, "after failure {i}");
        }
    }
    // Non-ASCII fields (which the fast lane hands to the general path, and
    // which appId does not allow) in between ASCII calls.
    let c = with(&options_1(), "appId", s("应用"));
    for _ in 0..3 {
        assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
        let err = sign(&c).unwrap_err();
        assert_eq!(
            js_string(&Reflect::get(&err, &s("code")).unwrap()),
            "INVALID_APP_ID"
        );
    }
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
}

#[wasm_bindgen_test]
fn sign_still_right_after_memory_grows() {
    // Anything that keeps a view of WebAssembly memory must notice that the
    // memory grew (the old ArrayBuffer is then detached).
    assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1);
    let mut hold = Vec::new();
    for round in 0..4 {
        hold.push(vec![round as u8; 8 << 20]);
        assert_eq!(text(sign(&options_1()).unwrap()), SIGN_1, "round {round}");
        let o = options("IDAXXXXX", "userID19959248596551", TICKET_2, NONCE_1, None);
        assert_eq!(text(sign(&o).unwrap()), SIGN_2, "round {round}");
    }
    assert_eq!(hold.len(), 4);
}

fn nul_cases() -> [(&'static str, &'static str, &'static str); 5] {
    [
        ("appId", "appId001", "INVALID_APP_ID"),
        ("orderNo", "aabc1457895464", "INVALID_ORDER_NO"),
        ("ticket", TICKET_1, "INVALID_TICKET"),
        ("nonce", NONCE_1, "INVALID_NONCE"),
        ("version", "1.0.0", "INVALID_VERSION"),
    ]
}

/// `good` with U+0000 at the start, in the middle and at the end.
fn nul_variants(good: &str) -> [String; 3] {
    let mid = good.len() / 2;
    [
        format!("\u{0}{good}"),
        format!("{}\u{0}{}", &good[..mid], &good[mid..]),
        format!("{good}\u{0}"),
    ]
}

#[wasm_bindgen_test]
fn ticket_never_in_any_error() {
    // Whatever is wrong, the (valid) ticket must not appear in the error.
    let cases = [
        with(&options_1(), "appId", s("")),
        with(&options_1(), "appId", s("app id")),
        with(&options_1(), "orderNo", s("a-b")),
        with(&options_1(), "orderNo", num(1.0)),
        with(&options_1(), "nonce", s("short")),
        with(&options_1(), "nonce", s(TICKET_1)),
        with(&options_1(), "version", s("")),
        with(&options_1(), "version", num(1.0)),
        without(&options_1(), "nonce"),
    ];
    for o in cases {
        let err = sign(&o).expect_err("must throw");
        check_error_shape(&err);
        assert_not_leaked(&err, TICKET_1);
    }
    // A broken ticket is not echoed either, in whole or in part.
    let broken = format!("{} {}", &TICKET_1[..32], &TICKET_1[32..]);
    let err = expect_code(
        sign(&with(&options_1(), "ticket", s(&broken))),
        "INVALID_TICKET",
    );
    assert_not_leaked(&err, &TICKET_1[..32]);
    assert_not_leaked(&err, &TICKET_1[32..]);
    // A ticket of the wrong type says its type, not its value.
    let err = expect_code(
        sign(&with(&options_1(), "ticket", num(987654321.0))),
        "INVALID_TICKET",
    );
    assert_not_leaked(&err, "987654321");
    assert!(prop(&err, "message").contains("number"));
}

#[wasm_bindgen_test]
fn errors_are_face_id_errors() {
    let err = expect_code(sign(&JsValue::NULL), "INVALID_ARGUMENT");
    // Own properties: code is a plain string; name is "FaceIdError".
    assert_eq!(prop(&err, "name"), "FaceIdError");
    assert!(Reflect::get(&err, &s("code")).unwrap().is_string());
    // The rendering a logger would print starts with the class name.
    assert!(js_string(&err).starts_with("FaceIdError: "));
    // Every error is a fresh object.
    let again = sign(&JsValue::NULL).unwrap_err();
    assert!(!Object::is(&err, &again));
    // The error does not leak the options object back.
    assert!(Reflect::get(&err, &s("options")).unwrap().is_undefined());
    assert!(!Array::is_array(&err));
}

#[wasm_bindgen_test]
fn non_ascii_app_id_is_refused() {
    // appId must be printable ASCII (src/validate.rs): an invisible U+FEFF or
    // U+200B pasted along would otherwise change every signature silently.
    for bad in ["应用\u{1F600}", "\u{FEFF}IDAXXXXX", "IDA\u{200B}XXXXX"] {
        let err = sign(&with(&options_1(), "appId", s(bad))).unwrap_err();
        assert_eq!(
            js_string(&Reflect::get(&err, &s("code")).unwrap()),
            "INVALID_APP_ID"
        );
        assert!(js_string(&Reflect::get(&err, &s("message")).unwrap()).contains("U+"));
    }
}
