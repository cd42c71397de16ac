//! One table of the partner endpoints: path, method, host, and the meaning of
//! `get_file` for each (`docs/protocol.md#result-queries`).

/// The six calls the client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Face verification result, `GET {server}/api/server/sync`.
    FaceResult,
    /// Liveness result, `GET {server}/api/server/getLiveResult`.
    LiveResult,
    /// ID card OCR result, `GET {server}/api/server/getOcrResult`.
    IdCardOcrResult,
    /// Bank card OCR result, `GET {server}/api/server/getBankCardOcrResult`.
    BankCardOcrResult,
    /// ID card OCR from an image, `POST {kyc}/api/paas/idcardocrapp`.
    IdCardOcr,
    /// The newer face result query, `POST {kyc}/api/v2/base/queryfacerecord`.
    QueryFaceRecord,
    /// Starting an H5 face verification, `POST {kyc}/api/server/getAdvFaceId`
    /// (not in [`Kind::ALL`]: it is not a result query).
    StartFace,
}

/// Which configured base URL an endpoint lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `serverUrl`, by default `https://idasc.webank.com`.
    Server,
    /// `kycUrl`, by default `https://miniprogram-kyc.tencentcloudapi.com`.
    Kyc,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`, parameters in the query string.
    Get,
    /// `POST` with a JSON body (and `orderNo` in the query string).
    Post,
}

impl Method {
    /// The method's name as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

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

/// The other spelling a result field goes by: each spelling of the bank
/// card's original image names the other; every other field has none. An
/// operator who reveals one spelling gets the field whichever the service
/// sent.
pub fn other_spelling(field: &str) -> Option<&'static str> {
    match field {
        "orginBankcardPhoto" => Some("originBankcardPhoto"),
        "originBankcardPhoto" => Some("orginBankcardPhoto"),
        _ => None,
    }
}

/// Every field that can hold a photo or video, in any answer.
pub const MEDIA_FIELDS: [&[&str]; 3] = [FACE_MEDIA, ID_CARD_MEDIA, BANK_CARD_MEDIA];

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 6] = [
        Kind::FaceResult,
        Kind::LiveResult,
        Kind::IdCardOcrResult,
        Kind::BankCardOcrResult,
        Kind::IdCardOcr,
        Kind::QueryFaceRecord,
    ];

    /// The JavaScript method name, also accepted by `signedRequest(kind, …)`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::FaceResult => "faceResult",
            Kind::LiveResult => "liveResult",
            Kind::IdCardOcrResult => "idCardOcrResult",
            Kind::BankCardOcrResult => "bankCardOcrResult",
            Kind::IdCardOcr => "idCardOcr",
            Kind::QueryFaceRecord => "queryFaceRecord",
            Kind::StartFace => "startFace",
        }
    }

    /// The kind named `name` (see [`Kind::name`]).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The path below the host.
    pub fn path(self) -> &'static str {
        match self {
            Kind::FaceResult => "/api/server/sync",
            Kind::LiveResult => "/api/server/getLiveResult",
            Kind::IdCardOcrResult => "/api/server/getOcrResult",
            Kind::BankCardOcrResult => "/api/server/getBankCardOcrResult",
            Kind::IdCardOcr => "/api/paas/idcardocrapp",
            Kind::QueryFaceRecord => "/api/v2/base/queryfacerecord",
            Kind::StartFace => "/api/server/getAdvFaceId",
        }
    }

    /// The HTTP method.
    pub fn method(self) -> Method {
        match self {
            Kind::IdCardOcr | Kind::QueryFaceRecord | Kind::StartFace => Method::Post,
            _ => Method::Get,
        }
    }

    /// The host the endpoint lives on.
    pub fn host(self) -> Host {
        match self.method() {
            Method::Get => Host::Server,
            Method::Post => Host::Kyc,
        }
    }

    /// Whether `get_file` takes the face values (`none`/`all`/`photo`/`video`)
    /// rather than a yes/no.
    pub fn face_files(self) -> bool {
        matches!(
            self,
            Kind::FaceResult | Kind::LiveResult | Kind::QueryFaceRecord
        )
    }

    /// The media fields this endpoint can return.
    pub fn media_fields(self) -> &'static [&'static str] {
        match self {
            Kind::FaceResult | Kind::LiveResult | Kind::QueryFaceRecord => FACE_MEDIA,
            Kind::IdCardOcrResult => ID_CARD_MEDIA,
            Kind::BankCardOcrResult => BANK_CARD_MEDIA,
            Kind::IdCardOcr | Kind::StartFace => &[],
        }
    }
}

/// Which files a query asks for (`get_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GetFile {
    /// No files (the parameter is not sent).
    #[default]
    None,
    /// Photo and video (face queries), or the images (OCR queries): `1`.
    All,
    /// The photo only (face queries): `2`.
    Photo,
    /// The video only (face queries): `3`.
    Video,
}

