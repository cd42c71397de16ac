//! The H5 face flow and the App SDK starts of the client: `getAdvFaceId`,
//! a NONCE ticket, the signed login URL or SDK signature, as Rust values
//! ([`Started`], [`SdkParams`]) that the edge handler reads directly; the
//! JavaScript objects are made once, at the export. And `verifyCallback`.

use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use super::{FaceIdClient, Inner};
use crate::endpoints::Host;
use crate::error::Error;
use crate::h5::{self, Callback, Device, Login};
use crate::ids::{OrderNo, UserId};
use crate::validate;
use crate::wasm::boundary::{define_value, to_js};
use crate::wasm::call::{Call, SdkInput, StartInput};
use crate::wasm::flight::WaitUntil;
use crate::wasm::http::{check, Stop};
use crate::wasm::inputs::{callback_input, sdk_input, start_input, verdict_js};
use crate::wasm::task;

/// A started H5 face verification: what `startFace` resolves to.
pub(in crate::wasm) struct Started {
    /// The order.
    pub order_no: OrderNo,
    /// From `getAdvFaceId`.
    pub face_id: String,
    /// The signed URL of the face page: send the user's browser there.
    pub url: String,
    /// The service's `optimalDomain`, when it gave one.
    pub optimal_domain: Option<String>,
    /// The mobile or the PC face page.
    pub device: Device,
    /// The face page's origin.
    pub face_origin: String,
    /// Where that origin came from: `loginUrl`, `optimalDomain` or `kycUrl`.
    pub face_origin_from: &'static str,
}

impl Started {
    /// `{ orderNo, faceId, url, optimalDomain, device, faceOrigin, faceOriginFrom }`.
    pub fn to_js(&self) -> JsValue {
        let out = Object::new();
        let text = |k: &str, v: &str| define_value(&out, k, &JsValue::from_str(v));
        text("orderNo", &self.order_no);
        text("faceId", &self.face_id);
        text("url", &self.url);
        let domain = self
            .optimal_domain
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str);
        define_value(&out, "optimalDomain", &domain);
        text("device", self.device.name());
        text("faceOrigin", &self.face_origin);
        text("faceOriginFrom", self.face_origin_from);
        out.into()
    }
}

/// What an App SDK's start call takes: what `startSdk` resolves to.
pub(in crate::wasm) struct SdkParams {
    /// The client's App ID.
    pub app_id: String,
    /// The order.
    pub order_no: OrderNo,
    /// The user.
    pub user_id: UserId,
    /// The nonce the signature covers.
    pub nonce: String,
    /// The API version.
    pub version: String,
    /// The SDK signature (made with a NONCE ticket).
    pub sign: String,
    /// From `getAdvFaceId`, for the face SDK.
    pub face_id: Option<String>,
}

impl SdkParams {
    /// `{ appId, orderNo, userId, nonce, version, sign, faceId? }`.
    pub fn to_js(&self) -> JsValue {
        let out = Object::new();
        for (key, value) in [
            ("appId", self.app_id.as_str()),
            ("orderNo", self.order_no.as_str()),
            ("userId", self.user_id.as_str()),
            ("nonce", self.nonce.as_str()),
            ("version", self.version.as_str()),
            ("sign", self.sign.as_str()),
        ] {
            define_value(&out, key, &JsValue::from_str(value));
        }
        if let Some(face_id) = &self.face_id {
            define_value(&out, "faceId", &JsValue::from_str(face_id));
        }
        out.into()
    }
}

