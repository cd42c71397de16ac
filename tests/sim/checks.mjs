// The service's checks on an incoming call, in order: every parameter present,
// well formed and expected (400100), app_id known (400103), the signature
// recomputed from the simulator's own SIGN tickets (400101, or 400104 when it
// was made with a ticket that is no longer valid), the nonce new (400102).
// The H5 pages (web.mjs) and the SDK start (sdk.mjs) reuse the parameter rules.
// Each check returns { call } (the normalized parameters) or { error: { code, reason } }.
//
// Sources. Every rule below names the official page it follows (README "Rules
// and their sources" has them all in one table). Live pages are
// https://cloud.tencent.com/document/product/1007/<id>, cited "1007/<id>".
// Older pages are files of the GitHub repository tencentyun/qcloud-documents,
// cited by path with these abbreviations:
//   R/ = product/大数据与AI/人脸核身（云智慧眼）/接入文档/App SDK 接入/
//   F/ = R/接入人脸核身/
// "[cross-check]" marks a third-party repository that copied a page we could
// not retrieve; it is never the only reason for a refusal where a page speaks.
import { createHash, timingSafeEqual } from "node:crypto";

/** The simulator's own business error codes (the public docs do not list the real ones). */
export const CODES = {
  BAD_PARAM: "400100",
  BAD_SIGN: "400101",
  NONCE_REUSED: "400102",
  UNKNOWN_APP: "400103",
  BAD_CREDENTIAL: "400104",
};
export const CODE_MSG = {
  400100: "参数错误",
  400101: "签名校验失败",
  400102: "nonce 已使用",
  400103: "app_id 不存在",
  400104: "ticket 或 access_token 无效或已过期",
};

/** Longest idcardStr accepted (the official 20 MB: 20971520 characters of base64). */
export const IDCARD_STR_MAX = 20971520;

