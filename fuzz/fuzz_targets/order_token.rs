//! Fuzz target `order_token`: see `faceid_edge_fuzz::entries::order_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::order_token(data));
