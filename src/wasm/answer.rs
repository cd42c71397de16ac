//! Answers of the service as the client returns them: the envelope rules
//! of the core applied to the engine's parsed JSON; a [`Reply`] (the last
//! answer of a call and what the call machine decided about it) that the
//! client, the H5 flow and the edge handler read as Rust values; the
//! `QueryResult` object built from it once, where it leaves, from own data
//! properties only; and `codeInfo`.

use js_sys::{JsString, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{code_info_object, copy_payload, pack_keys, query_result};
use super::http::{field, is_plain_object, own, parse_object};
use crate::call_machine::Finished;
use crate::error::Error;
use crate::ids::OrderNo;
use crate::response::{self, code_info, Envelope, Source, DROPPED_KEYS, ENVELOPE_KEYS};

/// A parsed answer: the JSON object, its `result`, and the envelope.
#[derive(Clone)]
pub(super) struct Answer {
    pub top: Object,
    pub result: Option<Object>,
    pub envelope: Envelope,
}

/// The keys of `obj`: packed in one crossing, or one by one when a key has
/// a lone surrogate (each then read as `as_string` reads it).
fn keys(obj: &Object) -> Vec<String> {
    if let Some(packed) = pack_keys(obj) {
        if let Ok(list) = crate::packed::unpack(&packed).collect::<Result<Vec<&str>, _>>() {
            return list.into_iter().map(str::to_owned).collect();
        }
    }
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
}

/// The answer a call ended with: the last answer of the service, the
/// order asked about, and what the call machine made of it. Cheap to clone
/// (the JSON stays in JavaScript).
#[derive(Clone)]
pub(super) struct Reply {
    answer: Answer,
    /// The order the call asked about (the answer is about it, or names none).
    order_no: OrderNo,
    finished: Finished,
}

impl Reply {
    /// The call about `order_no` finished (`finished`) on `answer`.
    pub fn new(answer: Answer, order_no: &OrderNo, finished: Finished) -> Reply {
        Reply {
            answer,
            order_no: order_no.clone(),
            finished,
        }
    }

    /// Whether the code is success (`"0"`).
    pub fn ok(&self) -> bool {
        self.finished.ok
    }

    /// The business code.
    pub fn code(&self) -> &str {
        &self.finished.code
    }

    /// The service's description of the code, verbatim.
    pub fn msg(&self) -> &str {
        &self.answer.envelope.msg
    }

    /// The order the answer is about (the machine checked it is the one
    /// asked about).
    pub fn order_no(&self) -> &OrderNo {
        &self.order_no
    }

    /// Requested files still missing after every file poll.
    pub fn files_pending(&self) -> bool {
        self.finished.files_pending
    }

    /// The payload field `key` (what `result[key]` of the `QueryResult` is),
    /// `undefined` when there is none: read from the answer's `result`
    /// first, then from its top level, as [`response::payload_plan`] says.
    pub fn field(&self, key: &str) -> JsValue {
        if DROPPED_KEYS.contains(&key) {
            return JsValue::UNDEFINED;
        }
        if let Some(result) = &self.answer.result {
            let value = own(result, key);
            if !value.is_undefined() {
                return value;
            }
        }
        if ENVELOPE_KEYS.contains(&key) {
            return JsValue::UNDEFINED;
        }
        own(&self.answer.top, key)
    }

    /// The payload text field `key`, when it is a string.
    pub fn text(&self, key: &str) -> Option<String> {
        self.field(key).as_string()
    }

    /// `{ ok, code, msg, bizSeqNo, transactionTime, orderNo, result, codeInfo, filesPending }`,
    /// the `QueryResult` the caller gets.
    pub fn to_js(&self) -> JsValue {
        let answer = &self.answer;
        let payload = Object::new();
        let result_keys = answer.result.as_ref().map(keys).unwrap_or_default();
        // The plan packed as `js/boundary.js`'s `copyPayload` reads it: per
        // key, its length in UTF-16 units plus one, `:`, the source letter,
        // the key. Each is defined, never assigned: a "__proto__" key in the
        // answer stays an own key instead of replacing the result's prototype.
        let mut plan = String::new();
        for (key, source) in response::payload_plan(&keys(&answer.top), &result_keys) {
            let letter = match (source, &answer.result) {
                (Source::Result, Some(_)) => 'r',
                _ => 't',
            };
            plan.push_str(&(key.encode_utf16().count() + 1).to_string());
            plan.push(':');
            plan.push(letter);
            plan.push_str(&key);
        }
        let result = answer
            .result
            .as_ref()
            .map_or(JsValue::UNDEFINED, |r| r.clone().into());
        copy_payload(&payload, &answer.top, &result, &plan);
        let env = &answer.envelope;
        query_result(
            self.ok(),
            self.code(),
            &env.msg,
            env.biz_seq_no.as_deref(),
            env.transaction_time.as_deref(),
            env.order_no.as_deref().unwrap_or(&self.order_no),
            &payload,
            &code_info_js(self.code()),
            self.files_pending(),
        )
    }
}

/// `{ kind, en, zh, retryable }` for a known code, `null` otherwise.
pub fn code_info_js(code: &str) -> JsValue {
    match code_info(code) {
        None => JsValue::NULL,
        Some(info) => code_info_object(info.kind, info.en, info.zh, info.retryable),
    }
}
