//! The result routes (`GET {prefix}/result/{kind}?orderNo=…` with the order
//! token): the token and the user checked, the query shared with the
//! requests that ask for the same answer (and a final one kept a few
//! seconds), and the answer trimmed to what a page may see.

use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, Url};

use super::respond::{header, json_text, json_text_response};
use super::Handler;
use crate::edge::{self as policy, Route, Trim};
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::ids::{OrderNo, UserId};
use crate::order_token::TokenKind;
use crate::result_cache::Key;
use crate::wasm::answer::Reply;
use crate::wasm::boundary::define_value;
use crate::wasm::flight::WaitUntil;
use crate::wasm::http::now_ms;
use crate::wasm::large::json_parts;
use crate::wasm::results::{result_query, ResultQuery};

impl Handler {
    /// Checks the order token of a result route; the user is bound when the
    /// identity hook names one, and returned. With nobody signed in, a token
    /// minted for a user (or forged) is `401`: an identity is required
    /// exactly when the token was minted for one.
    async fn authorize(
        &self,
        token: &str,
        kind: TokenKind,
        order_no: &str,
        request: &Request,
        env: &JsValue,
    ) -> Result<Option<UserId>, Error> {
        let user = self.identity(request, env).await?.map(|w| w.user_id);
        match self
            .tokens
            .check(token, kind, order_no, user.as_deref(), now_ms())
        {
            Ok(_) => Ok(user),
            // Nobody signed in, and the token does not open the order
            // without a user at any time (it was minted for one, or is not
            // valid): sign in. An expired token minted with no user stays 403.
            Err(Error::Forbidden(_))
                if user.is_none() && self.tokens.signed_for(token, kind, order_no, None).is_err() =>
            {
                Err(Error::Unauthorized(
                    "sign in first: the identity hook names no user, and this order token does not open the order without one (it was minted for a signed-in user, or is not valid)".into(),
                ))
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn result(
        &self,
        kind: TokenKind,
        request: &Request,
        url: &Url,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        // The token first: a caller without one learns nothing, not even
        // whether the order number is well formed.
        let auth = header(request, "authorization");
        let token = policy::bearer(auth.as_deref())?;
        let params = url.search_params();
        let order_no = params.get("orderNo").ok_or_else(|| {
            Error::InvalidOrderNo("orderNo is missing from the query string".into())
        })?;
        let order_no = OrderNo::new(&order_no)?;
        let user = self.authorize(token, kind, &order_no, request, env).await?;
        // A final answer in memory, or the query another request has in
        // flight; else a new query (the only case the rate limit counts).
        let key = Key::new(kind, &order_no, user.as_deref());
        if let Some(text) = self.limits.results.cached(&key) {
            return Ok(json_text_response(&text));
        }
        let query = Route::Result(kind).kind().unwrap_or(Kind::FaceResult);
        let work = result_query(ResultQuery {
            client: self.client.clone(),
            rate: self.limits.rate.clone(),
            route: Route::Result(kind),
            user: user.clone(),
            request: AsRef::<JsValue>::as_ref(request).clone(),
            env: env.clone(),
            kind: query,
            order_no,
            get_file: self.get_file(query),
            ctx: ctx.cloned(),
            hooks: self.hooks.clone(),
            token_kind: kind,
        });
        let bound = self.client.call_bound_ms() + u64::from(self.client.timeout_ms());
        let (reply, last) = self.limits.results.shared(&key, bound, ctx, work).await?;
        let trimmed = self.trimmed(query, &reply);
        drop(reply);
        // Revealed files (megabytes of base64) are written apart, chunk by
        // chunk: no JSON text of the whole answer (see `js/large.js`).
        let text = if self.reveal.is_empty() {
            json_text(&trimmed)
        } else {
            json_parts(&trimmed)
        };
        if last {
            self.limits.results.keep(key, &text);
        }
        Ok(json_text_response(&text))
    }

    /// Whether the operator reveals `field` (under either of its spellings).
    fn reveals(&self, field: &str) -> bool {
        let other = crate::endpoints::other_spelling(field);
        self.reveal
            .iter()
            .any(|r| r == field || other == Some(r.as_str()))
    }

    /// The files a result query asks for: only those the operator reveals.
    fn get_file(&self, kind: Kind) -> GetFile {
        let wants = |f: &str| self.reveals(f);
        if kind.face_files() {
            match (wants("photo"), wants("video")) {
                (true, true) => GetFile::All,
                (true, false) => GetFile::Photo,
                (false, true) => GetFile::Video,
                (false, false) => GetFile::None,
            }
        } else if kind.media_fields().iter().any(|f| wants(f)) {
            GetFile::All
        } else {
            GetFile::None
        }
    }

    /// `{ ok, code, msg, orderNo, result }` with the result trimmed.
    pub(super) fn trimmed(&self, kind: Kind, reply: &Reply) -> Object {
        let out = Object::new();
        define_value(&out, "ok", &JsValue::from_bool(reply.ok()));
        define_value(&out, "code", &JsValue::from_str(reply.code()));
        define_value(&out, "msg", &JsValue::from_str(reply.msg()));
        define_value(&out, "orderNo", &JsValue::from_str(reply.order_no()));
        let trimmed = Object::new();
        // A revealed field is looked up by each of its spellings (the bank
        // card's original image has two).
        for field in
            policy::trimmed_fields(kind)
                .iter()
                .copied()
                .chain(self.reveal.iter().flat_map(|r| {
                    std::iter::once(r.as_str()).chain(crate::endpoints::other_spelling(r))
                }))
        {
            let value = reply.field(field);
            if value.is_undefined() {
                continue;
            }
            let rule = if self.reveals(field) {
                Trim::Keep
            } else {
                policy::trim(kind, field)
            };
            let value = match rule {
                Trim::Drop => continue,
                Trim::Keep => value,
                rule => match value.as_string() {
                    Some(text) if text.len() <= 256 => {
                        JsValue::from_str(&policy::mask(rule, &text))
                    }
                    _ => JsValue::NULL,
                },
            };
            define_value(&trimmed, field, &value);
        }
        define_value(&out, "result", &trimmed);
        out
    }
}
