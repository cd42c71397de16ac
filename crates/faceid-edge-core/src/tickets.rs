//! The access token and the SIGN ticket: their URLs, their answers,
//! and when to refresh them. Pure: the caller passes the clock (milliseconds)
//! and does the fetching.
//!
//! The service's rules, as this module applies them:
//! - the token lives `expire_in` seconds (7200), the SIGN ticket `expire_in`
//!   seconds (3600), a NONCE ticket 120 s and once; `expire_in` arrives as a
//!   number or a string and `expire_time` is never used;
//! - refresh about every 20 minutes ([`Schedule::refresh_every_ms`]), and
//!   never later than `expire_in` minus a margin;
//! - a refresh fetches a new token, then a new SIGN ticket from it: after it
//!   the old ones survive only about a minute, so exactly one owner may
//!   refresh, and never two refreshes at once (the caller's single flight);
//! - a failed refresh keeps serving the still-valid ticket and retries with
//!   backoff; only when no valid ticket remains do calls fail;
//! - a NONCE ticket dies with the token that minted it, so it is never minted
//!   from a token whose planned refresh or expiry is less than the ticket's
//!   120 s (and a margin) away: refresh first ([`nonce_mint`]).

use crate::error::{Error, Result};
use crate::validate;

/// Path of the access token endpoint.
pub const TOKEN_PATH: &str = "/api/oauth2/access_token";
/// Path of the ticket endpoint.
pub const TICKET_PATH: &str = "/api/oauth2/api_ticket";
/// The OAuth endpoints take exactly this version.
pub const OAUTH_VERSION: &str = "1.0.0";

/// A token or ticket with the time it was obtained and the time it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The secret value.
    pub value: String,
    /// When it was obtained (ms since the epoch, the caller's clock).
    pub obtained_at_ms: u64,
    /// `obtained_at_ms + expire_in` (never `expire_time`).
    pub expires_at_ms: u64,
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credential")
            .field("value", &"<redacted>")
            .field("obtained_at_ms", &self.obtained_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

impl Credential {
    /// Milliseconds it lives in all.
    pub fn lifetime_ms(&self) -> u64 {
        self.expires_at_ms.saturating_sub(self.obtained_at_ms)
    }
}

/// Which ticket to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketType<'a> {
    /// The SIGN ticket (server-side signatures; cached).
    Sign,
    /// A NONCE ticket for one user (H5/SDK start; single use, never cached).
    Nonce {
        /// The user it is for.
        user_id: &'a str,
    },
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

/// The access token URL. It carries the secret: never log it.
pub fn token_url(base: &str, app_id: &str, secret: &str) -> String {
    format!(
        "{base}{TOKEN_PATH}?{}",
        query(&[
            ("app_id", app_id),
            ("secret", secret),
            ("grant_type", "client_credential"),
            ("version", OAUTH_VERSION),
        ])
    )
}

/// The ticket URL. It carries the token: never log it.
pub fn ticket_url(base: &str, app_id: &str, token: &str, kind: TicketType<'_>) -> Result<String> {
    let mut pairs = vec![("app_id", app_id), ("access_token", token)];
    match kind {
        TicketType::Sign => pairs.push(("type", "SIGN")),
        TicketType::Nonce { user_id } => {
            validate::user_id(user_id, validate::NONCE_USER_ID_MAX)?;
            pairs.push(("type", "NONCE"));
            pairs.push(("user_id", user_id));
        }
    }
    pairs.push(("version", OAUTH_VERSION));
    Ok(format!("{base}{TICKET_PATH}?{}", query(&pairs)))
}

/// A short digest naming a ticket without revealing it (16 hex digits of
/// its SHA-1), to say "the ticket the service refused" across processes.
pub fn digest(ticket: &str) -> String {
    crate::sign_values([ticket]).chars().take(16).collect()
}

/// Reads `expire_in` (seconds; the caller passes a number as its text).
pub fn expire_in_seconds(text: &str) -> Result<u64> {
    let t = text.trim();
    let whole = t.strip_suffix(".0").unwrap_or(t);
    match whole.parse::<u64>() {
        Ok(s) if s > 0 => Ok(s),
        _ => Err(Error::BadResponse(format!(
            "expire_in must be a positive number of seconds; got {}",
            validate::quote(text)
        ))),
    }
}

/// Builds a credential from an answer's fields (`code`, `msg`, the value and
/// `expire_in`), checking each. `what` names it in messages.
pub fn credential(
    what: &str,
    code: Option<&str>,
    msg: Option<&str>,
    value: Option<&str>,
    expire_in: Option<&str>,
    now_ms: u64,
) -> Result<Credential> {
    let code = code.ok_or_else(|| Error::BadResponse(format!("the {what} answer has no code")))?;
    if code != "0" {
        return Err(Error::TicketUnavailable(format!(
            "the service refused the {what}: code {code}, msg {}",
            msg.map(validate::quote).unwrap_or_else(|| "(none)".into())
        )));
    }
    let value =
        value.ok_or_else(|| Error::BadResponse(format!("the {what} answer has no value")))?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::BadResponse(format!(
            "the {what} answer's value is not printable ASCII"
        )));
    }
    let seconds = expire_in_seconds(
        expire_in
            .ok_or_else(|| Error::BadResponse(format!("the {what} answer has no expire_in")))?,
    )?;
    Ok(Credential {
        value: value.to_owned(),
        obtained_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(seconds.saturating_mul(1000)),
    })
}

