//! The H5 face flow: starting a verification (`getAdvFaceId`), the signed
//! login URL of the face page, and checking the callback's signature.
//!
//! 1. [`Config::start_face`] signs `POST {kyc}/api/server/getAdvFaceId` over
//!    the App ID, the user id, the version, a nonce and the SIGN ticket; the
//!    answer carries `faceId` and `optimalDomain`.
//! 2. With a NONCE ticket fetched for the same user, [`Config::login_url`]
//!    builds `https://{optimalDomain}/api/web/login?…`, signed over the App
//!    ID, the order number, the user id, the version, the `faceId`, the
//!    NONCE ticket and a nonce.
//! 3. The face page sends the user back to the callback URL with `code`,
//!    `orderNo` and `newSign` (older pages: `newSignature`), a signature
//!    over the App ID, the order number, the SIGN ticket and the code:
//!    [`Callback::verify`]. The code only says what the page showed; the
//!    result query is the verdict.
//!
//! See `docs/protocol.md` in the repository for the whole flow.

use crate::endpoints::Kind;
use crate::error::{Error, Result};
use crate::request::{is_loopback, json_object, split_host_port, Config, SignedRequest};
use crate::sign::{sign_values, verify_sign};
use crate::validate;

mod photo;

pub use photo::{photo_too_large, source_photo_base64, SourcePhoto};

/// Largest comparison photo (`sourcePhotoStr`), in bytes before base64.
pub const SOURCE_PHOTO_MAX: usize = 500 * 1024;
/// Longest accepted name, in characters.
pub const NAME_MAX: usize = 64;
/// Longest accepted ID number, in characters.
pub const ID_NO_MAX: usize = 32;
/// Longest accepted callback or login base URL, in bytes.
pub const CALLBACK_URL_MAX: usize = 2048;
/// Longest `faceId` accepted from the service.
pub const FACE_ID_MAX: usize = 128;
/// Longest callback `code` accepted.
pub const CODE_MAX: usize = 32;

/// Checks a person's name: 1 to 64 characters, no control characters, no
/// leading or trailing space.
pub fn name(value: &str) -> Result<()> {
    let count = value.chars().count();
    if count == 0 {
        return Err(Error::InvalidIdentity(
            "name is empty: give the person's name as on the ID card".into(),
        ));
    }
    if count > NAME_MAX {
        return Err(Error::InvalidIdentity(format!(
            "name must be at most {NAME_MAX} characters; got {count}"
        )));
    }
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(Error::InvalidIdentity(format!(
            "name has the control character {} at position {i}",
            validate::describe(c)
        )));
    }
    if value.trim() != value {
        return Err(Error::InvalidIdentity(
            "name has a leading or trailing space: remove it".into(),
        ));
    }
    Ok(())
}

/// Checks an ID number: 1 to 32 ASCII letters or digits. For a mainland
/// resident ID card (15 or 18 characters) the last character may be `X`.
/// The message never repeats the number.
pub fn id_no(value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidIdentity(
            "idNo is empty: give the ID card number".into(),
        ));
    }
    if value.len() > ID_NO_MAX {
        return Err(Error::InvalidIdentity(format!(
            "idNo must be at most {ID_NO_MAX} characters; got {}",
            value.chars().count()
        )));
    }
    if let Some(i) = value.chars().position(|c| !c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidIdentity(format!(
            "idNo may hold only ASCII letters and digits; position {i} holds something else"
        )));
    }
    Ok(())
}

/// Checks a URL the user's browser is sent to (the callback URL, a login
/// base): `https://`, or `http://` for a host on this machine
/// (`localhost`, `127.x.x.x`, `[::1]`), printable ASCII, no fragment, no
/// user name or password, at most 2048 bytes.
pub fn browser_url(value: &str, field: &str) -> Result<()> {
    browser_url_allowing(value, field, &[])
}

