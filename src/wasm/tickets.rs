//! Ticket management for a client configured with `secret`: the access token
//! and SIGN ticket are fetched, cached and refreshed here, by one single
//! flight at a time, optionally coordinated with other processes through a
//! shared store (see [`Store`]). The rules and the schedule are the core's
//! ([`crate::tickets`]); this module does the fetching and the waiting.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::boundary::describe_type;
use super::http::{call_method, error_name, field, now_ms, parse_object, send, sleep, Outgoing};
use crate::error::Error;
use crate::tickets::{
    credential, ticket_url, token_url, Credential, Plan, Schedule, TicketState, TicketType,
    TICKET_PATH, TOKEN_PATH,
};

/// A shared store for several processes (see the `TicketStore` contract in
/// the TypeScript types): `get`, `set` with a time-to-live, and a lock with
/// an expiry. Values are JSON text.
pub struct Store {
    object: JsValue,
}

impl Store {
    /// Checks that `object` has the four methods.
    pub fn new(object: JsValue) -> Result<Store, Error> {
        for method in ["get", "set", "lock", "unlock"] {
            let f = Reflect::get(&object, &JsValue::from_str(method)).unwrap_or(JsValue::UNDEFINED);
            if !f.is_function() {
                return Err(Error::InvalidOption(format!(
                    "store must have async get, set, lock and unlock methods; {method} is {}",
                    describe_type(&f)
                )));
            }
        }
        Ok(Store { object })
    }

    async fn call(&self, method: &str, args: &[JsValue]) -> Result<JsValue, Error> {
        let value = call_method(
            &self.object,
            method,
            args,
            "store",
            Error::TicketUnavailable,
        )?;
        JsFuture::from(Promise::resolve(&value)).await.map_err(|e| {
            Error::TicketUnavailable(format!("store.{method} rejected with {}", error_name(&e)))
        })
    }
}

/// The JSON kept in the store: the token and the SIGN ticket with times.
fn encode(token: &Credential, ticket: &Credential) -> JsValue {
    let c = |c: &Credential| {
        let o = Object::new();
        let _ = Reflect::set(&o, &"value".into(), &c.value.as_str().into());
        let _ = Reflect::set(
            &o,
            &"obtainedAt".into(),
            &JsValue::from_f64(c.obtained_at_ms as f64),
        );
        let _ = Reflect::set(
            &o,
            &"expiresAt".into(),
            &JsValue::from_f64(c.expires_at_ms as f64),
        );
        o
    };
    let o = Object::new();
    let _ = Reflect::set(&o, &"token".into(), &c(token));
    let _ = Reflect::set(&o, &"ticket".into(), &c(ticket));
    js_sys::JSON::stringify(&o)
        .map(JsValue::from)
        .unwrap_or(JsValue::NULL)
}

fn decode(text: &JsValue) -> Option<(Credential, Credential)> {
    let top = parse_object(text).ok()?;
    let read = |key: &str| -> Option<Credential> {
        let o: Object = Reflect::get(&top, &JsValue::from_str(key))
            .ok()?
            .dyn_into()
            .ok()?;
        let value = field(&o, "value")?;
        let obtained_at_ms = field(&o, "obtainedAt")?.parse().ok()?;
        let expires_at_ms = field(&o, "expiresAt")?.parse().ok()?;
        Some(Credential {
            value,
            obtained_at_ms,
            expires_at_ms,
        })
    };
    Some((read("token")?, read("ticket")?))
}

/// Owns the token and SIGN ticket for one app.
pub struct Manager {
    app_id: String,
    secret: String,
    base: String,
    timeout_ms: u32,
    schedule: Schedule,
    state: RefCell<TicketState>,
    inflight: RefCell<Option<Promise>>,
    store: Option<Store>,
    /// Digest of the last ticket the service refused: never adopted again
    /// from the store.
    refused: RefCell<Option<String>>,
}

impl Manager {
    /// A manager for `app_id` at `base` (the `serverUrl`).
    pub fn new(
        app_id: &str,
        secret: String,
        base: &str,
        timeout_ms: u32,
        schedule: Schedule,
        store: Option<Store>,
    ) -> Manager {
        Manager {
            app_id: app_id.to_owned(),
            secret,
            base: base.to_owned(),
            timeout_ms,
            schedule,
            state: RefCell::new(TicketState::default()),
            inflight: RefCell::new(None),
            store,
            refused: RefCell::new(None),
        }
    }