const RULES = {
  // Pages give wbappid / appId a length of 8 (F/H5 接入/合作方后台上送身份信息.md, 1007/57613);
  // the simulator takes 1 to 64 printable characters so that test app IDs can say what they are.
  appId: [/^[\x21-\x7e]{1,64}$/, "printable ASCII, no spaces"],
  // "订单号，字母/数字组成的字符串 … 不能超过32位" (F/H5 接入/合作方后台上送身份信息.md,
  // F/H5 接入/启动 H5 人脸核身.md, F/SDK 接入/生成签名.md; R/接入身份证OCR/API接入/身份证识别 API.md: 32).
  orderNo: [/^[A-Za-z0-9]{1,32}$/, "1 to 32 ASCII letters or digits"],
  // "32位随机串（字母+数字组成的随机数）" (F/H5 接入/启动 H5 人脸核身.md; 身份证识别 API.md: nonce 32).
  nonce: [/^[A-Za-z0-9]{32}$/, "exactly 32 ASCII letters or digits"],
  // "version … String 20", default 1.0.0 (every request table).
  version: [/^[\x21-\x7e]{1,20}$/, "1 to 20 printable ASCII characters, no spaces"],
  // sign: String 40; the SHA-1 in hex, "不区分大小写" (F/验证结果/前端获取结果验证签名.md and every signing page).
  sign: [/^[0-9A-Fa-f]{40}$/, "40 hexadecimal characters"],
  // userId: "用户的唯一标识（不能带有特殊字符）… 不能超过32位" (F/H5 接入/合作方后台上送身份信息.md),
  // "32位以内，不包含特殊字符" (F/SDK 接入/生成签名.md), "不要带有特殊字符" 32 (身份证识别 API.md):
  // letters and digits only, at most 32 (idcardocrapp).
  userId: [/^[A-Za-z0-9]{1,32}$/, "1 to 32 ASCII letters or digits (no special characters)"],
  // Where a NONCE ticket is involved (api_ticket type=NONCE, getAdvFaceId, the login pages, the SDK start):
  // the NONCE ticket page gives user_id a length of 30 ("不要带有特殊字符"; 1007/37306), and so does
  // the SDK's openApiUserId (F/SDK 接入/Android 光线活体人脸比对/接口调用.md, 1007/35870;
  // R/接入身份证OCR/SDK接入/Android SDK接入/调用接口.md).
  nonceUserId: [/^[A-Za-z0-9]{1,30}$/, "1 to 30 ASCII letters or digits (no special characters)"],
  // No page gives a format for idNo or name (证件号码, 姓名); the simulator's own checks.
  idNo: [/^(\d{15}|\d{17}[\dXx])$/, "15 digits, or 17 digits and a final digit or X"],
  name: [/^[^\p{Cc}]{1,64}$/u, "1 to 64 characters, no control characters"],
  // "默认参数值为：1.0.0" (F/H5 接入/合作方后台上送身份信息.md); the simulator insists on it where noted.
  exactVersion: [/^1\.0\.0$/, '"1.0.0"'],
  // faceId / h5faceId: String 32 on the login pages; the simulator's faceIds are 32, anything it did not issue is unknown.
  faceId: [/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 letters, digits, '_' or '-'"],
  session: [/^[A-Za-z0-9]{32}$/, "exactly 32 ASCII letters or digits"],
  free: [/^[\x20-\x7e]{0,64}$/, "at most 64 printable ASCII characters"],
};

const fail = (code, reason) => ({ error: { code, reason } });
const bad = (reason) => fail(CODES.BAD_PARAM, reason);

/**
 * Reads the query string against `spec` ({ name: [rule, required, emptyIsAbsent?] }): rejects
 * repeated, unknown, missing or empty-required and malformed parameters. An optional
 * parameter marked `emptyIsAbsent` may be empty (it is then not checked against its rule).
 */
export function readQuery(searchParams, spec) {
  const out = {};
  for (const [name, value] of searchParams) {
    if (!(name in spec)) return bad(`unexpected query parameter ${JSON.stringify(name)}`);
    if (name in out) return bad(`query parameter ${name} appears more than once`);
    out[name] = value;
  }
  return checkFields(out, spec, "query parameter");
}

/** Checks a parsed JSON body against `spec`: a plain object of string fields, no others. */
export function readBody(body, spec) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return bad("body must be a JSON object");
  for (const [name, value] of Object.entries(body)) {
    if (!(name in spec)) return bad(`unexpected body field ${JSON.stringify(name)}`);
    if (typeof value !== "string") return bad(`body field ${name} must be a string; got ${value === null ? "null" : typeof value}`);
  }
  return checkFields(body, spec, "body field");
}

function checkFields(values, spec, what) {
  for (const [name, [rule, required, emptyIsAbsent]] of Object.entries(spec)) {
    const v = values[name];
    if (v === undefined || (v === "" && (required || emptyIsAbsent))) {
      if (required) return bad(`${what} ${name} is ${v === undefined ? "missing" : "empty"}`);
      continue;
    }
    if (rule && !RULES[rule][0].test(v)) return bad(`${what} ${name} must be ${RULES[rule][1]}`);
  }
  return { call: values };
}

/**
 * Where pages disagree on a parameter's name: exactly one of `names` (the
 * current name first) must be present in `values` (the spec has each as
 * optional). Returns { value, name } or an error.
 */
export function oneOf(values, names, what = "query parameter") {
  const given = names.filter((n) => values[n] !== undefined);
  if (given.length === 0) return bad(`${what} ${names[0]} is missing (or its other name ${names.slice(1).join(" / ")})`);
  if (given.length > 1) return bad(`give ${what} ${names.join(" or ")}, not both`);
  return { value: values[given[0]], name: given[0] };
}

/**
 * The query of the GET result queries (sync, getLiveResult, getOcrResult, getBankCardOcrResult):
 * app_id, order_no, nonce, version, sign, get_file, snake_case. sync: F/验证结果/服务端验证结果.md;
 * getOcrResult: R/接入身份证OCR/验证结果/服务端验证结果.md; getBankCardOcrResult:
 * R/接入银行卡OCR/验证结果/OCR 验证结果.md (its 服务端验证结果.md example wrongly shows getOcrResult).
 * getLiveResult: no page was found; the simulator treats it like sync.
 * get_file is optional: "如果不上送参数或者参数为空，默认不返回视频和照片信息" (服务端验证结果.md).
 */
