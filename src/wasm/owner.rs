//! The Durable Object side of ticket ownership: [`TicketManager`], which the
//! package's `TicketOwner` Durable Object wraps, and [`OwnerReader`], which a
//! client in any isolate uses to read the ticket from that one owner.
//!
//! Exactly one owner refreshes: the Durable Object named after the App ID.
//! Isolates read from it and keep the ticket at most 60 s. When the service
//! refuses a ticket, an isolate asks the owner to refresh *if its ticket is
//! still that one* (identified by a digest), so a hundred isolates cause one
//! refresh.

use std::cell::RefCell;
use std::rc::Rc;

use super::boundary::settled;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{define_value, describe_type};
use super::flight::{run, Flight, WaitUntil};
use super::host::DurableObjectNamespaceJs;
use super::http::{error_name, field, is_plain_object, now_ms, own, parse_object, within};
use crate::error::Error;
use crate::tickets::digest;
use web_sys::Response;

mod manager;
pub use manager::TicketManager;

/// How long an isolate keeps a ticket read from the owner.
const ISOLATE_CACHE_MS: u64 = 60_000;
/// Base URL of requests to the owner (never leaves the Durable Object stub).
const OWNER_ORIGIN: &str = "https://ticket-owner.faceid-edge.internal";

/// What a failed call on the namespace, the stub or its answer means.
fn threw(what: &str, e: &JsValue) -> Error {
    Error::TicketUnavailable(format!("ticketOwner: {what} threw {}", error_name(e)))
}

struct Cached {
    value: String,
    /// The ticket the owner's current one replaced, if it still lives.
    previous: Option<String>,
    fetched_at_ms: u64,
    expires_at_ms: u64,
}

/// Reads the SIGN ticket from the `TicketOwner` Durable Object.
pub struct OwnerReader {
    namespace: JsValue,
    app_id: String,
    timeout_ms: u32,
    cache: RefCell<Option<Cached>>,
    /// Ordinary reads.
    read: Flight,
    /// Renewals, and the digest of the refused ticket the running one
    /// replaces: a renewal never joins an ordinary read (which could hand
    /// the refused ticket back).
    renewal: Flight,
    renewing: RefCell<Option<String>>,
    /// The last failure: its code, message and time.
    last_error: RefCell<Option<(&'static str, String, u64)>>,
}

impl OwnerReader {
    /// Checks that `namespace` looks like a Durable Object namespace binding.
    pub fn new(namespace: JsValue, app_id: &str, timeout_ms: u32) -> Result<OwnerReader, Error> {
        for method in ["idFromName", "get"] {
            let f =
                Reflect::get(&namespace, &JsValue::from_str(method)).unwrap_or(JsValue::UNDEFINED);
            if !f.is_function() {
                return Err(Error::InvalidOption(format!(
                    "ticketOwner must be the Durable Object namespace binding of TicketOwner (env.TICKET_OWNER); its {method} is {}",
                    describe_type(&f)
                )));
            }
        }
        Ok(OwnerReader {
            namespace,
            app_id: app_id.to_owned(),
            timeout_ms,
            cache: RefCell::new(None),
            read: Flight::default(),
            renewal: Flight::default(),
            renewing: RefCell::new(None),
            last_error: RefCell::new(None),
        })
    }

    fn cached(&self, now: u64) -> Option<String> {
        self.cache
            .borrow()
            .as_ref()
            .filter(|c| now < c.fetched_at_ms + ISOLATE_CACHE_MS && now + 30_000 < c.expires_at_ms)
            .map(|c| c.value.clone())
    }

    fn bound_ms(&self) -> u64 {
        u64::from(self.timeout_ms) + 1000
    }

