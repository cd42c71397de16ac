//! Ticket management for a client configured with `secret`: the access token
//! and SIGN ticket are fetched, cached and refreshed here, by one single
//! flight at a time, optionally coordinated with other processes through a
//! shared store (see [`Store`]). The rules and the schedule are the core's
//! ([`crate::tickets`]); this module does the fetching and the waiting. NONCE
//! tickets are minted here too, for every owner (the client, the shared-store
//! processes, the `TicketOwner` Durable Object), from a token that outlives
//! them: when the token retires sooner, the single flight refreshes first.

use std::cell::RefCell;
use std::rc::Rc;

use super::boundary::settled;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{define_value, describe_type};
use super::flight::{run, Flight, WaitUntil};
use super::host::TicketStoreJs;
use super::http::{
    error_name, field, now_ms, parse_object, resend_fields, send, sleep, within, Io, Outgoing,
};
use crate::endpoints::Method;
use crate::error::Error;
use crate::retry::resend_at_once;
use crate::tickets::{
    credential, digest, ticket_url, token_url, Credential, Failure, NoncePlan, Plan, Schedule,
    TicketState, TicketType, TICKET_PATH, TOKEN_PATH,
};

/// A shared store for several processes (see the `TicketStore` contract in
/// the TypeScript types): `get`, `set` with a time-to-live, a lock with an
/// expiry whose holder gets a token to unlock with, and optionally
/// `compareAndSet`. Values are JSON text. Every call is bounded by the
/// client's `timeoutMs`.
pub struct Store {
    object: JsValue,
    cas: bool,
}

impl Store {
    /// Checks that `object` has the four methods (`compareAndSet` optional).
    pub fn new(object: JsValue) -> Result<Store, Error> {
        let method = |name: &str| {
            Reflect::get(&object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
        };
        for name in ["get", "set", "lock", "unlock"] {
            let f = method(name);
            if !f.is_function() {
                return Err(Error::InvalidOption(format!(
                    "store must have async get, set, lock and unlock methods; {name} is {}",
                    describe_type(&f)
                )));
            }
        }
        let cas = method("compareAndSet").is_function();
        Ok(Store { object, cas })
    }

    /// One store call, awaited for at most `timeout_ms`.
    async fn call(&self, op: StoreOp<'_>, timeout_ms: u32) -> Result<JsValue, Error> {
        let store: &TicketStoreJs = self.object.unchecked_ref();
        let method = op.name();
        let value = match op {
            StoreOp::Get(key) => store.store_get(key),
            StoreOp::Set(key, value, ttl) => store.store_set(key, value, ttl),
            StoreOp::Lock(key, lease) => store.store_lock(key, lease),
            StoreOp::Unlock(key, token) => store.store_unlock(key, token),
            StoreOp::CompareAndSet(key, expected, value, ttl) => {
                store.store_compare_and_set(key, expected, value, ttl)
            }
        }
        .map_err(|e| {
            Error::TicketUnavailable(format!("store.{method} threw {}", error_name(&e)))
        })?;
        match within(&value, timeout_ms).await {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(Error::TicketUnavailable(format!(
                "store.{method} rejected with {}",
                error_name(&e)
            ))),
            None => Err(Error::Timeout(format!(
                "store.{method} did not answer within {timeout_ms} ms (timeoutMs)"
            ))),
        }
    }
}

/// A call to the store, with its arguments.
enum StoreOp<'a> {
    Get(&'a JsValue),
    Set(&'a JsValue, &'a JsValue, &'a JsValue),
    Lock(&'a JsValue, &'a JsValue),
    Unlock(&'a JsValue, &'a JsValue),
    CompareAndSet(&'a JsValue, &'a JsValue, &'a JsValue, &'a JsValue),
}

impl StoreOp<'_> {
    fn name(&self) -> &'static str {
        match self {
            StoreOp::Get(..) => "get",
            StoreOp::Set(..) => "set",
            StoreOp::Lock(..) => "lock",
            StoreOp::Unlock(..) => "unlock",
            StoreOp::CompareAndSet(..) => "compareAndSet",
        }
    }
}

