//! Who is asking: the operator's identity hook (bounded by the client's
//! `timeoutMs`, its failures a `401` that names nothing of the hook's
//! message), and the order grants (`{ orderNo, orderToken, expiresAt }`)
//! the routes hand out, as Rust values until their JSON is made.

use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::Request;

use super::Handler;
use crate::error::Error;
use crate::h5;
use crate::ids::{OrderNo, UserId};
use crate::order_token::TokenKind;
use crate::wasm::boundary::{define_value, describe_type};
use crate::wasm::http::{error_name, is_plain_object, now_ms, within};
use crate::wasm::options;

/// The user the operator's identity hook names.
pub(super) struct Identity {
    /// The user's id, checked.
    pub user_id: UserId,
    /// The name, when the hook gave one.
    pub name: Option<String>,
    /// The ID number, when the hook gave one.
    pub id_no: Option<String>,
}

impl Identity {
    /// The name and ID number a face verification compares against, checked.
    pub fn person(&self) -> Result<(String, String), Error> {
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

/// An order token for one order, and when it expires.
pub(super) struct Grant {
    /// The order.
    pub order_no: OrderNo,
    /// The token that opens the order's result route.
    pub token: String,
    /// Milliseconds since the epoch.
    pub expires_at: u64,
}

impl Grant {
    /// Adds `orderToken` and `expiresAt` to `out`.
    pub fn define_in(&self, out: &Object) {
        define_value(out, "orderToken", &JsValue::from_str(&self.token));
        define_value(out, "expiresAt", &JsValue::from_f64(self.expires_at as f64));
    }

    /// `{ orderNo, orderToken, expiresAt }`.
    pub fn to_js(&self) -> JsValue {
        let out = Object::new();
        define_value(&out, "orderNo", &JsValue::from_str(&self.order_no));
        self.define_in(&out);
        out.into()
    }
}

impl Handler {
    /// Asks the operator's hook who the user is: `None` when it says nobody.
    pub(super) async fn identity(
        &self,
        request: &Request,
        env: &JsValue,
    ) -> Result<Option<Identity>, Error> {
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
        Ok(Some(Identity {
            user_id: UserId::new(&user_id)?,
            name: options::string(&value, "name", Error::InvalidIdentity)?,
            id_no: options::string(&value, "idNo", Error::InvalidIdentity)?,
        }))
    }

    /// The signed-in user, or `401` when the identity hook names none.
    pub(super) async fn signed_in(
        &self,
        request: &Request,
        env: &JsValue,
    ) -> Result<Identity, Error> {
        self.identity(request, env).await?.ok_or_else(|| {
            Error::Unauthorized("sign in first: the identity hook names no user".into())
        })
    }

    /// An order token for one order, valid `tokenTtlMs` from now.
    pub(super) fn grant(
        &self,
        kind: TokenKind,
        order_no: &OrderNo,
        user: Option<&str>,
    ) -> Result<Grant, Error> {
        let expires_at = now_ms() + self.ttl_ms;
        let token = self.tokens.mint(kind, order_no, user, expires_at)?;
        Ok(Grant {
            order_no: order_no.clone(),
            token,
            expires_at,
        })
    }
}