/// When to refresh and how to back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Refresh this long after obtaining (the docs: about every 20 minutes).
    pub refresh_every_ms: u64,
    /// And at the latest this long before expiry.
    pub expiry_margin_ms: u64,
    /// A ticket this close to expiry is no longer handed out.
    pub safety_ms: u64,
    /// First retry delay after a failed refresh; doubles, capped.
    pub retry_base_ms: u64,
    /// Largest retry delay.
    pub retry_max_ms: u64,
    /// With a shared store: read it again at least this often while serving,
    /// so that a ticket another process replaced is dropped well within
    /// [`Schedule::replaced_grace_ms`].
    pub store_check_ms: u64,
    /// How long a replaced token (and every ticket minted from it) keeps
    /// working after a new token is minted (the service: about a minute).
    pub replaced_grace_ms: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            refresh_every_ms: 20 * 60 * 1000,
            expiry_margin_ms: 5 * 60 * 1000,
            safety_ms: 30 * 1000,
            retry_base_ms: 1000,
            retry_max_ms: 5 * 60 * 1000,
            store_check_ms: 30 * 1000,
            replaced_grace_ms: 60 * 1000,
        }
    }
}

impl Schedule {
    /// When `c` is due for refresh.
    pub fn due_at(&self, c: &Credential) -> u64 {
        let by_age = c.obtained_at_ms.saturating_add(self.refresh_every_ms);
        let by_expiry = c.expires_at_ms.saturating_sub(self.expiry_margin_ms);
        by_age.min(by_expiry)
    }

    /// Whether `c` may still be handed out at `now`.
    pub fn usable(&self, c: &Credential, now_ms: u64) -> bool {
        now_ms.saturating_add(self.safety_ms) < c.expires_at_ms
    }
}

/// How long a NONCE ticket lives (the service: 120 s, single use).
pub const NONCE_TICKET_TTL_MS: u64 = 120 * 1000;
/// How much longer than [`NONCE_TICKET_TTL_MS`] a token must still be
/// planned to live for a NONCE ticket to be minted from it: the mint's own
/// round trip, clocks that disagree by a few seconds, and a refresh that runs
/// a little late.
pub const NONCE_MINT_MARGIN_MS: u64 = 15 * 1000;

/// Whether a NONCE ticket may be minted from a token (see [`nonce_mint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceMint {
    /// The token outlives the NONCE ticket: mint from it.
    Mint,
    /// The token retires (is replaced by the next refresh, or expires)
    /// within the NONCE ticket's life, and the ticket would die with it:
    /// refresh first, then mint from the new token.
    RefreshFirst {
        /// Whether this token may still mint when no refresh can be had (a
        /// refresh failed or is backing off): its planned refresh has not
        /// come yet, and a refresh that failed did not replace it.
        fallback: bool,
    },
}