/// The JSON kept in the store: the token and the SIGN ticket with times.
fn encode(token: &Credential, ticket: &Credential) -> JsValue {
    let c = |c: &Credential| {
        let o = Object::new();
        define_value(&o, "value", &c.value.as_str().into());
        define_value(
            &o,
            "obtainedAt",
            &JsValue::from_f64(c.obtained_at_ms as f64),
        );
        define_value(&o, "expiresAt", &JsValue::from_f64(c.expires_at_ms as f64));
        o
    };
    let o = Object::new();
    define_value(&o, "token", &c(token));
    define_value(&o, "ticket", &c(ticket));
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

/// Extra time a flight step may take beyond `timeoutMs` before the flight
/// counts as abandoned (timers and scheduling).
const STEP_SLACK_MS: u64 = 1000;
/// How often a process waiting for another one's refresh reads the store.
const LOCK_POLL_MS: u32 = 100;

/// Owns the token and SIGN ticket for one app.
pub struct Manager {
    app_id: String,
    secret: String,
    base: String,
    timeout_ms: u32,
    schedule: Schedule,
    state: RefCell<TicketState>,
    flight: Flight,
    store: Option<Store>,
    /// Digest of the last ticket the service refused: never adopted again
    /// from the store.
    refused: RefCell<Option<String>>,
    /// The caller's `fetch` and `onEvent`.
    io: Io,
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
        io: Io,
    ) -> Manager {
        Manager {
            app_id: app_id.to_owned(),
            secret,
            base: base.to_owned(),
            timeout_ms,
            schedule,
            state: RefCell::new(TicketState::default()),
            flight: Flight::default(),
            store,
            refused: RefCell::new(None),
            io,
        }
    }

    fn store_key(&self, what: &str) -> String {
        format!("faceid-edge:{}:{what}", self.app_id)
    }

    /// The longest one step of a refresh may take.
    fn step_ms(&self) -> u64 {
        u64::from(self.timeout_ms) + STEP_SLACK_MS
    }

    /// How long the store lock is held at most: a whole bounded refresh (a
    /// read, the token, the ticket, the write, the unlock) with room to spare,
    /// so that it never expires while its holder still works.
    fn lease_ms(&self) -> u64 {
        6 * self.step_ms()
    }

    fn plan(&self) -> Plan {
        let state = self.state.borrow();
        if self.store.is_some() {
            state.plan_shared(now_ms(), &self.schedule)
        } else {
            state.plan(now_ms(), &self.schedule)
        }
    }

    /// The SIGN ticket to use now: cached, or after the (single) refresh.
    /// A due refresh runs in the background, kept alive by `ctx` when given.
    pub async fn sign_ticket(self: &Rc<Self>, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        match self.plan() {
            Plan::Use(t) => Ok(t),
            Plan::UseAndRefresh(t) => {
                // Callers keep the still-valid ticket while it refreshes. With
                // a ctx the refresh runs in the background under waitUntil.
                // Without one, the caller that starts it carries it: on an
                // edge runtime work left behind by a finished request is
                // cancelled, and a refresh cut after minting its token would
                // retire our ticket unseen.
                if let Some(id) = self.flight.start(self.step_ms()) {
                    let promise = self.launch(id, ctx, false);
                    if ctx.is_none() {
                        let _ = settled(&promise).await;
                        return Ok(self.current().map_or(t, |(fresh, _)| fresh));
                    }
                }
                Ok(t)
            }
            Plan::Refresh => {
                self.sync(ctx, false).await;
                self.current_ticket()
            }
            Plan::Unavailable { reason, .. } => Err(Error::TicketUnavailable(format!(
                "no valid SIGN ticket, and the last refresh failed ({reason}); the next attempt waits for the backoff"
            ))),
        }
    }

    /// The usable SIGN ticket, or why there is none (never an empty reason).
    fn current_ticket(&self) -> Result<String, Error> {
        self.current()
            .map(|(t, _)| t)
            .ok_or_else(|| self.unavailable())
    }

    pub fn unavailable(&self) -> Error {
        let state = self.state.borrow();
        let reason = if self.flight.abandoned() > 0
            && state.status(now_ms(), &self.schedule).last_error.is_none()
        {
            "a refresh did not finish within its deadline (the request that ran it may have ended)"
                .to_owned()
        } else {
            state.failure_reason()
        };
        Error::TicketUnavailable(format!("no valid SIGN ticket: {reason}"))
    }

    /// The current SIGN ticket and its expiry, if usable.
    pub fn current(&self) -> Option<(String, u64)> {
        self.state
            .borrow()
            .current(now_ms(), &self.schedule)
            .map(|(t, e)| (t.to_owned(), e))
    }

    /// The SIGN ticket the current one replaced (for checking callbacks).
    pub fn previous(&self) -> Option<String> {
        self.state
            .borrow()
            .previous_ticket(now_ms())
            .map(str::to_owned)
    }

    /// Milliseconds until the next refresh attempt should run (for an
    /// alarm): when the ticket is due, never before the backoff ends; `None`
    /// with nothing to refresh or retry.
    pub fn next_attempt_in_ms(&self) -> Option<u64> {
        self.state
            .borrow()
            .next_attempt_in_ms(now_ms(), &self.schedule)
    }

    /// The token and ticket as JSON text, or `null`.
    pub fn export_state(&self) -> JsValue {
        match self.state.borrow().credentials() {
            Some((token, ticket)) => encode(token, ticket),
            None => JsValue::NULL,
        }
    }

    /// Adopts a stored token and ticket if newer than ours and usable.
    pub fn import_state(&self, text: &JsValue) -> bool {
        self.adopt_text(text)
    }

    /// A replacement for `stale`, the ticket the service just refused: the
    /// current ticket if someone already replaced it (a late refusal must not
    /// start a second renewal), otherwise a refresh that will not take
    /// `stale` back from the store.
    pub async fn renew(
        self: &Rc<Self>,
        stale: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<String, Error> {
        if let Some((t, _)) = self.current() {
            if t != stale {
                return Ok(t);
            }
        }
        *self.refused.borrow_mut() = Some(digest(stale));
        if self.state.borrow().ticket_value() == Some(stale) {
            self.state.borrow_mut().invalidate();
        }
        // A refresh already in flight may end without a new ticket (it was
        // only reading): then one more, of our own.
        for _ in 0..2 {
            self.sync(ctx, false).await;
            match self.current() {
                Some((t, _)) if t != stale => return Ok(t),
                _ if !self.state.borrow().may_refresh(now_ms()) => break,
                _ => {}
            }
        }
        Err(self.unavailable())
    }

    /// Refreshes if the ticket is missing or due and the backoff allows (an
    /// owner's alarm); waits for it.
    pub async fn refresh_if_wanted(self: &Rc<Self>, ctx: Option<&WaitUntil>) {
        if self.state.borrow().wants_refresh(now_ms(), &self.schedule) {
            self.sync(ctx, false).await;
        }
    }

    /// A promise that settles when no refresh is running.
    pub fn idle(self: &Rc<Self>) -> Promise {
        // Watched on this caller's own timers, never by awaiting the
        // flight's promise (it belongs to the request that runs it).
        let this = self.clone();
        super::task::promise(async move {
            while this.flight.running() {
                sleep(super::flight::WATCH_MS).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Joins the running sync (store read and, when wanted, refresh) or
    /// starts one, and waits for it. `for_nonce`: a flight this call starts
    /// also refreshes when the token retires before a NONCE ticket minted now
    /// would (a flight it joins may not: the caller plans again after it).
    async fn sync(self: &Rc<Self>, ctx: Option<&WaitUntil>, for_nonce: bool) {
        run(&self.flight, self.step_ms(), |id| {
            self.launch(id, ctx, for_nonce)
        })
        .await;
    }

    /// Runs flight `id`: its outcome lands in the state.
    fn launch(self: &Rc<Self>, id: u64, ctx: Option<&WaitUntil>, for_nonce: bool) -> Promise {
        let this = self.clone();
        self.flight.launch(id, ctx, async move {
            let outcome = this.sync_steps(id, for_nonce).await;
            // An abandoned flight's outcome does not count: a newer one runs.
            if this.flight.finish(id) {
                if let Err(e) = outcome {
                    let random = crate::nonce::random_u32().unwrap_or(0);
                    this.state
                        .borrow_mut()
                        .failed(&e, now_ms(), &this.schedule, random);
                }
            }
        })
    }

    /// Flight `id` starts a bounded step; an error when it was abandoned.
    fn step(&self, id: u64) -> Result<(), Error> {
        if self.flight.progress(id, self.step_ms()) {
            Ok(())
        } else {
            Err(Error::TicketUnavailable(
                "this refresh was abandoned after its deadline; a newer one runs".into(),
            ))
        }
    }

    /// Whether a refresh is wanted now and allowed: the SIGN ticket is
    /// missing or due, or (`for_nonce`) the token retires before a NONCE
    /// ticket minted now would.
    fn wants_refresh(&self, for_nonce: bool) -> bool {
        let state = self.state.borrow();
        let now = now_ms();
        state.wants_refresh(now, &self.schedule)
            || (for_nonce && state.nonce_wants_refresh(now, &self.schedule))
    }

    async fn sync_steps(&self, id: u64, for_nonce: bool) -> Result<(), Error> {
        if let Some(store) = &self.store {
            self.step(id)?;
            self.state.borrow_mut().read_store(now_ms());
            self.read_and_adopt(store).await?;
        }
        if !self.wants_refresh(for_nonce) {
            return Ok(());
        }
        match &self.store {
            None => {
                let (token, ticket) = self.fetch(id).await?;
                self.keep(token, ticket);
                Ok(())
            }
            Some(store) => self.refresh_shared(id, store, for_nonce).await,
        }
    }

    /// A refresh coordinated through the store: whoever holds the lock
    /// refreshes; the others wait for its ticket to appear.
    async fn refresh_shared(&self, id: u64, store: &Store, for_nonce: bool) -> Result<(), Error> {
        let key = JsValue::from_str(&self.store_key("tickets"));
        let lock = JsValue::from_str(&self.store_key("lock"));
        let lease = self.lease_ms();
        let lease_js = JsValue::from_f64(lease as f64);
        let give_up = now_ms() + lease;
        loop {
            self.step(id)?;
            let held = store
                .call(StoreOp::Lock(&lock, &lease_js), self.timeout_ms)
                .await?;
            if held.is_truthy() {
                let locked_at = now_ms();
                let outcome = self
                    .refresh_locked(id, store, &key, locked_at, for_nonce)
                    .await;
                // Best effort: the lock expires by itself. The token names
                // this holder, so no one else's lock is ever released.
                let _ = store
                    .call(StoreOp::Unlock(&lock, &held), self.timeout_ms)
                    .await;
                return outcome;
            }
            // Another process is refreshing: wait for its ticket.
            sleep(LOCK_POLL_MS).await;
            self.step(id)?;
            self.read_and_adopt(store).await?;
            if !self.wants_refresh(for_nonce) {
                return Ok(());
            }
            if now_ms() > give_up {
                return Err(Error::TicketUnavailable(
                    "another process holds the refresh lock and no fresh ticket appeared in the store"
                        .into(),
                ));
            }
        }
    }

    async fn refresh_locked(
        &self,
        id: u64,
        store: &Store,
        key: &JsValue,
        locked_at: u64,
        for_nonce: bool,
    ) -> Result<(), Error> {
        // Someone may have refreshed between our read and the lock.
        self.step(id)?;
        let before = store.call(StoreOp::Get(key), self.timeout_ms).await?;
        self.adopt_text(&before);
        if !self.wants_refresh(for_nonce) {
            return Ok(());
        }
        // The lease must still cover the token, the ticket and the write.
        if now_ms().saturating_sub(locked_at) > self.lease_ms() - 4 * self.step_ms() {
            return Err(Error::TicketUnavailable(
                "the store was too slow: the refresh lock would expire before the refresh ends"
                    .into(),
            ));
        }
        let (token, ticket) = self.fetch(id).await?;
        let ttl = JsValue::from_f64(ticket.lifetime_ms() as f64);
        let text = encode(&token, &ticket);
        // Used here even if it cannot be shared: throwing it away would mean
        // minting another (and rotating every peer's ticket) next time.
        self.keep(token, ticket);
        self.step(id)?;
        let written = if store.cas {
            let expected = if before.is_string() {
                before
            } else {
                JsValue::NULL
            };
            store
                .call(StoreOp::CompareAndSet(key, &expected, &text, &ttl), self.timeout_ms)
                .await
                .and_then(|ok| {
                    if ok.is_truthy() {
                        Ok(())
                    } else {
                        Err(Error::TicketUnavailable(
                            "store.compareAndSet found a newer ticket in the store: ours was not written".into(),
                        ))
                    }
                })
        } else {
            store
                .call(StoreOp::Set(key, &text, &ttl), self.timeout_ms)
                .await
                .map(|_| ())
        };
        let now = now_ms();
        self.state
            .borrow_mut()
            .shared(written.as_ref().err().map(|e| (e, now)));
        if written.is_err() {
            // Whatever is newer there is taken; ours stays otherwise.
            if let Ok(text) = store.call(StoreOp::Get(key), self.timeout_ms).await {
                self.adopt_text(&text);
            }
        }
        Ok(())
    }

    /// Reads the store and adopts what it holds when it is newer.
    async fn read_and_adopt(&self, store: &Store) -> Result<(), Error> {
        let key = JsValue::from_str(&self.store_key("tickets"));
        let text = store.call(StoreOp::Get(&key), self.timeout_ms).await?;
        self.adopt_text(&text);
        Ok(())
    }

    /// Adopts a stored token and ticket when newer than ours, usable, and
    /// not the ticket the service refused.
    fn adopt_text(&self, text: &JsValue) -> bool {
        let Some((token, ticket)) = decode(text) else {
            return false;
        };
        if self.refused.borrow().as_deref() == Some(digest(&ticket.value).as_str()) {
            return false;
        }
        self.state
            .borrow_mut()
            .adopt(token, ticket, now_ms(), &self.schedule)
    }

    /// Records a refresh of ours (unless a newer one already landed).
    fn keep(&self, token: Credential, ticket: Credential) {
        self.state.borrow_mut().refreshed(token, ticket, now_ms());
    }

    /// [`Manager::mint`], reported to the event hook as a `refresh`.
    async fn fetch(&self, id: u64) -> Result<(Credential, Credential), Error> {
        let started = now_ms();
        let outcome = self.mint(id).await;
        let mut fields = vec![
            ("source", JsValue::from_str("secret")),
            (
                "durationMs",
                JsValue::from_f64(now_ms().saturating_sub(started) as f64),
            ),
            ("ok", JsValue::from_bool(outcome.is_ok())),
        ];
        if let Err(e) = &outcome {
            fields.push(("error", JsValue::from_str(e.code())));
        }
        self.io.emit("refresh", &fields);
        outcome
    }

    /// A new access token (or the one an unfinished refresh minted), then a
    /// SIGN ticket minted from it.
    async fn mint(&self, id: u64) -> Result<(Credential, Credential), Error> {
        let minted = self
            .state
            .borrow()
            .reusable_minted(now_ms(), &self.schedule)
            .cloned();
        let token = match minted {
            Some(token) => token,
            None => {
                self.step(id)?;
                let token = self.fetch_token().await?;
                // Recorded at once: minting retired our current token, and a
                // refresh that dies before the ticket leaves this one to use.
                self.state.borrow_mut().minted(token.clone());
                token
            }
        };
        self.step(id)?;
        let url = ticket_url(&self.base, &self.app_id, &token.value, TicketType::Sign)?;
        let mut ticket = match self.fetch_ticket(&url, "SIGN ticket").await {
            Ok(t) => t,
            Err(e) => {
                if e.code() == "TICKET_UNAVAILABLE" {
                    // The service refused this token: mint a new one next time.
                    self.state.borrow_mut().forget_minted();
                }
                return Err(e);
            }
        };
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
        let first: Option<Object> = super::boundary::is_array(&tickets)
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

    /// A token or ticket `GET`, sent again at once (the same URL: it holds
    /// no nonce) when its connection closed under it before any answer
    /// (`crate::retry::resend_at_once`).
    async fn get_json(&self, url: &str, path: &str) -> Result<Object, Error> {
        let out = Outgoing {
            url,
            method: Method::Get,
            headers: &[],
            body: None,
            path,
        };
        let mut resent = 0;
        loop {
            match send(&out, self.timeout_ms, &self.io, None).await {
                Ok(body) => return parse_object(&body),
                Err(failed) if resend_at_once(out.method, &failed.breakage, resent) => {
                    resent += 1;
                    if self.io.listening() {
                        self.io.emit("retry", &resend_fields(&out, &failed, resent));
                    }
                }
                Err(failed) => return Err(failed.into_error(resent)),
            }
        }
    }

    /// A fresh NONCE ticket for `user_id`: never cached (single use, 120 s),
    /// minted from a token that outlives it (see [`Manager::nonce_token`]).
    pub async fn nonce_ticket(
        self: &Rc<Self>,
        user_id: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<String, Error> {
        crate::validate::user_id(user_id, crate::validate::NONCE_USER_ID_MAX)?;
        let token = self.nonce_token(ctx).await?;
        let url = ticket_url(
            &self.base,
            &self.app_id,
            &token,
            TicketType::Nonce { user_id },
        )?;
        Ok(self.fetch_ticket(&url, "NONCE ticket").await?.value)
    }

    fn nonce_plan(&self) -> NoncePlan {
        let state = self.state.borrow();
        if self.store.is_some() {
            state.nonce_plan_shared(now_ms(), &self.schedule)
        } else {
            state.nonce_plan(now_ms(), &self.schedule)
        }
    }

    /// The access token to mint a NONCE ticket from. A NONCE ticket dies with
    /// its token, and a token dies about a minute after the refresh that
    /// replaces it; so when the token's planned refresh (or expiry) is less
    /// than the ticket's 120 s and a margin away, the single flight refreshes
    /// first (with a store: reads it first, and refreshes under its lock) and
    /// the new token mints. Concurrent callers share that one refresh. A
    /// flight joined may have been started for the SIGN ticket only, so a
    /// second one may follow, never more. When no refresh can be had (the
    /// backoff after failures, or the refresh failed), a token that was not
    /// replaced and is not yet due still mints.
    async fn nonce_token(self: &Rc<Self>, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let mut flights = 0;
        loop {
            let fallback = match self.nonce_plan() {
                NoncePlan::Mint(token) => return Ok(token),
                NoncePlan::Refresh { fallback } => fallback,
            };
            // Respect the refresh backoff: a wrong secret must not turn
            // every NONCE request into a token request.
            let backing_off = !self.state.borrow().may_refresh(now_ms());
            if backing_off || flights == 2 {
                return fallback.ok_or_else(|| {
                    let reason = self.state.borrow().failure_reason();
                    Error::TicketUnavailable(if backing_off {
                        format!("no valid access token, and the last refresh failed ({reason})")
                    } else {
                        format!("no valid access token: {reason}")
                    })
                });
            }
            self.sync(ctx, true).await;
            flights += 1;
        }
    }

    /// `{ source, hasTicket, ticketAgeMs, … }`: ages and expiries, never a value.
    pub fn status_js(&self) -> JsValue {
        let s = self.state.borrow().status(now_ms(), &self.schedule);
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            define_value(&o, k, &v);
        };
        let num = |v: Option<u64>| v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64));
        let failure = |f: Option<Failure>| match f {
            None => JsValue::NULL,
            Some(f) => {
                let e = Object::new();
                define_value(&e, "code", &f.code.into());
                define_value(&e, "message", &f.message.as_str().into());
                define_value(&e, "at", &JsValue::from_f64(f.at_ms as f64));
                e.into()
            }
        };
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
        set("retryInMs", JsValue::from_f64(s.retry_in_ms as f64));
        set("lastRefreshAt", num(s.last_refresh_ms));
        set("refreshes", JsValue::from_f64(s.refreshes as f64));
        set("refreshing", JsValue::from_bool(self.flight.running()));
        set(
            "abandonedRefreshes",
            JsValue::from_f64(self.flight.abandoned() as f64),
        );
        set("failures", JsValue::from_f64(f64::from(s.failures)));
        set("lastError", failure(s.last_error));
        if self.store.is_some() {
            set("storeError", failure(s.store_error));
            set("storeReadAgeMs", num(s.store_read_age_ms));
        }
        o.into()
    }
}
