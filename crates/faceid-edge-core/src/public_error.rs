//! What the edge handler tells the caller when a request fails: one fixed
//! message per error code. Anyone can call the routes, so an answer never
//! carries the error's own message (which may name an environment
//! variable, repeat the service's `msg` or say how the operator's identity
//! hook failed); that detail goes to the handler's `onEvent` hook.

use crate::response::code_info;

/// The message an edge handler answers with for an error of `code`: the
/// same for every error of that code, and nothing that varies with the
/// cause.
pub fn public_message(code: &str) -> &'static str {
    match code {
        "UNAUTHORIZED" => "sign in first; a result route also needs the order's token as Authorization: Bearer <orderToken>",
        "FORBIDDEN" => "not allowed: the order token, the page's origin or the callback's signature was refused",
        "NOT_FOUND" => "no route at this path",
        "METHOD_NOT_ALLOWED" => "this route does not take this method (see the Allow header)",
        "BODY_TOO_LARGE" => "the body is too large (an image: at most 20 MB of base64)",
        "INVALID_BODY" => "the body or its content type is not what this route takes",
        "INVALID_ORDER_NO" => "orderNo must be 1 to 32 ASCII letters or digits",
        "INVALID_IMAGE" => "the image is empty, not valid base64 or not a supported image type",
        "IMAGE_TOO_LARGE" => "the image is too large (at most 20 MB of base64)",
        "INVALID_OPTION" => "a value in the request is not one this route takes",
        "INVALID_IDENTITY" | "INVALID_USER_ID" => {
            "the signed-in user's details cannot be used for this verification"
        }
        "INVALID_URL" => "the handler could not build a valid URL for this request",
        "TIMEOUT" => "the verification service did not answer in time; try again",
        "NETWORK" => "the verification service could not be reached; try again",
        "HTTP_STATUS" | "BAD_RESPONSE" | "INVALID_MEDIA" => {
            "the verification service answered with an error; try again later"
        }
        "TICKET_UNAVAILABLE" => "the verification service is not available right now; try again later",
        "REJECTED" => "the verification service refused the request",
        "ABORTED" => "the request was cancelled",
        "INTERNAL" | "RANDOM_UNAVAILABLE" => "the handler failed; try again",
        _ => "the request could not be handled",
    }
}

/// The `msg` of an answer `{ ok: false, code, msg }` for a start the
/// service refused (`REJECTED`): the meaning of its code when this library
/// knows it, else a fixed sentence; never the service's own `msg`.
pub fn rejected_message(upstream_code: &str) -> &'static str {
    match code_info(upstream_code) {
        Some(info) if info.kind != "success" => info.en,
        _ => public_message("REJECTED"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn every_code_has_a_fixed_message() {
        for code in Error::CODES {
            let m = public_message(code);
            assert!(!m.is_empty(), "{code}");
            for word in ["hook", "FACEID_", "secret", "ticket", "env"] {
                assert!(!m.contains(word), "{code}: {m}");
            }
        }
        // The codes an edge handler answers with have their own sentence.
        for code in [
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "BODY_TOO_LARGE",
            "INVALID_BODY",
            "INVALID_ORDER_NO",
            "INVALID_IMAGE",
            "IMAGE_TOO_LARGE",
            "INVALID_OPTION",
            "INVALID_IDENTITY",
            "INVALID_URL",
            "TIMEOUT",
            "NETWORK",
            "HTTP_STATUS",
            "TICKET_UNAVAILABLE",
            "INTERNAL",
        ] {
            assert_ne!(
                public_message(code),
                public_message("NO_SUCH_CODE"),
                "{code}"
            );
        }
    }

    #[test]
    fn rejections() {
        assert_eq!(rejected_message("66660017"), "blocked by risk control");
        assert_eq!(rejected_message("12345"), public_message("REJECTED"));
        assert_eq!(rejected_message("0"), public_message("REJECTED"));
    }
}
