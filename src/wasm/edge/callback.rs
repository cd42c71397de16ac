//! `GET {prefix}/callback`: the face page sends the user back here.
//!
//! The callback must carry the state this handler put in the callback URL
//! at `/start` (signed, expiring, bound to the order and the user who
//! started it) and the face page's signature (`newSignature` or `newSign`,
//! over the App ID, the order number, the SIGN ticket and the code). The
//! state comes first: it needs no ticket, and it refuses what the face
//! page's signature alone lets through (an old URL from a history or a log,
//! an order number whose characters moved into the code). When the
//! identity hook names a user, it must be the one who started. The answer
//! is a `303` to `returnUrl` with the order number only: the face page's
//! `code` is what the page showed, not a verdict, so it is not passed on.

use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, Url};

use super::super::http::now_ms;
use super::super::inputs::callback_input;
use super::{response, Handler};
use crate::callback_state;
use crate::edge as policy;
use crate::error::Error;
use crate::validate;

impl Handler {
    /// Checks the callback and redirects to `returnUrl?orderNo=…`.
    pub(super) async fn callback(
        &self,
        request: &Request,
        url: &Url,
        env: &JsValue,
    ) -> Result<Response, Error> {
        let refused = || {
            Error::Forbidden(
                "the callback's signature does not verify: open the result from the page that started the verification".into(),
            )
        };
        let callback = callback_input(&JsValue::from(url.clone()))?;
        self.limits
            .rate
            .check(crate::edge::Route::Callback, None, request, env)
            .await?;
        let order_no = match &callback.order_no {
            Some(o) if validate::order_no(o).is_ok() => o.clone(),
            _ => return Err(refused()),
        };
        let state = callback_state::from_query(&url.search()).unwrap_or_default();
        let starter = self.states.check(&state, &order_no, now_ms())?;
        if let Some(who) = self.identity(request, env).await? {
            if who.user_id.as_str() != starter {
                return Err(Error::Forbidden(
                    "this verification was started by another user: sign in as that user, or start again".into(),
                ));
            }
        }
        let valid = self.client.verify_callback(&callback).await?;
        if !valid {
            return Err(refused());
        }
        let base = if self.return_url.starts_with('/') {
            format!("{}{}", self.gate.url_origin(url)?, self.return_url)
        } else {
            self.return_url.clone()
        };
        let location = policy::return_location(&base, &order_no);
        Ok(response(None, 303, &[("location", location)]))
    }
}
