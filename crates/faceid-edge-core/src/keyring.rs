//! The operator's secret keys (`orderTokenKey`) and the audience every MAC
//! made with them is bound to.
//!
//! Keys rotate without logging anyone out: give the new key first and the
//! previous ones after it. The first key signs; every key verifies. The
//! audience names the handler a MAC is for (its route prefix unless the
//! operator chooses another), so that a token one handler minted never
//! opens another handler that shares the key.
//!
//! Every MAC is HMAC-SHA256 over `domain`, the audience and the fields, each
//! followed by a line break. None of them may contain a line break (the
//! audience is checked here; callers pass validated order numbers, user ids,
//! kinds and numbers), so the message is unambiguous.
//!
//! ```
//! use faceid_edge_core::keyring::KeyRing;
//!
//! let old = KeyRing::new(&[&[1u8; 32]], "/faceid")?;
//! let mac = old.sign("example v1", &["order001"]);
//! let rotated = KeyRing::new(&[&[2u8; 32], &[1u8; 32]], "/faceid")?;
//! assert!(rotated.verify("example v1", &["order001"], &mac));
//! let elsewhere = KeyRing::new(&[&[1u8; 32]], "/admin")?;
//! assert!(!elsewhere.verify("example v1", &["order001"], &mac));
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::validate;

/// Shortest accepted key, in bytes.
pub const KEY_MIN: usize = 32;
/// Longest accepted key, in bytes.
pub const KEY_MAX: usize = 1024;
/// Most keys in one ring (the current one and up to seven previous ones).
pub const KEYS_MAX: usize = 8;
/// Longest accepted audience, in bytes.
pub const AUDIENCE_MAX: usize = 128;
/// Length of a MAC, in bytes.
pub const MAC_LEN: usize = 32;

/// The keys and the audience.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<Vec<u8>>,
    audience: String,
}

impl core::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "KeyRing {{ keys: <{} hidden>, audience: {:?} }}",
            self.keys.len(),
            self.audience
        )
    }
}

/// Checks an audience: at most 128 printable ASCII characters (spaces
/// included; no line break or other control character). Empty is allowed:
/// it is the audience of a handler without a prefix.
pub fn audience(value: &str) -> Result<()> {
    if value.len() > AUDIENCE_MAX || !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Error::InvalidOption(format!(
            "audience must be at most {AUDIENCE_MAX} printable ASCII characters (the handler's route prefix by default, such as \"/faceid\"); got {}",
            validate::quote(value)
        )));
    }
    Ok(())
}

impl KeyRing {
    /// Keeps `keys` (1 to 8 keys of 32 to 1024 bytes each, the one that
    /// signs first) for `audience` (see [`audience`]).
    pub fn new(keys: &[&[u8]], audience_value: &str) -> Result<KeyRing> {
        if keys.is_empty() || keys.len() > KEYS_MAX {
            return Err(Error::InvalidOption(format!(
                "orderTokenKey must be one key or a list of 1 to {KEYS_MAX} keys (the current one first, then the previous ones); got {}",
                keys.len()
            )));
        }
        for (i, key) in keys.iter().enumerate() {
            if key.len() < KEY_MIN || key.len() > KEY_MAX {
                let which = if keys.len() == 1 {
                    String::new()
                } else {
                    format!(" (entry {i})")
                };
                return Err(Error::InvalidOption(format!(
                    "orderTokenKey{which} must be {KEY_MIN} to {KEY_MAX} bytes; got {}: use a random secret (for example 32 random bytes as base64) from a secret binding",
                    key.len()
                )));
            }
        }
        audience(audience_value)?;
        Ok(KeyRing {
            keys: keys.iter().map(|k| k.to_vec()).collect(),
            audience: audience_value.to_owned(),
        })
    }

    /// The same keys for another audience (see [`audience`]).
    pub fn for_audience(&self, audience_value: &str) -> Result<KeyRing> {
        audience(audience_value)?;
        Ok(KeyRing {
            keys: self.keys.clone(),
            audience: audience_value.to_owned(),
        })
    }

