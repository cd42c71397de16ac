//! Input rules, checked before anything is signed or sent.
//!
//! Each check returns the matching [`Error`] variant with a message that says
//! what to fix. Secret inputs (tickets) are never quoted back; other inputs
//! may have their offending character and its position named.

use crate::error::{Error, Result};

/// Longest accepted `orderNo`, in characters (the service's limit).
pub const ORDER_NO_MAX: usize = 32;
/// Exact length of a `nonce`.
pub const NONCE_LEN: usize = 32;
/// Longest accepted `version`, in bytes (the service's field width).
pub const VERSION_MAX: usize = 20;
/// Longest accepted `appId`, in bytes (App IDs are a few characters).
pub const APP_ID_MAX: usize = 64;
/// Longest accepted SIGN or NONCE ticket, in bytes (tickets are 64).
pub const TICKET_MAX: usize = 512;
/// Longest accepted `secret`, in bytes.
pub const SECRET_MAX: usize = 512;
/// Longest accepted base URL (`serverUrl`, `kycUrl`), in bytes.
pub const URL_MAX: usize = 2048;
/// Longest accepted value of any other string option (`cardType`,
/// `getFile`, a request kind…), in bytes.
pub const OPTION_MAX: usize = 256;
/// Largest total length of the values given to `signValues` or
/// `verifySign`, in UTF-16 code units (JavaScript's `.length`).
pub const SIGN_VALUES_MAX: usize = 1 << 20;

/// The longest value accepted for the input named `field` (an option or
/// argument name such as `"orderNo"`), in bytes: the limit of its rule.
pub fn max_len(field: &str) -> usize {
    match field {
        "orderNo" => ORDER_NO_MAX,
        "nonce" => NONCE_LEN,
        "version" => VERSION_MAX,
        "userId" => USER_ID_MAX,
        "appId" => APP_ID_MAX,
        "ticket" => TICKET_MAX,
        "secret" => SECRET_MAX,
        "serverUrl" | "kycUrl" | "loginUrl" | "callbackUrl" | "returnUrl" => URL_MAX,
        _ => OPTION_MAX,
    }
}

/// Refuses an input by its length alone, before it is read: `len` is its
/// length in UTF-16 code units (JavaScript's `.length`), which is never more
/// than its length in UTF-8 bytes, so this refuses only what the input's
/// full rule refuses too. `err` is the error of that rule; the message gives
/// the length, never the value.
pub fn check_len(field: &str, len: usize, err: fn(String) -> Error) -> Result<()> {
    let max = max_len(field);
    if len > max {
        let advice = if field == "userId" {
            format!(": {USER_ID_ADVICE}")
        } else {
            String::new()
        };
        return Err(err(format!(
            "{field} must be at most {max} characters; got {len}{advice}"
        )));
    }
    Ok(())
}

/// Finds the first character that fails `ok`, with its 0-based position.
fn first_bad(s: &str, ok: impl Fn(char) -> bool) -> Option<(usize, char)> {
    s.chars().enumerate().find(|&(_, c)| !ok(c))
}

/// Describes a character for a message: printable ASCII quoted, anything
/// else (spaces, controls, non-ASCII) as `U+XXXX`, so nothing invisible is
/// printed raw. (No `{:?}`: its Unicode tables would cost kilobytes of wasm.)
pub fn describe(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// Quotes a short printable-ASCII string for a message, or describes it by
/// length when it is long or has anything else in it.
pub fn quote(s: &str) -> String {
    if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        format!("\"{s}\"")
    } else {
        format!("a string of {} characters", s.chars().count())
    }
}

/// Byte classes for the fast paths: bit 0 = ASCII letter or digit, bit 1 =
/// printable ASCII other than space.
// Evaluated at compile time: an out-of-range index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = (c.is_ascii_alphanumeric() as u8) | ((c.is_ascii_graphic() as u8) << 1);
        b += 1;
    }
    t
};

/// True when every byte has all the bits of `class`: one table lookup per
/// byte, no early exit, so the loop stays branch-free.
fn all_in_class(value: &str, class: u8) -> bool {
    value.bytes().fold(class, |acc, b| {
        acc & CLASS.get(usize::from(b)).copied().unwrap_or(0)
    }) == class
}

