//! `verifyOrderToken(key, token, { kind, orderNo, userId, audience,
//! tokenTtlMs })`: checks an order token in the operator's own routes, as
//! the edge handler's result routes do.
//!
//! It returns the verdict `{ kind, orderNo, userId, audience, expiresAt }`
//! when the token opens that order, and throws a `FaceIdError` otherwise:
//! `UNAUTHORIZED` when there is no token, `FORBIDDEN` when it does not open
//! this order (malformed, forged, expired, of another order, kind, user,
//! audience or key, or longer-lived than `tokenTtlMs`), and the input's own
//! code for a bad argument. A valid token proves only that this handler gave
//! this order to this user: the verdict is the backend's own record or query.

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::boundary::{define_value, describe_type, string_length, to_js};
use super::options;
use super::order_keys;
use crate::edge::{DEFAULT_PREFIX, DEFAULT_TOKEN_TTL_MS};
use crate::error::Error;
use crate::order_token::{OrderTokens, TokenKind, TOKEN_MAX};
use crate::validate;

/// Checks `token` for `kind` of `orderNo` (and `userId`, when the identity
/// hook names users) under `key` (as `orderTokenKey`: one key or a list),
/// for `audience` (default `"/faceid"`, the handler's default prefix) and a
/// longest lifetime of `tokenTtlMs` (default 30 minutes). Returns `{ kind,
/// orderNo, userId, audience, expiresAt }`; throws `FaceIdError`
/// (`UNAUTHORIZED`, `FORBIDDEN`, or the code of a bad argument).
#[wasm_bindgen(js_name = verifyOrderToken, unchecked_return_type = "OrderTokenVerdict")]
pub fn verify_order_token(
    #[wasm_bindgen(unchecked_param_type = "OrderTokenKey")] key: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] token: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "VerifyOrderTokenOptions")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    verify(key, token, options).map_err(to_js)
}

fn verify(key: &JsValue, token: &JsValue, options: &JsValue) -> Result<JsValue, Error> {
    options::object(options, "verifyOrderToken options", false)?;
    let kind = options::get(options, "kind")?;
    let kind = options::bounded(&kind, "kind", Error::InvalidOption)?
        .and_then(|k| TokenKind::from_name(&k))
        .ok_or_else(TokenKind::unknown)?;
    let order_no = options::order_no(&options::get(options, "orderNo")?)?;
    let user = options::string(options, "userId", Error::InvalidUserId)?;
    if let Some(u) = &user {
        validate::user_id(u, validate::USER_ID_MAX)?;
    }
    let audience = order_keys::audience(options, DEFAULT_PREFIX)?;
    let ttl = order_keys::ttl(options, "tokenTtlMs", DEFAULT_TOKEN_TTL_MS)?;
    let tokens = OrderTokens::with_ring(order_keys::key_ring(key, &audience)?).with_lifetime(ttl);

    // Measured in JavaScript: a long token is never copied into wasm memory.
    let length = if token.is_string() {
        string_length(token) as usize
    } else {
        0
    };
    if options::absent(token) || (token.is_string() && length == 0) {
        return Err(Error::Unauthorized(
            "no order token: the page sends the orderToken it was given with the order".into(),
        ));
    }
    if !token.is_string() {
        return Err(Error::InvalidArgument(format!(
            "the order token must be a string; got {}",
            describe_type(token)
        )));
    }
    let token = if length > TOKEN_MAX {
        // Malformed: refused by its length, never copied.
        String::new()
    } else {
        token.as_string().unwrap_or_default()
    };
    let expires_at = tokens.check(
        &token,
        kind,
        &order_no,
        user.as_deref(),
        super::http::now_ms(),
    )?;
    let out = Object::new();
    define_value(&out, "kind", &JsValue::from_str(kind.name()));
    define_value(&out, "orderNo", &JsValue::from_str(&order_no));
    define_value(
        &out,
        "userId",
        &user.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    define_value(&out, "audience", &JsValue::from_str(&audience));
    define_value(&out, "expiresAt", &JsValue::from_f64(expires_at as f64));
    Ok(out.into())
}
