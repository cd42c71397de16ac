//! One refresh of the access token and SIGN ticket (a "sync"), optionally
//! coordinated with other processes through a shared store, as a sans-IO
//! state machine: it says what to do next ([`Action`]) and is fed what that
//! gave ([`Input`]) with the clock. The caller (the wasm shell) only calls
//! the store, fetches and sleeps; every rule lives here.
//!
//! With a store the protocol is:
//! 1. read the store and adopt what it holds when it is newer;
//! 2. if a refresh is still wanted, take the store's lock for a lease
//!    ([`LockTiming::lease_ms`]); whoever holds it refreshes, the others
//!    sleep ([`LockTiming::poll_ms`]), read the store again and stop once a
//!    fresh ticket appears, giving up after one lease;
//! 3. the holder reads again (a peer may have refreshed between the first
//!    read and the lock), refreshes only if still wanted and only while the
//!    lease still covers the refresh and the write, keeps what it got even
//!    if it cannot be shared, writes it (compare-and-set over the value read
//!    under the lock, when the store has it), reads again after a failed
//!    write, and always releases the lock, whatever failed.
//!
//! A lock whose holder goes away (a cancelled request) is never released:
//! the store expires it after its lease, and the next peer takes it over.
//! Every step that waits on something is bounded by `timeoutMs` in the
//! shell; [`Action::Step`] asks the shell to move the single flight's
//! deadline first (and says when the flight was abandoned: a newer one runs).

use crate::error::Error;
use crate::tickets::{Credential, Schedule, TicketState};

/// Extra time a flight step may take beyond `timeoutMs` before the flight
/// counts as abandoned (timers and scheduling).
pub const STEP_SLACK_MS: u64 = 1000;
/// How often a process waiting for another one's refresh reads the store.
pub const LOCK_POLL_MS: u32 = 100;
/// How many steps a lease lasts: a whole bounded refresh (a read, the
/// token, the ticket, the write, the unlock) with room to spare.
pub const LEASE_STEPS: u64 = 6;
/// How many steps of the lease must remain when the holder has read the
/// store under the lock, for it to start the refresh: the token, the ticket
/// and the write, each one step, and one to spare for a late lock answer.
pub const LEASE_STEPS_LEFT_TO_REFRESH: u64 = 4;

/// The durations of the protocol, all derived from the client's `timeoutMs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTiming {
    /// The longest one step may take: `timeoutMs` + [`STEP_SLACK_MS`].
    pub step_ms: u64,
    /// How long the store lock is held at most: [`LEASE_STEPS`] steps, so
    /// that it never expires while its holder still works.
    pub lease_ms: u64,
    /// How long a waiting process sleeps between reads of the store.
    pub poll_ms: u32,
}

impl LockTiming {
    /// The timing for a client whose every call is bounded by `timeout_ms`.
    pub fn new(timeout_ms: u32) -> LockTiming {
        let step_ms = u64::from(timeout_ms) + STEP_SLACK_MS;
        LockTiming {
            step_ms,
            lease_ms: LEASE_STEPS * step_ms,
            poll_ms: LOCK_POLL_MS,
        }
    }

    /// The longest the holder may have held the lock when it starts the
    /// refresh: past this, the lease could expire before the write.
    pub fn latest_refresh_after_lock_ms(&self) -> u64 {
        self.lease_ms
            .saturating_sub(LEASE_STEPS_LEFT_TO_REFRESH * self.step_ms)
    }
}

