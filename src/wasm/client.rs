//! `FaceIdClient`: validates, signs, fetches and parses the result queries.
//!
//! Data flow: JS options → validated [`Config`] and inputs (core) → signed
//! request (core) → global `fetch` (here) → envelope and payload rules (core)
//! → a plain JS result object. Response bodies are parsed with the engine's
//! own `JSON.parse` and never copied into WebAssembly memory, so a 10 MB
//! answer with photos and video costs no more than it does in plain
//! JavaScript.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::boundary::{describe_type, to_js};
use super::options;
use super::sys::{clear_timeout, fetch, set_timeout, AbortController, Response};
use super::types::{FaceQueryOptionsArg, OcrQueryOptionsArg, SignedRequestOptionsArg};
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::request::{CardType, Config, IdCardOcrInput, Image, SignedRequest};
use crate::response::{self, code_info, files_pending, is_busy, Envelope, Source};
use crate::retry::Policy;
use crate::validate;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a JS string, so the body never enters wasm memory.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// Where the SIGN ticket comes from.
enum TicketSource {
    /// A ticket given at construction, validated then.
    Fixed(String),
    /// `ticketProvider`, called once per query.
    Provider(Function),
}

struct Inner {
    config: Config,
    ticket: TicketSource,
    policy: Policy,
}

/// A client for the FaceID result queries. Holds the SIGN ticket (or a
/// provider of it) on the server side; never exposes it.
#[wasm_bindgen]
pub struct FaceIdClient {
    inner: Rc<Inner>,
}

/// What a query method needs besides the shared state.
#[derive(Clone)]
enum Call {
    Query {
        kind: Kind,
        order_no: String,
        get_file: GetFile,
    },
    IdCardOcr {
        order_no: String,
        card_type: CardType,
        image: ImageData,
        user_id: Option<String>,
    },
}

/// An OCR image as received from JavaScript.
#[derive(Clone)]
enum ImageData {
    Bytes(Rc<Vec<u8>>),
    Base64(Rc<String>),
}

impl Call {
    fn kind(&self) -> Kind {
        match self {
            Call::Query { kind, .. } => *kind,
            Call::IdCardOcr { .. } => Kind::IdCardOcr,
        }
    }

    fn order_no(&self) -> &str {
        match self {
            Call::Query { order_no, .. } | Call::IdCardOcr { order_no, .. } => order_no,
        }
    }

    fn get_file(&self) -> GetFile {
        match self {
            Call::Query { get_file, .. } => *get_file,
            Call::IdCardOcr { .. } => GetFile::None,
        }
    }

    fn build(&self, config: &Config, ticket: &str, nonce: &str) -> Result<SignedRequest, Error> {
        match self {
            Call::Query {
                kind,
                order_no,
                get_file,
            } => config.query(*kind, order_no, *get_file, ticket, nonce),
            Call::IdCardOcr {
                order_no,
                card_type,
                image,
                user_id,
            } => {
                let image = match image {
                    ImageData::Bytes(b) => Image::Bytes(b),
                    ImageData::Base64(s) => Image::Base64(s),
                };
                let input = IdCardOcrInput {
                    order_no,
                    card_type: *card_type,
                    image,
                    user_id: user_id.as_deref(),
                };
                config.id_card_ocr(&input, ticket, nonce)
            }
        }
    }
}

