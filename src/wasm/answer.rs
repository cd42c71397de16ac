//! Answers of the service as the client returns them: the envelope rules
//! of the core applied to the engine's parsed JSON, into a `QueryResult`
//! object built from own data properties only; and `codeInfo`.

use js_sys::{JsString, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::define_value;
use super::http::{field, is_plain_object, own, parse_object};
use crate::error::Error;
use crate::response::{self, code_info, Envelope, Source};

/// A parsed answer: the JSON object, its `result`, and the envelope.
pub(super) struct Answer {
    pub top: Object,
    pub result: Option<Object>,
    pub envelope: Envelope,
}

fn keys(obj: &Object) -> Vec<String> {
    Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

impl Answer {
    pub fn parse(body: &JsValue) -> Result<Answer, Error> {
        let top = parse_object(body)?;
        let result = Some(own(&top, "result"))
            .filter(is_plain_object)
            .map(JsCast::unchecked_into::<Object>);
        let envelope = response::envelope(
            |k| field(&top, k),
            |k| result.as_ref().and_then(|r| field(r, k)),
        )?;
        Ok(Answer {
            top,
            result,
            envelope,
        })
    }

    /// Whether the payload has a non-empty string for `field`. Only the
    /// length is read: a multi-megabyte photo is never copied into wasm.
    pub fn has(&self, field: &str) -> bool {
        let non_empty = |obj: &Object| {
            own(obj, field)
                .dyn_into::<JsString>()
                .is_ok_and(|s| s.length() > 0)
        };
        self.result.as_ref().is_some_and(non_empty) || non_empty(&self.top)
    }

    /// `{ ok, code, msg, bizSeqNo, transactionTime, orderNo, result, codeInfo, filesPending }`.
    pub fn into_js(self, requested_order_no: &str, files_pending: bool) -> Result<JsValue, Error> {
        let payload = Object::new();
        let result_keys = self.result.as_ref().map(keys).unwrap_or_default();
        for (key, source) in response::payload_plan(&keys(&self.top), &result_keys) {
            let from = match (source, &self.result) {
                (Source::Result, Some(r)) => r,
                _ => &self.top,
            };
            // Defined, never assigned: a "__proto__" key in the answer stays
            // an own key instead of replacing the result's prototype.
            define_value(&payload, &key, &own(from, &key));
        }
        let env = &self.envelope;
        let out = Object::new();
        let set = |k: &str, v: JsValue| define_value(&out, k, &v);
        let text_or_null =
            |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        set("ok", JsValue::from_bool(env.ok()));
        set("code", JsValue::from_str(&env.code));
        set("msg", JsValue::from_str(&env.msg));
        set("bizSeqNo", text_or_null(&env.biz_seq_no));
        set("transactionTime", text_or_null(&env.transaction_time));
        set(
            "orderNo",
            JsValue::from_str(env.order_no.as_deref().unwrap_or(requested_order_no)),
        );
        set("result", payload.into());
        set("codeInfo", code_info_js(&env.code));
        set("filesPending", JsValue::from_bool(files_pending));
        Ok(out.into())
    }
}

/// `{ kind, en, zh, retryable }` for a known code, `null` otherwise.
pub fn code_info_js(code: &str) -> JsValue {
    match code_info(code) {
        None => JsValue::NULL,
        Some(info) => {
            let o = Object::new();
            define_value(&o, "kind", &info.kind.into());
            define_value(&o, "en", &info.en.into());
            define_value(&o, "zh", &info.zh.into());
            define_value(&o, "retryable", &info.retryable.into());
            o.into()
        }
    }
}
