//! The SIGN-type signature: sort the values, concatenate, SHA-1, upper hex.
//!
//! [`sign_values`] is the generic recipe used by every call of the partner
//! APIs (result queries, H5 login, callback checks); [`sign`] is the
//! five-value signature of the result queries, with validation; and
//! [`verify_sign`] checks a signature received from elsewhere in constant time.

use sha1::digest::generic_array::GenericArray;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::Result;
use crate::validate;

/// The `version` used when none is given.
pub const DEFAULT_VERSION: &str = "1.0.0";

/// Length of a signature in hex characters.
pub const SIGN_LEN: usize = 40;

/// A signature: 40 uppercase hexadecimal ASCII bytes.
pub type SignBytes = [u8; SIGN_LEN];

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// SHA-1 initial state (FIPS 180-4 §5.3.1).
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// Messages up to this many bytes (after padding) are hashed in one pass over
/// a stack buffer; longer ones are streamed. 256 bytes cover the result-query
/// signature (about 125 bytes) and the H5 login signature (about 190).
const ONE_PASS: usize = 256;

/// Signs a mutable slice of values in place: sorts them by code point, hashes
/// their concatenation and writes 40 uppercase hex bytes.
///
/// This is the allocation-free core of [`sign_values`]. Sorting `&str` by its
/// UTF-8 bytes is exactly code-point order (uppercase before lowercase, no
/// locale, no case folding).
pub fn sign_slice(values: &mut [&str]) -> SignBytes {
    sort_code_points(values);
    let digest = one_pass(values).unwrap_or_else(|| streamed(values));
    let mut out = [0u8; SIGN_LEN];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
        if let [hi, lo] = pair {
            *hi = hex_digit(byte >> 4);
            *lo = hex_digit(byte & 0x0f);
        }
    }
    out
}

/// Sorts by code point (UTF-8 byte order). Insertion sort: the lists are a
/// handful of values, and the standard sort's generic machinery costs 14 KB
/// of wasm. Most pairs differ in their first byte, compared inline.
fn sort_code_points(values: &mut [&str]) {
    let greater = |a: &str, b: &str| match a.as_bytes().first().cmp(&b.as_bytes().first()) {
        core::cmp::Ordering::Equal => a > b,
        other => other == core::cmp::Ordering::Greater,
    };
    for i in 1..values.len() {
        let mut j = i;
        while j > 0 {
            match (values.get(j - 1), values.get(j)) {
                (Some(a), Some(b)) if greater(a, b) => values.swap(j - 1, j),
                _ => break,
            }
            j -= 1;
        }
    }
}

/// SHA-1 of the concatenation through the streaming hasher.
fn streamed(values: &[&str]) -> [u8; 20] {
    let mut hasher = Sha1::new();
    for v in values {
        hasher.update(v.as_bytes());
    }
    hasher.finalize().into()
}

/// SHA-1 of the concatenation, padded by hand in a stack buffer and
/// compressed in one call: short messages skip the streaming hasher's
/// per-update buffering. `None` when the message does not fit.
fn one_pass(values: &[&str]) -> Option<[u8; 20]> {
    let total: usize = values.iter().map(|v| v.len()).sum();
    let padded = (total + 9).div_ceil(64) * 64;
    if padded > ONE_PASS {
        return None;
    }
    let mut buf = [0u8; ONE_PASS];
    let mut pos = 0;
    for v in values {
        buf.get_mut(pos..pos + v.len())?
            .copy_from_slice(v.as_bytes());
        pos += v.len();
    }
    *buf.get_mut(pos)? = 0x80;
    let bits = (total as u64).wrapping_mul(8);
    buf.get_mut(padded - 8..padded)?
        .copy_from_slice(&bits.to_be_bytes());
    let mut state = H0;
    for block in buf.get(..padded)?.chunks_exact(64) {
        sha1::compress(
            &mut state,
            core::slice::from_ref(GenericArray::from_slice(block)),
        );
    }
    let mut digest = [0u8; 20];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    Some(digest)
}

fn hex_digit(nibble: u8) -> u8 {
    HEX_UPPER.get(usize::from(nibble)).copied().unwrap_or(b'0')
}

/// Turns signature bytes into a `String` (they are always ASCII).
pub fn sign_string(bytes: &SignBytes) -> String {
    core::str::from_utf8(bytes)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The generic signature of the partner APIs (`docs/protocol.md#signature`).
///
/// Sorts the **values** (never the keys) by code point, concatenates them
/// with no separator, and returns the SHA-1 of the UTF-8 bytes as 40
/// uppercase hex characters, leading zeros kept.
///
/// Callers drop absent (null) values before calling, as the official
/// reference does.
///
/// ```
/// let s = faceid_edge_core::sign_values([
///     "appId001",
///     "aabc1457895464",
///     "1.0.0",
///     "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S",
///     "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
/// ]);
/// assert_eq!(s, "993D057C652D97FD90D5D298F2E5DC4B8D893CBC");
/// ```
pub fn sign_values<'a, I>(values: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    let mut list: Vec<&str> = values.into_iter().collect();
    sign_string(&sign_slice(&mut list))
}

