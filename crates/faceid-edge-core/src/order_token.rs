//! Order tokens: what an H5 page shows to read the result of its own order.
//!
//! A token is `v2.<expiry>.<mac>`: the expiry in milliseconds since the
//! epoch, and HMAC-SHA256 under the operator's key over the audience (the
//! handler's route prefix unless the operator names another), the route
//! kind, the order number, the expiry and the user (when the operator's
//! identity hook names one), in base64url without padding. Nothing is
//! stored: the edge handler checks a token by computing its MAC again, in
//! constant time. A token for one order, kind, user, expiry or audience
//! never verifies for another.
//!
//! A token is refused when it expires later than the checking handler's
//! own lifetime from now (plus [`CLOCK_SKEW_MS`]): a token minted with a
//! 7-day lifetime never opens a handler whose tokens live one minute. Keys
//! rotate ([`KeyRing`]): the first key signs, every key verifies. Tokens of
//! the first format (`v1.`, without an audience) are refused.
//!
//! ```
//! use faceid_edge_core::order_token::{OrderTokens, TokenKind};
//!
//! let tokens = OrderTokens::new(&[7u8; 32])?.with_audience("/faceid")?.with_lifetime(60_000);
//! let token = tokens.mint(TokenKind::Face, "order001", Some("user1"), 1_800_000_060_000)?;
//! assert!(tokens.check(&token, TokenKind::Face, "order001", Some("user1"), 1_800_000_000_000).is_ok());
//! assert!(tokens.check(&token, TokenKind::Face, "order002", Some("user1"), 1_800_000_000_000).is_err());
//! let admin = OrderTokens::new(&[7u8; 32])?.with_audience("/admin")?;
//! assert!(admin.check(&token, TokenKind::Face, "order001", Some("user1"), 1_800_000_000_000).is_err());
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::keyring::MAC_LEN;
pub use crate::keyring::{KeyRing, KEY_MAX, KEY_MIN};
use crate::validate;

/// Longest token accepted for checking, in bytes (a real one is about 60).
pub const TOKEN_MAX: usize = 128;
/// How much later than `now + lifetime` a token may expire and still be
/// accepted: room for the clocks of the handlers that mint and check it to
/// differ (one minute).
pub const CLOCK_SKEW_MS: u64 = 60_000;

/// The current format's prefix.
pub const PREFIX: &str = "v2.";
/// The first format's prefix (no audience): refused.
const OLD_PREFIX: &str = "v1.";
/// What the MAC of a token is made for.
const DOMAIN: &str = "faceid-edge order token v2";

/// What a token opens: one kind of result of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// The face verification result (`/result`).
    Face,
    /// The liveness result (`/live/result`).
    Live,
    /// The ID card OCR result (`/ocr/idcard/result`).
    IdCard,
    /// The bank card OCR result (`/ocr/bankcard/result`).
    BankCard,
}

