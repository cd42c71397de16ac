//! When to try again: backoff for busy codes, polls for files that lag, and
//! the one resend of a GET whose connection closed under it.

use crate::endpoints::Method;

/// The client's timing rules. All durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Per-request deadline, body included.
    pub timeout_ms: u32,
    /// Retries after a busy code (`999999`/`999998`/`999997`).
    pub retries: u32,
    /// First backoff delay; doubles on every retry.
    pub base_delay_ms: u32,
    /// Largest backoff delay.
    pub max_delay_ms: u32,
    /// Extra queries when the verdict is there but requested files are not.
    pub file_polls: u32,
    /// Delay between those queries.
    pub file_poll_interval_ms: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            timeout_ms: 10_000,
            retries: 2,
            base_delay_ms: 200,
            max_delay_ms: 2_000,
            file_polls: 3,
            file_poll_interval_ms: 2_000,
        }
    }
}

impl Policy {
    /// The delay before retry number `retry` (1-based): exponential, capped,
    /// with "equal jitter" (half fixed, half from `random`) so that many
    /// clients that failed together do not retry together.
    pub fn backoff_ms(&self, retry: u32, random: u32) -> u32 {
        let shift = retry.saturating_sub(1).min(16);
        let exp = self
            .base_delay_ms
            .saturating_mul(1u32 << shift)
            .min(self.max_delay_ms);
        let half = exp / 2;
        half + random % (exp - half + 1)
    }
}

/// The codes (of a failed `fetch`'s error or of its causes) that say the
/// connection was closed or reset under the request: undici's
/// `UND_ERR_SOCKET` ("other side closed"; Node's `fetch` rejects with
/// `TypeError: fetch failed` and puts it on `cause`), `ECONNRESET` and
/// `EPIPE`. This is what a kept-alive socket looks like when the server
/// closed it while it sat idle and the next request was sent on it anyway.
pub const CLOSED_CONNECTION_CODES: [&str; 3] = ["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"];

/// How often one request is sent again after its connection closed under
/// it, before any answer (see [`resend_at_once`]).
pub const CLOSED_CONNECTION_RESENDS: u32 = 1;

/// How one exchange (one `fetch`) failed, as far as [`resend_at_once`]
/// cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breakage {
    /// `timeoutMs` ran out, or the call's `deadlineMs` or `signal` ended it.
    Stopped,
    /// `fetch` itself failed: no status, no header, not a byte of an answer
    /// was handed over. `codes`: the `code` of its error and of the error's
    /// causes, outermost first (those that are strings).
    NoAnswer {
        /// E.g. `["UND_ERR_SOCKET"]` for Node's `fetch failed` whose cause
        /// is undici's "other side closed".
        codes: Vec<String>,
    },
    /// Anything else: an answer began (its body broke off, its status was
    /// not 2xx, it was not JSON).
    Other,
}

impl Breakage {
    /// No answer at all, and a code that says the connection closed or was
    /// reset under the request ([`CLOSED_CONNECTION_CODES`]).
    pub fn closed_before_answer(&self) -> bool {
        match self {
            Breakage::NoAnswer { codes } => codes
                .iter()
                .any(|c| CLOSED_CONNECTION_CODES.contains(&c.as_str())),
            Breakage::Stopped | Breakage::Other => false,
        }
    }
}

/// Whether a request that failed as `breakage` is sent again at once (no
/// backoff; a new nonce and signature where it has them), as browsers do
/// for idempotent requests on a reused connection: only a `GET`, only when
/// its connection closed under it before any byte of an answer, and only
/// [`CLOSED_CONNECTION_RESENDS`] time(s) per request (`resent`: how often
/// this request was already sent again). A `POST` is never sent twice (the
/// service may have acted on it), nor is a request that timed out or was
/// aborted. Such a resend is not a busy-code retry: it does not count
/// against [`Policy::retries`] and waits for no backoff.
pub fn resend_at_once(method: Method, breakage: &Breakage, resent: u32) -> bool {
    method == Method::Get && resent < CLOSED_CONNECTION_RESENDS && breakage.closed_before_answer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_answer(codes: &[&str]) -> Breakage {
        Breakage::NoAnswer {
            codes: codes.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn a_get_whose_connection_closed_before_any_answer_is_resent_once() {
        for code in CLOSED_CONNECTION_CODES {
            let b = no_answer(&[code]);
            assert!(b.closed_before_answer(), "{code}");
            assert!(resend_at_once(Method::Get, &b, 0), "{code}");
            assert!(!resend_at_once(Method::Get, &b, 1), "{code}: only once");
            assert!(!resend_at_once(Method::Get, &b, u32::MAX), "{code}");
        }
        // Node: TypeError (no code), its cause UND_ERR_SOCKET; or a code on
        // the error itself (another fetch), or deeper down.
        assert!(resend_at_once(
            Method::Get,
            &no_answer(&["UND_ERR_SOCKET"]),
            0
        ));
        assert!(resend_at_once(
            Method::Get,
            &no_answer(&["ERR_SOMETHING", "ECONNRESET"]),
            0
        ));
    }

    #[test]
    fn a_post_is_never_resent() {
        for code in CLOSED_CONNECTION_CODES {
            assert!(!resend_at_once(Method::Post, &no_answer(&[code]), 0));
        }
    }

    #[test]
    fn timeouts_aborts_answers_and_other_failures_are_not_resent() {
        assert!(!resend_at_once(Method::Get, &Breakage::Stopped, 0));
        // An answer began, then its body broke off (even with ECONNRESET).
        assert!(!resend_at_once(Method::Get, &Breakage::Other, 0));
        for codes in [
            &[][..],
            &["ECONNREFUSED"],
            &["ENOTFOUND"],
            &["UND_ERR_CONNECT_TIMEOUT"],
            &["UND_ERR_HEADERS_TIMEOUT"],
            &["ETIMEDOUT"],
            &["CERT_HAS_EXPIRED"],
            &["und_err_socket"],
            &["UND_ERR_SOCKET "],
        ] {
            let b = no_answer(codes);
            assert!(!b.closed_before_answer(), "{codes:?}");
            assert!(!resend_at_once(Method::Get, &b, 0), "{codes:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = Policy::default();
        for r in 0..1000 {
            let d1 = p.backoff_ms(1, r);
            assert!((100..=200).contains(&d1), "{d1}");
            let d2 = p.backoff_ms(2, r);
            assert!((200..=400).contains(&d2), "{d2}");
            let d9 = p.backoff_ms(9, r);
            assert!((1000..=2000).contains(&d9), "{d9}");
        }
        assert_eq!(p.backoff_ms(40, u32::MAX), p.backoff_ms(40, u32::MAX));
        let zero = Policy {
            base_delay_ms: 0,
            ..p
        };
        assert_eq!(zero.backoff_ms(3, 12345), 0);
    }
}
