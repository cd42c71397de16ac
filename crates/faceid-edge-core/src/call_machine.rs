//! One call to the service as a state machine without I/O: what to do
//! next (get a ticket, renew it, send, sleep, or stop with an outcome),
//! fed with what happened (a ticket, an answer's envelope, a failed
//! exchange, the clock). The WebAssembly shell only does what it is told:
//! it gets tickets, signs and sends, sleeps, and reports the machine's
//! events; the policy is here, and `cargo test` proves it.
//!
//! The rules (`docs/protocol.md#result-queries`, [`crate::retry`]):
//! - a ticket-error code renews the SIGN ticket once and sends again once:
//!   never a second renewal in one call;
//! - a busy code (`999999`, `999998`, `999997`) is retried
//!   [`Policy::retries`] times, after an exponential, capped, jittered
//!   backoff ([`Policy::backoff_ms`]);
//! - an answer whose verdict is there but whose requested files are not
//!   yet is asked again [`Policy::file_polls`] times, every
//!   [`Policy::file_poll_interval_ms`];
//! - a `GET` whose connection closed before any answer is sent again at
//!   once, once ([`resend_at_once`]); a `POST`, a timeout or an abort never;
//! - an answer about another order than the one asked for is
//!   `BAD_RESPONSE`: one order's result never reaches a caller who asked
//!   for another;
//! - past the call's `deadlineMs` nothing more is started, and no sleep
//!   runs past it: the call ends with `TIMEOUT`.
//!
//! ```
//! use faceid_edge_core::call_machine::{CallMachine, Step};
//! use faceid_edge_core::endpoints::{GetFile, Kind};
//! use faceid_edge_core::ids::OrderNo;
//! use faceid_edge_core::response::Envelope;
//! use faceid_edge_core::retry::Policy;
//!
//! let order = OrderNo::new("order1")?;
//! let mut call = CallMachine::new(Kind::FaceResult, GetFile::None, &order, Policy::default(), 7);
//! assert_eq!(call.next(0), Step::NeedTicket);
//! call.ticket("ticket".into());
//! assert_eq!(call.next(1), Step::Send);
//! let envelope = Envelope {
//!     code: "0".into(),
//!     msg: String::new(),
//!     biz_seq_no: None,
//!     transaction_time: None,
//!     order_no: Some("order1".into()),
//! };
//! call.answered(&envelope, |_| false);
//! let Step::Done(Ok(finished)) = call.next(2) else { panic!() };
//! assert!(finished.ok && !finished.files_pending);
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use crate::endpoints::{GetFile, Kind, Method};
use crate::error::Error;
use crate::ids::OrderNo;
use crate::response::{files_pending, is_busy, Envelope};
use crate::retry::{resend_at_once, Breakage, Policy};
use crate::validate;

mod step;

pub use step::{Event, Finished, Step};

/// What the last answer said, kept until the machine has decided on it.
#[derive(Debug, Clone)]
struct Verdict {
    code: String,
    ok: bool,
    order_no: Option<String>,
    pending: bool,
}

/// Where the call is.
#[derive(Debug, Clone)]
enum State {
    /// Nothing done yet: the ticket comes first.
    Start,
    /// [`Step::NeedTicket`] was given.
    AwaitTicket,
    /// The next step sends the request.
    Ready,
    /// [`Step::Send`] was given.
    InFlight,
    /// An answer with a ticket-error code: the next step renews.
    RenewDue(Verdict),
    /// [`Step::Renew`] was given.
    AwaitRenew(Verdict),
    /// The next step sleeps `ms`.
    SleepDue { ms: u32 },
    /// [`Step::Sleep`] was given; `last` as above.
    Sleeping { last: bool },
    /// Decided: the next step ends the call with this outcome.
    Done(Result<Finished, Error>),
    /// Over: the outcome was given.
    Over,
}

/// One call's policy and progress. Made per call; drive it with
/// [`CallMachine::next`] until [`Step::Done`].
#[derive(Debug, Clone)]
pub struct CallMachine {
    kind: Kind,
    get_file: GetFile,
    method: Method,
    order_no: OrderNo,
    policy: Policy,
    ticket_error_codes: Vec<String>,
    /// `deadlineMs` of the call, counted from the first [`CallMachine::next`].
    deadline_ms: Option<u32>,
    started_ms: Option<u64>,
    ticket: Option<String>,
    /// Busy retries so far.
    retries: u32,
    /// File polls so far.
    polls: u32,
    /// Whether the one renewal of the call was asked for.
    renewed: bool,
    /// How often the current request was sent again after its connection
    /// closed under it (not a busy retry: no backoff, not in `retries`).
    resent: u32,
    /// The jitter's random state (from the random number given to `new`).
    jitter: u32,
    /// Whether the call ended on its deadline.
    expired: bool,
    state: State,
    /// The event of the last decision, until the shell takes it (each
    /// input makes at most one).
    event: Option<Event>,
}

