//! The entry functions of the fuzz targets, shared by the cargo-fuzz crate
//! (`fuzz/`, which includes this file with `#[path]`) and the host replay
//! test (`tests/fuzz_corpus.rs`), so that both feed an input through exactly
//! the same calls.
//!
//! Each entry takes arbitrary bytes, never panics on its own account, and
//! asserts the properties that must hold for any input: an assertion that
//! fails is a finding, like a panic inside the core.
//!
//! Inputs are read as text (lossy UTF-8) split at `\n` into fields, so that
//! hand-made inputs of the starting corpus stay readable; `order_token` also
//! takes a few leading bytes as numbers and flags.

#![allow(dead_code)]

use std::borrow::Cow;

use faceid_edge_core::body_type;
use faceid_edge_core::callback_state::{self, CallbackStates};
use faceid_edge_core::edge::{self, Cors, Trim};
use faceid_edge_core::endpoints::{GetFile, Host, Kind};
use faceid_edge_core::h5::{self, Callback, SourcePhoto};
use faceid_edge_core::image_text;
use faceid_edge_core::keyring::KeyRing;
use faceid_edge_core::media;
use faceid_edge_core::order_token::{OrderTokens, TokenKind, CLOCK_SKEW_MS, TOKEN_MAX};
use faceid_edge_core::request::{Config, Image, MAX_IMAGE_BASE64};
use faceid_edge_core::response::{self, Source, DROPPED_KEYS, ENVELOPE_KEYS};
use faceid_edge_core::tickets;
use faceid_edge_core::validate;
use faceid_edge_core::{sign_values, verify_sign, SignParams};
use serde_json::Value;
use sha1::{Digest, Sha1};

/// An entry function: takes any bytes.
pub type Entry = fn(&[u8]);

/// The targets, by name: the directories of `fuzz/corpus/` and
/// `fuzz/regressions/` and the binaries of `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Entry); 6] = [
    ("answers", answers),
    ("validators", validators),
    ("order_token", order_token),
    ("callback", callback),
    ("media", media),
    ("signing", signing),
];

/// The input as text.
fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The first `n` fields of `s` split at `\n` (the last one keeps the rest),
/// padded with empty strings.
fn fields(s: &str, n: usize) -> Vec<&str> {
    let mut out: Vec<&str> = s.splitn(n, '\n').collect();
    out.resize(n, "");
    out
}

/// Field `i`, or `""`.
fn field<'a>(f: &[&'a str], i: usize) -> &'a str {
    f.get(i).copied().unwrap_or("")
}

/// Splits off the first 8 bytes as a little-endian number (missing bytes
/// are zero).
fn take_u64(data: &mut &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = data.len().min(8);
    let (head, rest) = data.split_at(n);
    for (dst, src) in buf.iter_mut().zip(head) {
        *dst = *src;
    }
    *data = rest;
    u64::from_le_bytes(buf)
}

/// Splits off the first byte (zero when there is none).
fn take_u8(data: &mut &[u8]) -> u8 {
    match data.split_first() {
        Some((b, rest)) => {
            *data = rest;
            *b
        }
        None => 0,
    }
}