/// Whether a NONCE ticket may be minted from `token` at `now`, when the
/// token's planned replacement (the next scheduled refresh) is at
/// `refresh_at_ms`. Pure: the caller does the refreshing.
///
/// A NONCE ticket dies with the access token that minted it, and a token
/// replaced by a refresh dies about a minute later; so a token retires at its
/// planned refresh (or its expiry, if sooner), and a NONCE ticket is minted
/// only from one that retires at least [`NONCE_TICKET_TTL_MS`] +
/// [`NONCE_MINT_MARGIN_MS`] from now. When even a token fresh now would retire
/// sooner (a refresh interval shorter than that), a refresh cannot help and
/// would only rotate tokens: the current one mints until its refresh is due.
pub fn nonce_mint(
    token: &Credential,
    refresh_at_ms: u64,
    now_ms: u64,
    schedule: &Schedule,
) -> NonceMint {
    if now_ms >= refresh_at_ms || !schedule.usable(token, now_ms) {
        return NonceMint::RefreshFirst { fallback: false };
    }
    let needed = NONCE_TICKET_TTL_MS + NONCE_MINT_MARGIN_MS;
    if now_ms.saturating_add(needed) <= refresh_at_ms.min(token.expires_at_ms) {
        return NonceMint::Mint;
    }
    // A token of the same lifetime minted now would be planned to retire
    // after this long (as `Schedule::due_at` plans it).
    let fresh_plan_ms = schedule.refresh_every_ms.min(
        token
            .lifetime_ms()
            .saturating_sub(schedule.expiry_margin_ms),
    );
    if fresh_plan_ms < needed {
        return NonceMint::Mint;
    }
    NonceMint::RefreshFirst { fallback: true }
}

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
    retry_at_ms: u64,
    last_error: Option<Failure>,
    /// When the shared store was last read.
    read_at_ms: Option<u64>,
    /// Why the last refresh could not be written to the shared store.
    store_error: Option<Failure>,
    /// The SIGN ticket the current one replaced: never used to sign, only
    /// to check signatures the service made just before the refresh (the
    /// H5 callback's `newSign`).
    previous: Option<Credential>,
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
    /// store) when they are newer than ours and usable at `now`: cached like
    /// a refresh, but not counted as one of ours. `true` when adopted.
    pub fn adopt(
        &mut self,
        token: Credential,
        ticket: Credential,
        now_ms: u64,
        schedule: &Schedule,
    ) -> bool {
        if !newer(&token, self.token.as_ref()) || !schedule.usable(&ticket, now_ms) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn cred(value: &str, at: u64, seconds: u64) -> Credential {
        Credential {
            value: value.into(),
            obtained_at_ms: at,
            expires_at_ms: at + seconds * 1000,
        }
    }

    #[test]
    fn urls() {
        let u = token_url("http://127.0.0.1:1", "IDA", "s e&c");
        assert_eq!(
            u,
            "http://127.0.0.1:1/api/oauth2/access_token?app_id=IDA&secret=s+e%26c&grant_type=client_credential&version=1.0.0"
        );
        let u = ticket_url("https://h", "IDA", "TOK", TicketType::Sign).unwrap();
        assert_eq!(
            u,
            "https://h/api/oauth2/api_ticket?app_id=IDA&access_token=TOK&type=SIGN&version=1.0.0"
        );
        let u = ticket_url(
            "https://h",
            "IDA",
            "TOK",
            TicketType::Nonce { user_id: "u1" },
        )
        .unwrap();
        assert!(u.ends_with("&type=NONCE&user_id=u1&version=1.0.0"));
        let e = ticket_url(
            "https://h",
            "IDA",
            "TOK",
            TicketType::Nonce {
                user_id: &"u".repeat(31),
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "INVALID_USER_ID");
    }

    #[test]
    fn expire_in_as_number_or_string() {
        assert_eq!(expire_in_seconds("7200").unwrap(), 7200);
        assert_eq!(expire_in_seconds("120").unwrap(), 120);
        assert_eq!(expire_in_seconds("3600.0").unwrap(), 3600);
        for bad in ["", "0", "-5", "1e3", "soon", "20151022044027x"] {
            assert_eq!(
                expire_in_seconds(bad).unwrap_err().code(),
                "BAD_RESPONSE",
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_from_answers() {
        let c = credential(
            "SIGN ticket",
            Some("0"),
            Some("ok"),
            Some("TICKET"),
            Some("3600"),
            1000,
        )
        .unwrap();
        assert_eq!(c.expires_at_ms, 1000 + 3_600_000);
        assert!(!format!("{c:?}").contains("TICKET"));
        let e = credential(
            "access token",
            Some("400104"),
            Some("bad secret"),
            None,
            None,
            0,
        )
        .unwrap_err();
        assert_eq!(e.code(), "TICKET_UNAVAILABLE");
        assert!(e.message().contains("400104"));
        let e = credential(
            "access token",
            Some("0"),
            None,
            Some("a b"),
            Some("7200"),
            0,
        )
        .unwrap_err();
        assert_eq!(e.code(), "BAD_RESPONSE");
        let e = credential("access token", Some("0"), None, Some("tok"), None, 0).unwrap_err();
        assert_eq!(e.code(), "BAD_RESPONSE");
    }

    #[test]
    fn refresh_every_twenty_minutes_and_before_expiry() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        assert_eq!(st.plan(0, &s), Plan::Refresh);
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        assert_eq!(st.plan(19 * MIN, &s), Plan::Use("S0".into()));
        assert_eq!(st.plan(20 * MIN, &s), Plan::UseAndRefresh("S0".into()));
        // A short-lived ticket is refreshed before expiry minus the margin.
        let mut short = TicketState::default();
        short.refreshed(cred("T", 0, 7200), cred("S", 0, 600), 0);
        assert_eq!(short.plan(5 * MIN - 1, &s), Plan::Use("S".into()));
        assert_eq!(short.plan(5 * MIN, &s), Plan::UseAndRefresh("S".into()));
        // Past expiry minus the safety window it is not handed out.
        assert_eq!(short.plan(10 * MIN - 30_000, &s), Plan::Refresh);
    }

    #[test]
    fn failures_keep_the_old_ticket_and_back_off() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        let err = Error::Network("down".into());
        st.failed(&err, 20 * MIN, &s, 0);
        // Still served while valid, no refresh before the backoff ends.
        assert_eq!(st.plan(20 * MIN + 100, &s), Plan::Use("S0".into()));
        assert_eq!(
            st.plan(20 * MIN + 500, &s),
            Plan::UseAndRefresh("S0".into())
        );
        // Once expired and backing off: unavailable, with the reason.
        let t = 59 * MIN + 40_000; // past expiry minus the safety window
        st.failed(&err, t, &s, 0);
        st.failed(&err, t, &s, 0);
        match st.plan(t + 100, &s) {
            Plan::Unavailable {
                reason,
                retry_at_ms,
            } => {
                assert_eq!(reason, "NETWORK: down");
                assert!(retry_at_ms > t + 100);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(st.plan(t + 60_000, &s), Plan::Refresh);
        let status = st.status(60 * MIN, &s);
        assert_eq!(status.failures, 3);
        assert!(!status.has_ticket);
        assert_eq!(status.last_error.unwrap().code, "NETWORK");
        // A success clears it all.
        st.refreshed(
            cred("T1", 61 * MIN, 7200),
            cred("S1", 61 * MIN, 3600),
            61 * MIN,
        );
        assert_eq!(st.plan(61 * MIN, &s), Plan::Use("S1".into()));
        assert_eq!(st.status(61 * MIN, &s).failures, 0);
    }

    #[test]
    fn backoff_is_capped() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        for _ in 0..40 {
            st.failed(&Error::Network("x".into()), 0, &s, u32::MAX);
        }
        assert!(st.retry_at_ms <= s.retry_max_ms);
        assert!(st.retry_at_ms >= s.retry_max_ms / 2);
    }

    #[test]
    fn invalidate_forces_a_refresh_and_token_rules() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        assert_eq!(st.nonce_plan(MIN, &s), NoncePlan::Mint("T0".into()));
        assert_eq!(
            st.nonce_plan(20 * MIN, &s),
            NoncePlan::Refresh { fallback: None }
        );
        st.invalidate();
        assert_eq!(st.plan(MIN, &s), Plan::Refresh);
        assert_eq!(
            st.nonce_plan(MIN, &s),
            NoncePlan::Refresh { fallback: None }
        );
    }

    #[test]
    fn the_backoff_grows_to_minutes_and_bounds_the_next_attempt() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        assert_eq!(st.next_attempt_in_ms(0, &s), None);
        let err = Error::TicketUnavailable("refused: code 400104".into());
        // Attempts made as soon as allowed, with the largest jitter: never
        // more than 7 within a minute, and the gaps reach the cap (5 min).
        let (mut now, mut attempts_in_first_minute) = (0u64, 0);
        let mut last_gap = 0;
        for _ in 0..14 {
            if now < 60_000 {
                attempts_in_first_minute += 1;
            }
            st.failed(&err, now, &s, 0);
            let next = st.next_attempt_in_ms(now, &s).unwrap();
            assert!(next >= last_gap, "the backoff never shrinks");
            last_gap = next;
            now += next;
        }
        assert!(attempts_in_first_minute <= 7, "{attempts_in_first_minute}");
        assert_eq!(last_gap, s.retry_max_ms / 2);
        // A due ticket does not make the alarm come back before the backoff ends.
        let mut st = TicketState::default();
        st.refreshed(cred("T", 0, 7200), cred("S", 0, 3600), 0);
        assert_eq!(st.next_attempt_in_ms(MIN, &s), Some(19 * MIN));
        st.failed(&err, 20 * MIN, &s, 0);
        st.failed(&err, 20 * MIN, &s, 0);
        assert_eq!(st.next_attempt_in_ms(20 * MIN, &s), Some(1000));
        assert!(!st.wants_refresh(20 * MIN + 999, &s));
        assert!(st.wants_refresh(20 * MIN + 1000, &s));
    }

    #[test]
    fn a_token_minted_without_its_ticket_retires_the_ticket_and_is_reused() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        // A refresh minted T1, then died before fetching its ticket.
        st.minted(cred("T1", 20 * MIN, 7200));
        // S0 dies with T0 one minute after T1: refresh now, hand S0 out only
        // while it safely lives.
        assert_eq!(
            st.plan(20 * MIN + 1000, &s),
            Plan::UseAndRefresh("S0".into())
        );
        assert_eq!(st.current(20 * MIN, &s).unwrap().1, 21 * MIN);
        assert_eq!(st.plan(20 * MIN + 30_000, &s), Plan::Refresh);
        assert_eq!(st.next_attempt_in_ms(20 * MIN + 1000, &s), Some(0));
        // The next refresh fetches its ticket from T1 instead of minting.
        assert_eq!(
            st.reusable_minted(20 * MIN + 1000, &s)
                .map(|t| t.value.as_str()),
            Some("T1")
        );
        assert_eq!(
            st.nonce_plan(20 * MIN + 1000, &s),
            NoncePlan::Mint("T1".into())
        );
        assert!(st.refreshed(
            cred("T1", 20 * MIN, 7200),
            cred("S1", 20 * MIN + 2000, 3600),
            20 * MIN + 2000
        ));
        assert!(st.reusable_minted(20 * MIN + 3000, &s).is_none());
        assert_eq!(st.plan(20 * MIN + 3000, &s), Plan::Use("S1".into()));
    }

    #[test]
    fn an_older_refresh_never_replaces_a_newer_one() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T2", 2000, 7200), cred("S2", 2100, 3600), 2100);
        // An abandoned refresh that minted T1 earlier finishes late.
        assert!(!st.refreshed(cred("T1", 1000, 7200), cred("S1", 3000, 3600), 3000));
        assert_eq!(st.ticket_value(), Some("S2"));
        // The store: only newer tokens are adopted, and only usable tickets.
        assert!(!st.adopt(cred("T1", 1000, 7200), cred("S1", 1000, 3600), 4000, &s));
        assert!(!st.adopt(cred("T3", 3000, 7200), cred("S3", 3000, 1), 4000, &s));
        assert!(st.adopt(cred("T3", 3000, 7200), cred("S3", 3000, 3600), 4000, &s));
        assert_eq!(st.ticket_value(), Some("S3"));
        assert_eq!(st.status(4000, &s).refreshes, 1);
    }

    #[test]
    fn with_a_store_the_ticket_is_checked_at_least_every_30_seconds() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        assert_eq!(st.plan_shared(0, &s), Plan::Refresh);
        st.refreshed(cred("T", 0, 7200), cred("S", 0, 3600), 0);
        st.read_store(0);
        assert_eq!(st.plan_shared(29_999, &s), Plan::Use("S".into()));
        // An idle process wakes up: it reads the store before signing.
        assert_eq!(st.plan_shared(30_000, &s), Plan::Refresh);
        st.read_store(30_000);
        assert_eq!(st.plan_shared(30_001, &s), Plan::Use("S".into()));
        // Due since the last read: read again first; after that read, the
        // refresh runs in the background.
        st.read_store(20 * MIN - 1);
        assert_eq!(st.plan_shared(20 * MIN, &s), Plan::Refresh);
        st.read_store(20 * MIN);
        assert_eq!(
            st.plan_shared(20 * MIN + 1, &s),
            Plan::UseAndRefresh("S".into())
        );
        // A refresh that could not be written shows in the status, and the
        // ticket is still used.
        st.shared(Some((
            &Error::TicketUnavailable("store.set rejected".into()),
            1,
        )));
        let status = st.status(20 * MIN + 1, &s);
        assert!(status.has_ticket);
        assert_eq!(status.store_error.unwrap().code, "TICKET_UNAVAILABLE");
        assert_eq!(status.store_read_age_ms, Some(1));
    }

    #[test]
    fn a_failure_reason_is_never_empty() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        assert!(!st.failure_reason().is_empty());
        st.failed(&Error::Network(String::new()), 0, &s, 0);
        let reason = st.failure_reason();
        assert!(
            reason.starts_with("NETWORK: ") && reason.len() > 9,
            "{reason}"
        );
    }

    #[test]
    fn the_replaced_ticket_is_kept_for_checking_until_it_expires() {
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        assert_eq!(st.previous_ticket(0), None);
        st.refreshed(cred("T1", 1000, 7200), cred("S1", 1000, 3600), 1000);
        assert_eq!(st.previous_ticket(2000), Some("S0"));
        assert_eq!(st.previous_ticket(3_600_000 - 1), Some("S0"));
        assert_eq!(st.previous_ticket(3_600_000), None);
        // Never handed out for signing.
        assert_eq!(st.ticket_value(), Some("S1"));
        // The same value again is not a replacement.
        st.refreshed(cred("T2", 2000, 7200), cred("S1", 2000, 3600), 2000);
        assert_eq!(st.previous_ticket(2000), Some("S0"));
    }

    const NONCE_WINDOW: u64 = NONCE_TICKET_TTL_MS + NONCE_MINT_MARGIN_MS;

    #[test]
    fn a_nonce_ticket_is_minted_only_from_a_token_that_outlives_it() {
        let s = Schedule::default();
        let t = cred("T", 0, 7200);
        let plan = 20 * MIN; // the token's planned replacement
                             // Up to the window before the planned refresh: mint.
        assert_eq!(nonce_mint(&t, plan, 0, &s), NonceMint::Mint);
        assert_eq!(
            nonce_mint(&t, plan, plan - NONCE_WINDOW, &s),
            NonceMint::Mint
        );
        // Any closer, and the ticket could outlive its token: refresh first;
        // if no refresh can be had, this token (not replaced yet) still may.
        for now in [
            plan - NONCE_WINDOW + 1,
            plan - 2 * MIN,
            plan - 30_000,
            plan - 1,
        ] {
            assert_eq!(
                nonce_mint(&t, plan, now, &s),
                NonceMint::RefreshFirst { fallback: true },
                "{now}"
            );
        }
        // Once the refresh is due, the token is as good as replaced.
        for now in [plan, plan + MIN, 3 * 3_600_000] {
            assert_eq!(
                nonce_mint(&t, plan, now, &s),
                NonceMint::RefreshFirst { fallback: false },
                "{now}"
            );
        }
    }

    #[test]
    fn a_nonce_ticket_never_outlives_its_tokens_expiry() {
        let s = Schedule {
            refresh_every_ms: 10 * 3_600_000, // the plan alone would allow it
            ..Schedule::default()
        };
        let t = cred("T", 0, 600); // a token that lives 10 minutes
        assert_eq!(nonce_mint(&t, 10 * 3_600_000, 0, &s), NonceMint::Mint);
        let expires = 10 * MIN;
        assert_eq!(
            nonce_mint(&t, 10 * 3_600_000, expires - NONCE_WINDOW, &s),
            NonceMint::Mint
        );
        assert_eq!(
            nonce_mint(&t, 10 * 3_600_000, expires - NONCE_WINDOW + 1, &s),
            NonceMint::RefreshFirst { fallback: true }
        );
        // Within the safety window before expiry it mints nothing, even as a fallback.
        assert_eq!(
            nonce_mint(&t, 10 * 3_600_000, expires - s.safety_ms, &s),
            NonceMint::RefreshFirst { fallback: false }
        );
    }

    #[test]
    fn a_refresh_interval_shorter_than_the_window_mints_until_due_without_rotating_tokens() {
        let s = Schedule {
            refresh_every_ms: 1000,
            ..Schedule::default()
        };
        let t = cred("T", 0, 7200);
        // A fresh token would retire within the window too: refreshing early
        // would only rotate tokens, so the current one mints until due.
        assert_eq!(nonce_mint(&t, 1000, 0, &s), NonceMint::Mint);
        assert_eq!(nonce_mint(&t, 1000, 999, &s), NonceMint::Mint);
        assert_eq!(
            nonce_mint(&t, 1000, 1000, &s),
            NonceMint::RefreshFirst { fallback: false }
        );
        // Exactly the window: a fresh token is planned to last long enough.
        let s = Schedule {
            refresh_every_ms: NONCE_WINDOW,
            ..Schedule::default()
        };
        assert_eq!(
            nonce_mint(&t, NONCE_WINDOW, 1, &s),
            NonceMint::RefreshFirst { fallback: true }
        );
    }

    #[test]
    fn the_nonce_plan_follows_the_cached_tokens_refresh() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        assert_eq!(st.nonce_plan(0, &s), NoncePlan::Refresh { fallback: None });
        st.refreshed(cred("T0", 0, 7200), cred("S0", 100, 3600), 100);
        assert_eq!(st.nonce_plan(MIN, &s), NoncePlan::Mint("T0".into()));
        assert!(!st.nonce_wants_refresh(MIN, &s));
        // The planned refresh is the earlier of the token's and its ticket's.
        assert_eq!(
            st.nonce_plan(20 * MIN - NONCE_WINDOW, &s),
            NoncePlan::Mint("T0".into())
        );
        let near = 20 * MIN - NONCE_WINDOW + 1;
        assert_eq!(
            st.nonce_plan(near, &s),
            NoncePlan::Refresh {
                fallback: Some("T0".into())
            }
        );
        assert!(st.nonce_wants_refresh(near, &s));
        // The SIGN ticket is not due yet: only a NONCE ticket asks for this refresh.
        assert!(!st.wants_refresh(near, &s));
        // Backing off after a failed refresh: no refresh, the fallback mints.
        st.failed(&Error::Network("down".into()), near, &s, 0);
        assert!(!st.nonce_wants_refresh(near + 1, &s));
        assert_eq!(
            st.nonce_plan(near + 1, &s),
            NoncePlan::Refresh {
                fallback: Some("T0".into())
            }
        );
        // After the refresh, the new token mints.
        st.refreshed(
            cred("T1", near + 2000, 7200),
            cred("S1", near + 2000, 3600),
            near + 2000,
        );
        assert_eq!(st.nonce_plan(near + 2000, &s), NoncePlan::Mint("T1".into()));
        assert!(!st.nonce_wants_refresh(near + 2000, &s));
    }

    #[test]
    fn a_newer_minted_token_retires_the_cached_one_for_nonce_tickets() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        // A refresh minted T1 but not yet its SIGN ticket: T0 was replaced
        // then, so NONCE tickets come from T1 (the next refresh reuses it).
        st.minted(cred("T1", 10 * MIN, 7200));
        assert_eq!(
            st.nonce_plan(10 * MIN + 1, &s),
            NoncePlan::Mint("T1".into())
        );
        // A minted token that can no longer be used does not bring T0 back.
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        st.minted(cred("T1", 10 * MIN, 60));
        assert_eq!(
            st.nonce_plan(12 * MIN, &s),
            NoncePlan::Refresh { fallback: None }
        );
    }

    #[test]
    fn with_a_store_a_nonce_ticket_waits_for_a_recent_read() {
        let s = Schedule::default();
        let mut st = TicketState::default();
        st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
        st.read_store(0);
        assert_eq!(
            st.nonce_plan_shared(29_999, &s),
            NoncePlan::Mint("T0".into())
        );
        // Not read for 30 s: read first (a peer may have replaced T0); T0 stays the fallback.
        assert_eq!(
            st.nonce_plan_shared(30_000, &s),
            NoncePlan::Refresh {
                fallback: Some("T0".into())
            }
        );
        st.read_store(30_000);
        assert_eq!(
            st.nonce_plan_shared(30_001, &s),
            NoncePlan::Mint("T0".into())
        );
        // Near the planned refresh, as without a store.
        st.read_store(19 * MIN);
        assert_eq!(
            st.nonce_plan_shared(19 * MIN, &s),
            NoncePlan::Refresh {
                fallback: Some("T0".into())
            }
        );
    }
}
