//! The functions exported to JavaScript.
//!
//! Each one packs its JavaScript arguments into one string (one crossing),
//! unpacks it into borrowed `&str`s, and calls the core. When packing fails
//! because an argument has the wrong type, a slower path looks at the
//! argument again only to say precisely what is wrong.

use wasm_bindgen::prelude::*;

use super::boundary::{
    describe_type, own_value, pack_sign_options, pack_values, string_length, to_js,
};
use crate::error::Error;
use crate::packed::unpack;
use crate::sign::{sign_slice, sign_string, verify_slice, SignParams, DEFAULT_VERSION};
use crate::validate::{
    check_len, APP_ID_MAX, NONCE_LEN, ORDER_NO_MAX, SIGN_VALUES_MAX, TICKET_MAX, VERSION_MAX,
};

#[wasm_bindgen]
extern "C" {
    /// An array read element by element (what `explain_values` needs of
    /// `js_sys::Array`, which the signing-only build leaves out).
    type ValueList;

    #[wasm_bindgen(method, getter)]
    fn length(this: &ValueList) -> u32;

    #[wasm_bindgen(method, indexing_getter)]
    fn get(this: &ValueList, index: u32) -> JsValue;
}

/// The longest `sign()` options accepted before packing: the fields'
/// limits together.
const SIGN_OPTIONS_MAX: usize = APP_ID_MAX + ORDER_NO_MAX + TICKET_MAX + NONCE_LEN + VERSION_MAX;

/// Collects packed values into a list of borrowed strings.
fn unpack_list(packed: &str) -> Result<Vec<&str>, JsValue> {
    unpack(packed).collect::<Result<_, _>>().map_err(to_js)
}

/// Says which element of a `values` array is wrong.
fn explain_values(values: &JsValue, function: &str) -> Error {
    if !super::boundary::is_array(values) {
        return Error::InvalidArgument(format!(
            "{function}() takes an array of strings as its first argument; got {}",
            describe_type(values)
        ));
    }
    let array: &ValueList = values.unchecked_ref();
    let mut total = 0usize;
    for (i, v) in (0..array.length()).map(|i| array.get(i)).enumerate() {
        if !(v.is_string() || v.is_null() || v.is_undefined()) {
            return Error::InvalidValue(format!(
                "values[{i}] must be a string (null and undefined are dropped); got {}",
                describe_type(&v)
            ));
        }
        if v.is_string() {
            total += string_length(&v) as usize;
            if !super::boundary::well_formed(&v) {
                return Error::InvalidValue(format!(
                    "values[{i}] has a lone surrogate (half of a UTF-16 pair): it cannot be signed as UTF-8"
                ));
            }
        }
    }
    if total > SIGN_VALUES_MAX {
        return Error::InvalidValue(format!(
            "{function}(): the values total {total} characters; at most {SIGN_VALUES_MAX}"
        ));
    }
    Error::InvalidArgument(format!("{function}(): values could not be read"))
}

