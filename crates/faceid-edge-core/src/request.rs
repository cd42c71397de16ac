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

use base64::Engine as _;

use crate::endpoints::{GetFile, Host, Kind, Method};
use crate::error::{Error, Result};
use crate::sign::{sign_string, SignParams, DEFAULT_VERSION};
use crate::validate;

/// The default `serverUrl` (tokens, tickets and the four GET result
/// queries): the host every current official page shows.
pub const DEFAULT_SERVER_URL: &str = "https://kyc1.qcloud.com";
/// The default `kycUrl` (`getAdvFaceId`, ID card OCR from an image,
/// `queryfacerecord`, and the face page when the service names no
/// `optimalDomain`): the same current host.
pub const DEFAULT_KYC_URL: &str = "https://kyc1.qcloud.com";
/// The legacy `serverUrl` of the older pages (`hosts: "legacy"`).
pub const LEGACY_SERVER_URL: &str = "https://idasc.webank.com";
/// The legacy `kycUrl` of the older pages (`hosts: "legacy"`).
pub const LEGACY_KYC_URL: &str = "https://miniprogram-kyc.tencentcloudapi.com";

/// Checks an entry of `devHosts`: a host name (letters, digits, `-` and
/// `.`, at most 253 characters), such as a docker compose service `sim`.
pub fn dev_host(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        && !name.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption(format!(
            "devHosts takes host names such as \"sim\" (letters, digits, '-' and '.'); got {}",
            validate::quote(name)
        )))
    }
}

/// Which pair of default hosts a client uses when `serverUrl` or `kycUrl`
/// is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hosts {
    /// `https://kyc1.qcloud.com` for every call (the current pages).
    #[default]
    Current,
    /// `https://idasc.webank.com` and
    /// `https://miniprogram-kyc.tencentcloudapi.com` (the older pages).
    Legacy,
}

impl Hosts {
    /// Parses the `hosts` option: `"current"` or `"legacy"`.
    pub fn from_name(name: &str) -> Result<Hosts> {
        match name {
            "current" => Ok(Hosts::Current),
            "legacy" => Ok(Hosts::Legacy),
            _ => Err(Error::InvalidOption(format!(
                "hosts must be \"current\" (https://kyc1.qcloud.com) or \"legacy\" (https://idasc.webank.com and https://miniprogram-kyc.tencentcloudapi.com); got {}",
                validate::quote(name)
            ))),
        }
    }

    /// The default base URL of `host` in this set.
    pub fn base(self, host: Host) -> &'static str {
        match (self, host) {
            (Hosts::Current, Host::Server) => DEFAULT_SERVER_URL,
            (Hosts::Current, Host::Kyc) => DEFAULT_KYC_URL,
            (Hosts::Legacy, Host::Server) => LEGACY_SERVER_URL,
            (Hosts::Legacy, Host::Kyc) => LEGACY_KYC_URL,
        }
    }
}
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

/// The ID card side an image shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    /// The portrait side (人像面): `cardType` `"0"`.
    Portrait,
    /// The national emblem side (国徽面): `cardType` `"1"`.
    Emblem,
}

impl CardType {
    /// Parses the JavaScript option: `"portrait"` or `"emblem"`.
    pub fn from_name(name: &str) -> Option<CardType> {
        match name {
            "portrait" => Some(CardType::Portrait),
            "emblem" => Some(CardType::Emblem),
            _ => None,
        }
    }

    /// The value sent as `cardType`.
    pub fn param(self) -> &'static str {
        match self {
            CardType::Portrait => "0",
            CardType::Emblem => "1",
        }
    }
}

