// The H5 face flow's pages, standing in for the service's face pages:
//   GET /api/web/login?appId&version&nonce&orderNo&faceId&url&resultType&userId&sign&from&redirectType
//     the mobile face page (F/H5 接入/启动 H5 人脸核身.md@9aa6dce; live 1007/114178);
//   GET /api/pc/login?appId&version&nonce&orderNo&faceId&url&userId&sign
//     the PC face page (F/PC端H5接入/启动 H5 人脸验证.md@3e2f7be): no resultType, from or redirectType.
//   Both check the login (the faceId from getAdvFaceId, the signature over a
//   single-use NONCE ticket of the user) and show a face page with buttons:
//   pass, fail, and one per H5 front-end code, each a link to finish with a
//   single-use session;
//   GET /api/web/finish?session=…&outcome=pass|fail|3001|…|300101[&realtime=0]
//     ends the page and redirects (302) to the login's `url` with the callback
//     parameters of the device's page appended (see CALLBACKS).
// A failed check answers an HTML error page (HTTP 400) naming the reason, and
// never redirects. Pages echo nothing unescaped, and never a secret or ticket.
import { timingSafeEqual } from "node:crypto";
import { CODES, oneOf, readQuery, signValues } from "./checks.mjs";
import { FACE_FAIL_CODE, FRONT_END_CODES, OUTCOMES, SESSION_TTL_MS } from "./faces.mjs";

export const PAGE_TITLE = "人脸核身 · Face verification (simulator)";

/**
 * The parameters both login pages share. The names: the live pages (1007/114178; [cross-check]
 * gf-admin-community's copy: appId, version, nonce, orderNo, faceId, url, resultType, userId, sign,
 * from, redirectType) say appId and faceId; the older repo pages (F/H5 接入/启动 H5 人脸核身.md,
 * F/PC端H5接入/启动 H5 人脸验证.md) say webankAppId and h5faceId. Either name is accepted, exactly
 * one of each pair (checked after reading). userId: "不要带有特殊字符" and, since the signature uses
 * a NONCE ticket of this user, at most 30 like user_id (1007/37306). nonce: "32位随机串（字母+数字
 * 组成的随机数）". url: "需要第三方提供完整 URL 且做 URL Encode" (an absolute http/https URL).
 */
const LOGIN_COMMON = {
  appId: ["appId", false],
  webankAppId: ["appId", false],
  version: ["version", true],
  nonce: ["nonce", true],
  orderNo: ["orderNo", true],
  faceId: ["faceId", false],
  h5faceId: ["faceId", false],
  url: [null, true],
  userId: ["nonceUserId", true],
  sign: ["sign", true],
};

/**
 * The two login pages. Mobile adds resultType ("1": straight to url; 否), from ("browser" | "App",
 * "默认值为 App"; the table marks it 是 yet gives a default: the simulator takes it as optional) and
 * redirectType ("1": replace; 否), all only recorded (F/H5 接入/启动 H5 人脸核身.md). The PC page
 * lists none of the three, so they are refused there as unexpected (F/PC端H5接入/启动 H5 人脸验证.md).
 */
const DEVICES = {
  mobile: {
    endpoint: "login",
    query: { ...LOGIN_COMMON, resultType: ["free", false], from: ["free", false], redirectType: ["free", false] },
  },
  pc: { endpoint: "pcLogin", query: LOGIN_COMMON },
};

/**
 * The callback of each device: which parameters, and the signature's name.
 * - mobile (F/H5 接入/H5 人脸核身结果跳转.md@9ff19c0, the current mobile callback page):
 *   "?code=xxxx&orderNo=xxxx&h5faceId=xxxx&newSignature=xxxx&liveRate=xxxx"; liveRate
 *   "如活体检测不通过，则不返回该字段": only with code 0.
 * - pc (live 1007/35895, 2024-11-05): "并带有 code、orderNo、h5faceId、newSign 参数", no liveRate.
 *   The older repo page (F/PC端H5接入/PC 端 H5 人脸验证结果跳转.md@8974225) also lists liveRate:
 *   the order's callback "withLiveRate" sends it (with code 0).
 * The signature over "wbappid、order_no、api ticket（SIGN 类型）、code 共4个参数" (F/验证结果/前端获取结果验证签名.md,
 * 1007/35897; the mobile page: "对 URL 参数 AppID、orderNo 和 SIGN ticket、code 的签名").
 */
