//! `POST {prefix}/start` (an H5 face verification for the signed-in user:
//! the face page's URL and an order token) and `POST {prefix}/sdk/start`
//! (an App SDK's start parameters and an order token), and the small JSON
//! bodies they take.

use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, Url};

use super::respond::{header, json_response};
use super::Handler;
use crate::callback_state;
use crate::edge::{self as policy, Route};
use crate::error::Error;
use crate::h5::Device;
use crate::ids::OrderNo;
use crate::limits::BodyClock;
use crate::order_token::TokenKind;
use crate::sdk::SdkKind;
use crate::wasm::body::read_limited;
use crate::wasm::boundary::{define_value, describe_type};
use crate::wasm::call::{SdkInput, StartInput};
use crate::wasm::flight::WaitUntil;
use crate::wasm::http::{is_plain_object, now_ms};
use crate::wasm::options;

impl Handler {
    pub(super) async fn start(
        &self,
        request: &Request,
        url: &Url,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        let who = self.signed_in(request, env).await?;
        let (name, id_no) = who.person()?;
        self.limits
            .rate
            .check(Route::Start, Some(who.user_id.as_str()), request, env)
            .await?;
        // `{ device: "pc" }` opens the PC face page; no body, the mobile one.
        let device = match small_json(request, false, &self.limits.clock).await? {
            Some(body) => match options::string(&body, "device", Error::InvalidBody)? {
                Some(name) => Device::from_name(&name)
                    .map_err(|e| Error::InvalidBody(e.message().to_owned()))?,
                None => Device::Mobile,
            },
            None => Device::Mobile,
        };
        let order_no = OrderNo::fresh()?;
        // The face page keeps the callback URL's query: the state rides in
        // it and binds the callback to this start (order, user, expiry).
        let state = self
            .states
            .mint(&order_no, &who.user_id, now_ms() + self.states.ttl_ms())?;
        let callback_url = callback_state::with_state(
            &format!("{}{}/callback", self.gate.url_origin(url)?, self.prefix),
            &state,
        );
        self.hooks
            .started(TokenKind::Face, &order_no, &who.user_id, request)
            .await?;
        let input = StartInput {
            order_no,
            user_id: who.user_id.clone(),
            name: Some(name),
            id_no: Some(id_no),
            callback_url,
            source_photo: None,
            result_type: self.result_type.clone(),
            from: self.from.clone(),
            redirect_type: self.redirect_type.clone(),
            device,
            live_inter_type: self.live_inter_type.clone(),
        };
        let order_no = input.order_no.clone();
        let started = self.client.start_face(Rc::new(input), ctx, None).await?;
        let grant = self.grant(TokenKind::Face, &order_no, Some(who.user_id.as_str()))?;
        let out = Object::new();
        define_value(&out, "ok", &JsValue::TRUE);
        define_value(&out, "orderNo", &JsValue::from_str(&order_no));
        define_value(&out, "url", &JsValue::from_str(&started.url));
        grant.define_in(&out);
        Ok(json_response(&out, 200, &[]))
    }

    /// `POST /sdk/start` with `{ kind }`: start parameters for the App
    /// SDK of `kind` for the signed-in user, and an order token for the
    /// result route that reads its verdict.
    pub(super) async fn sdk_start(
        &self,
        request: &Request,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        let who = self.signed_in(request, env).await?;
        self.limits
            .rate
            .check(Route::SdkStart, Some(who.user_id.as_str()), request, env)
            .await?;
        let body = small_json(request, true, &self.limits.clock)
            .await?
            .unwrap_or(JsValue::UNDEFINED);
        let kind = options::string(&body, "kind", Error::InvalidBody)?.ok_or_else(|| {
            Error::InvalidBody(
                "send JSON { kind } with kind \"face\", \"liveness\", \"idCardOcr\" or \"bankCardOcr\"".into(),
            )
        })?;
        let kind =
            SdkKind::from_name(&kind).map_err(|e| Error::InvalidBody(e.message().to_owned()))?;
        let order_no = OrderNo::fresh()?;
        let face = if kind.needs_face_id() {
            let (name, id_no) = who.person()?;
            Some(StartInput::for_sdk(
                &order_no,
                &who.user_id,
                Some(name),
                Some(id_no),
                None,
            ))
        } else {
            None
        };
        let input = SdkInput {
            order_no: order_no.clone(),
            user_id: who.user_id.clone(),
            face,
        };
        self.hooks
            .started(kind.token_kind(), &order_no, &who.user_id, request)
            .await?;
        let params = self.client.start_sdk(input, ctx, None).await?;
        let grant = self.grant(kind.token_kind(), &order_no, Some(who.user_id.as_str()))?;
        let out = Object::new();
        define_value(&out, "ok", &JsValue::TRUE);
        define_value(&out, "kind", &JsValue::from_str(kind.name()));
        define_value(&out, "orderNo", &JsValue::from_str(&order_no));
        grant.define_in(&out);
        define_value(&out, "sdk", &params.to_js());
        Ok(json_response(&out, 200, &[]))
    }
}

/// A small JSON object body (at most 16 KB, within `clock`), or `None`
/// when the request has none and `required` is false.
pub(super) async fn small_json(
    request: &Request,
    required: bool,
    clock: &BodyClock,
) -> Result<Option<JsValue>, Error> {
    let what = "the body must be a JSON object";
    if request.body().is_none() {
        return if required {
            Err(Error::InvalidBody(format!("{what}; got none")))
        } else {
            Ok(None)
        };
    }
    let advice = "this route takes a small JSON object";
    let bytes = match read_limited(request, policy::MAX_SMALL_BODY, clock, advice).await {
        Ok(bytes) => bytes,
        // An empty body is no body.
        Err(Error::InvalidBody(_))
            if !required && header(request, "content-length").as_deref() == Some("0") =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::InvalidBody(format!("{what} in UTF-8")))?;
    let json = js_sys::JSON::parse(&text)
        .map_err(|_| Error::InvalidBody("the body is not valid JSON".into()))?;
    if !is_plain_object(&json) {
        return Err(Error::InvalidBody(format!(
            "{what}; got {}",
            describe_type(&json)
        )));
    }
    Ok(Some(json))
}
