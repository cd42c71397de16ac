//! The ID card image of an OCR call, made ready a window at a time: base64
//! text is cleaned, raw bytes are encoded, and the result is ASCII bytes in
//! a JavaScript `Uint8Array` (outside the JavaScript heap). No more than a
//! window (a few tens of kilobytes) of the image is ever in wasm memory,
//! which never shrinks: a 20 MB upload leaves it as it was.

use js_sys::{JsString, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{base64_length, bind_memory_once, string_length, write_string_slice};
use crate::error::Error;
use crate::image_text::{check_size, encode_piece, encoded_len, Cleaner, ENCODE_PIECE};

/// UTF-16 units of text read per window (at most three bytes each in UTF-8).
const TEXT_WINDOW: u32 = 16 * 1024;

/// Cleans base64 text (a JavaScript string: a `data:` prefix and whitespace
/// removed, alphabet, padding and size checked) into ASCII bytes. Text
/// over `max` is refused by its length, counted in JavaScript, before any
/// of it is read.
pub(super) fn clean_text(text: &JsValue, max: usize) -> Result<Uint8Array, Error> {
    let len = string_length(text);
    if len as usize > max {
        // Base64 folded into lines is a few percent longer than clean;
        // text over twice the limit is refused by its length alone.
        let size = if len as usize > 2 * max {
            len
        } else {
            base64_length(text)
        };
        check_size(size as usize, max)?;
    }
    bind_memory_once();
    let text: &JsString = text.unchecked_ref();
    let out = Uint8Array::new_with_length(len.min(max as u32));
    let mut cleaner = Cleaner::new(max);
    let mut window = vec![0u8; TEXT_WINDOW as usize * 3];
    let mut cleaned = Vec::with_capacity(TEXT_WINDOW as usize);
    let mut written = 0u32;
    let mut start = 0u32;
    while start < len {
        let mut end = (start + TEXT_WINDOW).min(len);
        // Never split a surrogate pair between two windows.
        if end < len && (0xD800..=0xDBFF).contains(&(text.char_code_at(end - 1) as u32)) {
            end -= 1;
        }
        let n = write_string_slice(
            text,
            start,
            end,
            window.as_mut_ptr() as usize as u32,
            window.len() as u32,
        );
        let bytes = usize::try_from(n)
            .ok()
            .and_then(|n| window.get(..n))
            .ok_or_else(|| Error::InvalidImage("image could not be read".into()))?;
        // encodeInto writes UTF-8 (a lone surrogate as U+FFFD).
        let piece = core::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidImage("image is not base64".into()))?;
        cleaned.clear();
        cleaner.push(piece, &mut cleaned)?;
        write_out(&out, written, &cleaned)?;
        written += cleaned.len() as u32;
        start = end;
    }
    let total = cleaner.finish()?;
    Ok(out.subarray(0, total as u32))
}

/// Encodes raw image bytes as base64 into ASCII bytes. Refused before
/// anything is read when empty or when their base64 would pass `max`.
pub(super) fn encode_bytes(bytes: &Uint8Array, max: usize) -> Result<Uint8Array, Error> {
    let len = bytes.length() as usize;
    if len == 0 {
        return Err(Error::InvalidImage("image is empty".into()));
    }
    let size = encoded_len(len);
    check_size(size, max)?;
    let out = Uint8Array::new_with_length(size as u32);
    let mut window = vec![0u8; ENCODE_PIECE];
    let mut encoded = Vec::with_capacity(encoded_len(ENCODE_PIECE));
    let mut written = 0u32;
    let mut start = 0usize;
    while start < len {
        let end = (start + ENCODE_PIECE).min(len);
        let piece = window
            .get_mut(..end - start)
            .ok_or_else(|| Error::InvalidImage("image could not be read".into()))?;
        bytes.subarray(start as u32, end as u32).copy_to(piece);
        encoded.clear();
        encode_piece(piece, &mut encoded);
        write_out(&out, written, &encoded)?;
        written += encoded.len() as u32;
        start = end;
    }
    Ok(out)
}

/// Copies `piece` into `out` at `at`.
fn write_out(out: &Uint8Array, at: u32, piece: &[u8]) -> Result<(), Error> {
    let end = at as usize + piece.len();
    if end > out.length() as usize {
        return Err(Error::InvalidImage("image is larger than announced".into()));
    }
    out.subarray(at, end as u32).copy_from(piece);
    Ok(())
}
