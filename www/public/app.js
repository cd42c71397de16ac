// The demo page's flows. Everything goes through the demo Worker: the page
// holds an order token per order (in sessionStorage) and never a ticket, a
// secret, a full ID number or a photo. The verdict of a face verification
// comes from /faceid/result (the return URL carries the order number only),
// and the server's own record of it from /demo/verdict: what the handler's
// onResult recorded for this visitor's order, which is what a backend acts on.
const $ = (selector) => document.querySelector(selector);
const FACE_KEY = "demo_face";

// `?record=1` (for the end-to-end test): every answer this tab receives is
// kept in window.__responses (and in sessionStorage, across the face page).
const params = new URLSearchParams(location.search);
if (params.get("record") === "1") sessionStorage.setItem("demo_record", "1");
const recording = sessionStorage.getItem("demo_record") === "1";
window.__responses = recording ? JSON.parse(sessionStorage.getItem("demo_responses") ?? "[]") : [];

/** fetch, then the JSON body (or null): `{ status, body }`; a network failure throws. */
async function call(path, init = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const text = await response.text();
  if (recording) {
    window.__responses.push({ path, status: response.status, headers: [...response.headers], body: text });
    sessionStorage.setItem("demo_responses", JSON.stringify(window.__responses));
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: said below
  }
  return { status: response.status, body };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** An error answer of the Worker, in plain words. */
function explain({ status, body }) {
  const message = body?.error?.message ?? "";
  switch (status) {
    case 401:
      return `未登录演示会话，请刷新页面。 No demo session: reload the page. (${message})`;
    case 403:
      return `无权查看：订单令牌已过期或不属于这个订单。 Not allowed: the order token expired or is for another order. (${message})`;
    case 413:
      return "图片太大（最大 20 MB）。 The image is too large (20 MB at most).";
    case 502:
    case 503:
      return `暂时连不上核身服务，请稍后再试。 The verification service could not be reached; try again later. (${message})`;
    default:
      return `请求失败（HTTP ${status}）。 The request failed (HTTP ${status}). ${message}`;
  }
}

/** Plain words for the business codes the official pages name (docs/protocol.md, "Result codes"). */
const MEANINGS = {
  "66660011": "还没有结果 There is no result for this order (yet)",
  "66660016": "视频无法使用 The video could not be used",
  "66660017": "被风控拦截 Blocked by risk control",
  "66660018": "会话超时 The session timed out",
  "66660020": "没有识别结果 There is no OCR result for this order",
  "400604": "活体检测未通过 The liveness check failed: not a live person",
};
const meaning = (code) =>
  MEANINGS[code] ?? (/^666610\d\d$/.test(code) ? "图片无法识别 The image could not be read (angle, side, expired card…)" : null);

/** A business failure in plain words, with its code. */
const notOk = (what, b) => `${what} — ${meaning(b.code) ?? b.msg} (code ${b.code})`;

/**
 * A status line: its text and `data-state`: idle, ready (an image chosen), busy,
 * redirecting, then done, passed, failed (a business answer) or error.
 */
function status(el, state, text) {
  el.dataset.state = state;
  el.textContent = text;
}

const LABELS = {
  verdict: "结果 Verdict",
  code: "结果码 Code",
  msg: "说明 Message",
  orderNo: "订单号 Order number",
  name: "姓名 Name",
  idNo: "身份证号 ID number",
  idcard: "身份证号 ID number",
  idType: "证件类型 ID type",
  liveRate: "活体分 Liveness score",
  similarity: "相似度 Similarity",
  occurredTime: "时间 Time",
  sex: "性别 Sex",
  nation: "民族 Ethnic group",
  authority: "签发机关 Issued by",
  validDate: "有效期限 Valid",
  warning: "告警 Warnings",
  multiWarning: "告警 Warnings",
  clarity: "清晰度 Clarity",
  retry: "重试次数 Retries",
  ocrId: "识别号 OCR id",
  frontCode: "人像面结果码 Portrait side code",
  backCode: "国徽面结果码 Emblem side code",
  frontWarnCode: "人像面告警 Portrait side warnings",
  backWarnCode: "国徽面告警 Emblem side warnings",
  operateTime: "识别时间 Read at",
  bankCardNo: "卡号 Card number",
  bankCardValidDate: "有效期 Valid thru",
  warnCode: "告警码 Warning code",
};

/** Shows `fields` ({ key: value }) in a <dl>, one `data-field` per row. */
function showFields(dl, fields) {
  dl.replaceChildren();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === "") continue;
    const row = document.createElement("div");
    row.dataset.field = key;
    const dt = document.createElement("dt");
    dt.textContent = LABELS[key] ?? key;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    row.append(dt, dd);
    dl.append(row);
  }
  dl.hidden = false;
}

/** A business answer ({ ok, code, msg, result }) as fields. */
function businessFields(body) {
  return { code: body.code, msg: body.ok ? undefined : body.msg, orderNo: body.orderNo, ...body.result };
}

// ---------------------------------------------------------------------------
// Who the demo signed in as