/// Reads `getFile` for `kind`: `"none" | "all" | "photo" | "video"` for the
/// face queries, a boolean for the OCR queries.
fn get_file_option(kind: Kind, options: &JsValue) -> Result<GetFile, Error> {
    options::object(options, "options", true)?;
    let value = options::get(options, "getFile")?;
    if options::absent(&value) {
        return Ok(GetFile::None);
    }
    if kind.face_files() {
        let name = value.as_string().unwrap_or_default();
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

/// A short description of a value for messages (strings quoted, others by type).
fn describe_value(value: &JsValue) -> String {
    match value.as_string() {
        Some(s) => validate::quote(&s),
        None => describe_type(value),
    }
}

/// Reads `{ orderNo, cardType, image, userId? }` for `idCardOcr`.
fn id_card_ocr_call(order_no: &JsValue, input: &JsValue) -> Result<Call, Error> {
    let order_no = options::order_no(order_no)?;
    let card_type = options::string(input, "cardType", Error::InvalidOption)?.ok_or_else(|| {
        Error::InvalidOption("cardType is missing: \"portrait\" or \"emblem\"".into())
    })?;
    let card_type = CardType::from_name(&card_type).ok_or_else(|| {
        Error::InvalidOption(format!(
            "cardType must be \"portrait\" (人像面) or \"emblem\" (国徽面); got {}",
            validate::quote(&card_type)
        ))
    })?;
    let image = options::get(input, "image")?;
    let image = if let Some(text) = image.as_string() {
        ImageData::Base64(Rc::new(text))
    } else if let Some(bytes) = image.dyn_ref::<Uint8Array>() {
        // Checked before copying: 20 MB of base64 is 15 MB of bytes.
        crate::request::check_image_size((bytes.length() as usize).div_ceil(3) * 4)?;
        ImageData::Bytes(Rc::new(bytes.to_vec()))
    } else {
        return Err(Error::InvalidImage(format!(
            "image must be a Uint8Array or a base64 string; got {}",
            describe_type(&image)
        )));
    };
    let user_id = options::string(input, "userId", Error::InvalidUserId)?;
    Ok(Call::IdCardOcr {
        order_no,
        card_type,
        image,
        user_id,
    })
}

impl Inner {
    /// The SIGN ticket for one call.
    async fn ticket(&self) -> Result<String, Error> {
        let provider = match &self.ticket {
            TicketSource::Fixed(t) => return Ok(t.clone()),
            TicketSource::Provider(f) => f,
        };
        let unavailable = |what: String| Error::TicketUnavailable(what);
        let value = provider
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| unavailable(format!("ticketProvider threw {}", error_name(&e))))?;
        let value = JsFuture::from(Promise::resolve(&value))
            .await
            .map_err(|e| unavailable(format!("ticketProvider rejected with {}", error_name(&e))))?;
        let ticket = value.as_string().ok_or_else(|| {
            unavailable(format!(
                "ticketProvider must return (a promise of) the SIGN ticket string; got {}",
                describe_type(&value)
            ))
        })?;
        validate::ticket(&ticket)
            .map_err(|e| unavailable(format!("ticketProvider: {}", e.message())))?;
        Ok(ticket)
    }

    /// Runs a call: sign, send, parse; retries busy codes with backoff and
    /// polls again while requested files lag behind the verdict.
    async fn run(&self, call: &Call) -> Result<JsValue, Error> {
        let ticket = self.ticket().await?;
        let kind = call.kind();
        let get_file = call.get_file();
        let mut retries = 0;
        let mut polls = 0;
        loop {
            let nonce = crate::nonce::nonce()?;
            let request = call.build(&self.config, &ticket, &nonce)?;
            let body = send(&request, self.policy.timeout_ms).await?;
            let answer = Answer::parse(&body)?;
            if is_busy(&answer.envelope.code) && retries < self.policy.retries {
                retries += 1;
                let random = crate::nonce::random_u32()?;
                sleep(self.policy.backoff_ms(retries, random)).await;
                continue;
            }
            let pending = files_pending(kind, get_file, answer.envelope.ok(), |f| answer.has(f));
            if pending && polls < self.policy.file_polls {
                polls += 1;
                sleep(self.policy.file_poll_interval_ms).await;
                continue;
            }
            return answer.into_js(call.order_no(), pending);
        }
    }
}

/// The name (and code, when there is one) of a JS error, never its message,
/// which may carry anything.
fn error_name(error: &JsValue) -> String {
    let name = Reflect::get(error, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| describe_type(error));
    match Reflect::get(error, &"code".into())
        .ok()
        .and_then(|v| v.as_string())
    {
        Some(code) => format!("{name} ({code})"),
        None => name,
    }
}

/// A short, safe account of why `fetch` failed: the error's name and the
/// code of its cause (undici puts ECONNREFUSED, ECONNRESET… there).
fn network_detail(error: &JsValue) -> String {
    let mut detail = error_name(error);
    if let Ok(cause) = Reflect::get(error, &"cause".into()) {
        if cause.is_object() {
            detail.push_str(&format!(", cause: {}", error_name(&cause)));
        }
    }
    detail
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: u32) {
    if ms == 0 {
        return;
    }
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    // A timer promise never rejects.
    let _ = JsFuture::from(promise).await;
}

/// Sends `request` and returns the body text (a JS string), enforcing
/// `timeout_ms` over the whole exchange with an `AbortController`.
async fn send(request: &SignedRequest, timeout_ms: u32) -> Result<JsValue, Error> {
    let controller = AbortController::new();
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&init, &JsValue::from_str(k), v);
    };
    set("method", &JsValue::from_str(request.method.as_str()));
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    set("headers", &headers);
    if let Some(body) = &request.body {
        set("body", &JsValue::from_str(body));
    }
    set("signal", &controller.signal());

    let timed_out = Rc::new(Cell::new(false));
    let on_timeout = {
        let timed_out = timed_out.clone();
        let controller: AbortController = JsValue::clone(&controller).unchecked_into();
        Closure::once(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), timeout_ms);
    let outcome = exchange(request, &init).await;
    clear_timeout(&timer);
    drop(on_timeout);

    let what = || format!("{} {}", request.method.as_str(), request.kind.path());
    match outcome {
        Err(e) if timed_out.get() => Err(Error::Timeout(format!(
            "{} got no complete answer within {timeout_ms} ms (timeoutMs); {}",
            what(),
            e.message()
        ))),
        Err(e) => Err(e),
        Ok((status, _)) if !(200..300).contains(&status) => Err(Error::HttpStatus {
            status,
            message: format!("{} answered HTTP {status}", what()),
        }),
        Ok((_, text)) => Ok(text),
    }
}