/// [`browser_url`] that also takes plain `http://` for the host names in
/// `dev_hosts` (a face page served by a simulator in development).
pub fn browser_url_allowing(value: &str, field: &str, dev_hosts: &[String]) -> Result<()> {
    if value.len() > CALLBACK_URL_MAX {
        return Err(Error::InvalidUrl(format!(
            "{field} must be at most {CALLBACK_URL_MAX} bytes; got {}",
            value.len()
        )));
    }
    let (secure, rest) = if let Some(rest) = value.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = value.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(Error::InvalidUrl(format!(
            "{field} must be an absolute https:// URL (http:// only on localhost, 127.0.0.1 or [::1])"
        )));
    };
    if let Some(c) = value
        .chars()
        .find(|&c| !c.is_ascii_graphic() || matches!(c, '#' | '\\' | '"' | '<' | '>'))
    {
        return Err(Error::InvalidUrl(format!(
            "{field} must be printable ASCII (percent-encode the rest) without a fragment; found {}",
            validate::describe(c)
        )));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(Error::InvalidUrl(format!(
            "{field} must not contain a user name or password"
        )));
    }
    let (host, _) = split_host_port(authority);
    if host.is_empty() {
        return Err(Error::InvalidUrl(format!("{field} has no host")));
    }
    if !secure && !is_loopback(host) && !dev_hosts.iter().any(|d| d.eq_ignore_ascii_case(host)) {
        return Err(Error::InvalidUrl(format!(
            "{field} must use https:// for host {}",
            validate::quote(host)
        )));
    }
    Ok(())
}

/// Checks the `optimalDomain` the service answered with: a host name (and
/// optional port), nothing that could change the URL's scheme or path.
pub fn optimal_domain(value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 260
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        && !value.starts_with(['.', '-', ':']);
    if ok {
        Ok(())
    } else {
        Err(Error::BadResponse(
            "getAdvFaceId answered with an optimalDomain that is not a host name".into(),
        ))
    }
}

/// Checks the `faceId` the service answered with.
pub fn face_id(value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= FACE_ID_MAX
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadResponse(
            "getAdvFaceId answered without a usable faceId".into(),
        ))
    }
}

/// What starting a face verification needs.
#[derive(Debug, Clone, Copy)]
pub struct FaceStart<'a> {
    /// The partner's order number (1 to 32 letters and digits).
    pub order_no: &'a str,
    /// The user's id (at most 30 characters: a NONCE ticket follows).
    pub user_id: &'a str,
    /// The person's name; may be left out only with a comparison photo.
    pub name: Option<&'a str>,
    /// The person's ID number; may be left out only with a comparison photo.
    pub id_no: Option<&'a str>,
    /// The cleaned base64 of a comparison photo and its type, if any.
    pub source_photo: Option<(&'a str, &'a str)>,
    /// `liveInterType`: `"1"` for real-time detection only (a browser that
    /// cannot do it comes back with code 3005); absent: real-time detection
    /// first, video recording where it is not supported.
    pub live_inter_type: Option<&'a str>,
}

/// Which face page a verification opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The mobile H5 page, `/api/web/login` (phones, in a browser or an
    /// app's WebView).
    #[default]
    Mobile,
    /// The PC H5 page, `/api/pc/login` (a desktop browser with a camera).
    Pc,
}

impl Device {
    /// Parses the `device` option: `"mobile"` or `"pc"`.
    pub fn from_name(name: &str) -> Result<Device> {
        match name {
            "mobile" => Ok(Device::Mobile),
            "pc" => Ok(Device::Pc),
            _ => Err(Error::InvalidOption(format!(
                "device must be \"mobile\" (the phone face page) or \"pc\" (the desktop face page); got {}",
                validate::quote(name)
            ))),
        }
    }

    /// The option's name for this device.
    pub fn name(self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Pc => "pc",
        }
    }

    /// The face page's path on the face-page host.
    pub fn login_path(self) -> &'static str {
        match self {
            Device::Mobile => "/api/web/login",
            Device::Pc => "/api/pc/login",
        }
    }
}