    /// The SIGN ticket: from the isolate cache (at most 60 s old), else from
    /// the owner (one request at a time per isolate, never waited on past its
    /// deadline). With `stale_refused`, asks the owner to replace the ticket
    /// this isolate had.
    pub async fn sign_ticket(
        self: &Rc<Self>,
        stale_refused: bool,
        ctx: Option<&WaitUntil>,
    ) -> Result<String, Error> {
        if !stale_refused {
            if let Some(t) = self.cached(now_ms()) {
                return Ok(t);
            }
            let path = self.path("/sign-ticket", None);
            run(&self.read, self.bound_ms(), |id| {
                self.launch(&self.read, id, path.clone(), ctx)
            })
            .await;
            return self.cached(now_ms()).ok_or_else(|| self.unavailable());
        }
        let stale = self.cache.borrow().as_ref().map(|c| c.value.clone());
        let Some(stale) = stale else {
            // Nothing cached to renew: an ordinary read.
            return Box::pin(self.sign_ticket(false, ctx)).await;
        };
        let d = digest(&stale);
        let path = self.path("/sign-ticket", Some(&d));
        if self.renewing.borrow().as_deref() != Some(d.as_str()) {
            // A renewal of another ticket may run: ours must not join it.
            let id = self.renewal.replace(self.bound_ms());
            *self.renewing.borrow_mut() = Some(d.clone());
            let _ = settled(&self.launch(&self.renewal, id, path.clone(), ctx)).await;
        } else {
            run(&self.renewal, self.bound_ms(), |id| {
                self.launch(&self.renewal, id, path.clone(), ctx)
            })
            .await;
        }
        match self.cached(now_ms()) {
            Some(t) if t != stale => Ok(t),
            Some(_) => Err(Error::TicketUnavailable(
                "the TicketOwner answered the renewal with the refused ticket".into(),
            )),
            None => Err(self.unavailable()),
        }
    }

    /// `route?appId=…[&stale=…]`: the App ID tells the owner which app it
    /// is asked for; it refuses another.
    fn path(&self, route: &str, stale: Option<&str>) -> String {
        let app: String = js_sys::encode_uri_component(&self.app_id).into();
        match stale {
            Some(d) => format!("{route}?appId={app}&stale={d}"),
            None => format!("{route}?appId={app}"),
        }
    }

    fn unavailable(&self) -> Error {
        Error::TicketUnavailable(format!(
            "the TicketOwner Durable Object gave no valid SIGN ticket ({})",
            self.last_error
                .borrow()
                .as_ref()
                .map(|(code, message, _)| format!("{code}: {message}"))
                .unwrap_or_else(|| {
                    "its answer did not arrive within the deadline (the request that asked may have ended)".into()
                })
        ))
    }

    /// Runs one request to the owner as flight `id` of `flight`; the answer
    /// lands in the cache, a failure in `last_error`.
    fn launch(
        self: &Rc<Self>,
        flight: &Flight,
        id: u64,
        path: String,
        ctx: Option<&WaitUntil>,
    ) -> Promise {
        let this = self.clone();
        let renewal = std::ptr::eq(flight, &self.renewal);
        flight.launch(id, ctx, async move {
            let outcome = this.ask(&path).await;
            let flight = if renewal { &this.renewal } else { &this.read };
            if !flight.finish(id) {
                return;
            }
            match outcome {
                Ok(top) => {
                    let value = field(&top, "value").unwrap_or_default();
                    let expires_at_ms = field(&top, "expiresAt")
                        .and_then(|e| e.parse().ok())
                        .unwrap_or(0);
                    if crate::validate::ticket(&value).is_err() {
                        *this.last_error.borrow_mut() = Some((
                            "BAD_RESPONSE",
                            "its answer held no valid ticket".into(),
                            now_ms(),
                        ));
                        return;
                    }
                    let previous = field(&top, "previous")
                        .filter(|p| crate::validate::ticket(p).is_ok() && *p != value);
                    *this.cache.borrow_mut() = Some(Cached {
                        value,
                        previous,
                        fetched_at_ms: now_ms(),
                        expires_at_ms,
                    });
                    this.last_error.borrow_mut().take();
                }
                Err(e) => {
                    *this.last_error.borrow_mut() =
                        Some((e.code(), e.message().to_owned(), now_ms()));
                }
            }
            if renewal {
                this.renewing.borrow_mut().take();
            }
        })
    }

