//! Reading the service's answers: the envelope, payload fields from `result`
//! or the top level, the meaning of known codes, and whether requested files
//! are still missing (`docs/protocol.md#result-queries`). Pure: the caller
//! hands in lookups over whatever parsed the JSON.

use crate::endpoints::{GetFile, Kind};
use crate::error::{Error, Result};

/// Top-level keys that belong to the envelope and are never copied into the
/// payload.
pub const ENVELOPE_KEYS: &[&str] = &["code", "msg", "bizSeqNo", "transactionTime", "result"];

/// Payload keys that are dropped: `success` is documented as meaningless.
pub const DROPPED_KEYS: &[&str] = &["success"];

/// The envelope of every answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The business code: `"0"` is success. Always a string.
    pub code: String,
    /// The service's description of the code, verbatim (may be empty).
    pub msg: String,
    /// The service's transaction id.
    pub biz_seq_no: Option<String>,
    /// `yyyyMMddHHmmss`.
    pub transaction_time: Option<String>,
    /// The order number the answer is about.
    pub order_no: Option<String>,
}

impl Envelope {
    /// `true` when `code` is `"0"`.
    pub fn ok(&self) -> bool {
        self.code == "0"
    }
}

/// Reads the envelope. `top` and `result` look up a key at the top level
/// and under `result`, giving its text (numbers as their JSON text). Envelope
/// fields are read from the top level first, then from `result`.
pub fn envelope<T, R>(top: T, result: R) -> Result<Envelope>
where
    T: Fn(&str) -> Option<String>,
    R: Fn(&str) -> Option<String>,
{
    let pick = |key: &str| top(key).or_else(|| result(key));
    let code = pick("code")
        .ok_or_else(|| Error::BadResponse("the answer is JSON but has no \"code\" field".into()))?;
    Ok(Envelope {
        code,
        msg: pick("msg").unwrap_or_default(),
        biz_seq_no: pick("bizSeqNo"),
        transaction_time: pick("transactionTime"),
        order_no: result("orderNo")
            .or_else(|| top("orderNo"))
            .or_else(|| top("order_no")),
    })
}

/// Where a payload field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Under `result`.
    Result,
    /// At the top level (flat answers, and extras beside `result`).
    Top,
}

/// Which keys make up the payload and where each comes from: every key of
/// `result` except `success`, then every top-level key that is not part of
/// the envelope and not already taken from `result`. Unknown keys pass
/// through.
pub fn payload_plan(top_keys: &[String], result_keys: &[String]) -> Vec<(String, Source)> {
    let mut plan: Vec<(String, Source)> = result_keys
        .iter()
        .filter(|k| !DROPPED_KEYS.contains(&k.as_str()))
        .map(|k| (k.clone(), Source::Result))
        .collect();
    for key in top_keys {
        let k = key.as_str();
        if ENVELOPE_KEYS.contains(&k)
            || DROPPED_KEYS.contains(&k)
            || result_keys.iter().any(|r| r == k)
        {
            continue;
        }
        plan.push((key.clone(), Source::Top));
    }
    plan
}

/// `true` when the verdict is there but requested files are not yet (the
/// docs say they can lag about a second): the caller polls again.
///
/// `has` says whether the payload has a non-empty value for a field.
pub fn files_pending(kind: Kind, get_file: GetFile, ok: bool, has: impl Fn(&str) -> bool) -> bool {
    let expected = get_file.expected_fields(kind);
    if !ok || expected.is_empty() {
        return false;
    }
    if kind.face_files() {
        expected.iter().any(|f| !has(f))
    } else {
        !expected.iter().any(|f| has(f))
    }
}

/// What a known business code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// A short machine-friendly category: `success`, `no_result`, `risk`,
    /// `expired`, `bad_video`, `not_live`, `ocr`, `busy`, or `front_end`
    /// (a code the face page itself gives the callback: the browser or the
    /// user could not go on).
    pub kind: &'static str,
    /// A short English meaning.
    pub en: &'static str,
    /// The meaning in Chinese.
    pub zh: &'static str,
    /// Whether retrying (with backoff) can help.
    pub retryable: bool,
}

const fn info(kind: &'static str, en: &'static str, zh: &'static str, retryable: bool) -> CodeInfo {
    CodeInfo {
        kind,
        en,
        zh,
        retryable,
    }
}

/// The meaning of the codes `docs/protocol.md#result-codes` lists; `None` for
/// any other code.
pub fn code_info(code: &str) -> Option<CodeInfo> {
    Some(match code {
        "0" => info("success", "success", "成功", false),
        "66660011" => info(
            "no_result",
            "no result for this query",
            "无此查询结果",
            false,
        ),
        "66660017" => info("risk", "blocked by risk control", "验证被风控拦截", false),
        "66660018" => info(
            "expired",
            "the session timed out or the faceId expired",
            "操作超时或 faceId 已过期",
            false,
        ),
        "66660016" => info(
            "bad_video",
            "the video is unusable",
            "视频格式或大小不合法",
            false,
        ),
        "400604" => info(
            "not_live",
            "the video is not of a live person",
            "视频活体检测未通过",
            false,
        ),
        "66660020" => info(
            "no_result",
            "no OCR result for this order",
            "无 OCR 识别结果",
            false,
        ),
        // The face page's own codes, which come back as the callback's
        // `code` (the H5 start page, 1007/114178, and the mobile callback
        // page for 300101).
        "3001" => info(
            "front_end",
            "this browser cannot record video: offer another way to verify",
            "该浏览器不支持视频录制",
            false,
        ),
        "3002" => info(
            "front_end",
            "the face page lost its session (a cookie is missing): start again",
            "登录态异常，cookie参数缺失",
            false,
        ),
        "3003" => info(
            "front_end",
            "the face verification was interrupted: start again",
            "人脸核身中途中断",
            false,
        ),
        "3004" => info(
            "front_end",
            "no permission to use the camera: start again and allow the camera",
            "无摄像头权限",
            false,
        ),
        "3005" => info(
            "front_end",
            "this browser cannot do real-time detection (liveInterType \"1\"): use another browser",
            "该浏览器不支持实时检测模式",
            false,
        ),
        "300101" => info(
            "front_end",
            "the face page received a malformed request: start again",
            "报文包体问题",
            false,
        ),
        c if is_busy(c) => info(
            "busy",
            "the service is busy; retry with backoff",
            "服务繁忙，请稍后重试",
            true,
        ),
        c if is_ocr_image_code(c) => info(
            "ocr",
            "the OCR image is unusable (angle, expired card, wrong side, unreadable…)",
            "OCR 图片不合格（角度、证件过期、正反面错误、无法识别等）",
            false,
        ),
        _ => return None,
    })
}

