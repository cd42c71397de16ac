//! Tests of the endpoint table and of what derives from it.

use super::*;
use crate::edge::{self, routes, Trim, OTHER_ROUTES};

#[test]
fn table_matches_the_official_endpoints() {
    assert_eq!(Kind::FaceResult.path(), "/api/server/sync");
    assert_eq!(Kind::LiveResult.path(), "/api/server/getLiveResult");
    assert_eq!(Kind::IdCardOcrResult.path(), "/api/server/getOcrResult");
    // The official page's example URL says getOcrResult; the path is this one.
    assert_eq!(
        Kind::BankCardOcrResult.path(),
        "/api/server/getBankCardOcrResult"
    );
    assert_eq!(Kind::IdCardOcr.method(), Method::Post);
    assert_eq!(Kind::IdCardOcr.host(), Host::Kyc);
    assert_eq!(Kind::FaceResult.host(), Host::Server);
    for k in Kind::ALL {
        assert_eq!(Kind::from_name(k.name()), Some(k));
    }
    assert_eq!(Kind::from_name("sync"), None);
}

#[test]
fn get_file_values() {
    assert_eq!(GetFile::None.param(), None);
    assert_eq!(GetFile::All.param(), Some("1"));
    assert_eq!(GetFile::Photo.param(), Some("2"));
    assert_eq!(GetFile::Video.param(), Some("3"));
    assert_eq!(GetFile::from_name("video"), Some(GetFile::Video));
    assert_eq!(GetFile::from_name("1"), None);
    assert_eq!(GetFile::Photo.expected_fields(Kind::LiveResult), &["photo"]);
    assert_eq!(
        GetFile::All.expected_fields(Kind::FaceResult),
        &["photo", "video"]
    );
    assert_eq!(
        GetFile::All.expected_fields(Kind::BankCardOcrResult).len(),
        4
    );
}

#[test]
fn both_spellings_of_the_original_bank_card_image() {
    let fields = Kind::BankCardOcrResult.media_fields();
    assert!(fields.contains(&"orginBankcardPhoto"));
    assert!(fields.contains(&"originBankcardPhoto"));
    assert_eq!(
        other_spelling("originBankcardPhoto"),
        Some("orginBankcardPhoto")
    );
    assert_eq!(
        other_spelling("orginBankcardPhoto"),
        Some("originBankcardPhoto")
    );
    assert_eq!(other_spelling("photo"), None);
}

/// Every route: those of the table's token kinds, and the others written
/// out (a match without a wildcard: a new variant of [`Route`] fails to
/// compile here until it is listed). [`Kind`] and [`TokenKind`] need no such
/// list: `endpoints!` makes them and [`Kind::EVERY`] / [`TokenKind::ALL`]
/// from the same rows.
fn every_route() -> Vec<Route> {
    let mut all = vec![
        Route::Start,
        Route::Callback,
        Route::OcrIdCard,
        Route::SdkStart,
    ];
    all.extend(TokenKind::ALL.into_iter().map(Route::Result));
    for r in &all {
        match r {
            Route::Start | Route::Callback | Route::OcrIdCard | Route::SdkStart => {}
            Route::Result(_) => {}
        }
    }
    all
}

#[test]
fn every_kind_has_its_row_and_the_row_its_kind() {
    assert_eq!(ENDPOINTS.len(), Kind::EVERY.len());
    for k in Kind::EVERY {
        let row = k.row();
        assert_eq!(row.kind, k);
        assert_eq!(k.name(), row.name);
        assert_eq!(k.path(), row.path);
        assert_eq!(k.method(), row.method);
        assert_eq!(k.host(), row.host);
        assert_eq!(k.app_id_param(), row.app_id_param);
        assert_eq!(k.media_fields(), row.media);
        assert_eq!(k.face_files(), row.files == Files::Face);
        assert_eq!(Kind::ALL.contains(&k), row.request_kind, "{k:?}");
        if row.request_kind {
            assert_eq!(Kind::from_name(row.name), Some(k));
        } else {
            assert_eq!(Kind::from_name(row.name), None);
        }
    }
    // Names and paths are each one call's.
    for (i, a) in ENDPOINTS.iter().enumerate() {
        for b in &ENDPOINTS[i + 1..] {
            assert_ne!(a.name, b.name);
            assert_ne!(a.path, b.path);
        }
        assert!(a.path.starts_with("/api/"), "{}", a.path);
    }
}

#[test]
fn the_table_keeps_the_protocols_rules() {
    for row in &ENDPOINTS {
        // GET on the server host with `app_id`; POST on the KYC host.
        match row.method {
            Method::Get => {
                assert_eq!(row.host, Host::Server, "{}", row.name);
                assert_eq!(row.app_id_param, "app_id", "{}", row.name);
            }
            Method::Post => assert_eq!(row.host, Host::Kyc, "{}", row.name),
        }
        // Files come with media fields, and media fields with files.
        assert_eq!(
            row.files == Files::None,
            row.media.is_empty(),
            "{}",
            row.name
        );
        if row.files == Files::Face {
            assert_eq!(row.media, ["photo", "video"], "{}", row.name);
        }
    }
}