const CALLBACKS = {
  mobile: { sign: "newSignature", liveRate: () => true },
  pc: { sign: "newSign", liveRate: (style) => style === "withLiveRate" },
};
/** liveRate in a callback: the liveness score the result queries answer too. */
const CALLBACK_LIVE_RATE = "100";

/** finish: session and outcome; `realtime` ("0": the browser cannot do real-time detection) is the simulator's own. */
const FINISH_QUERY = { session: ["session", true], outcome: [null, true], realtime: [null, false] };

/** The page endpoints: path -> handler(sim, req, url, entry) -> a reply (see {@link send}). */
export const WEB_ROUTES = {
  "/api/web/login": (sim, req, url, entry) => login(sim, req, url, entry, "mobile"),
  "/api/pc/login": (sim, req, url, entry) => login(sim, req, url, entry, "pc"),
  "/api/web/finish": finish,
};

/** A failed check of a page request: the verdict (a simulator code) and the reason. */
const refuse = (code, reason) => ({ error: { code, reason } });

function login(sim, req, url, entry, device) {
  entry.endpoint = DEVICES[device].endpoint;
  entry.device = device;
  const claimed = url.searchParams.get("orderNo");
  if (claimed) entry.orderNo = claimed;
  const checked = checkLogin(sim, req, url, device);
  if (checked.error) return errorPage(entry, checked.error, "无法开始人脸核身 · Cannot start the face verification");
  const { face, callback, q } = checked;
  entry.faceId = face.faceId;
  const session = sim.faces.openSession(face, callback, device);
  entry.verdict = "ok";
  return { status: 200, html: facePage({ face, session, callback, forced: sim.orders.get(face.orderNo).scenario.face, q, device }) };
}

/** The login's checks in order: parameters and url, app, faceId (its order and user), the signature and its NONCE ticket. */
function checkLogin(sim, req, url, device) {
  if (req.method !== "GET") return refuse(CODES.BAD_PARAM, `method ${req.method} is not allowed on ${url.pathname}; use GET`);
  const read = readQuery(url.searchParams, DEVICES[device].query);
  if (read.error) return read;
  const app = oneOf(read.call, ["appId", "webankAppId"]);
  if (app.error) return app;
  const id = oneOf(read.call, ["faceId", "h5faceId"]);
  if (id.error) return id;
  const q = { ...read.call, appId: app.value, faceId: id.value };
  if (q.from !== undefined && q.from !== "browser" && q.from !== "App") return refuse(CODES.BAD_PARAM, 'from must be "browser" or "App"');
  let callback;
  try {
    callback = new URL(q.url);
  } catch {
    return refuse(CODES.BAD_PARAM, "url must be an absolute http or https URL");
  }
  if (callback.protocol !== "http:" && callback.protocol !== "https:") {
    return refuse(CODES.BAD_PARAM, `url must be http or https; got ${JSON.stringify(callback.protocol.slice(0, -1))}`);
  }
  if (!sim.creds.app(q.appId)) return refuse(CODES.UNKNOWN_APP, `appId ${JSON.stringify(q.appId)} is not known to this service`);
  const face = sim.faces.get(q.faceId);
  if (!face || face.appId !== q.appId) return refuse(CODES.BAD_PARAM, "faceId unknown (getAdvFaceId never returned it to this app, or it was before a reset)");
  if (face.orderNo !== q.orderNo) return refuse(CODES.BAD_PARAM, "faceId was started for another orderNo");
  if (face.userId !== q.userId) return refuse(CODES.BAD_PARAM, "faceId was started for another userId");
  if (face.finished) return refuse(CODES.BAD_PARAM, "faceId's face check has already finished");

  // "将 wbappid、userId、orderNo、version、h5faceId、ticket、nonce 共7个参数的值进行字典序排序" with a
  // NONCE ticket (F/H5 接入/启动 H5 人脸核身.md, F/PC端H5接入/启动 H5 人脸验证.md: the same example, 4E9DFABF…;
  // live 1007/114178: appId, orderNo, … with the NONCE ticket). Single use: "一次性有效" (1007/37306).
  const given = Buffer.from(q.sign.toUpperCase());
  const signedWith = (ticket) => timingSafeEqual(Buffer.from(signValues([q.appId, q.orderNo, q.userId, q.version, q.faceId, ticket, q.nonce])), given);
  const ticket = sim.creds.nonceTicketValues(q.appId).find(signedWith);
  if (ticket === undefined) {
    const names = "appId, orderNo, userId, version, faceId, nonce";
    if (sim.creds.signTicketValues(q.appId).some(signedWith)) {
      return refuse(CODES.BAD_SIGN, `sign covers ${names} and a SIGN ticket; the login needs a NONCE ticket (api_ticket type=NONCE) of the user`);
    }
    return refuse(CODES.BAD_SIGN, `sign does not match ${names} and any NONCE ticket of this app`);
  }
  const use = sim.creds.useNonceTicket(q.appId, ticket, q.userId);
  if (!use.ok) return refuse(CODES.BAD_CREDENTIAL, `signed with a NONCE ticket that cannot be used: ${use.detail}`);
  return { face, callback: callback.href, q };
}

