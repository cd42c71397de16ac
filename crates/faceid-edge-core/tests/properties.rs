//! Property tests (proptest, 256 cases each) for signing, order tokens and
//! callback states.

// Host only: proptest's random source does not build for wasm32.
#![cfg(not(target_arch = "wasm32"))]

use faceid_edge_core::callback_state::CallbackStates;
use faceid_edge_core::h5::Callback;
use faceid_edge_core::keyring::KeyRing;
use faceid_edge_core::order_token::{OrderTokens, TokenKind, CLOCK_SKEW_MS};
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
/// The key `KEY` replaced.
const OLD_KEY: &[u8; 32] = b"property tests old token key!!!!";

/// Tokens under `keys` for `audience` with a lifetime cap.
fn ring(keys: &[&[u8]], audience: &str, lifetime_ms: u64) -> faceid_edge_core::Result<OrderTokens> {
    Ok(OrderTokens::with_ring(KeyRing::new(keys, audience)?).with_lifetime(lifetime_ms))
}

fn audience() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "/[a-z]{1,12}", "[ -~]{1,128}"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

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
        // No lifetime cap here (see the cap's own property below).
        let t = OrderTokens::new(KEY).unwrap().with_lifetime(u64::MAX);
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
            let moved = format!("v2.{other_expiry}.{mac}");
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
        token in prop_oneof![any::<String>(), "v[12]\\.[0-9]{0,20}\\.[A-Za-z0-9_-]{0,50}"],
        kind in kind(),
        order in any::<String>(),
        user in proptest::option::of(any::<String>()),
        now in any::<u64>(),
    ) {
        let e = OrderTokens::new(KEY).unwrap().check(&token, kind, &order, user.as_deref(), now).unwrap_err();
        prop_assert_eq!(e.code(), "FORBIDDEN");
    }

    #[test]
    fn order_token_opens_its_own_audience_only(
        kind in kind(),
        order in "[a-zA-Z0-9]{1,32}",
        user in proptest::option::of("[a-zA-Z0-9]{1,32}"),
        audience in audience(),
        other_audience in audience(),
        left in 1u64..=1_800_000,
    ) {
        let now = 1_800_000_000_000u64;
        let t = ring(&[KEY], &audience, 1_800_000).unwrap();
        let token = t.mint(kind, &order, user.as_deref(), now + left).unwrap();
        prop_assert!(t.check(&token, kind, &order, user.as_deref(), now).is_ok());
        let other = ring(&[KEY], &other_audience, 1_800_000).unwrap();
        prop_assert_eq!(
            other.check(&token, kind, &order, user.as_deref(), now).is_ok(),
            other_audience == audience
        );
    }

    #[test]
    fn order_token_lives_no_longer_than_the_checking_handler_allows(
        kind in kind(),
        order in "[a-zA-Z0-9]{1,32}",
        minted_ttl in 1_000u64..=604_800_000,
        checked_ttl in 1_000u64..=604_800_000,
        elapsed in any::<Index>(),
    ) {
        let start = 1_800_000_000_000u64;
        let minter = ring(&[KEY], "/faceid", minted_ttl).unwrap();
        let checker = ring(&[KEY], "/faceid", checked_ttl).unwrap();
        let expiry = start + minted_ttl;
        let token = minter.mint(kind, &order, None, expiry).unwrap();
        let now = start + elapsed.index(usize::try_from(minted_ttl).unwrap()) as u64;
        prop_assert!(now < expiry);
        let ok = checker.check(&token, kind, &order, None, now).is_ok();
        prop_assert_eq!(ok, expiry - now <= checked_ttl + CLOCK_SKEW_MS);
        // A handler always opens the tokens it minted itself, for their whole life.
        prop_assert!(minter.check(&token, kind, &order, None, now).is_ok());
    }

    #[test]
    fn order_token_keys_rotate(
        kind in kind(),
        order in "[a-zA-Z0-9]{1,32}",
        user in proptest::option::of("[a-zA-Z0-9]{1,32}"),
        extra in 0usize..6,
    ) {
        let now = 1_800_000_000_000u64;
        let exp = now + 60_000;
        let before = ring(&[OLD_KEY], "/faceid", 60_000).unwrap();
        // The new key first, the old one later in the list, others between.
        let fillers: Vec<[u8; 32]> = (0..extra).map(|i| [i as u8 + 100; 32]).collect();
        let mut keys: Vec<&[u8]> = vec![&KEY[..]];
        keys.extend(fillers.iter().map(|k| &k[..]));
        keys.push(OLD_KEY);
        let after = ring(&keys, "/faceid", 60_000).unwrap();
        let old = before.mint(kind, &order, user.as_deref(), exp).unwrap();
        let new = after.mint(kind, &order, user.as_deref(), exp).unwrap();
        prop_assert!(after.check(&old, kind, &order, user.as_deref(), now).is_ok());
        prop_assert!(after.check(&new, kind, &order, user.as_deref(), now).is_ok());
        prop_assert!(before.check(&new, kind, &order, user.as_deref(), now).is_err());
        prop_assert_eq!(new, ring(&[KEY], "/faceid", 60_000).unwrap().mint(kind, &order, user.as_deref(), exp).unwrap());
    }

    /// The signature of a callback lets characters move between the order
    /// number and the code; the state, bound to the order number, never
    /// follows them.
    #[test]
    fn callback_state_refuses_a_shifted_order(
        head in "[1-9]",
        rest in "[1-9A-H][a-zA-Z0-9]{0,30}",
        user in "[a-zA-Z0-9]{1,32}",
    ) {
        let (app, ticket) = ("IDAXXXXX", "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS");
        let order = format!("{head}{rest}");
        let sign = sign_values([app, order.as_str(), ticket, "0"]);
        let shifted = Callback {
            order_no: Some(rest.clone()),
            code: Some(format!("0{head}")),
            new_sign: Some(sign.clone()),
        };
        prop_assert!(shifted.verify(app, &[ticket]), "the shift keeps the signature");
        let states = CallbackStates::new(KeyRing::new(&[KEY], "/faceid").unwrap(), 1_800_000);
        let now = 1_800_000_000_000u64;
        let state = states.mint(&order, &user, now + 1_800_000).unwrap();
        prop_assert_eq!(states.check(&state, &order, now).unwrap(), user);
        prop_assert_eq!(states.check(&state, &rest, now).unwrap_err().code(), "FORBIDDEN");
    }
}