    fn store_key(&self, what: &str) -> String {
        format!("faceid-edge:{}:{what}", self.app_id)
    }

    /// The SIGN ticket to use now: cached, or after the (single) refresh.
    pub async fn sign_ticket(self: &Rc<Self>) -> Result<String, Error> {
        let plan = self.state.borrow().plan(now_ms(), &self.schedule);
        match plan {
            Plan::Use(t) => Ok(t),
            Plan::UseAndRefresh(t) => {
                // In the background: callers keep the still-valid ticket.
                let _ = self.refresh_promise();
                Ok(t)
            }
            Plan::Refresh => self.refresh_shared().await,
            Plan::Unavailable { reason, .. } => Err(Error::TicketUnavailable(format!(
                "no valid SIGN ticket, and the last refresh failed: {reason}"
            ))),
        }
    }

    /// The current SIGN ticket and its expiry, if usable.
    pub fn current(&self) -> Option<(String, u64)> {
        let now = now_ms();
        let state = self.state.borrow();
        match state.plan(now, &self.schedule) {
            Plan::Use(v) | Plan::UseAndRefresh(v) => state.ticket_expiry().map(|e| (v, e)),
            _ => None,
        }
    }

    /// Milliseconds until the next refresh is due.
    pub fn due_in_ms(&self) -> Option<u64> {
        self.state
            .borrow()
            .status(now_ms(), &self.schedule)
            .next_refresh_in_ms
    }

    /// The token and ticket as JSON text, or `null`.
    pub fn export_state(&self) -> JsValue {
        match self.state.borrow().credentials() {
            Some((token, ticket)) => encode(token, ticket),
            None => JsValue::NULL,
        }
    }

    /// Adopts a stored token and ticket if still usable and not due.
    pub fn import_state(&self, text: &JsValue) -> bool {
        match decode(text) {
            Some((token, ticket)) => self.adopt(token, ticket).is_some(),
            None => false,
        }
    }

    /// Forgets the ticket the service refused; the next call refreshes.
    pub fn invalidate(&self) {
        let mut state = self.state.borrow_mut();
        *self.refused.borrow_mut() = state.ticket_value().map(super::owner::digest);
        state.invalidate();
    }

    /// A replacement for `stale`, the ticket the service just refused: the
    /// current ticket if someone already replaced it (a late refusal must not
    /// start a second renewal), otherwise a refresh that will not take
    /// `stale` back from the store.
    pub async fn renew(self: &Rc<Self>, stale: &str) -> Result<String, Error> {
        let current = self.state.borrow().ticket_value().map(str::to_owned);
        match current {
            Some(t) if t != stale && self.current().is_some() => Ok(t),
            _ => {
                if self.state.borrow().ticket_value() == Some(stale) {
                    self.invalidate();
                } else {
                    *self.refused.borrow_mut() = Some(super::owner::digest(stale));
                }
                self.refresh_shared().await
            }
        }
    }

    /// The last refresh failure's message (empty when there is none).
    fn last_error_message(&self) -> String {
        self.state
            .borrow()
            .status(now_ms(), &self.schedule)
            .last_error
            .map(|f| f.message)
            .unwrap_or_default()
    }

    /// Forces a refresh now (joining one that is running).
    pub async fn refresh_shared(self: &Rc<Self>) -> Result<String, Error> {
        let result = JsFuture::from(self.refresh_promise()).await;
        match result.ok().and_then(|v| v.as_string()) {
            Some(ticket) => Ok(ticket),
            None => {
                let reason = self.last_error_message();
                Err(Error::TicketUnavailable(format!(
                    "no valid SIGN ticket: the refresh failed: {reason}"
                )))
            }
        }
    }

    /// The running refresh, or a new one. It never rejects: it resolves to
    /// the ticket, or to `undefined` when it failed (the failure is in the
    /// state, for status and messages).
    fn refresh_promise(self: &Rc<Self>) -> Promise {
        if let Some(p) = self.inflight.borrow().as_ref() {
            return p.clone();
        }
        let this = self.clone();
        let promise = future_to_promise(async move {
            let outcome = this.refresh().await;
            this.inflight.borrow_mut().take();
            Ok(match outcome {
                Ok(ticket) => JsValue::from_str(&ticket),
                Err(e) => {
                    let random = crate::nonce::random_u32().unwrap_or(0);
                    this.state
                        .borrow_mut()
                        .failed(&e, now_ms(), &this.schedule, random);
                    JsValue::UNDEFINED
                }
            })
        });
        *self.inflight.borrow_mut() = Some(promise.clone());
        promise
    }

