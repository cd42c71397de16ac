//! Reading JavaScript option objects into Rust values, with typed errors.
//!
//! Only own properties are read: another library may have added properties
//! to `Object.prototype` (a `serverUrl` there must never redirect a client
//! and its secret). Objects handed over as values (a `store`, a Durable
//! Object namespace) keep their methods, which may come from a class.

use wasm_bindgen::prelude::*;

use super::boundary::{describe_type, own_value, string_length};

use crate::error::Error;
use crate::request::Hosts;

/// The own property `obj[key]`, or `undefined` when it is not an own
/// property or `obj` is not an object.
pub fn get(obj: &JsValue, key: &str) -> Result<JsValue, Error> {
    if !obj.is_object() {
        return Ok(JsValue::UNDEFINED);
    }
    own_value(obj, key).map_err(|_| Error::InvalidArgument(format!("reading option {key} threw")))
}

/// `true` for `undefined` and `null`.
pub fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Checks that `options` is an object, or absent when `optional`.
pub fn object(options: &JsValue, what: &str, optional: bool) -> Result<(), Error> {
    if (optional && absent(options)) || super::http::is_plain_object(options) {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "{what} must be an object{}; got {}",
        if optional { " or undefined" } else { "" },
        describe_type(options)
    )))
}

/// The string `value` of the input named `field`, copied into wasm memory
/// only after its length (read in JavaScript) fits the field's rule (see
/// [`validate::max_len`](crate::validate::max_len)); `Ok(None)` when `value`
/// is not a string. `err` is the field's error.
pub fn bounded(
    value: &JsValue,
    field: &str,
    err: fn(String) -> Error,
) -> Result<Option<String>, Error> {
    if !value.is_string() {
        return Ok(None);
    }
    crate::validate::check_len(field, string_length(value) as usize, err)?;
    if !super::boundary::well_formed(value) {
        return Err(err(format!(
            "{field} has a lone surrogate (half of a UTF-16 pair): it cannot be sent as UTF-8"
        )));
    }
    Ok(value.as_string())
}

/// A string option; `err` builds the error for a value of the wrong type or
/// length.
pub fn string(obj: &JsValue, key: &str, err: fn(String) -> Error) -> Result<Option<String>, Error> {
    let value = get(obj, key)?;
    if absent(&value) {
        return Ok(None);
    }
    bounded(&value, key, err)?.map(Some).ok_or_else(|| {
        err(format!(
            "{key} must be a string; got {}",
            describe_type(&value)
        ))
    })
}

/// A whole-number option in `0..=max`.
pub fn whole(obj: &JsValue, key: &str, max: u32) -> Result<Option<u32>, Error> {
    let value = get(obj, key)?;
    if absent(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(max)).contains(&n) => Ok(Some(n as u32)),
        _ => Err(Error::InvalidOption(format!(
            "{key} must be a whole number from 0 to {max}"
        ))),
    }
}

/// A required `orderNo` argument.
pub fn order_no(value: &JsValue) -> Result<crate::ids::OrderNo, Error> {
    let order_no = bounded(value, "orderNo", Error::InvalidOrderNo)?.ok_or_else(|| {
        Error::InvalidOrderNo(format!(
            "orderNo must be a string of 1 to 32 ASCII letters or digits; got {}",
            describe_type(value)
        ))
    })?;
    crate::ids::OrderNo::new(&order_no)
}

/// An optional array of strings.
pub fn string_list(obj: &JsValue, key: &str) -> Result<Option<Vec<String>>, Error> {
    let value = get(obj, key)?;
    if absent(&value) {
        return Ok(None);
    }
    let wrong = || Error::InvalidOption(format!("{key} must be an array of strings"));
    if !super::boundary::is_array(&value) {
        return Err(wrong());
    }
    // Element by element as own properties: a hole is not filled from the
    // prototype chain.
    (0..js_sys::Array::from(&value).length())
        .map(|i| {
            own_value(&value, &i.to_string())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(wrong)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `refreshIntervalMs` (default 20 minutes) into the core's schedule.
pub fn schedule(options: &JsValue) -> Result<crate::tickets::Schedule, Error> {
    let mut schedule = crate::tickets::Schedule::default();
    if let Some(ms) = whole(options, "refreshIntervalMs", 60 * 60 * 1000)? {
        if ms < 1000 {
            return Err(Error::InvalidOption(
                "refreshIntervalMs must be at least 1000".into(),
            ));
        }
        schedule.refresh_every_ms = u64::from(ms);
    }
    Ok(schedule)
}

/// `deadlineMs`: 1 ms to one hour, or absent.
pub fn deadline(obj: &JsValue) -> Result<Option<u32>, Error> {
    match whole(obj, "deadlineMs", 3_600_000)? {
        Some(0) => Err(Error::InvalidOption("deadlineMs must be at least 1".into())),
        other => Ok(other),
    }
}

/// An optional function option.
pub fn function(obj: &JsValue, key: &str, what: &str) -> Result<Option<js_sys::Function>, Error> {
    use wasm_bindgen::JsCast;
    let value = get(obj, key)?;
    if absent(&value) {
        return Ok(None);
    }
    value.dyn_into::<js_sys::Function>().map(Some).map_err(|v| {
        Error::InvalidOption(format!(
            "{key} must be a function ({what}); got {}",
            describe_type(&v)
        ))
    })
}

/// `fetch` and `onEvent`, the caller's hooks into every exchange.
pub fn io(obj: &JsValue) -> Result<super::http::Io, Error> {
    Ok(super::http::Io {
        fetch: function(
            obj,
            "fetch",
            "(url, init) => Promise<Response>, like the global fetch",
        )?,
        on_event: function(obj, "onEvent", "(event) => void")?,
    })
}

/// The `hosts` option: `"current"` (default) or `"legacy"`, the default
/// hosts when `serverUrl` or `kycUrl` is not given.
pub(super) fn hosts(options: &JsValue) -> Result<Hosts, Error> {
    match string(options, "hosts", Error::InvalidOption)? {
        Some(name) => Hosts::from_name(&name),
        None => Ok(Hosts::Current),
    }
}

/// The `devHosts` option: host names (a simulator in docker compose, say)
/// for which plain `http://` is taken in `serverUrl`, `kycUrl` and
/// `loginUrl`. Development only: refused in Cloudflare Workers and when
/// `process.env.NODE_ENV` is `"production"`.
pub(super) fn dev_hosts(options: &JsValue) -> Result<Vec<String>, Error> {
    let hosts = string_list(options, "devHosts")?.unwrap_or_default();
    if hosts.is_empty() {
        return Ok(hosts);
    }
    for host in &hosts {
        crate::request::dev_host(host)?;
    }
    if super::edge_gate::in_workers() {
        return Err(Error::InvalidOption(
            "devHosts is for development on a local machine; it is refused in Cloudflare Workers, where every host must be https://".into(),
        ));
    }
    let node_env = ["process", "env", "NODE_ENV"]
        .iter()
        .try_fold(js_sys::global().into(), |o: JsValue, k| {
            js_sys::Reflect::get(&o, &JsValue::from_str(k))
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        })
        .and_then(|v| v.as_string());
    if node_env.as_deref() == Some("production") {
        return Err(Error::InvalidOption(
            "devHosts is refused when NODE_ENV is \"production\": plain http:// would carry the secret and signatures in the clear; use https:// hosts".into(),
        ));
    }
    Ok(hosts)
}
