//! The `sign()` fast lane: sign options written straight into wasm memory.
//!
//! Crossing five strings into WebAssembly on every call costs more than the
//! SHA-1 itself. `writeSignOptions` (in `js/boundary.js`) writes the fields as
//! ASCII into a scratch buffer owned here, and skips `appId`, `ticket` and
//! `version` when they are the same strings as on the last call: this side
//! keeps the copy it validated then. Anything unusual (a wrong type, a
//! non-ASCII field, a U+0000 inside a field, a field too long for the buffer)
//! returns `None` so that the caller takes the general path, which reports
//! the precise error.

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::boundary::{bind_memory_once, forget_sign_options, read_sign, write_sign_options};
use crate::error::Result;
use crate::sign::{sign_slice, SignParams, DEFAULT_VERSION};
use crate::validate;

/// Scratch size: orderNo (32) + nonce (32) + appId + ticket + version with
/// room to spare; longer inputs take the general path.
const SCRATCH: usize = 512;

struct Statics {
    app_id: String,
    ticket: String,
    version: String,
}

struct Lane {
    scratch: Vec<u8>,
    bound: bool,
    statics: Option<Statics>,
}

thread_local! {
    static LANE: RefCell<Lane> = const {
        RefCell::new(Lane { scratch: Vec::new(), bound: false, statics: None })
    };
}

/// Splits `data` on NUL bytes into exactly `N` UTF-8 fields.
fn fields<const N: usize>(data: &[u8]) -> Option<[&str; N]> {
    let mut out = [""; N];
    let mut parts = data.split(|&b| b == 0);
    for slot in out.iter_mut() {
        *slot = core::str::from_utf8(parts.next()?).ok()?;
    }
    parts.next().is_none().then_some(out)
}

impl Lane {
    fn forget(&mut self) {
        self.statics = None;
        forget_sign_options();
    }

    fn sign(&mut self, options: &JsValue) -> Option<Result<JsValue>> {
        if !self.bound {
            bind_memory_once();
            self.scratch = vec![0; SCRATCH];
            self.bound = true;
        }
        // The address is handed to JavaScript, which writes the fields there.
        let ptr = self.scratch.as_mut_ptr() as usize as u32;
        let len = write_sign_options(options, ptr, SCRATCH as u32);
        let len = usize::try_from(len).ok()?;
        let (flag, data) = self.scratch.get(..len)?.split_first()?;
        let (order_no, nonce) = if *flag == 1 {
            let (order_no, nonce, app_id, ticket, version) =
                if let Some([o, n, a, t]) = fields::<4>(data) {
                    (o, n, a, t, DEFAULT_VERSION)
                } else if let Some([o, n, a, t, v]) = fields::<5>(data) {
                    (o, n, a, t, v)
                } else {
                    self.forget();
                    return None;
                };
            let params = SignParams {
                app_id,
                order_no,
                ticket,
                nonce,
                version,
            };
            if let Err(e) = params.validate() {
                // Never keep (or skip next time) fields that broke a rule.
                self.forget();
                return Some(Err(e));
            }
            self.statics = Some(Statics {
                app_id: app_id.to_owned(),
                ticket: ticket.to_owned(),
                version: version.to_owned(),
            });
            (order_no, nonce)
        } else {
            match fields::<2>(data) {
                Some([o, n]) => (o, n),
                None => {
                    self.forget();
                    return None;
                }
            }
        };
        let Some(statics) = &self.statics else {
            self.forget();
            return None;
        };
        if *flag == 0 {
            // appId, ticket and version were validated when they were stored.
            let checked = validate::order_no(order_no).and_then(|()| validate::nonce(nonce));
            if let Err(e) = checked {
                return Some(Err(e));
            }
        }
        let mut values = [
            statics.app_id.as_str(),
            order_no,
            statics.version.as_str(),
            statics.ticket.as_str(),
            nonce,
        ];
        let signature = sign_slice(&mut values);
        // Hand the result back through the scratch buffer as well.
        let out = self.scratch.get_mut(..signature.len())?;
        out.copy_from_slice(&signature);
        Some(Ok(read_sign(ptr)))
    }
}

/// Signs through the fast lane: the signature as a JavaScript string, or
/// `None` to take the general path.
pub fn sign(options: &JsValue) -> Option<Result<JsValue>> {
    LANE.with(|lane| lane.try_borrow_mut().ok()?.sign(options))
}
