//! Reading `orderTokenKey` and `audience`, for the edge handler and for
//! `verifyOrderToken`: one key (a string or a `Uint8Array`), or a list of
//! keys with the current one first and the previous ones after it (the
//! first signs, all verify, so keys rotate without logging anyone out).
//! Each is measured in JavaScript before it is copied into wasm memory.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{describe_type, is_array, own_value, string_length};
use super::options;
use crate::error::Error;
use crate::keyring::{KeyRing, KEYS_MAX, KEY_MAX};

/// The bytes of one key, `which` naming it in messages.
fn one_key(value: &JsValue, which: &str) -> Result<Vec<u8>, Error> {
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        if bytes.length() as usize > KEY_MAX {
            return Err(Error::InvalidOption(format!("{which} is too long")));
        }
        return Ok(bytes.to_vec());
    }
    if value.is_string() {
        // UTF-16 units: a string of more than KEY_MAX units has more than
        // KEY_MAX bytes in UTF-8.
        if string_length(value) as usize > KEY_MAX {
            return Err(Error::InvalidOption(format!("{which} is too long")));
        }
        return Ok(value.as_string().unwrap_or_default().into_bytes());
    }
    Err(Error::InvalidOption(format!(
        "{which} must be a string or Uint8Array of at least 32 bytes (a random secret from a secret binding), or a list of them (the current key first); got {}",
        describe_type(value)
    )))
}

/// The keys of an `orderTokenKey` value, the signing one first.
pub fn keys(value: &JsValue) -> Result<Vec<Vec<u8>>, Error> {
    if !is_array(value) {
        return Ok(vec![one_key(value, "orderTokenKey")?]);
    }
    let length = js_sys::Array::from(value).length() as usize;
    if length == 0 || length > KEYS_MAX {
        return Err(Error::InvalidOption(format!(
            "orderTokenKey must list 1 to {KEYS_MAX} keys (the current one first, then the previous ones); got {length}"
        )));
    }
    // Element by element as own properties: a hole is not filled from the
    // prototype chain.
    (0..length)
        .map(|i| {
            let item = own_value(value, &i.to_string())
                .map_err(|_| Error::InvalidOption(format!("reading orderTokenKey[{i}] threw")))?;
            one_key(&item, &format!("orderTokenKey[{i}]"))
        })
        .collect()
}

/// The key ring of an `orderTokenKey` value for `audience`.
pub fn key_ring(value: &JsValue, audience: &str) -> Result<KeyRing, Error> {
    let keys = keys(value)?;
    let borrowed: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    KeyRing::new(&borrowed, audience)
}

/// The `audience` option, or `default` when it is absent.
pub fn audience(options: &JsValue, default: &str) -> Result<String, Error> {
    match options::string(options, "audience", Error::InvalidOption)? {
        Some(a) => {
            crate::keyring::audience(&a)?;
            Ok(a)
        }
        None => Ok(default.to_owned()),
    }
}

/// A lifetime option (`tokenTtlMs`, `callbackTtlMs`): a whole number of
/// milliseconds from 1000 to 604800000 (7 days), or `default` when absent.
pub fn ttl(options: &JsValue, key: &str, default: u64) -> Result<u64, Error> {
    let value = options::get(options, key)?;
    if options::absent(&value) {
        return Ok(default);
    }
    let max = crate::edge::MAX_TOKEN_TTL_MS;
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= 1000.0 && n <= max as f64 => Ok(n as u64),
        _ => Err(Error::InvalidOption(format!(
            "{key} must be a whole number of milliseconds from 1000 to {max} (7 days)"
        ))),
    }
}
