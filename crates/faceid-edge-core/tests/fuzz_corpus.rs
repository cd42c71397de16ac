//! Replays the fuzz corpus on the host: every file under `fuzz/corpus/<target>/`
//! and `fuzz/regressions/<target>/` goes through the same entry function the
//! cargo-fuzz target calls (`fuzz_entries`), without nightly or libFuzzer.

// Host only: it reads files, and its dev-dependencies are host-only.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_entries;

use std::fs;
use std::path::{Path, PathBuf};

/// The `fuzz/` directory at the root of the repository.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files directly under `dir` (none when it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_target_has_a_starting_corpus_and_a_fuzz_target() {
    let dir = fuzz_dir();
    for (name, _) in fuzz_entries::TARGETS {
        assert!(
            !files(&dir.join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name} is empty"
        );
        assert!(
            dir.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}

#[test]
fn corpus_and_regressions_replay_without_a_finding() {
    let dir = fuzz_dir();
    for (name, entry) in fuzz_entries::TARGETS {
        entry(b"");
        for sub in ["corpus", "regressions"] {
            for path in files(&dir.join(sub).join(name)) {
                let data = fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| entry(&data));
                assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            }
        }
    }
}
