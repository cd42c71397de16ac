//! The edge handler: `(request, env, ctx) => Promise<Response>` for H5
//! pages. The policy (routes, CORS, order tokens, callback states,
//! trimming, limits) is in the core ([`crate::edge`],
//! [`crate::order_token`], [`crate::callback_state`], [`crate::h5`]); this
//! module adapts `Request` and `Response` around it and calls the client;
//! the operator's `onStart` and `onResult` are in `hooks`, the callback
//! route in `edge/callback.rs`.
//!
//! Every answer is a `Response`: the promise never rejects (except with
//! `INTERNAL` when the WebAssembly instance traps, see `js/recover.js`) and
//! nothing panics. Error bodies are `{ error: { code, message } }` with the
//! fixed message of the code (the detail goes to `onEvent`, see
//! [`super::edge_gate`]); no ticket, token, secret, photo or full ID number
//! is ever in a response.

use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::task;
use web_sys::{Headers, Request, Response, ResponseInit, Url};

use super::body::{ocr_upload, read_limited};
use super::boundary::{define_value, describe_type, to_js};
use super::call::{SdkInput, StartInput};
use super::client::{FaceIdClient, Inner};
use super::edge_gate::Gate;
use super::flight::WaitUntil;
use super::hooks::Hooks;
use super::http::{error_name, is_plain_object, now_ms, own, within};
use super::inputs::short_option;
use super::limits::Limits;
use super::options;
use super::order_keys;
use super::results::{result_query, ResultQuery};
use crate::callback_state::{self, CallbackStates};
use crate::edge::{self as policy, Cors, Route, Trim};
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::h5::{self, Device};
use crate::limits::BodyClock;
use crate::order_token::{OrderTokens, TokenKind};
use crate::result_cache::Key;
use crate::sdk::SdkKind;
use crate::validate;

mod callback;

/// What the handler holds.
struct Handler {
    client: Rc<Inner>,
    tokens: OrderTokens,
    /// The signed, expiring states that bind a callback to its start.
    states: CallbackStates,
    /// `onStart` and `onResult`.
    hooks: Hooks,
    prefix: String,
    identity: Function,
    /// Absolute, or a path resolved against the request's origin.
    return_url: String,
    allowed: Vec<String>,
    ttl_ms: u64,
    reveal: Vec<String>,
    result_type: String,
    from: String,
    redirect_type: String,
    /// `liveInterType` for every face verification the handler starts.
    live_inter_type: Option<String>,
    /// Who may call, from where; the public origin; `onEvent`.
    gate: Gate,
    /// What one caller may cost: the rate limit, body time, image size,
    /// and the result routes' shared queries and memory.
    limits: Limits,
}

/// The edge handler's state; JavaScript sees a function (see
/// `createEdgeHandler`).
#[wasm_bindgen(skip_typescript)]
pub struct FaceIdEdgeHandler {
    inner: Rc<Handler>,
}

/// The user the operator's identity hook names.
struct Identity {
    user_id: String,
    name: Option<String>,
    id_no: Option<String>,
}

impl Identity {
    /// The name and ID number a face verification compares against, checked.
    fn person(&self) -> Result<(String, String), Error> {
        let name = self
            .name
            .clone()
            .ok_or_else(|| Error::InvalidIdentity("the identity hook returned no name".into()))?;
        let id_no = self
            .id_no
            .clone()
            .ok_or_else(|| Error::InvalidIdentity("the identity hook returned no idNo".into()))?;
        h5::identity(Some(&name), Some(&id_no), false)?;
        Ok((name, id_no))
    }
}