export const RESULT_QUERY = {
  app_id: ["appId", true],
  order_no: ["orderNo", true],
  nonce: ["nonce", true],
  version: ["version", true],
  sign: ["sign", true],
  get_file: ["free", false],
};

/**
 * The JSON body of POST /api/paas/idcardocrapp?orderNo=… (R/接入身份证OCR/API接入/身份证识别 API.md):
 * webankAppId, version, nonce, sign, orderNo, userId (否, 32, "不要带有特殊字符"), cardType
 * ("0：人像面 1：国徽面"), idcardStr ("大小不超过20MB", String 20971520).
 */
export const IDCARD_OCR_BODY = {
  webankAppId: ["appId", true],
  version: ["version", true],
  nonce: ["nonce", true],
  sign: ["sign", true],
  orderNo: ["orderNo", true],
  userId: ["userId", false],
  cardType: [null, true],
  idcardStr: [null, true],
};

/**
 * The JSON body of POST /api/v2/base/queryfacerecord?orderNo=… : appId, version, nonce,
 * orderNo, sign, getFile (camelCase; its 注意事项 still says get_file, the table says getFile),
 * queryVersion (F/验证结果/查询核身结果.md). The `?orderNo=` in the URL is the live page's
 * (1007/114181: "该请求 url 后面请拼接 orderNo"); the repo page has none, the simulator requires it.
 */
export const QUERY_FACE_RECORD_BODY = {
  appId: ["appId", true],
  version: ["version", true],
  nonce: ["nonce", true],
  orderNo: ["orderNo", true],
  sign: ["sign", true],
  getFile: ["free", false],
  queryVersion: ["free", false],
};

/**
 * The JSON body of POST /api/server/getAdvFaceId?orderNo=… (the H5 face flow's start).
 * No official getAdvFaceId page could be retrieved; the names are those of the kyc1 era
 * ([cross-check] gf-admin-community internal/logic/sdk_tencent/faccid_auth.go: appId,
 * orderNo, name, idNo, userId, version, sign, nonce), the rules those of its predecessor
 * geth5faceid (F/H5 接入/合作方后台上送身份信息.md@d397354, F/PC端H5接入/合作方后台上送身份信息.md):
 * - name, idNo: "使用权威源比对时：姓名+证件号 必须输入 / 使用自带源比对时：姓名+证件号 可不输入":
 *   required without sourcePhotoStr, optional with it (checkAdvFaceIdFields);
 * - userId: at most 30 letters or digits here (the page says 32, but the login that follows
 *   needs a NONCE ticket of this user, whose user_id is at most 30: 1007/37306);
 * - sourcePhotoStr, sourcePhotoType: see checkSourcePhoto;
 * - liveInterType: [cross-check] guihouchang/tencentcloud-h5faceid dto.go (copied from the
 *   getAdvFaceId page): "参数值为 1 时，表示仅使用实时检测模式，不兼容的情况下回调错误码 3005；
 *   参数值非 1 或不入参，表示优先使用实时检测模式，如遇不兼容情况，自动降级为视频录制模式";
 *   3005 "该浏览器不支持实时检测模式" is on 1007/114178. Any value is accepted; only "1" matters.
 */
export const ADV_FACE_ID_BODY = {
  appId: ["appId", true],
  orderNo: ["orderNo", true],
  name: ["name", false, true],
  idNo: ["idNo", false, true],
  userId: ["nonceUserId", true],
  version: ["exactVersion", true],
  nonce: ["nonce", true],
  sign: ["sign", true],
  sourcePhotoStr: [null, false],
  sourcePhotoType: [null, false],
  liveInterType: ["free", false, true],
};

