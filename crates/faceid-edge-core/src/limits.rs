//! What one caller may cost the edge handler's operator: how long a request
//! body may take, how large an uploaded image may be, and what the
//! operator's `rateLimit` hook may answer. Pure: the WebAssembly layer reads
//! the options, runs the clock and calls the hook.

use crate::edge::FRAMING;
use crate::error::{Error, Result};
use crate::request::MAX_IMAGE_BASE64;

/// Default `bodyTimeoutMs`: a body's first 10 seconds are free.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 10_000;
/// Longest `bodyTimeoutMs`: 10 minutes.
pub const MAX_BODY_TIMEOUT_MS: u64 = 600_000;
/// Default `minBodyRate`: 16 KiB a second (128 kbit/s), so that a 1 MB
/// photo may take a minute and a 20 MB image about 20 minutes.
pub const DEFAULT_MIN_BODY_RATE: u64 = 16 * 1024;
/// Default `resultCacheMs`: a final result is kept 3 seconds.
pub const DEFAULT_RESULT_CACHE_MS: u64 = 3_000;
/// Longest `resultCacheMs`: one minute.
pub const MAX_RESULT_CACHE_MS: u64 = 60_000;
/// Smallest `maxImageBytes`: 1 KiB of base64.
pub const MIN_IMAGE_BYTES: u64 = 1024;
/// Longest `Retry-After` a hook may ask for: one day.
pub const MAX_RETRY_AFTER_MS: f64 = 86_400_000.0;

/// When a request body has taken too long: it may take `timeout_ms`, and
/// `1000 / min_rate` milliseconds more for each byte received. A trickle
/// (a byte a second) is cut after about `timeout_ms`; an upload at the
/// minimum rate or faster is never cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyClock {
    /// `bodyTimeoutMs`.
    pub timeout_ms: u64,
    /// `minBodyRate`, bytes a second; 0: no allowance per byte (the whole
    /// body within `timeout_ms`).
    pub min_rate: u64,
}

impl Default for BodyClock {
    fn default() -> Self {
        BodyClock {
            timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
            min_rate: DEFAULT_MIN_BODY_RATE,
        }
    }
}

impl BodyClock {
    /// Milliseconds after the reading started by which the body must have
    /// arrived, given `received` bytes so far.
    pub fn allowed_ms(&self, received: u64) -> u64 {
        let per_bytes = match self.min_rate {
            0 => 0,
            rate => received.saturating_mul(1000) / rate,
        };
        self.timeout_ms.saturating_add(per_bytes)
    }

    /// How long the next read may wait, `elapsed_ms` after the reading
    /// started with `received` bytes so far: `None` when the time is up.
    pub fn remaining_ms(&self, elapsed_ms: u64, received: u64) -> Option<u64> {
        self.allowed_ms(received)
            .checked_sub(elapsed_ms)
            .filter(|&left| left > 0)
    }

    /// `BODY_TIMEOUT` after `received` bytes.
    pub fn timed_out(&self, received: u64) -> Error {
        let rate = if self.min_rate == 0 {
            String::new()
        } else {
            format!(" and then at least {} bytes a second", self.min_rate)
        };
        Error::BodyTimeout(format!(
            "the body did not arrive in time ({received} bytes received): this route allows {} ms{rate}",
            self.timeout_ms
        ))
    }
}

/// The body limits of `POST /ocr/idcard` for images of at most `max_image`
/// bytes of base64: `(JSON, multipart)`.
pub fn upload_limits(max_image: usize) -> (usize, usize) {
    (max_image + FRAMING, max_image / 4 * 3 + FRAMING)
}

/// Checks `maxImageBytes`: a whole number of bytes of base64 from 1 KiB to
/// the service's 20 MB.
pub fn max_image_bytes(value: f64) -> Result<usize> {
    if value.fract() == 0.0 && value >= MIN_IMAGE_BYTES as f64 && value <= MAX_IMAGE_BASE64 as f64 {
        Ok(value as usize)
    } else {
        Err(Error::InvalidOption(format!(
            "maxImageBytes must be a whole number of bytes of base64 from {MIN_IMAGE_BYTES} to {MAX_IMAGE_BASE64} (the service takes at most 20 MB)"
        )))
    }
}

/// `Retry-After` in whole seconds for a wait of `ms`, rounded up.
pub fn retry_after_seconds(ms: f64) -> u64 {
    (ms / 1000.0).ceil().max(0.0) as u64
}

/// What the `rateLimit` hook answered, read by the WebAssembly layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// `true` or `undefined`: go on.
    Allow,
    /// `false`: refuse, without `Retry-After`.
    Refuse,
    /// `{ retryAfterMs }`: refuse, with `Retry-After`.
    RefuseFor(f64),
    /// Anything else: a bug in the hook.
    Unknown,
}

