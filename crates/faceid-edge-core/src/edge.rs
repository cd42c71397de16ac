//! The policy of the edge handler that proxies results to H5 pages:
//! routes, CORS, body limits and result trimming. Pure: the WebAssembly
//! layer adapts `Request` and `Response` around it.
//!
//! | route | method | what |
//! |---|---|---|
//! | `{prefix}/start` | `POST` | start a face verification for the signed-in user |
//! | `{prefix}/callback` | `GET` | the face page's return: check the state and `newSign`, `303` to the H5 page |
//! | `{prefix}/result` | `GET` | the trimmed face result (order token) |
//! | `{prefix}/live/result` | `GET` | the trimmed liveness result (order token) |
//! | `{prefix}/ocr/idcard` | `POST` | ID card OCR of an uploaded image |
//! | `{prefix}/ocr/idcard/result` | `GET` | the trimmed ID card OCR result (order token) |
//! | `{prefix}/ocr/bankcard/result` | `GET` | the trimmed bank card OCR result (order token) |

use crate::endpoints::Kind;
use crate::error::{Error, Result};
use crate::order_token::TokenKind;
use crate::request::MAX_IMAGE_BASE64;
use crate::validate;

/// Default route prefix.
pub const DEFAULT_PREFIX: &str = "/faceid";
/// Default order token lifetime: 30 minutes.
pub const DEFAULT_TOKEN_TTL_MS: u64 = 30 * 60 * 1000;
/// Longest accepted order token lifetime: 7 days.
pub const MAX_TOKEN_TTL_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// Room for the JSON or multipart framing around an image.
pub const FRAMING: usize = 64 * 1024;
/// Largest JSON body of `POST /ocr/idcard`: 20 MB of base64 and framing.
pub const MAX_JSON_BODY: usize = MAX_IMAGE_BASE64 + FRAMING;
/// Largest multipart body of `POST /ocr/idcard`: the bytes that make 20 MB
/// of base64, and framing.
pub const MAX_MULTIPART_BODY: usize = MAX_IMAGE_BASE64 / 4 * 3 + FRAMING;
/// Largest body of any other `POST` route.
pub const MAX_SMALL_BODY: usize = 16 * 1024;

/// A route of the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /start`.
    Start,
    /// `GET /callback`.
    Callback,
    /// `GET /result`, `/live/result`, `/ocr/idcard/result`, `/ocr/bankcard/result`.
    Result(TokenKind),
    /// `POST /ocr/idcard`.
    OcrIdCard,
    /// `POST /sdk/start`: start parameters for an App SDK.
    SdkStart,
}

impl Route {
    /// The route's name as the `rateLimit` hook sees it: `"start"`,
    /// `"sdkStart"`, `"callback"`, `"ocrIdCard"`, `"result"`,
    /// `"liveResult"`, `"idCardResult"` or `"bankCardResult"`.
    pub fn name(self) -> &'static str {
        match self {
            Route::Start => "start",
            Route::SdkStart => "sdkStart",
            Route::Callback => "callback",
            Route::OcrIdCard => "ocrIdCard",
            Route::Result(TokenKind::Face) => "result",
            Route::Result(TokenKind::Live) => "liveResult",
            Route::Result(TokenKind::IdCard) => "idCardResult",
            Route::Result(TokenKind::BankCard) => "bankCardResult",
        }
    }

    /// The methods the route takes (the `Allow` header).
    pub fn allow(self) -> &'static str {
        match self {
            Route::Start | Route::OcrIdCard | Route::SdkStart => "POST",
            Route::Callback | Route::Result(_) => "GET",
        }
    }

    /// The route's path under the prefix (`"/start"`, `"/ocr/idcard/result"`…),
    /// as the edge handler's `onEvent` names it.
    pub fn path(self) -> &'static str {
        match self {
            Route::Start => "/start",
            Route::Callback => "/callback",
            Route::Result(TokenKind::Face) => "/result",
            Route::Result(TokenKind::Live) => "/live/result",
            Route::OcrIdCard => "/ocr/idcard",
            Route::Result(TokenKind::IdCard) => "/ocr/idcard/result",
            Route::Result(TokenKind::BankCard) => "/ocr/bankcard/result",
            Route::SdkStart => "/sdk/start",
        }
    }

    /// The result query behind a result route.
    pub fn kind(self) -> Option<Kind> {
        match self {
            Route::Result(TokenKind::Face) => Some(Kind::FaceResult),
            Route::Result(TokenKind::Live) => Some(Kind::LiveResult),
            Route::Result(TokenKind::IdCard) => Some(Kind::IdCardOcrResult),
            Route::Result(TokenKind::BankCard) => Some(Kind::BankCardOcrResult),
            _ => None,
        }
    }
}

