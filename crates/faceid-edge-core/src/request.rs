//! Building signed requests: URL, method, headers and body for every
//! endpoint of [`Kind`], from validated inputs (pure: no I/O).
//!
//! ```
//! use faceid_edge_core::endpoints::{GetFile, Kind};
//! use faceid_edge_core::request::Config;
//!
//! let config = Config::new("IDAXXXXX", None, Some("http://127.0.0.1:8788"), None)?;
//! let ticket = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
//! let nonce = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";
//! let req = config.query(Kind::FaceResult, "order001", GetFile::Photo, ticket, nonce)?;
//! assert!(req.url.starts_with("http://127.0.0.1:8788/api/server/sync?app_id=IDAXXXXX&order_no=order001&nonce="));
//! assert!(req.url.ends_with("&get_file=2"));
//! # Ok::<(), faceid_edge_core::Error>(())
//! ```

use crate::endpoints::{GetFile, Host, Kind, Method};
use crate::error::{Error, Result};
use crate::sign::{sign_string, SignParams, DEFAULT_VERSION};
use crate::validate;

mod hosts;
mod image;

pub use hosts::{
    dev_host, Hosts, DEFAULT_KYC_URL, DEFAULT_SERVER_URL, LEGACY_KYC_URL, LEGACY_SERVER_URL,
};
pub use image::{check_image_size, megabytes, CardType, IdCardOcrInput, Image};

/// Largest accepted `idcardStr`: 20 MB of base64.
pub const MAX_IMAGE_BASE64: usize = 20 * 1024 * 1024;
/// The `queryVersion` sent to `queryfacerecord`.
pub const QUERY_VERSION: &str = "1.0";

/// Validated client settings: who we are and where the service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    app_id: String,
    version: String,
    server_url: String,
    kyc_url: String,
    /// Host names taken with plain `http://` (development only).
    dev_hosts: Vec<String>,
}

/// Checks a base URL and removes trailing slashes.
///
/// `https://` is required, except for a service on this machine (a local
/// simulator): plain `http://` is accepted only when the host is `localhost`,
/// an address in `127.0.0.0/8` written as four decimal numbers, or `[::1]`.
/// Names under `.localhost` are refused: whether they reach this machine
/// depends on the resolver, and the token request carries the secret in its
/// query string. A user name or password (`user:pass@`) is always refused.
fn base_url(url: &str, name: &str, dev_hosts: &[String]) -> Result<String> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(Error::InvalidUrl(format!(
            "{name} must start with https:// (http:// only for a local simulator on localhost, 127.0.0.1 or [::1])"
        )));
    };
    if let Some(c) = url
        .chars()
        .find(|&c| !c.is_ascii_graphic() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(Error::InvalidUrl(format!(
            "{name} must be an ASCII base URL without query, fragment, backslash or whitespace; found {}",
            validate::describe(c)
        )));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(Error::InvalidUrl(format!(
            "{name} must not contain a user name or password (user:password@host): remove them; the service authenticates requests by their signature"
        )));
    }
    let (host, port) = split_host_port(authority);
    if host.is_empty() {
        return Err(Error::InvalidUrl(format!("{name} has no host")));
    }
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidUrl(format!(
                "{name} has an invalid port: use host:port with a port of 1 to 5 digits"
            )));
        }
    }
    if !secure && !is_loopback(host) && !dev_hosts.iter().any(|d| d.eq_ignore_ascii_case(host)) {
        return Err(Error::InvalidUrl(format!(
            "{name} must use https:// for host {}: plain http:// is accepted only for a local simulator on localhost, 127.x.x.x or [::1], because requests carry the secret and signatures (a simulator under another name in development, such as a docker compose service: list it in devHosts)",
            validate::quote(host)
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Splits `host[:port]` (the host may be a bracketed IPv6 address); the port
/// is `Some` when anything follows the host.
pub(crate) fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(host_end);
    match rest.strip_prefix(':') {
        Some(port) => (host, Some(port)),
        None if rest.is_empty() => (host, None),
        // Something other than `:port` after the host: reported as a bad port.
        None => (host, Some(rest)),
    }
}

/// `localhost`, `[::1]`, or a dotted-quad address in `127.0.0.0/8` (four
/// decimal numbers from 0 to 255 without leading zeros, so that no octal or
/// shortened form slips through).
pub(crate) fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    let decimal = |p: &&str| {
        !p.is_empty()
            && p.len() <= 3
            && p.bytes().all(|b| b.is_ascii_digit())
            && (*p == "0" || !p.starts_with('0'))
            && p.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    parts.len() == 4 && parts.first() == Some(&"127") && parts.iter().all(decimal)
}

/// A request ready to send: everything `fetch` needs.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The endpoint.
    pub kind: Kind,
    /// The full URL, query string included.
    pub url: String,
    /// The HTTP method.
    pub method: Method,
    /// Request headers (only `content-type` for JSON bodies).
    pub headers: Vec<(&'static str, &'static str)>,
    /// The JSON body of `POST` requests.
    pub body: Option<String>,
}

impl core::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("kind", &self.kind)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body_len", &self.body.as_ref().map(String::len))
            .finish()
    }
}

