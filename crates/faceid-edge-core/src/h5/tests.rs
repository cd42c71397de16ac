//! Tests of the H5 face flow.

use super::*;
use crate::request::Image;

const TICKET: &str = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
const NONCE_TICKET: &str = "NonceTicketNonceTicketNonceTicketNonceTicketNonceTicketNonceTick";
const NONCE: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";

fn config() -> Config {
    Config::new("IDAXXXXX", None, None, Some("http://127.0.0.1:9")).unwrap()
}

fn start() -> FaceStart<'static> {
    FaceStart {
        order_no: "order001",
        user_id: "user01",
        name: Some("张三"),
        id_no: Some("11010519491231002X"),
        source_photo: None,
        live_inter_type: None,
    }
}

#[test]
fn start_face_signs_over_app_user_version_nonce_ticket() {
    let req = config().start_face(&start(), TICKET, NONCE).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/api/server/getAdvFaceId?orderNo=order001"
    );
    assert_eq!(req.method.as_str(), "POST");
    let body = req.body.unwrap();
    let sign = sign_values(["IDAXXXXX", "user01", "1.0.0", NONCE, TICKET]);
    assert_eq!(
        body,
        format!("{{\"appId\":\"IDAXXXXX\",\"orderNo\":\"order001\",\"name\":\"张三\",\"idNo\":\"11010519491231002X\",\"userId\":\"user01\",\"version\":\"1.0.0\",\"nonce\":\"{NONCE}\",\"sign\":\"{sign}\"}}")
    );
    assert!(!body.contains(TICKET));
}