(async () => {
  const who = $("#who");
  try {
    const r = await call("/demo/me");
    if (r.status !== 200) return status(who, "error", explain(r));
    const where = r.body.backend === "simulator" ? "本地模拟器 the local simulator" : "腾讯云人脸核身 the FaceID service";
    status(who, "done", `演示用户 Demo user: ${r.body.name} · ${r.body.idNo} — 连接 Talking to: ${where}`);
  } catch {
    status(who, "error", "网络错误，请刷新页面。 Network error: reload the page.");
  }
})();

// ---------------------------------------------------------------------------
// Face verification: start, the face page, back here, the verdict

const faceStatus = $("#face-status");
const faceResult = $("#face-result");
const faceServer = $("#face-server");

$("#face-start").addEventListener("click", async () => {
  faceResult.hidden = true;
  status(faceServer, "idle", "");
  status(faceStatus, "busy", "正在创建核身订单… Starting the verification…");
  try {
    // The phone page by default; the PC page when chosen.
    const device = document.querySelector('input[name="device"]:checked')?.value ?? "mobile";
    const r = await call("/faceid/start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ device }),
    });
    if (r.status !== 200) return status(faceStatus, "error", explain(r));
    if (!r.body.ok) {
      return status(faceStatus, "error", `核身服务拒绝了请求：${r.body.msg} The service refused (code ${r.body.code}).`);
    }
    const { orderNo, orderToken, expiresAt } = r.body;
    sessionStorage.setItem(FACE_KEY, JSON.stringify({ orderNo, orderToken, expiresAt }));
    status(faceStatus, "redirecting", "正在打开刷脸页面… Opening the face page…");
    location.assign(r.body.url);
  } catch {
    status(faceStatus, "error", "网络错误，请重试。 Network error: try again.");
  }
});

/**
 * The server's own verdict of `orderNo` (/demo/verdict): what onResult recorded.
 * onResult may finish just after /faceid/result answered, so a record without a
 * verdict yet is asked again, a few times.
 */