/// Reads the options and makes the handler function.
pub(super) fn handler(client: Rc<Inner>, options: &JsValue) -> Result<JsValue, Error> {
    options::object(options, "createEdgeHandler options", false)?;
    let prefix = options::string(options, "prefix", Error::InvalidOption)?
        .unwrap_or_else(|| policy::DEFAULT_PREFIX.into());
    policy::prefix(&prefix)?;
    // Tokens and callback states are bound to the audience: the prefix
    // unless the operator names one (for handlers that share tokens).
    let audience = order_keys::audience(options, &prefix)?;
    let ring = order_keys::key_ring(&options::get(options, "orderTokenKey")?, &audience)?;
    let ttl_ms = order_keys::ttl(options, "tokenTtlMs", policy::DEFAULT_TOKEN_TTL_MS)?;
    let callback_ttl_ms =
        order_keys::ttl(options, "callbackTtlMs", callback_state::DEFAULT_TTL_MS)?;
    let tokens = OrderTokens::with_ring(ring.clone()).with_lifetime(ttl_ms);
    let states = CallbackStates::new(ring, callback_ttl_ms);
    let hooks = Hooks::from_options(options, client.timeout_ms())?;
    let identity = options::get(options, "identity")?
        .dyn_into::<Function>()
        .map_err(|v| {
            Error::InvalidOption(format!(
                "identity must be a function (request, env) => {{ userId, name, idNo }} | null that says who the signed-in user is; got {}",
                describe_type(&v)
            ))
        })?;
    let return_url = options::string(options, "returnUrl", Error::InvalidUrl)?.ok_or_else(|| {
        Error::InvalidUrl(
            "returnUrl is missing: the H5 page the user comes back to (an absolute URL or a path such as \"/done.html\")".into(),
        )
    })?;
    if return_url.starts_with('/') && !return_url.starts_with("//") {
        h5::browser_url(&format!("https://x{return_url}"), "returnUrl")?;
    } else {
        h5::browser_url(&return_url, "returnUrl")?;
    }
    let allowed = options::string_list(options, "allowedOrigins")?
        .unwrap_or_default()
        .iter()
        .map(|o| policy::allowed_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let reveal = options::string_list(options, "reveal")?.unwrap_or_default();
    for field in &reveal {
        policy::reveal_field(field)?;
    }
    let short = |key: &str, default: &str| short_option(options, key, default);
    let limits = Limits::from_options(options, client.timeout_ms())?;
    let handler = Handler {
        client,
        tokens,
        states,
        hooks,
        prefix,
        identity,
        return_url,
        allowed,
        ttl_ms,
        reveal,
        result_type: short("resultType", "1")?,
        from: short("from", "browser")?,
        redirect_type: short("redirectType", "")?,
        live_inter_type: match options::string(options, "liveInterType", Error::InvalidOption)? {
            Some(v) => {
                h5::login_option(&v, "liveInterType")?;
                Some(v)
            }
            None => None,
        },
        gate: Gate::from_options(options)?,
        limits,
    };
    let state = JsValue::from(FaceIdEdgeHandler {
        inner: Rc::new(handler),
    });
    let bound = |name: &str| -> Result<Function, Error> {
        Reflect::get(&state, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .map(|f| f.bind0(&state))
            .ok_or_else(|| Error::InvalidArgument(format!("the handler has no {name}")))
    };
    let fetch = bound("fetch")?;
    let issue = bound("issueOrderToken")?;
    define_value(&fetch, "issueOrderToken", &issue);
    Ok(fetch.into())
}

#[wasm_bindgen]
impl FaceIdEdgeHandler {
    /// Answers one request. Never rejects, except with `INTERNAL` when the
    /// WebAssembly instance traps.
    pub fn fetch(&self, request: JsValue, env: JsValue, ctx: JsValue) -> Promise {
        let inner = self.inner.clone();
        task::promise(async move {
            let request: Request = match request.dyn_into::<Request>() {
                Ok(r) => r,
                Err(v) => {
                    // A Node IncomingMessage has `socket` and `httpVersion`.
                    let node = ["socket", "httpVersion"]
                        .iter()
                        .all(|k| Reflect::has(&v, &JsValue::from_str(k)).unwrap_or(false));
                    let hint = if node {
                        ": this is Node's IncomingMessage; serve the handler with toNodeHandler(handler) from \"faceid-edge/node\" (node:http, Express, Koa, Fastify)"
                    } else {
                        " (a fetch Request, as a Worker's fetch or Node 20's Request gets)"
                    };
                    let e = Error::InvalidArgument(format!(
                        "the handler takes a Request; got {}{hint}",
                        describe_type(&v)
                    ));
                    // The caller gets the fixed message; the operator's
                    // onEvent gets the detail, with the adapter to use.
                    inner
                        .gate
                        .report(None, "", e.http_status(), Some(&e), now_ms());
                    return Ok(json_response(&error_body(&e), e.http_status(), &[]).into());
                }
            };
            Ok(inner.answer(&request, &env, &ctx).await.into())
        })
    }

    /// An order token for an order started elsewhere (for example by the
    /// app SDK): `kind` is `"face"`, `"live"`, `"idcard"` or `"bankcard"`;
    /// give `userId` when the identity hook names a user for the page that
    /// will read it. Returns `{ orderNo, orderToken, expiresAt }`.
    #[wasm_bindgen(js_name = issueOrderToken)]
    pub fn issue_order_token(
        &self,
        kind: &JsValue,
        order_no: &JsValue,
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        (|| {
            let kind = options::bounded(kind, "kind", Error::InvalidOption)?
                .and_then(|k| TokenKind::from_name(&k))
                .ok_or_else(TokenKind::unknown)?;
            let order_no = options::order_no(order_no)?;
            options::object(options, "options", true)?;
            let user = options::string(options, "userId", Error::InvalidUserId)?;
            if let Some(u) = &user {
                validate::user_id(u, validate::USER_ID_MAX)?;
            }
            let grant = self.inner.grant(kind, &order_no, user.as_deref())?;
            Ok(grant.into())
        })()
        .map_err(to_js)
    }
}

/// Response headers every answer carries.
const BASE_HEADERS: [(&str, &str); 4] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("vary", "Origin"),
];

fn headers(extra: &[(&str, String)]) -> Headers {
    // A fresh Headers object takes any valid name and value.
    let h = Headers::new().unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into());
    for (k, v) in BASE_HEADERS {
        let _ = h.set(k, v);
    }
    for (k, v) in extra {
        let _ = h.set(k, v);
    }
    h
}

