//! The ID card image as base64 text, a piece at a time: cleaning text (a
//! `data:` prefix and whitespace removed; the alphabet, the padding and the
//! size checked) and encoding raw bytes. A caller can pass a 20 MB image
//! through a buffer of a few kilobytes instead of copying it whole (the
//! WebAssembly layer does: its memory never shrinks).
//!
//! [`Cleaner`] is the one implementation of the cleaning rules:
//! [`Image::to_base64`](crate::request::Image::to_base64) feeds it the whole
//! text at once.

use base64_simd::AsOut as _;

use crate::error::{Error, Result};
use crate::request::{megabytes, MAX_IMAGE_BASE64};
use crate::validate;

/// Raw bytes encoded per piece by [`encode_piece`] callers: a multiple of
/// 3, so that the pieces' base64 texts join into the text of the whole.
pub const ENCODE_PIECE: usize = 48 * 1024;

/// `IMAGE_TOO_LARGE` for an image of `size` bytes of base64 when `max` is
/// the limit: the service's 20 MB, or a smaller one set by the operator.
pub fn too_large(size: usize, max: usize) -> Error {
    let who = if max >= MAX_IMAGE_BASE64 {
        "the service takes".to_owned()
    } else {
        "this handler takes (maxImageBytes)".to_owned()
    };
    Error::ImageTooLarge(format!(
        "image is {} MB as base64; {who} at most {} MB: resize or recompress it",
        megabytes(size),
        megabytes_limit(max)
    ))
}

/// A limit in MB for messages: whole MB as an integer ("20"), else tenths.
fn megabytes_limit(max: usize) -> String {
    if max % (1024 * 1024) == 0 {
        (max / (1024 * 1024)).to_string()
    } else {
        megabytes(max)
    }
}

/// Fails with `IMAGE_TOO_LARGE` when `size` bytes of base64 are over `max`.
pub fn check_size(size: usize, max: usize) -> Result<()> {
    if size > max {
        return Err(too_large(size, max));
    }
    Ok(())
}

/// The base64 length of `len` raw bytes.
pub fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Appends the base64 of `bytes` to `out`. Pieces of a multiple of 3 bytes
/// (all but the last) join into the encoding of the whole.
pub fn encode_piece(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), 0);
    if let Some(tail) = out.get_mut(start..) {
        // The room is exactly the encoded length: this cannot fail.
        let _ = base64_simd::STANDARD.encode(bytes, tail.as_out());
    }
}

/// Cleans base64 text fed a piece at a time, with the rules of
/// [`Image::Base64`](crate::request::Image::Base64): a `data:…;base64,`
/// prefix (recognised in the first piece) and ASCII whitespace are removed;
/// anything else outside `A-Z a-z 0-9 + /` is refused with its position in
/// the cleaned text, `=` is allowed only as up to two characters of padding
/// at the end, the length must be a multiple of 4, and the cleaned text at
/// most `max` bytes.
#[derive(Debug, Clone)]
pub struct Cleaner {
    max: usize,
    started: bool,
    /// Cleaned characters so far, padding included.
    total: usize,
    /// `=` seen since the last alphabet character, and where the first of
    /// them is in the cleaned text.
    padding: usize,
    padding_at: usize,
    /// Whether anything was removed (a prefix, whitespace).
    changed: bool,
}

impl Cleaner {
    /// A cleaner for a text of at most `max` cleaned bytes.
    pub fn new(max: usize) -> Cleaner {
        Cleaner {
            max,
            started: false,
            total: 0,
            padding: 0,
            padding_at: 0,
            changed: false,
        }
    }

