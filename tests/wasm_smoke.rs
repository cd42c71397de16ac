#![cfg(target_arch = "wasm32")]
use wasm_bindgen_test::*;
#[wasm_bindgen_test]
fn vector() {
    assert_eq!(faceid_edge::sign_values(["a"]).len(), 40);
}