/// Checks a route prefix: empty, or `/` and up to 64 characters of ASCII
/// letters, digits, `-`, `_`, `.` and `/`, without a trailing slash, `//`
/// or dot segments.
pub fn prefix(value: &str) -> Result<()> {
    let ok = value.is_empty()
        || (value.starts_with('/')
            && value.len() <= 64
            && !value.ends_with('/')
            && !value.contains("//")
            && value.split('/').all(|s| s != "." && s != "..")
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/')));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption(format!(
            "prefix must be empty or a path like \"/faceid\" (letters, digits, '-', '_', '.', '/'; no trailing slash); got {}",
            validate::quote(value)
        )))
    }
}

/// The route at `path` (a URL's pathname, as the runtime parsed it) under
/// `prefix`, if any. Matching is exact: no trailing slash, no doubled
/// slash, no case folding, no percent-decoding.
pub fn route_at(prefix: &str, path: &str) -> Option<Route> {
    let rest = path.strip_prefix(prefix)?;
    Some(match rest {
        "/start" => Route::Start,
        "/callback" => Route::Callback,
        "/result" => Route::Result(TokenKind::Face),
        "/live/result" => Route::Result(TokenKind::Live),
        "/ocr/idcard" => Route::OcrIdCard,
        "/ocr/idcard/result" => Route::Result(TokenKind::IdCard),
        "/ocr/bankcard/result" => Route::Result(TokenKind::BankCard),
        "/sdk/start" => Route::SdkStart,
        _ => return None,
    })
}

/// What to do with a request: its route, or the error to answer with
/// (`404` unknown path, `405` wrong method). `OPTIONS` is a preflight and
/// is answered by [`cors`] instead.
pub fn resolve(prefix: &str, method: &str, path: &str) -> Result<Route> {
    let route = route_at(prefix, path).ok_or_else(|| {
        Error::NotFound(format!(
            "no route at this path; the routes are under {}",
            validate::quote(if prefix.is_empty() { "/" } else { prefix })
        ))
    })?;
    let allow = route.allow();
    if method != allow {
        return Err(Error::MethodNotAllowed {
            allow,
            message: format!("this route takes {allow} only"),
        });
    }
    Ok(route)
}

/// The CORS verdict for a request's `Origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cors {
    /// No `Origin` header (a navigation, a server-side call) or the
    /// handler's own origin: no CORS headers needed.
    Same,
    /// An origin on the allowlist: echo it (never `*`).
    Allowed,
    /// Any other origin (`null` included): `403`.
    Forbidden,
}

/// Checks an entry of `allowedOrigins`: `https://host[:port]` (or
/// `http://` for localhost), no path, no `*`. Returns it in lower case.
pub fn allowed_origin(value: &str) -> Result<String> {
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        // host[:port], the port 1 to 5 digits (a bracketed IPv6 host keeps its colons).
        let (host, port) = crate::request::split_host_port(r);
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
            && port.map_or(true, |p| {
                !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
            })
    }) && crate::h5::browser_url(&lower, "allowedOrigins").is_ok();
    if ok {
        Ok(lower)
    } else {
        Err(Error::InvalidOption(format!(
            "allowedOrigins entries must be origins like \"https://h5.example.com\" (scheme, host, optional port; no path, no '*'); got {}",
            validate::quote(value)
        )))
    }
}