/// What the shell should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<V> {
    /// Move the single flight's deadline one step forward; feed
    /// [`Input::Step`] with whether the flight is still the current one.
    Step,
    /// `store.get(tickets key)`; feed [`Input::Read`].
    Read,
    /// `store.lock(lock key, lease_ms)`; feed [`Input::Lock`].
    TryLock {
        /// How long the store keeps the lock.
        lease_ms: u64,
    },
    /// Fetch a new token (or reuse the one an unfinished refresh minted)
    /// and a SIGN ticket from it, upstream; feed [`Input::Refreshed`].
    Refresh,
    /// Write the token and ticket (as JSON) to the store, to live `ttl_ms`:
    /// `compareAndSet` over `expected` (`null` when `None`) when the store
    /// has it, else `set`; feed [`Input::Written`].
    Write {
        /// The raw value read under the lock (a string), for compare-and-set.
        expected: Option<V>,
        /// The token to store.
        token: Credential,
        /// The SIGN ticket to store.
        ticket: Credential,
        /// The store's time-to-live: the ticket's lifetime.
        ttl_ms: u64,
    },
    /// `store.unlock(lock key, token)`, best effort (the lock expires by
    /// itself, and the token names this holder only); feed
    /// [`Input::Released`].
    Release(V),
    /// Wait this many milliseconds; feed [`Input::Slept`].
    Sleep(u32),
    /// The sync ended; its outcome is in the state.
    Done,
    /// The sync failed (the caller records it in the state's backoff).
    Fail(Error),
}

/// What the store held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<V> {
    /// The raw value when it is a string (what compare-and-set expects).
    pub raw: Option<V>,
    /// The token and ticket it holds, when it decodes.
    pub credentials: Option<(Credential, Credential)>,
}

/// What the last action gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<V> {
    /// The first input of a sync.
    Start,
    /// [`Action::Step`]: `true` when the flight is still the current one.
    Step(bool),
    /// [`Action::Read`]: the value, or why the store gave none (it threw,
    /// rejected, or did not answer within `timeoutMs`).
    Read(Result<Stored<V>, Error>),
    /// [`Action::TryLock`]: the holder's token when the lock was taken,
    /// `None` when another process holds it, or the store's error.
    Lock(Result<Option<V>, Error>),
    /// [`Action::Refresh`]: the new token and ticket, or the error.
    Refreshed(Result<(Credential, Credential), Error>),
    /// [`Action::Write`]: `Ok(false)` when compare-and-set found another
    /// value, or the store's error.
    Written(Result<bool, Error>),
    /// [`Action::Release`] is done (whatever the store answered).
    Released,
    /// [`Action::Sleep`] is over.
    Slept,
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase<V> {
    Begin,
    /// The first read: before its step, then waiting for it.
    FirstStep,
    FirstRead,
    /// Not holding the lock; giving up after `give_up_ms`.
    LockStep {
        give_up_ms: u64,
    },
    Locking {
        give_up_ms: u64,
    },
    Sleeping {
        give_up_ms: u64,
    },
    PollStep {
        give_up_ms: u64,
    },
    Polling {
        give_up_ms: u64,
    },
    /// Holding the lock (under `held`, since `locked_at_ms`).
    CheckStep {
        held: V,
        locked_at_ms: u64,
    },
    Checking {
        held: V,
        locked_at_ms: u64,
    },
    Refreshing {
        held: Option<V>,
        expected: Option<V>,
    },
    WriteStep {
        held: V,
        write: Box<Action<V>>,
    },
    Writing {
        held: V,
    },
    Rereading {
        held: V,
    },
    Releasing {
        outcome: Option<Error>,
    },
    Ended,
}

/// One sync of one owner's token and ticket (see the module docs).
#[derive(Debug, Clone)]
pub struct StoreLock<V> {
    timing: LockTiming,
    schedule: Schedule,
    shared: bool,
    for_nonce: bool,
    phase: Phase<V>,
}

/// Why a flight stopped at a step: a newer one replaced it.
pub fn abandoned() -> Error {
    Error::TicketUnavailable(
        "this refresh was abandoned after its deadline; a newer one runs".into(),
    )
}

impl<V: Clone> StoreLock<V> {
    /// A sync; `shared`: through a store. `for_nonce`: also refresh when the
    /// token retires before a NONCE ticket minted now would.
    pub fn new(timing: LockTiming, schedule: Schedule, shared: bool, for_nonce: bool) -> Self {
        StoreLock {
            timing,
            schedule,
            shared,
            for_nonce,
            phase: Phase::Begin,
        }
    }

    /// The protocol's durations.
    pub fn timing(&self) -> LockTiming {
        self.timing
    }

