//! `POST {prefix}/ocr/idcard`: an ID card image (JSON with base64, or a
//! multipart upload) read within its limits, recognised by the service,
//! answered trimmed with an order token for its result route.

use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};

use super::respond::{header, json_response};
use super::Handler;
use crate::edge::Route;
use crate::endpoints::Kind;
use crate::error::Error;
use crate::ids::OrderNo;
use crate::order_token::TokenKind;
use crate::wasm::body::ocr_upload;
use crate::wasm::flight::WaitUntil;

impl Handler {
    pub(super) async fn ocr(
        &self,
        request: &Request,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        // The type is matched whole, in any case; the header is passed on as
        // it came (a multipart boundary is case-sensitive).
        let content_type = header(request, "content-type").unwrap_or_default();
        let multipart = match crate::body_type::body_type(&content_type) {
            Some(kind) => kind == crate::body_type::BodyType::Multipart,
            None => return Err(Error::InvalidBody(
                "send JSON { cardType, image } (image as base64, Content-Type application/json in UTF-8) or multipart/form-data with cardType and an image file".into(),
            )),
        };
        let who = self.identity(request, env).await?;
        if who.is_none() && !self.gate.anonymous.allows(Route::OcrIdCard) {
            return Err(Error::Unauthorized(
                "sign in first: the identity hook names no user, and allowAnonymous does not name \"ocr\"".into(),
            ));
        }
        let user = who.as_ref().map(|w| w.user_id.as_str());
        // Asked before the upload is read: a refused caller costs no more.
        self.limits
            .rate
            .check(Route::OcrIdCard, user, request, env)
            .await?;
        let limits = &self.limits;
        let (side, image) = ocr_upload(
            request,
            &content_type,
            multipart,
            limits.max_image,
            &limits.clock,
        )
        .await?;
        let order_no = OrderNo::fresh()?;
        let reply = self
            .client
            .id_card_ocr_image(&order_no, side, image, user, ctx)
            .await?;
        let out = self.trimmed(Kind::IdCardOcr, &reply);
        let user = who.as_ref().map(|w| w.user_id.as_str());
        self.hooks
            .finished(TokenKind::IdCard, &order_no, user, &reply, ctx)
            .await;
        let grant = self.grant(
            TokenKind::IdCard,
            &order_no,
            who.as_ref().map(|w| w.user_id.as_str()),
        )?;
        grant.define_in(&out);
        Ok(json_response(&out, 200, &[]))
    }
}