async function serverVerdict(orderNo) {
  status(faceServer, "busy", "正在读取服务端记录… Reading the server's record…");
  try {
    for (let i = 0; i < 25; i++) {
      const r = await call(`/demo/verdict?orderNo=${encodeURIComponent(orderNo)}`);
      if (r.status !== 200) return status(faceServer, "error", explain(r));
      const v = r.body.verdict;
      if (v) {
        faceServer.dataset.code = v.code;
        const words = v.ok ? "通过 passed" : `未通过 failed (code ${v.code})`;
        return status(faceServer, v.ok ? "passed" : "failed", `服务端记录 The server's own record: ${words}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    status(faceServer, "error", "服务端还没有记录结果。 The server has not recorded a verdict yet: reload later.");
  } catch {
    status(faceServer, "error", "网络错误，请刷新页面。 Network error: reload the page.");
  }
}

/** Back from the face page (`?orderNo=…`): ask the Worker for the verdict, then for the server's own record. */
async function faceReturn() {
  const orderNo = params.get("orderNo");
  if (!orderNo) return;
  history.replaceState(null, "", location.pathname); // a reload does not ask again
  $("#face").scrollIntoView();
  const saved = JSON.parse(sessionStorage.getItem(FACE_KEY) ?? "null");
  if (!saved || saved.orderNo !== orderNo) {
    return status(faceStatus, "error", "这个订单不是在本页面发起的，请重新开始。 This order was not started on this page: start again.");
  }
  status(faceStatus, "busy", "正在查询核身结果… Getting the verdict…");
  try {
    const r = await call(`/faceid/result?orderNo=${encodeURIComponent(orderNo)}`, { headers: bearer(saved.orderToken) });
    if (r.status !== 200) return status(faceStatus, "error", explain(r));
    const b = r.body;
    faceStatus.dataset.code = b.code;
    if (b.ok) status(faceStatus, "passed", "核身通过 Passed: 是本人。 The face matches the demo user.");
    else status(faceStatus, "failed", notOk("核身未通过 Failed", b));
    showFields(faceResult, { verdict: b.ok ? "通过 passed" : "未通过 failed", ...businessFields(b) });
    await serverVerdict(orderNo);
  } catch {
    status(faceStatus, "error", "网络错误，请刷新页面。 Network error: reload the page.");
  }
}
faceReturn();

// ---------------------------------------------------------------------------
// ID card OCR: upload, then look the result up

let image = null; // { blob, name }
let idcardOrder = null; // { orderNo, orderToken }
const preview = $("#idcard-preview");
const idcardStatus = $("#idcard-status");

function choose(blob, name) {
  image = { blob, name };
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
  $("#idcard-upload").disabled = false;
  status(idcardStatus, "ready", `已选择 Chosen: ${name} (${Math.round(blob.size / 1024)} KB)`);
}

$("#idcard-file").addEventListener("change", (event) => {
  const file = event.target.files?.[0];
  if (!file) return;
  if (!/^image\/(jpeg|png)$/.test(file.type)) {
    return status(idcardStatus, "error", "请选择 JPEG 或 PNG 图片。 Choose a JPEG or PNG image.");
  }
  choose(file, file.name);
});

/** A made-up card drawn on a canvas, as JPEG: nobody's real card. */
$("#idcard-sample").addEventListener("click", () => {
  const canvas = document.createElement("canvas");
  canvas.width = 428;
  canvas.height = 270;
  const g = canvas.getContext("2d");
  g.fillStyle = "#e9f1f7";
  g.fillRect(0, 0, 428, 270);
  g.strokeStyle = "#8aa4b8";
  g.lineWidth = 4;
  g.strokeRect(6, 6, 416, 258);
  g.fillStyle = "#23313d";
  g.font = "20px sans-serif";
  const lines = ["姓名  示例", "性别  男    民族  汉", "出生  1990 年 1 月 1 日", "住址  示例市示例路 1 号", "SAMPLE · 演示样例"];
  lines.forEach((line, i) => g.fillText(line, 24, 48 + i * 40));
  g.fillStyle = "#c5d3de";
  g.fillRect(300, 36, 100, 124);
  canvas.toBlob((blob) => choose(blob, "sample-card.jpg"), "image/jpeg", 0.85);
});

/** The bytes of `blob` in base64. */
function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

$("#idcard-upload").addEventListener("click", async () => {
  if (!image) return;
  const cardType = document.querySelector('input[name="cardType"]:checked').value;
  $("#idcard-fields").hidden = true;
  $("#idcard-lookup").disabled = true;
  status(idcardStatus, "busy", "正在上传并识别… Uploading and reading…");
  try {
    // JSON { cardType, image: base64 } (the route also takes multipart/form-data).
    const body = JSON.stringify({ cardType, image: await base64(image.blob) });
    const r = await call("/faceid/ocr/idcard", { method: "POST", headers: { "content-type": "application/json" }, body });
    if (r.status !== 200) return status(idcardStatus, "error", explain(r));
    const b = r.body;
    idcardOrder = { orderNo: b.orderNo, orderToken: b.orderToken };
    $("#idcard-lookup").disabled = false;
    if (b.ok) status(idcardStatus, "done", "识别完成（已打码） Read (masked):");
    else status(idcardStatus, "failed", notOk("识别失败 Could not read the card", b));
    showFields($("#idcard-fields"), businessFields(b));
  } catch {
    status(idcardStatus, "error", "网络错误，请重试。 Network error: try again.");
  }
});

$("#idcard-lookup").addEventListener("click", () =>
  lookup("/faceid/ocr/idcard/result", idcardOrder, $("#idcard-lookup-status"), $("#idcard-lookup-fields")));

// ---------------------------------------------------------------------------
// Bank card OCR and liveness: orders the app ran; the demo makes one up

/** GET `path` for `order`, shown in `line` and `dl`. */
async function lookup(path, order, line, dl) {
  dl.hidden = true;
  status(line, "busy", "正在查询… Looking up…");
  try {
    const r = await call(`${path}?orderNo=${encodeURIComponent(order.orderNo)}`, { headers: bearer(order.orderToken) });
    if (r.status !== 200) return status(line, "error", explain(r));
    const b = r.body;
    if (b.ok) status(line, "done", "查询成功 Found:");
    else status(line, "failed", notOk("查询未成功 Not found", b));
    showFields(dl, businessFields(b));
  } catch {
    status(line, "error", "网络错误，请重试。 Network error: try again.");
  }
}

async function demoOrder(kind, path, line, dl) {
  status(line, "busy", "正在生成演示订单… Making up an order…");
  try {
    const r = await call("/demo/orders", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind }),
    });
    if (r.status !== 200) return status(line, "error", explain(r));
    await lookup(path, r.body, line, dl);
  } catch {
    status(line, "error", "网络错误，请重试。 Network error: try again.");
  }
}

$("#bankcard-lookup").addEventListener("click", () =>
  demoOrder("bankcard", "/faceid/ocr/bankcard/result", $("#bankcard-status"), $("#bankcard-fields")));
$("#live-lookup").addEventListener("click", () =>
  demoOrder("live", "/faceid/live/result", $("#live-status"), $("#live-fields")));

// ---------------------------------------------------------------------------
// App SDK start parameters for a made-up app

const sdkStatus = $("#sdk-status");
const sdkFields = $("#sdk-fields");

$("#sdk-start").addEventListener("click", async () => {
  sdkFields.hidden = true;
  const kind = document.querySelector('input[name="sdkKind"]:checked')?.value ?? "face";
  status(sdkStatus, "busy", "正在生成… Making the parameters…");
  try {
    const r = await call("/faceid/sdk/start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind }),
    });
    if (r.status !== 200) return status(sdkStatus, "error", explain(r));
    const { sdk } = r.body;
    sdkStatus.dataset.kind = kind;
    status(sdkStatus, "passed", "App 用这些参数启动 SDK（120 秒内，仅一次）。 The app starts its SDK with these (within 120 s, once).");
    showFields(sdkFields, { kind, ...sdk });
  } catch {
    status(sdkStatus, "error", "网络错误，请重试。 Network error: try again.");
  }
});
