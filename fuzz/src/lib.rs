//! The entry functions of the fuzz targets. They live in the core crate's
//! tests (`crates/faceid-edge-core/tests/fuzz_entries/mod.rs`), where the
//! host replay test calls them too: the targets and the replay cannot drift
//! apart.

#[path = "../../crates/faceid-edge-core/tests/fuzz_entries/mod.rs"]
pub mod entries;