/// Writes `value` as a JSON string literal.
fn json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object of string fields, in the given order.
pub fn json_object(fields: &[(&str, &str)]) -> String {
    let capacity = fields
        .iter()
        .map(|(k, v)| k.len() + v.len() + 6)
        .sum::<usize>()
        + 2;
    let mut out = String::with_capacity(capacity);
    out.push('{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, key);
        out.push(':');
        json_string(&mut out, value);
    }
    out.push('}');
    out
}

impl Config {
    /// Validates and stores the client settings. `None` takes the default
    /// (the current host, [`Hosts::Current`]).
    pub fn new(
        app_id: &str,
        version: Option<&str>,
        server_url: Option<&str>,
        kyc_url: Option<&str>,
    ) -> Result<Config> {
        Config::with_hosts(app_id, version, server_url, kyc_url, Hosts::Current)
    }

    /// [`Config::new`] with the defaults taken from `hosts`.
    pub fn with_hosts(
        app_id: &str,
        version: Option<&str>,
        server_url: Option<&str>,
        kyc_url: Option<&str>,
        hosts: Hosts,
    ) -> Result<Config> {
        Config::with_dev_hosts(app_id, version, server_url, kyc_url, hosts, &[])
    }

    /// [`Config::with_hosts`] that also takes plain `http://` for the host
    /// names in `dev_hosts` (each checked by [`dev_host`]): a simulator that
    /// is not on this machine's loopback, in development only.
    pub fn with_dev_hosts(
        app_id: &str,
        version: Option<&str>,
        server_url: Option<&str>,
        kyc_url: Option<&str>,
        hosts: Hosts,
        dev_hosts: &[String],
    ) -> Result<Config> {
        validate::app_id(app_id)?;
        let version = version.unwrap_or(DEFAULT_VERSION);
        validate::version(version)?;
        Ok(Config {
            app_id: app_id.to_owned(),
            version: version.to_owned(),
            server_url: base_url(
                server_url.unwrap_or(hosts.base(Host::Server)),
                "serverUrl",
                dev_hosts,
            )?,
            kyc_url: base_url(
                kyc_url.unwrap_or(hosts.base(Host::Kyc)),
                "kycUrl",
                dev_hosts,
            )?,
            dev_hosts: dev_hosts.to_vec(),
        })
    }

    /// The App ID.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The API version sent with every call.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The host names taken with plain `http://` (development only).
    pub fn dev_hosts(&self) -> &[String] {
        &self.dev_hosts
    }

    /// The base URL of `host`, without a trailing slash.
    pub fn base(&self, host: Host) -> &str {
        match host {
            Host::Server => &self.server_url,
            Host::Kyc => &self.kyc_url,
        }
    }

    /// The five-value signature for `order_no`, after validating everything.
    fn sign(&self, order_no: &str, ticket: &str, nonce: &str) -> Result<String> {
        let params = SignParams {
            app_id: &self.app_id,
            order_no,
            ticket,
            nonce,
            version: &self.version,
        };
        params.sign_bytes().map(|b| sign_string(&b))
    }

