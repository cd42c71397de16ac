//! The query methods of the client: the result queries, ID card OCR from an
//! image, the signed request for one's own HTTP stack, and NONCE tickets.
//! Each reads its arguments once, into a [`Call`], runs it and builds the
//! `QueryResult` object once, where it leaves.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{promise, run, FaceIdClient};
use crate::endpoints::Kind;
use crate::error::Error;
use crate::wasm::boundary::to_js;
use crate::wasm::call::{request_js, Call};
use crate::wasm::inputs::{ctl_option, describe_value, get_file_option, id_card_ocr_call};
use crate::wasm::options;
use crate::wasm::task;
use crate::wasm::types::{FaceQueryOptionsArg, OcrQueryOptionsArg, SignedRequestOptionsArg};

#[wasm_bindgen]
impl FaceIdClient {
    fn query(&self, kind: Kind, order_no: &JsValue, options: &JsValue) -> Promise {
        let call = options::order_no(order_no).and_then(|order_no| {
            let call = Call::Query {
                kind,
                order_no,
                get_file: get_file_option(kind, options)?,
            };
            Ok((call, ctl_option(options)?))
        });
        promise(&self.inner, call, run)
    }

    /// Face verification result (`GET {serverUrl}/api/server/sync`).
    /// `getFile`: `"none"` (default), `"all"`, `"photo"` or `"video"`.
    #[wasm_bindgen(js_name = faceResult, unchecked_return_type = "Promise<QueryResult<FaceResult>>")]
    pub fn face_result(
        &self,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        #[wasm_bindgen(js_name = "options")] options: Option<FaceQueryOptionsArg>,
    ) -> Promise {
        self.query(
            Kind::FaceResult,
            order_no,
            &options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// Liveness result (`GET {serverUrl}/api/server/getLiveResult`). One
    /// official page describes this endpoint; it is implemented exactly as
    /// that page says. `getFile` as for `faceResult`.
    #[wasm_bindgen(js_name = liveResult, unchecked_return_type = "Promise<QueryResult<LiveResult>>")]
    pub fn live_result(
        &self,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        #[wasm_bindgen(js_name = "options")] options: Option<FaceQueryOptionsArg>,
    ) -> Promise {
        self.query(
            Kind::LiveResult,
            order_no,
            &options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// ID card OCR result (`GET {serverUrl}/api/server/getOcrResult`).
    /// `getFile: true` returns the images.
    #[wasm_bindgen(js_name = idCardOcrResult, unchecked_return_type = "Promise<QueryResult<IdCardOcrResult>>")]
    pub fn id_card_ocr_result(
        &self,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        #[wasm_bindgen(js_name = "options")] options: Option<OcrQueryOptionsArg>,
    ) -> Promise {
        self.query(
            Kind::IdCardOcrResult,
            order_no,
            &options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// Bank card OCR result (`GET {serverUrl}/api/server/getBankCardOcrResult`;
    /// the official page's example URL names the wrong path). `getFile: true`
    /// returns the images.
    #[wasm_bindgen(js_name = bankCardOcrResult, unchecked_return_type = "Promise<QueryResult<BankCardOcrResult>>")]
    pub fn bank_card_ocr_result(
        &self,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        #[wasm_bindgen(js_name = "options")] options: Option<OcrQueryOptionsArg>,
    ) -> Promise {
        self.query(
            Kind::BankCardOcrResult,
            order_no,
            &options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// The newer face result query (`POST {kycUrl}/api/v2/base/queryfacerecord`).
    /// `getFile` as for `faceResult`.
    #[wasm_bindgen(js_name = queryFaceRecord, unchecked_return_type = "Promise<QueryResult<FaceRecordResult>>")]
    pub fn query_face_record(
        &self,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        #[wasm_bindgen(js_name = "options")] options: Option<FaceQueryOptionsArg>,
    ) -> Promise {
        self.query(
            Kind::QueryFaceRecord,
            order_no,
            &options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// ID card OCR from an image (`POST {kycUrl}/api/paas/idcardocrapp`).
    /// `image`: a `Uint8Array` or base64 text (a `data:` prefix and line
    /// breaks are removed); at most 20 MB of base64.
    #[wasm_bindgen(js_name = idCardOcr, unchecked_return_type = "Promise<QueryResult<IdCardOcrResponse>>")]
    pub fn id_card_ocr(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IdCardOcrInput")] input: &JsValue,
    ) -> Promise {
        let call = options::object(input, "idCardOcr input", false)
            .and_then(|()| options::get(input, "orderNo"))
            .and_then(|order_no| Ok((id_card_ocr_call(&order_no, input)?, ctl_option(input)?)));
        promise(&self.inner, call, run)
    }

    /// The signed request for `kind` without sending it: `{ url, method,
    /// headers, body }`, for your own HTTP stack. `kind` is a method name
    /// (`"faceResult"`, `"idCardOcr"`…); `options` are that method's options
    /// (for `"idCardOcr"`: `{ cardType, image, userId? }`).
    #[wasm_bindgen(js_name = signedRequest, unchecked_return_type = "Promise<SignedRequestInit>")]
    pub fn signed_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestKind")] kind: &JsValue,
        #[wasm_bindgen(js_name = "orderNo", unchecked_param_type = "string")] order_no: &JsValue,
        options: Option<SignedRequestOptionsArg>,
    ) -> Promise {
        let options = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let call = options::bounded(kind, "kind", Error::InvalidOption)
            .map(|k| k.and_then(|k| Kind::from_name(&k)))
            .and_then(|k| k.ok_or_else(|| Kind::unknown(&describe_value(kind))))
            .and_then(|kind| {
                let call = if kind == Kind::IdCardOcr {
                    options::object(&options, "options", false)?;
                    id_card_ocr_call(order_no, &options)?
                } else {
                    Call::Query {
                        kind,
                        order_no: options::order_no(order_no)?,
                        get_file: get_file_option(kind, &options)?,
                    }
                };
                Ok((call, ctl_option(&options)?))
            });
        promise(&self.inner, call, |inner, call, ctl| {
            Box::pin(async move {
                let ticket = inner.ticket(ctl.ctx.as_ref()).await?;
                let nonce = crate::nonce::nonce()?;
                let prepared = call.build(&inner.config, &ticket, &nonce)?;
                Ok(request_js(&prepared))
            })
        })
    }

    /// A fresh NONCE ticket for `userId` (H5/SDK start): fetched on every
    /// call, never cached (single use, valid 120 s). Needs `secret` (or a
    /// `ticketOwner`).
    #[wasm_bindgen(js_name = nonceTicket, unchecked_return_type = "Promise<string>")]
    pub fn nonce_ticket(
        &self,
        #[wasm_bindgen(js_name = "userId", unchecked_param_type = "string")] user_id: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallContextOptions | undefined")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let user_id = options::bounded(user_id, "userId", Error::InvalidUserId);
        let ctx = options::object(&options, "options", true)
            .and_then(|()| ctl_option(&options))
            .map(|c| c.ctx);
        task::promise(async move {
            let ctx = ctx.map_err(to_js)?;
            let user_id = user_id
                .map_err(to_js)?
                .ok_or_else(|| to_js(Error::InvalidUserId("userId must be a string".into())))?;
            let ticket = inner.ticket.nonce_ticket(&user_id, ctx.as_ref()).await;
            ticket.map(|t| JsValue::from_str(&t)).map_err(to_js)
        })
    }
}
