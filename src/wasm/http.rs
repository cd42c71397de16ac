//! HTTP for the client: the global `fetch` with a deadline, JSON parsing
//! by the engine (of the body's bytes: see `js/large.js`; the timers are
//! in `timers.rs`). Messages name the method
//! and path only: URLs can carry the secret, a token or a signature.

use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, Response};

use super::boundary::{bytes_text, define_value, describe_type, own_value, settled};
use super::large::{answer_body, answer_json};
pub use super::timers::{check, now_ms, pause, race, sleep, within, Stop};
use super::web::{fetch, missing, AbortSignalExt};
use crate::endpoints::Method;
use crate::error::Error;
use crate::retry::Breakage;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a JS string, so the body never enters wasm memory.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// The name (and code, when there is one) of a JS error, never its message,
/// which may carry anything.
pub fn error_name(error: &JsValue) -> String {
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

/// The string `code`s of a failed `fetch`'s error and of its causes,
/// outermost first (Node: `TypeError: fetch failed`, no code, its `cause`
/// undici's `SocketError` with `UND_ERR_SOCKET`, or a system error with
/// `ECONNRESET`…). Read, never reported: [`crate::retry::resend_at_once`]
/// decides with them. At most four levels, so a cyclic `cause` ends.
fn error_codes(error: &JsValue) -> Vec<String> {
    let mut codes = Vec::new();
    let mut current = error.clone();
    for _ in 0..4 {
        if !current.is_object() {
            break;
        }
        if let Some(code) = Reflect::get(&current, &"code".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            codes.push(code);
        }
        current = Reflect::get(&current, &"cause".into()).unwrap_or(JsValue::UNDEFINED);
    }
    codes
}

/// What a caller plugs into every exchange: its own `fetch` (a service
/// binding, a proxy, a test double) and an event hook.
#[derive(Clone, Default)]
pub struct Io {
    /// Used instead of the global `fetch` when given.
    pub fetch: Option<Function>,
    /// `onEvent(event)`: told of each request, retry, file poll, ticket
    /// refresh and failure, with timings and codes, never a secret.
    pub on_event: Option<Function>,
}

impl Io {
    /// Whether an `onEvent` hook listens: callers skip building an event's
    /// fields (strings crossed into JavaScript) when none does.
    pub fn listening(&self) -> bool {
        self.on_event.is_some()
    }

    /// Reports an event `{ type, ...fields }`. A hook that throws never
    /// breaks the call.
    pub fn emit(&self, kind: &str, fields: &[(&str, JsValue)]) {
        if let Some(f) = &self.on_event {
            let event = Object::new();
            define_value(&event, "type", &JsValue::from_str(kind));
            for (k, v) in fields {
                define_value(&event, k, v);
            }
            let _ = f.call1(&JsValue::UNDEFINED, &event);
        }
    }
}

/// One HTTP exchange to make: everything `fetch` needs, and how to name it
/// in messages (method and path only: URLs can carry the secret, a token or
/// a signature and never appear in an error).
pub struct Outgoing<'a> {
    /// The full URL.
    pub url: &'a str,
    /// `GET` or `POST`.
    pub method: Method,
    /// Request headers.
    pub headers: &'a [(&'static str, &'static str)],
    /// The body (a JavaScript string), for `POST`.
    pub body: Option<&'a JsValue>,
    /// The path, for messages.
    pub path: &'a str,
}

/// A failed exchange: its error, and how it broke (what decides whether it
/// is sent again at once: [`crate::retry::resend_at_once`]).
pub struct Failed {
    /// What the caller is told when the request is not sent again.
    pub error: Error,
    /// Stopped, no answer at all (with the error's codes), or anything else.
    pub breakage: Breakage,
}

impl From<Error> for Failed {
    /// A failure after an answer began, or before any request.
    fn from(error: Error) -> Failed {
        Failed {
            error,
            breakage: Breakage::Other,
        }
    }
}

