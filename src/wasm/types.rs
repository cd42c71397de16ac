//! TypeScript declarations of the shapes that cross the boundary.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Options of the face queries (TypeScript: `FaceQueryOptions`).
    #[wasm_bindgen(typescript_type = "FaceQueryOptions")]
    pub type FaceQueryOptionsArg;

    /// Options of the OCR result queries (TypeScript: `OcrQueryOptions`).
    #[wasm_bindgen(typescript_type = "OcrQueryOptions")]
    pub type OcrQueryOptionsArg;

    /// Options of `signedRequest`.
    #[wasm_bindgen(
        typescript_type = "FaceQueryOptions | OcrQueryOptions | Omit<IdCardOcrInput, \"orderNo\">"
    )]
    pub type SignedRequestOptionsArg;
}

// The TypeScript declarations, in `.d.ts` files by subject (`src/wasm/ts/`);
// wasm-bindgen merges them into faceid_edge.d.ts. `tables.d.ts` is generated
// from the core's tables (`cargo run -p faceid-edge-core --example
// gen-tables`; `cargo test` fails when it is out of date).

#[wasm_bindgen(typescript_custom_section)]
const TS_TABLES: &'static str = include_str!("ts/tables.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_SIGN: &'static str = include_str!("ts/sign.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT: &'static str = include_str!("ts/client.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_RESULTS: &'static str = include_str!("ts/results.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_TICKETS: &'static str = include_str!("ts/tickets.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_H5: &'static str = include_str!("ts/h5.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_EDGE: &'static str = include_str!("ts/edge.d.ts");
