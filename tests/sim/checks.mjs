// The service's checks on an incoming call, in order: every parameter present,
// well formed and expected (400100), app_id known (400103), the signature
// recomputed from the simulator's own SIGN tickets (400101, or 400104 when it
// was made with a ticket that is no longer valid), the nonce new (400102).
// The H5 pages (web.mjs) reuse the parameter rules.
// Each check returns { call } (the normalized parameters) or { error: { code, reason } }.
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
  appId: [/^[\x21-\x7e]{1,64}$/, "printable ASCII, no spaces"],
  orderNo: [/^[A-Za-z0-9]{1,32}$/, "1 to 32 ASCII letters or digits"],
  nonce: [/^[A-Za-z0-9]{32}$/, "exactly 32 ASCII letters or digits"],
  version: [/^[\x21-\x7e]{1,20}$/, "1 to 20 printable ASCII characters, no spaces"],
  sign: [/^[0-9A-Fa-f]{40}$/, "40 hexadecimal characters"],
  userId: [/^[A-Za-z0-9_-]{1,32}$/, "1 to 32 letters, digits, '_' or '-'"],
  nonceUserId: [/^[A-Za-z0-9_-]{1,30}$/, "1 to 30 letters, digits, '_' or '-'"],
  idNo: [/^(\d{15}|\d{17}[\dXx])$/, "15 digits, or 17 digits and a final digit or X"],
  name: [/^[^\p{Cc}]{1,64}$/u, "1 to 64 characters, no control characters"],
  exactVersion: [/^1\.0\.0$/, '"1.0.0"'],
  faceId: [/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 letters, digits, '_' or '-'"],
  session: [/^[A-Za-z0-9]{32}$/, "exactly 32 ASCII letters or digits"],
  free: [/^[\x20-\x7e]{0,64}$/, "at most 64 printable ASCII characters"],
};

const fail = (code, reason) => ({ error: { code, reason } });
const bad = (reason) => fail(CODES.BAD_PARAM, reason);

/**
 * Reads the query string against `spec` ({ name: [rule, required] }): rejects
 * repeated, unknown, missing or empty-required and malformed parameters.
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
  for (const [name, [rule, required]] of Object.entries(spec)) {
    const v = values[name];
    if (v === undefined || (v === "" && required)) {
      if (required) return bad(`${what} ${name} is ${v === undefined ? "missing" : "empty"}`);
      continue;
    }
    if (rule && !RULES[rule][0].test(v)) return bad(`${what} ${name} must be ${RULES[rule][1]}`);
  }
  return { call: values };
}

/** The query of the GET result queries (sync, getLiveResult, getOcrResult, getBankCardOcrResult). */
export const RESULT_QUERY = {
  app_id: ["appId", true],
  order_no: ["orderNo", true],
  nonce: ["nonce", true],
  version: ["version", true],
  sign: ["sign", true],
  get_file: ["free", false],
};

/** The JSON body of POST /api/paas/idcardocrapp. */
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

/** The JSON body of POST /api/v2/base/queryfacerecord. */
export const QUERY_FACE_RECORD_BODY = {
  appId: ["appId", true],
  version: ["version", true],
  nonce: ["nonce", true],
  orderNo: ["orderNo", true],
  sign: ["sign", true],
  getFile: ["free", false],
  queryVersion: ["free", false],
};

/** The JSON body of POST /api/server/getAdvFaceId (the H5 face flow's start). */
export const ADV_FACE_ID_BODY = {
  appId: ["appId", true],
  orderNo: ["orderNo", true],
  name: ["name", true],
  idNo: ["idNo", true],
  userId: ["userId", true],
  version: ["exactVersion", true],
  nonce: ["nonce", true],
  sign: ["sign", true],
  sourcePhotoStr: [null, false],
  sourcePhotoType: [null, false],
};

/** Largest decoded sourcePhotoStr accepted: 500 KB (500 × 1024 bytes). */
export const SOURCE_PHOTO_MAX_BYTES = 500 * 1024;

/** For the POST endpoints: the Content-Type is JSON and the query holds exactly orderNo. */
export function checkPostEnvelope(headers, searchParams) {
  const type = headers["content-type"] ?? "";
  if (!/^application\/json\s*(;.*)?$/i.test(type)) {
    return bad(`Content-Type must be application/json; got ${JSON.stringify(type)}`);
  }
  return readQuery(searchParams, { orderNo: ["orderNo", true] });
}

/** Checks idcardStr and cardType of an ID card OCR upload; returns the image format or an error. */
export function checkIdCardImage(body) {
  if (body.cardType !== "0" && body.cardType !== "1") return bad('cardType must be "0" (portrait side) or "1" (emblem side)');
  const s = body.idcardStr;
  if (s.length > IDCARD_STR_MAX) return bad(`idcardStr must be at most ${IDCARD_STR_MAX} characters; got ${s.length}`);
  return checkImage("idcardStr", s);
}

