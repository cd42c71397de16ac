// The H5 face flow's pages, standing in for the service's face page:
//   GET /api/web/login?appId&version&nonce&orderNo&faceId&url&resultType&userId&sign&from&redirectType
//     checks the login (the faceId from getAdvFaceId, the signature over a
//     single-use NONCE ticket of the user) and shows a face page with two
//     buttons, pass and fail, each a link to finish with a single-use session;
//   GET /api/web/finish?session=…&outcome=pass|fail
//     ends the face check and redirects (302) to the login's `url` with
//     `code`, `orderNo` and `newSign` appended.
// A failed check answers an HTML error page (HTTP 400) naming the reason, and
// never redirects. Pages echo nothing unescaped, and never a secret or ticket.
import { timingSafeEqual } from "node:crypto";
import { CODES, readQuery, signValues } from "./checks.mjs";
import { FACE_FAIL_CODE, SESSION_TTL_MS } from "./faces.mjs";

export const PAGE_TITLE = "人脸核身 · Face verification (simulator)";

/** The login's query: required names first; resultType, from and redirectType are only recorded. */
const LOGIN_QUERY = {
  appId: ["appId", true],
  version: ["version", true],
  nonce: ["nonce", true],
  orderNo: ["orderNo", true],
  faceId: ["faceId", true],
  url: [null, true],
  userId: ["userId", true],
  sign: ["sign", true],
  resultType: ["free", false],
  from: ["free", false],
  redirectType: ["free", false],
};
const FINISH_QUERY = { session: ["session", true], outcome: [null, true] };

/** The two page endpoints: path -> handler(sim, req, url, entry) -> a reply (see {@link send}). */
export const WEB_ROUTES = {
  "/api/web/login": login,
  "/api/web/finish": finish,
};

/** A failed check of a page request: the verdict (a simulator code) and the reason. */
const refuse = (code, reason) => ({ error: { code, reason } });

function login(sim, req, url, entry) {
  entry.endpoint = "login";
  const claimed = url.searchParams.get("orderNo");
  if (claimed) entry.orderNo = claimed;
  const checked = checkLogin(sim, req, url);
  if (checked.error) return errorPage(entry, checked.error, "无法开始人脸核身 · Cannot start the face verification");
  const { face, callback, q } = checked;
  entry.faceId = face.faceId;
  const session = sim.faces.openSession(face, callback);
  entry.verdict = "ok";
  return { status: 200, html: facePage({ face, session, callback, forced: sim.orders.get(face.orderNo).scenario.face, q }) };
}

/** The login's checks in order: parameters and url, app, faceId (its order and user), the signature and its NONCE ticket. */
function checkLogin(sim, req, url) {
  if (req.method !== "GET") return refuse(CODES.BAD_PARAM, `method ${req.method} is not allowed on ${url.pathname}; use GET`);
  const read = readQuery(url.searchParams, LOGIN_QUERY);
  if (read.error) return read;
  const q = read.call;
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

function finish(sim, req, url, entry) {
  entry.endpoint = "finish";
  const title = "无法完成人脸核身 · Cannot finish the face verification";
  if (req.method !== "GET") return errorPage(entry, { code: CODES.BAD_PARAM, reason: `method ${req.method} is not allowed on ${url.pathname}; use GET` }, title);
  const read = readQuery(url.searchParams, FINISH_QUERY);
  if (read.error) return errorPage(entry, read.error, title);
  const { session: id, outcome: clicked } = read.call;
  if (clicked !== "pass" && clicked !== "fail") return errorPage(entry, { code: CODES.BAD_PARAM, reason: 'outcome must be "pass" or "fail"' }, title);
  const taken = sim.faces.takeSession(id);
  if (taken.session) Object.assign(entry, { orderNo: taken.session.face.orderNo, faceId: taken.session.face.faceId });
  if (taken.problem) return errorPage(entry, { code: CODES.BAD_CREDENTIAL, reason: taken.problem }, title);

  const { face, url: callback } = taken.session;
  const scenario = sim.orders.get(face.orderNo).scenario;
  const outcome = scenario.face === "clicked" ? clicked : scenario.face;
  const code = outcome === "pass" ? "0" : FACE_FAIL_CODE;
  sim.faces.finish(face, outcome, code);
  Object.assign(entry, { outcome, verdict: "ok" });

  const ticket = sim.creds.callbackSignTicket(face.appId);
  const newSign = scenario.callback === "forged"
    ? signValues([face.appId, face.orderNo, `${ticket}forged`, code]) // well formed, but no ticket makes it
    : signValues([face.appId, face.orderNo, ticket, code]);
  const params = scenario.callback === "legacy"
    ? { code, orderNo: face.orderNo, h5faceId: face.faceId, newSignature: newSign }
    : { code, orderNo: face.orderNo, newSign };
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

function facePage({ face, session, callback, forced, q }) {
  const link = (outcome) => `/api/web/finish?session=${session}&outcome=${outcome}`;
  const masked = [...face.name].map((c, i, all) => (i === all.length - 1 ? c : "*")).join("");
  const note = forced === "clicked" ? "" : `<p class="forced">此订单已设定为${forced === "pass" ? "通过" : "不通过"} · This order is set to ${forced === "pass" ? "pass" : "fail"}, whichever button you press.</p>\n`;
  const body = `<h1>人脸核身 <small>Face verification</small></h1>
<p class="sim">模拟器页面：不开摄像头，不采集人脸 · Simulator page: no camera, no face is captured.</p>
<div class="frame" aria-hidden="true"><div class="face"></div></div>
<p class="hint">请正对屏幕，保持光线充足 · Face the screen in good light.</p>
<dl>
<dt>订单号 · Order</dt><dd id="orderNo">${escapeHtml(face.orderNo)}</dd>
<dt>用户 · User</dt><dd id="userId">${escapeHtml(face.userId)}</dd>
<dt>姓名 · Name</dt><dd id="name">${escapeHtml(masked)}</dd>
<dt>来源 · From</dt><dd>${escapeHtml(q.from ?? "App")}</dd>
</dl>
${note}<a id="pass" class="btn pass" href="${link("pass")}">通过 · Pass</a>
<a id="fail" class="btn fail" href="${link("fail")}">不通过 · Fail</a>
<p class="foot">完成后返回 · Returns to <span id="callback">${escapeHtml(new URL(callback).origin)}</span>; 本页 ${SESSION_TTL_MS / 60_000} 分钟内有效 · valid ${SESSION_TTL_MS / 60_000} minutes.</p>`;
  return page(PAGE_TITLE, body);
}

function page(title, body) {
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
.reason { background: #ffece8; color: #cb2634; padding: 12px; border-radius: 6px; word-break: break-all; }
</style>
</head>
<body>
<main>
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
