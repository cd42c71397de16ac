//! `FaceIdClient`: validates, signs, fetches and parses the result queries.
//!
//! Data flow: JS options → validated [`Config`] and inputs (core) → signed
//! request (core) → global `fetch` (here) → envelope and payload rules (core)
//! → a plain JS result object. Response bodies are parsed with the engine's
//! own `JSON.parse` and never copied into WebAssembly memory, so a 10 MB
//! answer with photos and video costs no more than it does in plain
//! JavaScript.

use std::rc::Rc;

use js_sys::{Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::boundary::{
    ascii_bytes, base64_length, define_value, describe_type, string_length, to_js,
};
use super::flight::WaitUntil;
use super::http::{
    error_name, field, headers_object, is_plain_object, own, parse_object, send, sleep, within,
    Outgoing,
};
use super::options;
use super::owner::OwnerReader;
use super::tickets::{Manager, Store};
use super::types::{FaceQueryOptionsArg, OcrQueryOptionsArg, SignedRequestOptionsArg};
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::h5::{self, Callback, FaceStart, Login, SourcePhoto};
use crate::request::{
    check_image_size, CardType, Config, Image, SignedRequest, IMAGE_BODY_TAIL, MAX_IMAGE_BASE64,
};
use crate::response::{self, code_info, files_pending, is_busy, Envelope, Source};
use crate::retry::Policy;
use crate::tickets::Schedule;
use crate::validate;

/// Where the SIGN ticket comes from.
enum TicketSource {
    /// A ticket given at construction, validated then.
    Fixed(String),
    /// `ticketProvider`, called once per query.
    Provider(Function),
    /// `secret`: fetched, cached and refreshed here (optionally through a
    /// shared `store`).
    Managed(Rc<Manager>),
    /// `ticketOwner`: read from the Durable Object that owns the ticket.
    Owner(Rc<OwnerReader>),
}

impl TicketSource {
    fn name(&self) -> &'static str {
        match self {
            TicketSource::Fixed(_) => "ticket",
            TicketSource::Provider(_) => "ticketProvider",
            TicketSource::Managed(_) => "secret",
            TicketSource::Owner(_) => "ticketOwner",
        }
    }
}

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
        /// The cleaned base64 text, encoded once per call and kept in
        /// JavaScript: retries and polls splice it into the body again
        /// without copying it into wasm memory.
        image: JsValue,
        user_id: Option<String>,
    },
    StartFace(Rc<StartInput>),
}

/// The inputs of `startFace`, validated before any network call.
pub(super) struct StartInput {
    pub order_no: String,
    pub user_id: String,
    pub name: String,
    pub id_no: String,
    pub callback_url: String,
    /// The cleaned base64 of the comparison photo and its type.
    pub source_photo: Option<(String, String)>,
    pub result_type: String,
    pub from: String,
    pub redirect_type: String,
}

/// A signed request whose body is a JavaScript string.
struct Prepared {
    request: SignedRequest,
    body: Option<JsValue>,
}

impl Prepared {
    fn outgoing(&self) -> Outgoing<'_> {
        Outgoing {
            url: &self.request.url,
            method: self.request.method.as_str(),
            headers: &self.request.headers,
            body: self.body.as_ref(),
            path: self.request.kind.path(),
        }
    }
}

impl Call {
    fn kind(&self) -> Kind {
        match self {
            Call::Query { kind, .. } => *kind,
            Call::IdCardOcr { .. } => Kind::IdCardOcr,
            Call::StartFace(_) => Kind::StartFace,
        }
    }

    fn order_no(&self) -> &str {
        match self {
            Call::Query { order_no, .. } | Call::IdCardOcr { order_no, .. } => order_no,
            Call::StartFace(input) => &input.order_no,
        }
    }

    fn get_file(&self) -> GetFile {
        match self {
            Call::Query { get_file, .. } => *get_file,
            Call::IdCardOcr { .. } | Call::StartFace(_) => GetFile::None,
        }
    }