/// Checks who a face verification compares against: a name and an ID
/// number (the service's reference photo), or the partner's own photo, with
/// which the getAdvFaceId page lets both be left out. Each one given is
/// checked.
pub fn identity(name: Option<&str>, id_no: Option<&str>, has_photo: bool) -> Result<()> {
    match (name, id_no) {
        (Some(n), Some(i)) => {
            self::name(n)?;
            self::id_no(i)
        }
        _ if has_photo => {
            if let Some(n) = name {
                self::name(n)?;
            }
            if let Some(i) = id_no {
                self::id_no(i)?;
            }
            Ok(())
        }
        (None, _) => Err(Error::InvalidIdentity(
            "name is missing: give the person's name as on the ID card, or a sourcePhoto to compare with".into(),
        )),
        (_, None) => Err(Error::InvalidIdentity(
            "idNo is missing: give the person's ID card number, or a sourcePhoto to compare with".into(),
        )),
    }
}

/// The parameters of the face page's login URL besides the signed ones.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The mobile or the PC face page.
    pub device: Device,
    /// `https://{optimalDomain}`, or the client's `loginUrl`.
    pub base: &'a str,
    /// The order number.
    pub order_no: &'a str,
    /// The `faceId` from `getAdvFaceId`.
    pub face_id: &'a str,
    /// The user id given to `getAdvFaceId`.
    pub user_id: &'a str,
    /// Where the face page sends the user back.
    pub callback_url: &'a str,
    /// `resultType` (`"1"`: straight back to the callback); mobile only.
    pub result_type: &'a str,
    /// `from`: `"browser"` or `"App"`; mobile only.
    pub from: &'a str,
    /// `redirectType`, sent only when not empty; mobile only.
    pub redirect_type: &'a str,
    /// The NONCE ticket (single use).
    pub nonce_ticket: &'a str,
    /// A fresh nonce.
    pub nonce: &'a str,
}

/// Checks a short option of the login URL (`resultType`, `from`,
/// `redirectType`): at most 16 ASCII letters and digits.
pub fn login_option(value: &str, field: &str) -> Result<()> {
    if value.len() > 16 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::InvalidOption(format!(
            "{field} must be at most 16 ASCII letters and digits; got {}",
            validate::quote(value)
        )));
    }
    Ok(())
}

impl Config {
    /// `POST {kyc}/api/server/getAdvFaceId?orderNo=…`, signed over the App
    /// ID, the user id, the version, the nonce and the SIGN ticket.
    pub fn start_face(
        &self,
        start: &FaceStart<'_>,
        ticket: &str,
        nonce: &str,
    ) -> Result<SignedRequest> {
        validate::order_no(start.order_no)?;
        validate::user_id(start.user_id, validate::NONCE_USER_ID_MAX)?;
        identity(start.name, start.id_no, start.source_photo.is_some())?;
        validate::ticket(ticket)?;
        validate::nonce(nonce)?;
        let sign = sign_values([self.app_id(), start.user_id, self.version(), nonce, ticket]);
        let kind = Kind::StartFace;
        let url = format!(
            "{}{}?orderNo={}",
            self.base(kind.host()),
            kind.path(),
            start.order_no
        );
        let mut fields: Vec<(&str, &str)> = vec![
            (kind.app_id_param(), self.app_id()),
            ("orderNo", start.order_no),
        ];
        // Left out, not sent empty, when a comparison photo stands in.
        if let Some(name) = start.name {
            fields.push(("name", name));
        }
        if let Some(id_no) = start.id_no {
            fields.push(("idNo", id_no));
        }
        fields.extend([
            ("userId", start.user_id),
            ("version", self.version()),
            ("nonce", nonce),
            ("sign", &sign),
        ]);
        if let Some((photo, photo_type)) = start.source_photo {
            fields.push(("sourcePhotoStr", photo));
            fields.push(("sourcePhotoType", photo_type));
        }
        if let Some(mode) = start.live_inter_type {
            login_option(mode, "liveInterType")?;
            fields.push(("liveInterType", mode));
        }
        Ok(SignedRequest {
            kind,
            url,
            method: kind.method(),
            headers: vec![("content-type", "application/json")],
            body: Some(json_object(&fields)),
        })
    }

