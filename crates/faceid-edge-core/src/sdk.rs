//! Start parameters for the App SDKs (face, liveness, ID card OCR, bank
//! card OCR).
//!
//! A native SDK starts from parameters the partner's server makes: an order
//! number, a fresh nonce, and a signature over the App ID, the user id, the
//! nonce, the version and a NONCE ticket fetched for that user (生成 SDK 接口
//! 调用步骤使用签名, <https://cloud.tencent.com/document/product/1007/63359>;
//! the ID card and bank card OCR SDKs' 生成签名 pages sign the same five
//! values). The face SDK also takes a `faceId` from `getAdvFaceId`; the
//! liveness-only mode and the OCR SDKs take none. The SDK-side settings
//! (the licence bound to the app's package name, the UI mode) are the app's
//! own and never come from here.

use crate::error::{Error, Result};
use crate::order_token::TokenKind;
use crate::request::Config;
use crate::sign::sign_values;
use crate::validate;

/// Which App SDK a start is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdkKind {
    /// The face verification SDK (人脸核身 SDK): needs a `faceId`.
    Face,
    /// The liveness-only SDK mode (活体检测).
    Liveness,
    /// The ID card OCR SDK (身份证 OCR SDK).
    IdCardOcr,
    /// The bank card OCR SDK (银行卡 OCR SDK).
    BankCardOcr,
}

impl SdkKind {
    /// Every kind, in a stable order.
    pub const ALL: [SdkKind; 4] = [
        SdkKind::Face,
        SdkKind::Liveness,
        SdkKind::IdCardOcr,
        SdkKind::BankCardOcr,
    ];

    /// Parses the `kind` option: `"face"`, `"liveness"`, `"idCardOcr"` or
    /// `"bankCardOcr"`.
    pub fn from_name(name: &str) -> Result<SdkKind> {
        SdkKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::InvalidOption(format!(
                    "kind must be \"face\", \"liveness\", \"idCardOcr\" or \"bankCardOcr\" (the App SDK to start); got {}",
                    validate::quote(name)
                ))
            })
    }

    /// The option's name for this kind.
    pub fn name(self) -> &'static str {
        match self {
            SdkKind::Face => "face",
            SdkKind::Liveness => "liveness",
            SdkKind::IdCardOcr => "idCardOcr",
            SdkKind::BankCardOcr => "bankCardOcr",
        }
    }

    /// Whether the SDK needs a `faceId` from `getAdvFaceId`.
    pub fn needs_face_id(self) -> bool {
        self == SdkKind::Face
    }

    /// The order token kind that reads this SDK's result: the face result,
    /// the liveness result, or one of the OCR results.
    pub fn token_kind(self) -> TokenKind {
        match self {
            SdkKind::Face => TokenKind::Face,
            SdkKind::Liveness => TokenKind::Live,
            SdkKind::IdCardOcr => TokenKind::IdCard,
            SdkKind::BankCardOcr => TokenKind::BankCard,
        }
    }
}

impl Config {
    /// The SDK start signature: SHA-1 over the App ID, `user_id`, `nonce`,
    /// the version and the NONCE ticket fetched for `user_id`.
    pub fn sdk_sign(&self, user_id: &str, nonce_ticket: &str, nonce: &str) -> Result<String> {
        validate::user_id(user_id, validate::NONCE_USER_ID_MAX)?;
        validate::ticket(nonce_ticket)?;
        validate::nonce(nonce)?;
        Ok(sign_values([
            self.app_id(),
            user_id,
            nonce,
            self.version(),
            nonce_ticket,
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official example, on the SDK signature page (1007/63359) and the
    /// OCR SDKs' signature pages.
    #[test]
    fn official_example_of_the_sdk_start_signature() {
        let config = Config::new("IDAXXXXX", None, None, None).unwrap();
        let sign = config
            .sdk_sign(
                "userID19959248596551",
                "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
                "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
            )
            .unwrap();
        assert_eq!(sign, "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
    }

    #[test]
    fn inputs_are_checked() {
        let config = Config::new("IDAXXXXX", None, None, None).unwrap();
        let ticket = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
        let nonce = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";
        assert_eq!(
            config
                .sdk_sign(&"u".repeat(31), ticket, nonce)
                .unwrap_err()
                .code(),
            "INVALID_USER_ID"
        );
        assert_eq!(
            config
                .sdk_sign("user01", ticket, "short")
                .unwrap_err()
                .code(),
            "INVALID_NONCE"
        );
        assert_eq!(
            config.sdk_sign("user01", "a b", nonce).unwrap_err().code(),
            "INVALID_TICKET"
        );
    }

    #[test]
    fn kinds() {
        for k in SdkKind::ALL {
            assert_eq!(SdkKind::from_name(k.name()), Ok(k));
        }
        assert!(SdkKind::Face.needs_face_id());
        assert!(!SdkKind::Liveness.needs_face_id());
        assert_eq!(SdkKind::BankCardOcr.token_kind(), TokenKind::BankCard);
        assert_eq!(
            SdkKind::from_name("ocr").unwrap_err().code(),
            "INVALID_OPTION"
        );
    }
}
