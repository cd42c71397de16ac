//! What an upload's `Content-Type` says its body is. The edge handler's
//! `POST /ocr/idcard` takes JSON or a multipart form and nothing else: the
//! type is compared whole (a prefix such as `application/jsonp` is not
//! JSON), and a JSON body labelled with a charset other than UTF-8 is
//! refused rather than read as UTF-8.

/// The kind of body a `Content-Type` header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    /// `application/json`, with no charset or `charset=utf-8`.
    Json,
    /// `multipart/form-data` (its boundary is the platform's to check).
    Multipart,
}

/// The body type of the `Content-Type` header `value`, or `None` when it is
/// neither JSON (in UTF-8) nor a multipart form. The media type is matched
/// without regard to ASCII case and surrounding spaces or tabs (RFC 9110
/// section 8.3.1).
pub fn body_type(value: &str) -> Option<BodyType> {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim_matches(is_ows);
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        return Some(BodyType::Multipart);
    }
    if !essence.eq_ignore_ascii_case("application/json") {
        return None;
    }
    for parameter in parts {
        let (name, charset) = parameter.split_once('=').unwrap_or((parameter, ""));
        if !name.trim_matches(is_ows).eq_ignore_ascii_case("charset") {
            continue;
        }
        let charset = charset.trim_matches(is_ows);
        let charset = charset
            .strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .unwrap_or(charset);
        if !charset.eq_ignore_ascii_case("utf-8") {
            return None;
        }
    }
    Some(BodyType::Json)
}

/// Optional whitespace (RFC 9110 section 5.6.3): a space or a tab.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_multipart_in_any_case_with_their_parameters() {
        for value in [
            "application/json",
            "Application/JSON",
            " application/json ",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json; charset=\"utf-8\"",
            "application/json; foo=bar",
        ] {
            assert_eq!(body_type(value), Some(BodyType::Json), "{value}");
        }
        for value in [
            "multipart/form-data; boundary=----WebKitFormBoundaryAbCdEfGh12345",
            "Multipart/Form-Data;boundary=x",
            "multipart/form-data",
        ] {
            assert_eq!(body_type(value), Some(BodyType::Multipart), "{value}");
        }
    }

    #[test]
    fn other_types_prefixes_and_other_charsets_are_none() {
        for value in [
            "",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "application/jsonp",
            "application/json\u{ff}",
            "application/json-seq",
            "application/json+x",
            "multipart/form-datax; boundary=x",
            "multipart/mixed; boundary=x",
            "application/json; charset=utf-16",
            "application/json; charset=latin1",
            "application/json; charset=",
            "aaaa/json",
        ] {
            assert_eq!(body_type(value), None, "{value}");
        }
    }
}
