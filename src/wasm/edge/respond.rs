//! One request's answer: the CORS verdict, the preflight, the route, and
//! the error bodies (`{ error: { code, message } }` with the fixed message
//! of the code; a refusal by the service as its business answer), with the
//! response helpers every route uses.

use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, Url};

use super::Handler;
use crate::edge::{self as policy, Cors, Route};
use crate::error::Error;
use crate::wasm::boundary::define_value;
use crate::wasm::flight::WaitUntil;
use crate::wasm::http::now_ms;

#[wasm_bindgen(module = "/src/wasm/js/respond.js")]
extern "C" {
    /// `new Response(body, { status, headers })` with the headers every
    /// answer carries (`cache-control: no-store`, `x-content-type-options:
    /// nosniff`, `referrer-policy: no-referrer`, `vary: Origin`) and, when
    /// `json`, the JSON content type: one call, the constant headers in
    /// JavaScript.
    #[wasm_bindgen(js_name = edgeResponse)]
    fn edge_response(body: &JsValue, status: u16, json: bool) -> Response;
}

pub(super) fn response(body: Option<&str>, status: u16, extra: &[(&str, String)]) -> Response {
    let body = body.map_or(JsValue::NULL, JsValue::from_str);
    response_with(&body, status, false, extra)
}

fn response_with(body: &JsValue, status: u16, json: bool, extra: &[(&str, String)]) -> Response {
    let response = edge_response(body, status, json);
    if !extra.is_empty() {
        let headers = response.headers();
        for (k, v) in extra {
            // A fresh Response's headers take any valid name and value.
            let _ = headers.set(k, v);
        }
    }
    response
}

/// A JSON answer. The text `JSON.stringify` makes goes to the `Response` as a
/// JavaScript string: a 10 MB result never passes through wasm memory (which
/// never shrinks).
pub(super) fn json_response(body: &JsValue, status: u16, extra: &[(&str, String)]) -> Response {
    response_with(&json_text(body), status, true, extra)
}

/// `JSON.stringify(body)`, a JavaScript string.
pub(super) fn json_text(body: &JsValue) -> JsValue {
    js_sys::JSON::stringify(body)
        .map(JsValue::from)
        .unwrap_or_else(|_| JsValue::from_str("{}"))
}

/// A `200` JSON answer from its text, or from the parts of an answer with
/// large strings (`jsonParts` of `js/large.js`), written as a stream.
pub(super) fn json_text_response(text: &JsValue) -> Response {
    if text.is_string() {
        response_with(text, 200, true, &[])
    } else {
        response_with(&crate::wasm::large::json_body(text), 200, true, &[])
    }
}

pub(super) fn error_body(e: &Error) -> JsValue {
    let inner = Object::new();
    define_value(&inner, "code", &JsValue::from_str(e.code()));
    let message = crate::public_error::public_message(e.code());
    define_value(&inner, "message", &JsValue::from_str(message));
    let out = Object::new();
    define_value(&out, "error", &inner);
    out.into()
}

pub(super) fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

impl Handler {
    /// The answer to one request, errors included, reported to `onEvent`.
    pub(super) async fn answer(&self, request: &Request, env: &JsValue, ctx: &JsValue) -> Response {
        let started = now_ms();
        let (mut route, mut failure) = (None, None);
        let method = request.method();
        let response = self
            .respond(request, &method, env, ctx, &mut route, &mut failure)
            .await;
        let status = response.status();
        self.gate
            .report(route, &method, status, failure.as_ref(), started);
        response
    }

    /// The answer to one request; the route it reached and the error it
    /// failed with go to `route` and `failure`.
    async fn respond(
        &self,
        request: &Request,
        method: &str,
        env: &JsValue,
        ctx: &JsValue,
        reached: &mut Option<Route>,
        failure: &mut Option<Error>,
    ) -> Response {
        let url = match Url::new(&request.url()) {
            Ok(u) => u,
            Err(_) => {
                let e = Error::InvalidArgument("the request has no valid URL".into());
                let answer = json_response(&error_body(&e), 400, &[]);
                *failure = Some(e);
                return answer;
            }
        };
        let path = url.pathname();
        let origin = header(request, "origin");
        let own_origin = self.gate.own_origin(&url);
        let verdict = policy::cors(origin.as_deref(), &own_origin, &self.allowed);
        let mut cors = Vec::new();
        if let (Cors::Allowed, Some(o)) = (verdict, &origin) {
            cors.push(("access-control-allow-origin", o.clone()));
            cors.push(("access-control-allow-credentials", "true".to_owned()));
        }
        let outcome = if verdict == Cors::Forbidden {
            Err(Error::Forbidden(
                "this origin may not call the face verification routes: add it to allowedOrigins"
                    .into(),
            ))
        } else if method == "OPTIONS" {
            *reached = policy::route_at(&self.prefix, &path);
            match *reached {
                None => Err(Error::NotFound("no route at this path".into())),
                Some(route) => {
                    let mut extra = cors.clone();
                    extra.push(("allow", format!("{}, OPTIONS", route.allow())));
                    if verdict == Cors::Allowed {
                        extra.push(("access-control-allow-methods", route.allow().to_owned()));
                        extra.push((
                            "access-control-allow-headers",
                            policy::ALLOW_HEADERS.to_owned(),
                        ));
                        extra.push(("access-control-max-age", "600".to_owned()));
                    }
                    return response(None, 204, &extra);
                }
            }
        } else {
            *reached = policy::route_at(&self.prefix, &path);
            match policy::resolve(&self.prefix, method, &path) {
                Ok(route) => match self.gate.admit(route, request, verdict) {
                    Ok(()) => {
                        let ctx = WaitUntil::from_js(ctx).ok().flatten();
                        self.route(route, request, &url, env, ctx.as_ref()).await
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok(r) => {
                for (k, v) in &cors {
                    let _ = r.headers().set(k, v);
                }
                r
            }
            Err(e) => {
                let mut extra = cors;
                if let Error::MethodNotAllowed { allow, .. } = &e {
                    extra.push(("allow", format!("{allow}, OPTIONS")));
                }
                if let Error::RateLimited {
                    retry_after_s: Some(s),
                    ..
                } = &e
                {
                    extra.push(("retry-after", s.to_string()));
                    if verdict == Cors::Allowed {
                        // A page on another origin may read it.
                        extra.push(("access-control-expose-headers", "retry-after".into()));
                    }
                }
                let answer = match &e {
                    // A refusal by the service is a business answer: its
                    // code, and what this library knows the code means
                    // (never the service's own msg).
                    Error::Rejected { upstream_code, .. } => {
                        let out = Object::new();
                        define_value(&out, "ok", &JsValue::FALSE);
                        define_value(&out, "code", &JsValue::from_str(upstream_code));
                        let msg = crate::public_error::rejected_message(upstream_code);
                        define_value(&out, "msg", &JsValue::from_str(msg));
                        json_response(&out, 200, &extra)
                    }
                    e => json_response(&error_body(e), e.http_status(), &extra),
                };
                *failure = Some(e);
                answer
            }
        }
    }

    async fn route(
        &self,
        route: Route,
        request: &Request,
        url: &Url,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        match route {
            Route::Start => self.start(request, url, env, ctx).await,
            Route::Callback => self.callback(request, url, env).await,
            Route::Result(kind) => self.result(kind, request, url, env, ctx).await,
            Route::OcrIdCard => self.ocr(request, env, ctx).await,
            Route::SdkStart => self.sdk_start(request, env, ctx).await,
        }
    }
}