/// `fetch`, then the body as text.
async fn exchange(request: &SignedRequest, init: &Object) -> Result<(u16, JsValue), Error> {
    let what = || format!("{} {}", request.method.as_str(), request.kind.path());
    let failed = |stage: &str, e: JsValue| {
        Error::Network(format!("{} failed {stage}: {}", what(), network_detail(&e)))
    };
    let promise = fetch(&request.url, init).map_err(|e| failed("to start", e))?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| failed("to connect", e))?
        .unchecked_into();
    let status = response.status();
    let text = response
        .text()
        .map_err(|e| failed("reading the answer", e))?;
    let text = JsFuture::from(text)
        .await
        .map_err(|e| failed("reading the answer", e))?;
    Ok((status, text))
}

/// A parsed answer: the JSON object, its `result`, and the envelope.
struct Answer {
    top: Object,
    result: Option<Object>,
    envelope: Envelope,
}

/// The text of a scalar JSON value: strings as they are, numbers and
/// booleans as their JSON text; `None` for anything else.
fn scalar_text(value: &JsValue) -> Option<String> {
    if let Some(s) = value.as_string() {
        return Some(s);
    }
    if value.as_f64().is_some() || value.as_bool().is_some() {
        return js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string());
    }
    None
}

fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !value.is_null() && !Array::is_array(value)
}