    /// The ticket the owner's current one replaced, as last read (for
    /// checking callbacks).
    pub fn previous(&self) -> Option<String> {
        self.cache
            .borrow()
            .as_ref()
            .and_then(|c| c.previous.clone())
    }

    /// A fresh NONCE ticket from the owner.
    pub async fn nonce_ticket(&self, user_id: &str) -> Result<String, Error> {
        crate::validate::user_id(user_id, crate::validate::NONCE_USER_ID_MAX)?;
        let mut path = self.path("/nonce-ticket", None);
        path.push_str("&userId=");
        path.push_str(user_id);
        let top = self.ask(&path).await?;
        field(&top, "value")
            .ok_or_else(|| Error::TicketUnavailable("the TicketOwner gave no NONCE ticket".into()))
    }

    /// What `value` (a promise) settles to within `timeoutMs`; `what` names
    /// the step in errors.
    async fn settled(&self, value: &JsValue, what: &str) -> Result<JsValue, Error> {
        match within(value, self.timeout_ms).await {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(Error::TicketUnavailable(format!(
                "{what} failed: {}",
                error_name(&e)
            ))),
            None => Err(Error::Timeout(format!(
                "{what} did not finish within {} ms (timeoutMs)",
                self.timeout_ms
            ))),
        }
    }

    /// One request to the owner, bounded by `timeoutMs`; its JSON answer.
    async fn ask(&self, path: &str) -> Result<Object, Error> {
        let namespace: &DurableObjectNamespaceJs = self.namespace.unchecked_ref();
        let id = namespace
            .id_from_name(&self.app_id)
            .map_err(|e| threw("idFromName", &e))?;
        let stub = namespace.stub(&id).map_err(|e| threw("get", &e))?;
        let response = stub
            .stub_fetch(&format!("{OWNER_ORIGIN}{path}"))
            .map_err(|e| threw("fetch", &e))?;
        let response = self.settled(&response, "the TicketOwner request").await?;
        if !response.is_object() {
            return Err(Error::TicketUnavailable(
                "ticketOwner: the stub's fetch did not answer with a Response".into(),
            ));
        }
        let response: Response = response.unchecked_into();
        let status = response.status();
        let text = response.text().map_err(|e| threw("text", &e))?;
        let text = self
            .settled(&text, "reading the TicketOwner answer")
            .await?;
        let top = parse_object(&text)?;
        if status != 200 {
            let message = Some(own(&top, "error"))
                .filter(is_plain_object)
                .map(|e| e.unchecked_into::<Object>())
                .and_then(|e| field(&e, "message"))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(Error::TicketUnavailable(format!(
                "the TicketOwner could not serve: {message}"
            )));
        }
        Ok(top)
    }

    /// `{ source: "ticketOwner", hasTicket, cachedAgeMs, ticketExpiresInMs, refreshing, lastError }`.
    pub fn status_js(&self) -> JsValue {
        let now = now_ms();
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            define_value(&o, k, &v);
        };
        let cache = self.cache.borrow();
        set("source", "ticketOwner".into());
        set("hasTicket", JsValue::from_bool(self.cached(now).is_some()));
        set(
            "cachedAgeMs",
            cache.as_ref().map_or(JsValue::NULL, |c| {
                JsValue::from_f64(now.saturating_sub(c.fetched_at_ms) as f64)
            }),
        );
        set(
            "ticketExpiresInMs",
            cache.as_ref().map_or(JsValue::NULL, |c| {
                JsValue::from_f64(c.expires_at_ms.saturating_sub(now) as f64)
            }),
        );
        set(
            "refreshing",
            JsValue::from_bool(self.read.running() || self.renewal.running()),
        );
        let error = match self.last_error.borrow().as_ref() {
            Some((code, message, at)) => {
                let e = Object::new();
                define_value(&e, "code", &JsValue::from_str(code));
                define_value(&e, "message", &JsValue::from_str(message));
                define_value(&e, "at", &JsValue::from_f64(*at as f64));
                e.into()
            }
            None => JsValue::NULL,
        };
        set("lastError", error);
        o.into()
    }
}
