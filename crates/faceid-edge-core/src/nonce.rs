//! Nonces: 32 characters from `[A-Za-z0-9]`, from a CSPRNG, unbiased.
//!
//! Random bytes come from the platform's CSPRNG through `getrandom`
//! (`crypto.getRandomValues` in WebAssembly). They are drawn in blocks into a
//! small per-thread pool, lazily on first use (never at module load, which
//! workerd forbids), and each byte is used once. Bytes are mapped to the
//! 62-character alphabet by rejection sampling: a byte is kept only if it is
//! below 248 (= 4 × 62), so every character is exactly equally likely.

use core::cell::RefCell;

use crate::error::{Error, Result};
use crate::validate::NONCE_LEN;

/// The nonce alphabet: ASCII letters and digits.
pub const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Bytes at or above this bound are rejected (248 is the largest multiple of 62 ≤ 256).
const REJECT_FROM: u8 = 248;

/// Size of the per-thread block of random bytes.
const POOL_SIZE: usize = 256;

/// Maps one random byte to an alphabet character, or `None` to reject it.
pub fn map_byte(byte: u8) -> Option<u8> {
    if byte >= REJECT_FROM {
        return None;
    }
    ALPHABET.get(usize::from(byte % 62)).copied()
}

/// Builds a nonce from any source of random bytes.
///
/// `fill` must fill the whole buffer with uniformly random bytes or fail.
/// Rejected bytes are skipped, so `fill` may be called more than once.
pub fn nonce_from<F>(mut fill: F) -> Result<String>
where
    F: FnMut(&mut [u8]) -> Result<()>,
{
    let mut out = String::with_capacity(NONCE_LEN);
    let mut block = [0u8; 48];
    while out.len() < NONCE_LEN {
        fill(&mut block)?;
        for &b in block.iter() {
            if out.len() == NONCE_LEN {
                break;
            }
            if let Some(c) = map_byte(b) {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

struct Pool {
    buf: [u8; POOL_SIZE],
    pos: usize,
}

impl Pool {
    /// Copies the next `dst.len()` pooled bytes into `dst`, refilling the pool
    /// from the OS CSPRNG when it runs out. Used bytes are zeroed.
    fn take(&mut self, dst: &mut [u8]) -> Result<()> {
        for d in dst.iter_mut() {
            if self.pos >= POOL_SIZE {
                getrandom::fill(&mut self.buf).map_err(|e| {
                    Error::RandomUnavailable(format!(
                        "the platform's secure random number generator failed: {e}"
                    ))
                })?;
                self.pos = 0;
            }
            if let Some(slot) = self.buf.get_mut(self.pos) {
                *d = *slot;
                *slot = 0;
            }
            self.pos += 1;
        }
        Ok(())
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { buf: [0; POOL_SIZE], pos: POOL_SIZE })
    };
}

/// A fresh nonce: 32 characters from `[A-Za-z0-9]`, from the platform CSPRNG.
///
/// ```
/// let n = faceid_edge_core::nonce()?;
/// assert_eq!(n.len(), 32);
/// assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
/// # Ok::<(), faceid_edge_core::Error>(())
/// ```
pub fn nonce() -> Result<String> {
    POOL.with(|pool| match pool.try_borrow_mut() {
        Ok(mut pool) => nonce_from(|buf| pool.take(buf)),
        // Re-entrancy cannot happen in practice; fall back to unpooled bytes.
        Err(_) => nonce_from(|buf| {
            getrandom::fill(buf).map_err(|e| {
                Error::RandomUnavailable(format!(
                    "the platform's secure random number generator failed: {e}"
                ))
            })
        }),
    })
}

/// A uniformly random `u32` from the same CSPRNG pool (for retry jitter).
pub fn random_u32() -> Result<u32> {
    let mut bytes = [0u8; 4];
    POOL.with(|pool| match pool.try_borrow_mut() {
        Ok(mut pool) => pool.take(&mut bytes),
        Err(_) => getrandom::fill(&mut bytes).map_err(|e| {
            Error::RandomUnavailable(format!(
                "the platform's secure random number generator failed: {e}"
            ))
        }),
    })?;
    Ok(u32::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn mapping_rejects_the_biased_tail() {
        assert_eq!(map_byte(0), Some(b'A'));
        assert_eq!(map_byte(61), Some(b'9'));
        assert_eq!(map_byte(62), Some(b'A'));
        assert_eq!(map_byte(247), Some(b'9'));
        for b in 248..=255u8 {
            assert_eq!(map_byte(b), None);
        }
        // Every character is hit by exactly four byte values.
        let mut hits = [0u32; 62];
        for b in 0..=255u8 {
            if let Some(c) = map_byte(b) {
                hits[ALPHABET.iter().position(|&a| a == c).unwrap()] += 1;
            }
        }
        assert!(hits.iter().all(|&h| h == 4));
    }

    #[test]
    fn rejected_bytes_are_skipped() {
        // A source whose first block is all 255 (rejected), then 0, 1, 2, ...
        let mut calls = 0;
        let n = nonce_from(|buf| {
            calls += 1;
            for (i, b) in buf.iter_mut().enumerate() {
                *b = if calls == 1 || i >= 40 { 255 } else { i as u8 };
            }
            Ok(())
        })
        .unwrap();
        // Call 1 is all rejected; call 2 gives 40 usable bytes, 32 are taken.
        assert_eq!(calls, 2);
        assert_eq!(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef");
    }

    #[test]
    fn source_failure_is_typed() {
        let e = nonce_from(|_| Err(Error::RandomUnavailable("no rng".into()))).unwrap_err();
        assert_eq!(e.code(), "RANDOM_UNAVAILABLE");
    }

    #[test]
    fn length_alphabet_uniqueness() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let n = nonce().unwrap();
            assert_eq!(n.len(), 32);
            assert!(n.bytes().all(|b| ALPHABET.contains(&b)), "{n}");
            assert!(seen.insert(n), "duplicate nonce");
        }
    }

    #[test]
    fn spread_is_uniform() {
        // 20 000 nonces = 640 000 characters, 10 322.6 expected per character.
        // Chi-square with 61 degrees of freedom has mean 61 and sd ~11; a
        // bound of 200 is beyond 12 sd, so a fair generator never fails it,
        // while a modulo-biased one (first 8 characters 5/4 as likely) scores
        // in the thousands.
        let mut counts = [0u64; 62];
        for _ in 0..20_000 {
            for b in nonce().unwrap().bytes() {
                counts[ALPHABET.iter().position(|&a| a == b).unwrap()] += 1;
            }
        }
        let expected = 640_000.0 / 62.0;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 200.0, "chi-square {chi2} too high: {counts:?}");
    }
}