/**
 * Ends a face page. In order: realtime=0 (the browser cannot do real-time detection) with the
 * face check's liveInterType "1" gives 3005 whatever was pressed (1007/114178; the liveInterType
 * rule, see ADV_FACE_ID_BODY in checks.mjs); a front-end code pressed gives that code and leaves
 * the face check unfinished; pass or fail finishes it (the order's `face` may impose either), with
 * liveMode "video" when realtime=0 made it fall back to video recording (liveInterType not "1").
 */
function finish(sim, req, url, entry) {
  entry.endpoint = "finish";
  const title = "无法完成人脸核身 · Cannot finish the face verification";
  if (req.method !== "GET") return errorPage(entry, { code: CODES.BAD_PARAM, reason: `method ${req.method} is not allowed on ${url.pathname}; use GET` }, title);
  const read = readQuery(url.searchParams, FINISH_QUERY);
  if (read.error) return errorPage(entry, read.error, title);
  const { session: id, outcome: clicked, realtime = "1" } = read.call;
  if (!OUTCOMES.includes(clicked)) return errorPage(entry, { code: CODES.BAD_PARAM, reason: `outcome must be "pass" or "fail" (or a front-end code: ${Object.keys(FRONT_END_CODES).join(", ")})` }, title);
  if (realtime !== "0" && realtime !== "1") return errorPage(entry, { code: CODES.BAD_PARAM, reason: 'realtime must be "0" or "1"' }, title);
  const taken = sim.faces.takeSession(id);
  if (taken.session) Object.assign(entry, { orderNo: taken.session.face.orderNo, faceId: taken.session.face.faceId, device: taken.session.device });
  if (taken.problem) return errorPage(entry, { code: CODES.BAD_CREDENTIAL, reason: taken.problem }, title);

  const { face, url: callback, device } = taken.session;
  const scenario = sim.orders.get(face.orderNo).scenario;
  let outcome = null;
  let code;
  if (realtime === "0" && face.liveInterType === "1") code = "3005";
  else if (clicked in FRONT_END_CODES) code = clicked;
  else {
    outcome = scenario.face === "clicked" ? clicked : scenario.face;
    code = outcome === "pass" ? "0" : FACE_FAIL_CODE;
  }
  if (outcome) sim.faces.finish(face, outcome, code, realtime === "0" ? "video" : "realtime");
  else sim.faces.endPage(face, code);
  Object.assign(entry, { outcome, code, verdict: "ok" });

  const ticket = sim.creds.callbackSignTicket(face.appId);
  const sign = scenario.callback === "forged"
    ? signValues([face.appId, face.orderNo, `${ticket}forged`, code]) // well formed, but no ticket makes it
    : signValues([face.appId, face.orderNo, ticket, code]);
  const style = CALLBACKS[device];
  const params = { code, orderNo: face.orderNo, h5faceId: face.faceId, [style.sign]: sign };
  if (code === "0" && style.liveRate(scenario.callback)) params.liveRate = CALLBACK_LIVE_RATE;
  const target = new URL(callback);
  const ours = new URLSearchParams(params).toString();
  target.search = target.search.length > 1 ? `${target.search}&${ours}` : ours; // the url's own query kept as it was
  return { status: 302, location: target.href };
}

function errorPage(entry, { code, reason }, heading) {
  entry.verdict = code;
  entry.reason = reason;
  const body = `<h1>${escapeHtml(heading)}</h1>
<p class="reason" id="reason">${escapeHtml(reason)}</p>
<p class="code">模拟器代码 · Simulator code: <code>${escapeHtml(code)}</code></p>
<p class="note">没有跳转 · No redirect: the page stops here.</p>`;
  return { status: 400, html: page(`${PAGE_TITLE} — 错误 · Error`, body) };
}