/// True when every byte is printable ASCII other than space (the fast path
/// of the "no whitespace or control characters" rule).
fn all_graphic(value: &str) -> bool {
    all_in_class(value, 2)
}

/// True when every byte is an ASCII letter or digit.
fn all_alphanumeric(value: &str) -> bool {
    all_in_class(value, 1)
}

/// Describes the first byte that is not printable ASCII (for messages that
/// may name it), or `None`.
fn first_not_graphic(value: &str) -> Option<(usize, char)> {
    first_bad(value, |c| c.is_ascii_graphic())
}

/// Checks an `appId`: 1 to 64 bytes of printable ASCII without spaces (App IDs are
/// ASCII; an invisible U+200B or U+FEFF pasted along would silently change
/// every signature).
pub fn app_id(value: &str) -> Result<()> {
    if !value.is_empty() && value.len() <= APP_ID_MAX && all_graphic(value) {
        return Ok(());
    }
    if value.len() > APP_ID_MAX {
        return check_len("appId", value.len(), Error::InvalidAppId);
    }
    if value.is_empty() {
        return Err(Error::InvalidAppId(
            "appId must be the non-empty App ID assigned by Tencent Cloud".into(),
        ));
    }
    let (i, c) = first_not_graphic(value).unwrap_or((0, ' '));
    Err(Error::InvalidAppId(format!(
        "appId may contain only printable ASCII without spaces; found {} at position {i}",
        describe(c)
    )))
}

/// Checks an `orderNo`: 1 to 32 ASCII letters or digits.
pub fn order_no(value: &str) -> Result<()> {
    if !value.is_empty() && value.len() <= ORDER_NO_MAX && all_alphanumeric(value) {
        return Ok(());
    }
    if value.is_empty() {
        return Err(Error::InvalidOrderNo(
            "orderNo must not be empty; use 1 to 32 ASCII letters or digits".into(),
        ));
    }
    if let Some((i, c)) = first_bad(value, |c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidOrderNo(format!(
            "orderNo may contain only ASCII letters and digits; found {} at position {i}",
            describe(c)
        )));
    }
    if value.len() > ORDER_NO_MAX {
        return Err(Error::InvalidOrderNo(format!(
            "orderNo must be at most {ORDER_NO_MAX} characters; got {}",
            value.len()
        )));
    }
    Ok(())
}

/// Checks a `nonce`: exactly 32 ASCII letters or digits.
pub fn nonce(value: &str) -> Result<()> {
    if value.len() == NONCE_LEN && all_alphanumeric(value) {
        return Ok(());
    }
    if let Some((i, c)) = first_bad(value, |c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidNonce(format!(
            "nonce may contain only ASCII letters and digits; found {} at position {i} (use nonce() to make one)",
            describe(c)
        )));
    }
    if value.len() != NONCE_LEN {
        return Err(Error::InvalidNonce(format!(
            "nonce must be exactly {NONCE_LEN} letters or digits; got {} (use nonce() to make one)",
            value.len()
        )));
    }
    Ok(())
}

/// Checks a SIGN or NONCE ticket: 1 to 512 bytes of printable ASCII without
/// spaces.
/// The message never contains the ticket or any of its characters.
pub fn ticket(value: &str) -> Result<()> {
    if !value.is_empty() && value.len() <= TICKET_MAX && all_graphic(value) {
        return Ok(());
    }
    if value.len() > TICKET_MAX {
        return check_len("ticket", value.len(), Error::InvalidTicket);
    }
    if value.is_empty() {
        return Err(Error::InvalidTicket(
            "ticket must be the non-empty SIGN ticket from api_ticket".into(),
        ));
    }
    Err(Error::InvalidTicket(
        "ticket may contain only printable ASCII without spaces (check for a line break, a space or an invisible character pasted along); pass the value exactly as api_ticket returned it".into(),
    ))
}

/// Checks a `version`: non-empty printable ASCII without spaces, at most 20
/// bytes.
pub fn version(value: &str) -> Result<()> {
    if !value.is_empty() && value.len() <= VERSION_MAX && all_graphic(value) {
        return Ok(());
    }
    if value.is_empty() {
        return Err(Error::InvalidVersion(
            "version must not be empty; leave it out to use \"1.0.0\"".into(),
        ));
    }
    if let Some((i, c)) = first_not_graphic(value) {
        return Err(Error::InvalidVersion(format!(
            "version may contain only printable ASCII without spaces; found {} at position {i}",
            describe(c)
        )));
    }
    Err(Error::InvalidVersion(format!(
        "version must be at most {VERSION_MAX} bytes; got {}",
        value.len()
    )))
}

