//! One call to the service: what it needs besides the client's state, and
//! its signed request with the body kept in JavaScript (a string; for ID
//! card OCR a `Uint8Array` the image's bytes are joined into, never copied
//! into wasm memory again).

use std::rc::Rc;

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{bytes_text, define_value, join_body};
use super::http::{headers_object, Outgoing};
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::h5::{Device, FaceStart};
use crate::ids::{OrderNo, UserId};
use crate::request::{CardType, Config, SignedRequest, IMAGE_BODY_TAIL};

/// What a query method needs besides the shared state.
#[derive(Clone)]
pub(super) enum Call {
    Query {
        kind: Kind,
        order_no: OrderNo,
        get_file: GetFile,
    },
    IdCardOcr {
        order_no: OrderNo,
        card_type: CardType,
        /// The cleaned base64 text as ASCII bytes (a `Uint8Array`, see
        /// [`super::image`]), made once per call and kept in JavaScript:
        /// retries join it into a new body without copying it into wasm
        /// memory.
        image: Uint8Array,
        user_id: Option<String>,
    },
    StartFace(Rc<StartInput>),
}

/// The inputs of `startFace`, validated before any network call.
pub(super) struct StartInput {
    pub order_no: OrderNo,
    pub user_id: UserId,
    /// Left out only with a comparison photo.
    pub name: Option<String>,
    /// Left out only with a comparison photo.
    pub id_no: Option<String>,
    pub callback_url: String,
    /// The cleaned base64 of the comparison photo and its type.
    pub source_photo: Option<(String, String)>,
    pub result_type: String,
    pub from: String,
    pub redirect_type: String,
    /// The mobile or the PC face page.
    pub device: Device,
    /// `liveInterType`, sent to `getAdvFaceId` when given.
    pub live_inter_type: Option<String>,
}

impl StartInput {
    /// The `getAdvFaceId` of the face SDK: no face page, no callback (the
    /// app receives the outcome; the server queries the verdict).
    pub fn for_sdk(
        order_no: &OrderNo,
        user_id: &UserId,
        name: Option<String>,
        id_no: Option<String>,
        source_photo: Option<(String, String)>,
    ) -> StartInput {
        StartInput {
            order_no: order_no.clone(),
            user_id: user_id.clone(),
            name,
            id_no,
            callback_url: String::new(),
            source_photo,
            result_type: String::new(),
            from: String::new(),
            redirect_type: String::new(),
            device: Device::Mobile,
            live_inter_type: None,
        }
    }
}

/// The inputs of `startSdk`, validated before any network call.
pub(super) struct SdkInput {
    pub order_no: OrderNo,
    pub user_id: UserId,
    /// The face SDK's `getAdvFaceId` (no callback: the app gets the result).
    pub face: Option<StartInput>,
}

/// A signed request whose body is a JavaScript string.
pub(super) struct Prepared {
    pub request: SignedRequest,
    pub body: Option<JsValue>,
}

impl Prepared {
    pub fn outgoing(&self) -> Outgoing<'_> {
        Outgoing {
            url: &self.request.url,
            method: self.request.method,
            headers: &self.request.headers,
            body: self.body.as_ref(),
            path: self.request.kind.path(),
        }
    }
}

impl Call {
    pub fn kind(&self) -> Kind {
        match self {
            Call::Query { kind, .. } => *kind,
            Call::IdCardOcr { .. } => Kind::IdCardOcr,
            Call::StartFace(_) => Kind::StartFace,
        }
    }

    pub fn order_no(&self) -> &OrderNo {
        match self {
            Call::Query { order_no, .. } | Call::IdCardOcr { order_no, .. } => order_no,
            Call::StartFace(input) => &input.order_no,
        }
    }

    pub fn get_file(&self) -> GetFile {
        match self {
            Call::Query { get_file, .. } => *get_file,
            Call::IdCardOcr { .. } | Call::StartFace(_) => GetFile::None,
        }
    }

    pub fn build(&self, config: &Config, ticket: &str, nonce: &str) -> Result<Prepared, Error> {
        match self {
            Call::Query {
                kind,
                order_no,
                get_file,
            } => {
                let request = config.query(*kind, order_no, *get_file, ticket, nonce)?;
                let body = request.body.as_deref().map(JsValue::from_str);
                Ok(Prepared { request, body })
            }
            Call::IdCardOcr {
                order_no,
                card_type,
                image,
                user_id,
            } => {
                let request = config.id_card_ocr_head(
                    order_no,
                    *card_type,
                    user_id.as_deref(),
                    ticket,
                    nonce,
                )?;
                // Joined in JavaScript, into bytes outside the JavaScript
                // heap (a string would be flattened into a second copy).
                let head = request.body.as_deref().unwrap_or_default();
                let body = join_body(head, image, IMAGE_BODY_TAIL);
                Ok(Prepared {
                    request,
                    body: Some(body.into()),
                })
            }
            Call::StartFace(input) => {
                let start = FaceStart {
                    order_no: &input.order_no,
                    user_id: &input.user_id,
                    name: input.name.as_deref(),
                    id_no: input.id_no.as_deref(),
                    live_inter_type: input.live_inter_type.as_deref(),
                    source_photo: input
                        .source_photo
                        .as_ref()
                        .map(|(photo, kind)| (photo.as_str(), kind.as_str())),
                };
                let request = config.start_face(&start, ticket, nonce)?;
                let body = request.body.as_deref().map(JsValue::from_str);
                Ok(Prepared { request, body })
            }
        }
    }
}

/// `{ url, method, headers, body }` for users with their own HTTP stack.
pub(super) fn request_js(prepared: &Prepared) -> JsValue {
    let request = &prepared.request;
    let out = Object::new();
    let headers = headers_object(&request.headers);
    define_value(&out, "url", &request.url.as_str().into());
    define_value(&out, "method", &request.method.as_str().into());
    define_value(&out, "headers", &headers);
    // Text, as the type says (an OCR body is bytes until here).
    let body = match &prepared.body {
        Some(b) if b.is_instance_of::<Uint8Array>() => bytes_text(b.unchecked_ref()),
        Some(b) => b.clone(),
        None => JsValue::NULL,
    };
    define_value(&out, "body", &body);
    out.into()
}
