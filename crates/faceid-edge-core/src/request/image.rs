//! The image of an ID card OCR call: its side, its bytes or base64 text,
//! and the size limit.

use super::MAX_IMAGE_BASE64;
use crate::error::{Error, Result};

/// The ID card side an image shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    /// The portrait side (人像面): `cardType` `"0"`.
    Portrait,
    /// The national emblem side (国徽面): `cardType` `"1"`.
    Emblem,
}

impl CardType {
    /// Parses the JavaScript option: `"portrait"` or `"emblem"`.
    pub fn from_name(name: &str) -> Option<CardType> {
        match name {
            "portrait" => Some(CardType::Portrait),
            "emblem" => Some(CardType::Emblem),
            _ => None,
        }
    }

    /// The value sent as `cardType`.
    pub fn param(self) -> &'static str {
        match self {
            CardType::Portrait => "0",
            CardType::Emblem => "1",
        }
    }
}

/// An image for ID card OCR.
#[derive(Debug, Clone, Copy)]
pub enum Image<'a> {
    /// Raw image bytes (encoded to base64 here).
    Bytes(&'a [u8]),
    /// Base64 text; a `data:…;base64,` prefix and whitespace are removed.
    Base64(&'a str),
}

impl Image<'_> {
    /// The base64 text to send: checked, cleaned, at most 20 MB.
    pub fn to_base64(self) -> Result<String> {
        match self {
            Image::Bytes(bytes) => {
                if bytes.is_empty() {
                    return Err(Error::InvalidImage("image is empty".into()));
                }
                let encoded_len = bytes.len().div_ceil(3) * 4;
                check_image_size(encoded_len)?;
                Ok(base64_simd::STANDARD.encode_to_string(bytes))
            }
            Image::Base64(text) => crate::image_text::clean(text, MAX_IMAGE_BASE64),
        }
    }
}

/// `bytes` in MB with one decimal, without float formatting (which would
/// add kilobytes of wasm).
pub fn megabytes(bytes: usize) -> String {
    let tenths = (bytes * 10 + 524_288) / 1_048_576;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Fails with [`Error::ImageTooLarge`] past 20 MB of base64.
pub fn check_image_size(encoded_len: usize) -> Result<()> {
    crate::image_text::check_size(encoded_len, MAX_IMAGE_BASE64)
}

/// The inputs of an ID card OCR call (`POST /api/paas/idcardocrapp`).
#[derive(Debug, Clone, Copy)]
pub struct IdCardOcrInput<'a> {
    /// The partner's order number.
    pub order_no: &'a str,
    /// Which side of the card the image shows.
    pub card_type: CardType,
    /// The image.
    pub image: Image<'a>,
    /// The user's id, optional.
    pub user_id: Option<&'a str>,
}