#[test]
fn trimming_derives_from_the_rows() {
    for row in &ENDPOINTS {
        let fields: Vec<&str> = edge::trimmed_fields(row.kind).iter().copied().collect();
        let named: Vec<&str> = row.trim.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, named, "{}", row.name);
        for &(field, rule) in row.trim {
            assert_eq!(edge::trim(row.kind, field), rule, "{} {field}", row.name);
            assert_ne!(
                rule,
                Trim::Drop,
                "{} {field}: listed to be dropped",
                row.name
            );
            assert_eq!(
                row.trim.iter().filter(|(f, _)| *f == field).count(),
                1,
                "{} {field} listed twice",
                row.name
            );
        }
        // Media never passes trimming (only `reveal`).
        for field in row.media {
            assert_eq!(
                edge::trim(row.kind, field),
                Trim::Drop,
                "{} {field}",
                row.name
            );
        }
        assert_eq!(edge::trim(row.kind, "address"), Trim::Drop);
        assert_eq!(edge::trim(row.kind, "sign"), Trim::Drop);
    }
}

#[test]
fn media_fields_are_every_rows_each_once() {
    let all: Vec<&str> = media_fields().collect();
    assert_eq!(
        all,
        [
            "photo",
            "video",
            "frontPhoto",
            "backPhoto",
            "frontCrop",
            "backCrop",
            "headPhoto",
            "bankcardCropPhoto",
            "bankcardNoPhoto",
            "orginBankcardPhoto",
            "originBankcardPhoto",
        ]
    );
    for row in &ENDPOINTS {
        for f in row.media {
            assert!(all.contains(f));
        }
    }
    for (i, f) in all.iter().enumerate() {
        assert!(!all[i + 1..].contains(f), "{f} twice");
    }
}

#[test]
fn token_kinds_derive_from_the_rows() {
    assert_eq!(TokenKind::rows().count(), TokenKind::ALL.len());
    for k in TokenKind::ALL {
        let rows: Vec<&TokenRow> = TokenKind::rows().filter(|t| t.kind == k).collect();
        assert_eq!(rows.len(), 1, "{k:?} has no row or several");
        assert_eq!(k.name(), rows[0].name);
        assert_eq!(TokenKind::from_name(rows[0].name), Some(k));
        // The token opens the result route of its row's query.
        let row = ENDPOINTS
            .iter()
            .find(|e| e.token.is_some_and(|t| t.kind == k))
            .map(|e| (e.kind, e.route));
        let (kind, route) = row.unwrap_or((Kind::StartFace, None));
        assert_eq!(route.map(|r| r.route), Some(Route::Result(k)));
        assert_eq!(Route::Result(k).kind(), Some(kind));
    }
    assert_eq!(TokenKind::from_name("other"), None);
}

#[test]
fn routes_derive_from_the_rows() {
    let all = every_route();
    assert_eq!(routes().count(), all.len());
    for route in all {
        let rows: Vec<&RouteRow> = routes().filter(|r| r.route == route).collect();
        assert_eq!(rows.len(), 1, "{route:?} has no row or several");
        let row = rows[0];
        assert_eq!(route.row(), row);
        assert_eq!(route.name(), row.name);
        assert_eq!(route.path(), row.path);
        assert_eq!(route.allow(), row.method.as_str());
        assert_eq!(
            edge::route_at("/faceid", &format!("/faceid{}", row.path)),
            Some(route)
        );
        // A result route is GET and reads the query of its row.
        if let Route::Result(_) = route {
            assert_eq!(row.method, Method::Get);
            let kind = route.kind();
            assert!(
                kind.is_some_and(|k| k.row().route == Some(*row)),
                "{route:?}"
            );
            assert!(kind.is_some_and(|k| k.row().token.is_some()), "{route:?}");
        } else {
            assert_eq!(route.kind(), None);
        }
    }
    for other in &OTHER_ROUTES {
        assert!(ENDPOINTS.iter().all(|e| e.route != Some(*other)));
    }
    let rows: Vec<&RouteRow> = routes().collect();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            assert_ne!(a.name, b.name);
            assert_ne!(a.path, b.path);
        }
    }
}

#[test]
fn unknown_kinds_are_named_from_the_table() {
    // Every request kind, in the table's order, then what was given.
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let message = Kind::unknown("\"sync\"").message().to_owned();
    assert!(
        message.starts_with("kind must be one of faceResult, liveResult, idCardOcrResult, "),
        "{message}"
    );
    assert_eq!(
        message,
        format!("kind must be one of {}; got \"sync\"", names.join(", "))
    );
    assert!(!message.contains("startFace"), "{message}");
    assert_eq!(Kind::unknown("x").code(), "INVALID_OPTION");
    // Every token kind, quoted, the last after "or".
    let message = TokenKind::unknown().message().to_owned();
    assert!(
        message.starts_with("kind must be \"face\", \"live\", \"idcard\""),
        "{message}"
    );
    let quoted: Vec<String> = TokenKind::ALL
        .iter()
        .map(|k| format!("\"{}\"", k.name()))
        .collect();
    if let Some((last, rest)) = quoted.split_last() {
        assert_eq!(
            message,
            format!("kind must be {} or {last}", rest.join(", "))
        );
    }
    assert_eq!(TokenKind::unknown().code(), "INVALID_OPTION");
}
