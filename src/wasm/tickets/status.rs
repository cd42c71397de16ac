//! What `ticketStatus()` shows of a client with `secret` (and the
//! `TicketManager`'s `status()`): ages, expiries and errors, never a value.

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::Manager;
use crate::tickets::Failure;
use crate::wasm::boundary::define_value;
use crate::wasm::http::now_ms;

impl Manager {
    /// `{ source, hasTicket, ticketAgeMs, … }`: ages and expiries, never a value.
    pub fn status_js(&self) -> JsValue {
        let s = self.state.borrow().status(now_ms(), &self.schedule);
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            define_value(&o, k, &v);
        };
        let num = |v: Option<u64>| v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64));
        let failure = |f: Option<Failure>| match f {
            None => JsValue::NULL,
            Some(f) => {
                let e = Object::new();
                define_value(&e, "code", &f.code.into());
                define_value(&e, "message", &f.message.as_str().into());
                define_value(&e, "at", &JsValue::from_f64(f.at_ms as f64));
                e.into()
            }
        };
        set(
            "source",
            JsValue::from_str(if self.store.is_some() {
                "secret+store"
            } else {
                "secret"
            }),
        );
        set("hasTicket", JsValue::from_bool(s.has_ticket));
        set("ticketAgeMs", num(s.ticket_age_ms));
        set("ticketExpiresInMs", num(s.ticket_expires_in_ms));
        set("tokenAgeMs", num(s.token_age_ms));
        set("tokenExpiresInMs", num(s.token_expires_in_ms));
        set("nextRefreshInMs", num(s.next_refresh_in_ms));
        set("retryInMs", JsValue::from_f64(s.retry_in_ms as f64));
        set("lastRefreshAt", num(s.last_refresh_ms));
        set("refreshes", JsValue::from_f64(s.refreshes as f64));
        set("refreshing", JsValue::from_bool(self.flight.running()));
        set(
            "abandonedRefreshes",
            JsValue::from_f64(self.flight.abandoned() as f64),
        );
        set("failures", JsValue::from_f64(f64::from(s.failures)));
        set("lastError", failure(s.last_error));
        if self.store.is_some() {
            set("storeError", failure(s.store_error));
            set("storeReadAgeMs", num(s.store_read_age_ms));
        }
        o.into()
    }
}
