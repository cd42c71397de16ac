//! The callback state: binds the face page's return to the start that
//! sent the user there.
//!
//! The face page's own signature (`newSign`) covers the App ID, the order
//! number, the SIGN ticket and the code, and nothing else: no time, no
//! session. A callback URL seen in a history or a log verifies for as long
//! as the tickets live, and since the signature sorts its values and
//! concatenates them, a character can move from one value to the next
//! without changing it (`orderNo=7A5Bq9&code=0` and `orderNo=A5Bq9&code=07`
//! sign alike). So the edge handler puts a state of its own in the callback
//! URL it gives the face page (the page keeps the URL's query when it adds
//! its parameters): `s1.<expiry>.<userId>.<mac>`, HMAC-SHA256 under the
//! order token keys over the audience, the order number, the user and the
//! expiry. A callback whose state is missing, expired, for another order
//! (a shifted one included) or minted under another key or audience is
//! refused.
//!
//! ```
//! use faceid_edge_core::callback_state::CallbackStates;
//! use faceid_edge_core::keyring::KeyRing;
//!
//! let states = CallbackStates::new(KeyRing::new(&[&[7u8; 32]], "/faceid")?, 30 * 60 * 1000);
//! let state = states.mint("7A5Bq9", "user1", 1_800_000_000_000 + 30 * 60 * 1000)?;
//! assert_eq!(states.check(&state, "7A5Bq9", 1_800_000_000_000)?, "user1");
//! assert!(states.check(&state, "A5Bq9", 1_800_000_000_000).is_err());
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use base64_simd::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};
use crate::keyring::{KeyRing, MAC_LEN};
use crate::order_token::CLOCK_SKEW_MS;
use crate::validate;

/// The name of the query parameter that carries the state.
pub const PARAM: &str = "state";
/// Default lifetime of a state: 30 minutes.
pub const DEFAULT_TTL_MS: u64 = 30 * 60 * 1000;
/// Longest state accepted for checking, in bytes (a real one is at most
/// about 100).
pub const STATE_MAX: usize = 160;

const PREFIX: &str = "s1.";
/// What the MAC of a state is made for.
const DOMAIN: &str = "faceid-edge callback state v1";

/// Mints and checks callback states under a key ring, with a lifetime.
#[derive(Clone, Debug)]
pub struct CallbackStates {
    ring: KeyRing,
    ttl_ms: u64,
}

impl CallbackStates {
    /// States under `ring` (its keys and audience) that live `ttl_ms`.
    pub fn new(ring: KeyRing, ttl_ms: u64) -> CallbackStates {
        CallbackStates { ring, ttl_ms }
    }

    /// How long a state lives, in milliseconds.
    pub fn ttl_ms(&self) -> u64 {
        self.ttl_ms
    }

    /// A state for the start of `order_no` by `user`, valid until
    /// `expires_at` (milliseconds since the epoch).
    pub fn mint(&self, order_no: &str, user: &str, expires_at: u64) -> Result<String> {
        validate::order_no(order_no)?;
        validate::user_id(user, validate::USER_ID_MAX)?;
        let expiry = expires_at.to_string();
        let mac = self.ring.sign(DOMAIN, &[order_no, user, &expiry]);
        Ok(format!(
            "{PREFIX}{expiry}.{user}.{}",
            URL_SAFE_NO_PAD.encode_to_string(mac)
        ))
    }

    /// Checks `state` for the callback of `order_no` at `now_ms` and
    /// returns the user who started the verification. Every failure is
    /// [`Error::Forbidden`]; the state itself is never repeated.
    pub fn check(&self, state: &str, order_no: &str, now_ms: u64) -> Result<String> {
        let malformed = || {
            Error::Forbidden(
                "the callback has no valid state: open the face page from this site's start, not from an old or edited link".into(),
            )
        };
        if state.len() > STATE_MAX {
            return Err(malformed());
        }
        let rest = state.strip_prefix(PREFIX).ok_or_else(malformed)?;
        let mut parts = rest.split('.');
        let (Some(expiry), Some(user), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        if expiry.is_empty()
            || expiry.len() > 20
            || !expiry.bytes().all(|b| b.is_ascii_digit())
            || (expiry.len() > 1 && expiry.starts_with('0'))
            || validate::user_id(user, validate::USER_ID_MAX).is_err()
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
        if !self.ring.verify(DOMAIN, &[order_no, user, expiry], &given) {
            return Err(Error::Forbidden(format!(
                "the callback's state is not for order {}: open the face page from this site's start, not from an old or edited link",
                validate::quote(order_no)
            )));
        }
        if now_ms >= expires_at {
            return Err(Error::Forbidden(
                "the callback has expired (callbackTtlMs): start the verification again".into(),
            ));
        }
        if expires_at - now_ms > self.ttl_ms.saturating_add(CLOCK_SKEW_MS) {
            return Err(Error::Forbidden(
                "the callback's state lives longer than this handler's callbackTtlMs: start the verification again".into(),
            ));
        }
        Ok(user.to_owned())
    }
}

/// The one `state` parameter of a callback's query string (with or without
/// its leading `?`); `None` when it is missing or given more than once.
pub fn from_query(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut found = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == PARAM {
            if found.is_some() {
                return None;
            }
            found = Some(v.into_owned());
        }
    }
    found
}

