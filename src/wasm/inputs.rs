//! Reading a call's JavaScript inputs into checked Rust values, before
//! anything is signed or sent: order numbers, `getFile`, images, the
//! `startFace` input, callbacks, a Worker's `ctx`. Sizes are checked before
//! anything large is copied into wasm memory.

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{define_value, describe_type, string_length};
use super::call::{Call, SdkInput, StartInput};
use super::flight::WaitUntil;
use super::http::is_plain_object;
use super::image::{clean_text, encode_bytes};
use super::options;
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::h5::{self, Callback, Device, SourcePhoto};
use crate::ids::{OrderNo, UserId};
use crate::request::{CardType, Image, MAX_IMAGE_BASE64};
use crate::sdk::SdkKind;
use crate::validate;
use web_sys::AbortSignal;

/// Reads `getFile` for `kind`: `"none" | "all" | "photo" | "video"` for the
/// face queries, a boolean for the OCR queries.
pub(super) fn get_file_option(kind: Kind, options: &JsValue) -> Result<GetFile, Error> {
    options::object(options, "options", true)?;
    let value = options::get(options, "getFile")?;
    if options::absent(&value) {
        return Ok(GetFile::None);
    }
    if kind.face_files() {
        let name = options::bounded(&value, "getFile", Error::InvalidOption)?.unwrap_or_default();
        GetFile::from_name(&name).ok_or_else(|| {
            Error::InvalidOption(format!(
                "getFile must be \"none\", \"all\", \"photo\" or \"video\"; got {}",
                describe_value(&value)
            ))
        })
    } else {
        match value.as_bool() {
            Some(true) => Ok(GetFile::All),
            Some(false) => Ok(GetFile::None),
            None => Err(Error::InvalidOption(format!(
                "getFile must be true or false for {}; got {}",
                kind.name(),
                describe_value(&value)
            ))),
        }
    }
}

/// A short description of a value for messages (short strings quoted, long
/// ones by their length without reading them, others by type).
pub(super) fn describe_value(value: &JsValue) -> String {
    if value.is_string() && string_length(value) > 32 {
        return format!("a string of {} characters", string_length(value));
    }
    match value.as_string() {
        Some(s) => validate::quote(&s),
        None => describe_type(value),
    }
}

/// The image of an `idCardOcr` call as cleaned base64 text, ASCII bytes in
/// a JavaScript `Uint8Array`, made once per call a window at a time (see
/// [`super::image`]): nothing of it stays in wasm memory, and retries splice
/// the same bytes into each attempt's body.
pub(super) fn image_option(image: &JsValue) -> Result<Uint8Array, Error> {
    if image.is_string() {
        clean_text(image, MAX_IMAGE_BASE64)
    } else if let Some(bytes) = image.dyn_ref::<Uint8Array>() {
        encode_bytes(bytes, MAX_IMAGE_BASE64)
    } else {
        Err(Error::InvalidImage(format!(
            "image must be a Uint8Array or a base64 string; got {}",
            describe_type(image)
        )))
    }
}

/// The card side named `name`: `"portrait"` or `"emblem"`.
pub(super) fn card_type(name: &str) -> Result<CardType, Error> {
    CardType::from_name(name).ok_or_else(|| {
        Error::InvalidOption(format!(
            "cardType must be \"portrait\" (人像面) or \"emblem\" (国徽面); got {}",
            validate::quote(name)
        ))
    })
}

/// Reads `{ orderNo, cardType, image, userId? }` for `idCardOcr`.
pub(super) fn id_card_ocr_call(order_no: &JsValue, input: &JsValue) -> Result<Call, Error> {
    let order_no = options::order_no(order_no)?;
    let card_type = options::string(input, "cardType", Error::InvalidOption)?.ok_or_else(|| {
        Error::InvalidOption("cardType is missing: \"portrait\" or \"emblem\"".into())
    })?;
    let card_type = self::card_type(&card_type)?;
    let user_id = options::string(input, "userId", Error::InvalidUserId)?;
    if let Some(user_id) = &user_id {
        validate::user_id(user_id, validate::USER_ID_MAX)?;
    }
    let image = image_option(&options::get(input, "image")?)?;
    Ok(Call::IdCardOcr {
        order_no,
        card_type,
        image,
        user_id,
    })
}

/// A short string option of `startFace`, with its default.
pub(super) fn short_option(input: &JsValue, key: &str, default: &str) -> Result<String, Error> {
    let value =
        options::string(input, key, Error::InvalidOption)?.unwrap_or_else(|| default.into());
    h5::login_option(&value, key)?;
    Ok(value)
}

