//! The upstream side of a refresh: the access token and the SIGN (or
//! NONCE) ticket fetched from the service, each a bounded `GET` resent at
//! once when its connection closed before any answer.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::Manager;
use crate::endpoints::Method;
use crate::error::Error;
use crate::retry::resend_at_once;
use crate::tickets::{
    credential, ticket_url, token_url, Credential, TicketType, TICKET_PATH, TOKEN_PATH,
};
use crate::wasm::http::{field, now_ms, parse_object, resend_fields, send, Outgoing};

impl Manager {
    /// [`Manager::mint`], reported to the event hook as a `refresh`.
    pub(super) async fn fetch(&self, id: u64) -> Result<(Credential, Credential), Error> {
        let started = now_ms();
        let outcome = self.mint(id).await;
        let mut fields = vec![
            ("source", JsValue::from_str("secret")),
            (
                "durationMs",
                JsValue::from_f64(now_ms().saturating_sub(started) as f64),
            ),
            ("ok", JsValue::from_bool(outcome.is_ok())),
        ];
        if let Err(e) = &outcome {
            fields.push(("error", JsValue::from_str(e.code())));
        }
        self.io.emit("refresh", &fields);
        outcome
    }

    /// A new access token (or the one an unfinished refresh minted), then a
    /// SIGN ticket minted from it.
    async fn mint(&self, id: u64) -> Result<(Credential, Credential), Error> {
        let minted = self
            .state
            .borrow()
            .reusable_minted(now_ms(), &self.schedule)
            .cloned();
        let token = match minted {
            Some(token) => token,
            None => {
                self.step(id)?;
                let token = self.fetch_token().await?;
                // Recorded at once: minting retired our current token, and a
                // refresh that dies before the ticket leaves this one to use.
                self.state.borrow_mut().minted(token.clone());
                token
            }
        };
        self.step(id)?;
        let url = ticket_url(&self.base, &self.app_id, &token.value, TicketType::Sign)?;
        let mut ticket = match self.fetch_ticket(&url, "SIGN ticket").await {
            Ok(t) => t,
            Err(e) => {
                if e.code() == "TICKET_UNAVAILABLE" {
                    // The service refused this token: mint a new one next time.
                    self.state.borrow_mut().forget_minted();
                }
                return Err(e);
            }
        };
        // A ticket dies with the token it was minted from.
        ticket.expires_at_ms = ticket.expires_at_ms.min(token.expires_at_ms);
        Ok((token, ticket))
    }

    async fn fetch_token(&self) -> Result<Credential, Error> {
        let url = token_url(&self.base, &self.app_id, &self.secret);
        let top = self.get_json(&url, TOKEN_PATH).await?;
        credential(
            "access token",
            field(&top, "code").as_deref(),
            field(&top, "msg").as_deref(),
            field(&top, "access_token").as_deref(),
            field(&top, "expire_in").as_deref(),
            now_ms(),
        )
    }

    pub(super) async fn fetch_ticket(&self, url: &str, what: &str) -> Result<Credential, Error> {
        let top = self.get_json(url, TICKET_PATH).await?;
        let tickets = Reflect::get(&top, &"tickets".into()).unwrap_or(JsValue::UNDEFINED);
        let first: Option<Object> = crate::wasm::boundary::is_array(&tickets)
            .then(|| js_sys::Array::from(&tickets))
            .filter(|a| a.length() == 1)
            .and_then(|a| a.get(0).dyn_into().ok());
        let code = field(&top, "code");
        if code.as_deref() == Some("0") && first.is_none() {
            return Err(Error::BadResponse(format!(
                "the {what} answer must carry exactly one ticket"
            )));
        }
        credential(
            what,
            code.as_deref(),
            field(&top, "msg").as_deref(),
            first.as_ref().and_then(|t| field(t, "value")).as_deref(),
            first
                .as_ref()
                .and_then(|t| field(t, "expire_in"))
                .as_deref(),
            now_ms(),
        )
    }

    /// A token or ticket `GET`, sent again at once (the same URL: it holds
    /// no nonce) when its connection closed under it before any answer
    /// (`crate::retry::resend_at_once`).
    async fn get_json(&self, url: &str, path: &str) -> Result<Object, Error> {
        let out = Outgoing {
            url,
            method: Method::Get,
            headers: &[],
            body: None,
            path,
        };
        let mut resent = 0;
        loop {
            match send(&out, self.timeout_ms, &self.io, None).await {
                Ok(body) => return parse_object(&body),
                Err(failed) if resend_at_once(out.method, &failed.breakage, resent) => {
                    resent += 1;
                    if self.io.listening() {
                        self.io.emit("retry", &resend_fields(&out, &failed, resent));
                    }
                }
                Err(failed) => return Err(failed.into_error(resent)),
            }
        }
    }
}