/// 40 uppercase hexadecimal characters.
fn is_upper_hex_40(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

/// The signature recipe written independently of the core: sort by code
/// point, concatenate, SHA-1, uppercase hex.
fn reference_sign(values: &[&str]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for v in &sorted {
        hasher.update(v.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

// ---------------------------------------------------------------- answers

/// A JSON value as the text a lookup gives (numbers as their JSON text);
/// `null` is absent.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `response`'s envelope, payload and code rules and the ticket answer
/// rules, over a JSON object read from the input (or over the input's lines
/// when it is not JSON).
pub fn answers(data: &[u8]) {
    let input = text(data);
    let empty = serde_json::Map::new();
    let parsed: Option<Value> = serde_json::from_str(&input).ok();
    let top_map = parsed.as_ref().and_then(Value::as_object).unwrap_or(&empty);
    let result_map = top_map
        .get("result")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let top = |k: &str| top_map.get(k).and_then(value_text);
    let result = |k: &str| result_map.get(k).and_then(value_text);

    let lines = fields(&input, 4);
    let envelope = match response::envelope(top, result) {
        Ok(e) => {
            assert!(top("code").is_some() || result("code").is_some());
            Some(e)
        }
        Err(e) => {
            assert_eq!(e.code(), "BAD_RESPONSE");
            assert!(top("code").is_none() && result("code").is_none());
            None
        }
    };
    let code = envelope
        .as_ref()
        .map_or_else(|| field(&lines, 0).to_owned(), |e| e.code.clone());
    let ok = envelope.as_ref().is_some_and(|e| e.ok());
    assert_eq!(ok, code == "0" && envelope.is_some());

    // The payload plan: no envelope key from the top, no dropped key, no
    // key twice, every result key but the dropped ones.
    let top_keys: Vec<String> = top_map.keys().cloned().collect();
    let result_keys: Vec<String> = result_map.keys().cloned().collect();
    let plan = response::payload_plan(&top_keys, &result_keys);
    let mut seen = std::collections::BTreeSet::new();
    for (key, source) in &plan {
        assert!(seen.insert(key.as_str()), "key {key:?} planned twice");
        assert!(!DROPPED_KEYS.contains(&key.as_str()));
        if *source == Source::Top {
            assert!(!ENVELOPE_KEYS.contains(&key.as_str()));
            assert!(!result_keys.contains(key));
        }
    }
    for key in &result_keys {
        assert_eq!(
            DROPPED_KEYS.contains(&key.as_str()),
            !plan.iter().any(|(k, s)| k == key && *s == Source::Result)
        );
    }

    // Files pending: only for a verdict, and never for "no files".
    let has = |f: &str| {
        plan.iter().any(|(k, s)| {
            k == f
                && match s {
                    Source::Result => result(k),
                    Source::Top => top(k),
                }
                .is_some_and(|v| !v.is_empty())
        })
    };
    for kind in Kind::ALL {
        for get_file in [GetFile::None, GetFile::All, GetFile::Photo, GetFile::Video] {
            let pending = response::files_pending(kind, get_file, ok, has);
            assert!(!pending || (ok && get_file != GetFile::None));
        }
    }

    // Codes.
    for c in [code.as_str(), field(&lines, 0), input.as_ref()] {
        let info = response::code_info(c);
        if let Some(info) = info {
            assert_eq!(info.retryable, response::is_busy(c));
            assert!(!info.kind.is_empty() && !info.en.is_empty() && !info.zh.is_empty());
        }
        assert!(!response::is_busy(c) || info.is_some_and(|i| i.kind == "busy"));
    }

    // Ticket answers.
    let now = 1_700_000_000_000u64;
    let expire = top("expire_in");
    for value_key in ["access_token", "tickets"] {
        let value = top(value_key);
        let msg = top("msg");
        let c = top("code");
        match tickets::credential(
            "ticket",
            c.as_deref(),
            msg.as_deref(),
            value.as_deref(),
            expire.as_deref(),
            now,
        ) {
            Ok(cred) => {
                assert_eq!(c.as_deref(), Some("0"));
                assert!(!cred.value.is_empty() && cred.value.bytes().all(|b| b.is_ascii_graphic()));
                assert!(cred.expires_at_ms > cred.obtained_at_ms);
                assert_eq!(cred.obtained_at_ms, now);
            }
            Err(e) => assert!(matches!(e.code(), "BAD_RESPONSE" | "TICKET_UNAVAILABLE")),
        }
    }
    let mut texts: Vec<&str> = lines.clone();
    texts.push(&input);
    let expire_owned = expire.unwrap_or_default();
    texts.push(&expire_owned);
    for t in texts {
        match tickets::expire_in_seconds(t) {
            Ok(s) => assert!(s > 0),
            Err(e) => assert_eq!(e.code(), "BAD_RESPONSE"),
        }
        let _ = tickets::credential(
            "token",
            Some("0"),
            None,
            Some(field(&lines, 1)),
            Some(t),
            u64::MAX - 5,
        );
        let _ = tickets::credential("token", Some(t), Some(t), Some(t), Some(t), now);
    }
}

// ------------------------------------------------------------- validators

/// Every input rule on one string, with the properties an accepted value has.
fn validate_one(s: &str) {
    let graphic =
        |max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic());
    let alnum = |max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    assert_eq!(validate::app_id(s).is_ok(), graphic(validate::APP_ID_MAX));
    assert_eq!(validate::ticket(s).is_ok(), graphic(validate::TICKET_MAX));
    assert_eq!(validate::version(s).is_ok(), graphic(validate::VERSION_MAX));
    assert_eq!(validate::order_no(s).is_ok(), alnum(validate::ORDER_NO_MAX));
    assert_eq!(
        validate::nonce(s).is_ok(),
        alnum(validate::NONCE_LEN) && s.len() == validate::NONCE_LEN
    );
    for max in [validate::USER_ID_MAX, validate::NONCE_USER_ID_MAX] {
        assert_eq!(validate::user_id(s, max).is_ok(), alnum(max));
    }
    for (rule, code) in [
        (validate::app_id as fn(&str) -> _, "INVALID_APP_ID"),
        (validate::ticket, "INVALID_TICKET"),
        (validate::version, "INVALID_VERSION"),
        (validate::order_no, "INVALID_ORDER_NO"),
        (validate::nonce, "INVALID_NONCE"),
    ] {
        if let Err(e) = rule(s) {
            assert_eq!(e.code(), code);
        }
    }
    let _ = validate::quote(s);
    if let Some(c) = s.chars().next() {
        let _ = validate::describe(c);
    }
    let _ = validate::check_len(s, s.len(), faceid_edge_core::Error::InvalidOption);

    if h5::name(s).is_ok() {
        assert!(s.trim() == s && !s.is_empty() && s.chars().count() <= h5::NAME_MAX);
    }
    assert_eq!(h5::id_no(s).is_ok(), alnum(h5::ID_NO_MAX));
    if h5::browser_url(s, "callbackUrl").is_ok() {
        assert!(s.starts_with("https://") || s.starts_with("http://"));
        assert!(s.len() <= h5::CALLBACK_URL_MAX && !s.contains('#'));
        assert!(s.bytes().all(|b| b.is_ascii_graphic()));
    }
    if h5::optimal_domain(s).is_ok() {
        assert!(!s.contains(['/', '?', '#', '@']));
    }
    if h5::face_id(s).is_ok() {
        assert!(!s.is_empty() && s.len() <= h5::FACE_ID_MAX);
    }
    if h5::login_option(s, "from").is_ok() {
        assert!(s.len() <= 16 && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    if edge::prefix(s).is_ok() {
        for (rest, route) in [
            ("/start", edge::Route::Start),
            ("/callback", edge::Route::Callback),
            ("/ocr/idcard", edge::Route::OcrIdCard),
            ("/result", edge::Route::Result(TokenKind::Face)),
        ] {
            let path = format!("{s}{rest}");
            assert_eq!(edge::route_at(s, &path), Some(route));
            assert!(edge::resolve(s, route.allow(), &path).is_ok());
        }
        assert_eq!(edge::route_at(s, &format!("{s}/start/")), None);
    }
    match edge::allowed_origin(s) {
        Ok(origin) => {
            assert_eq!(origin, s.to_ascii_lowercase());
            assert!(h5::browser_url(&origin, "allowedOrigins").is_ok());
            assert!(!origin.contains('*') && origin.matches('/').count() == 2);
            assert_eq!(
                edge::cors(Some(s), "https://own.example", &[origin]),
                if s.eq_ignore_ascii_case("https://own.example") {
                    Cors::Same
                } else {
                    Cors::Allowed
                }
            );
        }
        Err(e) => assert_eq!(e.code(), "INVALID_OPTION"),
    }
    if edge::reveal_field(s).is_ok() {
        assert!(!s.is_empty() && s.len() <= 64);
    }
    match edge::bearer(Some(s)) {
        Ok(token) => {
            assert!(!token.is_empty() && s.contains(token));
            assert!(token.trim() == token);
        }
        Err(e) => assert_eq!(e.code(), "UNAUTHORIZED"),
    }
    let n = s.chars().count();
    assert_eq!(edge::mask(Trim::Keep, s), s);
    assert_eq!(edge::mask(Trim::Drop, s), "");
    assert!(edge::mask(Trim::MaskName, s).chars().count() <= 2);
    assert_eq!(edge::mask(Trim::MaskId, s).chars().count(), n);
    assert_eq!(edge::mask(Trim::MaskCard, s).chars().count(), n);
    gate_rules(s);
}

/// The edge handler's gate on one string: as `publicOrigin`, as the
/// request's own origin, as `Sec-Fetch-Site` and as `Content-Type`.
fn gate_rules(s: &str) {
    use faceid_edge_core::gate::{self, RequestFacts};
    match gate::public_origin(s) {
        Ok(origin) => assert_eq!(edge::allowed_origin(s).ok(), Some(origin)),
        Err(e) => assert_eq!(e.code(), "INVALID_OPTION"),
    }
    if let Err(e) = gate::derived_origin(s) {
        assert_eq!(e.code(), "INVALID_URL");
        assert!(e.message().contains("publicOrigin"));
    }
    // The gate and the upload route read a content type by one rule: what
    // the gate admits to /start as JSON, the upload takes as JSON.
    let start = RequestFacts {
        route: edge::Route::Start,
        cors: Cors::Same,
        has_origin: false,
        fetch_site: None,
        content_type: Some(s),
    };
    assert_eq!(
        gate::admit(&start).is_ok(),
        body_type::body_type(s) == Some(body_type::BodyType::Json)
    );
    for route in [
        edge::Route::Start,
        edge::Route::SdkStart,
        edge::Route::OcrIdCard,
        edge::Route::Callback,
        edge::Route::Result(TokenKind::Face),
    ] {
        for cors in [Cors::Same, Cors::Allowed, Cors::Forbidden] {
            for has_origin in [false, true] {
                let facts = RequestFacts {
                    route,
                    cors,
                    has_origin,
                    fetch_site: Some(s),
                    content_type: Some(s),
                };
                match gate::admit(&facts) {
                    Ok(()) => {}
                    Err(e) => {
                        assert_ne!(route, edge::Route::Callback);
                        assert!(matches!(e.code(), "FORBIDDEN" | "INVALID_BODY"));
                    }
                }
            }
        }
    }
}

/// Every input rule (`validate`, `h5`, `edge`) on the whole input and on
/// each of its lines; routes, CORS, the return location and `Config::new`
/// from the lines.
pub fn validators(data: &[u8]) {
    let input = text(data);
    validate_one(&input);
    for line in input.split('\n').take(16) {
        validate_one(line);
    }
    let f = fields(&input, 4);
    let (a, b, c, d) = (field(&f, 0), field(&f, 1), field(&f, 2), field(&f, 3));

    match edge::resolve(a, b, c) {
        Ok(route) => {
            assert_eq!(route.allow(), b);
            assert_eq!(edge::route_at(a, c), Some(route));
        }
        Err(e) => assert!(matches!(e.code(), "NOT_FOUND" | "METHOD_NOT_ALLOWED")),
    }
    let allowed: Vec<String> = [b, c, d]
        .iter()
        .filter_map(|o| edge::allowed_origin(o).ok())
        .collect();
    let verdict = edge::cors(Some(a), "https://own.example", &allowed);
    if verdict == Cors::Allowed {
        assert!(allowed.iter().any(|o| o.eq_ignore_ascii_case(a)));
    }
    assert_eq!(edge::cors(None, a, &allowed), Cors::Same);

    let location = edge::return_location(a, b);
    let base = a.split('#').next().unwrap_or("");
    assert!(location.starts_with(base));
    // Exactly one parameter added, the order number: never the face page's code.
    let added = &location[base.len()..];
    let added = added.split('#').next().unwrap_or("");
    let added = added.strip_prefix(['?', '&']).unwrap_or(added);
    assert!(added.starts_with("orderNo="), "{location:?}");
    assert!(!added.contains('&'), "{location:?}");

    for (app, version, server, kyc) in [
        (a, Some(b), Some(c), Some(d)),
        ("IDAXXXXX", None, Some(a), Some(b)),
        ("IDAXXXXX", Some("1.0.0"), None, Some(a)),
        (a, None, None, None),
    ] {
        match Config::new(app, version, server, kyc) {
            Ok(config) => {
                assert_eq!(config.app_id(), app);
                for host in [Host::Server, Host::Kyc] {
                    let url = config.base(host);
                    assert!(url.starts_with("https://") || url.starts_with("http://"));
                    assert!(!url.contains(['?', '#', ' ']));
                }
            }
            Err(e) => assert!(matches!(
                e.code(),
                "INVALID_APP_ID" | "INVALID_VERSION" | "INVALID_URL"
            )),
        }
    }
}

// ------------------------------------------------------------ order_token

/// The key every fuzzed token is minted and checked under.
const TOKEN_KEY: [u8; 32] = *b"faceid-edge fuzz order token key";
/// The key `TOKEN_KEY` replaces in a rotation.
const TOKEN_KEY_OLD: [u8; 32] = *b"faceid-edge fuzz old token key!!";

/// Every token kind, from the table.
const KINDS: [TokenKind; TokenKind::ALL.len()] = TokenKind::ALL;

fn kind_of(bits: u8) -> TokenKind {
    KINDS
        .get(usize::from(bits) % KINDS.len())
        .copied()
        .unwrap_or(TokenKind::Face)
}

/// Tokens under `keys` for `audience`, living at most `lifetime_ms`.
fn token_ring(keys: &[&[u8]], audience: &str, lifetime_ms: u64) -> Option<OrderTokens> {
    KeyRing::new(keys, audience)
        .ok()
        .map(|ring| OrderTokens::with_ring(ring).with_lifetime(lifetime_ms))
}

/// `OrderTokens::check` on an arbitrary token, kind, order, user and time;
/// then a mint → check round trip and its mutations, another audience, a
/// key rotation and the lifetime cap. Input: 8 bytes of time, 8 of expiry,
/// 1 of flags, 2 of positions, then the lines `token`, `order`, `user`,
/// `other order`, `other user`. Flag bit 6 caps the lifetime at the
/// position byte in seconds (otherwise no cap).
pub fn order_token(data: &[u8]) {
    let mut rest = data;
    let now = take_u64(&mut rest);
    let expiry = take_u64(&mut rest);
    let flags = take_u8(&mut rest);
    let pos = usize::from(take_u8(&mut rest));
    let byte = take_u8(&mut rest);
    let input = text(rest);
    let f = fields(&input, 5);
    let (token, order, user, other_order, other_user) = (
        field(&f, 0),
        field(&f, 1),
        field(&f, 2),
        field(&f, 3),
        field(&f, 4),
    );
    let kind = kind_of(flags);
    let other_kind = kind_of(flags >> 2);
    let user = (flags & 16 != 0).then_some(user);
    let lifetime = if flags & 64 != 0 {
        (pos as u64) * 1000
    } else {
        u64::MAX
    };
    let within = |exp: u64, at: u64| at < exp && exp - at <= lifetime.saturating_add(CLOCK_SKEW_MS);

    let Some(tokens) = token_ring(&[&TOKEN_KEY], "/faceid", lifetime) else {
        return;
    };
    let _ = OrderTokens::new(rest).map(|t| t.check(token, kind, order, user, now));
    let _ = KeyRing::new(&[rest], field(&f, 3));

    // Arbitrary token: FORBIDDEN, or it is exactly the token minted for
    // these inputs, not yet expired and within the lifetime.
    match tokens.check(token, kind, order, user, now) {
        Ok(exp) => {
            let parsed: u64 = token
                .strip_prefix("v2.")
                .and_then(|r| r.split('.').next())
                .and_then(|e| e.parse().ok())
                .unwrap_or(0);
            assert_eq!(exp, parsed);
            assert!(within(exp, now));
            assert_eq!(
                tokens.mint(kind, order, user, exp).ok().as_deref(),
                Some(token)
            );
        }
        Err(e) => assert_eq!(e.code(), "FORBIDDEN"),
    }

    // Round trip: any expiry, up to `u64::MAX`.
    let Ok(minted) = tokens.mint(kind, order, user, expiry) else {
        assert!(
            validate::order_no(order).is_err()
                || user.is_some_and(|u| validate::user_id(u, validate::USER_ID_MAX).is_err())
        );
        return;
    };
    assert!(minted.len() <= TOKEN_MAX);
    assert!(minted.starts_with("v2."));
    let own = tokens.check(&minted, kind, order, user, now);
    assert_eq!(
        own.is_ok(),
        within(expiry, now),
        "own token at {now}, expiry {expiry}, lifetime {lifetime}"
    );
    if let Err(e) = own {
        assert_eq!(e.code(), "FORBIDDEN");
    }
    // A moment at which the token is valid, when there is one.
    let at = now
        .min(expiry.saturating_sub(1))
        .max(expiry.saturating_sub(lifetime.saturating_add(CLOCK_SKEW_MS)));
    let valid_at = expiry > 0;
    if valid_at {
        assert!(tokens.check(&minted, kind, order, user, at).is_ok());
    }
    if other_kind != kind {
        assert!(tokens.check(&minted, other_kind, order, user, at).is_err());
    }
    if other_order != order {
        assert!(tokens.check(&minted, kind, other_order, user, at).is_err());
    }
    let other_user = (flags & 32 != 0).then_some(other_user);
    if other_user != user {
        assert!(tokens.check(&minted, kind, order, other_user, at).is_err());
    }
    let mac = minted.rsplit('.').next().unwrap_or("");
    let moved = format!("v2.{}.{mac}", expiry.wrapping_add(1 + u64::from(byte)));
    assert!(tokens.check(&moved, kind, order, user, at).is_err());
    // The same MAC under the first format's prefix: refused.
    let first = format!("v1.{expiry}.{mac}");
    assert!(tokens.check(&first, kind, order, user, at).is_err());

    // Another audience sharing the key: never. A rotation: the new ring
    // (new key first, old key after) opens the old ring's tokens; the old
    // ring never opens the new ring's.
    if let Some(elsewhere) = token_ring(&[&TOKEN_KEY], "/reveal", lifetime) {
        assert!(elsewhere.check(&minted, kind, order, user, at).is_err());
    }
    if let (Some(old), Some(new)) = (
        token_ring(&[&TOKEN_KEY_OLD], "/faceid", lifetime),
        token_ring(&[&TOKEN_KEY, &TOKEN_KEY_OLD], "/faceid", lifetime),
    ) {
        assert_eq!(new.check(&minted, kind, order, user, at).is_ok(), valid_at);
        if let Ok(from_old) = old.mint(kind, order, user, expiry) {
            assert_eq!(
                new.check(&from_old, kind, order, user, at).is_ok(),
                valid_at
            );
            assert_ne!(from_old, minted);
        }
        assert!(old.check(&minted, kind, order, user, at).is_err());
    }

    // Mutations: flip a character, truncate, append.
    let chars: Vec<char> = minted.chars().collect();
    let i = pos % chars.len().max(1);
    let mut flipped = chars.clone();
    if let Some(c) = flipped.get_mut(i) {
        let replacement = char::from(byte);
        *c = if replacement == *c { '~' } else { replacement };
    }
    let flipped: String = flipped.into_iter().collect();
    let truncated: String = chars.iter().take(i).collect();
    let appended = format!("{minted}{}", char::from(byte));
    for bad in [flipped, truncated, appended] {
        let r = tokens.check(&bad, kind, order, user, at);
        assert!(r.is_err(), "mutated token {bad:?} of {minted:?} verified");
        if let Err(e) = r {
            assert_eq!(e.code(), "FORBIDDEN");
        }
    }
}

// --------------------------------------------------------------- callback

const CALLBACK_APP: &str = "IDAXXXXX";
const TICKET_NOW: &str = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
const TICKET_BEFORE: &str = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
const TICKET_OTHER: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7TkHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";

/// `Callback::from_query` and `verify` on the input as a query string, then
/// a signed query built from its first two lines (order, code).
pub fn callback(data: &[u8]) {
    let input = text(data);
    let cb = Callback::from_query(&input);
    let tickets = [TICKET_NOW, TICKET_BEFORE];
    if cb.verify(CALLBACK_APP, &tickets) {
        let signed = match (&cb.order_no, &cb.code, &cb.new_sign) {
            (Some(order), Some(code), Some(sign)) => tickets.iter().any(|t| {
                sign_values([CALLBACK_APP, order.as_str(), t, code.as_str()])
                    .eq_ignore_ascii_case(sign)
            }),
            _ => false,
        };
        assert!(signed, "{cb:?} verified without a matching signature");
    }
    assert!(!cb.verify(CALLBACK_APP, &[]));

    let f = fields(&input, 3);
    let (order, code) = (field(&f, 0), field(&f, 1));
    let sign = sign_values([CALLBACK_APP, order, TICKET_BEFORE, code]);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("orderNo", order)
        .append_pair("code", code)
        .append_pair("newSign", &sign)
        .finish();
    let parsed = Callback::from_query(&format!("?{query}"));
    assert_eq!(parsed.order_no.as_deref(), Some(order));
    assert_eq!(parsed.code.as_deref(), Some(code));
    assert_eq!(parsed.new_sign.as_deref(), Some(sign.as_str()));
    let valid = validate::order_no(order).is_ok()
        && !code.is_empty()
        && code.len() <= h5::CODE_MAX
        && code.bytes().all(|b| b.is_ascii_alphanumeric());
    assert_eq!(parsed.verify(CALLBACK_APP, &tickets), valid);
    let lower = Callback {
        new_sign: Some(sign.to_ascii_lowercase()),
        ..parsed.clone()
    };
    assert_eq!(lower.verify(CALLBACK_APP, &tickets), valid);
    assert!(!parsed.verify(CALLBACK_APP, &[TICKET_OTHER]));
    assert!(!parsed.verify("IDAYYYYY", &tickets));
    // A parameter given twice never verifies.
    let twice = Callback::from_query(&format!("{query}&code={code}"));
    assert!(!twice.verify(CALLBACK_APP, &tickets));
    let old_and_new = Callback::from_query(&format!("{query}&newSignature={sign}"));
    assert!(!old_and_new.verify(CALLBACK_APP, &tickets));

    callback_states(&input, order, code, &sign);
}

/// The callback state on the input: an arbitrary state (the third line) is
/// FORBIDDEN unless it is exactly the one minted for the order, and a state
/// minted for `order` never opens a callback whose order number took or gave
/// characters across the boundary with `code`, even when the face page's
/// signature `sign` still verifies for it.
fn callback_states(input: &str, order: &str, code: &str, sign: &str) {
    let _ = callback_state::from_query(input);
    let Ok(ring) = KeyRing::new(&[&TOKEN_KEY], "/faceid") else {
        return;
    };
    let ttl = callback_state::DEFAULT_TTL_MS;
    let states = CallbackStates::new(ring, ttl);
    let now = 1_800_000_000_000u64;
    let arbitrary = field(&fields(input, 4), 2);
    match states.check(arbitrary, order, now) {
        Ok(user) => {
            let exp: u64 = arbitrary
                .strip_prefix("s1.")
                .and_then(|r| r.split('.').next())
                .and_then(|e| e.parse().ok())
                .unwrap_or(0);
            assert!(now < exp && exp - now <= ttl + CLOCK_SKEW_MS);
            assert_eq!(
                states.mint(order, &user, exp).ok().as_deref(),
                Some(arbitrary)
            );
        }
        Err(e) => assert_eq!(e.code(), "FORBIDDEN"),
    }
    let Ok(state) = states.mint(order, "alice", now + ttl) else {
        assert!(validate::order_no(order).is_err());
        return;
    };
    assert_eq!(
        states.check(&state, order, now).ok().as_deref(),
        Some("alice")
    );
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("orderNo", order)
        .append_pair("code", code)
        .append_pair("newSign", sign)
        .finish();
    let with = callback_state::with_state(&format!("https://edge.example/cb?{query}"), &state);
    let read = with.split_once('?').map_or("", |(_, q)| q);
    assert_eq!(
        callback_state::from_query(read).as_deref(),
        Some(state.as_str())
    );

    // `s` cut after its first `k` characters.
    let cut = |s: &str, k: usize| -> (String, String) {
        (s.chars().take(k).collect(), s.chars().skip(k).collect())
    };
    let (o, c) = (order.chars().count(), code.chars().count());
    let mut shifts = Vec::new();
    for k in 1..=o.min(8) {
        // The order number's head to the code's tail, its tail to the code's head.
        let (head, rest) = cut(order, k);
        shifts.push((rest, format!("{code}{head}")));
        let (rest, tail) = cut(order, o - k);
        shifts.push((rest, format!("{tail}{code}")));
    }
    for k in 1..=c.min(8) {
        // The code's tail to the order number's head, its head to its tail.
        let (rest, tail) = cut(code, c - k);
        shifts.push((format!("{tail}{order}"), rest));
        let (head, rest) = cut(code, k);
        shifts.push((format!("{order}{head}"), rest));
    }
    for (shifted_order, shifted_code) in shifts {
        if shifted_order == order {
            continue;
        }
        let shifted = Callback {
            order_no: Some(shifted_order.clone()),
            code: Some(shifted_code),
            new_sign: Some(sign.to_owned()),
        };
        if shifted.verify(CALLBACK_APP, &[TICKET_BEFORE]) {
            // The signature alone lets it through; the state never does.
            let e = states.check(&state, &shifted_order, now);
            assert!(e.is_err(), "state of {order:?} opened {shifted_order:?}");
        }
    }
}

// ------------------------------------------------------------------ media

/// Media decoding and sniffing on the input's bytes, `Image::Base64` and
/// `Image::Bytes` to base64, and the comparison photo rules.
pub fn media(data: &[u8]) {
    let _ = media::sniff(data);
    match media::decode_bytes("photo", data) {
        Ok(bytes) => {
            assert!(bytes.len() <= data.len() / 4 * 3 + 3);
            let _ = media::sniff(&bytes);
        }
        Err(e) => assert_eq!(e.code(), "INVALID_MEDIA"),
    }
    let input = text(data);
    if let Ok(bytes) = media::decode("video", &input) {
        assert!(bytes.len() <= input.len() / 4 * 3 + 3);
    }

    let is_base64 = |s: &str| {
        !s.is_empty()
            && s.len() % 4 == 0
            && s.len() <= MAX_IMAGE_BASE64
            && s.trim_end_matches('=').len() + 2 >= s.len()
            && s.trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    };
    match Image::Base64(&input).to_base64() {
        Ok(s) => assert!(is_base64(&s), "cleaned base64 {s:?}"),
        Err(e) => assert!(matches!(e.code(), "INVALID_IMAGE" | "IMAGE_TOO_LARGE")),
    }
    // The same text cleaned a piece at a time (the data: prefix, when there
    // is one, in the first piece), as the WebAssembly layer feeds it: the
    // same outcome as the whole.
    let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 16);
    let first = if input.starts_with("data:") {
        input.find(',').map_or(input.len(), |i| i + 1)
    } else {
        0
    };
    let mut cleaner = image_text::Cleaner::new(MAX_IMAGE_BASE64);
    let mut out = Vec::new();
    let mut at = 0;
    let mut pieces = Ok(());
    while at < input.len() && pieces.is_ok() {
        let mut end = (at + step.max(if at == 0 { first } else { 0 })).min(input.len());
        while !input.is_char_boundary(end) {
            end += 1;
        }
        pieces = cleaner.push(input.get(at..end).unwrap_or(""), &mut out);
        at = end;
    }
    let pieced = pieces
        .and_then(|()| cleaner.finish())
        .map(|_| String::from_utf8(out).unwrap_or_default());
    assert_eq!(pieced, Image::Base64(&input).to_base64());
    // Bytes encoded a piece at a time (pieces of a multiple of 3 bytes).
    let mut encoded = Vec::new();
    for piece in data.chunks(3 * step) {
        image_text::encode_piece(piece, &mut encoded);
    }
    assert_eq!(encoded.len(), image_text::encoded_len(data.len()));

    match Image::Bytes(data).to_base64() {
        Ok(s) => {
            assert!(is_base64(&s));
            assert_eq!(media::decode("photo", &s).ok().as_deref(), Some(data));
            assert_eq!(s.as_bytes(), encoded.as_slice());
        }
        Err(e) => {
            assert!(data.is_empty());
            assert_eq!(e.code(), "INVALID_IMAGE");
        }
    }

    let photo_type = match data.first() {
        Some(b) if b % 3 == 0 => "1",
        Some(b) if b % 3 == 1 => "2",
        _ => "3",
    };
    for image in [Image::Bytes(data), Image::Base64(&input)] {
        let photo = SourcePhoto { image, photo_type };
        match h5::source_photo_base64(&photo) {
            Ok(s) => {
                assert!(photo_type != "3");
                assert!(is_base64(&s));
                assert!(s.len() / 4 * 3 <= h5::SOURCE_PHOTO_MAX + 2);
                let head = media::decode("sourcePhoto", s.get(..16.min(s.len())).unwrap_or(""))
                    .unwrap_or_default();
                assert!(matches!(
                    media::sniff(&head),
                    "image/jpeg" | "image/png" | "image/bmp"
                ));
            }
            Err(e) => assert!(matches!(
                e.code(),
                "INVALID_IMAGE" | "IMAGE_TOO_LARGE" | "INVALID_OPTION"
            )),
        }
    }
}

// ---------------------------------------------------------------- signing

/// `sign_values` and `verify_sign` on the input's lines (against an
/// independent SHA-1), then `SignParams::validate` and `sign` on its first
/// five lines.
pub fn signing(data: &[u8]) {
    let input = text(data);
    let values: Vec<&str> = input.split('\n').take(64).collect();
    let sig = sign_values(values.iter().copied());
    assert!(is_upper_hex_40(&sig), "{sig:?}");
    assert_eq!(sig, reference_sign(&values));
    assert_eq!(sign_values(values.iter().rev().copied()), sig);
    assert!(verify_sign(values.iter().copied(), &sig));
    assert!(verify_sign(
        values.iter().copied(),
        &sig.to_ascii_lowercase()
    ));
    if let Some(first) = values.first() {
        if verify_sign(values.iter().copied(), first) {
            assert!(first.eq_ignore_ascii_case(&sig));
        }
    }
    let mut changed = values.clone();
    let extended = format!("{}x", values.first().copied().unwrap_or(""));
    if let Some(first) = changed.first_mut() {
        *first = &extended;
    }
    assert!(!verify_sign(changed.iter().copied(), &sig));

    let f = fields(&input, 5);
    let params = SignParams {
        app_id: field(&f, 0),
        order_no: field(&f, 1),
        ticket: field(&f, 2),
        nonce: field(&f, 3),
        version: field(&f, 4),
    };
    let _ = format!("{params:?}");
    let checked = params.validate();
    let signed = faceid_edge_core::sign(&params);
    assert_eq!(checked.is_ok(), signed.is_ok(), "{checked:?} {signed:?}");
    if let (Err(a), Err(b)) = (&checked, &signed) {
        assert_eq!(a.code(), b.code());
    }
    if let Ok(s) = signed {
        assert_eq!(
            s,
            sign_values([
                params.app_id,
                params.order_no,
                params.version,
                params.ticket,
                params.nonce
            ])
        );
    }
}
