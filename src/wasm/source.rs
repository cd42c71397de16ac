//! Where a client's SIGN ticket comes from: a fixed ticket, a provider
//! function, the App ID's secret (a [`Manager`], optionally with a shared
//! store) or the `TicketOwner` Durable Object (an [`OwnerReader`]). One
//! place for getting, renewing, NONCE tickets and status, whatever the source.

use std::rc::Rc;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{define_value, describe_type, own_value};
use super::flight::WaitUntil;
use super::http::{error_name, within, Io};
use super::options;
use super::owner::OwnerReader;
use super::tickets::{Manager, Store};
use crate::error::Error;
use crate::request::Config;
use crate::validate;

/// Where the SIGN ticket comes from.
pub(super) enum TicketSource {
    /// A ticket given at construction, validated then.
    Fixed(String),
    /// `ticketProvider`, called once per query.
    Provider(Function),
    /// `secret`: fetched, cached and refreshed here (optionally through a
    /// shared `store`).
    Managed(Rc<Manager>),
    /// `ticketOwner`: read from the Durable Object that owns the ticket.
    Owner(Rc<OwnerReader>),
}

impl TicketSource {
    /// The option that gave the ticket: `ticket`, `ticketProvider`, `secret`, `ticketOwner`.
    pub fn name(&self) -> &'static str {
        match self {
            TicketSource::Fixed(_) => "ticket",
            TicketSource::Provider(_) => "ticketProvider",
            TicketSource::Managed(_) => "secret",
            TicketSource::Owner(_) => "ticketOwner",
        }
    }
}

impl TicketSource {
    /// The SIGN ticket from this source; a provider gets `timeout_ms` to
    /// settle.
    pub async fn get(&self, timeout_ms: u32, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let provider = match self {
            TicketSource::Fixed(t) => return Ok(t.clone()),
            TicketSource::Managed(m) => return m.sign_ticket(ctx).await,
            TicketSource::Owner(o) => return o.sign_ticket(false, ctx).await,
            TicketSource::Provider(f) => f,
        };
        let unavailable = |what: String| Error::TicketUnavailable(what);
        let value = provider
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| unavailable(format!("ticketProvider threw {}", error_name(&e))))?;
        // A provider that never settles must not hang the call: it gets the
        // same deadline as a request.
        let ms = timeout_ms;
        let value = within(&value, ms)
            .await
            .ok_or_else(|| {
                unavailable(format!(
                    "ticketProvider did not settle within {ms} ms (timeoutMs)"
                ))
            })?
            .map_err(|e| unavailable(format!("ticketProvider rejected with {}", error_name(&e))))?;
        let ticket = options::bounded(&value, "ticket", Error::InvalidTicket)
            .map_err(|e| unavailable(format!("ticketProvider: {}", e.message())))?
            .ok_or_else(|| {
                unavailable(format!(
                    "ticketProvider must return (a promise of) the SIGN ticket string; got {}",
                    describe_type(&value)
                ))
            })?;
        validate::ticket(&ticket)
            .map_err(|e| unavailable(format!("ticketProvider: {}", e.message())))?;
        Ok(ticket)
    }

    /// A new ticket after the service refused one, or `None` when this
    /// source cannot renew (a fixed ticket).
    pub async fn renew(
        &self,
        stale: &str,
        timeout_ms: u32,
        ctx: Option<&WaitUntil>,
    ) -> Result<Option<String>, Error> {
        match self {
            TicketSource::Fixed(_) => Ok(None),
            TicketSource::Provider(_) => self.get(timeout_ms, ctx).await.map(Some),
            TicketSource::Managed(m) => m.renew(stale, ctx).await.map(Some),
            TicketSource::Owner(o) => o.sign_ticket(true, ctx).await.map(Some),
        }
    }

    /// A fresh NONCE ticket for `user_id`.
    pub async fn nonce_ticket(
        &self,
        user_id: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<String, Error> {
        match self {
            TicketSource::Managed(m) => m.nonce_ticket(user_id, ctx).await,
            TicketSource::Owner(o) => o.nonce_ticket(user_id).await,
            _ => Err(Error::InvalidOption(
                "NONCE tickets need a client made with secret or ticketOwner".into(),
            )),
        }
    }

    /// The SIGN ticket the current one replaced, when the source knows it
    /// (for checking callbacks, never for signing).
    pub fn previous(&self) -> Option<String> {
        match self {
            TicketSource::Managed(m) => m.previous(),
            TicketSource::Owner(o) => o.previous(),
            _ => None,
        }
    }

    /// `Ok` when this source can fetch NONCE tickets; otherwise
    /// `INVALID_OPTION` saying that `call` (`"startFace()"`, …) needs one.
    pub fn needs_nonce_tickets(&self, call: &str) -> Result<(), Error> {
        if matches!(self, TicketSource::Managed(_) | TicketSource::Owner(_)) {
            return Ok(());
        }
        Err(Error::InvalidOption(format!(
            "{call} needs a NONCE ticket: make the client with secret or ticketOwner"
        )))
    }

    /// `ticketStatus()`: ages, expiries and errors, never a value; the same
    /// keys whatever the source (`null`, `0` or `false` where a source has
    /// nothing to say).
    pub fn status_js(&self) -> JsValue {
        let status: JsValue = match self {
            TicketSource::Managed(m) => m.status_js(),
            TicketSource::Owner(o) => o.status_js(),
            other => {
                let o = Object::new();
                define_value(&o, "source", &other.name().into());
                let known = matches!(other, TicketSource::Fixed(_));
                define_value(
                    &o,
                    "hasTicket",
                    &if known { JsValue::TRUE } else { JsValue::NULL },
                );
                o.into()
            }
        };
        for (key, default) in [
            ("hasTicket", JsValue::NULL),
            ("ticketAgeMs", JsValue::NULL),
            ("ticketExpiresInMs", JsValue::NULL),
            ("tokenAgeMs", JsValue::NULL),
            ("tokenExpiresInMs", JsValue::NULL),
            ("nextRefreshInMs", JsValue::NULL),
            ("lastRefreshAt", JsValue::NULL),
            ("refreshes", JsValue::from(0)),
            ("refreshing", JsValue::FALSE),
            ("abandonedRefreshes", JsValue::from(0)),
            ("failures", JsValue::from(0)),
            ("retryInMs", JsValue::from(0)),
            ("cachedAgeMs", JsValue::NULL),
            ("lastError", JsValue::NULL),
            ("storeError", JsValue::NULL),
            ("storeReadAgeMs", JsValue::NULL),
        ] {
            if own_value(&status, key).is_ok_and(|v| v.is_undefined()) {
                define_value(&status, key, &default);
            }
        }
        status
    }
}