/// The error a request gets for `verdict` of the hook (`None`: go on).
/// `what` describes an unknown answer for the message.
pub fn refusal(verdict: Verdict, what: &str) -> Option<Error> {
    match verdict {
        Verdict::Allow => None,
        Verdict::Refuse => Some(Error::RateLimited {
            retry_after_s: None,
            message: "too many requests: the rate limit refused this one".into(),
        }),
        Verdict::RefuseFor(ms) if ms.is_finite() && (0.0..=MAX_RETRY_AFTER_MS).contains(&ms) => {
            let s = retry_after_seconds(ms);
            Some(Error::RateLimited {
                retry_after_s: Some(s),
                message: format!("too many requests: try again in {s} s"),
            })
        }
        Verdict::RefuseFor(_) | Verdict::Unknown => Some(hook_failed(&format!(
            "returned {what} (expected true, undefined, false or {{ retryAfterMs }} with retryAfterMs from 0 to 86400000)"
        ))),
    }
}

/// The refusal when the hook could not be asked (it threw, rejected, did not
/// answer in time, or answered nonsense): the handler fails closed, since
/// the hook is what keeps the operator's costs bounded.
pub fn hook_failed(what: &str) -> Error {
    Error::RateLimited {
        retry_after_s: None,
        message: format!("the rateLimit hook {what}: the request is refused (fail closed)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_clock() {
        let c = BodyClock {
            timeout_ms: 1000,
            min_rate: 1000,
        };
        assert_eq!(c.allowed_ms(0), 1000);
        assert_eq!(c.allowed_ms(500), 1500);
        assert_eq!(c.remaining_ms(0, 0), Some(1000));
        assert_eq!(c.remaining_ms(999, 0), Some(1));
        assert_eq!(c.remaining_ms(1000, 0), None);
        assert_eq!(c.remaining_ms(5000, 0), None);
        // A byte buys a millisecond at 1000 bytes a second: a byte a
        // second never keeps up.
        assert_eq!(c.remaining_ms(1000, 1), Some(1));
        assert_eq!(c.remaining_ms(1001, 1), None);
        let no_rate = BodyClock {
            timeout_ms: 1000,
            min_rate: 0,
        };
        assert_eq!(no_rate.allowed_ms(u64::MAX), 1000);
        assert_eq!(BodyClock::default().allowed_ms(16 * 1024), 11_000);
        assert!(BodyClock::default().allowed_ms(u64::MAX) > 1 << 40);
        let e = c.timed_out(12);
        assert_eq!(e.code(), "BODY_TIMEOUT");
        assert_eq!(e.http_status(), 408);
        assert!(e.message().contains("12 bytes received"));
        assert!(e
            .message()
            .contains("1000 ms and then at least 1000 bytes a second"));
    }

    #[test]
    fn image_limits() {
        assert_eq!(
            upload_limits(MAX_IMAGE_BASE64),
            (crate::edge::MAX_JSON_BODY, crate::edge::MAX_MULTIPART_BODY)
        );
        assert_eq!(max_image_bytes(1024.0), Ok(1024));
        assert_eq!(
            max_image_bytes(MAX_IMAGE_BASE64 as f64),
            Ok(MAX_IMAGE_BASE64)
        );
        for bad in [0.0, 1023.0, 1024.5, MAX_IMAGE_BASE64 as f64 + 1.0, f64::NAN] {
            assert_eq!(
                max_image_bytes(bad).unwrap_err().code(),
                "INVALID_OPTION",
                "{bad}"
            );
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(refusal(Verdict::Allow, ""), None);
        let e = refusal(Verdict::Refuse, "").unwrap();
        assert_eq!((e.code(), e.http_status()), ("RATE_LIMITED", 429));
        assert_eq!(
            refusal(Verdict::RefuseFor(1001.0), ""),
            Some(Error::RateLimited {
                retry_after_s: Some(2),
                message: "too many requests: try again in 2 s".into()
            })
        );
        assert!(matches!(
            refusal(Verdict::RefuseFor(0.0), ""),
            Some(Error::RateLimited {
                retry_after_s: Some(0),
                ..
            })
        ));
        for bad in [
            Verdict::RefuseFor(-1.0),
            Verdict::RefuseFor(f64::INFINITY),
            Verdict::Unknown,
        ] {
            let e = refusal(bad, "a number").unwrap();
            assert_eq!(e.code(), "RATE_LIMITED");
            assert!(e.message().contains("fail closed"), "{}", e.message());
        }
        assert_eq!(retry_after_seconds(1.0), 1);
        assert_eq!(retry_after_seconds(60_000.0), 60);
    }
}
