//! Tests of the edge handler's policy.

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
            assert!(!trimmed_fields(kind).contains(score));
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

/// The trimmed fields chain with borrowed names, as the edge handler
/// chains the operator's `reveal` list after them.
#[test]
fn trimmed_fields_chain_with_shorter_lived_names() {
    let reveal = [String::from("photo")];
    let names: Vec<&str> = trimmed_fields(Kind::LiveResult)
        .iter()
        .copied()
        .chain(reveal.iter().map(|r| r.as_str()))
        .collect();
    assert_eq!(names, ["occurredTime", "photo"]);
}