    /// Adopts a token and ticket from the store when they are fresher than
    /// ours and not yet due.
    fn adopt(&self, token: Credential, ticket: Credential) -> Option<String> {
        let now = now_ms();
        if !self.schedule.usable(&ticket, now) || now >= self.schedule.due_at(&ticket) {
            return None;
        }
        if self.refused.borrow().as_deref() == Some(super::owner::digest(&ticket.value).as_str()) {
            return None;
        }
        let value = ticket.value.clone();
        self.state.borrow_mut().adopted(token, ticket);
        Some(value)
    }

    async fn refresh(&self) -> Result<String, Error> {
        let Some(store) = &self.store else {
            let (token, ticket) = self.fetch().await?;
            return Ok(self.keep(token, ticket));
        };
        let key = JsValue::from_str(&self.store_key("tickets"));
        let lock = JsValue::from_str(&self.store_key("lock"));
        if let Some(t) = self.adopt_stored(store, &key).await? {
            return Ok(t);
        }
        // One refresher across processes: whoever holds the lock.
        let lock_ms = JsValue::from_f64(f64::from(self.timeout_ms.saturating_mul(3)));
        let deadline = now_ms() + u64::from(self.timeout_ms.saturating_mul(3));
        loop {
            if store
                .call("lock", &[lock.clone(), lock_ms.clone()])
                .await?
                .is_truthy()
            {
                let outcome = async {
                    // Someone may have refreshed between our read and the lock.
                    if let Some(t) = self.adopt_stored(store, &key).await? {
                        return Ok(t);
                    }
                    let (token, ticket) = self.fetch().await?;
                    let ttl = ticket.lifetime_ms();
                    let text = encode(&token, &ticket);
                    store
                        .call("set", &[key.clone(), text, JsValue::from_f64(ttl as f64)])
                        .await?;
                    Ok(self.keep(token, ticket))
                }
                .await;
                // Unlocking is best effort: the lock expires by itself.
                let _ = store.call("unlock", std::slice::from_ref(&lock)).await;
                return outcome;
            }
            // Another process is refreshing: wait for its result.
            sleep(50).await;
            if let Some(t) = self.adopt_stored(store, &key).await? {
                return Ok(t);
            }
            if now_ms() > deadline {
                return Err(Error::TicketUnavailable(
                    "another process holds the refresh lock and no fresh ticket appeared in the store"
                        .into(),
                ));
            }
        }
    }

    /// Reads the store and adopts what it holds when it is fresh.
    async fn adopt_stored(&self, store: &Store, key: &JsValue) -> Result<Option<String>, Error> {
        let text = store.call("get", std::slice::from_ref(key)).await?;
        Ok(decode(&text).and_then(|(token, ticket)| self.adopt(token, ticket)))
    }

    /// Records a refresh of ours; the new SIGN ticket's value.
    fn keep(&self, token: Credential, ticket: Credential) -> String {
        let value = ticket.value.clone();
        self.state.borrow_mut().refreshed(token, ticket, now_ms());
        value
    }

    /// Fetches a new access token, then a SIGN ticket minted from it.
    async fn fetch(&self) -> Result<(Credential, Credential), Error> {
        let token = self.fetch_token().await?;
        let url = ticket_url(&self.base, &self.app_id, &token.value, TicketType::Sign)?;
        let mut ticket = self.fetch_ticket(&url, "SIGN ticket").await?;
        // A ticket dies with the token it was minted from.
        ticket.expires_at_ms = ticket.expires_at_ms.min(token.expires_at_ms);
        Ok((token, ticket))
    }

    async fn fetch_token(&self) -> Result<Credential, Error> {
        let url = token_url(&self.base, &self.app_id, &self.secret);
        let top = self.get_json(&url, TOKEN_PATH).await?;
        credential(
            "access token",
            field(&top, "code").as_deref(),
            field(&top, "msg").as_deref(),
            field(&top, "access_token").as_deref(),
            field(&top, "expire_in").as_deref(),
            now_ms(),
        )
    }

