//! `nonce()` as JavaScript sees it: 32 characters from `[A-Za-z0-9]`, from
//! the platform CSPRNG (`crypto.getRandomValues`), unbiased.
//! Runs unchanged in Node and in headless Chromium (`scripts/test-wasm`).
#![allow(missing_docs)]
// clippy.toml allows these in tests, but clippy does not see a
// `#[wasm_bindgen_test]` function as a test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::HashSet;

use common::*;

use wasm_bindgen_test::*;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn fresh() -> String {
    text(nonce().expect("nonce()"))
}

#[wasm_bindgen_test]
fn length_and_alphabet() {
    for _ in 0..1_000 {
        let n = fresh();
        assert_eq!(n.len(), 32, "{n}");
        assert_eq!(n.chars().count(), 32, "{n}");
        assert!(n.bytes().all(|b| ALPHABET.contains(&b)), "{n}");
    }
}

#[wasm_bindgen_test]
fn ten_thousand_are_unique() {
    let mut seen = HashSet::with_capacity(10_000);
    for i in 0..10_000 {
        let n = fresh();
        assert!(seen.insert(n.clone()), "duplicate nonce {n} at call {i}");
    }
}

#[wasm_bindgen_test]
fn spread_is_uniform() {
    // 20 000 nonces = 640 000 characters, 10 322.6 expected per character.
    // Chi-square with 61 degrees of freedom has mean 61 and sd ~11: a bound
    // of 200 is over 12 sd away, so a fair generator never fails it, while a
    // modulo-biased one (8 characters 5/4 as likely) scores in the thousands.
    let mut counts = [0u64; 62];
    for _ in 0..20_000 {
        for b in fresh().bytes() {
            let i = ALPHABET.iter().position(|&a| a == b).expect("in alphabet");
            counts[i] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    assert_eq!(total, 640_000);
    let expected = total as f64 / 62.0;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 200.0, "chi-square {chi2} too high: {counts:?}");
}

#[wasm_bindgen_test]
fn positions_are_not_fixed() {
    // Every position varies (a stuck byte in the pool would show here).
    let nonces: Vec<String> = (0..200).map(|_| fresh()).collect();
    for pos in 0..32 {
        let distinct: HashSet<u8> = nonces.iter().map(|n| n.as_bytes()[pos]).collect();
        assert!(
            distinct.len() > 20,
            "position {pos} only took {} values",
            distinct.len()
        );
    }
}

#[wasm_bindgen_test]
fn nonces_are_accepted_by_sign() {
    for _ in 0..100 {
        let n = fresh();
        let o = options("appId001", "aabc1457895464", TICKET_1, &n, None);
        let got = text(sign(&o).expect("sign() accepts nonce()"));
        assert_eq!(
            got,
            reference(&["appId001", "aabc1457895464", "1.0.0", TICKET_1, &n])
        );
    }
}
