//! One table of the partner endpoints ([`ENDPOINTS`]): for each call its
//! JavaScript name, path, method, host, App ID parameter, the meaning of
//! `get_file`, the media fields of its answer, the trimming of its result at
//! the edge, the order token kind and the edge route that serve it
//! (`docs/protocol.md#result-queries`).
//!
//! Everything else reads the table: [`Kind`]'s names, paths and hosts, the
//! edge handler's [`Route`]s, [`TokenKind`]'s names, the trimming
//! ([`crate::edge::trim`], [`crate::edge::trimmed_fields`]) and the media
//! fields ([`media_fields`]). The rows are declared once, in
//! `endpoints/rows.rs`, with the `endpoints!` macro (`endpoints/declare.rs`),
//! which makes [`Kind`], [`TokenKind`], [`ENDPOINTS`] and [`Kind::EVERY`]
//! from them: a new result query is one more row there.

use crate::edge::{Route, Trim};
use crate::error::Error;

#[macro_use]
mod declare;
mod rows;
#[cfg(test)]
mod tests;

pub use rows::{Kind, TokenKind, ENDPOINTS};

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

/// What an endpoint's `get_file` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// No `get_file` parameter.
    None,
    /// The face values: `none`, `all`, `photo`, `video` (`1`, `2`, `3`).
    Face,
    /// A yes/no: the images or none (`1`).
    Images,
}

/// An order token kind and its name (in options and in the MAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRow {
    /// The kind.
    pub kind: TokenKind,
    /// Its name: `face`, `live`, `idcard`, `bankcard`.
    pub name: &'static str,
}

/// A route of the edge handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRow {
    /// The route.
    pub route: Route,
    /// Its name as the `rateLimit` hook sees it (`"result"`, `"ocrIdCard"`…).
    pub name: &'static str,
    /// Its path under the prefix (`"/result"`…), as `onEvent` names it.
    pub path: &'static str,
    /// The one method it takes (the `Allow` header).
    pub method: Method,
}

/// One row of [`ENDPOINTS`]: everything about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The call.
    pub kind: Kind,
    /// The JavaScript method name, also accepted by `signedRequest(kind, …)`
    /// when [`Endpoint::request_kind`].
    pub name: &'static str,
    /// Whether `signedRequest(kind, …)` takes it (see [`Kind::ALL`]).
    pub request_kind: bool,
    /// The path below the host.
    pub path: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The host the endpoint lives on.
    pub host: Host,
    /// The name the App ID goes by in the request (`app_id`, `appId`,
    /// `webankAppId`).
    pub app_id_param: &'static str,
    /// What `get_file` takes.
    pub files: Files,
    /// The fields of the answer that can hold a photo or video.
    pub media: &'static [&'static str],
    /// The fields the edge handler keeps or masks in a result, in a stable
    /// order, each with its rule; every other field is dropped.
    pub trim: &'static [(&'static str, Trim)],
    /// The order token kind that opens this result at the edge.
    pub token: Option<TokenRow>,
    /// The edge route that makes this call.
    pub route: Option<RouteRow>,
}

/// How many rows have `request_kind`. (Indexing here, and in [`Kind::ALL`],
/// runs when the crate compiles: an index out of range fails the build.)
#[allow(clippy::indexing_slicing)]
const fn request_kinds() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < ENDPOINTS.len() {
        if ENDPOINTS[i].request_kind {
            n += 1;
        }
        i += 1;
    }
    n
}

impl Kind {
    /// The kinds `signedRequest` takes (every call but starting a face
    /// verification), in the table's order.
    #[allow(clippy::indexing_slicing)]
    pub const ALL: [Kind; request_kinds()] = {
        let mut out = [Kind::FaceResult; request_kinds()];
        let (mut i, mut n) = (0, 0);
        while i < ENDPOINTS.len() {
            if ENDPOINTS[i].request_kind {
                out[n] = ENDPOINTS[i].kind;
                n += 1;
            }
            i += 1;
        }
        out
    };

    /// This kind's row of [`ENDPOINTS`].
    pub fn row(self) -> &'static Endpoint {
        // Row `i` is the kind whose discriminant is `i` (checked when the
        // crate compiles, in `rows`): the fallback is never taken.
        ENDPOINTS.get(self as usize).unwrap_or(rows::LAST)
    }

    /// The JavaScript method name, also accepted by `signedRequest(kind, …)`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The kind named `name` (see [`Kind::name`]) among [`Kind::ALL`].
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The error for a `signedRequest` kind that is none of [`Kind::ALL`]
    /// (`got` describes what was given): it names them all.
    pub fn unknown(got: &str) -> Error {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        Error::InvalidOption(format!(
            "kind must be one of {}; got {got}",
            names.join(", ")
        ))
    }

    /// The path below the host.
    pub fn path(self) -> &'static str {
        self.row().path
    }

    /// The HTTP method.
    pub fn method(self) -> Method {
        self.row().method
    }

    /// The host the endpoint lives on.
    pub fn host(self) -> Host {
        self.row().host
    }

    /// The name the App ID goes by in this call's request.
    pub fn app_id_param(self) -> &'static str {
        self.row().app_id_param
    }

    /// Whether `get_file` takes the face values (`none`/`all`/`photo`/`video`)
    /// rather than a yes/no.
    pub fn face_files(self) -> bool {
        self.row().files == Files::Face
    }

    /// The media fields this endpoint can return.
    pub fn media_fields(self) -> &'static [&'static str] {
        self.row().media
    }
}

/// Every field that can hold a photo or video, in any answer: the media
/// fields of every row, each once, in the table's order.
pub fn media_fields() -> impl Iterator<Item = &'static str> {
    ENDPOINTS.iter().enumerate().flat_map(|(i, row)| {
        row.media
            .iter()
            .copied()
            .filter(move |f| !ENDPOINTS.iter().take(i).any(|r| r.media.contains(f)))
    })
}

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
            (GetFile::All, _) => kind.media_fields(),
            (GetFile::Photo, true) => &["photo"],
            (GetFile::Video, true) => &["video"],
            // OCR images: which sides exist depends on the capture, so any
            // one of the endpoint's image fields counts as "files arrived".
            (_, false) => kind.media_fields(),
        }
    }
}