    /// Feeds the next piece of the text; its cleaned characters are appended
    /// to `out`. The first error ends the text: do not feed more after one.
    pub fn push(&mut self, piece: &str, out: &mut Vec<u8>) -> Result<()> {
        let mut body = piece;
        if !self.started {
            self.started = true;
            if let Some(rest) = piece.strip_prefix("data:") {
                body = match rest.find(',') {
                    Some(i) if rest.get(..i).is_some_and(|h| h.ends_with(";base64")) => {
                        rest.get(i + 1..).unwrap_or("")
                    }
                    _ => return Err(Error::InvalidImage(
                        "image is a data: URL that is not base64 (expected data:<type>;base64,…)"
                            .into(),
                    )),
                };
                self.changed = true;
            }
        }
        out.reserve(body.len());
        for (i, &b) in body.as_bytes().iter().enumerate() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => {
                    if self.padding > 0 {
                        return Err(self.not_base64('=', self.padding_at));
                    }
                    out.push(b);
                    self.total += 1;
                }
                b'=' => {
                    if self.padding == 0 {
                        self.padding_at = self.total;
                    }
                    self.padding += 1;
                    out.push(b);
                    self.total += 1;
                }
                b' ' | b'\t' | b'\n' | b'\x0C' | b'\r' => self.changed = true,
                _ => {
                    if self.padding > 0 {
                        return Err(self.not_base64('=', self.padding_at));
                    }
                    let c = body
                        .get(i..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Err(self.not_base64(c, self.total));
                }
            }
        }
        if self.total > self.max {
            return Err(too_large(self.total, self.max));
        }
        Ok(())
    }

    fn not_base64(&self, c: char, at: usize) -> Error {
        Error::InvalidImage(format!(
            "image is not base64: found {} at position {at} (only A-Z, a-z, 0-9, '+', '/' and '=' padding)",
            validate::describe(c)
        ))
    }

    /// Whether the cleaned text differs from the text (a prefix or
    /// whitespace was removed).
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Ends the text: its cleaned length, or why it is not an image.
    pub fn finish(&self) -> Result<usize> {
        if self.total == 0 {
            return Err(Error::InvalidImage("image is empty".into()));
        }
        check_size(self.total, self.max)?;
        if self.padding > 2 || self.total % 4 != 0 {
            return Err(Error::InvalidImage(
                "image is not base64: its length is not a multiple of 4 with at most two '=' at the end"
                    .into(),
            ));
        }
        Ok(self.total)
    }
}

