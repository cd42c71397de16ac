//! The edge handler: `(request, env, ctx) => Promise<Response>` for H5
//! pages. The policy (routes, CORS, order tokens, callback states,
//! trimming, limits) is in the core ([`crate::edge`],
//! [`crate::order_token`], [`crate::callback_state`], [`crate::h5`]); this
//! module adapts `Request` and `Response` around it and calls the client;
//! the operator's `onStart` and `onResult` are in `hooks`. The client hands
//! back Rust values (a [`super::answer::Reply`], a started flow), and each
//! answer's JSON is built once, where it leaves.
//!
//! - `edge/respond.rs`: one request's answer (CORS, routing, error bodies);
//! - `edge/who.rs`: the identity hook and order grants;
//! - `edge/start.rs`: `/start` and `/sdk/start`;
//! - `edge/result.rs`: the result routes and the trimming of what they show;
//! - `edge/upload.rs`: `/ocr/idcard`;
//! - `edge/callback.rs`: `/callback`.
//!
//! Every answer is a `Response`: the promise never rejects (except with
//! `INTERNAL` when the WebAssembly instance traps, see `js/recover.js`) and
//! nothing panics. Error bodies are `{ error: { code, message } }` with the
//! fixed message of the code (the detail goes to `onEvent`, see
//! [`super::edge_gate`]); no ticket, token, secret, photo or full ID number
//! is ever in a response.

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::task;
use web_sys::Request;

use super::boundary::{define_value, describe_type, to_js};
use super::client::{FaceIdClient, Inner};
use super::edge_gate::Gate;
use super::hooks::Hooks;
use super::http::now_ms;
use super::inputs::short_option;
use super::limits::Limits;
use super::options;
use super::order_keys;
use crate::callback_state::{self, CallbackStates};
use crate::edge as policy;
use crate::error::Error;
use crate::h5;
use crate::order_token::{OrderTokens, TokenKind};
use crate::validate;

mod callback;
mod respond;
mod result;
mod start;
mod upload;
mod who;

use respond::{error_body, json_response, response};

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
            Ok(grant.to_js())
        })()
        .map_err(to_js)
    }
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