impl TokenKind {
    /// The name used in options and in the MAC: `face`, `live`, `idcard`,
    /// `bankcard`.
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Face => "face",
            TokenKind::Live => "live",
            TokenKind::IdCard => "idcard",
            TokenKind::BankCard => "bankcard",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<TokenKind> {
        [
            TokenKind::Face,
            TokenKind::Live,
            TokenKind::IdCard,
            TokenKind::BankCard,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// Mints and checks order tokens under a key ring, for one audience, with
/// a longest lifetime.
#[derive(Clone, Debug)]
pub struct OrderTokens {
    ring: KeyRing,
    lifetime_ms: u64,
}

impl OrderTokens {
    /// One `key` (32 to 1024 bytes: use a random secret from a secret
    /// binding, never a constant in code), the empty audience, and the
    /// longest lifetime the edge handler allows
    /// ([`MAX_TOKEN_TTL_MS`](crate::edge::MAX_TOKEN_TTL_MS), 7 days).
    pub fn new(key: &[u8]) -> Result<OrderTokens> {
        Ok(OrderTokens::with_ring(KeyRing::new(&[key], "")?))
    }

    /// Tokens under `ring` (its keys and audience), with the longest
    /// lifetime the edge handler allows.
    pub fn with_ring(ring: KeyRing) -> OrderTokens {
        OrderTokens {
            ring,
            lifetime_ms: crate::edge::MAX_TOKEN_TTL_MS,
        }
    }

    /// The same keys for another audience (see [`crate::keyring::audience`]).
    pub fn with_audience(self, audience: &str) -> Result<OrderTokens> {
        Ok(OrderTokens {
            ring: self.ring.for_audience(audience)?,
            lifetime_ms: self.lifetime_ms,
        })
    }

    /// The longest lifetime a checked token may have left: a token that
    /// expires later than `now + lifetime_ms +` [`CLOCK_SKEW_MS`] is refused.
    pub fn with_lifetime(self, lifetime_ms: u64) -> OrderTokens {
        OrderTokens {
            lifetime_ms,
            ..self
        }
    }

    /// The audience tokens are minted for and checked against.
    pub fn audience(&self) -> &str {
        self.ring.audience()
    }

    /// What the MAC covers besides the audience, in order.
    fn fields<'a>(
        kind: TokenKind,
        order_no: &'a str,
        user: Option<&'a str>,
        expires_at: &'a str,
    ) -> [&'a str; 4] {
        [kind.name(), order_no, expires_at, user.unwrap_or("")]
    }

    /// A token for `kind` of `order_no` (and `user`, when given), valid
    /// until `expires_at` (milliseconds since the epoch).
    pub fn mint(
        &self,
        kind: TokenKind,
        order_no: &str,
        user: Option<&str>,
        expires_at: u64,
    ) -> Result<String> {
        validate::order_no(order_no)?;
        if let Some(user) = user {
            validate::user_id(user, validate::USER_ID_MAX)?;
        }
        let expiry = expires_at.to_string();
        let mac = self
            .ring
            .sign(DOMAIN, &Self::fields(kind, order_no, user, &expiry));
        Ok(format!("{PREFIX}{expiry}.{}", URL_SAFE_NO_PAD.encode(mac)))
    }

    /// Checks `token` for `kind` of `order_no` and `user` at `now_ms`, and
    /// returns its expiry. Every failure is [`Error::Forbidden`], with a
    /// message that says whether the token is malformed, of the old format,
    /// not for this order (or audience), expired or longer-lived than this
    /// handler allows; the token itself is never repeated.
    pub fn check(
        &self,
        token: &str,
        kind: TokenKind,
        order_no: &str,
        user: Option<&str>,
        now_ms: u64,
    ) -> Result<u64> {
        let expires_at = self.signed_for(token, kind, order_no, user)?;
        if now_ms >= expires_at {
            return Err(Error::Forbidden(
                "the order token has expired: start again to get a new one".into(),
            ));
        }
        if expires_at - now_ms > self.lifetime_ms.saturating_add(CLOCK_SKEW_MS) {
            return Err(Error::Forbidden(format!(
                "the order token lives longer than this handler's tokens may ({} ms): it was minted with a longer lifetime; start again to get a new one",
                self.lifetime_ms
            )));
        }
        Ok(expires_at)
    }

    /// Whether `token` was minted by this handler's keys for `kind` of
    /// `order_no` and `user`, whatever the time: its expiry, or the
    /// [`Error::Forbidden`] of [`OrderTokens::check`] for a token that is
    /// malformed, of the old format or for something else.
    pub fn signed_for(
        &self,
        token: &str,
        kind: TokenKind,
        order_no: &str,
        user: Option<&str>,
    ) -> Result<u64> {
        let malformed = || {
            Error::Forbidden("the order token is malformed: use the orderToken this service issued with the order".into())
        };
        if token.len() > TOKEN_MAX {
            return Err(malformed());
        }
        if token.starts_with(OLD_PREFIX) {
            return Err(Error::Forbidden(
                "the order token is of the first format (v1, without an audience), which is no longer accepted: start again to get a new one".into(),
            ));
        }
        let rest = token.strip_prefix(PREFIX).ok_or_else(malformed)?;
        let (expiry, mac) = rest.split_once('.').ok_or_else(malformed)?;
        // Any `u64` (at most 20 digits) that `mint` may have written; a
        // larger number fails to parse below.
        if expiry.is_empty()
            || expiry.len() > 20
            || !expiry.bytes().all(|b| b.is_ascii_digit())
            || (expiry.len() > 1 && expiry.starts_with('0'))
        {
            return Err(malformed());
        }
        let expires_at: u64 = expiry.parse().map_err(|_| malformed())?;
        let given = URL_SAFE_NO_PAD.decode(mac).map_err(|_| malformed())?;
        if given.len() != MAC_LEN || validate::order_no(order_no).is_err() {
            return Err(malformed());
        }
        let user_ok = user.map_or(true, |u| {
            validate::user_id(u, validate::USER_ID_MAX).is_ok()
        });
        let fields = Self::fields(kind, order_no, user.filter(|_| user_ok), expiry);
        let valid = self.ring.verify(DOMAIN, &fields, &given);
        if !user_ok || !valid {
            return Err(Error::Forbidden(format!(
                "the order token is not valid for this {} result of order {}{} here (another order, user, kind, handler or key)",
                kind.name(),
                validate::quote(order_no),
                if user.is_some() { " and this user" } else { "" }
            )));
        }
        Ok(expires_at)
    }
}

#[cfg(test)]
mod tests {
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
}
