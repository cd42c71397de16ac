//! Property tests (proptest, 256 cases each) for signing and order tokens.

// Host only: proptest's random source does not build for wasm32.
#![cfg(not(target_arch = "wasm32"))]

use faceid_edge_core::order_token::{OrderTokens, TokenKind};
use faceid_edge_core::{sign_values, verify_sign};
use proptest::prelude::*;
use proptest::sample::Index;
use sha1::{Digest, Sha1};

/// The signature written out independently: sort by code point,
/// concatenate, SHA-1, uppercase hex.
fn reference(values: &[String]) -> String {
    let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let digest = Sha1::digest(sorted.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

fn values() -> impl Strategy<Value = Vec<String>> {
    // Any Unicode, mostly short; sometimes long enough to leave the
    // one-pass buffer.
    prop::collection::vec(
        prop_oneof![
            4 => "\\PC{0,24}",
            1 => "[a-zA-Z0-9]{60,200}",
            1 => any::<String>(),
        ],
        0..8,
    )
}

fn kind() -> impl Strategy<Value = TokenKind> {
    prop_oneof![
        Just(TokenKind::Face),
        Just(TokenKind::Live),
        Just(TokenKind::IdCard),
        Just(TokenKind::BankCard),
    ]
}

/// The key of the tokens minted here.
const KEY: &[u8; 32] = b"property tests order token key!!";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn signature_ignores_order_and_matches_sha1(
        values in values(),
        shuffle in any::<prop::sample::Selector>(),
    ) {
        let sig = sign_values(values.iter().map(String::as_str));
        prop_assert_eq!(sig.len(), 40);
        prop_assert!(sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')));
        prop_assert_eq!(&sig, &reference(&values));
        // Any permutation: drawn by repeatedly selecting from what is left.
        let mut left: Vec<&str> = values.iter().map(String::as_str).collect();
        let mut permuted = Vec::new();
        while !left.is_empty() {
            let i = shuffle.select(0..left.len());
            permuted.push(left.remove(i));
        }
        prop_assert_eq!(&sign_values(permuted.iter().copied()), &sig);
        prop_assert_eq!(&sign_values(values.iter().rev().map(String::as_str)), &sig);
    }

    #[test]
    fn verify_takes_lowercase_and_refuses_any_change(
        values in values().prop_filter("at least one value", |v| !v.is_empty()),
        at in any::<Index>(),
        extra in "\\PC{1,4}",
        cut in any::<Index>(),
    ) {
        let sig = sign_values(values.iter().map(String::as_str));
        prop_assert!(verify_sign(values.iter().map(String::as_str), &sig));
        prop_assert!(verify_sign(values.iter().map(String::as_str), &sig.to_ascii_lowercase()));
        let i = at.index(values.len());
        // A value grown, shrunk or dropped: the concatenation is longer or shorter.
        let mut grown = values.clone();
        grown[i].push_str(&extra);
        prop_assert!(!verify_sign(grown.iter().map(String::as_str), &sig));
        if !values[i].is_empty() {
            let mut shrunk = values.clone();
            let chars: Vec<char> = shrunk[i].chars().collect();
            shrunk[i] = chars[..cut.index(chars.len())].iter().collect();
            prop_assert!(!verify_sign(shrunk.iter().map(String::as_str), &sig));
            let mut dropped = values.clone();
            dropped.remove(i);
            prop_assert!(!verify_sign(dropped.iter().map(String::as_str), &sig));
        }
        // A value changed in place, same length: one character swapped.
        if let Some(c) = values[i].chars().next() {
            let other = if c == 'a' { 'b' } else { 'a' };
            let mut swapped = values.clone();
            swapped[i] = format!("{other}{}", &values[i][c.len_utf8()..]);
            if swapped != values {
                prop_assert!(!verify_sign(swapped.iter().map(String::as_str), &sig));
            }
        }
        // A changed signature character never verifies.
        let mut bad = sig.clone().into_bytes();
        let j = at.index(bad.len());
        bad[j] = if bad[j] == b'0' { b'1' } else { b'0' };
        prop_assert!(!verify_sign(values.iter().map(String::as_str), std::str::from_utf8(&bad).unwrap()));
    }

    #[test]
    fn order_token_opens_its_own_order_only(
        kind in kind(),
        other_kind in kind(),
        order in "[a-zA-Z0-9]{1,32}",
        other_order in "[a-zA-Z0-9]{1,32}",
        user in proptest::option::of("[a-zA-Z0-9]{1,32}"),
        other_user in proptest::option::of("[a-zA-Z0-9]{1,32}"),
        expiry in 1u64..,
        other_expiry in 1u64..,
        before in any::<Index>(),
    ) {
        let t = OrderTokens::new(KEY).unwrap();
        let token = t.mint(kind, &order, user.as_deref(), expiry).unwrap();
        let now = before.index(usize::try_from(expiry).unwrap_or(usize::MAX)) as u64;
        // Its own: until expiry, not after.
        prop_assert!(t.check(&token, kind, &order, user.as_deref(), now).is_ok());
        prop_assert!(t.check(&token, kind, &order, user.as_deref(), expiry - 1).is_ok());
        for late in [expiry, expiry.saturating_add(1), u64::MAX] {
            let e = t.check(&token, kind, &order, user.as_deref(), late).unwrap_err();
            prop_assert_eq!(e.code(), "FORBIDDEN");
        }
        // Another kind, order, user or expiry: never.
        if other_kind != kind {
            prop_assert!(t.check(&token, other_kind, &order, user.as_deref(), now).is_err());
        }
        if other_order != order {
            prop_assert!(t.check(&token, kind, &other_order, user.as_deref(), now).is_err());
        }
        if other_user != user {
            prop_assert!(t.check(&token, kind, &order, other_user.as_deref(), now).is_err());
        }
        if other_expiry != expiry {
            let mac = token.rsplit('.').next().unwrap();
            let moved = format!("v1.{other_expiry}.{mac}");
            let e = t.check(&moved, kind, &order, user.as_deref(), 0).unwrap_err();
            prop_assert_eq!(e.code(), "FORBIDDEN");
        }
        // Under another key: never.
        let other_key = OrderTokens::new(&[9u8; 32]).unwrap();
        prop_assert!(other_key.check(&token, kind, &order, user.as_deref(), now).is_err());
    }

    #[test]
    fn mutated_order_token_is_forbidden(
        kind in kind(),
        order in "[a-zA-Z0-9]{1,32}",
        user in proptest::option::of("[a-zA-Z0-9]{1,32}"),
        expiry in 1_000u64..,
        at in any::<Index>(),
        with in any::<char>(),
        tail in "\\PC{1,8}",
    ) {
        let t = OrderTokens::new(KEY).unwrap();
        let token = t.mint(kind, &order, user.as_deref(), expiry).unwrap();
        let chars: Vec<char> = token.chars().collect();
        let i = at.index(chars.len());
        let mut flipped = chars.clone();
        flipped[i] = if with == chars[i] { '~' } else { with };
        let flipped: String = flipped.into_iter().collect();
        let truncated: String = chars[..i].iter().collect();
        let appended = format!("{token}{tail}");
        for bad in [flipped, truncated, appended] {
            let e = t.check(&bad, kind, &order, user.as_deref(), 0).unwrap_err();
            prop_assert_eq!(e.code(), "FORBIDDEN", "{:?}", bad);
        }
    }

    #[test]
    fn any_token_string_is_forbidden_without_panic(
        token in prop_oneof![any::<String>(), "v1\\.[0-9]{0,20}\\.[A-Za-z0-9_-]{0,50}"],
        kind in kind(),
        order in any::<String>(),
        user in proptest::option::of(any::<String>()),
        now in any::<u64>(),
    ) {
        let e = OrderTokens::new(KEY).unwrap().check(&token, kind, &order, user.as_deref(), now).unwrap_err();
        prop_assert_eq!(e.code(), "FORBIDDEN");
    }
}