impl Inner {
    /// `getAdvFaceId` for `input`: the `faceId` and the `optimalDomain`
    /// (`None` when the service gave none or an empty one).
    async fn adv_face_id(
        &self,
        input: Rc<StartInput>,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<(String, Option<String>), Error> {
        let call = Call::StartFace(input);
        let reply = self.run(&call, ctx, stop).await?;
        if !reply.ok() {
            return Err(Error::Rejected {
                message: format!(
                    "getAdvFaceId answered {}: {}",
                    validate::quote(reply.code()),
                    reply.msg()
                ),
                upstream_code: reply.code().to_owned(),
            });
        }
        let face_id = reply.text("faceId").unwrap_or_default();
        h5::face_id(&face_id)?;
        let domain = reply.text("optimalDomain").filter(|d| !d.is_empty());
        Ok((face_id, domain))
    }

    /// Starts an H5 face verification: `getAdvFaceId`, a NONCE ticket,
    /// the signed login URL.
    pub(in crate::wasm) async fn start_face(
        &self,
        input: Rc<StartInput>,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<Started, Error> {
        let (face_id, domain) = self.adv_face_id(input.clone(), ctx, stop).await?;
        // The face page's origin: `loginUrl` when set; otherwise the
        // service's optimalDomain; when that is empty or missing, the start
        // page says to use the default domain: the kyc host.
        let (base, from) = match (&self.login_url, &domain) {
            (Some(base), _) => (base.clone(), "loginUrl"),
            (None, None) => (self.config.base(Host::Kyc).to_owned(), "kycUrl"),
            (None, Some(domain)) => {
                h5::optimal_domain(domain)?;
                (format!("https://{domain}"), "optimalDomain")
            }
        };
        check(stop)?;
        let nonce_ticket = self.ticket.nonce_ticket(&input.user_id, ctx).await?;
        let nonce = crate::nonce::nonce()?;
        let url = self.config.login_url(&Login {
            device: input.device,
            base: &base,
            order_no: &input.order_no,
            face_id: &face_id,
            user_id: &input.user_id,
            callback_url: &input.callback_url,
            result_type: &input.result_type,
            from: &input.from,
            redirect_type: &input.redirect_type,
            nonce_ticket: &nonce_ticket,
            nonce: &nonce,
        })?;
        Ok(Started {
            order_no: input.order_no.clone(),
            face_id,
            url,
            optimal_domain: domain,
            device: input.device,
            face_origin: base,
            face_origin_from: from,
        })
    }

    /// Start parameters for an App SDK: for the face SDK `getAdvFaceId`
    /// first; then a NONCE ticket for the user and the SDK signature.
    pub(in crate::wasm) async fn start_sdk(
        &self,
        input: SdkInput,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<SdkParams, Error> {
        let face_id = match input.face {
            Some(face) => Some(self.adv_face_id(Rc::new(face), ctx, stop).await?.0),
            None => None,
        };
        check(stop)?;
        let nonce_ticket = self.ticket.nonce_ticket(&input.user_id, ctx).await?;
        let nonce = crate::nonce::nonce()?;
        let sign = self
            .config
            .sdk_sign(&input.user_id, &nonce_ticket, &nonce)?;
        let c = &self.config;
        Ok(SdkParams {
            app_id: c.app_id().to_owned(),
            order_no: input.order_no,
            user_id: input.user_id,
            nonce,
            version: c.version().to_owned(),
            sign,
            face_id,
        })
    }

    /// Whether a callback's signature verifies against the current SIGN
    /// ticket or the one before it.
    pub(in crate::wasm) async fn verify_callback(
        &self,
        callback: &Callback,
    ) -> Result<bool, Error> {
        let current = self.ticket(None).await?;
        let mut others = self.recent.borrow().clone();
        others.extend(self.ticket.previous());
        let mut tickets: Vec<&str> = vec![&current];
        for t in &others {
            if !tickets.contains(&t.as_str()) {
                tickets.push(t);
            }
        }
        Ok(callback.verify(self.config.app_id(), &tickets))
    }
}

#[wasm_bindgen]
impl FaceIdClient {
    /// Starts an H5 face verification for one person: `getAdvFaceId`, then
    /// a NONCE ticket for `userId`, then the signed URL of the face page.
    /// Resolves to `{ orderNo, faceId, url, optimalDomain }`; send the
    /// user's browser to `url`. Needs `secret` (or a `ticketOwner`) for the
    /// NONCE ticket. Every input is checked before any network call; a
    /// refusal by the service is `REJECTED` with its code in `upstreamCode`.
    #[wasm_bindgen(js_name = startFace, unchecked_return_type = "Promise<StartFaceResult>")]
    pub fn start_face(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StartFaceInput")] input: &JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let input = start_input(input)
            .and_then(|i| inner.ticket.needs_nonce_tickets("startFace()").map(|()| i));
        task::promise(async move {
            let (input, ctl) = input.map_err(to_js)?;
            let stop = inner.stop(&ctl).map_err(to_js)?;
            let ctx = ctl.ctx;
            inner
                .start_face(Rc::new(input), ctx.as_ref(), stop.as_ref())
                .await
                .map(|started| started.to_js())
                .map_err(to_js)
        })
    }

    /// Start parameters for an App SDK: `kind` is `"face"`, `"liveness"`,
    /// `"idCardOcr"` or `"bankCardOcr"`. Resolves to what the SDK's start
    /// call takes: `{ appId, orderNo, userId, nonce, version, sign }`, and
    /// `faceId` for the face SDK (from `getAdvFaceId`, which needs `name`
    /// and `idNo`, or a `sourcePhoto`). The signature is made with a NONCE
    /// ticket fetched for `userId` (single use, 120 s): start the SDK at
    /// once. Needs `secret` (or a `ticketOwner`). Read the verdict later
    /// with `faceResult`, `liveResult`, `idCardOcrResult` or
    /// `bankCardOcrResult` for `orderNo`.
    #[wasm_bindgen(js_name = startSdk, unchecked_return_type = "Promise<SdkStartParams>")]
    pub fn start_sdk(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StartSdkInput")] input: &JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let input = sdk_input(input)
            .and_then(|i| inner.ticket.needs_nonce_tickets("startSdk()").map(|()| i));
        task::promise(async move {
            let (input, ctl) = input.map_err(to_js)?;
            let stop = inner.stop(&ctl).map_err(to_js)?;
            inner
                .start_sdk(input, ctl.ctx.as_ref(), stop.as_ref())
                .await
                .map(|params| params.to_js())
                .map_err(to_js)
        })
    }

    /// Checks the face page's callback: `params` is the callback's
    /// `URLSearchParams`, its `URL`, its query string or
    /// `{ orderNo, code, newSign }`. Resolves to `{ valid, orderNo, code,
    /// codeInfo }`; `newSign` (or the older `newSignature`) is checked in
    /// constant time against the current SIGN ticket and the one before
    /// it. A wrong or missing signature is `valid: false`, never a throw.
    /// The code is what the page showed, not a verdict (there is no `ok`):
    /// ask `faceResult` for the verdict. The signature covers no time and
    /// no session, so bind the callback to its start yourself (the edge
    /// handler's callback state does).
    #[wasm_bindgen(js_name = verifyCallback, unchecked_return_type = "Promise<CallbackVerdict>")]
    pub fn verify_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "URLSearchParams | URL | string | CallbackParams")]
        params: &JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let callback = callback_input(params);
        task::promise(async move {
            let callback = callback.map_err(to_js)?;
            let valid = inner.verify_callback(&callback).await.map_err(to_js)?;
            Ok(verdict_js(&callback, valid))
        })
    }
}