/// Longest accepted `userId` in a request body: "32位以内，不包含特殊字符"
/// (the SDK signature page, 1007/63359) and "不能超过32位" (getAdvFaceId).
pub const USER_ID_MAX: usize = 32;
/// Longest accepted `userId` where a NONCE ticket follows (the face page,
/// the App SDKs): the NONCE ticket page gives `user_id` a length of 30
/// (1007/57614), and so do the Android SDKs' `openApiUserId`.
pub const NONCE_USER_ID_MAX: usize = 30;

/// What to do with a user id that is not letters and digits.
const USER_ID_ADVICE: &str = "an e-mail address, a UUID or any other id with other characters must be hashed first, for example the first 30 hex digits of its SHA-256";

/// Checks a `userId`: 1 to `max` ASCII letters or digits. Every page that
/// defines it says "不能带有特殊字符" / "不包含特殊字符" (no special
/// characters) and none names one as allowed, so only letters and digits
/// are accepted: the one reading the service cannot refuse.
pub fn user_id(value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidUserId(format!(
            "userId must not be empty; use 1 to {max} ASCII letters or digits"
        )));
    }
    if let Some((i, c)) = first_bad(value, |c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidUserId(format!(
            "userId may contain only ASCII letters and digits (the service allows no special characters); found {} at position {i}: {USER_ID_ADVICE}",
            describe(c)
        )));
    }
    if value.len() > max {
        return Err(Error::InvalidUserId(format!(
            "userId must be at most {max} characters; got {}: {USER_ID_ADVICE}",
            value.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_no_rules() {
        assert!(order_no("aabc1457895464").is_ok());
        assert!(order_no(&"a".repeat(32)).is_ok());
        assert_eq!(order_no("").unwrap_err().code(), "INVALID_ORDER_NO");
        let e = order_no(&"a".repeat(33)).unwrap_err();
        assert!(e.message().contains("at most 32"), "{e}");
        let e = order_no("order-1").unwrap_err();
        assert!(e.message().contains("'-' at position 5"), "{e}");
        let e = order_no("order 1").unwrap_err();
        assert!(e.message().contains("U+0020"), "{e}");
        let e = order_no("订单").unwrap_err();
        assert!(e.message().contains("U+8BA2"), "{e}");
        assert_eq!(quote("portrait"), "\"portrait\"");
        assert_eq!(quote("a\nb"), "a string of 3 characters");
        assert!(order_no("订单1").is_err());
    }

    #[test]
    fn nonce_rules() {
        assert!(nonce("kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T").is_ok());
        assert_eq!(nonce("short").unwrap_err().code(), "INVALID_NONCE");
        assert!(nonce(&"a".repeat(33)).is_err());
        assert!(nonce("kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7_").is_err());
        assert!(nonce("").is_err());
    }

    #[test]
    fn ticket_rules_never_echo_the_ticket() {
        assert!(ticket("FxlAe3HFtEy73Um0pJNzIUriwtfnS3KR").is_ok());
        assert_eq!(ticket("").unwrap_err().code(), "INVALID_TICKET");
        let secret = "SECRETxyz SECRETabc";
        let e = ticket(secret).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(ticket("abc\n").is_err());
        // Invisible characters pasted along with a ticket are refused.
        assert!(ticket("\u{FEFF}abc").is_err());
        assert!(ticket("ab\u{200B}c").is_err());
    }

    #[test]
    fn user_id_rules() {
        assert!(user_id("userID19959248596551", USER_ID_MAX).is_ok());
        for bad in [
            "user_01",
            "user-01",
            "a@b.example",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
        ] {
            let e = user_id(bad, USER_ID_MAX).unwrap_err();
            assert_eq!(e.code(), "INVALID_USER_ID");
            assert!(e.message().contains("SHA-256"), "{e}");
        }
        assert!(user_id(&"a".repeat(33), USER_ID_MAX)
            .unwrap_err()
            .message()
            .contains("hashed"));
        assert_eq!(user_id("", 32).unwrap_err().code(), "INVALID_USER_ID");
        assert!(user_id("a b", 32).is_err());
        assert!(user_id("a@b", 32).is_err());
        assert!(user_id(&"a".repeat(31), NONCE_USER_ID_MAX).is_err());
        assert!(user_id(&"a".repeat(30), NONCE_USER_ID_MAX).is_ok());
    }

    #[test]
    fn lengths_are_refused_before_reading() {
        assert!(app_id(&"A".repeat(APP_ID_MAX)).is_ok());
        let e = app_id(&"A".repeat(APP_ID_MAX + 1)).unwrap_err();
        assert_eq!(e.code(), "INVALID_APP_ID");
        assert!(e.message().contains("at most 64 characters; got 65"), "{e}");
        assert!(ticket(&"T".repeat(TICKET_MAX)).is_ok());
        let e = ticket(&"T".repeat(TICKET_MAX + 1)).unwrap_err();
        assert_eq!(e.code(), "INVALID_TICKET");
        assert!(!e.message().contains("TT"), "{e}");
        for (field, max, code, err) in [
            (
                "orderNo",
                ORDER_NO_MAX,
                "INVALID_ORDER_NO",
                Error::InvalidOrderNo as fn(String) -> Error,
            ),
            ("nonce", NONCE_LEN, "INVALID_NONCE", Error::InvalidNonce),
            (
                "version",
                VERSION_MAX,
                "INVALID_VERSION",
                Error::InvalidVersion,
            ),
            (
                "userId",
                USER_ID_MAX,
                "INVALID_USER_ID",
                Error::InvalidUserId,
            ),
            ("appId", APP_ID_MAX, "INVALID_APP_ID", Error::InvalidAppId),
            ("ticket", TICKET_MAX, "INVALID_TICKET", Error::InvalidTicket),
            ("secret", SECRET_MAX, "INVALID_OPTION", Error::InvalidOption),
            ("serverUrl", URL_MAX, "INVALID_URL", Error::InvalidUrl),
            (
                "cardType",
                OPTION_MAX,
                "INVALID_OPTION",
                Error::InvalidOption,
            ),
        ] {
            assert_eq!(max_len(field), max);
            assert!(check_len(field, max, err).is_ok(), "{field}");
            let e = check_len(field, 200_000_000, err).unwrap_err();
            assert_eq!(e.code(), code);
            assert!(
                e.message().starts_with(&format!(
                    "{field} must be at most {max} characters; got 200000000"
                )),
                "{e}"
            );
        }
        // Whatever check_len refuses, the full rule refuses too.
        assert!(order_no(&"a".repeat(ORDER_NO_MAX + 1)).is_err());
        assert!(nonce(&"a".repeat(NONCE_LEN + 1)).is_err());
        assert!(version(&"1".repeat(VERSION_MAX + 1)).is_err());
        assert!(user_id(&"a".repeat(USER_ID_MAX + 1), USER_ID_MAX).is_err());
    }

    #[test]
    fn byte_classes_match_the_std_predicates() {
        for b in 0..=255u8 {
            let s = [b];
            if let Ok(s) = core::str::from_utf8(&s) {
                assert_eq!(all_alphanumeric(s), b.is_ascii_alphanumeric(), "{b}");
                assert_eq!(all_graphic(s), b.is_ascii_graphic(), "{b}");
            }
        }
        assert!(all_alphanumeric("") && all_graphic(""));
        assert!(!all_alphanumeric("abc-"));
        assert!(!all_graphic("身"));
    }

    #[test]
    fn app_id_and_version_rules() {
        assert!(app_id("IDAXXXXX").is_ok());
        assert_eq!(app_id("").unwrap_err().code(), "INVALID_APP_ID");
        assert!(app_id("ID A").is_err());
        assert!(app_id("IDA\u{200B}").is_err());
        assert!(version("1.0.0\u{FEFF}").is_err());
        assert!(version("1.0.0").is_ok());
        assert_eq!(version("").unwrap_err().code(), "INVALID_VERSION");
        assert!(version("1.0 .0").is_err());
        assert!(version(&"1".repeat(21)).is_err());
    }
}
