//! [`TicketManager`]: the engine the package's `TicketOwner` Durable Object
//! wraps (and any other single owner): one [`Manager`] with the App ID's
//! secret, exported to JavaScript.

use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::request::Config;
use crate::tickets::digest;
use crate::wasm::boundary::{define_value, to_js};
use crate::wasm::flight::WaitUntil;
use crate::wasm::options;
use crate::wasm::task;
use crate::wasm::tickets::Manager;

/// The ticket owner's engine, for the `TicketOwner` Durable Object (and any
/// other single owner): fetches, caches and refreshes the access token and
/// SIGN ticket of one App ID with its secret.
#[wasm_bindgen]
pub struct TicketManager {
    manager: Rc<Manager>,
}

/// `{ value, expiresAt, previous? }`: `previous` is the ticket the current
/// one replaced, for checking callbacks the service signed just before.
fn ticket_js(value: &str, expires_at_ms: u64, previous: Option<&str>) -> JsValue {
    let o = Object::new();
    define_value(&o, "value", &value.into());
    define_value(&o, "expiresAt", &JsValue::from_f64(expires_at_ms as f64));
    if let Some(p) = previous {
        define_value(&o, "previous", &p.into());
    }
    o.into()
}

#[wasm_bindgen]
impl TicketManager {
    /// `{ appId, secret, serverUrl?, hosts?, timeoutMs?, refreshIntervalMs? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TicketManagerOptions")] options: &JsValue,
    ) -> Result<TicketManager, JsValue> {
        Self::build(options).map_err(to_js)
    }

    fn build(options: &JsValue) -> Result<TicketManager, Error> {
        options::object(options, "TicketManager options", false)?;
        let app_id = options::string(options, "appId", Error::InvalidAppId)?
            .ok_or_else(|| Error::InvalidAppId("appId is missing".into()))?;
        let server_url = options::string(options, "serverUrl", Error::InvalidUrl)?;
        let config = Config::with_hosts(
            &app_id,
            None,
            server_url.as_deref(),
            None,
            options::hosts(options)?,
        )?;
        let secret = options::string(options, "secret", Error::InvalidOption)?.unwrap_or_default();
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidOption(
                "secret must be the non-empty printable ASCII secret of the App ID".into(),
            ));
        }
        let timeout_ms = options::whole(options, "timeoutMs", 600_000)?
            .unwrap_or(10_000)
            .max(1);
        let manager = Manager::new(
            config.app_id(),
            secret,
            config.base(crate::endpoints::Host::Server),
            timeout_ms,
            options::schedule(options)?,
            None,
            options::io(options)?,
        );
        Ok(TicketManager {
            manager: Rc::new(manager),
        })
    }

    /// The current SIGN ticket `{ value, expiresAt }`, refreshing first when
    /// none is usable. A due refresh runs in the background; `ctx` (anything
    /// with `waitUntil`, e.g. the Durable Object's state) keeps it alive.
    #[wasm_bindgen(js_name = signTicket, unchecked_return_type = "Promise<{ value: string; expiresAt: number; previous?: string }>")]
    pub fn sign_ticket(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WaitUntilContext | undefined")] ctx: JsValue,
    ) -> Promise {
        let m = self.manager.clone();
        task::promise(async move {
            let ctx = WaitUntil::from_js(&ctx).map_err(to_js)?;
            m.sign_ticket(ctx.as_ref()).await.map_err(to_js)?;
            m.current()
                .map(|(v, e)| ticket_js(&v, e, m.previous().as_deref()))
                .ok_or_else(|| to_js(Error::TicketUnavailable("no valid SIGN ticket".into())))
        })
    }

    /// With `staleDigest` (a ticket the service refused): replaces that
    /// ticket if it is still the current one (someone may have replaced it
    /// already). Without: refreshes if the ticket is missing or due and the
    /// backoff after failures allows (what an alarm calls). Answers with the
    /// current ticket; a failed refresh keeps the still-valid one, and it
    /// rejects only when no valid ticket remains.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<{ value: string; expiresAt: number; previous?: string }>"
    )]
    pub fn refresh(
        &self,
        #[wasm_bindgen(js_name = "staleDigest")] stale_digest: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "WaitUntilContext | undefined")] ctx: JsValue,
    ) -> Promise {
        let m = self.manager.clone();
        task::promise(async move {
            let ctx = WaitUntil::from_js(&ctx).map_err(to_js)?;
            let refused = match (&stale_digest, m.current()) {
                (Some(d), Some((v, _))) if &digest(&v) == d => Some(v),
                _ => None,
            };
            let outcome = match (&stale_digest, refused) {
                // The refused ticket is still ours: replace it.
                (Some(_), Some(v)) => m.renew(&v, ctx.as_ref()).await.map(|_| ()),
                // Someone already replaced it, or none is usable: as a read.
                (Some(_), None) => m.sign_ticket(ctx.as_ref()).await.map(|_| ()),
                (None, _) => {
                    m.refresh_if_wanted(ctx.as_ref()).await;
                    Ok(())
                }
            };
            match (m.current(), outcome) {
                (Some((v, e)), _) => Ok(ticket_js(&v, e, m.previous().as_deref())),
                (None, Err(e)) => Err(to_js(e)),
                (None, Ok(())) => Err(to_js(m.unavailable())),
            }
        })
    }

    /// A fresh NONCE ticket for `userId`, minted from a token that outlives
    /// it: when the token's planned refresh is less than the ticket's 120 s
    /// (and a margin) away, the token and SIGN ticket are refreshed first (an
    /// owner stores them afterwards). `ctx` (anything with `waitUntil`)
    /// keeps that refresh alive.
    #[wasm_bindgen(js_name = nonceTicket, unchecked_return_type = "Promise<string>")]
    pub fn nonce_ticket(
        &self,
        #[wasm_bindgen(js_name = "userId")] user_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitUntilContext")] ctx: JsValue,
    ) -> Promise {
        let m = self.manager.clone();
        task::promise(async move {
            let ctx = WaitUntil::from_js(&ctx).map_err(to_js)?;
            m.nonce_ticket(&user_id, ctx.as_ref())
                .await
                .map(|t| JsValue::from_str(&t))
                .map_err(to_js)
        })
    }

    /// Milliseconds until the next refresh attempt (for an alarm): when the
    /// ticket is due, but never before the backoff after failures ends;
    /// `null` when there is nothing to refresh or retry.
    #[wasm_bindgen(js_name = refreshDueInMs)]
    pub fn refresh_due_in_ms(&self) -> Option<f64> {
        self.manager.next_attempt_in_ms().map(|ms| ms as f64)
    }

    /// Settles when no refresh is running (at once when none is): an owner
    /// awaits it to store what a background refresh brought.
    #[wasm_bindgen(js_name = whenIdle, unchecked_return_type = "Promise<void>")]
    pub fn when_idle(&self) -> Promise {
        self.manager.idle()
    }

    /// Ages, expiries and errors; never a value.
    #[wasm_bindgen(unchecked_return_type = "TicketStatus")]
    pub fn status(&self) -> JsValue {
        self.manager.status_js()
    }

    /// The token and ticket as JSON text, for durable storage (secret!), or
    /// `null`.
    #[wasm_bindgen(js_name = exportState, unchecked_return_type = "string | null")]
    pub fn export_state(&self) -> JsValue {
        self.manager.export_state()
    }

    /// Restores what `exportState` gave, if still usable; `true` if adopted.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
    ) -> bool {
        self.manager.import_state(text)
    }
}