fn keys(obj: &Object) -> Vec<String> {
    Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

impl Answer {
    fn parse(body: &JsValue) -> Result<Answer, Error> {
        let parsed = json_parse(body).map_err(|_| {
            let head = JsString::from(body.clone()).slice(0, 16);
            let head = head.as_string().unwrap_or_default();
            let hint = if head.trim_start().starts_with('<') {
                " (an HTML page)"
            } else if head.trim_start().starts_with('{') {
                " (truncated or malformed JSON)"
            } else {
                ""
            };
            Error::BadResponse(format!("the answer is not JSON{hint}"))
        })?;
        if !is_plain_object(&parsed) {
            return Err(Error::BadResponse(format!(
                "the answer is JSON but not an object (got {})",
                describe_type(&parsed)
            )));
        }
        let top: Object = parsed.unchecked_into();
        let result = Reflect::get(&top, &"result".into())
            .ok()
            .filter(is_plain_object)
            .map(JsCast::unchecked_into::<Object>);
        let field = |obj: &Object, key: &str| {
            Reflect::get(obj, &JsValue::from_str(key))
                .ok()
                .and_then(|v| scalar_text(&v))
        };
        let envelope = response::envelope(
            |k| field(&top, k),
            |k| result.as_ref().and_then(|r| field(r, k)),
        )?;
        Ok(Answer {
            top,
            result,
            envelope,
        })
    }

    /// Whether the payload has a non-empty string for `field`. Only the
    /// length is read: a multi-megabyte photo is never copied into wasm.
    fn has(&self, field: &str) -> bool {
        let non_empty = |obj: &Object| {
            Reflect::get(obj, &JsValue::from_str(field))
                .ok()
                .and_then(|v| v.dyn_into::<JsString>().ok())
                .is_some_and(|s| s.length() > 0)
        };
        self.result.as_ref().is_some_and(non_empty) || non_empty(&self.top)
    }

    /// `{ ok, code, msg, bizSeqNo, transactionTime, orderNo, result, codeInfo, filesPending }`.
    fn into_js(self, requested_order_no: &str, files_pending: bool) -> Result<JsValue, Error> {
        let payload = Object::new();
        let result_keys = self.result.as_ref().map(keys).unwrap_or_default();
        for (key, source) in response::payload_plan(&keys(&self.top), &result_keys) {
            let from = match (source, &self.result) {
                (Source::Result, Some(r)) => r,
                _ => &self.top,
            };
            let k = JsValue::from_str(&key);
            if let Ok(v) = Reflect::get(from, &k) {
                let _ = Reflect::set(&payload, &k, &v);
            }
        }
        let env = &self.envelope;
        let out = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&out, &JsValue::from_str(k), &v);
        };
        let text_or_null =
            |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        set("ok", JsValue::from_bool(env.ok()));
        set("code", JsValue::from_str(&env.code));
        set("msg", JsValue::from_str(&env.msg));
        set("bizSeqNo", text_or_null(&env.biz_seq_no));
        set("transactionTime", text_or_null(&env.transaction_time));
        set(
            "orderNo",
            JsValue::from_str(env.order_no.as_deref().unwrap_or(requested_order_no)),
        );
        set("result", payload.into());
        set("codeInfo", code_info_js(&env.code));
        set("filesPending", JsValue::from_bool(files_pending));
        Ok(out.into())
    }
}

/// `{ kind, en, zh, retryable }` for a known code, `null` otherwise.
pub fn code_info_js(code: &str) -> JsValue {
    match code_info(code) {
        None => JsValue::NULL,
        Some(info) => {
            let o = Object::new();
            let _ = Reflect::set(&o, &"kind".into(), &info.kind.into());
            let _ = Reflect::set(&o, &"en".into(), &info.en.into());
            let _ = Reflect::set(&o, &"zh".into(), &info.zh.into());
            let _ = Reflect::set(&o, &"retryable".into(), &info.retryable.into());
            o.into()
        }
    }
}

/// `{ url, method, headers, body }` for users with their own HTTP stack.
fn request_js(request: &SignedRequest) -> JsValue {
    let out = Object::new();
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    let _ = Reflect::set(&out, &"url".into(), &request.url.as_str().into());
    let _ = Reflect::set(&out, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&out, &"headers".into(), &headers);
    let body = request
        .body
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str);
    let _ = Reflect::set(&out, &"body".into(), &body);
    out.into()
}

