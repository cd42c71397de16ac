//! Order tokens: what an H5 page shows to read the result of its own order.
//!
//! A token is `v1.<expiry>.<mac>`: the expiry in milliseconds since the
//! epoch, and HMAC-SHA256 under the operator's key over the route kind, the
//! order number, the expiry and the user (when the operator's identity hook
//! names one), in base64url without padding. Nothing is stored: the edge
//! handler checks a token by computing its MAC again, in constant time. A
//! token for one order, kind, user or expiry never verifies for another.
//!
//! ```
//! use faceid_edge_core::order_token::{OrderTokens, TokenKind};
//!
//! let tokens = OrderTokens::new(&[7u8; 32])?;
//! let token = tokens.mint(TokenKind::Face, "order001", Some("user1"), 1_900_000_000_000)?;
//! assert!(tokens.check(&token, TokenKind::Face, "order001", Some("user1"), 1_800_000_000_000).is_ok());
//! assert!(tokens.check(&token, TokenKind::Face, "order002", Some("user1"), 1_800_000_000_000).is_err());
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::validate;

/// Shortest accepted key, in bytes.
pub const KEY_MIN: usize = 32;
/// Longest accepted key, in bytes.
pub const KEY_MAX: usize = 1024;
/// Longest token accepted for checking, in bytes (a real one is about 60).
pub const TOKEN_MAX: usize = 128;

const PREFIX: &str = "v1.";
const MAC_LEN: usize = 32;

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

/// Mints and checks order tokens under one key.
#[derive(Clone)]
pub struct OrderTokens {
    key: Vec<u8>,
}

impl core::fmt::Debug for OrderTokens {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OrderTokens { key: <hidden> }")
    }
}

impl OrderTokens {
    /// Keeps `key` (32 to 1024 bytes: use a random secret from a secret
    /// binding, never a constant in code).
    pub fn new(key: &[u8]) -> Result<OrderTokens> {
        if key.len() < KEY_MIN || key.len() > KEY_MAX {
            return Err(Error::InvalidOption(format!(
                "orderTokenKey must be {KEY_MIN} to {KEY_MAX} bytes; got {}: use a random secret (for example 32 random bytes as base64) from a secret binding",
                key.len()
            )));
        }
        Ok(OrderTokens { key: key.to_vec() })
    }

    fn mac(
        &self,
        kind: TokenKind,
        order_no: &str,
        user: Option<&str>,
        expires_at: u64,
    ) -> [u8; MAC_LEN] {
        // The fields cannot contain a line break (order numbers and user ids
        // are validated, the kind and expiry are ours): the message is
        // unambiguous.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            // HMAC takes a key of any length.
            Err(_) => return [0; MAC_LEN],
        };
        mac.update(b"faceid-edge order token v1\n");
        mac.update(kind.name().as_bytes());
        mac.update(b"\n");
        mac.update(order_no.as_bytes());
        mac.update(b"\n");
        mac.update(expires_at.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(user.unwrap_or("").as_bytes());
        mac.finalize().into_bytes().into()
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
        let mac = self.mac(kind, order_no, user, expires_at);
        Ok(format!(
            "{PREFIX}{expires_at}.{}",
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// Checks `token` for `kind` of `order_no` and `user` at `now_ms`.
    /// Every failure is [`Error::Forbidden`], with a message that says
    /// whether the token is malformed, expired or not for this order; the
    /// token itself is never repeated.
    pub fn check(
        &self,
        token: &str,
        kind: TokenKind,
        order_no: &str,
        user: Option<&str>,
        now_ms: u64,
    ) -> Result<()> {
        let malformed = || {
            Error::Forbidden("the order token is malformed: use the orderToken this service issued with the order".into())
        };
        if token.len() > TOKEN_MAX {
            return Err(malformed());
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
        let expected = self.mac(kind, order_no, user.filter(|_| user_ok), expires_at);
        if !user_ok || !bool::from(expected.ct_eq(given.as_slice())) {
            return Err(Error::Forbidden(format!(
                "the order token is not valid for this {} result of order {}{}",
                kind.name(),
                validate::quote(order_no),
                if user.is_some() { " and this user" } else { "" }
            )));
        }
        if now_ms >= expires_at {
            return Err(Error::Forbidden(
                "the order token has expired: start again to get a new one".into(),
            ));
        }
        Ok(())
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

    #[test]
    fn key_length_is_checked() {
        assert_eq!(
            OrderTokens::new(&[1; 31]).unwrap_err().code(),
            "INVALID_OPTION"
        );
        assert!(OrderTokens::new(&[1; 32]).is_ok());
        assert!(OrderTokens::new(&[1; 1025]).is_err());
        assert_eq!(format!("{:?}", tokens()), "OrderTokens { key: <hidden> }");
    }

    #[test]
    fn a_token_opens_its_own_order_only() {
        let t = mint(TokenKind::Face, "order001", Some("u1"), NOW + 1000);
        assert!(t.starts_with("v1.1800000001000."));
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
        let long = "v1.1.".to_owned() + &"A".repeat(200);
        for bad in [
            "",
            "v1.",
            "v2.1800000001000.abc",
            "v1.x.abc",
            "v1.01800000001000.abc",
            "v1.1800000001000",
            "v1.1800000001000.***",
            "v1.99999999999999999.AAAA",
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
        let ts = tokens();
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
                "v1.18446744073709551616.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                TokenKind::Live,
                "order001",
                None,
                NOW,
            )
            .unwrap_err();
        assert!(e.message().contains("malformed"));
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