/**
 * Largest decoded sourcePhotoStr accepted: 500 KB (500 × 1024 bytes). "原始图片不能超过500KB"
 * (F/H5 接入/合作方后台上送身份信息.md; "500k" on the PC copy and F/SDK 接入/生成签名.md).
 * The base64 text itself: String 1048576 on the same pages; 500 KB encode to 682 668 characters, so
 * the decoded limit always bites first.
 */
export const SOURCE_PHOTO_MAX_BYTES = 500 * 1024;

/**
 * For the POST endpoints: the Content-Type is JSON ("报文格式：Content-Type: application/json",
 * 身份证识别 API.md and the geth5faceid pages) and the query holds exactly orderNo
 * ("为方便查询耗时，该请求 url 后面请拼接 orderNo 订单号参数": 身份证识别 API.md, geth5faceid, 1007/114181).
 */
export function checkPostEnvelope(headers, searchParams) {
  const type = headers["content-type"] ?? "";
  if (!/^application\/json\s*(;.*)?$/i.test(type)) {
    return bad(`Content-Type must be application/json; got ${JSON.stringify(type)}`);
  }
  return readQuery(searchParams, { orderNo: ["orderNo", true] });
}

/**
 * Checks idcardStr and cardType of an ID card OCR upload; returns the image format or an error.
 * cardType "0" / "1" and at most 20971520 characters: 身份证识别 API.md. That page names no image
 * format; the simulator accepts JPEG and PNG (its own choice).
 */
export function checkIdCardImage(body) {
  if (body.cardType !== "0" && body.cardType !== "1") return bad('cardType must be "0" (portrait side) or "1" (emblem side)');
  const s = body.idcardStr;
  if (s.length > IDCARD_STR_MAX) return bad(`idcardStr must be at most ${IDCARD_STR_MAX} characters; got ${s.length}`);
  return checkImage("idcardStr", s, ["jpeg", "png"]);
}

/**
 * getAdvFaceId's identity rule: name and idNo are required unless a comparison photo is given
 * ("使用自带源比对时：姓名+证件号 可不输入", F/H5 接入/合作方后台上送身份信息.md@d397354; the older
 * version @039605f marked both 是 — the simulator follows the newer). An empty string counts as absent.
 */
export function checkAdvFaceIdFields(body) {
  const photo = (body.sourcePhotoStr ?? "") !== "";
  for (const name of ["name", "idNo"]) {
    if ((body[name] ?? "") === "" && !photo) {
      return bad(`body field ${name} is ${body[name] === undefined ? "missing" : "empty"} (name and idNo may be left out only with a sourcePhotoStr)`);
    }
  }
  return { call: null };
}

/**
 * Checks the optional comparison photo of getAdvFaceId: sourcePhotoStr and sourcePhotoType,
 * which go together. Returns { format } (null without a photo) or an error.
 * F/H5 接入/合作方后台上送身份信息.md@d397354 (and its PC copy, F/SDK 接入/生成签名.md):
 * - "原始图片不能超过500KB，且必须为 JPG 或 PNG、BMP 格式" (the older @039605f: JPG or PNG only;
 *   the simulator accepts BMP too, as the newer pages do);
 * - "请使用标准的图片转base64方法，base64编码不可包含换行符，不需要加前缀": plain standard base64;
 * - sourcePhotoType "如合作方上送比对源则必传": "1" 水纹正脸照 (watermarked), "2" 高清正脸照 (high definition).
 */
