// Per-order scenarios set by the tests, and the per-order counters they act on
// (attempts, for faults; file polls, for the file lag). An order nobody set
// gets the default scenario: success, nested, strings, small JPEG + MP4; in the
// H5 face flow the button clicked decides and the callback is the one its
// device's page describes; getAdvFaceId's optimalDomain is the simulator's host:port.
import { MAX_BYTES, MIN_BYTES } from "./media.mjs";
import { isPlainObject } from "./util.mjs";

export const DEFAULT_SCENARIO = Object.freeze({
  code: "0",
  msg: "请求成功",
  shape: "nested",
  numbers: "strings",
  photoBytes: 16 * 1024,
  videoBytes: 64 * 1024,
  photoFormat: "jpeg",
  filesLagPolls: 0,
  filesOnError: false,
  extraFields: Object.freeze({}),
  topFields: Object.freeze({}),
  faults: Object.freeze([]),
  face: "clicked",
  callback: "standard",
  // The bank card's original image: "originBankcardPhoto" on the current server-result pages
  // (R/接入银行卡OCR/验证结果/服务端验证结果.md@78ae521, R/接入银行卡OCR/验证结果/OCR 验证结果.md@61c3d32:
  // "originBankcardPhoto | Base64 String | 识别原始图片"); "orginBankcardPhoto" on an older bank-card
  // iOS page (the idasc one: "orginBankcardPhoto | Base 64 string | 识别原始图片"). Either, per order.
  bankPhotoField: "originBankcardPhoto",
  // optimalDomain: not set by default (getAdvFaceId then answers the simulator's own host:port).
  // "" answers an empty optimalDomain, null leaves the field out: the start pages say "如果
  // optimalDomain 字段返回为空或者取不到，默认使用域名 miniprogram-kyc.tencentcloudapi.com"
  // (F/H5 接入/启动 H5 人脸核身.md@9aa6dce, F/PC端H5接入/启动 H5 人脸验证.md@3e2f7be).
});
const BANK_PHOTO_FIELDS = ["originBankcardPhoto", "orginBankcardPhoto"];
/** An optimalDomain a scenario may set: a host[:port] (letters, digits, ".", "-", ":"), or "" (empty). */
const DOMAIN = /^[A-Za-z0-9.:-]{0,255}$/;

/** Default msg of the codes the docs name (paraphrased from the official documentation; the real wording may differ). */
export const KNOWN_CODES = {
  0: "请求成功",
  66660011: "无此查询结果",
  66660016: "视频格式或大小不合法",
  66660017: "风险控制，本次验证未通过",
  66660018: "操作超时，faceId 已过期",
  66660020: "无 OCR 识别结果",
  400604: "活体检测未通过，视频非真人",
  66661001: "身份证角度不正确，请重新拍摄",
  66661002: "身份证已过期",
  66661003: "身份证正反面不正确",
  66661004: "身份证图片不清晰，无法识别",
  999999: "系统繁忙，请稍后重试",
  999998: "系统繁忙，请稍后重试",
  999997: "系统繁忙，请稍后重试",
};
const BUSY_CODES = ["999999", "999998", "999997"];
const FAULT_TYPES = ["slow", "slowBody", "status", "html", "truncated", "empty", "reset", "busy"];

/**
 * Validates a scenario (see README "Scenario fields") and fills in defaults.
 * Throws a TypeError naming the first bad field, so a typo in a test fails loudly.
 */