impl CallMachine {
    /// A call of `kind` about `order_no`, asking for
    /// `get_file`, under `policy`. `random`: a random number (the backoff's
    /// jitter is drawn from it, so that clients that failed together do not
    /// retry together).
    pub fn new(
        kind: Kind,
        get_file: GetFile,
        order_no: &OrderNo,
        policy: Policy,
        random: u32,
    ) -> CallMachine {
        CallMachine {
            kind,
            get_file,
            method: kind.method(),
            order_no: order_no.clone(),
            policy,
            ticket_error_codes: Vec::new(),
            deadline_ms: None,
            started_ms: None,
            ticket: None,
            retries: 0,
            polls: 0,
            renewed: false,
            resent: 0,
            jitter: random,
            expired: false,
            state: State::Start,
            event: None,
        }
    }

    /// The codes that mean "this ticket is no longer valid" (`ticketErrorCodes`).
    pub fn with_ticket_error_codes(mut self, codes: &[String]) -> CallMachine {
        self.ticket_error_codes = codes.to_vec();
        self
    }

    /// The call's `deadlineMs`: past it nothing more is started.
    pub fn with_deadline(mut self, deadline_ms: Option<u32>) -> CallMachine {
        self.deadline_ms = deadline_ms;
        self
    }

    /// The order the call is about.
    pub fn order_no(&self) -> &OrderNo {
        &self.order_no
    }

    /// The query of the call.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The ticket to sign with (and, at [`Step::Renew`], the stale one).
    pub fn current_ticket(&self) -> Option<&str> {
        self.ticket.as_deref()
    }

