// Response bodies of the business endpoints: the envelope (docs/protocol.md#the-envelope),
// the payload of each endpoint (as its official page shows it), the media the request asked for,
// and the scenario's shape / numbers / extra fields;
// getAdvFaceId's answer, and the face result of an order started through the H5 face flow.
import { captureLead, bankCard, ocrExtras, person } from "./data.mjs";
import { FACE_FAIL_CODE, NO_RESULT_CODE } from "./faces.mjs";
import { mediaBase64 } from "./media.mjs";
import { KNOWN_CODES } from "./scenarios.mjs";
import { assignOwn, bizSeqNo, formatTime, Raw } from "./util.mjs";
import { createHash } from "node:crypto";

/** Payload fields that the "numbers" scenario sends as JSON numbers. */
const NUMERIC = ["liveRate", "similarity", "clarity", "retry"];

/**
 * The business endpoints: which files a get_file value asks for, the payload
 * builder, and the top-level extras beside the envelope.
 */
export const ENDPOINTS = {
  sync: { files: faceFiles, payload: facePayload, extras: (c) => ({ app_id: c.appId, order_no: c.orderNo }), face: true },
  getLiveResult: { files: faceFiles, payload: livePayload, extras: (c) => ({ app_id: c.appId }), face: true },
  getOcrResult: { files: ocrFiles(["frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"]), payload: idOcrPayload },
  // The original image's name follows the scenario's bankPhotoField (see media()).
  getBankCardOcrResult: { files: ocrFiles(["bankcardCropPhoto", "bankcardNoPhoto", "originBankcardPhoto"]), payload: bankOcrPayload },
  idcardocrapp: { files: () => [], payload: idUploadPayload },
  queryfacerecord: { files: faceFiles, payload: facePayload, face: true },
};

// get_file: sync "值为1：返回视频和照片 · 值为2：返回照片 · 值为3：返回视频 · 其他：不返回"
// (F/验证结果/服务端验证结果.md), queryfacerecord's getFile the same (F/验证结果/查询核身结果.md);
// getOcrResult "值为1则返回文件", getBankCardOcrResult "值为1：返回文件" (their 服务端验证结果.md).
function faceFiles(getFile) {
  return { 1: ["photo", "video"], 2: ["photo"], 3: ["video"] }[getFile] ?? [];
}
function ocrFiles(fields) {
  return (getFile) => (getFile === "1" ? fields : []);
}

/**
 * The body for a valid `call` of `endpoint` on the order record `order`
 * (whose file-poll counter this advances when files are asked for).
 * `h5`: for an order started through getAdvFaceId, `faces.resultFor(orderNo)`
 * ({ face }: the newest finished face check, or null before any finished);
 * the face endpoints then answer its verdict and identity.
 * @param {{ appId, orderNo, getFile?, cardType? }} call
 */
export function resultBody(endpoint, call, order, now, h5 = null) {
  const ep = ENDPOINTS[endpoint];
  const face = ep.face && h5 ? h5.face : undefined; // undefined: not an H5 order (or not a face endpoint)
  const s = face === undefined ? order.scenario : h5Scenario(order.scenario, face);
  const seq = bizSeqNo(now);
  const time = formatTime(now);
  const base = { bizSeqNo: seq, transactionTime: time, orderNo: call.orderNo };
  let payload;
  if (s.code === "0") payload = { ...base, ...ep.payload(call, order, face), success: false };
  else payload = { ...base, success: false };

  const wanted = ep.files(call.getFile);
  if (wanted.length > 0 && (s.code === "0" || s.filesOnError)) {
    order.filePolls++;
    if (order.filePolls > s.filesLagPolls) Object.assign(payload, media(wanted, s));
  }
  assignOwn(payload, s.extraFields);
  if (s.numbers === "numbers") {
    for (const k of NUMERIC) {
      if (typeof payload[k] === "string" && /^-?\d+(\.\d+)?$/.test(payload[k])) payload[k] = Raw.number(payload[k]);
    }
  }
  const body = envelope({ code: s.code, msg: s.msg, bizSeqNo: seq, transactionTime: time }, payload, s.shape, ep.extras?.(call));
  return assignOwn(body, s.topFields);
}

/**
 * The scenario of an H5 order's face result: before any face check finished,
 * "no result"; after a failed one, FACE_FAIL_CODE; after a passed one, the
 * order's own code (default "0").
 */
function h5Scenario(scenario, face) {
  if (face === null) return { ...scenario, code: NO_RESULT_CODE, msg: KNOWN_CODES[NO_RESULT_CODE] };
  if (face.outcome === "fail") return { ...scenario, code: FACE_FAIL_CODE, msg: KNOWN_CODES[FACE_FAIL_CODE] };
  return scenario;
}