    /// Whether the machine holds the store lock (it will release it before
    /// it ends).
    pub fn holds_lock(&self) -> bool {
        matches!(
            self.phase,
            Phase::CheckStep { .. }
                | Phase::Checking { .. }
                | Phase::Refreshing { held: Some(_), .. }
                | Phase::WriteStep { .. }
                | Phase::Writing { .. }
                | Phase::Rereading { .. }
        )
    }

    /// Whether a refresh is wanted now and allowed.
    fn wants(&self, state: &TicketState, now_ms: u64) -> bool {
        state.wants_refresh(now_ms, &self.schedule)
            || (self.for_nonce && state.nonce_wants_refresh(now_ms, &self.schedule))
    }

    fn adopt(&self, state: &mut TicketState, stored: Stored<V>, now_ms: u64) {
        if let Some((token, ticket)) = stored.credentials {
            state.adopt(token, ticket, now_ms, &self.schedule);
        }
    }

    /// Ends with `outcome`, releasing the lock first when `held`.
    fn end(&mut self, held: Option<V>, outcome: Option<Error>) -> Action<V> {
        match held {
            Some(token) => {
                self.phase = Phase::Releasing { outcome };
                Action::Release(token)
            }
            None => {
                self.phase = Phase::Ended;
                outcome.map_or(Action::Done, Action::Fail)
            }
        }
    }

    /// Tries the lock (after a step), giving up after `give_up_ms`.
    fn try_lock(&mut self, give_up_ms: u64) -> Action<V> {
        self.phase = Phase::LockStep { give_up_ms };
        Action::Step
    }