fn response(body: Option<&str>, status: u16, extra: &[(&str, String)]) -> Response {
    let body = body.map_or(JsValue::NULL, JsValue::from_str);
    response_with(&body, status, extra)
}

fn response_with(body: &JsValue, status: u16, extra: &[(&str, String)]) -> Response {
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers(extra));
    <Response as super::web::ResponseExt>::with_js_body(body, &init)
        .unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into())
}

/// A JSON answer. The text `JSON.stringify` makes goes to the `Response` as a
/// JavaScript string: a 10 MB result never passes through wasm memory (which
/// never shrinks).
fn json_response(body: &JsValue, status: u16, extra: &[(&str, String)]) -> Response {
    let text = json_text(body);
    let mut all = vec![("content-type", "application/json; charset=utf-8".to_owned())];
    all.extend(extra.iter().cloned());
    response_with(&text, status, &all)
}

/// `JSON.stringify(body)`, a JavaScript string.
fn json_text(body: &JsValue) -> JsValue {
    js_sys::JSON::stringify(body)
        .map(JsValue::from)
        .unwrap_or_else(|_| JsValue::from_str("{}"))
}

/// A `200` JSON answer from its text.
fn json_text_response(text: &JsValue) -> Response {
    let json = ("content-type", "application/json; charset=utf-8".to_owned());
    response_with(text, 200, &[json])
}

