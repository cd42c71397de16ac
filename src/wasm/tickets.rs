//! Ticket management for a client configured with `secret`: the access token
//! and SIGN ticket are fetched, cached and refreshed here, by one single
//! flight at a time, optionally coordinated with other processes through a
//! shared store (see [`Store`]). The rules and the schedule are the core's
//! ([`crate::tickets`]), and so is the protocol of a refresh through the
//! store's lock ([`crate::store_lock`]): this module and its children
//! (`store`, `upstream`, `status`) only call the store, fetch and wait. NONCE
//! tickets are minted here too, for every owner (the client, the shared-store
//! processes, the `TicketOwner` Durable Object), from a token that outlives
//! them: when the token retires sooner, the single flight refreshes first.

use std::cell::RefCell;
use std::rc::Rc;

use super::boundary::settled;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::flight::{run, Flight, WaitUntil};
use super::http::{now_ms, sleep, Io};
use crate::error::Error;
use crate::store_lock::{abandoned, Action, Input, LockTiming, StoreLock};
use crate::tickets::{nonce_next, ticket_url, NonceNext, Plan, Schedule, TicketState, TicketType};

mod status;
mod store;
mod upstream;

pub use store::Store;
use store::{decode, encode, Keys};

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
    /// The store's keys for this App ID.
    keys: Keys,
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
            keys: Keys::new(app_id),
            io,
        }
    }

    /// The longest one step of a refresh may take.
    fn step_ms(&self) -> u64 {
        self.timing().step_ms
    }

    /// The durations of the store protocol, from `timeoutMs`.
    fn timing(&self) -> LockTiming {
        LockTiming::new(self.timeout_ms)
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
        decode(text).is_some_and(|(token, ticket)| {
            self.state
                .borrow_mut()
                .adopt(token, ticket, now_ms(), &self.schedule)
        })
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
        self.state.borrow_mut().refuse(stale);
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
            Err(abandoned())
        }
    }

    /// Runs one sync (a read of the store and, when wanted, a refresh) as
    /// the core's [`StoreLock`] machine says: this only calls the store,
    /// fetches and sleeps.
    async fn sync_steps(&self, id: u64, for_nonce: bool) -> Result<(), Error> {
        let mut machine = StoreLock::new(
            self.timing(),
            self.schedule,
            self.store.is_some(),
            for_nonce,
        );
        let mut input = Input::Start;
        loop {
            let action = machine.next(input, &mut self.state.borrow_mut(), now_ms());
            input = match action {
                Action::Done => return Ok(()),
                Action::Fail(e) => return Err(e),
                Action::Step => Input::Step(self.flight.progress(id, self.step_ms())),
                Action::Refresh => Input::Refreshed(self.fetch(id).await),
                Action::Sleep(ms) => {
                    sleep(ms).await;
                    Input::Slept
                }
                store_action => {
                    let answer = match &self.store {
                        Some(store) => {
                            store
                                .perform(&store_action, &self.keys, self.timeout_ms)
                                .await
                        }
                        None => None,
                    };
                    // Only a machine made with a store asks for one.
                    answer.unwrap_or(Input::Released)
                }
            };
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
        let mut syncs = 0;
        loop {
            let next = nonce_next(
                &self.state.borrow(),
                now_ms(),
                &self.schedule,
                self.store.is_some(),
                syncs,
            );
            match next {
                NonceNext::Mint(token) => return Ok(token),
                NonceNext::Fail(e) => return Err(e),
                NonceNext::Sync => {
                    self.sync(ctx, true).await;
                    syncs += 1;
                }
            }
        }
    }
}
