//! The cached token and SIGN ticket of one owner and its refresh
//! bookkeeping: what to do now ([`Plan`], [`NoncePlan`]), what a refresh,
//! a failure or a read of the shared store changes, and the operator's view
//! ([`Status`]). Pure: the caller passes the clock.

use super::{digest, nonce_mint, Credential, NonceMint, Schedule};
use crate::error::Error;

/// The access token to mint a NONCE ticket from, or what to do first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoncePlan {
    /// Mint from this token.
    Mint(String),
    /// Refresh first (the single flight; with a shared store, read it
    /// first), then plan again. `fallback`: the token to mint from if no
    /// refresh can be had.
    Refresh {
        /// A token still good for minting, if the refresh fails.
        fallback: Option<String>,
    },
}

/// What a caller should do for a SIGN ticket now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Use this ticket.
    Use(String),
    /// Use this ticket, and start a refresh (unless one is running).
    UseAndRefresh(String),
    /// No usable ticket: refresh (or join the running refresh) and wait.
    Refresh,
    /// No usable ticket and the last refresh failed: no new attempt before
    /// this time. The message says why.
    Unavailable {
        /// When a new attempt is allowed.
        retry_at_ms: u64,
        /// The last refresh error.
        reason: String,
    },
}

/// The last refresh failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its error code.
    pub code: &'static str,
    /// Its message (never a secret: built from fixed text and service codes).
    pub message: String,
    /// When it happened.
    pub at_ms: u64,
}

/// The cached token and SIGN ticket, and the refresh bookkeeping.
#[derive(Debug, Clone, Default)]
pub struct TicketState {
    token: Option<Credential>,
    ticket: Option<Credential>,
    /// A token minted by a refresh that has not produced its SIGN ticket yet
    /// (the refresh failed or was cancelled after minting it). Minting
    /// retired the cached token: the cached ticket dies
    /// [`Schedule::replaced_grace_ms`] after it, so the next refresh fetches
    /// a ticket from this token instead of minting yet another one.
    minted: Option<Credential>,
    last_refresh_ms: Option<u64>,
    refreshes: u64,
    failures: u32,
    pub(super) retry_at_ms: u64,
    last_error: Option<Failure>,
    /// When the shared store was last read.
    read_at_ms: Option<u64>,
    /// Why the last refresh could not be written to the shared store.
    store_error: Option<Failure>,
    /// The SIGN ticket the current one replaced: never used to sign, only
    /// to check signatures the service made just before the refresh (the
    /// H5 callback's `newSign`).
    previous: Option<Credential>,
    /// Digest of the last SIGN ticket the service refused: never adopted
    /// again from a store (see [`TicketState::refuse`]).
    refused: Option<String>,
}

/// What an operator needs to see: ages and expiries, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Whether a usable SIGN ticket is cached.
    pub has_ticket: bool,
    /// Age of the SIGN ticket.
    pub ticket_age_ms: Option<u64>,
    /// Time left before the SIGN ticket expires.
    pub ticket_expires_in_ms: Option<u64>,
    /// Age of the access token.
    pub token_age_ms: Option<u64>,
    /// Time left before the access token expires.
    pub token_expires_in_ms: Option<u64>,
    /// When the next refresh is due (0: now).
    pub next_refresh_in_ms: Option<u64>,
    /// When the next refresh attempt is allowed after failures (0: now).
    pub retry_in_ms: u64,
    /// When the last successful refresh finished.
    pub last_refresh_ms: Option<u64>,
    /// How many refreshes succeeded.
    pub refreshes: u64,
    /// Failed refreshes since the last success.
    pub failures: u32,
    /// The last failure.
    pub last_error: Option<Failure>,
    /// Why the last refresh could not be shared through the store (its
    /// ticket is still used here).
    pub store_error: Option<Failure>,
    /// Age of the last read of the shared store.
    pub store_read_age_ms: Option<u64>,
}

fn newer(a: &Credential, than: Option<&Credential>) -> bool {
    than.map_or(true, |b| a.obtained_at_ms > b.obtained_at_ms)
}

impl TicketState {
    /// When the cached ticket dies because a newer token was minted.
    fn retiring_at(&self, schedule: &Schedule) -> Option<u64> {
        let minted = self.minted.as_ref()?;
        newer(minted, self.token.as_ref()).then(|| {
            minted
                .obtained_at_ms
                .saturating_add(schedule.replaced_grace_ms)
        })
    }