/// Reads the one ticket source among `ticket`, `ticketProvider`, `secret`
/// (with an optional `store`) and `ticketOwner`.
pub(super) fn ticket_source(
    options: &JsValue,
    config: &Config,
    timeout_ms: u32,
    io: &Io,
) -> Result<TicketSource, Error> {
    let names = ["ticket", "ticketProvider", "secret", "ticketOwner"];
    let mut given = Vec::new();
    for name in names {
        if !options::absent(&options::get(options, name)?) {
            given.push(name);
        }
    }
    if given.len() > 1 {
        return Err(Error::InvalidOption(format!(
            "give exactly one of ticket, ticketProvider, secret or ticketOwner; got {}",
            given.join(" and ")
        )));
    }
    let store = options::get(options, "store")?;
    if !options::absent(&store) && given.first() != Some(&"secret") {
        return Err(Error::InvalidOption(
            "store is used only with secret".into(),
        ));
    }
    match given.first().copied() {
        Some("ticket") => {
            let t = options::string(options, "ticket", Error::InvalidTicket)?.unwrap_or_default();
            validate::ticket(&t)?;
            Ok(TicketSource::Fixed(t))
        }
        Some("ticketProvider") => {
            let provider = options::get(options, "ticketProvider")?;
            Ok(TicketSource::Provider(provider.dyn_into::<Function>().map_err(|v| {
                Error::InvalidOption(format!(
                    "ticketProvider must be a function returning (a promise of) the SIGN ticket; got {}",
                    describe_type(&v)
                ))
            })?))
        }
        Some("secret") => {
            let secret = options::string(options, "secret", Error::InvalidOption)?.unwrap_or_default();
            if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::InvalidOption(
                    "secret must be the non-empty printable ASCII secret of the App ID".into(),
                ));
            }
            let store = if options::absent(&store) {
                None
            } else {
                Some(Store::new(store)?)
            };
            let schedule = options::schedule(options)?;
            Ok(TicketSource::Managed(Rc::new(Manager::new(
                config.app_id(),
                secret,
                config.base(crate::endpoints::Host::Server),
                timeout_ms,
                schedule,
                store,
                io.clone(),
            ))))
        }
        Some(_) => {
            let namespace = options::get(options, "ticketOwner")?;
            Ok(TicketSource::Owner(Rc::new(OwnerReader::new(
                namespace,
                config.app_id(),
                timeout_ms,
            )?)))
        }
        None => Err(Error::InvalidTicket(
            "give the SIGN ticket as ticket, a ticketProvider function, the App ID's secret, or a ticketOwner Durable Object namespace".into(),
        )),
    }
}