    /// The next action, given what the last one gave, the ticket state (which
    /// this updates: adoptions, the refresh, the store's bookkeeping) and
    /// the clock. An input that does not answer the last action ends the
    /// machine with an error (releasing the lock it holds).
    pub fn next(&mut self, input: Input<V>, state: &mut TicketState, now_ms: u64) -> Action<V> {
        let phase = core::mem::replace(&mut self.phase, Phase::Ended);
        match (phase, input) {
            (Phase::Begin, Input::Start) if self.shared => {
                self.phase = Phase::FirstStep;
                Action::Step
            }
            (Phase::Begin, Input::Start) => {
                if !self.wants(state, now_ms) {
                    return self.end(None, None);
                }
                self.phase = Phase::Refreshing {
                    held: None,
                    expected: None,
                };
                Action::Refresh
            }
            (Phase::FirstStep, Input::Step(true)) => {
                // Marked before the answer: callers meanwhile count on it.
                state.read_store(now_ms);
                self.phase = Phase::FirstRead;
                Action::Read
            }
            (Phase::FirstRead, Input::Read(read)) => match read {
                Err(e) => self.end(None, Some(e)),
                Ok(stored) => {
                    self.adopt(state, stored, now_ms);
                    if !self.wants(state, now_ms) {
                        return self.end(None, None);
                    }
                    self.try_lock(now_ms.saturating_add(self.timing.lease_ms))
                }
            },
            (Phase::LockStep { give_up_ms }, Input::Step(true)) => {
                self.phase = Phase::Locking { give_up_ms };
                Action::TryLock {
                    lease_ms: self.timing.lease_ms,
                }
            }
            (Phase::Locking { give_up_ms }, Input::Lock(lock)) => match lock {
                Err(e) => self.end(None, Some(e)),
                Ok(Some(held)) => {
                    self.phase = Phase::CheckStep {
                        held,
                        locked_at_ms: now_ms,
                    };
                    Action::Step
                }
                Ok(None) => {
                    // Another process is refreshing: wait for its ticket.
                    self.phase = Phase::Sleeping { give_up_ms };
                    Action::Sleep(self.timing.poll_ms)
                }
            },
            (Phase::Sleeping { give_up_ms }, Input::Slept) => {
                self.phase = Phase::PollStep { give_up_ms };
                Action::Step
            }
            (Phase::PollStep { give_up_ms }, Input::Step(true)) => {
                self.phase = Phase::Polling { give_up_ms };
                Action::Read
            }
            (Phase::Polling { give_up_ms }, Input::Read(read)) => match read {
                Err(e) => self.end(None, Some(e)),
                Ok(stored) => {
                    self.adopt(state, stored, now_ms);
                    if !self.wants(state, now_ms) {
                        return self.end(None, None);
                    }
                    if now_ms > give_up_ms {
                        return self.end(
                            None,
                            Some(Error::TicketUnavailable(
                                "another process holds the refresh lock and no fresh ticket appeared in the store"
                                    .into(),
                            )),
                        );
                    }
                    self.try_lock(give_up_ms)
                }
            },
            (Phase::CheckStep { held, locked_at_ms }, Input::Step(true)) => {
                self.phase = Phase::Checking { held, locked_at_ms };
                Action::Read
            }
            (Phase::Checking { held, locked_at_ms }, Input::Read(read)) => {
                // Someone may have refreshed between our read and the lock.
                let stored = match read {
                    Err(e) => return self.end(Some(held), Some(e)),
                    Ok(stored) => stored,
                };
                let expected = stored.raw.clone();
                self.adopt(state, stored, now_ms);
                if !self.wants(state, now_ms) {
                    return self.end(Some(held), None);
                }
                // The lease must still cover the token, the ticket and the write.
                if now_ms.saturating_sub(locked_at_ms) > self.timing.latest_refresh_after_lock_ms()
                {
                    return self.end(
                        Some(held),
                        Some(Error::TicketUnavailable(
                            "the store was too slow: the refresh lock would expire before the refresh ends"
                                .into(),
                        )),
                    );
                }
                self.phase = Phase::Refreshing {
                    held: Some(held),
                    expected,
                };
                Action::Refresh
            }
            (Phase::Refreshing { held, expected }, Input::Refreshed(refreshed)) => {
                let (token, ticket) = match refreshed {
                    Err(e) => return self.end(held, Some(e)),
                    Ok(pair) => pair,
                };
                // Used here even if it cannot be shared: throwing it away
                // would mean minting another (and rotating every peer's
                // ticket) next time.
                state.refreshed(token.clone(), ticket.clone(), now_ms);
                let Some(held) = held else {
                    return self.end(None, None);
                };
                let ttl_ms = ticket.lifetime_ms();
                self.phase = Phase::WriteStep {
                    held,
                    write: Box::new(Action::Write {
                        expected,
                        token,
                        ticket,
                        ttl_ms,
                    }),
                };
                Action::Step
            }
            (Phase::WriteStep { held, write }, Input::Step(true)) => {
                self.phase = Phase::Writing { held };
                *write
            }
            (Phase::Writing { held }, Input::Written(written)) => {
                let failed = match written {
                    Ok(true) => None,
                    Ok(false) => Some(Error::TicketUnavailable(
                        "store.compareAndSet found a newer ticket in the store: ours was not written"
                            .into(),
                    )),
                    Err(e) => Some(e),
                };
                state.shared(failed.as_ref().map(|e| (e, now_ms)));
                if failed.is_none() {
                    return self.end(Some(held), None);
                }
                // Whatever is newer there is taken; ours stays otherwise.
                self.phase = Phase::Rereading { held };
                Action::Read
            }
            (Phase::Rereading { held }, Input::Read(read)) => {
                if let Ok(stored) = read {
                    self.adopt(state, stored, now_ms);
                }
                self.end(Some(held), None)
            }
            (Phase::Releasing { outcome }, Input::Released) => self.end(None, outcome),
            // The flight was replaced: stop, releasing the lock held.
            (phase, Input::Step(false)) => {
                let held = Self::held(phase);
                self.end(held, Some(abandoned()))
            }
            (phase, _) => {
                let held = Self::held(phase);
                self.end(
                    held,
                    Some(Error::TicketUnavailable(
                        "the refresh was fed an answer to another step".into(),
                    )),
                )
            }
        }
    }

    /// The lock token held in `phase`, if any.
    fn held(phase: Phase<V>) -> Option<V> {
        match phase {
            Phase::CheckStep { held, .. }
            | Phase::Checking { held, .. }
            | Phase::WriteStep { held, .. }
            | Phase::Writing { held }
            | Phase::Rereading { held } => Some(held),
            Phase::Refreshing { held, .. } => held,
            _ => None,
        }
    }
}