impl From<Failed> for Error {
    fn from(failed: Failed) -> Error {
        failed.error
    }
}

impl Failed {
    /// The error the caller sees after `resent` resends (0 or 1): a
    /// `NETWORK` error of a request that was already sent again says so.
    pub fn into_error(self, resent: u32) -> Error {
        match self.error {
            Error::Network(m) if resent > 0 => Error::Network(format!(
                "{m}; it had been sent again at once, after its connection closed under the first attempt"
            )),
            e => e,
        }
    }
}

/// The fields of a `retry` event for a request sent again at once after
/// its connection closed under it (`reason: "socket"`, no backoff).
pub fn resend_fields(
    request: &Outgoing<'_>,
    failed: &Failed,
    resent: u32,
) -> Vec<(&'static str, JsValue)> {
    vec![
        ("reason", JsValue::from_str("socket")),
        ("method", JsValue::from_str(request.method.as_str())),
        ("path", JsValue::from_str(request.path)),
        ("error", JsValue::from_str(failed.error.code())),
        ("attempt", JsValue::from(resent)),
        ("delayMs", JsValue::from(0)),
    ]
}

/// Sends `request` and returns the body (its text, or for a long one its
/// bytes, a `Uint8Array`, for [`parse_object`]), enforcing
/// `timeout_ms` over the whole exchange with an `AbortController`, and
/// stopping early when `stop` fires. Reports it to `io`'s event hook.
/// Sends once: the caller decides about sending again (a signed call with
/// a new nonce) from the [`Failed`] it gets.
pub async fn send(
    request: &Outgoing<'_>,
    timeout_ms: u32,
    io: &Io,
    stop: Option<&Stop>,
) -> Result<JsValue, Failed> {
    check(stop).map_err(|error| Failed {
        error,
        breakage: Breakage::Stopped,
    })?;
    let started = js_sys::Date::now();
    let result = send_once(request, timeout_ms, io, stop).await;
    if !io.listening() {
        return result.map(|(_, text)| text);
    }
    let mut fields = vec![
        ("method", JsValue::from_str(request.method.as_str())),
        ("path", JsValue::from_str(request.path)),
        (
            "durationMs",
            JsValue::from_f64((js_sys::Date::now() - started).max(0.0)),
        ),
    ];
    match &result {
        Ok((status, _)) => fields.push(("status", JsValue::from(*status))),
        Err(f) => {
            let e = &f.error;
            fields.push(("status", e.status().map_or(JsValue::NULL, JsValue::from)));
            fields.push(("error", JsValue::from_str(e.code())));
        }
    }
    io.emit("request", &fields);
    result.map(|(_, text)| text)
}

async fn send_once(
    request: &Outgoing<'_>,
    timeout_ms: u32,
    io: &Io,
    stop: Option<&Stop>,
) -> Result<(u16, JsValue), Failed> {
    let controller =
        AbortController::new().map_err(|_| Failed::from(missing("AbortController")))?;
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        define_value(&init, k, v);
    };
    set("method", &JsValue::from_str(request.method.as_str()));
    set("headers", &headers_object(request.headers));
    if let Some(body) = request.body {
        set("body", body);
    }
    let signal = match stop {
        Some(stop) => AbortSignal::try_any(&Array::of2(&controller.signal(), stop.signal()))
            .unwrap_or_else(|_| controller.signal()),
        None => controller.signal(),
    };
    set("signal", &signal);

    let outcome = race(exchange(request, &init, io), timeout_ms).await;
    if outcome.is_none() {
        // Stops the request and its body, wherever they are.
        controller.abort();
    }

    let what = || format!("{} {}", request.method.as_str(), request.path);
    let stopped = |error| Failed {
        error,
        breakage: Breakage::Stopped,
    };
    let Some(outcome) = outcome else {
        return Err(stopped(Error::Timeout(format!(
            "{} got no complete answer within {timeout_ms} ms (timeoutMs)",
            what()
        ))));
    };
    match outcome {
        // However `fetch` failed, a call its signal or deadline ended is
        // stopped: never sent again.
        Err(_) if stop.is_some_and(|s| s.check().is_err()) => Err(stopped(
            check(stop)
                .err()
                .unwrap_or_else(|| Error::Aborted("aborted".into())),
        )),
        Err(f) => Err(f),
        Ok((status, _)) if !(200..300).contains(&status) => Err(Error::HttpStatus {
            status,
            message: format!("{} answered HTTP {status}", what()),
        }
        .into()),
        Ok(answer) => Ok(answer),
    }
}