impl GetFile {
    /// Parses the JavaScript option: `"none" | "all" | "photo" | "video"`.
    pub fn from_name(name: &str) -> Option<GetFile> {
        match name {
            "none" => Some(GetFile::None),
            "all" => Some(GetFile::All),
            "photo" => Some(GetFile::Photo),
            "video" => Some(GetFile::Video),
            _ => None,
        }
    }

    /// The value sent as `get_file` / `getFile`, or `None` to leave it out.
    pub fn param(self) -> Option<&'static str> {
        match self {
            GetFile::None => None,
            GetFile::All => Some("1"),
            GetFile::Photo => Some("2"),
            GetFile::Video => Some("3"),
        }
    }

    /// The media fields a successful answer to this request should carry.
    pub fn expected_fields(self, kind: Kind) -> &'static [&'static str] {
        match (self, kind.face_files()) {
            (GetFile::None, _) => &[],
            (GetFile::All, true) => &["photo", "video"],
            (GetFile::Photo, true) => &["photo"],
            (GetFile::Video, true) => &["video"],
            // OCR images: which sides exist depends on the capture, so any
            // one of the endpoint's image fields counts as "files arrived".
            (_, false) => kind.media_fields(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_official_endpoints() {
        assert_eq!(Kind::FaceResult.path(), "/api/server/sync");
        assert_eq!(Kind::LiveResult.path(), "/api/server/getLiveResult");
        assert_eq!(Kind::IdCardOcrResult.path(), "/api/server/getOcrResult");
        // The official page's example URL says getOcrResult; the path is this one.
        assert_eq!(
            Kind::BankCardOcrResult.path(),
            "/api/server/getBankCardOcrResult"
        );
        assert_eq!(Kind::IdCardOcr.method(), Method::Post);
        assert_eq!(Kind::IdCardOcr.host(), Host::Kyc);
        assert_eq!(Kind::FaceResult.host(), Host::Server);
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("sync"), None);
    }

    #[test]
    fn get_file_values() {
        assert_eq!(GetFile::None.param(), None);
        assert_eq!(GetFile::All.param(), Some("1"));
        assert_eq!(GetFile::Photo.param(), Some("2"));
        assert_eq!(GetFile::Video.param(), Some("3"));
        assert_eq!(GetFile::from_name("video"), Some(GetFile::Video));
        assert_eq!(GetFile::from_name("1"), None);
        assert_eq!(GetFile::Photo.expected_fields(Kind::LiveResult), &["photo"]);
        assert_eq!(
            GetFile::All.expected_fields(Kind::BankCardOcrResult).len(),
            4
        );
    }

    #[test]
    fn both_spellings_of_the_original_bank_card_image() {
        let fields = Kind::BankCardOcrResult.media_fields();
        assert!(fields.contains(&"orginBankcardPhoto"));
        assert!(fields.contains(&"originBankcardPhoto"));
        assert_eq!(
            other_spelling("originBankcardPhoto"),
            Some("orginBankcardPhoto")
        );
        assert_eq!(
            other_spelling("orginBankcardPhoto"),
            Some("originBankcardPhoto")
        );
        assert_eq!(other_spelling("photo"), None);
    }
}
