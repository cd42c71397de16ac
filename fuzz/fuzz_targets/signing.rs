//! Fuzz target `signing`: see `faceid_edge_fuzz::entries::signing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::signing(data));
