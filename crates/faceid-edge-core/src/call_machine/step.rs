//! What the call machine says and tells: the next [`Step`], the outcome
//! of a finished call, and the [`Event`]s the shell reports to `onEvent`.

use crate::error::Error;

#[cfg(doc)]
use super::CallMachine;

/// What the shell does next (see [`CallMachine::next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Get the call's SIGN ticket and hand it to [`CallMachine::ticket`].
    NeedTicket,
    /// The service refused the ticket: ask the source for a new one (the
    /// stale one is [`CallMachine::current_ticket`]) and hand the answer to
    /// [`CallMachine::renewed`].
    Renew,
    /// Sign the request with [`CallMachine::current_ticket`] and a new
    /// nonce, send it once, and hand what happened to
    /// [`CallMachine::answered`] or [`CallMachine::transport_failed`].
    Send,
    /// Wait this many milliseconds, then ask [`CallMachine::next`] again.
    Sleep(u32),
    /// The call is over: the last answer (the shell still holds it) or
    /// the error the caller gets.
    Done(Result<Finished, Error>),
}

/// What a call ended with when the service answered it for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The last answer's business code.
    pub code: String,
    /// Whether that code is success (`"0"`).
    pub ok: bool,
    /// The verdict is there but requested files still are not (every file
    /// poll was spent): `filesPending` of the result.
    pub files_pending: bool,
}

/// What the shell tells the caller's `onEvent` about (each event comes
/// before the step it announces; see [`CallMachine::poll_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The request is sent again at once, its connection having closed
    /// under it (`retry` with `reason: "socket"`, `delayMs: 0`).
    Resend {
        /// 1 for the first resend of this request.
        attempt: u32,
        /// The code of the error the failed exchange had.
        error_code: &'static str,
    },
    /// The ticket was renewed after the service refused it with `code`
    /// (`renew`).
    Renewed {
        /// The ticket-error code of the answer.
        code: String,
    },
    /// A busy code, retried after `delay_ms` (`retry` with `reason:
    /// "busy"`).
    Busy {
        /// The busy code.
        code: String,
        /// 1-based count of busy retries in this call.
        attempt: u32,
        /// The backoff before the retry.
        delay_ms: u32,
    },
    /// Requested files lag behind the verdict: asked again after
    /// `delay_ms` (`poll`).
    Poll {
        /// 1-based count of file polls in this call.
        attempt: u32,
        /// The poll interval.
        delay_ms: u32,
    },
}
