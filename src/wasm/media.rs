//! `decodeMedia`: the photos and videos of a result, decoded in wasm.

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::boundary::{ascii_bytes, define_value, describe_type, own_value, string_length, to_js};
use super::http::is_plain_object;
use crate::endpoints::media_fields;
use crate::error::Error;
use crate::media::{decode, decode_bytes, sniff};

/// Decodes every photo and video of a query result (or of its `result`
/// payload): `[{ field, mime, bytes }]`, the type sniffed from the bytes
/// (JPEG, PNG, MP4…). Fields that are absent or empty are skipped.
#[wasm_bindgen(js_name = decodeMedia, unchecked_return_type = "MediaFile[]")]
pub fn decode_media(
    #[wasm_bindgen(unchecked_param_type = "QueryResult<object> | Record<string, unknown>")]
    result: &JsValue,
) -> Result<Array, JsValue> {
    decode_all(result).map_err(to_js)
}

fn decode_all(result: &JsValue) -> Result<Array, Error> {
    if !is_plain_object(result) {
        return Err(Error::InvalidArgument(format!(
            "decodeMedia() takes a query result or its result object; got {}",
            describe_type(result)
        )));
    }
    // Own properties only: a field inherited from a prototype is not part of
    // the result.
    let inner = own_value(result, "result").unwrap_or(JsValue::UNDEFINED);
    let payload = if is_plain_object(&inner) {
        inner
    } else {
        result.clone()
    };
    let out = Array::new();
    for field in media_fields() {
        let value = own_value(&payload, field).unwrap_or(JsValue::UNDEFINED);
        if !value.is_string() || string_length(&value) == 0 {
            continue;
        }
        // Base64 is ASCII: copied natively; anything else takes the slow road
        // and is reported as invalid base64 with its position.
        let bytes = match ascii_bytes(&value) {
            Some(text) => decode_bytes(field, &text)?,
            None => decode(field, &value.as_string().unwrap_or_default())?,
        };
        let file = Object::new();
        define_value(&file, "field", &JsValue::from_str(field));
        define_value(&file, "mime", &JsValue::from_str(sniff(&bytes)));
        define_value(&file, "bytes", &Uint8Array::from(bytes.as_slice()));
        out.push(&file);
    }
    Ok(out)
}

/// What a business code means: `{ kind, en, zh, retryable }`, or `null` for
/// a code this version does not know.
#[wasm_bindgen(js_name = codeInfo, unchecked_return_type = "CodeInfo | null")]
pub fn code_info(#[wasm_bindgen(unchecked_param_type = "string")] code: &JsValue) -> JsValue {
    // Codes are a few characters: anything long is unknown, and is not copied.
    if !code.is_string() || string_length(code) > 64 {
        return JsValue::NULL;
    }
    match code.as_string() {
        Some(code) => super::answer::code_info_js(&code),
        None => JsValue::NULL,
    }
}