    fn build(&self, config: &Config, ticket: &str, nonce: &str) -> Result<Prepared, Error> {
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
                // The engine joins the pieces (a rope: nothing is copied).
                let head = JsString::from(request.body.as_deref().unwrap_or_default());
                let body = head
                    .concat(image)
                    .concat(&JsValue::from_str(IMAGE_BODY_TAIL));
                Ok(Prepared {
                    request,
                    body: Some(body.into()),
                })
            }
            Call::StartFace(input) => {
                let start = FaceStart {
                    order_no: &input.order_no,
                    user_id: &input.user_id,
                    name: &input.name,
                    id_no: &input.id_no,
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

/// Reads `getFile` for `kind`: `"none" | "all" | "photo" | "video"` for the
/// face queries, a boolean for the OCR queries.
fn get_file_option(kind: Kind, options: &JsValue) -> Result<GetFile, Error> {
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
fn describe_value(value: &JsValue) -> String {
    if value.is_string() && string_length(value) > 32 {
        return format!("a string of {} characters", string_length(value));
    }
    match value.as_string() {
        Some(s) => validate::quote(&s),
        None => describe_type(value),
    }
}

/// The image of an `idCardOcr` call as cleaned base64 text in a JavaScript
/// string, encoded once. Its size is checked before anything is copied into
/// wasm memory (base64 text by its length and, past the limit, by its
/// cleaned length counted in JavaScript), and the copies made here are
/// freed before the call goes on.
fn image_option(image: &JsValue) -> Result<JsValue, Error> {
    let cleaned = if image.is_string() {
        let len = string_length(image) as usize;
        if len > MAX_IMAGE_BASE64 {
            // Base64 folded into lines is a few percent longer than clean;
            // text over twice the limit is refused by its length alone.
            let size = if len > 2 * MAX_IMAGE_BASE64 {
                len
            } else {
                base64_length(image) as usize
            };
            check_image_size(size)?;
        }
        match ascii_bytes(image) {
            Some(bytes) => {
                Image::Base64(core::str::from_utf8(&bytes).unwrap_or_default()).to_base64()?
            }
            // Not ASCII, hence not base64: the slow road names the character.
            None => Image::Base64(&image.as_string().unwrap_or_default()).to_base64()?,
        }
    } else if let Some(bytes) = image.dyn_ref::<Uint8Array>() {
        // Checked before copying: 20 MB of base64 is 15 MB of bytes.
        check_image_size((bytes.length() as usize).div_ceil(3) * 4)?;
        Image::Bytes(&bytes.to_vec()).to_base64()?
    } else {
        return Err(Error::InvalidImage(format!(
            "image must be a Uint8Array or a base64 string; got {}",
            describe_type(image)
        )));
    };
    Ok(JsValue::from_str(&cleaned))
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

/// Reads the one ticket source among `ticket`, `ticketProvider`, `secret`
/// (with an optional `store`) and `ticketOwner`.
fn ticket_source(
    options: &JsValue,
    config: &Config,
    timeout_ms: u32,
) -> Result<TicketSource, Error> {
    let names = ["ticket", "ticketProvider", "secret", "ticketOwner"];
    let mut given = Vec::new();
    for name in names {
        if !options::absent(&options::get(options, name)?) {
            given.push(name);
        }
    }
    if given.len() > 1 {
        return Err(Error::InvalidOption(format!(
            "give exactly one of ticket, ticketProvider, secret or ticketOwner; got {}",
            given.join(" and ")
        )));
    }
    let store = options::get(options, "store")?;
    if !options::absent(&store) && given.first() != Some(&"secret") {
        return Err(Error::InvalidOption(
            "store is used only with secret".into(),
        ));
    }
    match given.first().copied() {
        Some("ticket") => {
            let t = options::string(options, "ticket", Error::InvalidTicket)?.unwrap_or_default();
            validate::ticket(&t)?;
            Ok(TicketSource::Fixed(t))
        }
        Some("ticketProvider") => {
            let provider = options::get(options, "ticketProvider")?;
            Ok(TicketSource::Provider(provider.dyn_into::<Function>().map_err(|v| {
                Error::InvalidOption(format!(
                    "ticketProvider must be a function returning (a promise of) the SIGN ticket; got {}",
                    describe_type(&v)
                ))
            })?))
        }
        Some("secret") => {
            let secret = options::string(options, "secret", Error::InvalidOption)?.unwrap_or_default();
            if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::InvalidOption(
                    "secret must be the non-empty printable ASCII secret of the App ID".into(),
                ));
            }
            let store = if options::absent(&store) {
                None
            } else {
                Some(Store::new(store)?)
            };
            let schedule = schedule_option(options)?;
            Ok(TicketSource::Managed(Rc::new(Manager::new(
                config.app_id(),
                secret,
                config.base(crate::endpoints::Host::Server),
                timeout_ms,
                schedule,
                store,
            ))))
        }
        Some(_) => {
            let namespace = options::get(options, "ticketOwner")?;
            Ok(TicketSource::Owner(Rc::new(OwnerReader::new(
                namespace,
                config.app_id(),
                timeout_ms,
            )?)))
        }
        None => Err(Error::InvalidTicket(
            "give the SIGN ticket as ticket, a ticketProvider function, the App ID's secret, or a ticketOwner Durable Object namespace".into(),
        )),
    }
}

/// `refreshIntervalMs` (default 20 minutes) into the core's schedule.
pub fn schedule_option(options: &JsValue) -> Result<Schedule, Error> {
    let mut schedule = Schedule::default();
    if let Some(ms) = options::whole(options, "refreshIntervalMs", 60 * 60 * 1000)? {
        if ms < 1000 {
            return Err(Error::InvalidOption(
                "refreshIntervalMs must be at least 1000".into(),
            ));
        }
        schedule.refresh_every_ms = u64::from(ms);
    }
    Ok(schedule)
}

impl Inner {
    /// The SIGN ticket for one call; `ctx` keeps a background refresh alive.
    /// Remembered (with the one before it) for checking callbacks.
    async fn ticket(&self, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let ticket = self.source_ticket(ctx).await?;
        let mut recent = self.recent.borrow_mut();
        if recent.last() != Some(&ticket) {
            recent.push(ticket.clone());
            if recent.len() > 2 {
                recent.remove(0);
            }
        }
        Ok(ticket)
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
    ) -> Result<JsValue, Error> {
        let call = Call::Query {
            kind,
            order_no,
            get_file,
        };
        self.run(&call, ctx).await
    }

    /// ID card OCR from an image: `input` is `{ cardType, image, userId? }`.
    pub(super) async fn id_card_ocr(
        &self,
        order_no: &str,
        input: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<JsValue, Error> {
        let call = id_card_ocr_call(&JsValue::from_str(order_no), input)?;
        self.run(&call, ctx).await
    }

    /// A fresh NONCE ticket for `user_id`.
    async fn nonce_ticket(&self, user_id: &str, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        match &self.ticket {
            TicketSource::Managed(m) => m.nonce_ticket(user_id, ctx).await,
            TicketSource::Owner(o) => o.nonce_ticket(user_id).await,
            _ => Err(Error::InvalidOption(
                "NONCE tickets need a client made with secret or ticketOwner".into(),
            )),
        }
    }

    /// Starts an H5 face verification: `getAdvFaceId`, a NONCE ticket,
    /// the signed login URL. `{ orderNo, faceId, url, optimalDomain }`.
    pub(super) async fn start_face(
        &self,
        input: Rc<StartInput>,
        ctx: Option<&WaitUntil>,
    ) -> Result<JsValue, Error> {
        let call = Call::StartFace(input.clone());
        let answer = self.run(&call, ctx).await?;
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
        let domain = text(&result, "optimalDomain");
        let base = match &self.login_url {
            Some(base) => base.clone(),
            None => {
                h5::optimal_domain(&domain)?;
                format!("https://{domain}")
            }
        };
        let nonce_ticket = self.nonce_ticket(&input.user_id, ctx).await?;
        let nonce = crate::nonce::nonce()?;
        let url = self.config.login_url(&Login {
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
        Ok(out.into())
    }

    /// Whether a callback's signature verifies against the current SIGN
    /// ticket or the one before it.
    pub(super) async fn verify_callback(&self, callback: &Callback) -> Result<bool, Error> {
        let current = self.ticket(None).await?;
        let mut others = self.recent.borrow().clone();
        let previous = match &self.ticket {
            TicketSource::Managed(m) => m.previous(),
            TicketSource::Owner(o) => o.previous(),
            _ => None,
        };
        others.extend(previous);
        let mut tickets: Vec<&str> = vec![&current];
        for t in &others {
            if !tickets.contains(&t.as_str()) {
                tickets.push(t);
            }
        }
        Ok(callback.verify(self.config.app_id(), &tickets))
    }

    /// The SIGN ticket from the configured source.
    async fn source_ticket(&self, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let provider = match &self.ticket {
            TicketSource::Fixed(t) => return Ok(t.clone()),
            TicketSource::Managed(m) => return m.sign_ticket(ctx).await,
            TicketSource::Owner(o) => return o.sign_ticket(false, ctx).await,
            TicketSource::Provider(f) => f,
        };
        let unavailable = |what: String| Error::TicketUnavailable(what);
        let value = provider
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| unavailable(format!("ticketProvider threw {}", error_name(&e))))?;
        // A provider that never settles must not hang the call: it gets the
        // same deadline as a request.
        let ms = self.policy.timeout_ms;
        let value = within(&value, ms)
            .await
            .ok_or_else(|| {
                unavailable(format!(
                    "ticketProvider did not settle within {ms} ms (timeoutMs)"
                ))
            })?
            .map_err(|e| unavailable(format!("ticketProvider rejected with {}", error_name(&e))))?;
        let ticket = options::bounded(&value, "ticket", Error::InvalidTicket)
            .map_err(|e| unavailable(format!("ticketProvider: {}", e.message())))?
            .ok_or_else(|| {
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
    async fn run(&self, call: &Call, ctx: Option<&WaitUntil>) -> Result<JsValue, Error> {
        let mut ticket = self.ticket(ctx).await?;
        let kind = call.kind();
        let get_file = call.get_file();
        let mut retries = 0;
        let mut polls = 0;
        let mut renewed = false;
        loop {
            let nonce = crate::nonce::nonce()?;
            let prepared = call.build(&self.config, &ticket, &nonce)?;
            let body = send(&prepared.outgoing(), self.policy.timeout_ms).await?;
            let answer = Answer::parse(&body)?;
            if !renewed && self.ticket_error_codes.contains(&answer.envelope.code) {
                // The service says the ticket is no longer valid: renew it
                // once and retry once; never loop.
                if let Some(fresh) = self.renew_ticket(&ticket, ctx).await? {
                    renewed = true;
                    ticket = fresh;
                    continue;
                }
            }
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

    /// A new ticket after the service refused one, or `None` when this
    /// source cannot renew (a fixed ticket).
    async fn renew_ticket(
        &self,
        stale: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<Option<String>, Error> {
        match &self.ticket {
            TicketSource::Fixed(_) => Ok(None),
            TicketSource::Provider(_) => self.ticket(ctx).await.map(Some),
            TicketSource::Managed(m) => m.renew(stale, ctx).await.map(Some),
            TicketSource::Owner(o) => o.sign_ticket(true, ctx).await.map(Some),
        }
    }
}

/// A parsed answer: the JSON object, its `result`, and the envelope.
struct Answer {
    top: Object,
    result: Option<Object>,
    envelope: Envelope,
}

fn keys(obj: &Object) -> Vec<String> {
    Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

impl Answer {
    fn parse(body: &JsValue) -> Result<Answer, Error> {
        let top = parse_object(body)?;
        let result = Some(own(&top, "result"))
            .filter(is_plain_object)
            .map(JsCast::unchecked_into::<Object>);
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
            own(obj, field)
                .dyn_into::<JsString>()
                .is_ok_and(|s| s.length() > 0)
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
            // Defined, never assigned: a "__proto__" key in the answer stays
            // an own key instead of replacing the result's prototype.
            define_value(&payload, &key, &own(from, &key));
        }
        let env = &self.envelope;
        let out = Object::new();
        let set = |k: &str, v: JsValue| define_value(&out, k, &v);
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

/// A short string option of `startFace`, with its default.
fn short_option(input: &JsValue, key: &str, default: &str) -> Result<String, Error> {
    let value =
        options::string(input, key, Error::InvalidOption)?.unwrap_or_else(|| default.into());
    h5::login_option(&value, key)?;
    Ok(value)
}

/// Reads and checks the input of `startFace` (and its `ctx`).
fn start_input(input: &JsValue) -> Result<(StartInput, Option<WaitUntil>), Error> {
    options::object(input, "startFace input", false)?;
    let order_no = match options::get(input, "orderNo")? {
        v if options::absent(&v) => crate::nonce::nonce()?,
        v => options::order_no(&v)?,
    };
    let user_id = options::string(input, "userId", Error::InvalidUserId)?.ok_or_else(|| {
        Error::InvalidUserId(
            "userId is missing: your id for this user (at most 30 letters, digits, '_' or '-')"
                .into(),
        )
    })?;
    validate::user_id(&user_id, validate::NONCE_USER_ID_MAX)?;
    let name = options::string(input, "name", Error::InvalidIdentity)?.ok_or_else(|| {
        Error::InvalidIdentity("name is missing: the person's name as on the ID card".into())
    })?;
    h5::name(&name)?;
    let id_no = options::string(input, "idNo", Error::InvalidIdentity)?.ok_or_else(|| {
        Error::InvalidIdentity("idNo is missing: the person's ID card number".into())
    })?;
    h5::id_no(&id_no)?;
    let callback_url =
        options::string(input, "callbackUrl", Error::InvalidUrl)?.ok_or_else(|| {
            Error::InvalidUrl(
                "callbackUrl is missing: where the face page sends the user back".into(),
            )
        })?;
    h5::browser_url(&callback_url, "callbackUrl")?;
    let photo = options::get(input, "sourcePhoto")?;
    let source_photo = if options::absent(&photo) {
        None
    } else {
        let photo_type = short_option(input, "sourcePhotoType", "2")?;
        Some(source_photo_option(&photo, &photo_type)?)
    };
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
    };
    Ok((start, ctx_option(input)?))
}

/// The comparison photo: a `Uint8Array` or base64 text, at most 500 KB of
/// JPEG or PNG; its size is checked before it is copied.
fn source_photo_option(photo: &JsValue, photo_type: &str) -> Result<(String, String), Error> {
    let too_large = |size: usize| {
        Error::ImageTooLarge(format!(
            "sourcePhoto is {} KB; the service takes at most 500 KB: resize or recompress it",
            size.div_ceil(1024)
        ))
    };
    let text = if photo.is_string() {
        let len = string_length(photo) as usize;
        // Base64 of 500 KB is 683 KB; folded into lines a little more.
        if len > h5::SOURCE_PHOTO_MAX / 3 * 4 * 2 {
            return Err(too_large(len / 4 * 3));
        }
        let text = photo.as_string().unwrap_or_default();
        h5::source_photo_base64(&SourcePhoto {
            image: Image::Base64(&text),
            photo_type,
        })?
    } else if let Some(bytes) = photo.dyn_ref::<Uint8Array>() {
        if bytes.length() as usize > h5::SOURCE_PHOTO_MAX {
            return Err(too_large(bytes.length() as usize));
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

/// `{ valid, orderNo, code, ok }`.
fn verdict_js(callback: &Callback, valid: bool) -> JsValue {
    let out = Object::new();
    let text = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    define_value(&out, "valid", &JsValue::from_bool(valid));
    define_value(&out, "orderNo", &text(&callback.order_no));
    define_value(&out, "code", &text(&callback.code));
    let ok = valid && callback.code.as_deref() == Some("0");
    define_value(&out, "ok", &JsValue::from_bool(ok));
    out.into()
}

/// `{ url, method, headers, body }` for users with their own HTTP stack.
fn request_js(prepared: &Prepared) -> JsValue {
    let request = &prepared.request;
    let out = Object::new();
    let headers = headers_object(&request.headers);
    let _ = Reflect::set(&out, &"url".into(), &request.url.as_str().into());
    let _ = Reflect::set(&out, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&out, &"headers".into(), &headers);
    let body = prepared.body.clone().unwrap_or(JsValue::NULL);
    let _ = Reflect::set(&out, &"body".into(), &body);
    out.into()
}

/// A call's future, boxed.
type CallFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>;

/// Runs `f` on a call read from the arguments (with the `ctx` found among
/// them), as a promise.
fn promise<F>(inner: &Rc<Inner>, call: Result<(Call, Option<WaitUntil>), Error>, f: F) -> Promise
where
    F: FnOnce(Rc<Inner>, Call, Option<WaitUntil>) -> CallFuture + 'static,
{
    let inner = inner.clone();
    future_to_promise(async move {
        let (call, ctx) = call.map_err(to_js)?;
        f(inner, call, ctx).await.map_err(to_js)
    })
}

fn run(inner: Rc<Inner>, call: Call, ctx: Option<WaitUntil>) -> CallFuture {
    Box::pin(async move { inner.run(&call, ctx.as_ref()).await })
}

/// The request context among a call's options (`options.ctx`): a Worker's
/// `ctx`, whose `waitUntil` keeps a ticket refresh alive after the response.
fn ctx_option(options: &JsValue) -> Result<Option<WaitUntil>, Error> {
    WaitUntil::from_js(&options::get(options, "ctx")?)
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
        let ticket = ticket_source(options, &config, policy.timeout_ms)?;
        let ticket_error_codes =
            options::string_list(options, "ticketErrorCodes")?.unwrap_or_default();
        let login_url = options::string(options, "loginUrl", Error::InvalidUrl)?;
        if let Some(url) = &login_url {
            h5::browser_url(url, "loginUrl")?;
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
            Ok((call, ctx_option(options)?))
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
            .and_then(|order_no| Ok((id_card_ocr_call(&order_no, input)?, ctx_option(input)?)));
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
            .and_then(|k| k.ok_or_else(|| {
                Error::InvalidOption(format!(
                    "kind must be one of faceResult, liveResult, idCardOcrResult, bankCardOcrResult, queryFaceRecord, idCardOcr; got {}",
                    describe_value(kind)
                ))
            }))
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
                Ok((call, ctx_option(&options)?))
            });
        promise(&self.inner, call, |inner, call, ctx| {
            Box::pin(async move {
                let ticket = inner.ticket(ctx.as_ref()).await?;
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
        let ctx = options::object(&options, "options", true).and_then(|()| ctx_option(&options));
        future_to_promise(async move {
            let ctx = ctx.map_err(to_js)?;
            let user_id = user_id
                .map_err(to_js)?
                .ok_or_else(|| to_js(Error::InvalidUserId("userId must be a string".into())))?;
            let ticket = inner.nonce_ticket(&user_id, ctx.as_ref()).await;
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
            if matches!(
                inner.ticket,
                TicketSource::Fixed(_) | TicketSource::Provider(_)
            ) {
                return Err(Error::InvalidOption(
                    "startFace() needs a NONCE ticket: make the client with secret or ticketOwner"
                        .into(),
                ));
            }
            Ok(i)
        });
        future_to_promise(async move {
            let (input, ctx) = input.map_err(to_js)?;
            inner
                .start_face(Rc::new(input), ctx.as_ref())
                .await
                .map_err(to_js)
        })
    }

    /// Checks the face page's callback: `params` is the callback's
    /// `URLSearchParams`, its `URL`, its query string or
    /// `{ orderNo, code, newSign }`. Resolves to `{ valid, orderNo, code,
    /// ok }`; `newSign` (or the older `newSignature`) is checked in
    /// constant time against the current SIGN ticket and the one before
    /// it. A wrong or missing signature is `valid: false`, never a throw.
    /// The code is what the page showed: ask `faceResult` for the verdict.
    #[wasm_bindgen(js_name = verifyCallback, unchecked_return_type = "Promise<CallbackVerdict>")]
    pub fn verify_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "URLSearchParams | URL | string | CallbackParams")]
        params: &JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let callback = callback_input(params);
        future_to_promise(async move {
            let callback = callback.map_err(to_js)?;
            let valid = inner.verify_callback(&callback).await.map_err(to_js)?;
            Ok(verdict_js(&callback, valid))
        })
    }

    /// An edge handler bound to this client (see `createEdgeHandler`).
    #[wasm_bindgen(js_name = edgeHandler, unchecked_return_type = "EdgeHandler")]
    pub fn edge_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Omit<EdgeHandlerOptions, \"client\">")]
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        super::edge::handler(self.inner.clone(), options).map_err(to_js)
    }

    /// What an operator needs to see about the ticket: its source, age,
    /// expiry, last refresh and last error. Never a ticket, token or secret.
    #[wasm_bindgen(js_name = ticketStatus, unchecked_return_type = "TicketStatus")]
    pub fn ticket_status(&self) -> JsValue {
        match &self.inner.ticket {
            TicketSource::Managed(m) => m.status_js(),
            TicketSource::Owner(o) => o.status_js(),
            other => {
                let o = Object::new();
                let _ = Reflect::set(&o, &"source".into(), &other.name().into());
                o.into()
            }
        }
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
        let _ = Reflect::set(&o, &"ticketSource".into(), &self.inner.ticket.name().into());
        o.into()
    }
}
