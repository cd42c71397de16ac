//! The one error type of the crate, with stable codes.
//!
//! Every failure the library can report is a variant of [`Error`]. Callers
//! branch on [`Error::code`], a stable `SCREAMING_SNAKE_CASE` string that is
//! also the `code` property of the JavaScript `FaceIdError`; messages are for
//! people and may be reworded.
//!
//! Messages never contain a ticket, an access token or a secret: the variants
//! that concern secrets carry only a fixed description of what is wrong.

use core::fmt;

/// Everything that can go wrong, as one enum.
///
/// Each variant carries a message that says what to fix. The message never
/// repeats a secret value (ticket, token, secret); for other fields it may
/// name the offending character and its position.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `appId` is missing, empty, not a string or contains whitespace.
    InvalidAppId(String),
    /// `orderNo` is not 1 to 32 ASCII letters or digits.
    InvalidOrderNo(String),
    /// `nonce` is not exactly 32 ASCII letters or digits.
    InvalidNonce(String),
    /// The SIGN or NONCE ticket is missing, empty, not a string or contains
    /// whitespace. The message never contains the ticket.
    InvalidTicket(String),
    /// `version` is missing, empty, too long or contains whitespace.
    InvalidVersion(String),
    /// A value handed to `signValues` is neither a string nor null/undefined.
    InvalidValue(String),
    /// An argument has the wrong shape (for example an options object that is
    /// not an object, or a list that is not an array).
    InvalidArgument(String),
    /// The platform's cryptographically secure random number generator failed.
    RandomUnavailable(String),
    /// A function was called before the WebAssembly module was loaded (the
    /// browser entry raises it when `await init()` was skipped).
    NotInitialized(String),
}

impl Error {
    /// The stable code of this error, for example `"INVALID_ORDER_NO"`.
    ///
    /// Codes never change once released; branch on them, not on messages.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidAppId(_) => "INVALID_APP_ID",
            Error::InvalidOrderNo(_) => "INVALID_ORDER_NO",
            Error::InvalidNonce(_) => "INVALID_NONCE",
            Error::InvalidTicket(_) => "INVALID_TICKET",
            Error::InvalidVersion(_) => "INVALID_VERSION",
            Error::InvalidValue(_) => "INVALID_VALUE",
            Error::InvalidArgument(_) => "INVALID_ARGUMENT",
            Error::RandomUnavailable(_) => "RANDOM_UNAVAILABLE",
            Error::NotInitialized(_) => "NOT_INITIALIZED",
        }
    }

    /// The human-readable message: what is wrong and what to fix.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidAppId(m)
            | Error::InvalidOrderNo(m)
            | Error::InvalidNonce(m)
            | Error::InvalidTicket(m)
            | Error::InvalidVersion(m)
            | Error::InvalidValue(m)
            | Error::InvalidArgument(m)
            | Error::RandomUnavailable(m)
            | Error::NotInitialized(m) => m,
        }
    }

    /// Every code this version can produce, in a stable order.
    pub const CODES: &'static [&'static str] = &[
        "INVALID_APP_ID",
        "INVALID_ORDER_NO",
        "INVALID_NONCE",
        "INVALID_TICKET",
        "INVALID_VERSION",
        "INVALID_VALUE",
        "INVALID_ARGUMENT",
        "RANDOM_UNAVAILABLE",
        "NOT_INITIALIZED",
    ];
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_listed() {
        let all = [
            Error::InvalidAppId(String::new()),
            Error::InvalidOrderNo(String::new()),
            Error::InvalidNonce(String::new()),
            Error::InvalidTicket(String::new()),
            Error::InvalidVersion(String::new()),
            Error::InvalidValue(String::new()),
            Error::InvalidArgument(String::new()),
            Error::RandomUnavailable(String::new()),
            Error::NotInitialized(String::new()),
        ];
        let codes: Vec<&str> = all.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
    }

    #[test]
    fn display_has_code_and_message() {
        let e = Error::InvalidOrderNo("orderNo must not be empty".into());
        assert_eq!(e.to_string(), "INVALID_ORDER_NO: orderNo must not be empty");
        assert_eq!(e.message(), "orderNo must not be empty");
    }
}