/**
 * getAdvFaceId's answer for the started face check `face`: the envelope with
 * faceId and optimalDomain (`hostPort`, this simulator's host:port, unless the
 * order's scenario sets it: "" empty, null left out). The order's `shape`
 * and `topFields` apply; its code, msg and extraFields describe the result queries.
 * The answer's fields: [cross-check] gf-admin-community's recorded kyc1 answer (result: bizSeqNo,
 * transactionTime, oriCode, orderNo, faceId, optimalDomain, success); optimalDomain is "启动 H5
 * 人脸核身步骤中调用 login 接口使用的域名" (F/H5 接入/合作方后台上送身份信息.md).
 */
export function advFaceIdBody(face, hostPort, scenario, now) {
  const seq = bizSeqNo(now);
  const time = formatTime(now);
  const domain = "optimalDomain" in scenario ? scenario.optimalDomain : hostPort;
  const payload = { bizSeqNo: seq, transactionTime: time, orderNo: face.orderNo, faceId: face.faceId };
  if (domain !== null) payload.optimalDomain = domain;
  payload.success = false;
  const body = envelope({ code: "0", msg: "请求成功", bizSeqNo: seq, transactionTime: time }, payload, scenario.shape);
  return assignOwn(body, scenario.topFields);
}

/** A business error or busy answer: the envelope alone. */
export function errorBody(code, msg, now) {
  return { code, msg, bizSeqNo: bizSeqNo(now), transactionTime: formatTime(now) };
}

// Fields are defined, never assigned (assignOwn), so that any key of the
// payload, "__proto__" included, reaches the JSON text.
function envelope(head, payload, shape, extras = {}) {
  const { code, msg, bizSeqNo: seq, transactionTime } = head;
  if (shape === "flat") return assignOwn({ code, msg }, payload, { code, msg, bizSeqNo: seq, transactionTime }, extras);
  const top = { code, msg, bizSeqNo: seq };
  if (shape === "both") assignOwn(top, payload, { code, msg });
  return { ...top, result: payload, transactionTime, ...extras };
}

function media(fields, s) {
  const out = {};
  for (const f of fields) {
    const [format, size] = f === "video" ? ["mp4", s.videoBytes] : [s.photoFormat, s.photoBytes];
    const key = f === "originBankcardPhoto" ? s.bankPhotoField : f; // spelled per page (scenarios.mjs)
    if (size > 0) out[key] = Raw.string(mediaBase64(format, size));
  }
  return out;
}

/** When the face was captured: the end of the H5 face check, else a little before the order was first seen. */
function occurredTime(call, order, face) {
  return formatTime(face ? face.finishedAt : order.firstSeen - captureLead(call.orderNo) * 1000);
}

/**
 * `face`: the finished H5 face check of the order, whose identity this answers with. A face check
 * started without name or idNo (allowed with a comparison photo) answers without them (and
 * without idType): no page says what the service answers then; the simulator invents nothing.
 */
function facePayload(call, order, face) {
  const p = face ? { idcard: face.idNo, name: face.name } : person(call.orderNo);
  const out = {};
  if (p.idcard !== null) Object.assign(out, { idNo: p.idcard, idType: "01" });
  if (p.name !== null) out.name = p.name;
  return { ...out, liveRate: "100", similarity: "95.0", occurredTime: occurredTime(call, order, face) };
}

function livePayload(call, order, face) {
  return { liveRate: "100", occurredTime: occurredTime(call, order, face) };
}

function idOcrPayload(call, order) {
  const { name, sex, nation, birth, address, idcard, validDate, authority } = person(call.orderNo);
  return {
    frontCode: "0", backCode: "0", name, sex, nation, birth, address, idcard, validDate, authority,
    operateTime: occurredTime(call, order),
  };
}

function bankOcrPayload(call, order) {
  return { ...bankCard(call.orderNo), operateTime: occurredTime(call, order) };
}

function idUploadPayload(call) {
  const p = person(call.orderNo);
  const { clarity, ocrId } = ocrExtras(call.orderNo);
  const side = call.cardType === "0"
    ? { name: p.name, sex: p.sex, nation: p.nation, birth: p.birth, address: p.address, idcard: p.idcard }
    : { validDate: p.validDate, authority: p.authority };
  // `sign` in the official examples is undocumented; here an opaque 40-hex value.
  const sign = createHash("sha1").update(`${ocrId}${call.orderNo}${call.cardType}`).digest("hex").toUpperCase();
  return { ocrId, ...side, warning: "00000000", sign, clarity, multiWarning: "00000000", retry: "1" };
}
