//! `FaceIdClient`: validates, signs, fetches and parses the result queries.
//!
//! Data flow: JS options → validated [`Config`] and inputs (core) → signed
//! request (core) → global `fetch` (here) → envelope and payload rules (core)
//! → a plain JS result object. Response bodies are parsed with the engine's
//! own `JSON.parse` and never copied into WebAssembly memory, so a 10 MB
//! answer with photos and video costs no more than it does in plain
//! JavaScript.

use std::rc::Rc;

use super::task;
use js_sys::{Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::answer::Answer;
use super::boundary::{define_value, to_js};
use super::call::{request_js, Call, SdkInput, StartInput};
use super::flight::WaitUntil;
use super::http::{check, now_ms, own, pause, resend_fields, send, Io, Stop};
use super::inputs::{
    callback_input, ctl_option, describe_value, get_file_option, id_card_ocr_call, sdk_input,
    start_input, verdict_js, Ctl,
};
use super::options;
use super::source::{ticket_source, TicketSource};
use super::types::{FaceQueryOptionsArg, OcrQueryOptionsArg, SignedRequestOptionsArg};
use crate::endpoints::{GetFile, Host, Kind};
use crate::error::Error;
use crate::h5::{self, Callback, Login};
use crate::request::{CardType, Config};
use crate::response::{files_pending, is_busy};
use crate::retry::{resend_at_once, Policy};
use crate::validate;

pub(super) struct Inner {
    /// Codes that mean "this ticket is no longer valid": refresh once and
    /// retry the call once.
    ticket_error_codes: Vec<String>,
    config: Config,
    ticket: TicketSource,
    policy: Policy,
    /// `loginUrl`: replaces `https://{optimalDomain}` in face page URLs.
    login_url: Option<String>,
    /// The last two distinct SIGN tickets this client used, newest last: a
    /// callback signed just before a refresh still verifies.
    recent: std::cell::RefCell<Vec<String>>,
    /// `fetch` and `onEvent`.
    io: Io,
    /// `deadlineMs`: every call's default deadline.
    deadline_ms: Option<u32>,
}

/// A client for the FaceID result queries. Holds the SIGN ticket (or a
/// provider of it) on the server side; never exposes it.
#[wasm_bindgen]
pub struct FaceIdClient {
    pub(super) inner: Rc<Inner>,
}

impl Inner {
    /// The SIGN ticket for one call; `ctx` keeps a background refresh alive.
    /// Remembered (with the one before it) for checking callbacks.
    async fn ticket(&self, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let ticket = self.ticket.get(self.policy.timeout_ms, ctx).await?;
        self.remember(&ticket);
        Ok(ticket)
    }

    /// Keeps `ticket` (and the one before it) for checking callbacks.
    fn remember(&self, ticket: &str) {
        let mut recent = self.recent.borrow_mut();
        if recent.last().map(String::as_str) != Some(ticket) {
            recent.push(ticket.to_owned());
            if recent.len() > 2 {
                recent.remove(0);
            }
        }
    }

    /// A new ticket after the service refused one, or `None` when the
    /// source cannot renew (a fixed ticket).
    async fn renew_ticket(
        &self,
        stale: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<Option<String>, Error> {
        let fresh = self
            .ticket
            .renew(stale, self.policy.timeout_ms, ctx)
            .await?;
        if let Some(t) = &fresh {
            self.remember(t);
        }
        Ok(fresh)
    }

    /// The deadline of one request, in milliseconds.
    pub(super) fn timeout_ms(&self) -> u32 {
        self.policy.timeout_ms
    }

    /// A result query, as a `QueryResult` object.
    pub(super) async fn query(
        &self,
        kind: Kind,
        order_no: String,
        get_file: GetFile,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<JsValue, Error> {
        let call = Call::Query {
            kind,
            order_no,
            get_file,
        };
        self.run(&call, ctx, stop).await
    }

    /// ID card OCR of an image already cleaned (base64 as ASCII bytes, see
    /// [`super::image`]), for the edge handler's upload route.
    pub(super) async fn id_card_ocr_image(
        &self,
        order_no: &str,
        card_type: CardType,
        image: Uint8Array,
        user_id: Option<&str>,
        ctx: Option<&WaitUntil>,
    ) -> Result<JsValue, Error> {
        if let Some(user_id) = user_id {
            validate::user_id(user_id, validate::USER_ID_MAX)?;
        }
        let call = Call::IdCardOcr {
            order_no: order_no.to_owned(),
            card_type,
            image,
            user_id: user_id.map(str::to_owned),
        };
        self.run(&call, ctx, None).await
    }

    /// The longest one call may take: every attempt it may make (busy
    /// retries, file polls, a ticket renewal, a resend) at `timeoutMs`
    /// each, the delays between them, and the ticket; the client's
    /// `deadlineMs` when shorter.
    pub(super) fn call_bound_ms(&self) -> u64 {
        let p = &self.policy;
        let attempts = 4 + u64::from(p.retries) + u64::from(p.file_polls);
        let delays = u64::from(p.retries) * u64::from(p.max_delay_ms)
            + u64::from(p.file_polls) * u64::from(p.file_poll_interval_ms);
        let bound = attempts * u64::from(p.timeout_ms) + delays;
        self.deadline_ms.map_or(bound, |d| bound.min(u64::from(d)))
    }

    /// `getAdvFaceId` for `input`: the `faceId` and the `optimalDomain`
    /// (empty when the service gave none).
    async fn adv_face_id(
        &self,
        input: Rc<StartInput>,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<(String, String), Error> {
        let call = Call::StartFace(input);
        let answer = self.run(&call, ctx, stop).await?;
        let answer: Object = answer.unchecked_into();
        let text = |o: &Object, k: &str| own(o, k).as_string().unwrap_or_default();
        if own(&answer, "ok").as_bool() != Some(true) {
            let code = text(&answer, "code");
            return Err(Error::Rejected {
                message: format!(
                    "getAdvFaceId answered {}: {}",
                    validate::quote(&code),
                    text(&answer, "msg")
                ),
                upstream_code: code,
            });
        }
        let result: Object = own(&answer, "result").unchecked_into();
        let face_id = text(&result, "faceId");
        h5::face_id(&face_id)?;
        Ok((face_id, text(&result, "optimalDomain")))
    }

    /// Starts an H5 face verification: `getAdvFaceId`, a NONCE ticket,
    /// the signed login URL. `{ orderNo, faceId, url, optimalDomain,
    /// device, faceOrigin, faceOriginFrom }`.
    pub(super) async fn start_face(
        &self,
        input: Rc<StartInput>,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<JsValue, Error> {
        let (face_id, domain) = self.adv_face_id(input.clone(), ctx, stop).await?;
        // The face page's origin: `loginUrl` when set; otherwise the
        // service's optimalDomain; when that is empty or missing, the start
        // page says to use the default domain: the kyc host.
        let (base, from) = match &self.login_url {
            Some(base) => (base.clone(), "loginUrl"),
            None if domain.is_empty() => (self.config.base(Host::Kyc).to_owned(), "kycUrl"),
            None => {
                h5::optimal_domain(&domain)?;
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
        let out = Object::new();
        define_value(&out, "orderNo", &JsValue::from_str(&input.order_no));
        define_value(&out, "faceId", &JsValue::from_str(&face_id));
        define_value(&out, "url", &JsValue::from_str(&url));
        let domain = if domain.is_empty() {
            JsValue::NULL
        } else {
            JsValue::from_str(&domain)
        };
        define_value(&out, "optimalDomain", &domain);
        define_value(&out, "device", &JsValue::from_str(input.device.name()));
        define_value(&out, "faceOrigin", &JsValue::from_str(&base));
        define_value(&out, "faceOriginFrom", &JsValue::from_str(from));
        Ok(out.into())
    }

    /// Start parameters for an App SDK: for the face SDK `getAdvFaceId`
    /// first; then a NONCE ticket for the user and the SDK signature.
    /// `{ appId, orderNo, userId, nonce, version, sign, faceId? }`.
    pub(super) async fn start_sdk(
        &self,
        input: SdkInput,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<Object, Error> {
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
        let out = Object::new();
        let c = &self.config;
        for (key, value) in [
            ("appId", c.app_id()),
            ("orderNo", &input.order_no),
            ("userId", &input.user_id),
            ("nonce", &nonce),
            ("version", c.version()),
            ("sign", &sign),
        ] {
            define_value(&out, key, &JsValue::from_str(value));
        }
        if let Some(face_id) = face_id {
            define_value(&out, "faceId", &JsValue::from_str(&face_id));
        }
        Ok(out)
    }

    /// Whether a callback's signature verifies against the current SIGN
    /// ticket or the one before it.
    pub(super) async fn verify_callback(&self, callback: &Callback) -> Result<bool, Error> {
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

    /// Runs a call: sign, send, parse; retries busy codes with backoff,
    /// polls again while requested files lag behind the verdict, and sends
    /// a GET again at once when its connection closed under it.
    async fn run(
        &self,
        call: &Call,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<JsValue, Error> {
        let started = now_ms();
        let outcome = self.attempts(call, ctx, stop).await;
        if !self.io.listening() {
            return outcome;
        }
        let mut fields = vec![
            ("endpoint", JsValue::from_str(call.kind().name())),
            ("orderNo", JsValue::from_str(call.order_no())),
            (
                "durationMs",
                JsValue::from_f64(now_ms().saturating_sub(started) as f64),
            ),
        ];
        match &outcome {
            Ok(answer) => {
                let answer: &Object = answer.unchecked_ref();
                fields.push(("ok", own(answer, "ok")));
                fields.push(("code", own(answer, "code")));
                self.io.emit("result", &fields);
            }
            Err(e) => {
                fields.push(("error", JsValue::from_str(e.code())));
                self.io.emit("failure", &fields);
            }
        }
        outcome
    }

    /// The attempts of one call (see [`Inner::run`]).
    async fn attempts(
        &self,
        call: &Call,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<JsValue, Error> {
        check(stop)?;
        let mut ticket = self.ticket(ctx).await?;
        let kind = call.kind();
        let get_file = call.get_file();
        let mut retries = 0;
        let mut polls = 0;
        let mut renewed = false;
        // How often the current request was sent again after its connection
        // closed under it (not a busy retry: no backoff, not in `retries`).
        let mut resent = 0;
        let event = |kind_: &str, extra: Vec<(&str, JsValue)>| {
            if !self.io.listening() {
                return;
            }
            let mut fields = vec![
                ("endpoint", JsValue::from_str(kind.name())),
                ("orderNo", JsValue::from_str(call.order_no())),
            ];
            fields.extend(extra);
            self.io.emit(kind_, &fields);
        };
        loop {
            check(stop)?;
            // Every attempt, a resend included, gets a new nonce and signature.
            let nonce = crate::nonce::nonce()?;
            let prepared = call.build(&self.config, &ticket, &nonce)?;
            let outgoing = prepared.outgoing();
            let body = match send(&outgoing, self.policy.timeout_ms, &self.io, stop).await {
                Ok(body) => body,
                Err(failed) if resend_at_once(outgoing.method, &failed.breakage, resent) => {
                    // A kept-alive socket the server had closed: at once,
                    // as browsers do (the deadline and signal still hold:
                    // `check` above, `stop` in `send`).
                    resent += 1;
                    event("retry", resend_fields(&outgoing, &failed, resent));
                    continue;
                }
                Err(failed) => return Err(failed.into_error(resent)),
            };
            resent = 0;
            let answer = Answer::parse(&body)?;
            if !renewed && self.ticket_error_codes.contains(&answer.envelope.code) {
                // The service says the ticket is no longer valid: renew it
                // once and retry once; never loop.
                if let Some(fresh) = self.renew_ticket(&ticket, ctx).await? {
                    event(
                        "renew",
                        vec![("code", JsValue::from_str(&answer.envelope.code))],
                    );
                    renewed = true;
                    ticket = fresh;
                    continue;
                }
            }
            if is_busy(&answer.envelope.code) && retries < self.policy.retries {
                retries += 1;
                let random = crate::nonce::random_u32()?;
                let delay = self.policy.backoff_ms(retries, random);
                event(
                    "retry",
                    vec![
                        ("reason", JsValue::from_str("busy")),
                        ("code", JsValue::from_str(&answer.envelope.code)),
                        ("attempt", JsValue::from(retries)),
                        ("delayMs", JsValue::from(delay)),
                    ],
                );
                pause(delay, stop).await?;
                continue;
            }
            let pending = files_pending(kind, get_file, answer.envelope.ok(), |f| answer.has(f));
            if pending && polls < self.policy.file_polls {
                polls += 1;
                let delay = self.policy.file_poll_interval_ms;
                event(
                    "poll",
                    vec![
                        ("attempt", JsValue::from(polls)),
                        ("delayMs", JsValue::from(delay)),
                    ],
                );
                pause(delay, stop).await?;
                continue;
            }
            if let Some(answered) = answer.envelope.order_no.as_deref() {
                if answered != call.order_no() {
                    // Never hand one order's result to a caller who asked for another.
                    return Err(Error::BadResponse(format!(
                        "the answer is about another order ({}), not the one asked for",
                        validate::quote(answered)
                    )));
                }
            }
            return answer.into_js(call.order_no(), pending);
        }
    }
}

/// A call's future, boxed.
type CallFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>;

/// Runs `f` on a call read from the arguments (with the control options
/// found among them), as a promise.
fn promise<F>(inner: &Rc<Inner>, call: Result<(Call, Ctl), Error>, f: F) -> Promise
where
    F: FnOnce(Rc<Inner>, Call, Ctl) -> CallFuture + 'static,
{
    let inner = inner.clone();
    task::promise(async move {
        let (call, ctl) = call.map_err(to_js)?;
        f(inner, call, ctl).await.map_err(to_js)
    })
}

impl Inner {
    /// The end of a call starting now: its signal and deadline (or the
    /// client's `deadlineMs`).
    pub(super) fn stop(&self, ctl: &Ctl) -> Result<Option<Stop>, Error> {
        Stop::new(ctl.signal.clone(), ctl.deadline_ms.or(self.deadline_ms))
    }
}

fn run(inner: Rc<Inner>, call: Call, ctl: Ctl) -> CallFuture {
    Box::pin(async move {
        let stop = inner.stop(&ctl)?;
        inner.run(&call, ctl.ctx.as_ref(), stop.as_ref()).await
    })
}

#[wasm_bindgen]
impl FaceIdClient {
    /// Creates a client. Throws `FaceIdError` for bad options (`INVALID_APP_ID`,
    /// `INVALID_TICKET`, `INVALID_URL`, `INVALID_OPTION`…).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "FaceIdClientOptions")] options: &JsValue,
    ) -> Result<FaceIdClient, JsValue> {
        Self::from_options(options).map_err(to_js)
    }

    fn from_options(options: &JsValue) -> Result<FaceIdClient, Error> {
        options::object(options, "FaceIdClient options", false)?;
        let app_id = options::string(options, "appId", Error::InvalidAppId)?.ok_or_else(|| {
            Error::InvalidAppId("appId is missing: the App ID assigned by Tencent Cloud".into())
        })?;
        let version = options::string(options, "version", Error::InvalidVersion)?;
        let server_url = options::string(options, "serverUrl", Error::InvalidUrl)?;
        let kyc_url = options::string(options, "kycUrl", Error::InvalidUrl)?;
        let hosts = options::hosts(options)?;
        let dev_hosts = options::dev_hosts(options)?;
        let config = Config::with_dev_hosts(
            &app_id,
            version.as_deref(),
            server_url.as_deref(),
            kyc_url.as_deref(),
            hosts,
            &dev_hosts,
        )?;
        let d = Policy::default();
        let policy = Policy {
            timeout_ms: options::whole(options, "timeoutMs", 600_000)?.unwrap_or(d.timeout_ms),
            retries: options::whole(options, "retries", 10)?.unwrap_or(d.retries),
            base_delay_ms: options::whole(options, "retryDelayMs", 60_000)?
                .unwrap_or(d.base_delay_ms),
            max_delay_ms: options::whole(options, "maxRetryDelayMs", 600_000)?
                .unwrap_or(d.max_delay_ms),
            file_polls: options::whole(options, "filePolls", 10)?.unwrap_or(d.file_polls),
            file_poll_interval_ms: options::whole(options, "filePollIntervalMs", 60_000)?
                .unwrap_or(d.file_poll_interval_ms),
        };
        if policy.timeout_ms == 0 {
            return Err(Error::InvalidOption("timeoutMs must be at least 1".into()));
        }
        let io = options::io(options)?;
        let deadline_ms = options::deadline(options)?;
        let ticket = ticket_source(options, &config, policy.timeout_ms, &io)?;
        let ticket_error_codes =
            options::string_list(options, "ticketErrorCodes")?.unwrap_or_default();
        let login_url = options::string(options, "loginUrl", Error::InvalidUrl)?;
        if let Some(url) = &login_url {
            h5::browser_url_allowing(url, "loginUrl", &dev_hosts)?;
            if url.contains('?') {
                return Err(Error::InvalidUrl(
                    "loginUrl must be a base URL without a query, like https://kyc.example.com"
                        .into(),
                ));
            }
        }
        Ok(FaceIdClient {
            inner: Rc::new(Inner {
                ticket_error_codes,
                config,
                ticket,
                policy,
                login_url: login_url.map(|u| u.trim_end_matches('/').to_owned()),
                recent: Default::default(),
                io,
                deadline_ms,
            }),
        })
    }

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
        let input = start_input(input).and_then(|i| {
            if !inner.ticket.has_nonce_tickets() {
                return Err(Error::InvalidOption(
                    "startFace() needs a NONCE ticket: make the client with secret or ticketOwner"
                        .into(),
                ));
            }
            Ok(i)
        });
        task::promise(async move {
            let (input, ctl) = input.map_err(to_js)?;
            let stop = inner.stop(&ctl).map_err(to_js)?;
            let ctx = ctl.ctx;
            inner
                .start_face(Rc::new(input), ctx.as_ref(), stop.as_ref())
                .await
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
        let input = sdk_input(input).and_then(|i| {
            if !inner.ticket.has_nonce_tickets() {
                return Err(Error::InvalidOption(
                    "startSdk() needs a NONCE ticket: make the client with secret or ticketOwner"
                        .into(),
                ));
            }
            Ok(i)
        });
        task::promise(async move {
            let (input, ctl) = input.map_err(to_js)?;
            let stop = inner.stop(&ctl).map_err(to_js)?;
            inner
                .start_sdk(input, ctl.ctx.as_ref(), stop.as_ref())
                .await
                .map(JsValue::from)
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

    /// What an operator needs to see about the ticket: its source, age,
    /// expiry, last refresh and last error. Never a ticket, token or secret.
    #[wasm_bindgen(js_name = ticketStatus, unchecked_return_type = "TicketStatus")]
    pub fn ticket_status(&self) -> JsValue {
        self.inner.ticket.status_js()
    }

    /// What `JSON.stringify(client)` shows: the settings, never the ticket.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "FaceIdClientSummary")]
    pub fn to_json(&self) -> JsValue {
        let c = &self.inner.config;
        let o = Object::new();
        define_value(&o, "appId", &c.app_id().into());
        define_value(&o, "version", &c.version().into());
        define_value(
            &o,
            "serverUrl",
            &c.base(crate::endpoints::Host::Server).into(),
        );
        define_value(&o, "kycUrl", &c.base(crate::endpoints::Host::Kyc).into());
        define_value(&o, "ticketSource", &self.inner.ticket.name().into());
        o.into()
    }
}