/// The five inputs of the result-query signature.
#[derive(Clone, Copy)]
pub struct SignParams<'a> {
    /// The App ID assigned by Tencent Cloud.
    pub app_id: &'a str,
    /// The partner's order number: 1 to 32 ASCII letters or digits.
    pub order_no: &'a str,
    /// The SIGN ticket (secret; never printed).
    pub ticket: &'a str,
    /// 32 ASCII letters or digits, new for every request.
    pub nonce: &'a str,
    /// The API version, normally [`DEFAULT_VERSION`].
    pub version: &'a str,
}

impl core::fmt::Debug for SignParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignParams")
            .field("app_id", &self.app_id)
            .field("order_no", &self.order_no)
            .field("ticket", &"<redacted>")
            .field("nonce", &self.nonce)
            .field("version", &self.version)
            .finish()
    }
}

impl SignParams<'_> {
    /// Checks every input, in the order a caller reads them.
    pub fn validate(&self) -> Result<()> {
        validate::app_id(self.app_id)?;
        validate::order_no(self.order_no)?;
        validate::ticket(self.ticket)?;
        validate::nonce(self.nonce)?;
        validate::version(self.version)
    }

    /// Validates, then signs, returning the raw 40 hex bytes.
    pub fn sign_bytes(&self) -> Result<SignBytes> {
        self.validate()?;
        let mut values = [
            self.app_id,
            self.order_no,
            self.version,
            self.ticket,
            self.nonce,
        ];
        Ok(sign_slice(&mut values))
    }
}

/// The SIGN signature of the result queries and of ID card OCR: validates the
/// five inputs, then signs `app_id`, `order_no`, `version`, `ticket`, `nonce`.
///
/// ```
/// use faceid_edge_core::{sign, SignParams};
/// let s = sign(&SignParams {
///     app_id: "appId001",
///     order_no: "aabc1457895464",
///     ticket: "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S",
///     nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
///     version: "1.0.0",
/// })?;
/// assert_eq!(s, "993D057C652D97FD90D5D298F2E5DC4B8D893CBC");
/// # Ok::<(), faceid_edge_core::Error>(())
/// ```
pub fn sign(params: &SignParams<'_>) -> Result<String> {
    params.sign_bytes().map(|b| sign_string(&b))
}

/// Checks `candidate` against the signature of `values`.
///
/// Case-insensitive (the service and some partners send lowercase hex) and
/// constant-time in the signature's contents. Anything that is not 40 hex
/// characters is simply not a match.
pub fn verify_sign<'a, I>(values: I, candidate: &str) -> bool
where
    I: IntoIterator<Item = &'a str>,
{
    let mut list: Vec<&str> = values.into_iter().collect();
    verify_slice(&mut list, candidate)
}