/// The verdict for `origin` (the request's `Origin` header) given the
/// handler's own origin and the allowlist (entries from
/// [`allowed_origin`]).
pub fn cors(origin: Option<&str>, own_origin: &str, allowed: &[String]) -> Cors {
    match origin {
        None => Cors::Same,
        Some(o) if o.eq_ignore_ascii_case(own_origin) => Cors::Same,
        Some(o) if allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => Cors::Allowed,
        Some(_) => Cors::Forbidden,
    }
}

/// The request headers a preflight may ask for.
pub const ALLOW_HEADERS: &str = "authorization, content-type";

/// What trimming does with one field of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Passed through as it is.
    Keep,
    /// A name: the first character and `*`.
    MaskName,
    /// An ID number: the first four and last four characters.
    MaskId,
    /// A bank card number: the last four digits.
    MaskCard,
    /// Left out (photos, videos, addresses and anything not listed).
    Drop,
}

/// The trimming of `field` in a result of `kind`. Fields the operator chose
/// to reveal are passed through before this is asked.
///
/// The scores (`liveRate`, `similarity`) are dropped: they would help
/// someone tune a spoof against a target identity, page after page. The
/// verdict is the result's `code`; `reveal` lets a score through.
pub fn trim(kind: Kind, field: &str) -> Trim {
    use Trim::*;
    match (kind, field) {
        (Kind::FaceResult | Kind::QueryFaceRecord, "occurredTime" | "idType") => Keep,
        (Kind::FaceResult | Kind::QueryFaceRecord, "name") => MaskName,
        (Kind::FaceResult | Kind::QueryFaceRecord, "idNo") => MaskId,
        (Kind::LiveResult, "occurredTime") => Keep,
        (
            Kind::IdCardOcrResult,
            "frontCode" | "backCode" | "sex" | "nation" | "validDate" | "authority"
            | "frontWarnCode" | "backWarnCode" | "operateTime",
        ) => Keep,
        (
            Kind::IdCardOcr,
            "ocrId" | "sex" | "nation" | "authority" | "validDate" | "warning" | "multiWarning"
            | "clarity" | "retry",
        ) => Keep,
        (Kind::IdCardOcrResult | Kind::IdCardOcr, "name") => MaskName,
        (Kind::IdCardOcrResult | Kind::IdCardOcr, "idcard") => MaskId,
        (Kind::BankCardOcrResult, "bankCardValidDate" | "warnCode" | "operateTime") => Keep,
        (Kind::BankCardOcrResult, "bankCardNo") => MaskCard,
        _ => Drop,
    }
}

/// Every field trimming keeps or masks for `kind`, in a stable order.
pub fn trimmed_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::FaceResult | Kind::QueryFaceRecord => &["name", "idNo", "idType", "occurredTime"],
        Kind::LiveResult => &["occurredTime"],
        Kind::IdCardOcrResult => &[
            "frontCode",
            "backCode",
            "name",
            "sex",
            "nation",
            "idcard",
            "validDate",
            "authority",
            "frontWarnCode",
            "backWarnCode",
            "operateTime",
        ],
        Kind::IdCardOcr => &[
            "ocrId",
            "name",
            "sex",
            "nation",
            "idcard",
            "authority",
            "validDate",
            "warning",
            "multiWarning",
            "clarity",
            "retry",
        ],
        Kind::BankCardOcrResult => &["bankCardNo", "bankCardValidDate", "warnCode", "operateTime"],
        Kind::StartFace => &[],
    }
}

/// Applies a masking rule to a string value.
pub fn mask(rule: Trim, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let stars = |k: usize| "*".repeat(k);
    match rule {
        Trim::Keep => value.to_owned(),
        Trim::Drop => String::new(),
        Trim::MaskName => match chars.first() {
            Some(first) if n > 1 => format!("{first}*"),
            _ => stars(n.min(1)),
        },
        Trim::MaskId => {
            if n >= 10 {
                let head: String = chars.iter().take(4).collect();
                let tail: String = chars.iter().skip(n - 4).collect();
                format!("{head}{}{tail}", stars(n - 8))
            } else {
                stars(n)
            }
        }
        Trim::MaskCard => {
            if n >= 8 {
                let tail: String = chars.iter().skip(n - 4).collect();
                format!("{}{tail}", stars(n - 4))
            } else {
                stars(n)
            }
        }
    }
}

