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

use crate::endpoints::{Kind, Method, RouteRow, ENDPOINTS};
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

/// The routes that make no call of [`ENDPOINTS`] (the others are in its
/// rows).
pub const OTHER_ROUTES: [RouteRow; 2] = [
    RouteRow {
        route: Route::Callback,
        name: "callback",
        path: "/callback",
        method: Method::Get,
    },
    RouteRow {
        route: Route::SdkStart,
        name: "sdkStart",
        path: "/sdk/start",
        method: Method::Post,
    },
];

/// Every route of the handler: those of [`ENDPOINTS`], in its order, then
/// [`OTHER_ROUTES`].
pub fn routes() -> impl Iterator<Item = &'static RouteRow> {
    ENDPOINTS
        .iter()
        .filter_map(|e| e.route.as_ref())
        .chain(OTHER_ROUTES.iter())
}

impl Route {
    /// This route's row (in [`ENDPOINTS`] or [`OTHER_ROUTES`]).
    pub fn row(self) -> &'static RouteRow {
        // Every route has a row (a test holds it): the fallback is never taken.
        routes()
            .find(|r| r.route == self)
            .unwrap_or(&OTHER_ROUTES[0])
    }

    /// The route's name as the `rateLimit` hook sees it: `"start"`,
    /// `"sdkStart"`, `"callback"`, `"ocrIdCard"`, `"result"`,
    /// `"liveResult"`, `"idCardResult"` or `"bankCardResult"`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The methods the route takes (the `Allow` header).
    pub fn allow(self) -> &'static str {
        self.row().method.as_str()
    }

    /// The route's path under the prefix (`"/start"`, `"/ocr/idcard/result"`…),
    /// as the edge handler's `onEvent` names it.
    pub fn path(self) -> &'static str {
        self.row().path
    }

    /// The result query behind a result route.
    pub fn kind(self) -> Option<Kind> {
        match self {
            Route::Result(_) => ENDPOINTS
                .iter()
                .find(|e| e.route.is_some_and(|r| r.route == self))
                .map(|e| e.kind),
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
    routes().find(|r| r.path == rest).map(|r| r.route)
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

/// The trimming of `field` in a result of `kind` (its row's `trim`). Fields
/// the operator chose to reveal are passed through before this is asked.
///
/// The scores (`liveRate`, `similarity`) are dropped: they would help
/// someone tune a spoof against a target identity, page after page. The
/// verdict is the result's `code`; `reveal` lets a score through.
pub fn trim(kind: Kind, field: &str) -> Trim {
    kind.row()
        .trim
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(Trim::Drop, |&(_, rule)| rule)
}

/// Every field trimming keeps or masks for `kind`, in a stable order (its
/// row's `trim`).
pub fn trimmed_fields(kind: Kind) -> TrimmedFields {
    TrimmedFields(kind.row().trim)
}

/// The fields trimming keeps or masks for one kind (see [`trimmed_fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimmedFields(&'static [(&'static str, Trim)]);

impl TrimmedFields {
    /// The field names, in the table's order.
    pub fn iter(self) -> FieldNames {
        self.into_iter()
    }

    /// Whether `field` is one of them.
    pub fn contains(self, field: &str) -> bool {
        self.iter().any(|f| *f == field)
    }

    /// How many there are.
    pub fn len(self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }
}

/// The field names of [`TrimmedFields`]: a named type (not `impl
/// Iterator`), so that its items may be taken for any shorter lifetime, as
/// those of a slice's iterator are.
pub type FieldNames = core::iter::Map<
    core::slice::Iter<'static, (&'static str, Trim)>,
    fn(&'static (&'static str, Trim)) -> &'static &'static str,
>;

impl IntoIterator for TrimmedFields {
    type Item = &'static &'static str;
    type IntoIter = FieldNames;

    /// The field names, as [`TrimmedFields::iter`].
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(field, _)| field)
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
mod tests;
