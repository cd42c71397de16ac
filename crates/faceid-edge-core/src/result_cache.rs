//! The edge handler's memory of final results: a page that polls a result
//! route gets a final answer from memory for a few seconds instead of a new
//! call to the service each time. Pure bookkeeping: the caller passes the
//! clock and holds the values.
//!
//! Entries are keyed by the route's kind, the order number and the user the
//! request was checked for, so that one user's answer never serves another.
//! Only final answers are kept (see [`is_final`]); the cache is bounded in
//! entries and in bytes.

use crate::order_token::TokenKind;
use crate::response::{code_info, is_busy};

/// Most entries kept at once.
pub const MAX_ENTRIES: usize = 1024;
/// Most bytes (the answers' sizes as the caller counts them) kept at once.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Whether an answer with business `code` is final: it will not change if
/// asked again. Success with every requested file, and the codes that end a
/// verification (risk control, expiry, an unusable video, not a live
/// person, an unusable OCR image). Busy codes, "no result yet" and codes
/// this version does not know are not.
pub fn is_final(code: &str, files_pending: bool) -> bool {
    if is_busy(code) {
        return false;
    }
    match code_info(code).map(|i| i.kind) {
        Some("success") => !files_pending,
        Some("risk" | "expired" | "bad_video" | "not_live" | "ocr") => true,
        _ => false,
    }
}

/// What an entry is for: the route's kind, the order, the user (empty when
/// no user is signed in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    kind: TokenKind,
    order_no: String,
    user: String,
}

impl Key {
    /// The key of a result route's answer for `user`.
    pub fn new(kind: TokenKind, order_no: &str, user: Option<&str>) -> Key {
        Key {
            kind,
            order_no: order_no.to_owned(),
            user: user.unwrap_or_default().to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    size: usize,
    expires_at: u64,
}

/// Final answers kept for `ttl_ms` each. A list searched in order: it
/// holds at most [`MAX_ENTRIES`], and a map's code would cost the
/// WebAssembly module more than the search costs a request.
#[derive(Debug, Clone)]
pub struct ResultCache<V> {
    ttl_ms: u64,
    entries: Vec<(Key, Entry<V>)>,
    bytes: usize,
}

impl<V: Clone> ResultCache<V> {
    /// A cache whose entries live `ttl_ms` (0: nothing is kept).
    pub fn new(ttl_ms: u64) -> ResultCache<V> {
        ResultCache {
            ttl_ms,
            entries: Vec::new(),
            bytes: 0,
        }
    }

    /// The value kept for `key`, unless it expired by `now_ms`.
    pub fn get(&mut self, key: &Key, now_ms: u64) -> Option<V> {
        let (_, e) = self.entries.iter().find(|(k, _)| k == key)?;
        if e.expires_at > now_ms {
            return Some(e.value.clone());
        }
        self.remove(key);
        None
    }

    /// Keeps `value` (of `size` bytes) for `key` until `now_ms + ttl`.
    /// `false` when it was not kept: the cache is off, or full even after
    /// the expired entries went.
    pub fn put(&mut self, key: Key, value: V, size: usize, now_ms: u64) -> bool {
        if self.ttl_ms == 0 || size > MAX_BYTES {
            return false;
        }
        self.remove(&key);
        if self.entries.len() >= MAX_ENTRIES || self.bytes + size > MAX_BYTES {
            self.sweep(now_ms);
        }
        if self.entries.len() >= MAX_ENTRIES || self.bytes + size > MAX_BYTES {
            return false;
        }
        self.bytes += size;
        self.entries.push((
            key,
            Entry {
                value,
                size,
                expires_at: now_ms.saturating_add(self.ttl_ms),
            },
        ));
        true
    }

    /// Drops every expired entry.
    pub fn sweep(&mut self, now_ms: u64) {
        let mut freed = 0;
        self.entries.retain(|(_, e)| {
            let keep = e.expires_at > now_ms;
            if !keep {
                freed += e.size;
            }
            keep
        });
        self.bytes -= freed;
    }

    fn remove(&mut self, key: &Key) {
        if let Some(i) = self.entries.iter().position(|(k, _)| k == key) {
            let (_, e) = self.entries.swap_remove(i);
            self.bytes -= e.size;
        }
    }

    /// How many entries are kept (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_answers() {
        assert!(is_final("0", false));
        assert!(!is_final("0", true));
        for code in ["66660017", "66660018", "66660016", "400604", "66661003"] {
            assert!(is_final(code, false), "{code}");
        }
        for code in [
            "999999", "999998", "999997", "66660011", "66660020", "12345", "",
        ] {
            assert!(!is_final(code, false), "{code}");
        }
    }

    #[test]
    fn entries_expire_and_never_cross_users() {
        let mut c = ResultCache::new(3000);
        let alice = Key::new(TokenKind::Face, "o1", Some("alice"));
        assert!(c.put(alice.clone(), "A", 1, 1000));
        assert_eq!(c.get(&alice, 3999), Some("A"));
        assert_eq!(
            c.get(&Key::new(TokenKind::Face, "o1", Some("bob")), 1001),
            None
        );
        assert_eq!(c.get(&Key::new(TokenKind::Face, "o1", None), 1001), None);
        assert_eq!(
            c.get(&Key::new(TokenKind::Live, "o1", Some("alice")), 1001),
            None
        );
        assert_eq!(
            c.get(&Key::new(TokenKind::Face, "o2", Some("alice")), 1001),
            None
        );
        assert_eq!(c.get(&alice, 4000), None);
        assert!(c.is_empty());
        let mut off = ResultCache::new(0);
        assert!(!off.put(alice.clone(), "A", 1, 0));
        assert_eq!(off.get(&alice, 0), None);
    }

    #[test]
    fn bounded() {
        let mut c = ResultCache::new(1000);
        for i in 0..MAX_ENTRIES {
            assert!(c.put(Key::new(TokenKind::Face, &format!("o{i}"), None), i, 1, 0));
        }
        assert!(!c.put(Key::new(TokenKind::Face, "more", None), 0, 1, 999));
        // Once the others expired, room again.
        assert!(c.put(Key::new(TokenKind::Face, "more", None), 0, 1, 1000));
        assert_eq!(c.len(), 1);
        assert!(!c.put(
            Key::new(TokenKind::Face, "big", None),
            0,
            MAX_BYTES + 1,
            1000
        ));
        assert!(c.put(
            Key::new(TokenKind::Face, "big", None),
            0,
            MAX_BYTES - 1,
            1000
        ));
        assert!(!c.put(Key::new(TokenKind::Face, "big2", None), 0, 2, 1000));
        // Replacing an entry frees its bytes first.
        assert!(c.put(
            Key::new(TokenKind::Face, "big", None),
            0,
            MAX_BYTES - 1,
            1001
        ));
    }
}
