//! The rows of the endpoint table: the one declaration of the calls, from
//! which `endpoints!` makes [`Kind`], [`TokenKind`] and [`ENDPOINTS`] (see
//! `declare.rs`). A new call is one more row here.

use super::{Endpoint, Files, Host, Method, RouteRow, TokenRow};
use crate::edge::Route;
use crate::edge::Trim::{Keep, MaskCard, MaskId, MaskName};

/// The media fields of the face queries (photo, video).
const FACE_MEDIA: &[&str] = &["photo", "video"];
/// The image fields of the ID card OCR result.
const ID_CARD_MEDIA: &[&str] = &[
    "frontPhoto",
    "backPhoto",
    "frontCrop",
    "backCrop",
    "headPhoto",
];
/// The image fields of the bank card OCR result. The original image is
/// spelled `originBankcardPhoto` on the current server-result pages and
/// `orginBankcardPhoto` on an older iOS SDK page: both are read.
const BANK_CARD_MEDIA: &[&str] = &[
    "bankcardCropPhoto",
    "bankcardNoPhoto",
    "orginBankcardPhoto",
    "originBankcardPhoto",
];

/// What the edge handler keeps of a face result. The scores (`liveRate`,
/// `similarity`) are dropped: they would help someone tune a spoof against
/// a target identity, page after page. The verdict is the result's `code`;
/// `reveal` lets a score through.
const FACE_TRIM: &[(&str, crate::edge::Trim)] = &[
    ("name", MaskName),
    ("idNo", MaskId),
    ("idType", Keep),
    ("occurredTime", Keep),
];

/// A result route of the edge handler, read with a token of `token`.
const fn result_route(token: TokenKind, name: &'static str, path: &'static str) -> RouteRow {
    RouteRow {
        route: Route::Result(token),
        name,
        path,
        method: Method::Get,
    }
}

endpoints! {
    /// Face verification result, `GET {server}/api/server/sync`.
    FaceResult {
        name: "faceResult",
        request_kind: true,
        path: "/api/server/sync",
        method: Method::Get,
        host: Host::Server,
        app_id_param: "app_id",
        files: Files::Face,
        media: FACE_MEDIA,
        trim: FACE_TRIM,
        token: Face = "face",
        route: result_route(TokenKind::Face, "result", "/result"),
    },
    /// Liveness result, `GET {server}/api/server/getLiveResult`.
    LiveResult {
        name: "liveResult",
        request_kind: true,
        path: "/api/server/getLiveResult",
        method: Method::Get,
        host: Host::Server,
        app_id_param: "app_id",
        files: Files::Face,
        media: FACE_MEDIA,
        trim: &[("occurredTime", Keep)],
        token: Live = "live",
        route: result_route(TokenKind::Live, "liveResult", "/live/result"),
    },
    /// ID card OCR result, `GET {server}/api/server/getOcrResult`.
    IdCardOcrResult {
        name: "idCardOcrResult",
        request_kind: true,
        path: "/api/server/getOcrResult",
        method: Method::Get,
        host: Host::Server,
        app_id_param: "app_id",
        files: Files::Images,
        media: ID_CARD_MEDIA,
        trim: &[
            ("frontCode", Keep),
            ("backCode", Keep),
            ("name", MaskName),
            ("sex", Keep),
            ("nation", Keep),
            ("idcard", MaskId),
            ("validDate", Keep),
            ("authority", Keep),
            ("frontWarnCode", Keep),
            ("backWarnCode", Keep),
            ("operateTime", Keep),
        ],
        token: IdCard = "idcard",
        route: result_route(TokenKind::IdCard, "idCardResult", "/ocr/idcard/result"),
    },
    /// Bank card OCR result, `GET {server}/api/server/getBankCardOcrResult`.
    BankCardOcrResult {
        name: "bankCardOcrResult",
        request_kind: true,
        // The official page's example URL says getOcrResult; the path is this one.
        path: "/api/server/getBankCardOcrResult",
        method: Method::Get,
        host: Host::Server,
        app_id_param: "app_id",
        files: Files::Images,
        media: BANK_CARD_MEDIA,
        trim: &[
            ("bankCardNo", MaskCard),
            ("bankCardValidDate", Keep),
            ("warnCode", Keep),
            ("operateTime", Keep),
        ],
        token: BankCard = "bankcard",
        route: result_route(
            TokenKind::BankCard,
            "bankCardResult",
            "/ocr/bankcard/result",
        ),
    },
    /// The newer face result query, `POST {kyc}/api/v2/base/queryfacerecord`.
    QueryFaceRecord {
        name: "queryFaceRecord",
        request_kind: true,
        path: "/api/v2/base/queryfacerecord",
        method: Method::Post,
        host: Host::Kyc,
        app_id_param: "appId",
        files: Files::Face,
        media: FACE_MEDIA,
        trim: FACE_TRIM,
    },
    /// ID card OCR from an image, `POST {kyc}/api/paas/idcardocrapp`.
    IdCardOcr {
        name: "idCardOcr",
        request_kind: true,
        path: "/api/paas/idcardocrapp",
        method: Method::Post,
        host: Host::Kyc,
        app_id_param: "webankAppId",
        files: Files::None,
        media: &[],
        trim: &[
            ("ocrId", Keep),
            ("name", MaskName),
            ("sex", Keep),
            ("nation", Keep),
            ("idcard", MaskId),
            ("authority", Keep),
            ("validDate", Keep),
            ("warning", Keep),
            ("multiWarning", Keep),
            ("clarity", Keep),
            ("retry", Keep),
        ],
        route: RouteRow {
            route: Route::OcrIdCard,
            name: "ocrIdCard",
            path: "/ocr/idcard",
            method: Method::Post,
        },
    },
    /// Starting an H5 face verification, `POST {kyc}/api/server/getAdvFaceId`
    /// (not in [`Kind::ALL`]: it is not a result query).
    StartFace {
        name: "startFace",
        request_kind: false,
        path: "/api/server/getAdvFaceId",
        method: Method::Post,
        host: Host::Kyc,
        app_id_param: "appId",
        files: Files::None,
        media: &[],
        trim: &[],
        route: RouteRow {
            route: Route::Start,
            name: "start",
            path: "/start",
            method: Method::Post,
        },
    },
}

/// The last row.
pub(super) const LAST: &Endpoint = {
    let [.., last] = &ENDPOINTS;
    last
};

// Row `i` is the row of the kind whose discriminant is `i`, so that
// `Kind::row` is an index. (Evaluated when the crate compiles: indexing out
// of range, or a row out of order, fails the build.)
#[allow(clippy::indexing_slicing)]
const _: () = {
    let mut i = 0;
    while i < ENDPOINTS.len() {
        assert!(
            ENDPOINTS[i].kind as usize == i,
            "ENDPOINTS is not in the order of Kind"
        );
        i += 1;
    }
};