    /// The audience every MAC is bound to.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// How many keys verify.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always `false`: a ring has at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn mac(key: &[u8], domain: &str, audience: &str, fields: &[&str]) -> [u8; MAC_LEN] {
        let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mac) => mac,
            // HMAC takes a key of any length.
            Err(_) => return [0; MAC_LEN],
        };
        mac.update(domain.as_bytes());
        mac.update(b"\n");
        mac.update(audience.as_bytes());
        for field in fields {
            mac.update(b"\n");
            mac.update(field.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The MAC of `fields` under the first key.
    pub fn sign(&self, domain: &str, fields: &[&str]) -> [u8; MAC_LEN] {
        match self.keys.first() {
            Some(key) => Self::mac(key, domain, &self.audience, fields),
            None => [0; MAC_LEN],
        }
    }

    /// Whether `given` is the MAC of `fields` under any of the keys. Every
    /// key is tried, each comparison in constant time: the time taken does
    /// not say which key matched.
    pub fn verify(&self, domain: &str, fields: &[&str], given: &[u8]) -> bool {
        if given.len() != MAC_LEN {
            return false;
        }
        let mut any = subtle::Choice::from(0u8);
        for key in &self.keys {
            any |= Self::mac(key, domain, &self.audience, fields).ct_eq(given);
        }
        bool::from(any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_audiences_are_checked() {
        assert_eq!(
            KeyRing::new(&[], "/faceid").unwrap_err().code(),
            "INVALID_OPTION"
        );
        assert!(KeyRing::new(&[&[1; 31]], "").is_err());
        assert!(KeyRing::new(&[&[1; 32], &[1; 1025]], "")
            .unwrap_err()
            .message()
            .contains("entry 1"));
        assert!(KeyRing::new(&[&[1u8; 32][..]; 9], "").is_err());
        assert!(KeyRing::new(&[&[1u8; 32][..]; 8], "").is_ok());
        for bad in ["a\nb", "\u{7f}", "é", &"a".repeat(129)] {
            assert!(KeyRing::new(&[&[1; 32]], bad).is_err(), "{bad:?}");
        }
        for good in ["", "/faceid", "shop A / faceid", &"a".repeat(128)] {
            assert!(KeyRing::new(&[&[1; 32]], good).is_ok(), "{good:?}");
        }
        let ring = KeyRing::new(&[&[7; 32]], "/faceid").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            format!("{ring:?}"),
            "KeyRing { keys: <1 hidden>, audience: \"/faceid\" }"
        );
    }

    #[test]
    fn the_first_key_signs_and_every_key_verifies() {
        let ring =
            |keys: &[&[u8]], aud: &str| KeyRing::new(keys, aud).unwrap_or_else(|_| unreachable!());
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let old = ring(&[&a], "/faceid");
        let rotated = ring(&[&b, &a], "/faceid");
        let mac = old.sign("d", &["x", "y"]);
        assert!(rotated.verify("d", &["x", "y"], &mac));
        assert_eq!(
            rotated.sign("d", &["x", "y"]),
            ring(&[&b], "/faceid").sign("d", &["x", "y"])
        );
        // The old ring does not know the new key.
        assert!(!old.verify("d", &["x", "y"], &rotated.sign("d", &["x", "y"])));
        // Another key, audience, domain or field: never.
        assert!(!ring(&[&c], "/faceid").verify("d", &["x", "y"], &mac));
        assert!(!ring(&[&a], "/other").verify("d", &["x", "y"], &mac));
        assert!(!old.verify("e", &["x", "y"], &mac));
        assert!(!old.verify("d", &["x", "z"], &mac));
        assert!(!old.verify("d", &["xy"], &mac));
        assert!(!old.verify("d", &["x", "y"], &mac[..31]));
        // The audience is its own line: "/a" + "b" never reads as "/ab".
        assert_ne!(
            ring(&[&a], "/a").sign("d", &["b"]),
            ring(&[&a], "/ab").sign("d", &[""])
        );
    }
}