#[test]
fn start_face_validates_every_input() {
    let c = config();
    let cases: [(FaceStart<'_>, &str); 6] = [
        (
            FaceStart {
                order_no: "a b",
                ..start()
            },
            "INVALID_ORDER_NO",
        ),
        (
            FaceStart {
                user_id: &"u".repeat(31),
                ..start()
            },
            "INVALID_USER_ID",
        ),
        (
            FaceStart {
                name: Some(""),
                ..start()
            },
            "INVALID_IDENTITY",
        ),
        (
            FaceStart {
                name: Some(" 张三"),
                ..start()
            },
            "INVALID_IDENTITY",
        ),
        (
            FaceStart {
                id_no: Some("1101-05"),
                ..start()
            },
            "INVALID_IDENTITY",
        ),
        (
            FaceStart {
                id_no: Some(""),
                ..start()
            },
            "INVALID_IDENTITY",
        ),
    ];
    for (input, code) in cases {
        assert_eq!(
            c.start_face(&input, TICKET, NONCE).unwrap_err().code(),
            code
        );
    }
    let e = c
        .start_face(
            &FaceStart {
                id_no: Some("110105194912310021!"),
                ..start()
            },
            TICKET,
            NONCE,
        )
        .unwrap_err();
    assert!(!e.message().contains("1101051949"));
}

#[test]
fn with_a_comparison_photo_name_and_id_number_may_be_left_out() {
    let c = config();
    let photo = Some(("/9j/4AAQSkZJRg==", "2"));
    let only_photo = FaceStart {
        name: None,
        id_no: None,
        source_photo: photo,
        ..start()
    };
    let body = c
        .start_face(&only_photo, TICKET, NONCE)
        .unwrap()
        .body
        .unwrap();
    assert!(
        !body.contains("\"name\"") && !body.contains("\"idNo\""),
        "{body}"
    );
    assert!(body.contains("\"sourcePhotoStr\":\"/9j/4AAQSkZJRg==\",\"sourcePhotoType\":\"2\""));
    // What is given is still checked.
    let bad = FaceStart {
        id_no: Some("1101-05"),
        ..only_photo
    };
    assert_eq!(
        c.start_face(&bad, TICKET, NONCE).unwrap_err().code(),
        "INVALID_IDENTITY"
    );
    // Without a photo both stay required, and the message says what to do.
    for missing in [
        FaceStart {
            name: None,
            ..start()
        },
        FaceStart {
            id_no: None,
            ..start()
        },
    ] {
        let e = c.start_face(&missing, TICKET, NONCE).unwrap_err();
        assert_eq!(e.code(), "INVALID_IDENTITY");
        assert!(e.message().contains("sourcePhoto"), "{}", e.message());
    }
}

#[test]
fn bmp_comparison_photos_are_accepted() {
    // "BM", the file size, reserved, the pixel offset: a BMP header.
    let bmp = [b'B', b'M', 0x3A, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0];
    let text = source_photo_base64(&SourcePhoto {
        image: Image::Bytes(&bmp),
        photo_type: "2",
    })
    .unwrap();
    assert!(text.starts_with("Qk"));
    assert!(source_photo_base64(&SourcePhoto {
        image: Image::Base64(&text),
        photo_type: "1",
    })
    .is_ok());
    let mut big = vec![0u8; SOURCE_PHOTO_MAX + 1];
    big[..2].copy_from_slice(b"BM");
    let e = source_photo_base64(&SourcePhoto {
        image: Image::Bytes(&big),
        photo_type: "2",
    })
    .unwrap_err();
    assert_eq!(e.code(), "IMAGE_TOO_LARGE");
}

#[test]
fn source_photo_is_checked() {
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    let ok = SourcePhoto {
        image: Image::Bytes(&jpeg),
        photo_type: "2",
    };
    let text = source_photo_base64(&ok).unwrap();
    assert_eq!(text, "/9j/4AAQSkZJRg==");
    let png_text = "iVBORw0KGgoAAAANSUhEUg==";
    assert!(source_photo_base64(&SourcePhoto {
        image: Image::Base64(png_text),
        photo_type: "1"
    })
    .is_ok());
    let gif = b"GIF89a0000";
    let e = source_photo_base64(&SourcePhoto {
        image: Image::Bytes(gif),
        photo_type: "2",
    })
    .unwrap_err();
    assert_eq!(e.code(), "INVALID_IMAGE");
    let big = [0xFF; SOURCE_PHOTO_MAX + 1];
    let e = source_photo_base64(&SourcePhoto {
        image: Image::Bytes(&big),
        photo_type: "2",
    })
    .unwrap_err();
    assert_eq!(e.code(), "IMAGE_TOO_LARGE");
    let e = source_photo_base64(&SourcePhoto {
        image: Image::Bytes(&jpeg),
        photo_type: "3",
    })
    .unwrap_err();
    assert_eq!(e.code(), "INVALID_OPTION");
    let e = source_photo_base64(&SourcePhoto {
        image: Image::Base64("not base64!"),
        photo_type: "2",
    })
    .unwrap_err();
    assert_eq!(e.code(), "INVALID_IMAGE");
}

/// The face page's signature over the seven values of the login tests:
/// appId, orderNo, userId, version, faceId, the NONCE ticket, the nonce.
fn login_sign() -> String {
    sign_values([
        "IDAXXXXX",
        "order001",
        "user01",
        "1.0.0",
        "faceId0001",
        NONCE_TICKET,
        NONCE,
    ])
}

#[test]
fn login_url_is_signed_over_seven_values() {
    let url = config()
        .login_url(&Login {
            device: Device::Mobile,
            base: "https://kyc.example.com",
            order_no: "order001",
            face_id: "faceId0001",
            user_id: "user01",
            callback_url: "https://h5.example.com/faceid/callback?x=1&y=2",
            result_type: "1",
            from: "browser",
            redirect_type: "",
            nonce_ticket: NONCE_TICKET,
            nonce: NONCE,
        })
        .unwrap();
    let sign = login_sign();
    assert_eq!(
        url,
        format!("https://kyc.example.com/api/web/login?appId=IDAXXXXX&version=1.0.0&nonce={NONCE}&orderNo=order001&faceId=faceId0001&url=https%3A%2F%2Fh5.example.com%2Ffaceid%2Fcallback%3Fx%3D1%26y%3D2&resultType=1&userId=user01&sign={sign}&from=browser")
    );
    assert!(!url.contains(NONCE_TICKET));
}

/// The official example of the face page's signature: the mobile start
/// page (启动 H5 人脸核身, 1007/61074) and the PC one (启动 H5 人脸验证)
/// sign the same seven values with a NONCE ticket.
#[test]
fn official_example_of_the_face_page_signature() {
    let sign = sign_values([
        "appId001",
        "userID19959248596551",
        "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
        "1.0.0",
        "bwiwe1457895464",
        "aabc1457895464",
        "zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
    ]);
    assert_eq!(sign, "4E9DFABF938BF37BDB7A7DC25CCA1233D12D986B");
    let config = Config::new("appId001", None, None, None).unwrap();
    for device in [Device::Mobile, Device::Pc] {
        let url = config
            .login_url(&Login {
                device,
                base: "https://kyc1.qcloud.com",
                order_no: "aabc1457895464",
                face_id: "bwiwe1457895464",
                user_id: "userID19959248596551",
                callback_url: "https://h5.example.com/cb",
                result_type: "1",
                from: "browser",
                redirect_type: "",
                nonce_ticket: "zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
                nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
            })
            .unwrap();
        assert!(url.contains(&format!("&sign={sign}")), "{url}");
    }
}

/// The official example of the callback's signature (前端获取结果验证签名,
/// 1007/35897): appId, orderNo, the SIGN ticket and code.
#[test]
fn official_example_of_the_callback_signature() {
    let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
    let sign = "526365E042766AE27A6E52D2E4829D4C6E156B5D";
    assert_eq!(
        sign_values(["appId001", "test1480921551481", ticket, "0"]),
        sign
    );
    // The mobile page names it newSignature (with liveRate and h5faceId);
    // the PC page newSign.
    for name in ["newSignature", "newSign"] {
        let cb = Callback::from_query(&format!(
            "code=0&orderNo=test1480921551481&h5faceId=wb04&{name}={sign}&liveRate=99"
        ));
        assert!(cb.verify("appId001", &[ticket]), "{name}");
        assert!(!cb.verify("appId002", &[ticket]));
    }
}

#[test]
fn the_pc_face_page_takes_no_mobile_options() {
    let login = Login {
        device: Device::Pc,
        base: "https://kyc1.qcloud.com",
        order_no: "order001",
        face_id: "faceId0001",
        user_id: "user01",
        callback_url: "https://h5.example.com/cb",
        result_type: "1",
        from: "browser",
        redirect_type: "1",
        nonce_ticket: NONCE_TICKET,
        nonce: NONCE,
    };
    let url = config().login_url(&login).unwrap();
    let sign = login_sign();
    assert_eq!(
        url,
        format!("https://kyc1.qcloud.com/api/pc/login?appId=IDAXXXXX&version=1.0.0&nonce={NONCE}&orderNo=order001&faceId=faceId0001&url=https%3A%2F%2Fh5.example.com%2Fcb&userId=user01&sign={sign}")
    );
    assert_eq!(Device::from_name("pc"), Ok(Device::Pc));
    assert_eq!(
        Device::from_name("desktop").unwrap_err().code(),
        "INVALID_OPTION"
    );
}

#[test]
fn live_inter_type_goes_to_get_adv_face_id() {
    let req = config()
        .start_face(
            &FaceStart {
                live_inter_type: Some("1"),
                ..start()
            },
            TICKET,
            NONCE,
        )
        .unwrap();
    assert!(req.body.unwrap().ends_with(",\"liveInterType\":\"1\"}"));
    let e = config()
        .start_face(
            &FaceStart {
                live_inter_type: Some("1&x"),
                ..start()
            },
            TICKET,
            NONCE,
        )
        .unwrap_err();
    assert_eq!(e.code(), "INVALID_OPTION");
}

#[test]
fn login_url_refuses_unsafe_parts() {
    let base = Login {
        device: Device::Mobile,
        base: "https://kyc.example.com",
        order_no: "order001",
        face_id: "faceId0001",
        user_id: "user01",
        callback_url: "https://h5.example.com/cb",
        result_type: "1",
        from: "browser",
        redirect_type: "1",
        nonce_ticket: NONCE_TICKET,
        nonce: NONCE,
    };
    let c = config();
    assert!(c
        .login_url(&base)
        .unwrap()
        .ends_with("&from=browser&redirectType=1"));
    for (login, code) in [
        (
            Login {
                callback_url: "javascript:alert(1)",
                ..base
            },
            "INVALID_URL",
        ),
        (
            Login {
                callback_url: "http://evil.example.com/cb",
                ..base
            },
            "INVALID_URL",
        ),
        (
            Login {
                callback_url: "https://u:p@h5.example.com/cb",
                ..base
            },
            "INVALID_URL",
        ),
        (
            Login {
                callback_url: "https://h5.example.com/cb#frag",
                ..base
            },
            "INVALID_URL",
        ),
        (
            Login {
                face_id: "a/b",
                ..base
            },
            "BAD_RESPONSE",
        ),
        (
            Login {
                from: "a&b=c",
                ..base
            },
            "INVALID_OPTION",
        ),
    ] {
        assert_eq!(c.login_url(&login).unwrap_err().code(), code);
    }
    assert!(c
        .login_url(&Login {
            callback_url: "http://127.0.0.1:8787/cb",
            ..base
        })
        .is_ok());
    assert!(optimal_domain("kyc1.qcloud.com").is_ok());
    assert!(optimal_domain("127.0.0.1:8788").is_ok());
    for bad in ["", "evil.com/x", "a@b", "-x", "x?y", "https://x"] {
        assert!(optimal_domain(bad).is_err(), "{bad}");
    }
}

#[test]
fn callback_verifies_against_current_or_previous_ticket() {
    let old = "OldTicketOldTicketOldTicketOldTicketOldTicketOldTicketOldTicket1";
    let sign = sign_values(["IDAXXXXX", "order001", old, "0"]);
    let cb = Callback::from_query(&format!(
        "?code=0&orderNo=order001&newSign={}",
        sign.to_lowercase()
    ));
    assert_eq!(cb.order_no.as_deref(), Some("order001"));
    assert!(cb.verify("IDAXXXXX", &[TICKET, old]));
    assert!(!cb.verify("IDAXXXXX", &[TICKET]));
    assert!(!cb.verify("IDAOTHER", &[TICKET, old]));
    let legacy = Callback::from_query(&format!(
        "code=0&orderNo=order001&newSignature={sign}&h5faceId=x"
    ));
    assert!(legacy.verify("IDAXXXXX", &[old]));
    // The code is signed: changing it breaks the signature.
    let changed = Callback::from_query(&format!("code=1&orderNo=order001&newSign={sign}"));
    assert!(!changed.verify("IDAXXXXX", &[old]));
    for bad in [
        String::new(),
        "code=0&orderNo=order001".into(),
        format!("code=0&code=0&orderNo=order001&newSign={sign}"),
        format!("code=0&orderNo=order001&newSign={sign}&newSignature={sign}"),
        format!("code=&orderNo=order001&newSign={sign}"),
        format!("code=0&orderNo=order%20001&newSign={sign}"),
    ] {
        assert!(
            !Callback::from_query(&bad).verify("IDAXXXXX", &[old]),
            "{bad}"
        );
    }
}

#[test]
fn names_and_numbers() {
    assert!(name("张三").is_ok());
    assert!(name("Mary Ann").is_ok());
    assert!(name(&"名".repeat(64)).is_ok());
    assert!(name(&"名".repeat(65)).is_err());
    assert!(name("a\u{0}b").is_err());
    assert!(id_no("11010519491231002X").is_ok());
    assert!(id_no(&"1".repeat(33)).is_err());
}