    async fn fetch_ticket(&self, url: &str, what: &str) -> Result<Credential, Error> {
        let top = self.get_json(url, TICKET_PATH).await?;
        let tickets = Reflect::get(&top, &"tickets".into()).unwrap_or(JsValue::UNDEFINED);
        let first: Option<Object> = js_sys::Array::is_array(&tickets)
            .then(|| js_sys::Array::from(&tickets))
            .filter(|a| a.length() == 1)
            .and_then(|a| a.get(0).dyn_into().ok());
        let code = field(&top, "code");
        if code.as_deref() == Some("0") && first.is_none() {
            return Err(Error::BadResponse(format!(
                "the {what} answer must carry exactly one ticket"
            )));
        }
        credential(
            what,
            code.as_deref(),
            field(&top, "msg").as_deref(),
            first.as_ref().and_then(|t| field(t, "value")).as_deref(),
            first
                .as_ref()
                .and_then(|t| field(t, "expire_in"))
                .as_deref(),
            now_ms(),
        )
    }

    async fn get_json(&self, url: &str, path: &str) -> Result<Object, Error> {
        let out = Outgoing {
            url,
            method: "GET",
            headers: &[],
            body: None,
            path,
        };
        parse_object(&send(&out, self.timeout_ms).await?)
    }

    /// A fresh NONCE ticket for `user_id`: never cached (single use, 120 s).
    pub async fn nonce_ticket(self: &Rc<Self>, user_id: &str) -> Result<String, Error> {
        crate::validate::user_id(user_id, crate::validate::NONCE_USER_ID_MAX)?;
        let token = self
            .state
            .borrow()
            .token(now_ms(), &self.schedule)
            .map(str::to_owned);
        let token = match token {
            Some(t) => t,
            None => {
                // Respect the refresh backoff: a wrong secret must not turn
                // every NONCE request into a token request.
                if !self.state.borrow().may_refresh(now_ms()) {
                    let reason = self.last_error_message();
                    return Err(Error::TicketUnavailable(format!(
                        "no valid access token, and the last refresh failed: {reason}"
                    )));
                }
                self.refresh_shared().await?;
                self.state
                    .borrow()
                    .token(now_ms(), &self.schedule)
                    .map(str::to_owned)
                    .ok_or_else(|| Error::TicketUnavailable("no valid access token".into()))?
            }
        };
        let url = ticket_url(
            &self.base,
            &self.app_id,
            &token,
            TicketType::Nonce { user_id },
        )?;
        Ok(self.fetch_ticket(&url, "NONCE ticket").await?.value)
    }

    /// `{ source, hasTicket, ticketAgeMs, … }`: ages and expiries, never a value.
    pub fn status_js(&self) -> JsValue {
        let s = self.state.borrow().status(now_ms(), &self.schedule);
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let num = |v: Option<u64>| v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64));
        set(
            "source",
            JsValue::from_str(if self.store.is_some() {
                "secret+store"
            } else {
                "secret"
            }),
        );
        set("hasTicket", JsValue::from_bool(s.has_ticket));
        set("ticketAgeMs", num(s.ticket_age_ms));
        set("ticketExpiresInMs", num(s.ticket_expires_in_ms));
        set("tokenAgeMs", num(s.token_age_ms));
        set("tokenExpiresInMs", num(s.token_expires_in_ms));
        set("nextRefreshInMs", num(s.next_refresh_in_ms));
        set("lastRefreshAt", num(s.last_refresh_ms));
        set("refreshes", JsValue::from_f64(s.refreshes as f64));
        set(
            "refreshing",
            JsValue::from_bool(self.inflight.borrow().is_some()),
        );
        set("failures", JsValue::from_f64(f64::from(s.failures)));
        let last = match s.last_error {
            None => JsValue::NULL,
            Some(f) => {
                let e = Object::new();
                let _ = Reflect::set(&e, &"code".into(), &f.code.into());
                let _ = Reflect::set(&e, &"message".into(), &f.message.as_str().into());
                let _ = Reflect::set(&e, &"at".into(), &JsValue::from_f64(f.at_ms as f64));
                e.into()
            }
        };
        set("lastError", last);
        o.into()
    }
}
