//! Request bodies of the edge handler: read within a size limit and a
//! deadline ([`BodyClock`]: `bodyTimeoutMs`, then `minBodyRate`), and the
//! upload of `POST /ocr/idcard` turned into the image's cleaned base64
//! bytes (see [`super::image`]) without taking the image into wasm memory.
//!
//! Where the bytes live: the body is read into one `Uint8Array` (outside
//! the JavaScript heap); a JSON body is decoded and parsed by the engine
//! (its text and the image string are garbage as soon as the image is
//! cleaned, in the same synchronous step), a multipart one by the
//! runtime's `formData()`. What is kept for the call is the image's base64
//! as bytes.

use super::boundary::settled;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Headers, Request, Response, ResponseInit};

use super::boundary::bytes_text;
use super::http::{is_plain_object, now_ms, race};
use super::image::{clean_text, encode_bytes};
use super::inputs::card_type;
use super::options;
use crate::error::Error;
use crate::limits::{upload_limits, BodyClock};
use crate::request::CardType;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a JavaScript string (never copied into wasm memory).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_text(text: &JsValue) -> Result<JsValue, JsValue>;
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

/// Reads the body, at most `limit` bytes: `413` from `Content-Length`
/// before reading, or as soon as the stream passes the limit; `408` when
/// `clock` runs out (a body that trickles in). The rest is cancelled,
/// never buffered. `advice` ends the `413` message.
pub(super) async fn read_limited(
    request: &Request,
    limit: usize,
    clock: &BodyClock,
    advice: &str,
) -> Result<Uint8Array, Error> {
    let too_large =
        || Error::BodyTooLarge(format!("the body is over {}: {advice}", size_text(limit)));
    let declared = match header(request, "content-length") {
        Some(length) => match length.parse::<u64>() {
            Ok(n) if n <= limit as u64 => Some(n as u32),
            _ => return Err(too_large()),
        },
        None => None,
    };
    let Some(stream) = request.body() else {
        return Err(Error::InvalidBody("the body is empty".into()));
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    // With a Content-Length, the bytes go straight into one array;
    // without, the chunks are joined at the end.
    let whole = declared.map(Uint8Array::new_with_length);
    let chunks = Array::new();
    let started = now_ms();
    let mut total = 0usize;
    loop {
        let elapsed = now_ms().saturating_sub(started);
        let Some(left) = clock.remaining_ms(elapsed, total as u64) else {
            let _ = reader.cancel();
            return Err(clock.timed_out(total as u64));
        };
        let left = u32::try_from(left).unwrap_or(u32::MAX);
        let step = match race(settled(&reader.read()), left).await {
            Some(step) => step.map_err(|_| {
                Error::InvalidBody("the body could not be read (the connection ended)".into())
            })?,
            None => {
                let _ = reader.cancel();
                return Err(clock.timed_out(total as u64));
            }
        };
        if Reflect::get(&step, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or_else(|| Error::InvalidBody("the body is not a byte stream".into()))?;
        let at = total;
        total += chunk.length() as usize;
        if total > limit {
            let _ = reader.cancel();
            return Err(too_large());
        }
        match &whole {
            Some(out) if total <= out.length() as usize => out.set(&chunk, at as u32),
            // More than the Content-Length said (a runtime would not let
            // it through): refused like a body over its limit.
            Some(_) => {
                let _ = reader.cancel();
                return Err(too_large());
            }
            None => {
                chunks.push(&chunk);
            }
        }
    }
    if total == 0 {
        return Err(Error::InvalidBody("the body is empty".into()));
    }
    if let Some(out) = whole {
        return Ok(out.subarray(0, total as u32));
    }
    let out = Uint8Array::new_with_length(total as u32);
    let mut offset = 0u32;
    for chunk in chunks.iter() {
        let chunk: Uint8Array = chunk.unchecked_into();
        out.set(&chunk, offset);
        offset += chunk.length();
    }
    Ok(out)
}

/// A size for messages: bytes up to 64 KB, else MB with one decimal.
fn size_text(bytes: usize) -> String {
    if bytes <= 64 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{} MB", crate::request::megabytes(bytes))
    }
}

/// The upload of `POST /ocr/idcard`: JSON `{ cardType, image }` (base64) or
/// multipart with `cardType` and an `image` file. Returns the card side and
/// the image as cleaned base64 bytes of at most `max_image` bytes.
pub(super) async fn ocr_upload(
    request: &Request,
    content_type: &str,
    multipart: bool,
    max_image: usize,
    clock: &BodyClock,
) -> Result<(CardType, Uint8Array), Error> {
    let (json_limit, multipart_limit) = upload_limits(max_image);
    let advice = format!(
        "send an image of at most {} MB as base64",
        crate::request::megabytes(max_image)
    );
    let limit = if multipart {
        multipart_limit
    } else {
        json_limit
    };
    let body = read_limited(request, limit, clock, &advice).await?;
    if !multipart {
        return json_upload(&body, max_image);
    }
    let init = ResponseInit::new();
    let headers =
        Headers::new().map_err(|_| Error::InvalidBody("the body could not be read".into()))?;
    let _ = headers.set("content-type", content_type);
    init.set_headers(&headers);
    let reread = Response::new_with_opt_buffer_source_and_init(Some(&body), &init)
        .map_err(|_| Error::InvalidBody("the body could not be read".into()))?;
    drop(body);
    let form = await_js(reread.form_data())
        .await
        .map_err(|_| Error::InvalidBody("the multipart body is malformed".into()))?;
    let form: web_sys::FormData = form.unchecked_into();
    let side = form
        .get("cardType")
        .as_string()
        .ok_or_else(|| Error::InvalidBody("the form has no cardType field".into()))?;
    let side = card_type(&side)?;
    let blob = form.get("image").dyn_into::<web_sys::Blob>().map_err(|_| {
        Error::InvalidBody("the form has no image file (a field named image)".into())
    })?;
    let bytes = await_js(Ok(blob.array_buffer()))
        .await
        .map_err(|_| Error::InvalidBody("the image file could not be read".into()))?;
    Ok((side, encode_bytes(&Uint8Array::new(&bytes), max_image)?))
}

/// `{ cardType, image }` from a JSON body's bytes.
fn json_upload(body: &Uint8Array, max_image: usize) -> Result<(CardType, Uint8Array), Error> {
    let json = parse_text(&bytes_text(body))
        .map_err(|_| Error::InvalidBody("the body is not valid JSON".into()))?;
    if !is_plain_object(&json) {
        return Err(Error::InvalidBody(
            "the body must be a JSON object { cardType, image }".into(),
        ));
    }
    let mut fields = Vec::with_capacity(2);
    for key in ["cardType", "image"] {
        let v = options::get(&json, key)?;
        if !v.is_string() {
            return Err(Error::InvalidBody(format!(
                "{key} must be a string in the JSON body"
            )));
        }
        fields.push(v);
    }
    let side = options::string(&json, "cardType", Error::InvalidOption)?.unwrap_or_default();
    let side = card_type(&side)?;
    let image = fields.pop().unwrap_or(JsValue::UNDEFINED);
    Ok((side, clean_text(&image, max_image)?))
}

async fn await_js(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    settled(&promise?).await
}