/// The order number of a start: the given one, checked, or a new one.
fn start_order_no(input: &JsValue) -> Result<OrderNo, Error> {
    match options::get(input, "orderNo")? {
        v if options::absent(&v) => OrderNo::fresh(),
        v => options::order_no(&v),
    }
}

/// The `userId` of a start (a NONCE ticket follows: at most 30).
fn start_user_id(input: &JsValue) -> Result<UserId, Error> {
    let user_id = options::string(input, "userId", Error::InvalidUserId)?.ok_or_else(|| {
        Error::InvalidUserId(
            "userId is missing: your id for this user (1 to 30 ASCII letters or digits; hash an e-mail address or UUID first)"
                .into(),
        )
    })?;
    UserId::new(&user_id)
}

/// `name`, `idNo` and `sourcePhoto` (with `sourcePhotoType`): a name and
/// an ID number, or a comparison photo, or both.
type FaceIdentity = (Option<String>, Option<String>, Option<(String, String)>);

fn face_identity(input: &JsValue) -> Result<FaceIdentity, Error> {
    let name = options::string(input, "name", Error::InvalidIdentity)?;
    let id_no = options::string(input, "idNo", Error::InvalidIdentity)?;
    let photo = options::get(input, "sourcePhoto")?;
    let source_photo = if options::absent(&photo) {
        None
    } else {
        let photo_type = short_option(input, "sourcePhotoType", "2")?;
        Some(source_photo_option(&photo, &photo_type)?)
    };
    h5::identity(name.as_deref(), id_no.as_deref(), source_photo.is_some())?;
    Ok((name, id_no, source_photo))
}

/// The `liveInterType` option, if given.
fn live_inter_type(input: &JsValue) -> Result<Option<String>, Error> {
    let value = options::string(input, "liveInterType", Error::InvalidOption)?;
    if let Some(v) = &value {
        h5::login_option(v, "liveInterType")?;
    }
    Ok(value)
}

/// Reads and checks `startFace`'s input.
pub(super) fn start_input(input: &JsValue) -> Result<(StartInput, Ctl), Error> {
    options::object(input, "startFace input", false)?;
    let order_no = start_order_no(input)?;
    let user_id = start_user_id(input)?;
    let callback_url =
        options::string(input, "callbackUrl", Error::InvalidUrl)?.ok_or_else(|| {
            Error::InvalidUrl(
                "callbackUrl is missing: where the face page sends the user back".into(),
            )
        })?;
    h5::browser_url(&callback_url, "callbackUrl")?;
    let (name, id_no, source_photo) = face_identity(input)?;
    let start = StartInput {
        order_no,
        user_id,
        name,
        id_no,
        callback_url,
        source_photo,
        result_type: short_option(input, "resultType", "1")?,
        from: short_option(input, "from", "browser")?,
        redirect_type: short_option(input, "redirectType", "")?,
        device: Device::from_name(&short_option(input, "device", "mobile")?)?,
        live_inter_type: live_inter_type(input)?,
    };
    Ok((start, ctl_option(input)?))
}

/// Reads and checks `startSdk`'s input: `{ kind, userId, orderNo?, name?,
/// idNo?, sourcePhoto?, sourcePhotoType? }` (the identity only for the face
/// SDK, which refuses it for the others).
pub(super) fn sdk_input(input: &JsValue) -> Result<(SdkInput, Ctl), Error> {
    options::object(input, "startSdk input", false)?;
    let kind = options::string(input, "kind", Error::InvalidOption)?.ok_or_else(|| {
        Error::InvalidOption(
            "kind is missing: \"face\", \"liveness\", \"idCardOcr\" or \"bankCardOcr\"".into(),
        )
    })?;
    let kind = SdkKind::from_name(&kind)?;
    let order_no = start_order_no(input)?;
    let user_id = start_user_id(input)?;
    let face = if kind.needs_face_id() {
        let (name, id_no, source_photo) = face_identity(input)?;
        Some(StartInput::for_sdk(
            &order_no,
            &user_id,
            name,
            id_no,
            source_photo,
        ))
    } else {
        for key in ["name", "idNo", "sourcePhoto"] {
            if !options::absent(&options::get(input, key)?) {
                return Err(Error::InvalidOption(format!(
                    "{key} is only for kind \"face\": the {} SDK compares no face",
                    kind.name()
                )));
            }
        }
        None
    };
    let sdk = SdkInput {
        order_no,
        user_id,
        face,
    };
    Ok((sdk, ctl_option(input)?))
}

