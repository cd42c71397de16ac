//! Large answers (results with revealed photos and videos) without whole
//! copies of them, in JavaScript (`js/large.js`): the service's answer
//! parsed from its bytes with each long base64 string decoded once, and the
//! edge handler's JSON answer written as a stream of chunks.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/wasm/js/large.js")]
extern "C" {
    /// The body of the service's answer: a promise of its text when
    /// `Content-Length` says it is short, else of its bytes (`Uint8Array`).
    #[wasm_bindgen(js_name = answerBody, catch)]
    pub fn answer_body(response: &web_sys::Response) -> Result<js_sys::Promise, JsValue>;

    /// `JSON.parse` of the UTF-8 text of `bytes`, the long plain strings
    /// decoded apart (no text of the whole answer).
    #[wasm_bindgen(js_name = answerJson, catch)]
    pub fn answer_json(bytes: &Uint8Array) -> Result<JsValue, JsValue>;

    /// `JSON.stringify(value)`, or `[text, large, …, text]` when it holds
    /// long plain strings (see `jsonBody`).
    #[wasm_bindgen(js_name = jsonParts)]
    pub fn json_parts(value: &JsValue) -> JsValue;

    /// The length (UTF-16 units) of what [`json_parts`] made.
    #[wasm_bindgen(js_name = partsLength)]
    pub fn parts_length(parts: &JsValue) -> u32;

    /// A `Response` body for what [`json_parts`] made: the string, or a
    /// stream of UTF-8 chunks.
    #[wasm_bindgen(js_name = jsonBody)]
    pub fn json_body(parts: &JsValue) -> JsValue;
}