/**
 * Checks the optional comparison photo of getAdvFaceId: sourcePhotoStr (an image
 * of at most 500 KB once decoded) and sourcePhotoType ("1" watermarked, "2" high
 * definition), which go together. Returns { format } (null without a photo) or an error.
 */
export function checkSourcePhoto(body) {
  const s = body.sourcePhotoStr ?? "";
  const type = body.sourcePhotoType ?? "";
  if (s === "") return type === "" ? { format: null } : bad("sourcePhotoType is only for a sourcePhotoStr");
  if (type !== "1" && type !== "2") return bad('sourcePhotoType must be "1" (watermarked photo) or "2" (high-definition photo) with a sourcePhotoStr');
  const img = checkImage("sourcePhotoStr", s);
  if (img.error) return img;
  const bytes = (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
  if (bytes > SOURCE_PHOTO_MAX_BYTES) return bad(`sourcePhotoStr must decode to at most ${SOURCE_PHOTO_MAX_BYTES} bytes (500 KB); got ${bytes}`);
  return img;
}

/** A base64 field holding a JPEG or PNG image: { format } or an error. */
function checkImage(field, s) {
  if (/^data:/i.test(s)) return bad(`${field} must be plain base64, without a "data:" prefix`);
  if (/[\r\n]/.test(s)) return bad(`${field} must not contain line breaks`);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    return bad(`${field} must be standard base64 (A-Z a-z 0-9 + /, padded with =)`);
  }
  const head = Buffer.from(s.slice(0, 12), "base64");
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { format: "jpeg" };
  if (head.subarray(0, 8).equals(PNG_MAGIC)) return { format: "png" };
  return bad(`${field} must be a JPEG or PNG image (its bytes must start with FF D8 FF or the PNG signature)`);
}
const PNG_MAGIC = Buffer.from("89504e470d0a1a0a", "hex");

/** SHA-1 over the values sorted by code point (UTF-8 byte order is code-point order), uppercase hex. */
export function signValues(values) {
  const sorted = values.map((v) => Buffer.from(String(v), "utf8")).sort(Buffer.compare);
  return createHash("sha1").update(Buffer.concat(sorted)).digest("hex").toUpperCase();
}

/** What a SIGN-type signature covers: the values (given the ticket) and their names, for the reason. */
export const SIGNED = {
  /** The result queries, idcardocrapp, queryfacerecord. */
  query: { values: (c, ticket) => [c.appId, c.orderNo, c.version, ticket, c.nonce], names: "app_id, order_no, version, nonce" },
  /** getAdvFaceId: userId instead of orderNo. */
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

/** GET /api/oauth2/access_token: parameters, app, secret. */
export function checkAccessToken(creds, searchParams) {
  const q = readQuery(searchParams, {
    app_id: ["appId", true], secret: [null, true], grant_type: [null, true], version: [null, true],
  });
  if (q.error) return q;
  const { app_id: appId, secret, grant_type: grant, version } = q.call;
  if (grant !== "client_credential") return bad('grant_type must be "client_credential"');
  if (version !== "1.0.0") return bad('version must be "1.0.0"');
  if (!creds.app(appId)) return fail(CODES.UNKNOWN_APP, `app_id ${JSON.stringify(appId)} is not known to this service`);
  const problem = creds.secretProblem(appId, secret);
  if (problem) return fail(CODES.BAD_CREDENTIAL, problem);
  return { call: { appId } };
}

/** GET /api/oauth2/api_ticket: parameters, app, access token (alive; `call.token` is its record). */
export function checkApiTicket(creds, searchParams) {
  const q = readQuery(searchParams, {
    app_id: ["appId", true], access_token: [null, true], type: [null, true], version: [null, true], user_id: ["nonceUserId", false],
  });
  if (q.error) return q;
  const { app_id: appId, access_token: token, type, version, user_id: userId } = q.call;
  if (type !== "SIGN" && type !== "NONCE") return bad('type must be "SIGN" or "NONCE"');
  if (type === "NONCE" && userId === undefined) return bad("query parameter user_id is missing (required for a NONCE ticket)");
  if (type === "SIGN" && userId !== undefined) return bad("query parameter user_id is only for type=NONCE");
  if (version !== "1.0.0") return bad('version must be "1.0.0"');
  if (!creds.app(appId)) return fail(CODES.UNKNOWN_APP, `app_id ${JSON.stringify(appId)} is not known to this service`);
  const found = creds.findToken(appId, token);
  if (found.problem) return fail(CODES.BAD_CREDENTIAL, found.problem);
  return { call: { appId, type, token: found.token, userId } };
}