    /// The cached SIGN ticket, if it may be handed out at `now`.
    fn usable_ticket(&self, now_ms: u64, schedule: &Schedule) -> Option<&Credential> {
        let retiring = self.retiring_at(schedule);
        self.ticket.as_ref().filter(|t| {
            schedule.usable(t, now_ms)
                && retiring.map_or(true, |r| now_ms.saturating_add(schedule.safety_ms) < r)
        })
    }

    /// Whether the cached ticket is due for a refresh at `now`.
    fn due(&self, now_ms: u64, schedule: &Schedule) -> bool {
        self.retiring_at(schedule).is_some()
            || self
                .ticket
                .as_ref()
                .map_or(true, |t| now_ms >= schedule.due_at(t))
    }

    /// What to do for a SIGN ticket at `now`.
    pub fn plan(&self, now_ms: u64, schedule: &Schedule) -> Plan {
        let may_try = now_ms >= self.retry_at_ms;
        match self.usable_ticket(now_ms, schedule) {
            Some(t) => {
                if may_try && self.due(now_ms, schedule) {
                    Plan::UseAndRefresh(t.value.clone())
                } else {
                    Plan::Use(t.value.clone())
                }
            }
            None if may_try => Plan::Refresh,
            None => Plan::Unavailable {
                retry_at_ms: self.retry_at_ms,
                reason: self.failure_reason(),
            },
        }
    }

    /// What to do at `now` when a shared store holds the ticket of record:
    /// as [`TicketState::plan`], but a ticket not checked against the store
    /// for [`Schedule::store_check_ms`], or not since it became due, is not
    /// used before a read (another process may have replaced it), and a read
    /// is allowed while backing off.
    pub fn plan_shared(&self, now_ms: u64, schedule: &Schedule) -> Plan {
        match self.plan(now_ms, schedule) {
            Plan::Use(_) | Plan::UseAndRefresh(_) | Plan::Unavailable { .. }
                if self.store_stale(now_ms, schedule) =>
            {
                Plan::Refresh
            }
            plan => plan,
        }
    }

    /// Whether the shared store must be read before the cached token or
    /// ticket is used: not read for [`Schedule::store_check_ms`], or the
    /// ticket became due since the last read (a peer may have replaced it).
    fn store_stale(&self, now_ms: u64, schedule: &Schedule) -> bool {
        let due_point = self.ticket.as_ref().map_or(0, |t| schedule.due_at(t));
        self.read_at_ms.map_or(true, |r| {
            now_ms.saturating_sub(r) >= schedule.store_check_ms
                || (r < due_point && now_ms >= due_point)
        })
    }

    /// What to do at `now` for a NONCE ticket (see [`nonce_mint`]): mint
    /// from a token that outlives it, or refresh first. The token is the one
    /// an unfinished refresh minted, else the cached one, whose planned
    /// replacement is the next refresh of the cached SIGN ticket (or the
    /// moment a newer token was minted).
    pub fn nonce_plan(&self, now_ms: u64, schedule: &Schedule) -> NoncePlan {
        let (token, refresh_at) = match self.reusable_minted(now_ms, schedule) {
            Some(m) => (m, schedule.due_at(m)),
            None => match &self.token {
                Some(t) => {
                    let mut at = schedule.due_at(t);
                    if let Some(ticket) = &self.ticket {
                        at = at.min(schedule.due_at(ticket));
                    }
                    if let Some(m) = self.minted.as_ref().filter(|m| newer(m, Some(t))) {
                        at = at.min(m.obtained_at_ms);
                    }
                    (t, at)
                }
                None => return NoncePlan::Refresh { fallback: None },
            },
        };
        match nonce_mint(token, refresh_at, now_ms, schedule) {
            NonceMint::Mint => NoncePlan::Mint(token.value.clone()),
            NonceMint::RefreshFirst { fallback } => NoncePlan::Refresh {
                fallback: fallback.then(|| token.value.clone()),
            },
        }
    }

    /// As [`TicketState::nonce_plan`] when a shared store holds the token of
    /// record: a token not checked against the store recently is not used
    /// before a read (it stays the fallback).
    pub fn nonce_plan_shared(&self, now_ms: u64, schedule: &Schedule) -> NoncePlan {
        match self.nonce_plan(now_ms, schedule) {
            NoncePlan::Mint(t) if self.store_stale(now_ms, schedule) => {
                NoncePlan::Refresh { fallback: Some(t) }
            }
            plan => plan,
        }
    }