function facePage({ face, session, callback, forced, q, device }) {
  const link = (outcome) => `/api/web/finish?session=${session}&outcome=${outcome}`;
  const masked = face.name === null ? "—" : [...face.name].map((c, i, all) => (i === all.length - 1 ? c : "*")).join("");
  const note = forced === "clicked" ? "" : `<p class="forced">此订单已设定为${forced === "pass" ? "通过" : "不通过"} · This order is set to ${forced === "pass" ? "pass" : "fail"}, whichever of the two buttons you press.</p>\n`;
  const codes = Object.entries(FRONT_END_CODES)
    .map(([code, text]) => `<li><a id="code-${code}" class="code" href="${link(code)}">${code}</a> ${escapeHtml(text)}</li>`).join("\n");
  const mode = face.liveInterType === "1" ? "仅实时检测 · real-time detection only" : "实时检测优先 · real-time detection preferred";
  const body = `<h1>人脸核身 <small>Face verification</small></h1>
<p class="sim">模拟器页面：不开摄像头，不采集人脸 · Simulator page: no camera, no face is captured.</p>
<div class="frame" aria-hidden="true"><div class="face"></div></div>
<p class="hint">请正对屏幕，保持光线充足 · Face the screen in good light.</p>
<dl>
<dt>订单号 · Order</dt><dd id="orderNo">${escapeHtml(face.orderNo)}</dd>
<dt>用户 · User</dt><dd id="userId">${escapeHtml(face.userId)}</dd>
<dt>姓名 · Name</dt><dd id="name">${escapeHtml(masked)}</dd>
<dt>设备 · Device</dt><dd id="device">${device === "pc" ? "PC" : "手机 · mobile"}</dd>
${device === "mobile" ? `<dt>来源 · From</dt><dd>${escapeHtml(q.from ?? "App")}</dd>\n` : ""}<dt>模式 · Mode</dt><dd id="mode">${mode}</dd>
</dl>
${note}<a id="pass" class="btn pass" href="${link("pass")}">通过 · Pass</a>
<a id="fail" class="btn fail" href="${link("fail")}">不通过 · Fail</a>
<details><summary>前端错误码 · Front-end codes</summary>
<ul class="codes">
${codes}
</ul>
</details>
<p class="foot">完成后返回 · Returns to <span id="callback">${escapeHtml(new URL(callback).origin)}</span>; 本页 ${SESSION_TTL_MS / 60_000} 分钟内有效 · valid ${SESSION_TTL_MS / 60_000} minutes.</p>`;
  return page(PAGE_TITLE, body, device);
}

function page(title, body, device = "mobile") {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f4f6f9; color: #1d2129; }
main { max-width: 420px; margin: 0 auto; padding: 24px 20px 32px; background: #fff; min-height: 100vh; box-sizing: border-box; }
h1 { font-size: 22px; text-align: center; margin: 8px 0 4px; } h1 small { display: block; font-size: 14px; color: #86909c; font-weight: normal; }
.sim, .note, .foot { font-size: 13px; color: #86909c; text-align: center; }
.frame { width: 220px; height: 220px; margin: 20px auto; border-radius: 50%; border: 4px solid #2b6de5; display: flex; align-items: center; justify-content: center; }
.face { width: 110px; height: 140px; border-radius: 50%; border: 3px dashed #c9cdd4; }
.hint { text-align: center; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; font-size: 14px; } dt { color: #86909c; } dd { margin: 0; word-break: break-all; }
.forced { background: #fff7e8; color: #d25f00; padding: 8px 12px; border-radius: 6px; font-size: 14px; }
.btn { display: block; margin: 12px 0; padding: 14px; border-radius: 24px; text-align: center; text-decoration: none; font-size: 17px; }
.pass { background: #2b6de5; color: #fff; } .fail { background: #fff; color: #f53f3f; border: 1px solid #f53f3f; }
main.pc { max-width: 640px; } .codes { font-size: 13px; color: #4e5969; padding-left: 20px; } .code { color: #2b6de5; }
.reason { background: #ffece8; color: #cb2634; padding: 12px; border-radius: 6px; word-break: break-all; }
</style>
</head>
<body>
<main class="${device}">
${body}
</main>
</body>
</html>
`;
}

/** Every character that could end a text node or an attribute value, escaped. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Sends a page reply: { status, html } or { status: 302, location }. */
export function send(res, entry, reply) {
  entry.status = reply.status;
  const headers = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
  };
  if (reply.location !== undefined) {
    res.writeHead(reply.status, { ...headers, Location: reply.location, "Content-Length": 0 });
    return res.end();
  }
  const body = Buffer.from(reply.html);
  res.writeHead(reply.status, {
    ...headers,
    "Content-Type": "text/html;charset=UTF-8",
    "Content-Length": body.length,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  });
  res.end(body);
}
