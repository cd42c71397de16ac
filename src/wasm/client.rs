//! `FaceIdClient`: validates, signs, fetches and parses the result queries.
//!
//! Data flow: JS options → validated [`Config`] and inputs (core) → a
//! [`Call`] run by the core's call machine (`client/run.rs`: tickets,
//! renewal, retries, polls, resends) → signed request (core) → global
//! `fetch` → envelope and payload rules (core) → a [`Reply`] read as Rust
//! values by the H5 flow and the edge handler → a plain JS result object,
//! built once where it leaves. Response bodies are parsed with the
//! engine's own `JSON.parse` and never copied into WebAssembly memory, so a
//! 10 MB answer with photos and video costs no more than it does in plain
//! JavaScript.
//!
//! - `client/run.rs`: the shell of one call around the core's `CallMachine`;
//! - `client/queries.rs`: the query methods (`faceResult`…, `idCardOcr`,
//!   `signedRequest`, `nonceTicket`);
//! - `client/h5.rs`: `startFace`, `startSdk`, `verifyCallback`.

use std::rc::Rc;

use js_sys::{Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use super::answer::Reply;
use super::boundary::{define_value, to_js};
use super::call::Call;
use super::flight::WaitUntil;
use super::http::{Io, Stop};
use super::inputs::Ctl;
use super::options;
use super::source::{ticket_source, TicketSource};
use super::task;
use crate::call_machine;
use crate::endpoints::{GetFile, Kind};
use crate::error::Error;
use crate::h5;
use crate::ids::OrderNo;
use crate::request::{CardType, Config};
use crate::retry::Policy;
use crate::validate;

mod h5_flow;
mod queries;
mod run;

pub(super) struct Inner {
    /// Codes that mean "this ticket is no longer valid": refresh once and
    /// retry the call once.
    ticket_error_codes: Vec<String>,
    config: Config,
    ticket: TicketSource,
    policy: Policy,
    /// `loginUrl`: replaces `https://{optimalDomain}` in face page URLs.
    login_url: Option<String>,
    /// The last two distinct SIGN tickets this client used, newest last: a
    /// callback signed just before a refresh still verifies.
    recent: std::cell::RefCell<Vec<String>>,
    /// `fetch` and `onEvent`.
    io: Io,
    /// `deadlineMs`: every call's default deadline.
    deadline_ms: Option<u32>,
}

/// A client for the FaceID result queries. Holds the SIGN ticket (or a
/// provider of it) on the server side; never exposes it.
#[wasm_bindgen]
pub struct FaceIdClient {
    pub(super) inner: Rc<Inner>,
}

impl Inner {
    /// The SIGN ticket for one call; `ctx` keeps a background refresh alive.
    /// Remembered (with the one before it) for checking callbacks.
    async fn ticket(&self, ctx: Option<&WaitUntil>) -> Result<String, Error> {
        let ticket = self.ticket.get(self.policy.timeout_ms, ctx).await?;
        self.remember(&ticket);
        Ok(ticket)
    }

    /// Keeps `ticket` (and the one before it) for checking callbacks.
    fn remember(&self, ticket: &str) {
        let mut recent = self.recent.borrow_mut();
        if recent.last().map(String::as_str) != Some(ticket) {
            recent.push(ticket.to_owned());
            if recent.len() > 2 {
                recent.remove(0);
            }
        }
    }

    /// A new ticket after the service refused one, or `None` when the
    /// source cannot renew (a fixed ticket).
    async fn renew_ticket(
        &self,
        stale: &str,
        ctx: Option<&WaitUntil>,
    ) -> Result<Option<String>, Error> {
        let fresh = self
            .ticket
            .renew(stale, self.policy.timeout_ms, ctx)
            .await?;
        if let Some(t) = &fresh {
            self.remember(t);
        }
        Ok(fresh)
    }

    /// The deadline of one request, in milliseconds.
    pub(super) fn timeout_ms(&self) -> u32 {
        self.policy.timeout_ms
    }

    /// A result query.
    pub(super) async fn query(
        &self,
        kind: Kind,
        order_no: OrderNo,
        get_file: GetFile,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<Reply, Error> {
        let call = Call::Query {
            kind,
            order_no,
            get_file,
        };
        self.run(&call, ctx, stop).await
    }

    /// ID card OCR of an image already cleaned (base64 as ASCII bytes, see
    /// [`super::image`]), for the edge handler's upload route.
    pub(super) async fn id_card_ocr_image(
        &self,
        order_no: &OrderNo,
        card_type: CardType,
        image: Uint8Array,
        user_id: Option<&str>,
        ctx: Option<&WaitUntil>,
    ) -> Result<Reply, Error> {
        if let Some(user_id) = user_id {
            validate::user_id(user_id, validate::USER_ID_MAX)?;
        }
        let call = Call::IdCardOcr {
            order_no: order_no.clone(),
            card_type,
            image,
            user_id: user_id.map(str::to_owned),
        };
        self.run(&call, ctx, None).await
    }

    /// The longest one call may take (see [`call_machine::call_bound_ms`]),
    /// with the client's `deadlineMs`.
    pub(super) fn call_bound_ms(&self) -> u64 {
        call_machine::call_bound_ms(&self.policy, self.deadline_ms)
    }

    /// The end of a call starting now: its signal and deadline (or the
    /// client's `deadlineMs`).
    pub(super) fn stop(&self, ctl: &Ctl) -> Result<Option<Stop>, Error> {
        Stop::new(ctl.signal.clone(), ctl.deadline_ms.or(self.deadline_ms))
    }
}

/// A call's future, boxed.
type CallFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>;

/// Runs `f` on a call read from the arguments (with the control options
/// found among them), as a promise.
fn promise<F>(inner: &Rc<Inner>, call: Result<(Call, Ctl), Error>, f: F) -> Promise
where
    F: FnOnce(Rc<Inner>, Call, Ctl) -> CallFuture + 'static,
{
    let inner = inner.clone();
    task::promise(async move {
        let (call, ctl) = call.map_err(to_js)?;
        f(inner, call, ctl).await.map_err(to_js)
    })
}

/// Runs a call under its control options; the `QueryResult` object.
fn run(inner: Rc<Inner>, call: Call, ctl: Ctl) -> CallFuture {
    Box::pin(async move {
        let stop = inner.stop(&ctl)?;
        let reply = inner.run(&call, ctl.ctx.as_ref(), stop.as_ref()).await?;
        Ok(reply.to_js())
    })
}

#[wasm_bindgen]
impl FaceIdClient {
    /// Creates a client. Throws `FaceIdError` for bad options (`INVALID_APP_ID`,
    /// `INVALID_TICKET`, `INVALID_URL`, `INVALID_OPTION`…).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "FaceIdClientOptions")] options: &JsValue,
    ) -> Result<FaceIdClient, JsValue> {
        Self::from_options(options).map_err(to_js)
    }

    fn from_options(options: &JsValue) -> Result<FaceIdClient, Error> {
        options::object(options, "FaceIdClient options", false)?;
        let app_id = options::string(options, "appId", Error::InvalidAppId)?.ok_or_else(|| {
            Error::InvalidAppId("appId is missing: the App ID assigned by Tencent Cloud".into())
        })?;
        let version = options::string(options, "version", Error::InvalidVersion)?;
        let server_url = options::string(options, "serverUrl", Error::InvalidUrl)?;
        let kyc_url = options::string(options, "kycUrl", Error::InvalidUrl)?;
        let hosts = options::hosts(options)?;
        let dev_hosts = options::dev_hosts(options)?;
        let config = Config::with_dev_hosts(
            &app_id,
            version.as_deref(),
            server_url.as_deref(),
            kyc_url.as_deref(),
            hosts,
            &dev_hosts,
        )?;
        let d = Policy::default();
        let policy = Policy {
            timeout_ms: options::whole(options, "timeoutMs", 600_000)?.unwrap_or(d.timeout_ms),
            retries: options::whole(options, "retries", 10)?.unwrap_or(d.retries),
            base_delay_ms: options::whole(options, "retryDelayMs", 60_000)?
                .unwrap_or(d.base_delay_ms),
            max_delay_ms: options::whole(options, "maxRetryDelayMs", 600_000)?
                .unwrap_or(d.max_delay_ms),
            file_polls: options::whole(options, "filePolls", 10)?.unwrap_or(d.file_polls),
            file_poll_interval_ms: options::whole(options, "filePollIntervalMs", 60_000)?
                .unwrap_or(d.file_poll_interval_ms),
        };
        if policy.timeout_ms == 0 {
            return Err(Error::InvalidOption("timeoutMs must be at least 1".into()));
        }
        let io = options::io(options)?;
        let deadline_ms = options::deadline(options)?;
        let ticket = ticket_source(options, &config, policy.timeout_ms, &io)?;
        let ticket_error_codes =
            options::string_list(options, "ticketErrorCodes")?.unwrap_or_default();
        let login_url = options::string(options, "loginUrl", Error::InvalidUrl)?;
        if let Some(url) = &login_url {
            h5::browser_url_allowing(url, "loginUrl", &dev_hosts)?;
            if url.contains('?') {
                return Err(Error::InvalidUrl(
                    "loginUrl must be a base URL without a query, like https://kyc.example.com"
                        .into(),
                ));
            }
        }
        Ok(FaceIdClient {
            inner: Rc::new(Inner {
                ticket_error_codes,
                config,
                ticket,
                policy,
                login_url: login_url.map(|u| u.trim_end_matches('/').to_owned()),
                recent: Default::default(),
                io,
                deadline_ms,
            }),
        })
    }
}

#[wasm_bindgen]
impl FaceIdClient {
    /// What an operator needs to see about the ticket: its source, age,
    /// expiry, last refresh and last error. Never a ticket, token or secret.
    #[wasm_bindgen(js_name = ticketStatus, unchecked_return_type = "TicketStatus")]
    pub fn ticket_status(&self) -> JsValue {
        self.inner.ticket.status_js()
    }

    /// What `JSON.stringify(client)` shows: the settings, never the ticket.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "FaceIdClientSummary")]
    pub fn to_json(&self) -> JsValue {
        let c = &self.inner.config;
        let o = Object::new();
        define_value(&o, "appId", &c.app_id().into());
        define_value(&o, "version", &c.version().into());
        define_value(
            &o,
            "serverUrl",
            &c.base(crate::endpoints::Host::Server).into(),
        );
        define_value(&o, "kycUrl", &c.base(crate::endpoints::Host::Kyc).into());
        define_value(&o, "ticketSource", &self.inner.ticket.name().into());
        o.into()
    }
}