    /// Whether a refresh is wanted at `now` for a NONCE ticket (the token
    /// retires within its life) and allowed (not backing off).
    pub fn nonce_wants_refresh(&self, now_ms: u64, schedule: &Schedule) -> bool {
        self.may_refresh(now_ms)
            && matches!(self.nonce_plan(now_ms, schedule), NoncePlan::Refresh { .. })
    }

    /// The last refresh failure's message, never empty.
    pub fn failure_reason(&self) -> String {
        match &self.last_error {
            Some(f) if !f.message.is_empty() => format!("{}: {}", f.code, f.message),
            Some(f) => f.code.to_owned(),
            None => "no refresh has completed yet".to_owned(),
        }
    }

    /// The SIGN ticket to hand out at `now`, if any, with its expiry.
    pub fn current(&self, now_ms: u64, schedule: &Schedule) -> Option<(&str, u64)> {
        let t = self.usable_ticket(now_ms, schedule)?;
        let dies = self.retiring_at(schedule).unwrap_or(u64::MAX);
        Some((t.value.as_str(), t.expires_at_ms.min(dies)))
    }

    /// Whether a refresh is wanted at `now` (no usable ticket, or due) and
    /// allowed (not backing off).
    pub fn wants_refresh(&self, now_ms: u64, schedule: &Schedule) -> bool {
        self.may_refresh(now_ms)
            && (self.usable_ticket(now_ms, schedule).is_none() || self.due(now_ms, schedule))
    }

    /// A token minted by an unfinished refresh that the next refresh should
    /// fetch its ticket from, instead of minting another.
    pub fn reusable_minted(&self, now_ms: u64, schedule: &Schedule) -> Option<&Credential> {
        self.minted
            .as_ref()
            .filter(|m| newer(m, self.token.as_ref()) && schedule.usable(m, now_ms))
    }

    /// Records a token just minted, before its ticket is fetched.
    pub fn minted(&mut self, token: Credential) {
        if newer(&token, self.minted.as_ref()) {
            self.minted = Some(token);
        }
    }

    /// Records a successful refresh: a new token and the SIGN ticket minted
    /// from it. `false` (and nothing changes) when the state already holds a
    /// newer token: a refresh that was abandoned and finished late must not
    /// bring back a ticket that a newer mint has retired.
    pub fn refreshed(&mut self, token: Credential, ticket: Credential, now_ms: u64) -> bool {
        if !newer(&token, self.token.as_ref()) {
            return false;
        }
        self.install(token, ticket, now_ms);
        self.refreshes += 1;
        true
    }

    /// Caches `token` and `ticket` (obtained by us or a peer, refreshed at
    /// `refreshed_ms`) and clears the failure bookkeeping and any older
    /// minted token.
    fn install(&mut self, token: Credential, ticket: Credential, refreshed_ms: u64) {
        if self
            .minted
            .as_ref()
            .is_some_and(|m| m.obtained_at_ms <= token.obtained_at_ms)
        {
            self.minted = None;
        }
        self.token = Some(token);
        if let Some(old) = self.ticket.take() {
            if old.value != ticket.value {
                self.previous = Some(old);
            }
        }
        self.ticket = Some(ticket);
        self.last_refresh_ms = Some(refreshed_ms);
        self.failures = 0;
        self.retry_at_ms = 0;
        self.last_error = None;
    }

    /// Takes a token and ticket that another owner fetched (from a shared
    /// store) when they are newer than ours, usable at `now` and not the
    /// ticket the service refused: cached like a refresh, but not counted as
    /// one of ours. `true` when adopted.
    pub fn adopt(
        &mut self,
        token: Credential,
        ticket: Credential,
        now_ms: u64,
        schedule: &Schedule,
    ) -> bool {
        if !newer(&token, self.token.as_ref())
            || !schedule.usable(&ticket, now_ms)
            || self.refused.as_deref() == Some(digest(&ticket.value).as_str())
        {
            return false;
        }
        let refreshed_ms = ticket.obtained_at_ms;
        self.install(token, ticket, refreshed_ms);
        true
    }

    /// The SIGN ticket the current one replaced, until its own expiry: for
    /// checking signatures the service made with it, never for signing.
    pub fn previous_ticket(&self, now_ms: u64) -> Option<&str> {
        self.previous
            .as_ref()
            .filter(|p| now_ms < p.obtained_at_ms.saturating_add(p.lifetime_ms()))
            .map(|p| p.value.as_str())
    }

    /// Records a read of the shared store at `now`.
    pub fn read_store(&mut self, now_ms: u64) {
        self.read_at_ms = Some(now_ms);
    }