    /// The face page's login URL, signed over the App ID, the order number,
    /// the user id, the version, the `faceId`, the NONCE ticket and the
    /// nonce.
    pub fn login_url(&self, login: &Login<'_>) -> Result<String> {
        validate::order_no(login.order_no)?;
        validate::user_id(login.user_id, validate::NONCE_USER_ID_MAX)?;
        face_id(login.face_id)?;
        browser_url(login.callback_url, "callbackUrl")?;
        browser_url_allowing(login.base, "loginUrl", self.dev_hosts())?;
        login_option(login.result_type, "resultType")?;
        login_option(login.from, "from")?;
        login_option(login.redirect_type, "redirectType")?;
        validate::ticket(login.nonce_ticket)?;
        validate::nonce(login.nonce)?;
        let sign = sign_values([
            self.app_id(),
            login.order_no,
            login.user_id,
            self.version(),
            login.face_id,
            login.nonce_ticket,
            login.nonce,
        ]);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("appId", self.app_id())
            .append_pair("version", self.version())
            .append_pair("nonce", login.nonce)
            .append_pair("orderNo", login.order_no)
            .append_pair("faceId", login.face_id)
            .append_pair("url", login.callback_url);
        match login.device {
            Device::Mobile => {
                query
                    .append_pair("resultType", login.result_type)
                    .append_pair("userId", login.user_id)
                    .append_pair("sign", &sign)
                    .append_pair("from", login.from);
                if !login.redirect_type.is_empty() {
                    query.append_pair("redirectType", login.redirect_type);
                }
            }
            // The PC page takes no resultType, from or redirectType.
            Device::Pc => {
                query
                    .append_pair("userId", login.user_id)
                    .append_pair("sign", &sign);
            }
        }
        Ok(format!(
            "{}{}?{}",
            login.base.trim_end_matches('/'),
            login.device.login_path(),
            query.finish()
        ))
    }
}

/// The parameters the face page adds to the callback URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callback {
    /// `orderNo`, if present.
    pub order_no: Option<String>,
    /// `code`, if present (`"0"`: the page showed success).
    pub code: Option<String>,
    /// `newSign` (or the older `newSignature`), if present.
    pub new_sign: Option<String>,
}

impl Callback {
    /// Reads a query string (with or without its leading `?`). When a
    /// parameter appears more than once the callback is malformed and
    /// never verifies.
    pub fn from_query(query: &str) -> Callback {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut order_no = Vec::new();
        let mut code = Vec::new();
        let mut sign = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "orderNo" => order_no.push(v.into_owned()),
                "code" => code.push(v.into_owned()),
                "newSign" | "newSignature" => sign.push(v.into_owned()),
                _ => {}
            }
        }
        let one = |mut v: Vec<String>| if v.len() == 1 { v.pop() } else { None };
        Callback {
            order_no: one(order_no),
            code: one(code),
            new_sign: one(sign),
        }
    }

    /// Whether the signature verifies against any of `tickets` (the current
    /// SIGN ticket and the one before it), in constant time per ticket.
    /// Missing or malformed parameters never verify.
    pub fn verify(&self, app_id: &str, tickets: &[&str]) -> bool {
        let (Some(order_no), Some(code), Some(sign)) = (&self.order_no, &self.code, &self.new_sign)
        else {
            return false;
        };
        if validate::order_no(order_no).is_err()
            || code.is_empty()
            || code.len() > CODE_MAX
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return false;
        }
        let mut any = false;
        for ticket in tickets {
            // Every ticket is tried: the time taken does not say which matched.
            any |= verify_sign([app_id, order_no.as_str(), ticket, code.as_str()], sign);
        }
        any
    }
}

#[cfg(test)]
mod tests;
