//! The access token and the SIGN ticket (SPEC §2): their URLs, their answers,
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
//!   backoff; only when no valid ticket remains do calls fail.

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
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            refresh_every_ms: 20 * 60 * 1000,
            expiry_margin_ms: 5 * 60 * 1000,
            safety_ms: 30 * 1000,
            retry_base_ms: 1000,
            retry_max_ms: 60 * 1000,
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
    last_refresh_ms: Option<u64>,
    refreshes: u64,
    failures: u32,
    retry_at_ms: u64,
    last_error: Option<Failure>,
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
    /// When the next refresh is due.
    pub next_refresh_in_ms: Option<u64>,
    /// When the last successful refresh finished.
    pub last_refresh_ms: Option<u64>,
    /// How many refreshes succeeded.
    pub refreshes: u64,
    /// Failed refreshes since the last success.
    pub failures: u32,
    /// The last failure.
    pub last_error: Option<Failure>,
}

impl TicketState {
    /// What to do for a SIGN ticket at `now`.
    pub fn plan(&self, now_ms: u64, schedule: &Schedule) -> Plan {
        let may_try = now_ms >= self.retry_at_ms;
        match &self.ticket {
            Some(t) if schedule.usable(t, now_ms) => {
                if now_ms >= schedule.due_at(t) && may_try {
                    Plan::UseAndRefresh(t.value.clone())
                } else {
                    Plan::Use(t.value.clone())
                }
            }
            _ if may_try => Plan::Refresh,
            _ => Plan::Unavailable {
                retry_at_ms: self.retry_at_ms,
                reason: self
                    .last_error
                    .as_ref()
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
            },
        }
    }

    /// A token usable for minting tickets at `now` (for NONCE tickets).
    pub fn token(&self, now_ms: u64, schedule: &Schedule) -> Option<&str> {
        self.token
            .as_ref()
            .filter(|t| schedule.usable(t, now_ms) && now_ms < schedule.due_at(t))
            .map(|t| t.value.as_str())
    }

    /// Records a successful refresh: a new token and the SIGN ticket minted
    /// from it.
    pub fn refreshed(&mut self, token: Credential, ticket: Credential, now_ms: u64) {
        self.token = Some(token);
        self.ticket = Some(ticket);
        self.last_refresh_ms = Some(now_ms);
        self.refreshes += 1;
        self.failures = 0;
        self.retry_at_ms = 0;
        self.last_error = None;
    }

    /// Takes a token and ticket that another owner fetched (from a shared
    /// store): cached like a refresh, but not counted as one of ours.
    pub fn adopted(&mut self, token: Credential, ticket: Credential) {
        self.last_refresh_ms = Some(ticket.obtained_at_ms);
        self.token = Some(token);
        self.ticket = Some(ticket);
        self.failures = 0;
        self.retry_at_ms = 0;
        self.last_error = None;
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
    /// backoff (`random` adds jitter).
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
        self.last_error = Some(Failure {
            code: error.code(),
            message: error.message().to_owned(),
            at_ms: now_ms,
        });
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
        Status {
            has_ticket: self
                .ticket
                .as_ref()
                .is_some_and(|t| schedule.usable(t, now_ms)),
            ticket_age_ms: self.ticket.as_ref().map(age),
            ticket_expires_in_ms: self.ticket.as_ref().map(left),
            token_age_ms: self.token.as_ref().map(age),
            token_expires_in_ms: self.token.as_ref().map(left),
            next_refresh_in_ms: self
                .ticket
                .as_ref()
                .map(|t| schedule.due_at(t).saturating_sub(now_ms)),
            last_refresh_ms: self.last_refresh_ms,
            refreshes: self.refreshes,
            failures: self.failures,
            last_error: self.last_error.clone(),
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
            TicketType::Nonce { user_id: "u_1" },
        )
        .unwrap();
        assert!(u.ends_with("&type=NONCE&user_id=u_1&version=1.0.0"));
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
                assert_eq!(reason, "down");
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
        assert_eq!(st.token(MIN, &s), Some("T0"));
        assert_eq!(st.token(20 * MIN, &s), None);
        st.invalidate();
        assert_eq!(st.plan(MIN, &s), Plan::Refresh);
        assert_eq!(st.token(MIN, &s), None);
    }
}
