//! The shared store of a client with `secret` + `store` (see the
//! `TicketStore` contract in the TypeScript types): its calls, each bounded
//! by `timeoutMs`, and the JSON it keeps. What to call when is the core's
//! [`crate::store_lock`] machine; [`Store::perform`] only does it.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Error;
use crate::store_lock::{Action, Input, Stored};
use crate::tickets::Credential;
use crate::wasm::boundary::{define_value, describe_type};
use crate::wasm::host::TicketStoreJs;
use crate::wasm::http::{error_name, field, parse_object, within};

/// A shared store for several processes (see the `TicketStore` contract in
/// the TypeScript types): `get`, `set` with a time-to-live, a lock with an
/// expiry whose holder gets a token to unlock with, and optionally
/// `compareAndSet`. Values are JSON text. Every call is bounded by the
/// client's `timeoutMs`.
pub struct Store {
    object: JsValue,
    cas: bool,
}

impl Store {
    /// Checks that `object` has the four methods (`compareAndSet` optional).
    pub fn new(object: JsValue) -> Result<Store, Error> {
        let method = |name: &str| {
            Reflect::get(&object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
        };
        for name in ["get", "set", "lock", "unlock"] {
            let f = method(name);
            if !f.is_function() {
                return Err(Error::InvalidOption(format!(
                    "store must have async get, set, lock and unlock methods; {name} is {}",
                    describe_type(&f)
                )));
            }
        }
        let cas = method("compareAndSet").is_function();
        Ok(Store { object, cas })
    }

    /// One store call, awaited for at most `timeout_ms`.
    async fn call(&self, op: StoreOp<'_>, timeout_ms: u32) -> Result<JsValue, Error> {
        let store: &TicketStoreJs = self.object.unchecked_ref();
        let method = op.name();
        let value = match op {
            StoreOp::Get(key) => store.store_get(key),
            StoreOp::Set(key, value, ttl) => store.store_set(key, value, ttl),
            StoreOp::Lock(key, lease) => store.store_lock(key, lease),
            StoreOp::Unlock(key, token) => store.store_unlock(key, token),
            StoreOp::CompareAndSet(key, expected, value, ttl) => {
                store.store_compare_and_set(key, expected, value, ttl)
            }
        }
        .map_err(|e| {
            Error::TicketUnavailable(format!("store.{method} threw {}", error_name(&e)))
        })?;
        match within(&value, timeout_ms).await {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(Error::TicketUnavailable(format!(
                "store.{method} rejected with {}",
                error_name(&e)
            ))),
            None => Err(Error::Timeout(format!(
                "store.{method} did not answer within {timeout_ms} ms (timeoutMs)"
            ))),
        }
    }
}

/// A call to the store, with its arguments.
enum StoreOp<'a> {
    Get(&'a JsValue),
    Set(&'a JsValue, &'a JsValue, &'a JsValue),
    Lock(&'a JsValue, &'a JsValue),
    Unlock(&'a JsValue, &'a JsValue),
    CompareAndSet(&'a JsValue, &'a JsValue, &'a JsValue, &'a JsValue),
}

impl StoreOp<'_> {
    fn name(&self) -> &'static str {
        match self {
            StoreOp::Get(..) => "get",
            StoreOp::Set(..) => "set",
            StoreOp::Lock(..) => "lock",
            StoreOp::Unlock(..) => "unlock",
            StoreOp::CompareAndSet(..) => "compareAndSet",
        }
    }
}

/// The JSON kept in the store: the token and the SIGN ticket with times.
pub(super) fn encode(token: &Credential, ticket: &Credential) -> JsValue {
    let c = |c: &Credential| {
        let o = Object::new();
        define_value(&o, "value", &c.value.as_str().into());
        define_value(
            &o,
            "obtainedAt",
            &JsValue::from_f64(c.obtained_at_ms as f64),
        );
        define_value(&o, "expiresAt", &JsValue::from_f64(c.expires_at_ms as f64));
        o
    };
    let o = Object::new();
    define_value(&o, "token", &c(token));
    define_value(&o, "ticket", &c(ticket));
    js_sys::JSON::stringify(&o)
        .map(JsValue::from)
        .unwrap_or(JsValue::NULL)
}

/// The token and ticket a stored JSON text holds, if it decodes.
pub(super) fn decode(text: &JsValue) -> Option<(Credential, Credential)> {
    let top = parse_object(text).ok()?;
    let read = |key: &str| -> Option<Credential> {
        let o: Object = Reflect::get(&top, &JsValue::from_str(key))
            .ok()?
            .dyn_into()
            .ok()?;
        let value = field(&o, "value")?;
        let obtained_at_ms = field(&o, "obtainedAt")?.parse().ok()?;
        let expires_at_ms = field(&o, "expiresAt")?.parse().ok()?;
        Some(Credential {
            value,
            obtained_at_ms,
            expires_at_ms,
        })
    };
    Some((read("token")?, read("ticket")?))
}

/// The store's two keys for one App ID.
pub(super) struct Keys {
    /// Where the token and ticket are kept.
    pub tickets: JsValue,
    /// The refresh lock.
    pub lock: JsValue,
}

impl Keys {
    /// `faceid-edge:<appId>:tickets` and `faceid-edge:<appId>:lock`.
    pub fn new(app_id: &str) -> Keys {
        let key = |what: &str| JsValue::from_str(&format!("faceid-edge:{app_id}:{what}"));
        Keys {
            tickets: key("tickets"),
            lock: key("lock"),
        }
    }
}

impl Store {
    /// Performs a store action of the machine (`Read`, `TryLock`, `Write`,
    /// `Release`) and says what it gave; `None` for any other action.
    pub(super) async fn perform(
        &self,
        action: &Action<JsValue>,
        keys: &Keys,
        timeout_ms: u32,
    ) -> Option<Input<JsValue>> {
        Some(match action {
            Action::Read => Input::Read(
                self.call(StoreOp::Get(&keys.tickets), timeout_ms)
                    .await
                    .map(|value| Stored {
                        raw: value.is_string().then(|| value.clone()),
                        credentials: decode(&value),
                    }),
            ),
            Action::TryLock { lease_ms } => {
                let lease = JsValue::from_f64(*lease_ms as f64);
                Input::Lock(
                    self.call(StoreOp::Lock(&keys.lock, &lease), timeout_ms)
                        .await
                        .map(|held| held.is_truthy().then_some(held)),
                )
            }
            Action::Write {
                expected,
                token,
                ticket,
                ttl_ms,
            } => {
                let ttl = JsValue::from_f64(*ttl_ms as f64);
                let text = encode(token, ticket);
                Input::Written(if self.cas {
                    let null = JsValue::NULL;
                    let expected = expected.as_ref().unwrap_or(&null);
                    self.call(
                        StoreOp::CompareAndSet(&keys.tickets, expected, &text, &ttl),
                        timeout_ms,
                    )
                    .await
                    .map(|ok| ok.is_truthy())
                } else {
                    self.call(StoreOp::Set(&keys.tickets, &text, &ttl), timeout_ms)
                        .await
                        .map(|_| true)
                })
            }
            Action::Release(held) => {
                // Best effort: the lock expires by itself. The token names
                // this holder, so no one else's lock is ever released.
                let _ = self
                    .call(StoreOp::Unlock(&keys.lock, held), timeout_ms)
                    .await;
                Input::Released
            }
            _ => return None,
        })
    }
}
