//! The edge handler's server-side hooks, so that the operator's backend
//! learns which user owns which order and what the service answered,
//! without believing anything a page says:
//!
//! - `onStart({ kind, orderNo, userId, request })`, awaited before `/start`
//!   and `/sdk/start` ask the service for anything: a throw, a rejection or
//!   no answer within the client's `timeoutMs` fails the start with
//!   `500 INTERNAL`, and no order token is issued.
//! - `onResult({ kind, orderNo, userId, result })`, with the untrimmed
//!   answer, each time the handler receives a final one (not busy, files not
//!   pending). It runs through `ctx.waitUntil` when there is a `ctx` (the
//!   answer does not wait), otherwise it is awaited (at most `timeoutMs`).
//!   Its failure never changes what the page is answered.
//!
//! The hooks are told the error's name, never shown its message: a hook's
//! message may carry anything, and nothing from it reaches a response.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::answer::Reply;
use super::boundary::define_value;
use super::flight::WaitUntil;
use super::http::{error_name, within};
use super::options;
use super::task;
use crate::error::Error;
use crate::order_token::TokenKind;

/// The hooks an operator gave, and how long each may take.
#[derive(Clone)]
pub struct Hooks {
    on_start: Option<Function>,
    on_result: Option<Function>,
    timeout_ms: u32,
}

impl Hooks {
    /// Reads `onStart` and `onResult` from the handler's options; each may
    /// take at most `timeout_ms` (the client's `timeoutMs`).
    pub fn from_options(options: &JsValue, timeout_ms: u32) -> Result<Hooks, Error> {
        Ok(Hooks {
            on_start: options::function(
                options,
                "onStart",
                "({ kind, orderNo, userId, request }) => void | Promise<void>, that records which user owns which order",
            )?,
            on_result: options::function(
                options,
                "onResult",
                "({ kind, orderNo, userId, result }) => void | Promise<void>, that records what the service answered",
            )?,
            timeout_ms,
        })
    }

    /// Tells `onStart` that `user_id` starts order `order_no` of `kind`,
    /// and waits for it: `INTERNAL` when it throws, rejects or does not
    /// settle in time.
    pub async fn started(
        &self,
        kind: TokenKind,
        order_no: &str,
        user_id: &str,
        request: &JsValue,
    ) -> Result<(), Error> {
        let Some(hook) = &self.on_start else {
            return Ok(());
        };
        let event = Object::new();
        define_value(&event, "kind", &JsValue::from_str(kind.name()));
        define_value(&event, "orderNo", &JsValue::from_str(order_no));
        define_value(&event, "userId", &JsValue::from_str(user_id));
        define_value(&event, "request", request);
        let value = hook.call1(&JsValue::UNDEFINED, &event).map_err(|e| {
            Error::Internal(format!(
                "the onStart hook threw {}: the order was not started",
                error_name(&e)
            ))
        })?;
        let ms = self.timeout_ms;
        within(&value, ms)
            .await
            .ok_or_else(|| {
                Error::Internal(format!(
                    "the onStart hook did not settle within {ms} ms: the order was not started"
                ))
            })?
            .map_err(|e| {
                Error::Internal(format!(
                    "the onStart hook rejected with {}: the order was not started",
                    error_name(&e)
                ))
            })?;
        Ok(())
    }

    /// Tells `onResult` what the service answered about order `order_no`
    /// of `kind` (`reply`, untrimmed: the `QueryResult` the client would
    /// give, made here only when there is a hook), when the answer is
    /// final. Never fails.
    pub async fn finished(
        &self,
        kind: TokenKind,
        order_no: &str,
        user_id: Option<&str>,
        reply: &Reply,
        ctx: Option<&WaitUntil>,
    ) {
        let Some(hook) = &self.on_result else {
            return;
        };
        if !is_reported(reply.code(), reply.files_pending()) {
            return;
        }
        let answer = &reply.to_js();
        let event = Object::new();
        define_value(&event, "kind", &JsValue::from_str(kind.name()));
        define_value(&event, "orderNo", &JsValue::from_str(order_no));
        define_value(
            &event,
            "userId",
            &user_id.map_or(JsValue::NULL, JsValue::from_str),
        );
        define_value(&event, "result", answer);
        let Ok(value) = hook.call1(&JsValue::UNDEFINED, &event) else {
            return;
        };
        let ms = self.timeout_ms;
        match ctx {
            Some(ctx) => {
                // Settles when the hook's promise does (or after `ms`), and
                // never rejects: the context keeps it alive past the answer.
                let settled = task::promise(async move {
                    let _ = within(&value, ms).await;
                    Ok(JsValue::UNDEFINED)
                });
                ctx.keep_alive(&settled);
            }
            None => {
                let _ = within(&value, ms).await;
            }
        }
    }
}

/// Whether `onResult` is told a query's answer: the service settled it (not
/// a busy code) and no requested file is still pending, as its TypeScript
/// type says. Wider than the result cache's `is_final`, which keeps only
/// answers that can never change: the hook also hears "no result yet" and
/// codes this version does not know.
fn is_reported(code: &str, files_pending: bool) -> bool {
    !crate::response::is_busy(code) && !files_pending
}