fn error_body(e: &Error) -> JsValue {
    let inner = Object::new();
    define_value(&inner, "code", &JsValue::from_str(e.code()));
    let message = crate::public_error::public_message(e.code());
    define_value(&inner, "message", &JsValue::from_str(message));
    let out = Object::new();
    define_value(&out, "error", &inner);
    out.into()
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

impl Handler {
    /// The answer to one request, errors included, reported to `onEvent`.
    async fn answer(&self, request: &Request, env: &JsValue, ctx: &JsValue) -> Response {
        let started = now_ms();
        let (mut route, mut failure) = (None, None);
        let response = self
            .respond(request, env, ctx, &mut route, &mut failure)
            .await;
        let status = response.status();
        self.gate
            .report(route, &request.method(), status, failure.as_ref(), started);
        response
    }

    /// The answer to one request; the route it reached and the error it
    /// failed with go to `route` and `failure`.
    async fn respond(
        &self,
        request: &Request,
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
        } else if request.method() == "OPTIONS" {
            *reached = policy::route_at(&self.prefix, &url.pathname());
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
            *reached = policy::route_at(&self.prefix, &url.pathname());
            match policy::resolve(&self.prefix, &request.method(), &url.pathname()) {
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

    /// Asks the operator's hook who the user is: `None` when it says nobody.
    async fn identity(&self, request: &Request, env: &JsValue) -> Result<Option<Identity>, Error> {
        let value = self
            .identity
            .call2(&JsValue::UNDEFINED, request, env)
            .map_err(|e| {
                Error::Unauthorized(format!("the identity hook threw {}", error_name(&e)))
            })?;
        let ms = self.client.timeout_ms();
        let value = within(&value, ms)
            .await
            .ok_or_else(|| {
                Error::Unauthorized(format!("the identity hook did not settle within {ms} ms"))
            })?
            .map_err(|e| {
                Error::Unauthorized(format!(
                    "the identity hook rejected with {}",
                    error_name(&e)
                ))
            })?;
        if options::absent(&value) {
            return Ok(None);
        }
        if !is_plain_object(&value) {
            return Err(Error::InvalidOption(format!(
                "the identity hook must return {{ userId, name, idNo }} or null; got {}",
                describe_type(&value)
            )));
        }
        let user_id = options::string(&value, "userId", Error::InvalidUserId)?
            .ok_or_else(|| Error::InvalidUserId("the identity hook returned no userId".into()))?;
        validate::user_id(&user_id, validate::NONCE_USER_ID_MAX)?;
        Ok(Some(Identity {
            user_id,
            name: options::string(&value, "name", Error::InvalidIdentity)?,
            id_no: options::string(&value, "idNo", Error::InvalidIdentity)?,
        }))
    }

    /// The signed-in user, or `401` when the identity hook names none.
    async fn signed_in(&self, request: &Request, env: &JsValue) -> Result<Identity, Error> {
        self.identity(request, env).await?.ok_or_else(|| {
            Error::Unauthorized("sign in first: the identity hook names no user".into())
        })
    }

    /// `{ orderNo, orderToken, expiresAt }` for one order.
    fn grant(&self, kind: TokenKind, order_no: &str, user: Option<&str>) -> Result<Object, Error> {
        let expires_at = now_ms() + self.ttl_ms;
        let token = self.tokens.mint(kind, order_no, user, expires_at)?;
        let out = Object::new();
        define_value(&out, "orderNo", &JsValue::from_str(order_no));
        define_value(&out, "orderToken", &JsValue::from_str(&token));
        define_value(&out, "expiresAt", &JsValue::from_f64(expires_at as f64));
        Ok(out)
    }

    async fn start(
        &self,
        request: &Request,
        url: &Url,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        let who = self.signed_in(request, env).await?;
        let (name, id_no) = who.person()?;
        self.limits
            .rate
            .check(Route::Start, Some(&who.user_id), request, env)
            .await?;
        // `{ device: "pc" }` opens the PC face page; no body, the mobile one.
        let device = match small_json(request, false, &self.limits.clock).await? {
            Some(body) => match options::string(&body, "device", Error::InvalidBody)? {
                Some(name) => Device::from_name(&name)
                    .map_err(|e| Error::InvalidBody(e.message().to_owned()))?,
                None => Device::Mobile,
            },
            None => Device::Mobile,
        };
        let order_no = crate::nonce::nonce()?;
        // The face page keeps the callback URL's query: the state rides in
        // it and binds the callback to this start (order, user, expiry).
        let state = self
            .states
            .mint(&order_no, &who.user_id, now_ms() + self.states.ttl_ms())?;
        let callback_url = callback_state::with_state(
            &format!("{}{}/callback", self.gate.url_origin(url)?, self.prefix),
            &state,
        );
        self.hooks
            .started(TokenKind::Face, &order_no, &who.user_id, request)
            .await?;
        let input = StartInput {
            order_no,
            user_id: who.user_id.clone(),
            name: Some(name),
            id_no: Some(id_no),
            callback_url,
            source_photo: None,
            result_type: self.result_type.clone(),
            from: self.from.clone(),
            redirect_type: self.redirect_type.clone(),
            device,
            live_inter_type: self.live_inter_type.clone(),
        };
        let order_no = input.order_no.clone();
        let started = self.client.start_face(Rc::new(input), ctx, None).await?;
        let grant = self.grant(TokenKind::Face, &order_no, Some(&who.user_id))?;
        let out = Object::new();
        define_value(&out, "ok", &JsValue::TRUE);
        define_value(&out, "orderNo", &JsValue::from_str(&order_no));
        define_value(&out, "url", &own(started.unchecked_ref(), "url"));
        for key in ["orderToken", "expiresAt"] {
            define_value(&out, key, &own(&grant, key));
        }
        Ok(json_response(&out, 200, &[]))
    }

    /// `POST /sdk/start` with `{ kind }`: start parameters for the App
    /// SDK of `kind` for the signed-in user, and an order token for the
    /// result route that reads its verdict.
    async fn sdk_start(
        &self,
        request: &Request,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        let who = self.signed_in(request, env).await?;
        self.limits
            .rate
            .check(Route::SdkStart, Some(&who.user_id), request, env)
            .await?;
        let body = small_json(request, true, &self.limits.clock)
            .await?
            .unwrap_or(JsValue::UNDEFINED);
        let kind = options::string(&body, "kind", Error::InvalidBody)?.ok_or_else(|| {
            Error::InvalidBody(
                "send JSON { kind } with kind \"face\", \"liveness\", \"idCardOcr\" or \"bankCardOcr\"".into(),
            )
        })?;
        let kind =
            SdkKind::from_name(&kind).map_err(|e| Error::InvalidBody(e.message().to_owned()))?;
        let order_no = crate::nonce::nonce()?;
        let face = if kind.needs_face_id() {
            let (name, id_no) = who.person()?;
            Some(StartInput::for_sdk(
                &order_no,
                &who.user_id,
                Some(name),
                Some(id_no),
                None,
            ))
        } else {
            None
        };
        let input = SdkInput {
            order_no: order_no.clone(),
            user_id: who.user_id.clone(),
            face,
        };
        self.hooks
            .started(kind.token_kind(), &order_no, &who.user_id, request)
            .await?;
        let params = self.client.start_sdk(input, ctx, None).await?;
        let grant = self.grant(kind.token_kind(), &order_no, Some(&who.user_id))?;
        let out = Object::new();
        define_value(&out, "ok", &JsValue::TRUE);
        define_value(&out, "kind", &JsValue::from_str(kind.name()));
        define_value(&out, "orderNo", &JsValue::from_str(&order_no));
        for key in ["orderToken", "expiresAt"] {
            define_value(&out, key, &own(&grant, key));
        }
        define_value(&out, "sdk", &params);
        Ok(json_response(&out, 200, &[]))
    }

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
    ) -> Result<Option<String>, Error> {
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

    async fn result(
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
        validate::order_no(&order_no)?;
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
        let (answer, last) = self.limits.results.shared(&key, bound, ctx, work).await?;
        let text = json_text(&self.trimmed(query, &answer));
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
    fn trimmed(&self, kind: Kind, answer: &JsValue) -> Object {
        let answer: &Object = answer.unchecked_ref();
        let out = Object::new();
        for key in ["ok", "code", "msg", "orderNo"] {
            define_value(&out, key, &own(answer, key));
        }
        let result = own(answer, "result");
        let trimmed = Object::new();
        if is_plain_object(&result) {
            let result: Object = result.unchecked_into();
            // A revealed field is looked up by each of its spellings (the
            // bank card's original image has two).
            for field in
                policy::trimmed_fields(kind)
                    .iter()
                    .copied()
                    .chain(self.reveal.iter().flat_map(|r| {
                        std::iter::once(r.as_str()).chain(crate::endpoints::other_spelling(r))
                    }))
            {
                let value = own(&result, field);
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
        }
        define_value(&out, "result", &trimmed);
        out
    }

    async fn ocr(
        &self,
        request: &Request,
        env: &JsValue,
        ctx: Option<&WaitUntil>,
    ) -> Result<Response, Error> {
        // The type is matched whole, in any case; the header is passed on as
        // it came (a multipart boundary is case-sensitive).
        let content_type = header(request, "content-type").unwrap_or_default();
        let multipart = match crate::body_type::body_type(&content_type) {
            Some(kind) => kind == crate::body_type::BodyType::Multipart,
            None => return Err(Error::InvalidBody(
                "send JSON { cardType, image } (image as base64, Content-Type application/json in UTF-8) or multipart/form-data with cardType and an image file".into(),
            )),
        };
        let who = self.identity(request, env).await?;
        if who.is_none() && !self.gate.anonymous.allows(Route::OcrIdCard) {
            return Err(Error::Unauthorized(
                "sign in first: the identity hook names no user, and allowAnonymous does not name \"ocr\"".into(),
            ));
        }
        let user = who.as_ref().map(|w| w.user_id.as_str());
        // Asked before the upload is read: a refused caller costs no more.
        self.limits
            .rate
            .check(Route::OcrIdCard, user, request, env)
            .await?;
        let limits = &self.limits;
        let (side, image) = ocr_upload(
            request,
            &content_type,
            multipart,
            limits.max_image,
            &limits.clock,
        )
        .await?;
        let order_no = crate::nonce::nonce()?;
        let answer = self
            .client
            .id_card_ocr_image(&order_no, side, image, user, ctx)
            .await?;
        let out = self.trimmed(Kind::IdCardOcr, &answer);
        let user = who.as_ref().map(|w| w.user_id.as_str());
        self.hooks
            .finished(TokenKind::IdCard, &order_no, user, &answer, ctx)
            .await;
        let grant = self.grant(
            TokenKind::IdCard,
            &order_no,
            who.as_ref().map(|w| w.user_id.as_str()),
        )?;
        for key in ["orderToken", "expiresAt"] {
            define_value(&out, key, &own(&grant, key));
        }
        Ok(json_response(&out, 200, &[]))
    }
}

/// A small JSON object body (at most 16 KB, within `clock`), or `None`
/// when the request has none and `required` is false.
async fn small_json(
    request: &Request,
    required: bool,
    clock: &BodyClock,
) -> Result<Option<JsValue>, Error> {
    let what = "the body must be a JSON object";
    if request.body().is_none() {
        return if required {
            Err(Error::InvalidBody(format!("{what}; got none")))
        } else {
            Ok(None)
        };
    }
    let advice = "this route takes a small JSON object";
    let bytes = match read_limited(request, policy::MAX_SMALL_BODY, clock, advice).await {
        Ok(bytes) => bytes,
        // An empty body is no body.
        Err(Error::InvalidBody(_))
            if !required && header(request, "content-length").as_deref() == Some("0") =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::InvalidBody(format!("{what} in UTF-8")))?;
    let json = js_sys::JSON::parse(&text)
        .map_err(|_| Error::InvalidBody("the body is not valid JSON".into()))?;
    if !is_plain_object(&json) {
        return Err(Error::InvalidBody(format!(
            "{what}; got {}",
            describe_type(&json)
        )));
    }
    Ok(Some(json))
}

#[wasm_bindgen]
impl FaceIdClient {
    /// An edge handler bound to this client (see `createEdgeHandler`).
    #[wasm_bindgen(js_name = edgeHandler, unchecked_return_type = "EdgeHandler")]
    pub fn edge_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Omit<EdgeHandlerOptions, \"client\">")]
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        handler(self.inner.clone(), options).map_err(to_js)
    }
}

/// `createEdgeHandler({ client, orderTokenKey, identity, returnUrl, ... })`:
/// `(request, env?, ctx?) => Promise<Response>`, the shape of a Worker's
/// `fetch`, for the H5 face flow and the result routes (see `docs/protocol.md`).
#[wasm_bindgen(js_name = createEdgeHandler, unchecked_return_type = "EdgeHandler")]
pub fn create_edge_handler(
    #[wasm_bindgen(unchecked_param_type = "EdgeHandlerOptions")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    let client = options::object(options, "createEdgeHandler options", false)
        .and_then(|()| options::get(options, "client"))
        .map_err(to_js)?;
    let method = if client.is_object() {
        Reflect::get(&client, &"edgeHandler".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
    } else {
        None
    };
    let Some(method) = method else {
        return Err(to_js(Error::InvalidOption(format!(
            "client must be a FaceIdClient; got {}",
            describe_type(&client)
        ))));
    };
    method.call1(&client, options)
}