    /// Records whether the last refresh reached the shared store.
    pub fn shared(&mut self, outcome: Option<(&Error, u64)>) {
        self.store_error = outcome.map(|(error, at_ms)| Failure {
            code: error.code(),
            message: error.message().to_owned(),
            at_ms,
        });
    }

    /// Forgets a minted token that the service refused to mint tickets from.
    pub fn forget_minted(&mut self) {
        self.minted = None;
    }

    /// Whether a refresh may be attempted at `now` (not backing off).
    pub fn may_refresh(&self, now_ms: u64) -> bool {
        now_ms >= self.retry_at_ms
    }

    /// The cached SIGN ticket's value, usable or not.
    pub fn ticket_value(&self) -> Option<&str> {
        self.ticket.as_ref().map(|t| t.value.as_str())
    }

    /// Records a failed refresh; the next attempt waits an exponential
    /// backoff (`random` adds jitter): half the delay plus up to half again.
    pub fn failed(&mut self, error: &Error, now_ms: u64, schedule: &Schedule, random: u32) {
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(20);
        let delay = schedule
            .retry_base_ms
            .saturating_mul(1u64 << shift)
            .min(schedule.retry_max_ms);
        let jitter = if delay > 1 {
            u64::from(random) % (delay / 2 + 1)
        } else {
            0
        };
        self.retry_at_ms = now_ms.saturating_add(delay / 2 + jitter);
        let message = match error.message() {
            "" => "failed without a reason".to_owned(),
            m => m.to_owned(),
        };
        self.last_error = Some(Failure {
            code: error.code(),
            message,
            at_ms: now_ms,
        });
    }

    /// Milliseconds until the next refresh should run, for a timer (an
    /// alarm): when the ticket is due, but never before the backoff ends;
    /// `None` when there is nothing to refresh and no failure to retry.
    pub fn next_attempt_in_ms(&self, now_ms: u64, schedule: &Schedule) -> Option<u64> {
        let backoff = self.retry_at_ms.saturating_sub(now_ms);
        let due = match &self.ticket {
            Some(t) if self.retiring_at(schedule).is_none() => {
                schedule.due_at(t).saturating_sub(now_ms)
            }
            Some(_) => 0,
            None if self.last_error.is_some() => 0,
            None => return None,
        };
        Some(due.max(backoff))
    }

    /// When the cached SIGN ticket expires.
    pub fn ticket_expiry(&self) -> Option<u64> {
        self.ticket.as_ref().map(|t| t.expires_at_ms)
    }

    /// The cached token and SIGN ticket (for durable storage by an owner).
    pub fn credentials(&self) -> Option<(&Credential, &Credential)> {
        Some((self.token.as_ref()?, self.ticket.as_ref()?))
    }

    /// The service refused `stale`: it is never adopted again (a peer may
    /// still hold it in the store), and when it is the cached ticket it is
    /// forgotten ([`TicketState::invalidate`]) so the next plan is a refresh.
    pub fn refuse(&mut self, stale: &str) {
        self.refused = Some(digest(stale));
        if self.ticket_value() == Some(stale) {
            self.invalidate();
        }
    }

    /// Forgets the SIGN ticket (the service said it is invalid), so the next
    /// plan is a refresh.
    pub fn invalidate(&mut self) {
        self.ticket = None;
        self.token = None;
        self.retry_at_ms = 0;
    }

    /// The operator's view at `now`.
    pub fn status(&self, now_ms: u64, schedule: &Schedule) -> Status {
        let age = |c: &Credential| now_ms.saturating_sub(c.obtained_at_ms);
        let left = |c: &Credential| c.expires_at_ms.saturating_sub(now_ms);
        let retiring = self.retiring_at(schedule).is_some();
        Status {
            has_ticket: self.usable_ticket(now_ms, schedule).is_some(),
            ticket_age_ms: self.ticket.as_ref().map(age),
            ticket_expires_in_ms: self.ticket.as_ref().map(left),
            token_age_ms: self.token.as_ref().map(age),
            token_expires_in_ms: self.token.as_ref().map(left),
            next_refresh_in_ms: self.ticket.as_ref().map(|t| {
                if retiring {
                    0
                } else {
                    schedule.due_at(t).saturating_sub(now_ms)
                }
            }),
            retry_in_ms: self.retry_at_ms.saturating_sub(now_ms),
            last_refresh_ms: self.last_refresh_ms,
            refreshes: self.refreshes,
            failures: self.failures,
            last_error: self.last_error.clone(),
            store_error: self.store_error.clone(),
            store_read_age_ms: self.read_at_ms.map(|r| now_ms.saturating_sub(r)),
        }
    }
}
