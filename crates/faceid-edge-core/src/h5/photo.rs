//! The comparison photo of a face verification (`sourcePhotoStr`): at most
//! 500 KB of JPEG, PNG or BMP.

use super::SOURCE_PHOTO_MAX;
use crate::error::{Error, Result};
use crate::media;
use crate::request::Image;
use crate::validate;

/// The comparison photo of a face verification.
#[derive(Debug, Clone, Copy)]
pub struct SourcePhoto<'a> {
    /// The photo (JPEG, PNG or BMP, at most 500 KB).
    pub image: Image<'a>,
    /// `"1"`: a watermarked photo; `"2"` (default): a high-definition photo.
    pub photo_type: &'a str,
}

/// Cleans and checks a comparison photo: base64 text out, at most 500 KB
/// of JPEG, PNG or BMP in.
pub fn source_photo_base64(photo: &SourcePhoto<'_>) -> Result<String> {
    if !matches!(photo.photo_type, "1" | "2") {
        return Err(Error::InvalidOption(format!(
            "sourcePhotoType must be \"1\" (watermarked photo) or \"2\" (high-definition photo); got {}",
            validate::quote(photo.photo_type)
        )));
    }
    if let Image::Bytes(bytes) = photo.image {
        check_photo(bytes.len(), bytes)?;
    }
    let text = photo.image.to_base64().map_err(|e| match e {
        Error::InvalidImage(m) | Error::ImageTooLarge(m) => {
            Error::InvalidImage(format!("sourcePhoto: {m}"))
        }
        other => other,
    })?;
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count();
    let size = text.len() / 4 * 3 - padding;
    let head = media::decode("sourcePhoto", text.get(..16.min(text.len())).unwrap_or(""))
        .unwrap_or_default();
    check_photo(size, &head)?;
    Ok(text)
}

/// The error for a comparison photo of `size` bytes, past 500 KB.
pub fn photo_too_large(size: usize) -> Error {
    Error::ImageTooLarge(format!(
        "sourcePhoto is {} KB; the service takes at most 500 KB: resize or recompress it",
        size.div_ceil(1024)
    ))
}

fn check_photo(size: usize, head: &[u8]) -> Result<()> {
    if size > SOURCE_PHOTO_MAX {
        return Err(photo_too_large(size));
    }
    // The getAdvFaceId page lists JPG, PNG and BMP.
    match media::sniff(head) {
        "image/jpeg" | "image/png" | "image/bmp" => Ok(()),
        _ => Err(Error::InvalidImage(
            "sourcePhoto must be a JPEG, PNG or BMP image".into(),
        )),
    }
}