/// `callback_url` with the state added to its query.
pub fn with_state(callback_url: &str, state: &str) -> String {
    let sep = if callback_url.contains('?') { '&' } else { '?' };
    let pair = form_urlencoded::Serializer::new(String::new())
        .append_pair(PARAM, state)
        .finish();
    format!("{callback_url}{sep}{pair}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h5::Callback;
    use crate::sign::sign_values;

    const NOW: u64 = 1_800_000_000_000;
    const TTL: u64 = DEFAULT_TTL_MS;

    fn states(key: u8, audience: &str) -> CallbackStates {
        CallbackStates::new(
            KeyRing::new(&[&[key; 32]], audience).unwrap_or_else(|_| unreachable!()),
            TTL,
        )
    }

    #[test]
    fn a_state_opens_its_own_callback_until_it_expires() {
        let s = states(1, "/faceid");
        let state = s.mint("order001", "alice", NOW + TTL).unwrap_or_default();
        assert!(state.starts_with("s1.1800001800000.alice."));
        assert_eq!(s.check(&state, "order001", NOW), Ok("alice".to_owned()));
        assert_eq!(
            s.check(&state, "order001", NOW + TTL - 1),
            Ok("alice".to_owned())
        );
        let e = s.check(&state, "order001", NOW + TTL).unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN");
        assert!(e.message().contains("expired"), "{}", e.message());
        // Another order, key or audience: never.
        for (other, order) in [
            (states(1, "/faceid"), "order002"),
            (states(2, "/faceid"), "order001"),
            (states(1, "/other"), "order001"),
        ] {
            let e = other.check(&state, order, NOW).unwrap_err();
            assert_eq!(e.code(), "FORBIDDEN");
            assert!(!e.message().contains(&state));
        }
        // The user and the expiry are covered by the MAC.
        let to_bob = state.replace(".alice.", ".bob.");
        assert!(s.check(&to_bob, "order001", NOW).is_err());
        let later = state.replace("1800001800000", "1800001900000");
        assert!(s.check(&later, "order001", NOW).is_err());
        // A state minted to live longer than this handler's callbackTtlMs.
        let week = s
            .mint("order001", "alice", NOW + 7 * 24 * 3_600_000)
            .unwrap_or_default();
        let e = s.check(&week, "order001", NOW).unwrap_err();
        assert!(e.message().contains("longer"), "{}", e.message());
        assert_eq!(s.ttl_ms(), TTL);
    }

    #[test]
    fn malformed_states_are_forbidden() {
        let s = states(1, "/faceid");
        let good = s.mint("order001", "alice", NOW + TTL).unwrap_or_default();
        let long = format!("s1.1.a.{}", "A".repeat(200));
        for bad in [
            "",
            "s1.",
            "s2.1800001800000.alice.AAAA",
            "s1.x.alice.AAAA",
            "s1.01800001800000.alice.AAAA",
            "s1.1800001800000.alice",
            "s1.1800001800000.al_ice.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "s1.1800001800000..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "s1.99999999999999999999.alice.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            &long,
            &good[..good.len() - 1],
            &format!("{good}A"),
            &format!("{good}.x"),
        ] {
            let e = s.check(bad, "order001", NOW).unwrap_err();
            assert_eq!(e.code(), "FORBIDDEN", "{bad}");
        }
        assert!(s.check(&good, "bad order", NOW).is_err());
        assert!(s.mint("bad order", "alice", NOW).is_err());
        assert!(s.mint("order001", "a_b", NOW).is_err());
    }

    /// The signature of the callback sorts its values and concatenates
    /// them, so a character may move across the boundary between the order
    /// number and the code: `sign(appId, "7A5Bq9", T, "0")` equals
    /// `sign(appId, "A5Bq9", T, "07")`. The face page's signature alone
    /// verifies the shifted callback; the state, bound to the order number,
    /// refuses it.
    #[test]
    fn a_shifted_callback_verifies_by_signature_but_not_by_state() {
        let (app, ticket) = (
            "IDAXXXXX",
            "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
        );
        let sign = sign_values([app, "7A5Bq9", ticket, "0"]);
        assert_eq!(sign, sign_values([app, "A5Bq9", ticket, "07"]));
        let s = states(1, "/faceid");
        let state = s.mint("7A5Bq9", "alice", NOW + TTL).unwrap_or_default();
        let genuine = format!(
            "orderNo=7A5Bq9&code=0&newSignature={sign}&{}",
            with_state("", &state).trim_start_matches('?')
        );
        let shifted = genuine
            .replace("orderNo=7A5Bq9", "orderNo=A5Bq9")
            .replace("code=0", "code=07");
        for (query, order) in [(&genuine, "7A5Bq9"), (&shifted, "A5Bq9")] {
            let cb = Callback::from_query(query);
            assert_eq!(cb.order_no.as_deref(), Some(order));
            // Both verify by the face page's signature alone.
            assert!(cb.verify(app, &[ticket]), "{query}");
            assert_eq!(from_query(query).as_deref(), Some(state.as_str()));
        }
        assert_eq!(s.check(&state, "7A5Bq9", NOW), Ok("alice".to_owned()));
        let e = s.check(&state, "A5Bq9", NOW).unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN");
        assert!(e.message().contains("not for order"), "{}", e.message());
    }

    #[test]
    fn the_state_rides_in_the_callback_url() {
        assert_eq!(
            with_state("https://h5.example.com/faceid/callback", "s1.1.a.b"),
            "https://h5.example.com/faceid/callback?state=s1.1.a.b"
        );
        assert_eq!(
            with_state("https://h5.example.com/cb?x=1", "s1.1.a.b"),
            "https://h5.example.com/cb?x=1&state=s1.1.a.b"
        );
        assert_eq!(
            from_query("?state=s1.1.a.b&code=0").as_deref(),
            Some("s1.1.a.b")
        );
        assert_eq!(from_query("code=0"), None);
        assert_eq!(from_query("state=a&state=a"), None);
        assert_eq!(from_query("state=").as_deref(), Some(""));
    }
}