/// An image for ID card OCR.
#[derive(Debug, Clone, Copy)]
pub enum Image<'a> {
    /// Raw image bytes (encoded to base64 here).
    Bytes(&'a [u8]),
    /// Base64 text; a `data:…;base64,` prefix and whitespace are removed.
    Base64(&'a str),
}

impl Image<'_> {
    /// The base64 text to send: checked, cleaned, at most 20 MB.
    pub fn to_base64(self) -> Result<String> {
        match self {
            Image::Bytes(bytes) => {
                if bytes.is_empty() {
                    return Err(Error::InvalidImage("image is empty".into()));
                }
                let encoded_len = bytes.len().div_ceil(3) * 4;
                check_image_size(encoded_len)?;
                Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            Image::Base64(text) => crate::image_text::clean(text, MAX_IMAGE_BASE64),
        }
    }
}

/// `bytes` in MB with one decimal, without float formatting (which would
/// add kilobytes of wasm).
pub fn megabytes(bytes: usize) -> String {
    let tenths = (bytes * 10 + 524_288) / 1_048_576;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Fails with [`Error::ImageTooLarge`] past 20 MB of base64.
pub fn check_image_size(encoded_len: usize) -> Result<()> {
    crate::image_text::check_size(encoded_len, MAX_IMAGE_BASE64)
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

/// The inputs of an ID card OCR call (`POST /api/paas/idcardocrapp`).
#[derive(Debug, Clone, Copy)]
pub struct IdCardOcrInput<'a> {
    /// The partner's order number.
    pub order_no: &'a str,
    /// Which side of the card the image shows.
    pub card_type: CardType,
    /// The image.
    pub image: Image<'a>,
    /// The user's id, optional.
    pub user_id: Option<&'a str>,
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
        if kind == Kind::QueryFaceRecord {
            let url = format!("{base}{}?orderNo={order_no}", kind.path());
            let body = json_object(&[
                ("appId", &self.app_id),
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
            .append_pair("app_id", &self.app_id)
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
            ("webankAppId", &self.app_id),
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
mod tests {
    use super::*;

    const TICKET: &str = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
    const NONCE: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";

    fn config() -> Config {
        Config::new("appId001", None, Some("http://127.0.0.1:9/"), None).unwrap()
    }

    #[test]
    fn config_defaults_and_checks() {
        // The current pages place every call on kyc1.qcloud.com.
        let c = Config::new("IDA", None, None, None).unwrap();
        assert_eq!(c.base(Host::Server), "https://kyc1.qcloud.com");
        assert_eq!(c.base(Host::Kyc), "https://kyc1.qcloud.com");
        assert_eq!(c.version(), "1.0.0");
        let legacy = Config::with_hosts("IDA", None, None, None, Hosts::Legacy).unwrap();
        assert_eq!(legacy.base(Host::Server), "https://idasc.webank.com");
        assert_eq!(
            legacy.base(Host::Kyc),
            "https://miniprogram-kyc.tencentcloudapi.com"
        );
        // A named development host: only when listed.
        let e = Config::new("IDA", None, Some("http://sim:8788"), None).unwrap_err();
        assert!(e.message().contains("devHosts"), "{e}");
        let dev = Config::with_dev_hosts(
            "IDA",
            None,
            Some("http://sim:8788"),
            Some("http://SIM:8788/"),
            Hosts::Current,
            &["sim".to_owned()],
        )
        .unwrap();
        assert_eq!(dev.base(Host::Kyc), "http://SIM:8788");
        assert!(Config::with_dev_hosts(
            "IDA",
            None,
            Some("http://other:8788"),
            None,
            Hosts::Current,
            &["sim".to_owned()]
        )
        .is_err());
        assert!(dev_host("sim").is_ok() && dev_host("kyc-sim.local").is_ok());
        for bad in ["", "*", "a b", "-x", "sim:8788", "user@sim"] {
            assert_eq!(dev_host(bad).unwrap_err().code(), "INVALID_OPTION", "{bad}");
        }
        let mixed = Config::with_hosts("IDA", None, Some("https://x.example"), None, Hosts::Legacy)
            .unwrap();
        assert_eq!(mixed.base(Host::Server), "https://x.example");
        assert_eq!(Hosts::from_name("legacy"), Ok(Hosts::Legacy));
        assert_eq!(
            Hosts::from_name("old").unwrap_err().code(),
            "INVALID_OPTION"
        );
        assert_eq!(config().base(Host::Server), "http://127.0.0.1:9");
        let kyc1 = Config::new(
            "IDA",
            None,
            Some("https://kyc1.qcloud.com"),
            Some("https://kyc1.qcloud.com"),
        );
        assert!(kyc1.is_ok());
        for bad in [
            "idasc.webank.com",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?a=1",
            "https://x/#f",
        ] {
            let e = Config::new("IDA", None, Some(bad), None).unwrap_err();
            assert_eq!(e.code(), "INVALID_URL", "{bad}");
        }
        let e = Config::new("IDA", None, Some("http://idasc.webank.com"), None).unwrap_err();
        assert_eq!(e.code(), "INVALID_URL");
        assert!(e.message().contains("https://"), "{e}");
        assert!(e.message().contains("localhost"), "{e}");
        assert_eq!(
            Config::new("", None, None, None).unwrap_err().code(),
            "INVALID_APP_ID"
        );
        assert_eq!(
            Config::new("A", Some(""), None, None).unwrap_err().code(),
            "INVALID_VERSION"
        );
    }

    #[test]
    fn plain_http_only_for_loopback_hosts() {
        let ok = |url: &str| Config::new("IDA", None, Some(url), Some(url));
        for good in [
            "http://127.0.0.1:8788",
            "http://127.0.0.1",
            "http://127.255.3.4:1/base/",
            "http://localhost:8788",
            "http://LOCALHOST",
            "http://[::1]:8788",
            "http://[::1]",
            "https://example.com",
            "https://example.com:8443/x",
            "https://127.0.0.1:9",
        ] {
            assert!(ok(good).is_ok(), "{good}: {:?}", ok(good));
        }
        for bad in [
            "http://example.com",
            "http://idasc.webank.com",
            "http://128.0.0.1",
            "http://10.0.0.1:8788",
            "http://0.0.0.0:8788",
            "http://127.0.0.1.example.com",
            "http://127.1",
            "http://0127.0.0.1",
            "http://127.0.0.01",
            "http://127.0.0.256",
            "http://0x7f.0.0.1",
            "http://sim.localhost:8788",
            "http://localhost.:8788",
            "http://[::2]",
            "http://[0:0:0:0:0:0:0:1]",
            "http://[::ffff:127.0.0.1]",
            "http://127.0.0.1\\@example.com",
        ] {
            let e = ok(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_URL", "{bad}");
        }
        let e = ok("http://example.com").unwrap_err();
        assert!(e.message().contains("\"example.com\""), "{e}");
        assert!(e.message().contains("127.x.x.x or [::1]"), "{e}");
    }

    #[test]
    fn credentials_and_bad_ports_are_refused() {
        for bad in [
            "https://user:pass@idasc.webank.com",
            "https://user@idasc.webank.com",
            "http://user:pass@127.0.0.1:8788",
            "https://:pw@x",
        ] {
            let e = Config::new("IDA", None, Some(bad), None).unwrap_err();
            assert_eq!(e.code(), "INVALID_URL", "{bad}");
            assert!(e.message().contains("user name or password"), "{e}");
            assert!(
                !e.message().contains("pass@") && !e.message().contains(":pw"),
                "{e}"
            );
        }
        for bad in [
            "https://x:",
            "https://x:80a",
            "https://x:123456",
            "http://127.0.0.1:80:90",
            "http://[::1]x",
            "https://:443",
        ] {
            let e = Config::new("IDA", None, None, Some(bad)).unwrap_err();
            assert_eq!(e.code(), "INVALID_URL", "{bad}");
            assert!(e.message().starts_with("kycUrl"), "{e}");
        }
    }

    #[test]
    fn get_query_is_signed_like_the_official_vector() {
        let c = Config::new("appId001", None, Some("http://127.0.0.1:9"), None).unwrap();
        let t = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
        let r = c
            .query(Kind::FaceResult, "aabc1457895464", GetFile::None, t, NONCE)
            .unwrap();
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/api/server/sync?app_id=appId001&order_no=aabc1457895464\
             &nonce=kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T&version=1.0.0\
             &sign=993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
        );
        assert_eq!(r.method, Method::Get);
        assert!(r.body.is_none());
    }

    #[test]
    fn get_file_mapping_per_kind() {
        let c = config();
        let url = |k, g| c.query(k, "o1", g, TICKET, NONCE).unwrap().url;
        assert!(url(Kind::LiveResult, GetFile::Video).ends_with("&get_file=3"));
        assert!(url(Kind::LiveResult, GetFile::Video).contains("/api/server/getLiveResult?"));
        assert!(!url(Kind::FaceResult, GetFile::None).contains("get_file"));
        // OCR queries know only "1".
        assert!(url(Kind::IdCardOcrResult, GetFile::Photo).ends_with("&get_file=1"));
        assert!(url(Kind::BankCardOcrResult, GetFile::All)
            .contains("/api/server/getBankCardOcrResult?"));
    }

    #[test]
    fn query_face_record_is_a_json_post() {
        let c = config();
        let r = c
            .query(Kind::QueryFaceRecord, "o1", GetFile::Photo, TICKET, NONCE)
            .unwrap();
        assert_eq!(r.method, Method::Post);
        assert!(r.url.ends_with("/api/v2/base/queryfacerecord?orderNo=o1"));
        assert!(r.url.starts_with(DEFAULT_KYC_URL));
        let body = r.body.unwrap();
        let sign = crate::sign_values(["appId001", "o1", "1.0.0", TICKET, NONCE]);
        assert_eq!(
            body,
            format!(
                r#"{{"appId":"appId001","version":"1.0.0","nonce":"{NONCE}","orderNo":"o1","sign":"{sign}","getFile":"2","queryVersion":"1.0"}}"#
            )
        );
        assert_eq!(r.headers, vec![("content-type", "application/json")]);
    }

    #[test]
    fn id_card_ocr_body() {
        let c = config();
        let input = IdCardOcrInput {
            order_no: "o2",
            card_type: CardType::Emblem,
            image: Image::Bytes(&[0xFF, 0xD8, 0xFF, 0xE0]),
            user_id: Some("u1"),
        };
        let r = c.id_card_ocr(&input, TICKET, NONCE).unwrap();
        assert!(r.url.ends_with("/api/paas/idcardocrapp?orderNo=o2"));
        let body = r.body.unwrap();
        assert!(body.starts_with(r#"{"webankAppId":"appId001","version":"1.0.0","nonce":""#));
        assert!(body
            .ends_with(r#","orderNo":"o2","userId":"u1","cardType":"1","idcardStr":"/9j/4A=="}"#));
    }

    #[test]
    fn id_card_ocr_head_plus_image_is_the_body() {
        let c = config();
        let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let input = IdCardOcrInput {
            order_no: "o3",
            card_type: CardType::Portrait,
            image: Image::Bytes(&bytes),
            user_id: None,
        };
        let full = c.id_card_ocr(&input, TICKET, NONCE).unwrap();
        let head = c
            .id_card_ocr_head("o3", CardType::Portrait, None, TICKET, NONCE)
            .unwrap();
        assert_eq!(head.url, full.url);
        assert_eq!(head.headers, full.headers);
        let image = Image::Bytes(&bytes).to_base64().unwrap();
        let body = format!("{}{image}{IMAGE_BODY_TAIL}", head.body.unwrap());
        assert_eq!(Some(body), full.body);
        assert!(full
            .body
            .unwrap()
            .ends_with(r#""cardType":"0","idcardStr":"/9j/4AECAw=="}"#));
        let e = c
            .id_card_ocr_head("o3", CardType::Portrait, Some("a b"), TICKET, NONCE)
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_USER_ID");
    }

    #[test]
    fn image_cleaning_and_limits() {
        let clean = |s| Image::Base64(s).to_base64();
        assert_eq!(
            clean("data:image/jpeg;base64,/9j/\r\n4A==").unwrap(),
            "/9j/4A=="
        );
        assert_eq!(clean(" /9j/4A== ").unwrap(), "/9j/4A==");
        assert_eq!(clean("").unwrap_err().code(), "INVALID_IMAGE");
        assert_eq!(
            clean("data:image/png,abc").unwrap_err().code(),
            "INVALID_IMAGE"
        );
        assert_eq!(clean("ab$d").unwrap_err().code(), "INVALID_IMAGE");
        assert_eq!(clean("abcde").unwrap_err().code(), "INVALID_IMAGE");
        assert_eq!(clean("ab===").unwrap_err().code(), "INVALID_IMAGE");
        let big = "A".repeat(MAX_IMAGE_BASE64 + 4);
        assert_eq!(clean(&big).unwrap_err().code(), "IMAGE_TOO_LARGE");
        assert!(clean(&"A".repeat(MAX_IMAGE_BASE64)).is_ok());
        let bytes = vec![0u8; MAX_IMAGE_BASE64 / 4 * 3 + 1];
        assert_eq!(
            Image::Bytes(&bytes).to_base64().unwrap_err().code(),
            "IMAGE_TOO_LARGE"
        );
        assert_eq!(
            Image::Bytes(&[]).to_base64().unwrap_err().code(),
            "INVALID_IMAGE"
        );
    }

    #[test]
    fn validation_comes_before_everything() {
        let c = config();
        let e = c
            .query(Kind::FaceResult, "bad-order", GetFile::None, TICKET, NONCE)
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_ORDER_NO");
        let e = c
            .query(Kind::FaceResult, "o1", GetFile::None, "", NONCE)
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_TICKET");
        let input = IdCardOcrInput {
            order_no: "o2",
            card_type: CardType::Portrait,
            image: Image::Base64("AAAA"),
            user_id: Some("bad user"),
        };
        assert_eq!(
            c.id_card_ocr(&input, TICKET, NONCE).unwrap_err().code(),
            "INVALID_USER_ID"
        );
    }

    #[test]
    fn megabytes_rounds_to_tenths() {
        assert_eq!(megabytes(0), "0.0");
        assert_eq!(megabytes(1_048_576), "1.0");
        assert_eq!(megabytes(MAX_IMAGE_BASE64 + 4), "20.0");
        assert_eq!(megabytes(22_000_000), "21.0");
        assert_eq!(megabytes(1_572_864), "1.5");
    }

    #[test]
    fn json_escaping() {
        assert_eq!(
            json_object(&[("a", "x\"y\\z\n\u{1}"), ("b", "身份")]),
            r#"{"a":"x\"y\\z\n\u0001","b":"身份"}"#
        );
    }

    #[test]
    fn debug_never_prints_the_body() {
        let c = config();
        let r = c
            .query(Kind::QueryFaceRecord, "o1", GetFile::None, TICKET, NONCE)
            .unwrap();
        assert!(!format!("{r:?}").contains("sign"));
    }
}
