//! Who may reach the edge handler's routes, and from where: the signed-in
//! user rule (`allowAnonymous`), the cross-site request checks
//! (`Sec-Fetch-Site`, content types, the origin of uploads) and the
//! handler's public origin (`publicOrigin`). Pure: the WebAssembly layer
//! reads the headers and options and asks here.
//!
//! | check | rule |
//! |---|---|
//! | signed-in user | `POST /start`, `/sdk/start` always need one; `POST /ocr/idcard` unless `allowAnonymous: ["ocr"]` |
//! | `Sec-Fetch-Site` | `cross-site` or `same-site` only with an allowed `Origin`; `same-origin`, `none` or none pass |
//! | content type | `POST /start` and `/sdk/start` take `application/json` only (a cross-site form cannot send it without a preflight) |
//! | uploads | `POST /ocr/idcard` with any type but JSON needs an allowed `Origin` or `Sec-Fetch-Site: same-origin` |
//! | public origin | `publicOrigin` when set; else (Workers only) the request's URL, `https://` or loopback `http://` |
//!
//! `GET /callback` is exempt from the cross-site checks: the face page, on
//! another site, sends the browser there, and the callback acts for nobody
//! (its signature is checked, then it redirects).

use crate::body_type::{body_type, BodyType};
use crate::edge::{self, Cors, Route};
use crate::error::{Error, Result};
use crate::h5;

/// The routes the operator opened to callers with no signed-in user
/// (the `allowAnonymous` option).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anonymous {
    /// `"ocr"`: `POST /ocr/idcard` runs (and is billed) for callers with no
    /// signed-in user; its order token then names no user.
    pub ocr: bool,
}