    /// A result query (`faceResult`, `liveResult`, `idCardOcrResult`,
    /// `bankCardOcrResult`, `queryFaceRecord`), signed.
    ///
    /// For the OCR result queries, any `get_file` other than
    /// [`GetFile::None`] asks for the images (`get_file=1`).
    pub fn query(
        &self,
        kind: Kind,
        order_no: &str,
        get_file: GetFile,
        ticket: &str,
        nonce: &str,
    ) -> Result<SignedRequest> {
        if kind == Kind::IdCardOcr {
            return Err(Error::InvalidOption(
                "idCardOcr is not a result query; use idCardOcr({ orderNo, cardType, image })"
                    .into(),
            ));
        }
        let get_file = if kind.face_files() || get_file == GetFile::None {
            get_file
        } else {
            GetFile::All
        };
        let sign = self.sign(order_no, ticket, nonce)?;
        let base = self.base(kind.host());
        if kind.method() == Method::Post {
            let url = format!("{base}{}?orderNo={order_no}", kind.path());
            let body = json_object(&[
                (kind.app_id_param(), &self.app_id),
                ("version", &self.version),
                ("nonce", nonce),
                ("orderNo", order_no),
                ("sign", &sign),
                ("getFile", get_file.param().unwrap_or("0")),
                ("queryVersion", QUERY_VERSION),
            ]);
            return Ok(post(kind, url, body));
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair(kind.app_id_param(), &self.app_id)
            .append_pair("order_no", order_no)
            .append_pair("nonce", nonce)
            .append_pair("version", &self.version)
            .append_pair("sign", &sign);
        if let Some(value) = get_file.param() {
            query.append_pair("get_file", value);
        }
        Ok(SignedRequest {
            kind,
            url: format!("{base}{}?{}", kind.path(), query.finish()),
            method: Method::Get,
            headers: Vec::new(),
            body: None,
        })
    }

    /// ID card OCR from an image (`POST /api/paas/idcardocrapp`), signed.
    pub fn id_card_ocr(
        &self,
        input: &IdCardOcrInput<'_>,
        ticket: &str,
        nonce: &str,
    ) -> Result<SignedRequest> {
        let mut request = self.id_card_ocr_head(
            input.order_no,
            input.card_type,
            input.user_id,
            ticket,
            nonce,
        )?;
        let image = input.image.to_base64()?;
        if let Some(body) = request.body.as_mut() {
            body.reserve_exact(image.len() + IMAGE_BODY_TAIL.len());
            body.push_str(&image);
            body.push_str(IMAGE_BODY_TAIL);
        }
        Ok(request)
    }

    /// ID card OCR, signed, for a caller that holds the image elsewhere (the
    /// WebAssembly layer keeps it in JavaScript, encoded once per call): the
    /// body stops where the image goes. Send `body` + the image's base64 text
    /// (as [`Image::to_base64`] returns it) + [`IMAGE_BODY_TAIL`].
    pub fn id_card_ocr_head(
        &self,
        order_no: &str,
        card_type: CardType,
        user_id: Option<&str>,
        ticket: &str,
        nonce: &str,
    ) -> Result<SignedRequest> {
        validate::order_no(order_no)?;
        if let Some(user_id) = user_id {
            validate::user_id(user_id, validate::USER_ID_MAX)?;
        }
        let sign = self.sign(order_no, ticket, nonce)?;
        let kind = Kind::IdCardOcr;
        let url = format!(
            "{}{}?orderNo={}",
            self.base(kind.host()),
            kind.path(),
            order_no
        );
        let mut fields: Vec<(&str, &str)> = vec![
            (kind.app_id_param(), &self.app_id),
            ("version", &self.version),
            ("nonce", nonce),
            ("sign", &sign),
            ("orderNo", order_no),
        ];
        if let Some(user_id) = user_id {
            fields.push(("userId", user_id));
        }
        fields.push(("cardType", card_type.param()));
        let mut body = json_object(&fields);
        // Reopen the object for the last field, whose value follows.
        body.pop();
        body.push_str(IMAGE_BODY_HEAD);
        Ok(post(kind, url, body))
    }
}

/// What the body of an ID card OCR request has just before the image's
/// base64 text.
const IMAGE_BODY_HEAD: &str = ",\"idcardStr\":\"";

/// What follows the image's base64 text in the body of an ID card OCR
/// request (see [`Config::id_card_ocr_head`]). Base64 needs no escaping.
pub const IMAGE_BODY_TAIL: &str = "\"}";

fn post(kind: Kind, url: String, body: String) -> SignedRequest {
    SignedRequest {
        kind,
        url,
        method: Method::Post,
        headers: vec![("content-type", "application/json")],
        body: Some(body),
    }
}

#[cfg(test)]
mod tests;
