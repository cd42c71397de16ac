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

use base64_simd::URL_SAFE_NO_PAD;

pub use crate::endpoints::TokenKind;
use crate::endpoints::{TokenRow, ENDPOINTS};
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

impl TokenKind {
    /// Every kind's row: the token column of [`ENDPOINTS`].
    pub fn rows() -> impl Iterator<Item = &'static TokenRow> {
        ENDPOINTS.iter().filter_map(|e| e.token.as_ref())
    }

    /// The name used in options and in the MAC: `face`, `live`, `idcard`,
    /// `bankcard` (from [`ENDPOINTS`]).
    pub fn name(self) -> &'static str {
        // Every kind has a row (a test holds it): the fallback is never taken.
        TokenKind::rows()
            .find(|t| t.kind == self)
            .map_or("", |t| t.name)
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<TokenKind> {
        TokenKind::rows().find(|t| t.name == name).map(|t| t.kind)
    }

    /// The error for a kind that is none of these: it names them all
    /// (`kind must be "face", "live", "idcard" or "bankcard"`).
    pub fn unknown() -> Error {
        let names: Vec<String> = TokenKind::rows()
            .map(|t| format!("\"{}\"", t.name))
            .collect();
        let list = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        Error::InvalidOption(format!("kind must be {list}"))
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
        Ok(format!(
            "{PREFIX}{expiry}.{}",
            URL_SAFE_NO_PAD.encode_to_string(mac)
        ))
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
        let given = URL_SAFE_NO_PAD
            .decode_to_vec(mac)
            .map_err(|_| malformed())?;
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
mod tests;
