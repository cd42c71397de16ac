// The App SDK's start, simulated: what the native face, liveness and OCR SDKs
// send to the service when the app starts them (the simulator has no SDK, so a
// test plays the app). Two ways in, one logic:
//   sim.sdkStart({ kind, appId, orderNo, userId, nonce, version, sign, faceId })
//   POST /sim/sdk/start (JSON body of the same fields): a simulator-only path,
//     not one of the service's; for tests in other runtimes.
// Both answer { ok: true, orderNo, kind } or { ok: false, code, reason } with the
// simulator's codes, and log the attempt as endpoint "sdkStart".
//
// What the SDKs are given (the checks below, in order):
// - kind: "face" (the face SDK with a faceId: initSdk / initAdvSdk, F/SDK 接入/Android 光线活体人脸比对/接口调用.md,
//   1007/35870, 1007/57621; iOS initSDKWithUserId:…faceId:, F/SDK 接入/IOS动作数字光线活体人脸比对/接口调用.md),
//   "liveness" (the same SDK without a faceId: "faceId … 若为空，则开启仅活体检测模式", that iOS page),
//   "idCardOcr" (WbCloudOcrSDK.init, R/接入身份证OCR/SDK接入/Android SDK接入/调用接口.md) or "bankCardOcr"
//   (R/接入银行卡OCR/SDK接入/Android SDK接入/接口调用.md; iOS WBOCRSDKTypeBankCard, R/接入银行卡OCR/SDK接入/iOS SDK 接入/接口调用.md);
// - appId (openApiAppId, 8), orderNo (agreementNo / orderNo, 32: "不超过32位"), userId (openApiUserId, 30),
//   nonce (openApiNonce, 32), version (openApiAppVersion, 20, "默认填：1.0.0": any version the app gives),
//   sign (openApiSign, 40), faceId (the face SDK only: "由合作方向人脸识别后台拉取获得");
// - sign: "将 wbappId、userId、version 连同 ticket、nonce 共五个参数的值进行字典序排序" with a NONCE ticket,
//   "其有效期为120秒，且一次性有效" (F/SDK 接入/生成 SDK 接口调用步骤使用签名.md = 1007/63359; the OCR SDK
//   生成签名 pages R/接入身份证OCR/SDK接入/生成签名.md and R/接入银行卡OCR/SDK接入/生成签名.md; 1007/75896).
//   F/SDK 接入/生成签名.md shows the same five values with a SIGN ticket, but for the back end's
//   getfaceid call: the SDK's own sign takes a NONCE ticket, as the other five pages say.
//   No orderNo and no faceId in it.
// - kind "face": the faceId from getAdvFaceId for this orderNo and userId, its face check not
//   finished; the other kinds: no faceId (absent or empty).
// A successful start uses the NONCE ticket up. A face start then ends the face check at once (the
// simulator has no face to capture): the order's `face` scenario decides ("clicked" counts as a
// pass), so the result queries answer it as after an H5 face page. The other kinds change
// nothing: the simulator answers getLiveResult, getOcrResult and getBankCardOcrResult for any
// order from its scenario anyway. A refused start spends nothing.
import { timingSafeEqual } from "node:crypto";
import { CODES, readBody, signValues } from "./checks.mjs";
import { FACE_FAIL_CODE } from "./faces.mjs";
import { loggedBody } from "./log.mjs";
import { isPlainObject } from "./util.mjs";

export const SDK_KINDS = Object.freeze(["face", "liveness", "idCardOcr", "bankCardOcr"]);
/** The simulator-only HTTP path of the SDK start. */
export const SDK_START_PATH = "/sim/sdk/start";

/** The fields of an SDK start; faceId is checked by kind. userId: openApiUserId is 30 (and the NONCE ticket's user_id). */
const FIELDS = {
  kind: [null, true],
  appId: ["appId", true],
  orderNo: ["orderNo", true],
  userId: ["nonceUserId", true],
  nonce: ["nonce", true],
  version: ["version", true],
  sign: ["sign", true],
  faceId: [null, false],
};

const refuse = (code, reason) => ({ ok: false, code, reason });

/**
 * Checks and performs an SDK start of `fields` on the simulator `sim`, filling the log entry
 * `entry`. Returns { ok: true, orderNo, kind } or { ok: false, code, reason }.
 */