    /// The next event for `onEvent`, if any: drain them before doing the
    /// step [`CallMachine::next`] gave.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.event.take()
    }

    /// What to do now, at `now_ms` (any monotonic milliseconds; the first
    /// call starts the deadline). [`Step::Done`] comes once: asked again,
    /// the machine says `INTERNAL` (a bug of the shell).
    pub fn next(&mut self, now_ms: u64) -> Step {
        let started = *self.started_ms.get_or_insert(now_ms);
        let deadline = self
            .deadline_ms
            .map(|d| started.saturating_add(u64::from(d)));
        let expired = deadline.is_some_and(|d| now_ms >= d);
        match std::mem::replace(&mut self.state, State::Start) {
            State::Done(outcome) => self.finish(outcome),
            State::Over => {
                self.misuse();
                self.next(now_ms)
            }
            // Before anything new starts (the first ticket, a send, a
            // sleep), the deadline is checked. A renewal is not stopped by
            // the clock: the source has its own timeout, and the send after
            // it is checked.
            State::Start | State::Ready | State::SleepDue { .. } | State::Sleeping { .. }
                if expired =>
            {
                self.time_out()
            }
            // A sleep cut short by the deadline: over.
            State::Sleeping { last: true } => self.time_out(),
            State::Start => {
                self.state = State::AwaitTicket;
                Step::NeedTicket
            }
            State::Ready | State::Sleeping { last: false } => {
                self.state = State::InFlight;
                Step::Send
            }
            State::RenewDue(verdict) => {
                self.state = State::AwaitRenew(verdict);
                Step::Renew
            }
            State::SleepDue { ms } => {
                // No sleep runs past the deadline: the rest of it, then over.
                let rest = deadline.map(|d| d.saturating_sub(now_ms));
                let (ms, last) = match rest {
                    Some(rest) if u64::from(ms) >= rest => {
                        (u32::try_from(rest).unwrap_or(u32::MAX), true)
                    }
                    _ => (ms, false),
                };
                self.state = State::Sleeping { last };
                Step::Sleep(ms)
            }
            State::AwaitTicket | State::InFlight | State::AwaitRenew(_) => {
                self.misuse();
                self.next(now_ms)
            }
        }
    }

    /// The SIGN ticket, after [`Step::NeedTicket`].
    pub fn ticket(&mut self, ticket: String) {
        if !matches!(self.state, State::AwaitTicket) {
            self.misuse();
            return;
        }
        self.ticket = Some(ticket);
        self.state = State::Ready;
    }

    /// The source's answer to [`Step::Renew`]: a new ticket, or `None`
    /// when it cannot renew (a fixed ticket): then the answer that asked
    /// for it counts as it is.
    pub fn renewed(&mut self, fresh: Option<String>) {
        let State::AwaitRenew(verdict) = std::mem::replace(&mut self.state, State::Start) else {
            self.misuse();
            return;
        };
        match fresh {
            Some(ticket) => {
                self.ticket = Some(ticket);
                self.announce(Event::Renewed { code: verdict.code });
                self.state = State::Ready;
            }
            None => self.decide(verdict),
        }
    }

    /// The service answered [`Step::Send`] with `envelope`; `has` says
    /// whether the payload has a non-empty value for a field (only the
    /// requested files are asked about).
    pub fn answered(&mut self, envelope: &Envelope, has: impl Fn(&str) -> bool) {
        if !matches!(self.state, State::InFlight) {
            self.misuse();
            return;
        }
        self.resent = 0;
        let verdict = Verdict {
            code: envelope.code.clone(),
            ok: envelope.ok(),
            order_no: envelope.order_no.clone(),
            pending: files_pending(self.kind, self.get_file, envelope.ok(), has),
        };
        if !self.renewed && self.ticket_error_codes.contains(&verdict.code) {
            // Renew once and send again once; never loop.
            self.renewed = true;
            self.state = State::RenewDue(verdict);
            return;
        }
        self.decide(verdict);
    }

    /// The exchange of [`Step::Send`] failed as `breakage`, with `error`:
    /// a `GET` whose connection closed before any answer is sent again at
    /// once (once); anything else ends the call with `error`.
    pub fn transport_failed(&mut self, breakage: &Breakage, error: Error) {
        if !matches!(self.state, State::InFlight) {
            self.misuse();
            return;
        }
        if resend_at_once(self.method, breakage, self.resent) {
            // A kept-alive socket the server had closed: at once, as
            // browsers do (the deadline still holds: `next`).
            self.resent += 1;
            self.announce(Event::Resend {
                attempt: self.resent,
                error_code: error.code(),
            });
            self.state = State::Ready;
            return;
        }
        let error = match error {
            Error::Network(m) if self.resent > 0 => Error::Network(format!(
                "{m}; it had been sent again at once, after its connection closed under the first attempt"
            )),
            e => e,
        };
        self.state = State::Done(Err(error));
    }

    /// The call failed outside the machine's rules (the ticket source, the
    /// answer was no JSON, the caller's signal or deadline fired): over,
    /// with `error`.
    pub fn fail(&mut self, error: Error) {
        if !self.is_done() {
            self.state = State::Done(Err(error));
        }
    }

    /// Whether the call ended because its deadline passed (the shell may
    /// know better why: the caller's signal can end the call first).
    pub fn expired(&self) -> bool {
        self.expired
    }

    /// Whether the call is over.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_) | State::Over)
    }

    /// Busy retry, file poll, or the end, for an answer.
    fn decide(&mut self, verdict: Verdict) {
        if is_busy(&verdict.code) && self.retries < self.policy.retries {
            self.retries += 1;
            let random = self.random();
            let delay_ms = self.policy.backoff_ms(self.retries, random);
            self.announce(Event::Busy {
                code: verdict.code,
                attempt: self.retries,
                delay_ms,
            });
            self.state = State::SleepDue { ms: delay_ms };
            return;
        }
        if verdict.pending && self.polls < self.policy.file_polls {
            self.polls += 1;
            let delay_ms = self.policy.file_poll_interval_ms;
            self.announce(Event::Poll {
                attempt: self.polls,
                delay_ms,
            });
            self.state = State::SleepDue { ms: delay_ms };
            return;
        }
        if let Some(answered) = verdict.order_no.as_deref() {
            if answered != self.order_no.as_str() {
                // Never hand one order's result to a caller who asked for another.
                let e = Error::BadResponse(format!(
                    "the answer is about another order ({}), not the one asked for",
                    validate::quote(answered)
                ));
                self.state = State::Done(Err(e));
                return;
            }
        }
        self.state = State::Done(Ok(Finished {
            code: verdict.code,
            ok: verdict.ok,
            files_pending: verdict.pending,
        }));
    }

    /// The next jitter value (SplitMix32-like: one random start, a new value per retry).
    fn random(&mut self) -> u32 {
        self.jitter = self.jitter.wrapping_add(0x9E37_79B9);
        let mut z = self.jitter;
        z = (z ^ (z >> 16)).wrapping_mul(0x85EB_CA6B);
        z = (z ^ (z >> 13)).wrapping_mul(0xC2B2_AE35);
        z ^ (z >> 16)
    }

    /// Ends a call past its deadline.
    fn time_out(&mut self) -> Step {
        self.expired = true;
        let ms = self.deadline_ms.unwrap_or_default();
        self.finish(Err(Error::Timeout(format!(
            "the call did not finish within {ms} ms (deadlineMs), retries and file polls included"
        ))))
    }

    /// Keeps `event` for the shell.
    fn announce(&mut self, event: Event) {
        self.event = Some(event);
    }

    /// Ends the call with `outcome` and says so.
    fn finish(&mut self, outcome: Result<Finished, Error>) -> Step {
        self.state = State::Over;
        Step::Done(outcome)
    }

    /// Ends the call: the shell fed it out of turn, or asked for a step
    /// while one was under way or after the end (a bug of the shell).
    fn misuse(&mut self) {
        self.state = State::Done(Err(Error::Internal(
            "the call machine was driven out of turn".into(),
        )));
    }
}

/// The longest one call may take under `policy`: every attempt it may make
/// (busy retries, file polls, a ticket renewal, a resend) at `timeout_ms`
/// each, the delays between them, and the ticket; `deadline_ms` when
/// shorter.
pub fn call_bound_ms(policy: &Policy, deadline_ms: Option<u32>) -> u64 {
    let p = policy;
    let attempts = 4 + u64::from(p.retries) + u64::from(p.file_polls);
    let delays = u64::from(p.retries) * u64::from(p.max_delay_ms)
        + u64::from(p.file_polls) * u64::from(p.file_poll_interval_ms);
    let bound = attempts * u64::from(p.timeout_ms) + delays;
    deadline_ms.map_or(bound, |d| bound.min(u64::from(d)))
}
