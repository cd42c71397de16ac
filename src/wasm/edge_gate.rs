//! The edge handler's gate and reports: the options `publicOrigin`,
//! `allowAnonymous` and `onEvent`; the cross-site checks of each request
//! (the policy is [`crate::gate`]); the origin that URLs are built on; and
//! what `onEvent` is told of each request (`request`) and each failure
//! (`error`, with the detail that error answers leave out, see
//! [`crate::public_error`]).

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Request, Url};

use super::boundary::{define_value, ignore_rejection};
use super::http::now_ms;
use super::options;
use crate::edge::{Cors, Route};
use crate::error::Error;
use crate::gate::{self, Anonymous, RequestFacts};

/// What the handler knows of who may call it and where it is served.
pub(super) struct Gate {
    /// The routes open to callers with no signed-in user.
    pub anonymous: Anonymous,
    /// `publicOrigin`, in lower case; `None` only in Cloudflare Workers.
    public_origin: Option<String>,
    /// `onEvent(event)`.
    on_event: Option<Function>,
}

/// Whether this runs in Cloudflare Workers (workerd), where
/// `navigator.userAgent` is `"Cloudflare-Workers"`: there the platform
/// routes each request to the Worker by its host, so the request's URL
/// names the Worker's own origin. Anywhere else (Node.js above all) the
/// server builds the URL from the `Host` header, which any client chooses.
pub(super) fn in_workers() -> bool {
    Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|n| Reflect::get(&n, &"userAgent".into()).ok())
        .and_then(|u| u.as_string())
        .is_some_and(|u| u == "Cloudflare-Workers")
}

impl Gate {
    /// Reads `publicOrigin` (required outside Cloudflare Workers),
    /// `allowAnonymous` and `onEvent` from the handler's options.
    pub fn from_options(options: &JsValue) -> Result<Gate, Error> {
        let public_origin = match options::string(options, "publicOrigin", Error::InvalidOption)? {
            Some(value) => Some(gate::public_origin(&value)?),
            None if in_workers() => None,
            None => return Err(Error::InvalidOption(
                "publicOrigin is required outside Cloudflare Workers: here the request's URL is built from its Host header, which any client chooses, and the face page's callback URL must not be; set publicOrigin to the origin at which browsers reach this handler, for example \"https://h5.example.com\"".into(),
            )),
        };
        let anonymous = Anonymous::from_names(
            &options::string_list(options, "allowAnonymous")?.unwrap_or_default(),
        )?;
        let on_event = options::function(options, "onEvent", "(event) => void")?;
        Ok(Gate {
            anonymous,
            public_origin,
            on_event,
        })
    }

    /// The handler's own origin, for the CORS and cross-site checks:
    /// `publicOrigin`, else (in Workers) the request URL's.
    pub fn own_origin(&self, url: &Url) -> String {
        self.public_origin.clone().unwrap_or_else(|| url.origin())
    }

    /// The origin the callback URL and a relative `returnUrl` are built
    /// on: `publicOrigin`, never the request's, when it is set; else (in
    /// Workers) the request URL's, which must be `https://` (or loopback).
    pub fn url_origin(&self, url: &Url) -> Result<String, Error> {
        match &self.public_origin {
            Some(origin) => Ok(origin.clone()),
            None => {
                let origin = url.origin();
                gate::derived_origin(&origin)?;
                Ok(origin)
            }
        }
    }

    /// The cross-site checks of `request`, which reached `route` with the
    /// CORS verdict `cors` (see [`gate::admit`]).
    pub fn admit(&self, route: Route, request: &Request, cors: Cors) -> Result<(), Error> {
        let headers = request.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        let site = header("sec-fetch-site");
        let content_type = header("content-type");
        gate::admit(&RequestFacts {
            route,
            cors,
            has_origin: header("origin").is_some(),
            fetch_site: site.as_deref(),
            content_type: content_type.as_deref(),
        })
    }

    /// Tells `onEvent` how a request ended: `{ type: "error", route,
    /// method, status, code, detail, durationMs, upstreamCode? }` when it
    /// failed, then `{ type: "request", route, method, status, durationMs,
    /// error? }`. `route` is the route's path under the prefix, or `null`
    /// when none matched. A hook that throws or rejects changes nothing.
    pub fn report(
        &self,
        route: Option<Route>,
        method: &str,
        status: u16,
        failure: Option<&Error>,
        started_ms: u64,
    ) {
        let Some(hook) = &self.on_event else {
            return;
        };
        let common = |kind: &str| {
            let event = Object::new();
            define_value(&event, "type", &JsValue::from_str(kind));
            define_value(
                &event,
                "route",
                &route.map_or(JsValue::NULL, |r| JsValue::from_str(r.path())),
            );
            define_value(&event, "method", &JsValue::from_str(method));
            define_value(&event, "status", &JsValue::from(status));
            event
        };
        let duration = JsValue::from_f64(now_ms().saturating_sub(started_ms) as f64);
        if let Some(e) = failure {
            let event = common("error");
            define_value(&event, "code", &JsValue::from_str(e.code()));
            define_value(&event, "detail", &JsValue::from_str(e.message()));
            if let Some(upstream) = e.upstream_code() {
                define_value(&event, "upstreamCode", &JsValue::from_str(upstream));
            }
            define_value(&event, "durationMs", &duration);
            self.call(hook, &event);
        }
        let event = common("request");
        define_value(&event, "durationMs", &duration);
        if let Some(e) = failure {
            define_value(&event, "error", &JsValue::from_str(e.code()));
        }
        self.call(hook, &event);
    }

    fn call(&self, hook: &Function, event: &Object) {
        if let Ok(out) = hook.call1(&JsValue::UNDEFINED, event) {
            // The rejection of an async onEvent must never become an
            // unhandled rejection (which ends a Node process); ignored in
            // JavaScript, with no Rust closure (none outlives a trap).
            if let Some(promise) = out.dyn_ref::<Promise>() {
                ignore_rejection(promise);
            }
        }
    }
}