export function sdkStart(sim, fields, entry) {
  entry.endpoint = "sdkStart";
  // A property set to undefined (a JS caller's) is absent, as JSON would drop it.
  if (isPlainObject(fields)) fields = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  if (typeof fields?.orderNo === "string") entry.orderNo = fields.orderNo;
  if (isPlainObject(fields)) entry.body = loggedBody(fields);
  const result = check(sim, fields, entry);
  entry.verdict = result.ok ? "ok" : result.code;
  if (!result.ok) entry.reason = result.reason;
  return result;
}

function check(sim, fields, entry) {
  const read = readBody(fields, FIELDS);
  if (read.error) return refuse(read.error.code, read.error.reason);
  const { kind, appId, orderNo, userId, nonce, version, sign } = fields;
  const faceId = fields.faceId ?? "";
  if (!SDK_KINDS.includes(kind)) return refuse(CODES.BAD_PARAM, `kind must be one of ${SDK_KINDS.join(", ")}`);
  entry.kind = kind;
  if (kind === "face") {
    const f = readBody(fields.faceId === undefined ? {} : { faceId }, { faceId: ["faceId", true] });
    if (f.error) return refuse(f.error.code, `${f.error.reason} (the face SDK starts with the faceId of getAdvFaceId)`);
  } else if (faceId !== "") {
    return refuse(CODES.BAD_PARAM, `faceId is only for kind "face" (kind "${kind}" starts without one)`);
  }
  if (!sim.creds.app(appId)) return refuse(CODES.UNKNOWN_APP, `appId ${JSON.stringify(appId)} is not known to this service`);
  let face = null;
  if (kind === "face") {
    entry.faceId = faceId;
    face = sim.faces.get(faceId);
    if (!face || face.appId !== appId) return refuse(CODES.BAD_PARAM, "faceId unknown (getAdvFaceId never returned it to this app, or it was before a reset)");
    if (face.orderNo !== orderNo) return refuse(CODES.BAD_PARAM, "faceId was started for another orderNo");
    if (face.userId !== userId) return refuse(CODES.BAD_PARAM, "faceId was started for another userId");
    if (face.finished) return refuse(CODES.BAD_PARAM, "faceId's face check has already finished");
  }

  const given = Buffer.from(sign.toUpperCase());
  const signedWith = (ticket) => timingSafeEqual(Buffer.from(signValues([appId, userId, nonce, version, ticket])), given);
  const ticket = sim.creds.nonceTicketValues(appId).find(signedWith);
  if (ticket === undefined) {
    const names = "appId, userId, nonce, version";
    if (sim.creds.signTicketValues(appId).some(signedWith)) {
      return refuse(CODES.BAD_SIGN, `sign covers ${names} and a SIGN ticket; the SDK needs a NONCE ticket (api_ticket type=NONCE) of the user`);
    }
    return refuse(CODES.BAD_SIGN, `sign does not match ${names} and any NONCE ticket of this app`);
  }
  const use = sim.creds.useNonceTicket(appId, ticket, userId);
  if (!use.ok) return refuse(CODES.BAD_CREDENTIAL, `signed with a NONCE ticket that cannot be used: ${use.detail}`);

  if (face) {
    const forced = sim.orders.get(orderNo).scenario.face;
    const outcome = forced === "fail" ? "fail" : "pass";
    face.device = "app";
    sim.faces.finish(face, outcome, outcome === "pass" ? "0" : FACE_FAIL_CODE);
  }
  return { ok: true, orderNo, kind };
}

/**
 * POST /sim/sdk/start: the JSON body's fields through {@link sdkStart}. Always HTTP 200 with the
 * result as JSON, like the service's business answers; a wrong method, Content-Type or body is a
 * refusal with code 400100.
 * @param {{ buffer: Buffer, tooLarge: boolean } | null} raw the body read by the server (POST only)
 */
export function sdkStartRoute(sim, req, url, entry, raw) {
  entry.endpoint = "sdkStart";
  const refused = (reason) => {
    Object.assign(entry, { verdict: CODES.BAD_PARAM, reason });
    return refuse(CODES.BAD_PARAM, reason);
  };
  if (req.method !== "POST") return refused(`method ${req.method} is not allowed on ${url.pathname}; use POST`);
  if ([...url.searchParams].length > 0) return refused("the SDK start takes no query parameters");
  if (!/^application\/json\s*(;.*)?$/i.test(req.headers["content-type"] ?? "")) return refused("Content-Type must be application/json");
  if (raw.tooLarge) return refused("body too large");
  let fields;
  try {
    fields = JSON.parse(raw.buffer.toString("utf8"));
  } catch {
    return refused("body is not valid JSON");
  }
  return sdkStart(sim, fields, entry);
}
