//! The result routes' upstream calls, shared: requests for the same answer
//! (the same route kind, order and user) that arrive while its query is in
//! flight wait for that query instead of sending their own, and a final
//! answer is kept in memory for `resultCacheMs` (per isolate or process).
//! The bookkeeping of the memory is the core's
//! ([`crate::result_cache`]); the waiting is a [`Flight`] per answer, so
//! that it works across requests in workerd (see [`super::flight`]).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::answer::Reply;
use super::boundary::string_length;
use super::client::Inner;
use super::flight::{run, Flight, WaitUntil};
use super::hooks::Hooks;
use super::http::now_ms;
use super::limits::RateLimit;
use crate::edge::Route;
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::ids::{OrderNo, UserId};
use crate::order_token::TokenKind;
use crate::result_cache::{is_final, Key, ResultCache};

/// What a query ended with: the service's answer and whether it is
/// final, or the error.
pub(super) type Outcome = Result<(Reply, bool), Error>;

/// A query, started once per flight.
pub(super) type Query = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Outcome>>>>;

/// One answer's flight and the outcome of its last flight.
#[derive(Default)]
struct Slot {
    flight: Flight,
    outcome: RefCell<Option<(u64, Outcome)>>,
}

/// The result routes' queries in flight and final answers in memory.
pub(super) struct Results {
    cache: RefCell<ResultCache<JsValue>>,
    /// The answers with a flight, few at a time: a list searched in order.
    slots: RefCell<Vec<(Key, Rc<Slot>)>>,
}

impl Results {
    /// Final answers kept `ttl_ms` (0: none; queries in flight are shared
    /// all the same).
    pub fn new(ttl_ms: u64) -> Results {
        Results {
            cache: RefCell::new(ResultCache::new(ttl_ms)),
            slots: RefCell::default(),
        }
    }

    /// The answer's JSON text (or its parts) kept for `key`, if any.
    pub fn cached(&self, key: &Key) -> Option<JsValue> {
        self.cache.borrow_mut().get(key, now_ms())
    }

    /// Keeps the final answer's JSON text (or its parts, see
    /// `js/large.js`) for `key`.
    pub fn keep(&self, key: Key, text: &JsValue) {
        let size = if text.is_string() {
            string_length(text)
        } else {
            super::large::parts_length(text)
        } as usize;
        self.cache
            .borrow_mut()
            .put(key, text.clone(), size, now_ms());
    }

    /// The slot of `key`, made when it has none.
    fn slot(&self, key: &Key) -> Rc<Slot> {
        let mut slots = self.slots.borrow_mut();
        if let Some((_, slot)) = slots.iter().find(|(k, _)| k == key) {
            return slot.clone();
        }
        let slot = Rc::new(Slot::default());
        slots.push((key.clone(), slot.clone()));
        slot
    }

    /// The outcome of `query` for `key`: the one in flight if there is one
    /// (started by another request), else a new one, run as a flight that
    /// `ctx` keeps alive. `bound_ms` is the longest a query may take: a
    /// flight past it (its request ended under it) is replaced.
    pub async fn shared(
        &self,
        key: &Key,
        bound_ms: u64,
        ctx: Option<&WaitUntil>,
        query: Query,
    ) -> Outcome {
        loop {
            let slot = self.slot(key);
            let id = run(&slot.flight, bound_ms, |id| {
                let work = query();
                let own = slot.clone();
                slot.flight.launch(id, ctx, async move {
                    let outcome = work.await;
                    if own.flight.finish(id) {
                        *own.outcome.borrow_mut() = Some((id, outcome));
                    }
                })
            })
            .await;
            let outcome = match slot.outcome.borrow().as_ref() {
                // That flight's outcome, or a later one's (as fresh).
                Some((done, outcome)) if *done >= id => Some(outcome.clone()),
                _ => None,
            };
            if !slot.flight.running() {
                // Nothing in flight: forget the slot (waiters that still
                // hold it read its outcome from their own reference).
                self.slots
                    .borrow_mut()
                    .retain(|(k, s)| k != key || !Rc::ptr_eq(s, &slot));
            }
            if let Some(outcome) = outcome {
                return outcome;
            }
            // The flight was abandoned without an outcome: ask again.
        }
    }
}

/// What a result route's query needs, owned (it may outlive the request
/// that started it, as a flight others wait for).
pub(super) struct ResultQuery {
    /// The handler's client.
    pub client: Rc<Inner>,
    /// The handler's `rateLimit` hook.
    pub rate: RateLimit,
    /// The result route (its name for the hook).
    pub route: Route,
    /// The user the token was checked for.
    pub user: Option<UserId>,
    /// The request that starts the query (for the hook).
    pub request: JsValue,
    /// The Worker's `env` (for the hook).
    pub env: JsValue,
    /// The query behind the route.
    pub kind: Kind,
    /// The order.
    pub order_no: OrderNo,
    /// The files the handler reveals.
    pub get_file: GetFile,
    /// Keeps a ticket refresh alive past the response.
    pub ctx: Option<WaitUntil>,
    /// `onResult`, told once per answer the service gave (not once per
    /// request that shared it).
    pub hooks: Hooks,
    /// The order token kind of the route (the hook's `kind`).
    pub token_kind: TokenKind,
}

/// The query of a result route, as a [`Query`]: the rate limit is asked
/// first (only requests that reach the service count), then the service.
/// The answer is final when [`is_final`] says so.
pub(super) fn result_query(q: ResultQuery) -> Query {
    let q = Rc::new(q);
    Box::new(move || {
        let q = q.clone();
        Box::pin(async move {
            q.rate
                .check(q.route, q.user.as_deref(), &q.request, &q.env)
                .await?;
            let reply = q
                .client
                .query(q.kind, q.order_no.clone(), q.get_file, q.ctx.as_ref(), None)
                .await?;
            q.hooks
                .finished(
                    q.token_kind,
                    &q.order_no,
                    q.user.as_deref(),
                    &reply,
                    q.ctx.as_ref(),
                )
                .await;
            let last = is_final(reply.code(), reply.files_pending());
            Ok((reply, last))
        })
    })
}
