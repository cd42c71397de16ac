//! Photos and videos in answers: base64 decoding and type sniffing.

use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine as _;

use crate::error::{Error, Result};

/// Standard alphabet; padding optional, as some answers leave it out.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
    // the common case. Anything else takes the lenient scalar path, which
    // also produces the precise error.
    if let Ok(bytes) = base64_simd::STANDARD.decode_to_vec(text) {
        return Ok(bytes);
    }
    let invalid =
        |e: base64::DecodeError| Error::InvalidMedia(format!("{field} is not valid base64: {e}"));
    if !text.iter().any(|b| b.is_ascii_whitespace()) {
        return LENIENT.decode(text).map_err(invalid);
    }
    let cleaned: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    LENIENT.decode(cleaned).map_err(invalid)
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
    }
}
