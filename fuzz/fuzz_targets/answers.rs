//! Fuzz target `answers`: see `faceid_edge_fuzz::entries::answers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::answers(data));
