//! Photos and videos in answers: base64 decoding and type sniffing.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// The MIME type of `bytes` from its magic numbers: JPEG, PNG, MP4 (an
/// `ftyp` box), BMP, GIF; `application/octet-stream` otherwise.
pub fn sniff(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => "video/mp4",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        [b'B', b'M', ..] => "image/bmp",
        _ => "application/octet-stream",
    }
}

/// Decodes the base64 of media field `field`. Line breaks and spaces are
/// ignored; anything else outside the alphabet is [`Error::InvalidMedia`].
pub fn decode(field: &str, text: &str) -> Result<Vec<u8>> {
    decode_bytes(field, text.as_bytes())
}

/// [`decode`] over the base64 text's bytes.
pub fn decode_bytes(field: &str, text: &[u8]) -> Result<Vec<u8>> {
    // SIMD first (simd128 in WebAssembly): padding required, no whitespace,
    // the common case. Anything else takes the lenient path: whitespace
    // removed, padding optional (some answers leave it out).
    if let Ok(bytes) = base64_simd::STANDARD.decode_to_vec(text) {
        return Ok(bytes);
    }
    let cleaned: Cow<'_, [u8]> = if text.iter().any(u8::is_ascii_whitespace) {
        Cow::Owned(
            text.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    let decoded = if cleaned.len() % 4 == 0 {
        base64_simd::STANDARD.decode_to_vec(&*cleaned)
    } else {
        base64_simd::STANDARD_NO_PAD.decode_to_vec(&*cleaned)
    };
    decoded.map_err(|_| {
        Error::InvalidMedia(format!(
            "{field} is not valid base64: {}",
            what_is_wrong(&cleaned)
        ))
    })
}

/// Why `text` (without whitespace) is not base64, padding optional.
fn what_is_wrong(text: &[u8]) -> String {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let data = text.len() - text.iter().rev().take_while(|&&b| b == b'=').count();
    if let Some((i, b)) = text
        .iter()
        .enumerate()
        .find(|&(i, &b)| !alphabet(b) && (b != b'=' || i < data))
    {
        return if *b == b'=' {
            format!("'=' at offset {i} (padding goes only at the end)")
        } else {
            format!("byte {b} at offset {i} is outside A-Z, a-z, 0-9, '+' and '/'")
        };
    }
    if data % 4 == 1 || text.len() - data > 2 || (data != text.len() && text.len() % 4 != 0) {
        return format!(
            "its length ({} without whitespace) or padding is wrong",
            text.len()
        );
    }
    "its last character has bits set past the data's end".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_numbers() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), "image/jpeg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), "image/png");
        assert_eq!(sniff(b"\0\0\0\x18ftypisom"), "video/mp4");
        assert_eq!(sniff(b"GIF89a"), "image/gif");
        assert_eq!(sniff(b"BM\0\0"), "image/bmp");
        assert_eq!(sniff(b"hello"), "application/octet-stream");
        assert_eq!(sniff(&[]), "application/octet-stream");
    }

    #[test]
    fn decodes_lenient_padding_and_line_breaks() {
        assert_eq!(
            decode("photo", "/9j/4A==").unwrap(),
            [0xFF, 0xD8, 0xFF, 0xE0]
        );
        assert_eq!(decode("photo", "/9j/4A").unwrap(), [0xFF, 0xD8, 0xFF, 0xE0]);
        assert_eq!(
            decode("photo", "/9j/\r\n4A==").unwrap(),
            [0xFF, 0xD8, 0xFF, 0xE0]
        );
        let e = decode("video", "**").unwrap_err();
        assert_eq!(e.code(), "INVALID_MEDIA");
        assert!(e.message().starts_with("video "));
        // Each failure says what is wrong.
        let message = |text: &str| decode("photo", text).unwrap_err().message().to_owned();
        assert_eq!(
            message("/9j*4A=="),
            "photo is not valid base64: byte 42 at offset 3 is outside A-Z, a-z, 0-9, '+' and '/'"
        );
        assert_eq!(
            message("/9=j4A=="),
            "photo is not valid base64: '=' at offset 2 (padding goes only at the end)"
        );
        assert_eq!(
            message("/9j/4"),
            "photo is not valid base64: its length (5 without whitespace) or padding is wrong"
        );
        assert_eq!(
            message("/9j/4A="),
            "photo is not valid base64: its length (7 without whitespace) or padding is wrong"
        );
        assert_eq!(
            message("/9j/4B=="),
            "photo is not valid base64: its last character has bits set past the data's end"
        );
        // Canonical padding or none; both decode alike.
        assert_eq!(decode("photo", "QQ").unwrap(), b"A");
        assert_eq!(decode("photo", "QQ==").unwrap(), b"A");
        assert_eq!(decode("photo", "").unwrap(), b"");
    }
}