/// `66661001` to `66661099`: OCR image problems.
fn is_ocr_image_code(code: &str) -> bool {
    code.len() == 8
        && code.starts_with("666610")
        && code.bytes().all(|b| b.is_ascii_digit())
        && code != "66661000"
}

/// `true` for the busy codes that are retried with backoff.
pub fn is_busy(code: &str) -> bool {
    matches!(code, "999999" | "999998" | "999997")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_face_pages_own_codes_have_meanings() {
        for code in ["3001", "3002", "3003", "3004", "3005", "300101"] {
            let info = code_info(code).unwrap();
            assert_eq!(info.kind, "front_end", "{code}");
            assert!(!info.retryable);
        }
        assert!(code_info("3005").unwrap().en.contains("real-time"));
        assert_eq!(code_info("3006"), None);
    }

    fn lookup<'a>(map: &'a BTreeMap<&'a str, &'a str>) -> impl Fn(&str) -> Option<String> + 'a {
        |k| map.get(k).map(|v| v.to_string())
    }

    #[test]
    fn envelope_nested_and_flat() {
        let top = BTreeMap::from([
            ("code", "0"),
            ("msg", "请求成功"),
            ("bizSeqNo", "B1"),
            ("order_no", "o1"),
        ]);
        let result = BTreeMap::from([("transactionTime", "20180810150342"), ("orderNo", "o1")]);
        let e = envelope(lookup(&top), lookup(&result)).unwrap();
        assert!(e.ok());
        assert_eq!(e.msg, "请求成功");
        assert_eq!(e.biz_seq_no.as_deref(), Some("B1"));
        assert_eq!(e.transaction_time.as_deref(), Some("20180810150342"));
        assert_eq!(e.order_no.as_deref(), Some("o1"));

        let flat = BTreeMap::from([("code", "66660011"), ("orderNo", "o2")]);
        let none = BTreeMap::new();
        let e = envelope(lookup(&flat), lookup(&none)).unwrap();
        assert!(!e.ok());
        assert_eq!(e.msg, "");
        assert_eq!(e.order_no.as_deref(), Some("o2"));

        let e = envelope(lookup(&none), lookup(&none)).unwrap_err();
        assert_eq!(e.code(), "BAD_RESPONSE");
    }

    #[test]
    fn payload_prefers_result_drops_success_keeps_unknown() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let plan = payload_plan(
            &s(&[
                "code",
                "msg",
                "bizSeqNo",
                "result",
                "transactionTime",
                "app_id",
                "liveRate",
            ]),
            &s(&["liveRate", "similarity", "success", "newField"]),
        );
        assert_eq!(
            plan,
            vec![
                ("liveRate".to_string(), Source::Result),
                ("similarity".to_string(), Source::Result),
                ("newField".to_string(), Source::Result),
                ("app_id".to_string(), Source::Top),
            ]
        );
        // Flat: everything but the envelope comes from the top.
        let plan = payload_plan(&s(&["code", "msg", "name", "success"]), &[]);
        assert_eq!(plan, vec![("name".to_string(), Source::Top)]);
    }

    #[test]
    fn pending_files() {
        let has_photo = |f: &str| f == "photo";
        assert!(files_pending(
            Kind::FaceResult,
            GetFile::All,
            true,
            has_photo
        ));
        assert!(!files_pending(
            Kind::FaceResult,
            GetFile::Photo,
            true,
            has_photo
        ));
        assert!(!files_pending(
            Kind::FaceResult,
            GetFile::None,
            true,
            |_| false
        ));
        assert!(!files_pending(
            Kind::FaceResult,
            GetFile::All,
            false,
            |_| false
        ));
        assert!(files_pending(
            Kind::IdCardOcrResult,
            GetFile::All,
            true,
            |_| false
        ));
        assert!(!files_pending(
            Kind::IdCardOcrResult,
            GetFile::All,
            true,
            |f| f == "frontPhoto"
        ));
    }

    #[test]
    fn known_codes() {
        assert_eq!(code_info("0").unwrap().kind, "success");
        assert_eq!(code_info("66660018").unwrap().kind, "expired");
        assert_eq!(code_info("66661001").unwrap().kind, "ocr");
        assert_eq!(code_info("66661099").unwrap().kind, "ocr");
        assert!(code_info("66661100").is_none());
        assert!(code_info("66661000").is_none());
        assert!(code_info("6666100x").is_none());
        assert!(code_info("12345").is_none());
        assert!(code_info("999998").unwrap().retryable);
        assert!(is_busy("999997") && !is_busy("0"));
    }
}
