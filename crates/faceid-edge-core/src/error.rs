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

mod codes;

pub use codes::{CodeDoc, CODE_DOCS};

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
    /// `userId` is empty, too long or has characters other than ASCII
    /// letters, digits, `_` and `-`.
    InvalidUserId(String),
    /// The image for ID card OCR is empty, not base64, or of the wrong type.
    InvalidImage(String),
    /// The image for ID card OCR is over 20 MB once base64-encoded.
    ImageTooLarge(String),
    /// An option has a wrong value (for example `getFile: "both"`,
    /// `cardType: "front"`, a negative `timeoutMs`, an unknown request kind).
    InvalidOption(String),
    /// `serverUrl` or `kycUrl` is not an `https://` base URL (plain `http://`
    /// only for a loopback host), or carries a user name or password.
    InvalidUrl(String),
    /// The service did not answer within `timeoutMs`.
    Timeout(String),
    /// The request could not be sent or the connection failed (DNS, refused,
    /// reset, TLS).
    Network(String),
    /// The service answered with an HTTP status other than 2xx.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// What happened.
        message: String,
    },
    /// The body was not the JSON the service sends (an HTML error page, a
    /// truncated body, a JSON value without `code`).
    BadResponse(String),
    /// A media field is not valid base64.
    InvalidMedia(String),
    /// No valid SIGN ticket could be had (the `ticketProvider` failed or gave
    /// something that is not a ticket).
    TicketUnavailable(String),
    /// `name` or `idNo` of a face verification is missing or malformed.
    InvalidIdentity(String),
    /// The service refused a call that cannot go on without it (for example
    /// `getAdvFaceId` when starting a face verification). `upstream_code`
    /// is the service's `code`, the message carries its `msg`.
    Rejected {
        /// The service's business code.
        upstream_code: String,
        /// What happened, with the service's message.
        message: String,
    },
    /// Edge handler: no order token (or no signed-in user) where one is needed.
    Unauthorized(String),
    /// Edge handler: an order token that is forged, expired or for another
    /// order, a callback whose signature does not verify, or an origin that
    /// is not allowed.
    Forbidden(String),
    /// Edge handler: no route at this path.
    NotFound(String),
    /// Edge handler: the route exists but not with this method.
    MethodNotAllowed {
        /// The methods the route takes, for the `Allow` header.
        allow: &'static str,
        /// What happened.
        message: String,
    },
    /// Edge handler: the request body is over the limit of its route.
    BodyTooLarge(String),
    /// Edge handler: the request body is not what the route takes
    /// (malformed JSON, a missing field, a wrong content type).
    InvalidBody(String),
    /// Edge handler: the request body did not arrive in time (`bodyTimeoutMs`
    /// and the minimum rate, `minBodyRate`).
    BodyTimeout(String),
    /// Edge handler: the operator's `rateLimit` hook refused the request (or
    /// could not be asked: the handler then refuses too).
    RateLimited {
        /// When to try again, in whole seconds (the `Retry-After` header),
        /// when the hook said.
        retry_after_s: Option<u64>,
        /// What happened.
        message: String,
    },
    /// The call's `signal` fired before it finished.
    Aborted(String),
    /// The WebAssembly instance trapped (a bug: a panic or an allocation
    /// failure), and the package replaced it with a fresh one: the call that
    /// met the trap, and every call still in flight in the old instance, fail
    /// with this; the next call runs on the new instance.
    Internal(String),
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
            Error::InvalidUserId(_) => "INVALID_USER_ID",
            Error::InvalidImage(_) => "INVALID_IMAGE",
            Error::ImageTooLarge(_) => "IMAGE_TOO_LARGE",
            Error::InvalidOption(_) => "INVALID_OPTION",
            Error::InvalidUrl(_) => "INVALID_URL",
            Error::Timeout(_) => "TIMEOUT",
            Error::Network(_) => "NETWORK",
            Error::HttpStatus { .. } => "HTTP_STATUS",
            Error::BadResponse(_) => "BAD_RESPONSE",
            Error::InvalidMedia(_) => "INVALID_MEDIA",
            Error::TicketUnavailable(_) => "TICKET_UNAVAILABLE",
            Error::InvalidIdentity(_) => "INVALID_IDENTITY",
            Error::Rejected { .. } => "REJECTED",
            Error::Unauthorized(_) => "UNAUTHORIZED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Error::BodyTooLarge(_) => "BODY_TOO_LARGE",
            Error::InvalidBody(_) => "INVALID_BODY",
            Error::BodyTimeout(_) => "BODY_TIMEOUT",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::Aborted(_) => "ABORTED",
            Error::Internal(_) => "INTERNAL",
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
            | Error::NotInitialized(m)
            | Error::InvalidUserId(m)
            | Error::InvalidImage(m)
            | Error::ImageTooLarge(m)
            | Error::InvalidOption(m)
            | Error::InvalidUrl(m)
            | Error::Timeout(m)
            | Error::Network(m)
            | Error::HttpStatus { message: m, .. }
            | Error::BadResponse(m)
            | Error::InvalidMedia(m)
            | Error::TicketUnavailable(m)
            | Error::InvalidIdentity(m)
            | Error::Rejected { message: m, .. }
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::MethodNotAllowed { message: m, .. }
            | Error::BodyTooLarge(m)
            | Error::InvalidBody(m)
            | Error::BodyTimeout(m)
            | Error::RateLimited { message: m, .. }
            | Error::Aborted(m)
            | Error::Internal(m) => m,
        }
    }

    /// The HTTP status, for [`Error::HttpStatus`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's business code, for [`Error::Rejected`].
    pub fn upstream_code(&self) -> Option<&str> {
        match self {
            Error::Rejected { upstream_code, .. } => Some(upstream_code),
            _ => None,
        }
    }

    /// The HTTP status an edge handler answers with for this error:
    /// `400` bad input, `401`, `403`, `404`, `405`, `408` a body too slow,
    /// `413` too large, `429` rate limited, `502` the service failed or
    /// answered nonsense, `503` no ticket, `500` the platform failed.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::MethodNotAllowed { .. } => 405,
            Error::BodyTimeout(_) => 408,
            Error::BodyTooLarge(_) | Error::ImageTooLarge(_) => 413,
            Error::RateLimited { .. } => 429,
            Error::Timeout(_)
            | Error::Network(_)
            | Error::HttpStatus { .. }
            | Error::BadResponse(_)
            | Error::InvalidMedia(_)
            | Error::Rejected { .. } => 502,
            Error::TicketUnavailable(_) => 503,
            Error::RandomUnavailable(_) | Error::NotInitialized(_) | Error::Internal(_) => 500,
            // The client went away: nobody reads the answer.
            Error::Aborted(_) => 499,
            _ => 400,
        }
    }

    /// Every code this version can produce, in a stable order (those of
    /// [`CODE_DOCS`]).
    pub const CODES: &'static [&'static str] = &codes::CODES;
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
            Error::InvalidUserId(String::new()),
            Error::InvalidImage(String::new()),
            Error::ImageTooLarge(String::new()),
            Error::InvalidOption(String::new()),
            Error::InvalidUrl(String::new()),
            Error::Timeout(String::new()),
            Error::Network(String::new()),
            Error::HttpStatus {
                status: 502,
                message: String::new(),
            },
            Error::BadResponse(String::new()),
            Error::InvalidMedia(String::new()),
            Error::TicketUnavailable(String::new()),
            Error::InvalidIdentity(String::new()),
            Error::Rejected {
                upstream_code: String::new(),
                message: String::new(),
            },
            Error::Unauthorized(String::new()),
            Error::Forbidden(String::new()),
            Error::NotFound(String::new()),
            Error::MethodNotAllowed {
                allow: "GET",
                message: String::new(),
            },
            Error::BodyTooLarge(String::new()),
            Error::InvalidBody(String::new()),
            Error::BodyTimeout(String::new()),
            Error::RateLimited {
                retry_after_s: None,
                message: String::new(),
            },
            Error::Aborted(String::new()),
            Error::Internal(String::new()),
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
