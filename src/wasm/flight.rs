//! Shared work (a ticket refresh, a read from the ticket owner) run as one
//! flight at a time, joined by everyone who needs it, and never awaited past
//! its deadline. The bookkeeping is the core's [`Flights`]; this adds the
//! promise that joiners wait on and the request context that keeps the work
//! alive.
//!
//! Why joiners never wait on the promise alone: on workerd a promise made
//! while serving one request never settles once that request has ended (its
//! subrequests are cancelled and the continuation is dropped). A joiner from
//! another request would wait for ever. So a joiner waits at most until the
//! flight's deadline (which each step of the work moves forward, each step
//! being bounded by `timeoutMs`), and then starts a new flight.

use std::cell::RefCell;
use std::future::Future;

use super::boundary::settled;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::boundary::describe_type;
use super::boundary::{watch_promise, watched_state};
use super::host::WaitUntilJs;
use super::http::{now_ms, sleep};
use super::task;
use crate::error::Error;
use crate::flight::{Flights, Join};

/// A request context that can keep work alive after the response:
/// anything with `waitUntil(promise)` (a Worker's `ctx`, a Durable Object's
/// `ctx`).
#[derive(Clone)]
pub struct WaitUntil(JsValue);

impl WaitUntil {
    /// Reads a `ctx` argument: `None` when absent, an error when it has no
    /// `waitUntil` method.
    pub fn from_js(ctx: &JsValue) -> Result<Option<WaitUntil>, Error> {
        if ctx.is_undefined() || ctx.is_null() {
            return Ok(None);
        }
        let f = js_sys::Reflect::get(ctx, &"waitUntil".into()).unwrap_or(JsValue::UNDEFINED);
        if !f.is_function() {
            return Err(Error::InvalidOption(format!(
                "ctx must be the request context (an object with waitUntil(promise)); its waitUntil is {}",
                describe_type(&f)
            )));
        }
        Ok(Some(WaitUntil(ctx.clone())))
    }

    /// Hands `promise` to `ctx.waitUntil`; best effort (a context that has
    /// ended may refuse it, and the work then runs as it would without).
    pub fn keep_alive(&self, promise: &Promise) {
        let ctx: &WaitUntilJs = self.0.unchecked_ref();
        let _ = ctx.wait_until(promise);
    }
}

/// One single-flight slot.
#[derive(Default)]
pub struct Flight {
    flights: RefCell<Flights>,
    promise: RefCell<Option<(u64, Promise)>>,
}

/// What [`Flight::join`] found.
pub enum Joined {
    /// Nothing running: run flight `id` (see [`Flight::launch`]).
    Start(u64),
    /// Flight `id` is running: wait for it (its promise) at most `ms`.
    Wait(u64, Promise, u32),
}

impl Flight {
    /// Joins the running flight or claims a new one, ending by `now + bound_ms`.
    pub fn join(&self, bound_ms: u64) -> Joined {
        let now = now_ms();
        let join = self.flights.borrow_mut().join(now, now + bound_ms);
        match join {
            Join::Start(id) => Joined::Start(id),
            Join::Wait { id, deadline_ms } => match self.promise.borrow().as_ref() {
                Some((pid, p)) if *pid == id => {
                    Joined::Wait(id, p.clone(), deadline_ms.saturating_sub(now).max(1) as u32)
                }
                // Claimed but not launched yet (launch follows claim at once):
                // take it over.
                _ => Joined::Start(self.flights.borrow_mut().replace(now, now + bound_ms)),
            },
        }
    }

    /// Claims a new flight unless one is running (for background work).
    pub fn start(&self, bound_ms: u64) -> Option<u64> {
        let now = now_ms();
        self.flights.borrow_mut().start(now, now + bound_ms)
    }

    /// Claims a new flight even if one is running (it is abandoned).
    pub fn replace(&self, bound_ms: u64) -> u64 {
        let now = now_ms();
        self.flights.borrow_mut().replace(now, now + bound_ms)
    }

    /// Runs `work` as flight `id` (just claimed): joiners wait on the
    /// returned promise, and `ctx` (if any) keeps it alive past the
    /// response. `work` must end with [`Flight::finish`].
    pub fn launch<F>(&self, id: u64, ctx: Option<&WaitUntil>, work: F) -> Promise
    where
        F: Future<Output = ()> + 'static,
    {
        let promise = task::promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        });
        *self.promise.borrow_mut() = Some((id, promise.clone()));
        if let Some(ctx) = ctx {
            ctx.keep_alive(&promise);
        }
        promise
    }

    /// Flight `id` starts a step that takes at most `bound_ms`: its deadline
    /// moves. `false` when it was abandoned and replaced (it should stop).
    pub fn progress(&self, id: u64, bound_ms: u64) -> bool {
        self.flights.borrow_mut().progress(id, now_ms() + bound_ms)
    }

    /// Flight `id` ended; `true` when it was still the current one (its
    /// outcome counts).
    pub fn finish(&self, id: u64) -> bool {
        let current = self.flights.borrow_mut().finish(id);
        if current {
            self.promise.borrow_mut().take();
        }
        current
    }

    /// Whether a flight is running (within its deadline).
    pub fn running(&self) -> bool {
        self.flights.borrow().running(now_ms()).is_some()
    }

    /// How many flights were abandoned after their deadline.
    pub fn abandoned(&self) -> u64 {
        self.flights.borrow().abandoned()
    }

    /// Whether flight `id` was launched and has not finished (nor been
    /// replaced).
    pub fn launched(&self, id: u64) -> bool {
        matches!(self.promise.borrow().as_ref(), Some((pid, _)) if *pid == id)
    }
}

/// How often a waiter looks at a flight it joined.
pub const WATCH_MS: u32 = 20;

/// Joins or starts a flight on `flight` and waits until it settles: the
/// shared loop of every single-flight caller. `launch(id)` starts flight
/// `id` and returns its promise. A joined flight that passes its deadline is
/// replaced, so this never waits on a dead flight for longer than one step.
/// Returns the id of the flight that ended (the caller's own or the one it
/// joined; one that was abandoned ends without an outcome).
pub async fn run<L>(flight: &Flight, bound_ms: u64, mut launch: L) -> u64
where
    L: FnMut(u64) -> Promise,
{
    loop {
        match flight.join(bound_ms) {
            Joined::Start(id) => {
                // Our own flight: it runs in this request, so it settles.
                let _ = settled(&launch(id)).await;
                return id;
            }
            Joined::Wait(id, promise, ms) => {
                // Watched, never awaited: the promise belongs to the request
                // that runs the flight (see `watchPromise` in js/boundary.js).
                let record = watch_promise(&promise);
                let until = now_ms() + u64::from(ms);
                loop {
                    let left = until.saturating_sub(now_ms());
                    sleep(WATCH_MS.min(left.max(1) as u32)).await;
                    match watched_state(&record) {
                        1 => return id,
                        // A flight's promise never rejects by itself: the
                        // runtime rejected it because the request that ran it
                        // has ended (workerd does so). It will never finish:
                        // replace it now.
                        // (Another waiter may have replaced it already: then
                        // join that one instead of replacing it in turn.)
                        2 if flight.launched(id) => {
                            let id = flight.replace(bound_ms);
                            let _ = settled(&launch(id)).await;
                            return id;
                        }
                        2 => break,
                        _ => {}
                    }
                    if !flight.launched(id) {
                        // Finished (its outcome is in the state) or replaced.
                        return id;
                    }
                    if now_ms() >= until {
                        // Past its deadline (or moved): ask again.
                        break;
                    }
                }
            }
        }
    }
}
