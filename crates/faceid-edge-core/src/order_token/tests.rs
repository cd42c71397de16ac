//! Tests of order tokens.

use super::*;

const NOW: u64 = 1_800_000_000_000;

fn tokens() -> OrderTokens {
    OrderTokens::new(b"0123456789abcdef0123456789abcdef").unwrap_or_else(|_| unreachable!())
}

fn mint(kind: TokenKind, order: &str, user: Option<&str>, exp: u64) -> String {
    tokens().mint(kind, order, user, exp).unwrap_or_default()
}

fn ring(keys: &[&[u8]], audience: &str) -> OrderTokens {
    OrderTokens::with_ring(KeyRing::new(keys, audience).unwrap_or_else(|_| unreachable!()))
}

#[test]
fn key_length_is_checked() {
    assert_eq!(
        OrderTokens::new(&[1; 31]).unwrap_err().code(),
        "INVALID_OPTION"
    );
    assert!(OrderTokens::new(&[1; 32]).is_ok());
    assert!(OrderTokens::new(&[1; 1025]).is_err());
    let shown = format!("{:?}", tokens());
    assert!(shown.contains("<1 hidden>"), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn a_token_opens_its_own_order_only() {
    let t = mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000);
    assert!(t.starts_with("v2.1800000001000."));
    let ts = tokens();
    assert!(ts
        .check(&t, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_ok());
    for (kind, order, user) in [
        (TokenKind::Face, "order002", Some("u1")),
        (TokenKind::Live, "order001", Some("u1")),
        (TokenKind::IdCard, "order001", Some("u1")),
        (TokenKind::Face, "order001", Some("u2")),
        (TokenKind::Face, "order001", None),
        (TokenKind::Face, "Order001", Some("u1")),
    ] {
        let e = ts.check(&t, kind, order, user, NOW).unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN");
        assert!(!e.message().contains(&t));
    }
    let other_key = OrderTokens::new(&[9; 32]).unwrap_or_else(|_| unreachable!());
    assert!(other_key
        .check(&t, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_err());
}

#[test]
fn expiry_is_part_of_the_mac_and_is_enforced() {
    let ts = tokens();
    let t = mint(TokenKind::Face, "order001", None, NOW + 1000);
    let e = ts
        .check(&t, TokenKind::Face, "order001", None, NOW + 1000)
        .unwrap_err();
    assert!(e.message().contains("expired"));
    // Moving the expiry forward breaks the MAC.
    let forged = t.replace("1800000001000", "1900000001000");
    let e = ts
        .check(&forged, TokenKind::Face, "order001", None, NOW)
        .unwrap_err();
    assert!(e.message().contains("not valid"));
}

#[test]
fn malformed_tokens_are_forbidden() {
    let ts = tokens();
    let good = mint(TokenKind::Face, "order001", None, NOW + 1000);
    let long = "v2.1.".to_owned() + &"A".repeat(200);
    for bad in [
        "",
        "v2.",
        "v3.1800000001000.abc",
        "v2.x.abc",
        "v2.01800000001000.abc",
        "v2.1800000001000",
        "v2.1800000001000.***",
        "v2.99999999999999999.AAAA",
        &long,
        &good[..good.len() - 1],
        &(good.clone() + "A"),
    ] {
        let e = ts
            .check(bad, TokenKind::Face, "order001", None, NOW)
            .unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "{bad}");
    }
    assert!(ts
        .check(&good, TokenKind::Face, "bad order", None, NOW)
        .is_err());
}

/// Found while writing the round trip of the `order_token` fuzz target:
/// `mint` took any expiry, but `check` refused one of more than 16
/// digits as malformed, so a token minted to expire after 10^16 ms never
/// opened its own order.
#[test]
fn a_token_opens_its_own_order_until_any_expiry() {
    // Without a lifetime cap (a cap refuses far expiries, see below).
    let ts = tokens().with_lifetime(u64::MAX);
    for exp in [10_000_000_000_000_000, 12_345_678_901_234_567_890, u64::MAX] {
        let t = mint(TokenKind::Live, "order001", Some("u1"), exp);
        assert!(ts
            .check(&t, TokenKind::Live, "order001", Some("u1"), NOW)
            .is_ok());
        assert!(ts
            .check(&t, TokenKind::Live, "order001", Some("u1"), exp - 1)
            .is_ok());
        let e = ts
            .check(&t, TokenKind::Live, "order001", Some("u1"), exp)
            .unwrap_err();
        assert!(e.message().contains("expired"));
    }
    // Past u64: malformed, not a panic.
    let e = ts
        .check(
            "v2.18446744073709551616.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            TokenKind::Live,
            "order001",
            None,
            NOW,
        )
        .unwrap_err();
    assert!(e.message().contains("malformed"));
}

/// A token one handler minted never opens another handler that shares
/// the key: the audience (the handler's prefix by default) is in the MAC.
#[test]
fn a_token_opens_its_own_audience_only() {
    let key = [5u8; 32];
    let start = ring(&[&key], "/faceid");
    let t = start
        .mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000)
        .unwrap_or_default();
    assert!(start
        .check(&t, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_ok());
    for other in ["/reveal", "", "/faceid/", "/FACEID"] {
        let e = ring(&[&key], other)
            .check(&t, TokenKind::Face, "order001", Some("u1"), NOW)
            .unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "{other}");
        assert!(e.message().contains("not valid"), "{other}");
    }
    // An audience chosen by the operator: two handlers share it on purpose.
    let shared = ring(&[&key], "shop");
    let t = shared
        .mint(TokenKind::Live, "order001", None, NOW + 1000)
        .unwrap_or_default();
    assert!(ring(&[&key], "shop")
        .check(&t, TokenKind::Live, "order001", None, NOW)
        .is_ok());
    assert_eq!(start.audience(), "/faceid");
    assert!(start.clone().with_audience("a\nb").is_err());
    assert!(start.with_audience("x").is_ok());
}

/// A token that expires later than the checking handler's own lifetime
/// from now (and a minute of clock skew) is refused, wherever it came from.
#[test]
fn a_token_longer_lived_than_the_handler_allows_is_refused() {
    let week = 7 * 24 * 60 * 60 * 1000;
    let minted = tokens().with_lifetime(week);
    let t = minted
        .mint(TokenKind::Face, "order001", None, NOW + week)
        .unwrap_or_default();
    assert_eq!(
        minted.check(&t, TokenKind::Face, "order001", None, NOW),
        Ok(NOW + week)
    );
    let minute = tokens().with_lifetime(60_000);
    let e = minute
        .check(&t, TokenKind::Face, "order001", None, NOW)
        .unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    assert!(e.message().contains("longer"), "{}", e.message());
    // Within the lifetime and the skew: accepted, to the millisecond.
    for (exp, ok) in [
        (NOW + 60_000, true),
        (NOW + 60_000 + CLOCK_SKEW_MS, true),
        (NOW + 60_000 + CLOCK_SKEW_MS + 1, false),
    ] {
        let t = minute
            .mint(TokenKind::Face, "order001", None, exp)
            .unwrap_or_default();
        assert_eq!(
            minute
                .check(&t, TokenKind::Face, "order001", None, NOW)
                .is_ok(),
            ok,
            "{exp}"
        );
    }
    // The same token opens once enough of its life has passed.
    assert!(minute
        .check(&t, TokenKind::Face, "order001", None, NOW + week - 60_000)
        .is_ok());
}

/// Keys rotate: the first key signs, every key verifies.
#[test]
fn keys_rotate_without_logging_anyone_out() {
    let (old, new) = ([1u8; 32], [2u8; 32]);
    let before = ring(&[&old], "/faceid");
    let after = ring(&[&new, &old], "/faceid");
    let t_old = before
        .mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000)
        .unwrap_or_default();
    let t_new = after
        .mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000)
        .unwrap_or_default();
    assert_ne!(t_old, t_new);
    assert!(after
        .check(&t_old, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_ok());
    assert!(after
        .check(&t_new, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_ok());
    assert_eq!(
        t_new,
        ring(&[&new], "/faceid")
            .mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000)
            .unwrap_or_default()
    );
    // A handler that has not learnt the new key yet refuses its tokens;
    // once the old key is dropped, the old tokens stop.
    assert!(before
        .check(&t_new, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_err());
    assert!(ring(&[&new], "/faceid")
        .check(&t_old, TokenKind::Face, "order001", Some("u1"), NOW)
        .is_err());
}

/// Tokens of the first format carry no audience: refused, with a
/// message that says so.
#[test]
fn first_format_tokens_are_refused() {
    let e = tokens()
        .check(
            "v1.1800000001000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            TokenKind::Face,
            "order001",
            None,
            NOW,
        )
        .unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    assert!(e.message().contains("first format"), "{}", e.message());
}

#[test]
fn kinds_round_trip_by_name() {
    for k in [
        TokenKind::Face,
        TokenKind::Live,
        TokenKind::IdCard,
        TokenKind::BankCard,
    ] {
        assert_eq!(TokenKind::from_name(k.name()), Some(k));
    }
    assert_eq!(TokenKind::from_name("other"), None);
}
