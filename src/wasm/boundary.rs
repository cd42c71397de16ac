//! Raw bindings to `js/boundary.js` and the error conversion.

use wasm_bindgen::prelude::*;

use crate::error::Error;

#[wasm_bindgen(module = "/src/wasm/js/boundary.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str) -> JsValue;

    /// Packs `{ appId, orderNo, ticket, nonce, version? }`, or `None` when a
    /// field has the wrong type.
    #[wasm_bindgen(js_name = packSignOptions)]
    pub fn pack_sign_options(options: &JsValue) -> Option<String>;

    /// Packs an array of strings (null/undefined dropped), or `None`.
    #[wasm_bindgen(js_name = packValues)]
    pub fn pack_values(values: &JsValue) -> Option<String>;

    /// `typeof`, with `null` and `array` told apart.
    #[wasm_bindgen(js_name = describeType)]
    pub fn describe_type(value: &JsValue) -> String;
}

/// Converts a core error into a thrown `FaceIdError`.
pub fn to_js(error: Error) -> JsValue {
    make_error(error.code(), error.message())
}
