//! Several strings carried across the JavaScript boundary as one.
//!
//! Crossing into WebAssembly costs a copy and a UTF-8 encode per string, and
//! that fixed cost dominates a SHA-1 over a hundred bytes. So the bindings
//! pack a list of strings into one: each value as its length in UTF-16 code
//! units (what JavaScript's `length` counts), a `:`, then the value. This
//! module splits such a string back into borrowed `&str`s, without copying.
//!
//! For example `3:abc0:2:身份` holds `abc`, the empty string and `身份`.
//! The format is internal to the package's JavaScript boundary
//! (`src/wasm/js/boundary.js` writes it); it is not a public API.

use crate::error::{Error, Result};

/// Packs values the way the JavaScript side does (for the tests).
#[cfg(test)]
pub fn pack<'a, I: IntoIterator<Item = &'a str>>(values: I) -> String {
    let mut out = String::new();
    for v in values {
        out.push_str(&v.encode_utf16().count().to_string());
        out.push(':');
        out.push_str(v);
    }
    out
}

/// Iterator over the values of a packed string.
#[derive(Debug, Clone)]
pub struct Unpack<'a> {
    rest: &'a str,
    ascii: bool,
}

/// Splits a packed string into its values.
pub fn unpack(packed: &str) -> Unpack<'_> {
    Unpack {
        rest: packed,
        ascii: packed.is_ascii(),
    }
}

fn malformed() -> Error {
    Error::InvalidArgument("internal error: malformed packed value list".into())
}

impl<'a> Iterator for Unpack<'a> {
    type Item = Result<&'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        Some(self.split_one())
    }
}

impl<'a> Unpack<'a> {
    fn split_one(&mut self) -> Result<&'a str> {
        let colon = self.rest.find(':').ok_or_else(malformed)?;
        let (digits, tail) = self.rest.split_at(colon);
        let units: usize = digits.parse().map_err(|_| malformed())?;
        let body = tail.get(1..).ok_or_else(malformed)?;
        let end = if self.ascii {
            units
        } else {
            utf16_prefix_len(body, units).ok_or_else(malformed)?
        };
        let value = body.get(..end).ok_or_else(malformed)?;
        self.rest = body.get(end..).ok_or_else(malformed)?;
        Ok(value)
    }
}

/// Byte length of the prefix of `s` that is `units` UTF-16 code units long.
fn utf16_prefix_len(s: &str, units: usize) -> Option<usize> {
    let mut count = 0usize;
    for (i, c) in s.char_indices() {
        if count == units {
            return Some(i);
        }
        count += c.len_utf16();
        if count > units {
            return None;
        }
    }
    (count == units).then_some(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(values: &[&str]) {
        let packed = pack(values.iter().copied());
        let back: Vec<&str> = unpack(&packed).collect::<Result<_>>().unwrap();
        assert_eq!(back, values);
    }

    #[test]
    fn roundtrips() {
        roundtrip(&[]);
        roundtrip(&[""]);
        roundtrip(&["a", "", "bc"]);
        roundtrip(&["12:34", "::", "0:"]);
        roundtrip(&["身份证", "\u{1F600}x", "a\u{0}b"]);
    }

    #[test]
    fn surrogate_pairs_count_as_two_units() {
        let parts: Vec<&str> = unpack("2:\u{1F600}1:a").collect::<Result<_>>().unwrap();
        assert_eq!(parts, ["\u{1F600}", "a"]);
        // Splitting inside a surrogate pair is malformed, not a panic.
        assert!(unpack("1:\u{1F600}").next().unwrap().is_err());
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in ["x", "3:ab", "a:b", ":", "99999999999999999999999:a", "1"] {
            let r: Result<Vec<&str>> = unpack(bad).collect();
            assert!(r.is_err(), "{bad:?}");
        }
    }
}
