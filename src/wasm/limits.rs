//! What one caller may cost the edge handler's operator: the options that
//! bound it (`rateLimit`, `bodyTimeoutMs`, `minBodyRate`, `maxImageBytes`,
//! `resultCacheMs`) and the call of the `rateLimit` hook. The rules are the
//! core's ([`crate::limits`]).

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::boundary::{define_value, describe_type};
use super::http::{error_name, is_plain_object, within};
use super::options;
use super::results::Results;
use crate::edge::Route;
use crate::error::Error;
use crate::limits::{self as rules, hook_failed, refusal, BodyClock, Verdict};
use crate::request::MAX_IMAGE_BASE64;

/// The `rateLimit` hook, if any, and how long it may take.
#[derive(Clone)]
pub(super) struct RateLimit {
    hook: Option<Function>,
    timeout_ms: u32,
}

impl RateLimit {
    /// Asks the hook whether `route` may run for `user` now: `Ok` to go on,
    /// `RATE_LIMITED` when it refuses. A hook that throws, rejects, does not
    /// settle within the client's `timeoutMs` or answers anything else is a
    /// refusal too (fail closed: the hook is what bounds the operator's
    /// costs, and a broken one should be seen at once, not bypassed).
    pub async fn check(
        &self,
        route: Route,
        user: Option<&str>,
        request: &JsValue,
        env: &JsValue,
    ) -> Result<(), Error> {
        let Some(hook) = &self.hook else {
            return Ok(());
        };
        let arg = Object::new();
        define_value(&arg, "route", &JsValue::from_str(route.name()));
        define_value(
            &arg,
            "userId",
            &user.map_or(JsValue::NULL, JsValue::from_str),
        );
        define_value(&arg, "request", request);
        let value = hook
            .call2(&JsValue::UNDEFINED, &arg, env)
            .map_err(|e| hook_failed(&format!("threw {}", error_name(&e))))?;
        let ms = self.timeout_ms;
        let value = within(&value, ms)
            .await
            .ok_or_else(|| hook_failed(&format!("did not settle within {ms} ms")))?
            .map_err(|e| hook_failed(&format!("rejected with {}", error_name(&e))))?;
        let verdict = if value.is_undefined() || value.as_bool() == Some(true) {
            Verdict::Allow
        } else if value.as_bool() == Some(false) {
            Verdict::Refuse
        } else if is_plain_object(&value) {
            let after = options::get(&value, "retryAfterMs")
                .map_err(|_| hook_failed("answered an object whose retryAfterMs threw"))?;
            match after.as_f64() {
                Some(ms) => Verdict::RefuseFor(ms),
                None => Verdict::Unknown,
            }
        } else {
            Verdict::Unknown
        };
        match refusal(verdict, &describe_type(&value)) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

/// The limits of one handler.
pub(super) struct Limits {
    /// `rateLimit`.
    pub rate: RateLimit,
    /// `bodyTimeoutMs` and `minBodyRate`.
    pub clock: BodyClock,
    /// `maxImageBytes`: the largest ID card image, as base64.
    pub max_image: usize,
    /// `resultCacheMs`, and the result queries in flight.
    pub results: Results,
}

/// A whole number of milliseconds (or bytes) option from `min` to `max`.
fn number(options: &JsValue, key: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
    let value = options::get(options, key)?;
    if options::absent(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Ok(Some(n as u64)),
        _ => Err(Error::InvalidOption(format!(
            "{key} must be a whole number from {min} to {max}; got {}",
            describe_type(&value)
        ))),
    }
}

impl Limits {
    /// Reads the options of `createEdgeHandler`; `timeout_ms` is the
    /// client's, which also bounds the `rateLimit` hook.
    pub fn from_options(options: &JsValue, timeout_ms: u32) -> Result<Limits, Error> {
        let hook = options::function(
            options,
            "rateLimit",
            "({ route, userId, request }, env) => true | false | { retryAfterMs } | Promise of one",
        )?;
        let clock = BodyClock {
            timeout_ms: number(options, "bodyTimeoutMs", 1, rules::MAX_BODY_TIMEOUT_MS)?
                .unwrap_or(rules::DEFAULT_BODY_TIMEOUT_MS),
            min_rate: number(options, "minBodyRate", 0, u64::from(u32::MAX))?
                .unwrap_or(rules::DEFAULT_MIN_BODY_RATE),
        };
        let max_image = match options::get(options, "maxImageBytes")? {
            v if options::absent(&v) => MAX_IMAGE_BASE64,
            v => rules::max_image_bytes(v.as_f64().unwrap_or(f64::NAN))?,
        };
        let cache_ms = number(options, "resultCacheMs", 0, rules::MAX_RESULT_CACHE_MS)?
            .unwrap_or(rules::DEFAULT_RESULT_CACHE_MS);
        Ok(Limits {
            rate: RateLimit { hook, timeout_ms },
            clock,
            max_image,
            results: Results::new(cache_ms),
        })
    }
}