impl Anonymous {
    /// Reads the entries of `allowAnonymous`. Only `"ocr"` can be opened:
    /// the face and App SDK starts need a user id for the service.
    pub fn from_names(names: &[String]) -> Result<Anonymous> {
        let mut out = Anonymous::default();
        for name in names {
            match name.as_str() {
                "ocr" => out.ocr = true,
                other => {
                    return Err(Error::InvalidOption(format!(
                        "allowAnonymous entries name the routes that may run with no signed-in user: only \"ocr\" (POST /ocr/idcard) can, since /start and /sdk/start need the user's id; got {}",
                        crate::validate::quote(other)
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Whether `route` may run when the identity hook names no user.
    /// The result routes are not asked: their order token decides (see
    /// the edge handler's `authorize`).
    pub fn allows(self, route: Route) -> bool {
        match route {
            Route::OcrIdCard => self.ocr,
            _ => false,
        }
    }
}

/// What the cross-site checks read of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The route it reached.
    pub route: Route,
    /// The verdict on its `Origin` header ([`edge::cors`]).
    pub cors: Cors,
    /// Whether it has an `Origin` header.
    pub has_origin: bool,
    /// Its `Sec-Fetch-Site` header.
    pub fetch_site: Option<&'a str>,
    /// Its `Content-Type` header.
    pub content_type: Option<&'a str>,
}

impl RequestFacts<'_> {
    /// An `Origin` header that is the handler's own origin or on the
    /// allowlist.
    fn allowed_origin(&self) -> bool {
        self.has_origin && self.cors != Cors::Forbidden
    }
}

/// Whether `content_type` announces a JSON body the handler reads: the
/// same rule as the upload's ([`body_type`]), so that a type the gate lets
/// through as JSON is never refused as JSON afterwards, and the reverse.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.and_then(body_type) == Some(BodyType::Json)
}

/// Checks a request against the cross-site rules (see the module table)
/// before its route runs: `403 FORBIDDEN` for a request a page of another
/// site may have sent, `400 INVALID_BODY` for `/start` or `/sdk/start`
/// without a JSON content type.
pub fn admit(facts: &RequestFacts<'_>) -> Result<()> {
    if facts.route == Route::Callback {
        return Ok(());
    }
    let site = facts
        .fetch_site
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default();
    // A browser says where the request comes from; an unknown value is
    // treated as another site.
    if !matches!(site.as_str(), "" | "same-origin" | "none") && !facts.allowed_origin() {
        return Err(Error::Forbidden(format!(
            "a request from another site (Sec-Fetch-Site: {}) needs an Origin header on allowedOrigins",
            crate::validate::quote(&site)
        )));
    }
    match facts.route {
        Route::Start | Route::SdkStart if !is_json(facts.content_type) => Err(Error::InvalidBody(
            "send Content-Type: application/json (a body such as {\"device\":\"pc\"}, or {}, or none for /start; {\"kind\":…} for /sdk/start)".into(),
        )),
        Route::OcrIdCard
            if !is_json(facts.content_type)
                && !facts.allowed_origin()
                && site != "same-origin" =>
        {
            Err(Error::Forbidden(
                "an upload that is not JSON (multipart/form-data) must come from a page of this origin or of allowedOrigins (an Origin header, or Sec-Fetch-Site: same-origin); apps send JSON { cardType, image }".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// Checks the `publicOrigin` option: `https://host[:port]` (`http://` only
/// for localhost, `127.x.x.x` or `[::1]`), no path. Returns it in lower case.
pub fn public_origin(value: &str) -> Result<String> {
    edge::allowed_origin(value).map_err(|_| {
        Error::InvalidOption(format!(
            "publicOrigin must be the origin at which browsers reach this handler, like \"https://h5.example.com\" (scheme, host, optional port; no path; http:// only on localhost); got {}",
            crate::validate::quote(value)
        ))
    })
}

/// Checks an origin taken from the request's URL, which the handler uses
/// only when `publicOrigin` is not set (in Cloudflare Workers): the face
/// page must come back over `https://` (`http://` only on loopback). The
/// error says where the origin came from and how to fix it.
pub fn derived_origin(origin: &str) -> Result<()> {
    h5::browser_url(origin, "the request's origin").map_err(|_| {
        Error::InvalidUrl(format!(
            "publicOrigin is not set, so the callback URL and a relative returnUrl were to be built from the request's URL, whose origin (its scheme and Host header) is {}; the face page must come back over https:// (http:// only on localhost): set publicOrigin, for example \"https://h5.example.com\", in the createEdgeHandler options",
            shown(origin)
        ))
    })
}

/// `value` quoted when short and printable, else its length.
fn shown(value: &str) -> String {
    if value.len() <= 200 && value.bytes().all(|b| b.is_ascii_graphic()) {
        format!("\"{value}\"")
    } else {
        format!("a string of {} characters", value.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_token::TokenKind;

    fn facts<'a>(
        route: Route,
        cors: Cors,
        has_origin: bool,
        fetch_site: Option<&'a str>,
        content_type: Option<&'a str>,
    ) -> RequestFacts<'a> {
        RequestFacts {
            route,
            cors,
            has_origin,
            fetch_site,
            content_type,
        }
    }

    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn anonymous_routes() {
        assert_eq!(Anonymous::from_names(&[]).unwrap(), Anonymous::default());
        let ocr = Anonymous::from_names(&["ocr".into()]).unwrap();
        assert!(ocr.allows(Route::OcrIdCard));
        for route in [
            Route::Start,
            Route::SdkStart,
            Route::Callback,
            Route::Result(TokenKind::IdCard),
        ] {
            assert!(!ocr.allows(route), "{route:?}");
        }
        assert!(!Anonymous::default().allows(Route::OcrIdCard));
        for bad in ["start", "sdk", "OCR", "", "result"] {
            let e = Anonymous::from_names(&[bad.into()]).unwrap_err();
            assert_eq!(e.code(), "INVALID_OPTION", "{bad}");
        }
    }

    #[test]
    fn sec_fetch_site() {
        let route = Route::Result(TokenKind::Face);
        for site in [
            None,
            Some("same-origin"),
            Some("none"),
            Some(" Same-Origin "),
        ] {
            assert!(admit(&facts(route, Cors::Same, false, site, None)).is_ok());
        }
        for site in ["cross-site", "same-site", "Cross-Site", "other"] {
            // Without an Origin header (a WebView that leaves it out).
            let e = admit(&facts(route, Cors::Same, false, Some(site), None)).unwrap_err();
            assert_eq!(e.code(), "FORBIDDEN", "{site}");
            // With an allowed one: the operator's allowlist decides.
            assert!(admit(&facts(route, Cors::Allowed, true, Some(site), None)).is_ok());
            // A foreign one never gets here (the CORS check refuses it first),
            // and is refused here too.
            assert!(admit(&facts(route, Cors::Forbidden, true, Some(site), None)).is_err());
        }
        // The face page comes back from another site.
        assert!(admit(&facts(
            Route::Callback,
            Cors::Same,
            false,
            Some("cross-site"),
            None
        ))
        .is_ok());
    }

    #[test]
    fn json_starts() {
        for route in [Route::Start, Route::SdkStart] {
            for ok in [
                "application/json",
                "application/json; charset=utf-8",
                "Application/JSON;charset=UTF-8",
            ] {
                assert!(admit(&facts(route, Cors::Same, false, None, Some(ok))).is_ok());
            }
            for bad in [
                None,
                Some(""),
                Some("text/plain"),
                Some("application/x-www-form-urlencoded"),
                Some("multipart/form-data; boundary=x"),
                Some("application/jsonp"),
                Some("application/json-seq"),
                // JSON is read as UTF-8, as the upload route reads it.
                Some("application/json; charset=iso-8859-1"),
                Some("application/json\u{a0}"),
            ] {
                let e = admit(&facts(route, Cors::Same, true, None, bad)).unwrap_err();
                assert_eq!(e.code(), "INVALID_BODY", "{bad:?}");
            }
        }
    }

    #[test]
    fn uploads() {
        let multipart = Some("multipart/form-data; boundary=abc");
        let ocr = Route::OcrIdCard;
        // JSON needs a preflight from another origin: no origin rule.
        assert!(admit(&facts(ocr, Cors::Same, false, None, JSON)).is_ok());
        // A form upload: this origin, an allowed one, or same-origin.
        assert!(admit(&facts(ocr, Cors::Same, true, None, multipart)).is_ok());
        assert!(admit(&facts(ocr, Cors::Allowed, true, None, multipart)).is_ok());
        assert!(admit(&facts(
            ocr,
            Cors::Same,
            false,
            Some("same-origin"),
            multipart
        ))
        .is_ok());
        for (site, ct) in [
            (None, multipart),
            (Some("none"), multipart),
            (None, Some("text/plain")),
            (None, None),
        ] {
            let e = admit(&facts(ocr, Cors::Same, false, site, ct)).unwrap_err();
            assert_eq!(e.code(), "FORBIDDEN", "{site:?} {ct:?}");
        }
    }

    #[test]
    fn public_origins() {
        assert_eq!(
            public_origin("https://H5.example.com").unwrap(),
            "https://h5.example.com"
        );
        assert!(public_origin("http://127.0.0.1:8787").is_ok());
        for bad in [
            "http://h5.example.com",
            "https://h5.example.com/",
            "https://h5.example.com/app",
            "h5.example.com",
            "*",
            "",
        ] {
            assert_eq!(public_origin(bad).unwrap_err().code(), "INVALID_OPTION");
        }
    }

    #[test]
    fn derived_origins() {
        assert!(derived_origin("https://h5.example.com").is_ok());
        assert!(derived_origin("http://127.0.0.1:8787").is_ok());
        let e = derived_origin("http://evil.example").unwrap_err();
        assert_eq!(e.code(), "INVALID_URL");
        assert!(e.message().contains("\"http://evil.example\""));
        assert!(e.message().contains("Host header"));
        assert!(e.message().contains("publicOrigin"));
        let long = format!("http://{}.example", "a".repeat(300));
        assert!(derived_origin(&long)
            .unwrap_err()
            .message()
            .contains("a string of"));
    }
}