/// `fetch` (the caller's, or the global one), then the body.
async fn exchange(
    request: &Outgoing<'_>,
    init: &Object,
    io: &Io,
) -> Result<(u16, JsValue), Failed> {
    let what = || format!("{} {}", request.method.as_str(), request.path);
    let failed = |stage: &str, e: &JsValue| {
        Error::Network(format!("{} failed {stage}: {}", what(), network_detail(e)))
    };
    // `fetch` itself failed: not a byte of an answer was handed over.
    let no_answer = |stage: &str, e: JsValue| Failed {
        error: failed(stage, &e),
        breakage: Breakage::NoAnswer {
            codes: error_codes(&e),
        },
    };
    let promise = match &io.fetch {
        Some(f) => f
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(request.url), init)
            .map(|v| Promise::resolve(&v)),
        None => fetch(request.url, init),
    }
    .map_err(|e| no_answer("to start", e))?;
    let response = settled(&promise)
        .await
        .map_err(|e| no_answer("to connect", e))?;
    if !response.is_object() {
        return Err(Error::Network(format!(
            "{} failed: fetch resolved to {}, not a Response",
            what(),
            describe_type(&response)
        ))
        .into());
    }
    let response: Response = response.unchecked_into();
    let status = response.status();
    // From here on an answer has begun: a failure is never sent again.
    // A long answer is read as bytes: [`parse_object`] decodes them (a
    // photo's base64 once, as a one-byte string; see `js/large.js`).
    let body = answer_body(&response).map_err(|e| failed("reading the answer", &e))?;
    let body = settled(&body)
        .await
        .map_err(|e| failed("reading the answer", &e))?;
    Ok((status, body))
}

/// Parses a JSON body (a JS string, or the UTF-8 bytes [`send`] returns)
/// with the engine's `JSON.parse`, into a plain object; `BAD_RESPONSE`
/// otherwise.
pub fn parse_object(body: &JsValue) -> Result<Object, Error> {
    let bytes = body.dyn_ref::<Uint8Array>();
    let parsed = match bytes {
        Some(bytes) => answer_json(bytes),
        None => json_parse(body),
    };
    let parsed = parsed.map_err(|_| {
        let text = match bytes {
            Some(bytes) => bytes_text(&bytes.subarray(0, 64)),
            None => body.clone(),
        };
        let head = JsString::from(text).slice(0, 16);
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
    Ok(parsed.unchecked_into())
}

/// A plain object of request headers.
pub fn headers_object(headers: &[(&'static str, &'static str)]) -> Object {
    let o = Object::new();
    for (name, value) in headers {
        define_value(&o, name, &JsValue::from_str(value));
    }
    o
}

/// A non-null, non-array object.
pub fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !value.is_null() && !super::boundary::is_array(value)
}

/// The text of a scalar JSON value: strings as they are, numbers and
/// booleans as their JSON text; `None` for anything else.
pub fn scalar_text(value: &JsValue) -> Option<String> {
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

/// `obj[key]` when `key` is an own property of the parsed answer `obj`,
/// else `undefined` (nothing is read from the prototype chain).
pub fn own(obj: &Object, key: &str) -> JsValue {
    own_value(obj, key).unwrap_or(JsValue::UNDEFINED)
}

/// The own property `obj[key]` as scalar text.
pub fn field(obj: &Object, key: &str) -> Option<String> {
    scalar_text(&own(obj, key))
}
