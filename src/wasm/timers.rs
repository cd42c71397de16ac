//! Time for the client: sleeping, racing a future against a deadline, and
//! the end of a whole call (the caller's `signal` and `deadlineMs`, as one
//! `Stop`). Timers resolve promises directly: no Rust closure is made for
//! them.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal, AddEventListenerOptions};

use super::boundary::settled;
use super::web::{clear_timeout, missing, set_timeout, AbortSignalExt};
use crate::error::Error;

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    if ms == 0 {
        return;
    }
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    // A timer promise never rejects.
    let _ = settled(&promise).await;
}

/// Runs `future` for at most `ms` milliseconds: `None` when the time ran
/// out first (the future is then dropped, never polled again), else its
/// output. The one deadline of the crate: the timer resolves a promise
/// directly (no Rust closure is made for it) and is cleared either way (a
/// pending timer would keep a Node.js process alive); the promise is then
/// settled by hand, so that nothing waiting on it is left behind.
pub async fn race<F: core::future::Future>(future: F, ms: u32) -> Option<F::Output> {
    use core::future::Future as _;
    use core::task::Poll;
    let mut timer = JsValue::UNDEFINED;
    let mut settle = None;
    let deadline = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, ms);
        settle = Some(resolve);
    });
    let mut deadline = core::pin::pin!(settled(&deadline));
    let mut future = core::pin::pin!(future);
    let outcome = core::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await;
    clear_timeout(&timer);
    if let Some(resolve) = settle {
        // Resolving twice is harmless; never resolving would keep the
        // future's callbacks alive.
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
    outcome
}

/// Awaits `value` (a promise or any value) for at most `ms` milliseconds:
/// `None` when it did not settle in time, else its outcome. A value that
/// is not thenable (a hook that answers at once: no `then` on it or its
/// prototypes, asked with `in`, which runs no getter) is its own outcome,
/// with no timer and no promise.
pub async fn within(value: &JsValue, ms: u32) -> Option<Result<JsValue, JsValue>> {
    let thenable = (value.is_object() || value.is_function())
        && Reflect::has(value, &JsValue::from_str("then")).unwrap_or(true);
    if !thenable {
        return Some(Ok(value.clone()));
    }
    race(settled(&Promise::resolve(value)), ms).await
}

/// The end of a whole call (its attempts, retries and polls): the caller's
/// `signal` and its `deadlineMs`, as one `AbortSignal`.
#[derive(Clone)]
pub struct Stop {
    signal: AbortSignal,
    deadline_ms: Option<u32>,
}

impl Stop {
    /// `None` when there is neither a signal nor a deadline.
    pub fn new(
        signal: Option<AbortSignal>,
        deadline_ms: Option<u32>,
    ) -> Result<Option<Stop>, Error> {
        let timer = match deadline_ms {
            Some(ms) => Some(AbortSignal::try_timeout(ms).map_err(|_| {
                Error::InvalidOption(
                    "deadlineMs needs AbortSignal.timeout, which this platform lacks".into(),
                )
            })?),
            None => None,
        };
        let signal = match (signal, timer) {
            (None, None) => return Ok(None),
            (Some(s), None) | (None, Some(s)) => s,
            (Some(a), Some(b)) => AbortSignal::try_any(&Array::of2(&a, &b)).map_err(|_| {
                Error::InvalidOption(
                    "signal with deadlineMs needs AbortSignal.any, which this platform lacks"
                        .into(),
                )
            })?,
        };
        Ok(Some(Stop {
            signal,
            deadline_ms,
        }))
    }

    /// The error of a stopped call: `TIMEOUT` past `deadlineMs`, `ABORTED`
    /// when the caller's signal fired.
    pub fn error(&self) -> Error {
        let reason = self.signal.reason();
        let name = Reflect::get(&reason, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        match (name.as_deref(), self.deadline_ms) {
            (Some("TimeoutError"), Some(ms)) => Error::Timeout(format!(
                "the call did not finish within {ms} ms (deadlineMs), retries and file polls included"
            )),
            _ => Error::Aborted("the call was aborted by its signal".into()),
        }
    }

    /// The call's `deadlineMs`, if it has one.
    pub fn deadline_ms(&self) -> Option<u32> {
        self.deadline_ms
    }

    /// `Err` once the call has been stopped.
    pub fn check(&self) -> Result<(), Error> {
        if self.signal.aborted() {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    /// The signal that fires when the call is stopped.
    pub(super) fn signal(&self) -> &AbortSignal {
        &self.signal
    }
}

/// Checks an optional stop.
pub fn check(stop: Option<&Stop>) -> Result<(), Error> {
    stop.map_or(Ok(()), Stop::check)
}

/// Sleeps `ms`, or less when `stop` fires first (then `Err`).
pub async fn pause(ms: u32, stop: Option<&Stop>) -> Result<(), Error> {
    let Some(stop) = stop else {
        sleep(ms).await;
        return Ok(());
    };
    stop.check()?;
    // Wakes on the timer or on the signal, whichever comes first; the
    // listener is removed afterwards (its own signal) and the timer cleared.
    let cleanup = AbortController::new().map_err(|_| missing("AbortController"))?;
    let mut timer = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, ms);
        let options = AddEventListenerOptions::new();
        options.set_once(true);
        options.set_signal(&cleanup.signal());
        // Adding a listener to a live AbortSignal cannot fail.
        let _ = stop
            .signal()
            .add_event_listener_with_callback_and_add_event_listener_options(
                "abort", &resolve, &options,
            );
    });
    let _ = settled(&promise).await;
    clear_timeout(&timer);
    cleanup.abort();
    stop.check()
}

/// `Date.now()`, in whole milliseconds.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}