/// Checks an entry of the `reveal` option: a field name (1 to 64 ASCII
/// letters, digits or `_`).
pub fn reveal_field(value: &str) -> Result<()> {
    if value.is_empty()
        || value.len() > 64
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(Error::InvalidOption(format!(
            "reveal entries must be result field names such as \"address\" or \"photo\"; got {}",
            validate::quote(value)
        )));
    }
    Ok(())
}

/// Reads the bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Result<&str> {
    let header = header.ok_or_else(|| {
        Error::Unauthorized("send the orderToken as Authorization: Bearer <orderToken>".into())
    })?;
    let (scheme, token) = header.trim().split_once(' ').unwrap_or((header, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Error::Unauthorized(
            "the Authorization header must be \"Bearer <orderToken>\"".into(),
        ));
    }
    Ok(token)
}

/// The `returnUrl` with `orderNo` added to its query. Never the face page's
/// `code`: it reads like a verdict and is not one (the page asks the result
/// route, and a backend its own query).
pub fn return_location(return_url: &str, order_no: &str) -> String {
    let (base, fragment) = match return_url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (return_url, None),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("orderNo", order_no);
    let sep = if base.contains('?') { "&" } else { "?" };
    let mut out = format!("{base}{sep}{}", query.finish());
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_exact() {
        assert_eq!(
            resolve("/faceid", "POST", "/faceid/start"),
            Ok(Route::Start)
        );
        assert_eq!(
            resolve("/faceid", "GET", "/faceid/result"),
            Ok(Route::Result(TokenKind::Face))
        );
        assert_eq!(
            resolve("/faceid", "GET", "/faceid/ocr/bankcard/result"),
            Ok(Route::Result(TokenKind::BankCard))
        );
        assert_eq!(
            resolve("", "GET", "/live/result"),
            Ok(Route::Result(TokenKind::Live))
        );
        assert_eq!(
            resolve("/faceid", "POST", "/faceid/sdk/start"),
            Ok(Route::SdkStart)
        );
        for route in [
            Route::Start,
            Route::Callback,
            Route::Result(TokenKind::Face),
            Route::Result(TokenKind::Live),
            Route::OcrIdCard,
            Route::Result(TokenKind::IdCard),
            Route::Result(TokenKind::BankCard),
            Route::SdkStart,
        ] {
            assert_eq!(
                route_at("/faceid", &format!("/faceid{}", route.path())),
                Some(route)
            );
        }
        for path in [
            "//faceid/result",
            "/faceid/result/",
            "/faceid//result",
            "/FACEID/result",
            "/faceid/%72esult",
            "/faceid",
            "/faceid/",
            "/faceidx/result",
            "/other",
        ] {
            assert_eq!(
                resolve("/faceid", "GET", path).unwrap_err().code(),
                "NOT_FOUND",
                "{path}"
            );
        }
        let e = resolve("/faceid", "GET", "/faceid/start").unwrap_err();
        assert_eq!(
            e,
            Error::MethodNotAllowed {
                allow: "POST",
                message: "this route takes POST only".into()
            }
        );
        for m in ["POST", "PUT", "DELETE", "PATCH", "HEAD", "get"] {
            assert_eq!(
                resolve("/faceid", m, "/faceid/result").unwrap_err().code(),
                "METHOD_NOT_ALLOWED"
            );
        }
    }

    #[test]
    fn prefixes() {
        for ok in ["", "/faceid", "/api/v1/face-id", "/a.b"] {
            assert!(prefix(ok).is_ok(), "{ok}");
        }
        for bad in [
            "faceid", "/faceid/", "//x", "/a/../b", "/a b", "/a?b", "/%2e",
        ] {
            assert!(prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cors_verdicts() {
        let allowed = vec![allowed_origin("https://H5.example.com").unwrap()];
        assert_eq!(allowed[0], "https://h5.example.com");
        let own = "https://api.example.com";
        assert_eq!(cors(None, own, &allowed), Cors::Same);
        assert_eq!(cors(Some(own), own, &allowed), Cors::Same);
        assert_eq!(
            cors(Some("https://h5.example.com"), own, &allowed),
            Cors::Allowed
        );
        assert_eq!(
            cors(Some("https://evil.example.com"), own, &allowed),
            Cors::Forbidden
        );
        assert_eq!(cors(Some("null"), own, &allowed), Cors::Forbidden);
        for bad in [
            "*",
            "https://h5.example.com/",
            "https://h5.example.com/path",
            "h5.example.com",
            "http://h5.example.com",
            "https://",
        ] {
            assert!(allowed_origin(bad).is_err(), "{bad}");
        }
        assert!(allowed_origin("http://localhost:5173").is_ok());
        assert!(allowed_origin("http://[::1]:8080").is_ok());
        for bad in [
            "http://localhost:abc",
            "https://h5.example.com:",
            "https://h5.example.com:123456",
        ] {
            assert!(allowed_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trimming_rules() {
        assert_eq!(trim(Kind::FaceResult, "photo"), Trim::Drop);
        assert_eq!(trim(Kind::FaceResult, "video"), Trim::Drop);
        assert_eq!(trim(Kind::FaceResult, "idNo"), Trim::MaskId);
        assert_eq!(trim(Kind::IdCardOcrResult, "frontPhoto"), Trim::Drop);
        assert_eq!(trim(Kind::IdCardOcrResult, "address"), Trim::Drop);
        assert_eq!(trim(Kind::BankCardOcrResult, "bankCardNo"), Trim::MaskCard);
        assert_eq!(trim(Kind::IdCardOcr, "sign"), Trim::Drop);
        // Scores only when revealed.
        for kind in [Kind::FaceResult, Kind::QueryFaceRecord, Kind::LiveResult] {
            for score in ["liveRate", "similarity"] {
                assert_eq!(trim(kind, score), Trim::Drop, "{kind:?} {score}");
                assert!(!trimmed_fields(kind).contains(&score));
            }
        }
        for kind in [
            Kind::FaceResult,
            Kind::LiveResult,
            Kind::IdCardOcrResult,
            Kind::IdCardOcr,
            Kind::BankCardOcrResult,
            Kind::QueryFaceRecord,
        ] {
            for f in trimmed_fields(kind) {
                assert_ne!(trim(kind, f), Trim::Drop, "{f}");
            }
            for f in kind.media_fields() {
                assert_eq!(trim(kind, f), Trim::Drop);
            }
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask(Trim::MaskName, "张三丰"), "张*");
        assert_eq!(mask(Trim::MaskName, "王"), "*");
        assert_eq!(mask(Trim::MaskName, ""), "");
        assert_eq!(
            mask(Trim::MaskId, "11010519491231002X"),
            "1101**********002X"
        );
        assert_eq!(mask(Trim::MaskId, "123456"), "******");
        assert_eq!(
            mask(Trim::MaskCard, "6222020200112233445"),
            "***************3445"
        );
        assert_eq!(mask(Trim::MaskCard, "1234"), "****");
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Ok("abc"));
        for bad in [
            None,
            Some(""),
            Some("Basic abc"),
            Some("Bearer"),
            Some("Bearer "),
        ] {
            assert_eq!(bearer(bad).unwrap_err().code(), "UNAUTHORIZED");
        }
    }

    #[test]
    fn return_locations() {
        assert_eq!(
            return_location("https://h5.example.com/done", "o1"),
            "https://h5.example.com/done?orderNo=o1"
        );
        assert_eq!(
            return_location("https://h5.example.com/?a=1#top", "o1"),
            "https://h5.example.com/?a=1&orderNo=o1#top"
        );
        assert!(reveal_field("photo").is_ok());
        assert!(reveal_field("__proto__x").is_ok());
        assert!(reveal_field("a.b").is_err());
    }
}