/// Says which field of a `sign()` options object is wrong.
fn explain_sign_options(options: &JsValue) -> Error {
    if !options.is_object() || options.is_null() || super::boundary::is_array(options) {
        return Error::InvalidArgument(format!(
            "sign() takes an options object {{ appId, orderNo, ticket, nonce, version? }}; got {}",
            describe_type(options)
        ));
    }
    /// Field name, the error variant for it, and whether it may be absent.
    type Field = (&'static str, fn(String) -> Error, bool);
    let fields: [Field; 5] = [
        ("appId", Error::InvalidAppId, false),
        ("orderNo", Error::InvalidOrderNo, false),
        ("ticket", Error::InvalidTicket, false),
        ("nonce", Error::InvalidNonce, false),
        ("version", Error::InvalidVersion, true),
    ];
    let mut strings: [Option<String>; 5] = Default::default();
    for ((name, variant, optional), slot) in fields.into_iter().zip(strings.iter_mut()) {
        let value = match own_value(options, name) {
            Ok(v) => v,
            Err(_) => {
                return Error::InvalidArgument(format!("sign(): reading options.{name} threw"))
            }
        };
        let absent = value.is_undefined() || value.is_null();
        if value.is_string() {
            // The length first: an oversized field is never copied.
            if let Err(e) = check_len(name, string_length(&value) as usize, variant) {
                return e;
            }
            *slot = value.as_string();
            continue;
        }
        if optional && absent {
            continue;
        }
        let what = if absent {
            "is missing".to_string()
        } else {
            format!("must be a string; got {}", describe_type(&value))
        };
        return variant(format!("options.{name} {what}"));
    }
    // Every field has the right type: the values themselves break a rule.
    let [Some(app_id), Some(order_no), Some(ticket), Some(nonce), version] = &strings else {
        return Error::InvalidArgument("sign(): options could not be read".into());
    };
    let params = SignParams {
        app_id,
        order_no,
        ticket,
        nonce,
        version: version.as_deref().unwrap_or(DEFAULT_VERSION),
    };
    match params.validate() {
        Err(e) => e,
        Ok(()) => Error::InvalidArgument("sign(): options could not be read".into()),
    }
}

/// Signs any list of values the SIGN way (`docs/protocol.md#signature`):
/// sorted by code point, concatenated, SHA-1, 40 uppercase hex characters.
/// `null` and `undefined` entries are dropped, as the official reference
/// does; any other non-string throws `FaceIdError` `INVALID_VALUE`.
#[wasm_bindgen(js_name = signValues)]
pub fn sign_values(
    #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<string | null | undefined>")]
    values: &JsValue,
) -> Result<String, JsValue> {
    let packed = pack_values(values, SIGN_VALUES_MAX as u32)
        .ok_or_else(|| to_js(explain_values(values, "signValues")))?;
    let mut list = unpack_list(&packed)?;
    Ok(sign_string(&sign_slice(&mut list)))
}

/// The five-value SIGN signature of the result queries: validates `appId`,
/// `orderNo`, `ticket`, `nonce` and `version` (default `"1.0.0"`), then signs
/// them. Throws `FaceIdError` (`INVALID_*`) before computing anything when an
/// input breaks the rules; the message never contains the ticket.
#[wasm_bindgen(js_name = sign, unchecked_return_type = "string")]
pub fn sign(#[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue) -> JsValue {
    // Returned directly rather than as a `Result`, which saves a trip through
    // the externref table on every call. `options` is taken by value (no
    // borrowed-reference slot) and dropped before throwing, because a throw
    // skips destructors: nothing is left behind in the externref table.
    match sign_result(&options) {
        Ok(signature) => signature,
        Err(error) => {
            drop(options);
            wasm_bindgen::throw_val(error)
        }
    }
}

/// [`sign`] as a `Result`: the general path (the entries' `sign()` tries
/// the fast lane of `fast_sign.rs` first, from JavaScript).
pub fn sign_result(options: &JsValue) -> Result<JsValue, JsValue> {
    let packed = pack_sign_options(options, SIGN_OPTIONS_MAX as u32)
        .ok_or_else(|| to_js(explain_sign_options(options)))?;
    let mut parts = packed.split('\0');
    let (Some(app_id), Some(order_no), Some(ticket), Some(nonce)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(to_js(explain_sign_options(options)));
    };
    let version = parts.next().unwrap_or(DEFAULT_VERSION);
    if parts.next().is_some() {
        // A field contained U+0000: let the field-by-field check name it.
        return Err(to_js(explain_sign_options(options)));
    }
    let params = SignParams {
        app_id,
        order_no,
        ticket,
        nonce,
        version,
    };
    params
        .sign_bytes()
        .map(|b| JsValue::from_str(&sign_string(&b)))
        .map_err(to_js)
}

/// A fresh nonce: 32 characters from `[A-Za-z0-9]`, from the platform's
/// CSPRNG (`crypto.getRandomValues`), unbiased.
#[wasm_bindgen(js_name = nonce)]
pub fn nonce() -> Result<String, JsValue> {
    crate::nonce::nonce().map_err(to_js)
}

/// Checks a signature received from elsewhere (for example the `newSign` of
/// an H5 callback) against `values`. Case-insensitive and constant-time;
/// anything that is not a 40-character hex string returns `false`.
#[wasm_bindgen(js_name = verifySign)]
pub fn verify_sign(
    #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<string | null | undefined>")]
    values: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] sign: &JsValue,
) -> Result<bool, JsValue> {
    let packed = pack_values(values, SIGN_VALUES_MAX as u32)
        .ok_or_else(|| to_js(explain_values(values, "verifySign")))?;
    let mut list = unpack_list(&packed)?;
    // A signature is 40 characters: a long string is not read at all.
    if !sign.is_string() || string_length(sign) > 64 {
        return Ok(false);
    }
    Ok(match sign.as_string() {
        Some(candidate) => verify_slice(&mut list, &candidate),
        None => false,
    })
}