/// [`verify_sign`] over a mutable slice (sorted in place).
pub fn verify_slice(values: &mut [&str], candidate: &str) -> bool {
    let expected = sign_slice(values);
    let given = candidate.as_bytes();
    if given.len() != SIGN_LEN {
        return false;
    }
    let mut upper = [0u8; SIGN_LEN];
    for (dst, src) in upper.iter_mut().zip(given) {
        *dst = src.to_ascii_uppercase();
    }
    bool::from(expected.ct_eq(&upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICKET_1: &str = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
    const NONCE_1: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";

    #[test]
    fn official_vector_one() {
        let values = ["appId001", "aabc1457895464", "1.0.0", TICKET_1, NONCE_1];
        assert_eq!(
            sign_values(values),
            "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
        );
        let params = SignParams {
            app_id: "appId001",
            order_no: "aabc1457895464",
            ticket: TICKET_1,
            nonce: NONCE_1,
            version: DEFAULT_VERSION,
        };
        assert_eq!(
            sign(&params).unwrap(),
            "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
        );
    }

    #[test]
    fn official_vector_two() {
        let values = [
            "IDAXXXXX",
            "userID19959248596551",
            NONCE_1,
            "1.0.0",
            "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
        ];
        assert_eq!(
            sign_values(values),
            "D7606F1741DDCF90757DA924EDCF152A200AC7F0"
        );
    }

    #[test]
    fn leading_zero_byte_is_kept() {
        // Derived for this test: the SHA-1 of these values starts with 0x00.
        let values = ["appId001", "order51", "1.0.0", TICKET_1, NONCE_1];
        let s = sign_values(values);
        assert_eq!(s, "000CB94C66CA4FF046D56877BD172D4403D79EF1");
        assert_eq!(s.len(), 40);
    }

    #[test]
    fn order_is_code_point_not_utf16_or_locale() {
        // UTF-16 order would put U+1F600 before U+FF5E; code-point order does not.
        assert_eq!(
            sign_values(["\u{1F600}", "\u{FF5E}", "a"]),
            "A7640075B9C155FC2C261ABDC2A7FFA9E5D5E255"
        );
        assert_eq!(
            sign_values(["身份证", "Zeta", "alpha", "Ärger"]),
            "4FA5F752AEA31456E541160698BA1E52EF919B96"
        );
    }

    #[test]
    fn sort_matches_the_standard_sort() {
        let pool = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "1.0.0",
            "\u{1F600}",
            "\u{FF5E}",
            "Z",
            "zz",
            "a",
            "身份",
        ];
        // Every rotation and reversal of the pool, and some prefixes.
        for start in 0..pool.len() {
            for len in 0..=pool.len() {
                let mut v: Vec<&str> = pool.iter().cycle().skip(start).take(len).copied().collect();
                let mut w = v.clone();
                w.sort_unstable();
                sort_code_points(&mut v);
                assert_eq!(v, w);
                v.reverse();
                sort_code_points(&mut v);
                assert_eq!(v, w);
            }
        }
    }

    #[test]
    fn input_order_does_not_matter() {
        let a = sign_values(["b", "a", "C"]);
        let b = sign_values(["C", "b", "a"]);
        assert_eq!(a, b);
        // Values are sorted, not keys: "C" < "a" < "b".
        let mut h = Sha1::new();
        h.update(b"Cab");
        let want: String = h.finalize().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(a, want);
    }

    #[test]
    fn one_pass_matches_streaming_at_every_length() {
        let text = "x".repeat(300);
        for len in 0..=300 {
            let parts = [&text[..len / 2], &text[len / 2..len]];
            let want = streamed(&parts);
            match one_pass(&parts) {
                Some(got) => assert_eq!(got, want, "length {len}"),
                None => assert!(len + 9 > ONE_PASS, "length {len} should fit"),
            }
        }
        // Long messages still sign correctly (streamed).
        let long = sign_values([text.as_str(), text.as_str()]);
        let mut h = Sha1::new();
        h.update(text.as_bytes());
        h.update(text.as_bytes());
        let want: String = h.finalize().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(long, want);
    }

    #[test]
    fn empty_list_is_sha1_of_nothing() {
        assert_eq!(
            sign_values(core::iter::empty()),
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
        );
    }

    #[test]
    fn verify_is_case_insensitive_and_strict() {
        let values = ["appId001", "aabc1457895464", "1.0.0", TICKET_1, NONCE_1];
        assert!(verify_sign(
            values,
            "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
        ));
        assert!(verify_sign(
            values,
            "993d057c652d97fd90d5d298f2e5dc4b8d893cbc"
        ));
        assert!(!verify_sign(
            values,
            "993D057C652D97FD90D5D298F2E5DC4B8D893CBD"
        ));
        assert!(!verify_sign(
            values,
            "993D057C652D97FD90D5D298F2E5DC4B8D893CB"
        ));
        assert!(!verify_sign(values, ""));
        assert!(!verify_sign(
            values,
            "993D057C652D97FD90D5D298F2E5DC4B8D893CBC0"
        ));
    }

    #[test]
    fn sign_validates_before_signing() {
        let ok = SignParams {
            app_id: "appId001",
            order_no: "aabc1457895464",
            ticket: TICKET_1,
            nonce: NONCE_1,
            version: DEFAULT_VERSION,
        };
        let cases = [
            (SignParams { app_id: "", ..ok }, "INVALID_APP_ID"),
            (
                SignParams {
                    order_no: "a-b",
                    ..ok
                },
                "INVALID_ORDER_NO",
            ),
            (SignParams { ticket: "", ..ok }, "INVALID_TICKET"),
            (SignParams { nonce: "x", ..ok }, "INVALID_NONCE"),
            (SignParams { version: "", ..ok }, "INVALID_VERSION"),
        ];
        for (params, code) in cases {
            assert_eq!(sign(&params).unwrap_err().code(), code);
        }
    }

    #[test]
    fn debug_never_shows_the_ticket() {
        let p = SignParams {
            app_id: "appId001",
            order_no: "aabc1457895464",
            ticket: TICKET_1,
            nonce: NONCE_1,
            version: DEFAULT_VERSION,
        };
        assert!(!format!("{p:?}").contains(TICKET_1));
    }

    /// More official examples of the same recipe, from flows this library
    /// does not call but whose pages show it: the older H5 start
    /// (`geth5faceid`, seven values with the SIGN ticket; 合作方后台上送身份信息)
    /// and the OCR SDKs' front-end result check (three values; 前端获取结果验证签名).
    #[test]
    fn official_examples_of_other_value_sets() {
        let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
        assert_eq!(
            sign_values([
                "appId001",
                "orderNo19959248596551",
                "testName",
                "4300000000000",
                "userID19959248596551",
                "1.0.0",
                ticket,
            ]),
            "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B"
        );
        assert_eq!(
            sign_values(["appId001", "test1480921551481", ticket]),
            "B02CEBEB07F792B2F085E8CB1E7BA9EC19284F54"
        );
    }
}