/// Runs `f` to get a call, then the call, as a promise.
fn promise<F>(inner: &Rc<Inner>, call: Result<Call, Error>, f: F) -> Promise
where
    F: FnOnce(
            Rc<Inner>,
            Call,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>
        + 'static,
{
    let inner = inner.clone();
    future_to_promise(async move {
        let call = call.map_err(to_js)?;
        f(inner, call).await.map_err(to_js)
    })
}

fn run(
    inner: Rc<Inner>,
    call: Call,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>> {
    Box::pin(async move { inner.run(&call).await })
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
        let config = Config::new(
            &app_id,
            version.as_deref(),
            server_url.as_deref(),
            kyc_url.as_deref(),
        )?;
        let ticket = options::string(options, "ticket", Error::InvalidTicket)?;
        let provider = options::get(options, "ticketProvider")?;
        let ticket = match (ticket, options::absent(&provider)) {
            (Some(_), false) => {
                return Err(Error::InvalidOption(
                    "give either ticket or ticketProvider, not both".into(),
                ))
            }
            (Some(t), true) => {
                validate::ticket(&t)?;
                TicketSource::Fixed(t)
            }
            (None, false) => TicketSource::Provider(provider.dyn_into::<Function>().map_err(|v| {
                Error::InvalidOption(format!(
                    "ticketProvider must be a function returning (a promise of) the SIGN ticket; got {}",
                    describe_type(&v)
                ))
            })?),
            (None, true) => {
                return Err(Error::InvalidTicket(
                    "give the SIGN ticket as ticket, or a ticketProvider function".into(),
                ))
            }
        };
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
        Ok(FaceIdClient {
            inner: Rc::new(Inner {
                config,
                ticket,
                policy,
            }),
        })
    }

    fn query(&self, kind: Kind, order_no: &JsValue, options: &JsValue) -> Promise {
        let call = options::order_no(order_no).and_then(|order_no| {
            Ok(Call::Query {
                kind,
                order_no,
                get_file: get_file_option(kind, options)?,
            })
        });
        promise(&self.inner, call, run)
    }

    /// Face verification result (seed 002, `GET /api/server/sync`).
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

    /// Liveness result (seed 004, `GET /api/server/getLiveResult`). No public
    /// page beyond the seed describes this endpoint; it is implemented
    /// exactly as the seed says. `getFile` as for `faceResult`.
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

    /// ID card OCR result (seed 000, `GET /api/server/getOcrResult`).
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

    /// Bank card OCR result (seed 001, `GET /api/server/getBankCardOcrResult`;
    /// the seed's example URL names the wrong path). `getFile: true` returns
    /// the images.
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

    /// ID card OCR from an image (seed 003, `POST {kycUrl}/api/paas/idcardocrapp`).
    /// `image`: a `Uint8Array` or base64 text (a `data:` prefix and line
    /// breaks are removed); at most 20 MB of base64.
    #[wasm_bindgen(js_name = idCardOcr, unchecked_return_type = "Promise<QueryResult<IdCardOcrResponse>>")]
    pub fn id_card_ocr(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IdCardOcrInput")] input: &JsValue,
    ) -> Promise {
        let call = options::object(input, "idCardOcr input", false)
            .and_then(|()| options::get(input, "orderNo"))
            .and_then(|order_no| id_card_ocr_call(&order_no, input));
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
        let call = kind
            .as_string()
            .and_then(|k| Kind::from_name(&k))
            .ok_or_else(|| {
                Error::InvalidOption(format!(
                    "kind must be one of faceResult, liveResult, idCardOcrResult, bankCardOcrResult, queryFaceRecord, idCardOcr; got {}",
                    describe_value(kind)
                ))
            })
            .and_then(|kind| {
                if kind == Kind::IdCardOcr {
                    options::object(&options, "options", false)?;
                    id_card_ocr_call(order_no, &options)
                } else {
                    Ok(Call::Query {
                        kind,
                        order_no: options::order_no(order_no)?,
                        get_file: get_file_option(kind, &options)?,
                    })
                }
            });
        promise(&self.inner, call, |inner, call| {
            Box::pin(async move {
                let ticket = inner.ticket().await?;
                let nonce = crate::nonce::nonce()?;
                let request = call.build(&inner.config, &ticket, &nonce)?;
                Ok(request_js(&request))
            })
        })
    }

    /// What `JSON.stringify(client)` shows: the settings, never the ticket.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "FaceIdClientSummary")]
    pub fn to_json(&self) -> JsValue {
        let c = &self.inner.config;
        let o = Object::new();
        let _ = Reflect::set(&o, &"appId".into(), &c.app_id().into());
        let _ = Reflect::set(&o, &"version".into(), &c.version().into());
        let _ = Reflect::set(
            &o,
            &"serverUrl".into(),
            &c.base(crate::endpoints::Host::Server).into(),
        );
        let _ = Reflect::set(
            &o,
            &"kycUrl".into(),
            &c.base(crate::endpoints::Host::Kyc).into(),
        );
        let source = match self.inner.ticket {
            TicketSource::Fixed(_) => "ticket",
            TicketSource::Provider(_) => "ticketProvider",
        };
        let _ = Reflect::set(&o, &"ticketSource".into(), &source.into());
        o.into()
    }
}
