//! Fuzz target `validators`: see `faceid_edge_fuzz::entries::validators`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faceid_edge_fuzz::entries::validators(data));