/// Cleans the whole of `text` (see [`Cleaner`]).
pub fn clean(text: &str, max: usize) -> Result<String> {
    let mut cleaner = Cleaner::new(max);
    let mut out = Vec::new();
    cleaner.push(text, &mut out)?;
    cleaner.finish()?;
    // Only ASCII was kept.
    String::from_utf8(out).map_err(|_| Error::InvalidImage("image is not base64".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cleans `text` fed in pieces of `n` bytes (cut at character boundaries).
    fn in_pieces(text: &str, n: usize, max: usize) -> Result<String> {
        let mut cleaner = Cleaner::new(max);
        let mut out = Vec::new();
        let mut rest = text;
        // The data: prefix must be in the first piece.
        let first = if text.starts_with("data:") {
            text.find(',').map_or(text.len(), |i| i + 1)
        } else {
            0
        };
        let mut take = first.max(n);
        while !rest.is_empty() {
            let mut cut = take.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            let (piece, tail) = rest.split_at(cut);
            cleaner.push(piece, &mut out)?;
            rest = tail;
            take = n;
        }
        cleaner.finish()?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// The cleaning as it was before it went piece by piece: the oracle.
    fn reference(text: &str) -> Result<String> {
        let body =
            match text.strip_prefix("data:") {
                Some(rest) => match rest.find(',') {
                    Some(i) if rest.get(..i).is_some_and(|h| h.ends_with(";base64")) => {
                        rest.get(i + 1..).unwrap_or("")
                    }
                    _ => return Err(Error::InvalidImage(
                        "image is a data: URL that is not base64 (expected data:<type>;base64,…)"
                            .into(),
                    )),
                },
                None => text,
            };
        let cleaned: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if cleaned.is_empty() {
            return Err(Error::InvalidImage("image is empty".into()));
        }
        check_size(cleaned.len(), MAX_IMAGE_BASE64)?;
        let unpadded = cleaned.trim_end_matches('=');
        let padding = cleaned.len() - unpadded.len();
        if let Some((i, c)) = unpadded
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
        {
            return Err(Error::InvalidImage(format!(
                "image is not base64: found {} at position {i} (only A-Z, a-z, 0-9, '+', '/' and '=' padding)",
                validate::describe(c)
            )));
        }
        if padding > 2 || cleaned.len() % 4 != 0 {
            return Err(Error::InvalidImage(
                "image is not base64: its length is not a multiple of 4 with at most two '=' at the end"
                    .into(),
            ));
        }
        Ok(cleaned)
    }

    #[test]
    fn pieces_give_what_the_whole_gives() {
        let cases = [
            "data:image/jpeg;base64,/9j/\r\n4A==",
            " /9j/4A== ",
            "",
            "data:image/png,abc",
            "ab$d",
            "abcde",
            "ab===",
            "ab=c",
            "ab= =",
            "ab\n=\n=",
            "abc=\t",
            "AAAA\u{00e9}AAA",
            "AA\u{1F600}A",
            "AAAA=\u{00e9}",
            "data:;base64,",
            "   ",
            "QUJD",
            "QUJDRA==",
        ];
        for text in cases {
            let whole = clean(text, MAX_IMAGE_BASE64);
            assert_eq!(whole, reference(text), "{text:?}");
            for n in [1, 2, 3, 5, 7, 64] {
                assert_eq!(
                    in_pieces(text, n, MAX_IMAGE_BASE64),
                    whole,
                    "{text:?} in pieces of {n}"
                );
            }
        }
    }

    #[test]
    fn errors_name_the_position_in_the_cleaned_text() {
        let e = clean("AB\r\nC$", MAX_IMAGE_BASE64).unwrap_err();
        assert_eq!(e.code(), "INVALID_IMAGE");
        assert!(
            e.message().contains("found '$' at position 3"),
            "{}",
            e.message()
        );
        let e = clean("AB=C", MAX_IMAGE_BASE64).unwrap_err();
        assert!(
            e.message().contains("found '=' at position 2"),
            "{}",
            e.message()
        );
        let e = clean("AAAA\u{00e9}", MAX_IMAGE_BASE64).unwrap_err();
        assert!(
            e.message().contains("U+00E9 at position 4"),
            "{}",
            e.message()
        );
        assert!(!Cleaner::new(8).changed());
    }

    #[test]
    fn limits() {
        assert_eq!(clean("AAAAAAAA", 8).unwrap(), "AAAAAAAA");
        let e = clean("AAAAAAAAAAAA", 8).unwrap_err();
        assert_eq!(e.code(), "IMAGE_TOO_LARGE");
        assert!(e.message().contains("maxImageBytes"), "{}", e.message());
        let e = too_large(MAX_IMAGE_BASE64 + 4, MAX_IMAGE_BASE64);
        assert_eq!(
            e.message(),
            "image is 20.0 MB as base64; the service takes at most 20 MB: resize or recompress it"
        );
        let e = too_large(5 << 20, 4 << 20);
        assert!(e
            .message()
            .ends_with("takes (maxImageBytes) at most 4 MB: resize or recompress it"));
        assert!(check_size(8, 8).is_ok());
    }

    #[test]
    fn cleaner_reports_changes() {
        let mut c = Cleaner::new(64);
        let mut out = Vec::new();
        c.push("QUJD", &mut out).unwrap();
        assert!(!c.changed());
        c.push("\nRA==", &mut out).unwrap();
        assert!(c.changed());
        assert_eq!(c.finish().unwrap(), 8);
        assert_eq!(out, b"QUJDRA==");
    }

    #[test]
    fn encoding_in_pieces() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let whole = base64_simd::STANDARD.encode_to_string(&bytes);
        let mut out = Vec::new();
        for piece in bytes.chunks(3 * 17) {
            encode_piece(piece, &mut out);
        }
        assert_eq!(String::from_utf8(out).unwrap(), whole);
        assert_eq!(encoded_len(1000), whole.len());
        assert_eq!(ENCODE_PIECE % 3, 0);
    }
}