export function checkSourcePhoto(body) {
  const s = body.sourcePhotoStr ?? "";
  const type = body.sourcePhotoType ?? "";
  if (s === "") return type === "" ? { format: null } : bad("sourcePhotoType is only for a sourcePhotoStr");
  if (type !== "1" && type !== "2") return bad('sourcePhotoType must be "1" (watermarked photo) or "2" (high-definition photo) with a sourcePhotoStr');
  const img = checkImage("sourcePhotoStr", s, ["jpeg", "png", "bmp"]);
  if (img.error) return img;
  const bytes = (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
  if (bytes > SOURCE_PHOTO_MAX_BYTES) return bad(`sourcePhotoStr must decode to at most ${SOURCE_PHOTO_MAX_BYTES} bytes (500 KB); got ${bytes}`);
  return img;
}

/** Image formats by their first bytes. */
const MAGIC = {
  jpeg: [(h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff, "FF D8 FF"],
  png: [(h) => h.subarray(0, 8).equals(Buffer.from("89504e470d0a1a0a", "hex")), "the PNG signature"],
  bmp: [(h) => h[0] === 0x42 && h[1] === 0x4d, '"BM"'],
};

/** A base64 field holding an image of one of `formats` ("jpeg", "png", "bmp"): { format } or an error. */
function checkImage(field, s, formats) {
  if (/^data:/i.test(s)) return bad(`${field} must be plain base64, without a "data:" prefix`);
  if (/[\r\n]/.test(s)) return bad(`${field} must not contain line breaks`);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    return bad(`${field} must be standard base64 (A-Z a-z 0-9 + /, padded with =)`);
  }
  const head = Buffer.from(s.slice(0, 12), "base64");
  const format = formats.find((f) => MAGIC[f][0](head));
  if (format) return { format };
  const list = (items) => items.join(", ").replace(/, (?=[^,]*$)/, " or ");
  return bad(`${field} must be a ${list(formats.map((f) => f.toUpperCase()))} image (its bytes must start with ${list(formats.map((f) => MAGIC[f][1]))})`);
}

/** SHA-1 over the values sorted by code point (UTF-8 byte order is code-point order), uppercase hex. */
export function signValues(values) {
  const sorted = values.map((v) => Buffer.from(String(v), "utf8")).sort(Buffer.compare);
  return createHash("sha1").update(Buffer.concat(sorted)).digest("hex").toUpperCase();
}

/**
 * What a SIGN-type signature covers: the values (given the ticket) and their names, for the reason.
 * The algorithm everywhere: the values sorted ("字典序排序"), concatenated, SHA-1, 40 hex digits,
 * compared case-insensitively (F/验证结果/前端获取结果验证签名.md, 1007/37307 签名算法说明).
 */
export const SIGNED = {
  /**
   * The result queries, idcardocrapp, queryfacerecord: "将 wbappid、order_no、version、api ticket、
   * nonceStr 共5个参数的值进行字典序排序" with a SIGN ticket (F/验证结果/服务端验证结果.md,
   * F/验证结果/查询核身结果.md, 1007/114181; idcardocrapp: R/接入身份证OCR/API接入/合作方生成签名.md = 1007/35920).
   */
  query: { values: (c, ticket) => [c.appId, c.orderNo, c.version, ticket, c.nonce], names: "app_id, order_no, version, nonce" },
  /**
   * getAdvFaceId: userId instead of orderNo, with a SIGN ticket. [cross-check] gf-admin-community:
   * "将 nonce、userId、appId 连同 ticket、version 共五个参数的值进行字典序排序". Its predecessor geth5faceid
   * signed 7 values (wbappid, orderNo, name, idNo, userId, version, SIGN ticket: F/H5 接入/合作方后台上送身份信息.md);
   * the simulator accepts only the 5-value getAdvFaceId signature.
   */
  advFaceId: { values: (c, ticket) => [c.appId, c.userId, c.version, c.nonce, ticket], names: "appId, userId, version, nonce" },
};

/**
 * app_id known, signature over the values of `signed` (by default appId,
 * orderNo, version, a SIGN ticket and nonce; case-insensitive), nonce new. Any
 * SIGN ticket still alive will do (old and new during the 60 s after a
 * replacement); a signature made with a dead one is 400104 with the reason, one
 * matching no ticket ever issued 400101. Records the nonce when all pass.
 */
export function authenticate(creds, call, signed = SIGNED.query) {
  const { appId, nonce, sign } = call;
  if (!creds.app(appId)) return fail(CODES.UNKNOWN_APP, `app_id ${JSON.stringify(appId)} is not known to this service`);
  const given = Buffer.from(sign.toUpperCase());
  const matches = (ticket) => timingSafeEqual(Buffer.from(signValues(signed.values(call, ticket))), given);
  const found = creds.findSignTicket(appId, matches);
  if (!found) return fail(CODES.BAD_SIGN, `sign does not match ${signed.names} and any SIGN ticket of this app`);
  if (!found.ok) return fail(CODES.BAD_CREDENTIAL, `signed with a SIGN ticket that is no longer valid: ${found.detail}`);
  if (!creds.useNonce(appId, nonce)) return fail(CODES.NONCE_REUSED, "nonce was already used by an earlier request of this app");
  return { call: null };
}

// The app's ID on the OAuth endpoints: `app_id` on the access-token pages (1007/37304, 1007/57603,
// the repo Access Token page) and the NONCE ticket page (1007/37306), but `appId` on the current
// kyc1 SIGN ticket page (1007/57613: "api_ticket?appId=xxx&access_token=xxx&type=SIGN&version=1.0.0").
// Both endpoints accept either name, exactly one of them.
const APP_ID_NAMES = ["app_id", "appId"];

/**
 * GET /api/oauth2/access_token: parameters, app, secret. app_id (or appId), secret,
 * grant_type "client_credential" ("必须小写"), version "1.0.0" (1007/37304, 1007/57603).
 */
export function checkAccessToken(creds, searchParams) {
  const q = readQuery(searchParams, {
    app_id: ["appId", false], appId: ["appId", false], secret: [null, true], grant_type: [null, true], version: [null, true],
  });
  if (q.error) return q;
  const id = oneOf(q.call, APP_ID_NAMES);
  if (id.error) return id;
  const { secret, grant_type: grant, version } = q.call;
  const appId = id.value;
  if (grant !== "client_credential") return bad('grant_type must be "client_credential"');
  if (version !== "1.0.0") return bad('version must be "1.0.0"');
  if (!creds.app(appId)) return fail(CODES.UNKNOWN_APP, `app_id ${JSON.stringify(appId)} is not known to this service`);
  const problem = creds.secretProblem(appId, secret);
  if (problem) return fail(CODES.BAD_CREDENTIAL, problem);
  return { call: { appId } };
}

/**
 * GET /api/oauth2/api_ticket: parameters, app, access token (alive; `call.token` is its record).
 * app_id (or appId), access_token, type "SIGN" (1007/57613, 1007/37305) or "NONCE" with user_id
 * (1007/37306: "type=NONCE&version=1.0.0&user_id=xxx", user_id 30, "不要带有特殊字符"; type "必须大写"),
 * version "1.0.0". Every page spells it user_id (snake_case), also the kyc1 ones.
 */
export function checkApiTicket(creds, searchParams) {
  const q = readQuery(searchParams, {
    app_id: ["appId", false], appId: ["appId", false], access_token: [null, true], type: [null, true], version: [null, true],
    user_id: ["nonceUserId", false],
  });
  if (q.error) return q;
  const id = oneOf(q.call, APP_ID_NAMES);
  if (id.error) return id;
  const { access_token: token, type, version, user_id: userId } = q.call;
  const appId = id.value;
  if (type !== "SIGN" && type !== "NONCE") return bad('type must be "SIGN" or "NONCE"');
  if (type === "NONCE" && userId === undefined) return bad("query parameter user_id is missing (required for a NONCE ticket)");
  if (type === "SIGN" && userId !== undefined) return bad("query parameter user_id is only for type=NONCE");
  if (version !== "1.0.0") return bad('version must be "1.0.0"');
  if (!creds.app(appId)) return fail(CODES.UNKNOWN_APP, `app_id ${JSON.stringify(appId)} is not known to this service`);
  const found = creds.findToken(appId, token);
  if (found.problem) return fail(CODES.BAD_CREDENTIAL, found.problem);
  return { call: { appId, type, token: found.token, userId } };
}
