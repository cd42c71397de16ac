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

/// How many syncs one NONCE request may run or join before it settles for
/// the fallback: a flight it joins may have been started for the SIGN ticket
/// only, so a second one may follow, never more.
pub const NONCE_SYNCS: u32 = 2;

/// What a NONCE request does next ([`nonce_next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonceNext {
    /// Mint the NONCE ticket from this token.
    Mint(String),
    /// Run (or join) a sync for a NONCE ticket, then ask again.
    Sync,
    /// No token can mint: why.
    Fail(Error),
}

/// The next step of a NONCE request at `now` that has run `syncs` syncs so
/// far (`shared`: the owner reads a shared store). A token that outlives the
/// NONCE ticket mints; otherwise a sync refreshes first, unless backing off
/// after failures (a wrong secret must not turn every NONCE request into a
/// token request) or after [`NONCE_SYNCS`]: then a token that was not
/// replaced and is not yet due still mints, and without one the request
/// fails with the last refresh's reason.
pub fn nonce_next(
    state: &TicketState,
    now_ms: u64,
    schedule: &Schedule,
    shared: bool,
    syncs: u32,
) -> NonceNext {
    let plan = if shared {
        state.nonce_plan_shared(now_ms, schedule)
    } else {
        state.nonce_plan(now_ms, schedule)
    };
    let fallback = match plan {
        NoncePlan::Mint(token) => return NonceNext::Mint(token),
        NoncePlan::Refresh { fallback } => fallback,
    };
    let backing_off = !state.may_refresh(now_ms);
    if !backing_off && syncs < NONCE_SYNCS {
        return NonceNext::Sync;
    }
    match fallback {
        Some(token) => NonceNext::Mint(token),
        None => {
            let reason = state.failure_reason();
            NonceNext::Fail(Error::TicketUnavailable(if backing_off {
                format!("no valid access token, and the last refresh failed ({reason})")
            } else {
                format!("no valid access token: {reason}")
            }))
        }
    }
}

mod state;
pub use state::{Failure, NoncePlan, Plan, Status, TicketState};

#[cfg(test)]
mod tests;