/// The comparison photo: a `Uint8Array` or base64 text, at most 500 KB of
/// JPEG, PNG or BMP; its size is checked before it is copied.
pub(super) fn source_photo_option(
    photo: &JsValue,
    photo_type: &str,
) -> Result<(String, String), Error> {
    let text = if photo.is_string() {
        let len = string_length(photo) as usize;
        // Base64 of 500 KB is 683 KB; folded into lines a little more.
        if len > h5::SOURCE_PHOTO_MAX / 3 * 4 * 2 {
            return Err(h5::photo_too_large(len / 4 * 3));
        }
        let text = photo.as_string().unwrap_or_default();
        h5::source_photo_base64(&SourcePhoto {
            image: Image::Base64(&text),
            photo_type,
        })?
    } else if let Some(bytes) = photo.dyn_ref::<Uint8Array>() {
        if bytes.length() as usize > h5::SOURCE_PHOTO_MAX {
            return Err(h5::photo_too_large(bytes.length() as usize));
        }
        h5::source_photo_base64(&SourcePhoto {
            image: Image::Bytes(&bytes.to_vec()),
            photo_type,
        })?
    } else {
        return Err(Error::InvalidImage(format!(
            "sourcePhoto must be a Uint8Array or base64 text; got {}",
            describe_type(photo)
        )));
    };
    Ok((text, photo_type.to_owned()))
}

/// Reads a callback from `URLSearchParams`, a `URL`, a query string or
/// `{ orderNo, code, newSign }`.
pub(super) fn callback_input(params: &JsValue) -> Result<Callback, Error> {
    if let Some(url) = params.dyn_ref::<web_sys::Url>() {
        return Ok(Callback::from_query(&url.search()));
    }
    if let Some(search) = params.dyn_ref::<web_sys::UrlSearchParams>() {
        return Ok(Callback::from_query(&String::from(search.to_string())));
    }
    if params.is_string() {
        let len = string_length(params) as usize;
        if len > 8192 {
            return Ok(Callback::default());
        }
        let text = params.as_string().unwrap_or_default();
        let query = match text.split_once('?') {
            Some((_, q)) => q,
            None => &text,
        };
        let query = query.split('#').next().unwrap_or("");
        return Ok(Callback::from_query(query));
    }
    if is_plain_object(params) {
        let field = |k: &str| -> Result<Option<String>, Error> {
            let v = options::get(params, k)?;
            if !v.is_string() || string_length(&v) > 256 {
                return Ok(None);
            }
            Ok(v.as_string())
        };
        return Ok(Callback {
            order_no: field("orderNo")?,
            code: field("code")?,
            new_sign: match field("newSign")? {
                Some(s) => Some(s),
                None => field("newSignature")?,
            },
        });
    }
    Err(Error::InvalidArgument(format!(
        "verifyCallback takes URLSearchParams, a URL, a query string or {{ orderNo, code, newSign }}; got {}",
        describe_type(params)
    )))
}

/// `{ valid, orderNo, code, codeInfo }`. No `ok`: the code is what the
/// face page showed, and a field that read like a verdict was taken for one
/// (the verdict is the result query).
pub(super) fn verdict_js(callback: &Callback, valid: bool) -> JsValue {
    let out = Object::new();
    let text = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    define_value(&out, "valid", &JsValue::from_bool(valid));
    define_value(&out, "orderNo", &text(&callback.order_no));
    define_value(&out, "code", &text(&callback.code));
    // What the code means (the face page's own codes 3001–3005 and 300101
    // among them), only for a callback that verifies.
    let info = match (&callback.code, valid) {
        (Some(code), true) => super::answer::code_info_js(code),
        _ => JsValue::NULL,
    };
    define_value(&out, "codeInfo", &info);
    out.into()
}

/// A call's control options.
pub(super) struct Ctl {
    /// `ctx`: a Worker's `ctx`, whose `waitUntil` keeps a ticket refresh
    /// alive after the response.
    pub ctx: Option<WaitUntil>,
    /// `signal`: aborts the whole call.
    pub signal: Option<AbortSignal>,
    /// `deadlineMs`: the whole call's deadline (retries and polls included).
    pub deadline_ms: Option<u32>,
}

/// Reads `{ ctx, signal, deadlineMs }` among a call's options.
pub(super) fn ctl_option(options: &JsValue) -> Result<Ctl, Error> {
    let ctx = WaitUntil::from_js(&options::get(options, "ctx")?)?;
    let signal = options::get(options, "signal")?;
    let signal = if options::absent(&signal) {
        None
    } else {
        Some(signal.dyn_into::<AbortSignal>().map_err(|v| {
            Error::InvalidOption(format!(
                "signal must be an AbortSignal; got {}",
                describe_type(&v)
            ))
        })?)
    };
    Ok(Ctl {
        ctx,
        signal,
        deadline_ms: options::deadline(options)?,
    })
}