export function normalizeScenario(input = {}) {
  if (!isPlainObject(input)) throw new TypeError("scenario must be an object");
  const s = { ...DEFAULT_SCENARIO };
  for (const [key, v] of Object.entries(input)) {
    if (v === undefined) continue;
    switch (key) {
      case "code":
        if (!(typeof v === "string" && /^\d{1,12}$/.test(v)) && !Number.isSafeInteger(v)) throw new TypeError("code must be a string of digits");
        s.code = String(v);
        break;
      case "msg":
        expect(typeof v === "string", "msg must be a string");
        s.msg = v;
        break;
      case "shape":
        expect(["nested", "flat", "both"].includes(v), 'shape must be "nested", "flat" or "both"');
        s.shape = v;
        break;
      case "numbers":
        expect(["strings", "numbers"].includes(v), 'numbers must be "strings" or "numbers"');
        s.numbers = v;
        break;
      case "photoFormat":
        expect(["jpeg", "png"].includes(v), 'photoFormat must be "jpeg" or "png"');
        s.photoFormat = v;
        break;
      case "photoBytes":
      case "videoBytes":
        expect(Number.isInteger(v) && v >= 0 && v <= MAX_BYTES, `${key} must be an integer from 0 (no file) to ${MAX_BYTES}`);
        s[key] = v;
        break;
      case "filesLagPolls":
        expect(Number.isInteger(v) && v >= 0, "filesLagPolls must be a non-negative integer");
        s.filesLagPolls = v;
        break;
      case "filesOnError":
        expect(typeof v === "boolean", "filesOnError must be a boolean");
        s.filesOnError = v;
        break;
      case "extraFields":
      case "topFields":
        expect(isPlainObject(v), `${key} must be an object`);
        s[key] = structuredClone(v);
        break;
      case "fault":
        s.faults = (Array.isArray(v) ? v : [v]).map(normalizeFault);
        break;
      case "face":
        expect(["clicked", "pass", "fail"].includes(v), 'face must be "clicked", "pass" or "fail"');
        s.face = v;
        break;
      case "callback":
        // "legacy" was code, orderNo, h5faceId, newSignature: the mobile page's own parameters, now the mobile standard.
        expect(v !== "legacy", 'callback "legacy" is gone: the mobile callback now always carries h5faceId and newSignature (its page), the PC one newSign; use "standard", "withLiveRate" or "forged"');
        expect(["standard", "withLiveRate", "forged"].includes(v), 'callback must be "standard", "withLiveRate" or "forged"');
        s.callback = v;
        break;
      case "bankPhotoField":
        expect(BANK_PHOTO_FIELDS.includes(v), `bankPhotoField must be ${BANK_PHOTO_FIELDS.map((f) => JSON.stringify(f)).join(" or ")}`);
        s.bankPhotoField = v;
        break;
      case "optimalDomain":
        expect(v === null || (typeof v === "string" && DOMAIN.test(v)), 'optimalDomain must be null (left out), "" (empty) or a host[:port]');
        s.optimalDomain = v;
        break;
      default:
        throw new TypeError(`unknown scenario field ${JSON.stringify(key)}`);
    }
  }
  if (!("msg" in input) && s.code !== "0") s.msg = KNOWN_CODES[s.code] ?? `业务失败（模拟码 ${s.code}）`;
  const minPhoto = MIN_BYTES[s.photoFormat];
  expect(s.photoBytes === 0 || s.photoBytes >= minPhoto, `photoBytes must be 0 or at least ${minPhoto} for ${s.photoFormat}`);
  expect(s.videoBytes === 0 || s.videoBytes >= MIN_BYTES.mp4, `videoBytes must be 0 or at least ${MIN_BYTES.mp4}`);
  return Object.freeze(s);
}

function normalizeFault(f) {
  expect(isPlainObject(f) && FAULT_TYPES.includes(f.type), `fault.type must be one of ${FAULT_TYPES.join(", ")}`);
  const allowed = { slow: ["delayMs"], slowBody: ["delayMs"], status: ["status"], html: [], truncated: [], empty: [], reset: [], busy: ["code"] }[f.type];
  for (const k of Object.keys(f)) expect(k === "type" || k === "times" || allowed.includes(k), `unknown field ${k} in a ${f.type} fault`);
  const out = { type: f.type, times: f.times ?? Infinity };
  expect(out.times === Infinity || (Number.isInteger(out.times) && out.times >= 0), "fault.times must be a non-negative integer");
  if (f.type === "slow" || f.type === "slowBody") {
    expect(Number.isInteger(f.delayMs) && f.delayMs >= 0 && f.delayMs <= 600_000, `a ${f.type} fault needs delayMs, 0 to 600000`);
    out.delayMs = f.delayMs;
  } else if (f.type === "status") {
    expect(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599, "a status fault needs status, 400 to 599 (e.g. 500, 502, 503)");
    out.status = f.status;
  } else if (f.type === "busy") {
    out.code = String(f.code ?? "999999");
    expect(BUSY_CODES.includes(out.code), `a busy fault's code must be one of ${BUSY_CODES.join(", ")}`);
  }
  return Object.freeze(out);
}

/**
 * The fault for the `attempt`-th (1-based) valid request of an order. Faults
 * apply in list order, each for its `times` attempts (absent: all remaining).
 */
export function faultFor(faults, attempt) {
  let n = attempt;
  for (const f of faults) {
    if (n <= f.times) return f;
    n -= f.times;
  }
  return null;
}

/** Per-order scenarios and counters. */
export class Orders {
  constructor(now = Date.now) {
    this.now = now;
    this.map = new Map();
  }

  /** Sets the scenario of `orderNo` (replacing any earlier one) and zeroes its counters. */
  set(orderNo, scenario) {
    if (typeof orderNo !== "string" || !/^[A-Za-z0-9]{1,32}$/.test(orderNo)) {
      throw new TypeError("orderNo must be 1 to 32 ASCII letters or digits");
    }
    const rec = this.#fresh(normalizeScenario(scenario));
    this.map.set(orderNo, rec);
    return rec.scenario;
  }

  /** The order's record ({ scenario, attempts, filePolls, firstSeen }), created with the default scenario on first sight. */
  get(orderNo) {
    let rec = this.map.get(orderNo);
    if (!rec) this.map.set(orderNo, (rec = this.#fresh(DEFAULT_SCENARIO)));
    return rec;
  }

  reset() {
    this.map.clear();
  }

  #fresh(scenario) {
    return { scenario, attempts: 0, filePolls: 0, firstSeen: this.now() };
  }
}

function expect(ok, message) {
  if (!ok) throw new TypeError(message);
}
