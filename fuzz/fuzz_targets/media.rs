//! Fuzz target `media`: see `faceid_edge_fuzz::entries::media`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::media(data));
