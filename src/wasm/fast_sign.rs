//! The `sign()` fast lane: one call into WebAssembly, numbers only.
//!
//! Crossing five strings into WebAssembly on every call costs more than the
//! SHA-1 itself. `signLane` (in `js/boundary.js`, called by the entries'
//! `sign()`) writes the fields as ASCII into a scratch buffer owned here and
//! calls [`sign_lane`] with their lengths; the signature comes back through
//! the same buffer, and JavaScript reads its 40 bytes. No `JsValue` crosses,
//! and nothing is called back. `appId`, `ticket` and `version` are written
//! only when they are not the same strings as on the last signed call: this
//! side keeps the copy it validated then. Anything unusual (a wrong type, a
//! non-ASCII field, a field too long for the buffer, a field that breaks a
//! rule) makes JavaScript take the general path (`exports::sign`), which
//! reports the precise error.

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::boundary::bind_memory_once;
use crate::sign::{sign_slice, SignParams, DEFAULT_VERSION, SIGN_LEN};
use crate::validate;

/// Scratch size: orderNo (32) + nonce (32) + appId + ticket + version with
/// room to spare; longer inputs take the general path (`js/boundary.js`
/// checks the lengths against it before writing).
const SCRATCH: usize = 512;

/// [`sign_lane`]'s answer: the signature is in the scratch buffer.
const SIGNED: i32 = 0;
/// [`sign_lane`]'s answer: take the general path (it reports the error).
const GENERAL: i32 = 1;

struct Statics {
    app_id: String,
    ticket: String,
    version: String,
}

struct Lane {
    scratch: Vec<u8>,
    statics: Option<Statics>,
}

thread_local! {
    static LANE: RefCell<Lane> = const {
        RefCell::new(Lane { scratch: Vec::new(), statics: None })
    };
}

/// `len` bytes of `data` from `at` as UTF-8 (ASCII, written by JavaScript).
fn field(data: &[u8], at: usize, len: usize) -> Option<&str> {
    core::str::from_utf8(data.get(at..at.checked_add(len)?)?).ok()
}

impl Lane {
    /// The scratch buffer's address (allocated on first use).
    fn scratch(&mut self) -> u32 {
        if self.scratch.is_empty() {
            bind_memory_once();
            self.scratch = vec![0; SCRATCH];
        }
        // The address is handed to JavaScript, which writes the fields there.
        self.scratch.as_mut_ptr() as usize as u32
    }

    /// Signs what JavaScript wrote: see [`sign_lane`].
    fn sign(&mut self, lens: [usize; 5]) -> Option<()> {
        let [order_len, nonce_len, app_len, ticket_len, version_len] = lens;
        let data = self.scratch.as_slice();
        let order_no = field(data, 0, order_len)?;
        let nonce = field(data, order_len, nonce_len)?;
        if app_len > 0 {
            // New statics follow: validate all five, keep the three.
            let at = order_len + nonce_len;
            let app_id = field(data, at, app_len)?;
            let ticket = field(data, at + app_len, ticket_len)?;
            let version = match version_len {
                0 => DEFAULT_VERSION,
                n => field(data, at + app_len + ticket_len, n)?,
            };
            let params = SignParams {
                app_id,
                order_no,
                ticket,
                nonce,
                version,
            };
            params.validate().ok()?;
            self.statics = Some(Statics {
                app_id: app_id.to_owned(),
                ticket: ticket.to_owned(),
                version: version.to_owned(),
            });
        } else {
            // appId, ticket and version were validated when they were stored.
            validate::order_no(order_no).ok()?;
            validate::nonce(nonce).ok()?;
        }
        let statics = self.statics.as_ref()?;
        let mut values = [
            statics.app_id.as_str(),
            order_no,
            statics.version.as_str(),
            statics.ticket.as_str(),
            nonce,
        ];
        let signature = sign_slice(&mut values);
        // Hand the result back through the scratch buffer as well.
        self.scratch
            .get_mut(..SIGN_LEN)?
            .copy_from_slice(&signature);
        Some(())
    }
}

/// The fast lane's scratch buffer: its address in memory (the memory is
/// handed to `js/boundary.js` first). Package-internal (`js/boundary.js`).
#[wasm_bindgen(js_name = __signScratch, skip_typescript)]
pub fn sign_scratch() -> u32 {
    LANE.with(|lane| lane.try_borrow_mut().map_or(0, |mut lane| lane.scratch()))
}

/// Signs the fields `js/boundary.js` wrote into the scratch buffer, one
/// after another: orderNo, nonce, then (when `app_len` is not 0) appId,
/// ticket and version (`version_len` 0: the default). `0`: the 40
/// signature bytes are at the start of the buffer; `1`: take the general
/// path, which reports the error (the kept fields are forgotten).
/// Package-internal.
#[wasm_bindgen(js_name = __signLane, skip_typescript)]
pub fn sign_lane(
    order_len: u32,
    nonce_len: u32,
    app_len: u32,
    ticket_len: u32,
    version_len: u32,
) -> i32 {
    let lens = [order_len, nonce_len, app_len, ticket_len, version_len].map(|n| n as usize);
    LANE.with(|lane| {
        let Ok(mut lane) = lane.try_borrow_mut() else {
            return GENERAL;
        };
        if lane.sign(lens).is_some() {
            return SIGNED;
        }
        lane.statics = None;
        GENERAL
    })
}
