//! Tests of request building.

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
    let mixed =
        Config::with_hosts("IDA", None, Some("https://x.example"), None, Hosts::Legacy).unwrap();
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
    assert!(
        url(Kind::BankCardOcrResult, GetFile::All).contains("/api/server/getBankCardOcrResult?")
    );
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
    assert!(
        body.ends_with(r#","orderNo":"o2","userId":"u1","cardType":"1","idcardStr":"/9j/4A=="}"#)
    );
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
