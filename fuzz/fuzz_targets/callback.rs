//! Fuzz target `callback`: see `faceid_edge_fuzz::entries::callback`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::callback(data));
