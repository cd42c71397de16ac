// The edge handler's tests, run against a real server that serves
// fixtures/edge-app.mjs: in Node (behind a node:http adapter that builds the
// request's URL from its Host header, as Node servers do) and in workerd
// (with the TicketOwner Durable Object). Every test talks HTTP to
// `target.url`, as a browser would; the simulator checks every signature.
//
//   edgeSuite("in Node", async () => ({ url, sim, runtime: "node" | "workerd", stop }));
//
// Every answer (status line, headers, body) is kept and scanned at the end
// for what must never reach a page: the secret, access tokens, SIGN and
// NONCE tickets, the order token key, full ID numbers, photos.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { trustTests } from "./edge-trust.mjs";

export const ORDER_TOKEN_KEY = "test-order-token-key-0123456789abcdef";
const ALICE_ID = "11010519491231002X";
const BOB_ID = "440106198202020555";
const ROUTES = [
  ["/faceid/start", "POST"],
  ["/faceid/callback", "GET"],
  ["/faceid/result", "GET"],
  ["/faceid/live/result", "GET"],
  ["/faceid/ocr/idcard", "POST"],
  ["/faceid/ocr/idcard/result", "GET"],
  ["/faceid/ocr/bankcard/result", "GET"],
];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
/** A header line that lets every origin read the answer (a `*`, alone or among values), in the form `seen` keeps. */
const ANY_ORIGIN = /^access-control-allow-origin:[^\n]*\*/im;

/** Headers as `name: value` lines, lower-case names: the one form `seen` keeps, whichever client got them. */
const headerLines = (pairs) => pairs.map(([k, v]) => `${k.toLowerCase()}: ${v}`).join("\n");

/** A small JPEG (magic number and padding): what the simulator's OCR accepts. */
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 7)]);

export function edgeSuite(name, setup) {
  describe(`the edge handler ${name}`, { timeout: 120_000 }, () => {
    let t;
    const seen = [];
    const secrets = new Set();

    /** fetch against the server; the answer is kept for the leak scan. */
    async function call(path, { user = "alice", token, origin, method = "GET", headers = {}, body, redirect = "manual" } = {}) {
      const h = { ...headers };
      if (user) h["x-user"] = user;
      if (token) h.authorization = `Bearer ${token}`;
      if (origin) h.origin = origin;
      const init = { method, headers: h, redirect };
      if (body !== undefined) {
        init.body = body;
        if (body instanceof ReadableStream) init.duplex = "half";
      }
      const r = await fetch(t.url + path, init).catch((e) => {
        throw new Error(`${method} ${path}: ${e.message} (${e.cause?.code ?? e.cause?.message ?? "no cause"})`);
      });
      const text = method === "HEAD" ? "" : await r.text();
      seen.push({ path, status: r.status, headers: headerLines([...r.headers]), text });
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: r.status, headers: r.headers, text, json };
    }

    /**
     * Uploads `total` bytes (with or without Content-Length) with node:http and
     * stops sending as soon as an answer arrives, as a careful client does: a
     * server may answer 413 and close before the upload ends.
     */
    function upload(path, { total, withLength }) {
      return new Promise((resolve, reject) => {
        const headers = { "content-type": "application/json", "x-user": "alice" };
        if (withLength) headers["content-length"] = String(total);
        const req = http.request(t.url + path, { method: "POST", headers });
        let sent = 0;
        let answered = false;
        const chunk = Buffer.alloc(1 << 20, 65);
        const pump = () => {
          // With a Content-Length, a server must answer from the header
          // alone: only the first megabyte is sent, then the client waits.
          // Without one, `total` is sent (past the limit) and the client
          // waits without ending the body: a server that waited for the
          // end would never answer. No write is in flight when it does.
          const upTo = withLength ? 1 << 20 : total;
          while (!answered && sent < upTo) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
        };
        req.on("response", (res) => {
          answered = true;
          const parts = [];
          res.on("data", (c) => parts.push(c));
          res.on("end", () => {
            req.destroy();
            const text = Buffer.concat(parts).toString();
            const raw = res.rawHeaders;
            const pairs = raw.filter((_, i) => i % 2 === 0).map((k, i) => [k, raw[2 * i + 1]]);
            seen.push({ path, status: res.statusCode, headers: headerLines(pairs), text });
            resolve({ status: res.statusCode, json: JSON.parse(text), sent });
          });
        });
        req.on("error", (e) => { if (!answered) reject(new Error(`${path} (${withLength ? "Content-Length" : "chunked"}) after ${sent} bytes: ${e.message}`)); });
        pump();
      });
    }

    /** POST /start (JSON, as the route requires) for `user`. */
    const start = (user = "alice", opts = {}, prefix = "/faceid") =>
      call(`${prefix}/start`, { method: "POST", user, ...opts, headers: { "content-type": "application/json", ...opts.headers } });

    /** What the handlers' onEvent was told since the last look. */
    const events = async () => (await call("/test/events")).json;

    /**
     * A multipart upload of the sample card, as one buffer with its content
     * type: a refused upload is answered before its body is read, and a body
     * sent in one piece lets the client read that answer (a streamed one may
     * meet a closed connection first, as with the 413s above).
     */
    async function cardForm() {
      const f = new FormData();
      f.set("cardType", "portrait");
      f.set("image", new Blob([JPEG], { type: "image/jpeg" }), "card.jpg");
      const r = new Response(f);
      return { headers: { "content-type": r.headers.get("content-type") }, body: Buffer.from(await r.arrayBuffer()) };
    }

    /** The sequence number of the simulator's newest log entry. */
    const lastSeq = () => t.sim.requests().at(-1)?.seq ?? 0;
    /** The calls the service bills or that start something (a face check, an OCR, a NONCE ticket) after `seq`. */
    const serviceCallsAfter = (seq) => t.sim.requests().filter((e) => e.seq > seq &&
      (["getAdvFaceId", "idcardocrapp", "queryfacerecord"].includes(e.endpoint) || (e.endpoint === "api_ticket" && e.query.type === "NONCE")));

    /**
     * A request with node:http, whose Host header (and anything else) the
     * caller chooses, as any client but a browser can.
     */
    function rawRequest(path, { method = "GET", headers = {}, body } = {}) {
      return new Promise((resolve, reject) => {
        const req = http.request(t.url + path, { method, headers: { "x-user": "alice", ...headers } }, (res) => {
          const parts = [];
          res.on("data", (c) => parts.push(c));
          res.on("end", () => {
            const text = Buffer.concat(parts).toString();
            seen.push({ path, status: res.statusCode, headers: JSON.stringify(res.headers), text });
            let json = null;
            try { json = JSON.parse(text); } catch { /* not JSON */ }
            resolve({ status: res.statusCode, headers: res.headers, text, json });
          });
        });
        req.on("error", reject);
        req.end(body);
      });
    }

    /**
     * Sends a body a byte at a time, every `everyMs`, after `first` bytes at
     * once (with a Content-Length of `length`, or chunked without one), and
     * resolves with the answer and how long it took; the client stops
     * sending when the answer arrives.
     */
    function trickle(path, { length, first = 0, everyMs = 100, chunk = 1, headers = {} }) {
      return new Promise((resolve, reject) => {
        const h = { "content-type": "application/json", "x-user": "alice", ...headers };
        if (length !== undefined) h["content-length"] = String(length);
        const began = Date.now();
        const req = http.request(t.url + path, { method: "POST", headers: h });
        let answered = false;
        let sent = first;
        if (first) req.write(Buffer.alloc(first, 0x20));
        const timer = setInterval(() => {
          if (answered) return;
          const n = length === undefined ? chunk : Math.min(chunk, length - sent);
          if (n > 0) req.write(Buffer.alloc(n, 0x20));
          sent += n;
          if (length !== undefined && sent >= length) {
            clearInterval(timer);
            req.end();
          }
        }, everyMs);
        req.on("response", (res) => {
          answered = true;
          clearInterval(timer);
          const parts = [];
          res.on("data", (c) => parts.push(c));
          res.on("end", () => {
            req.destroy();
            const text = Buffer.concat(parts).toString();
            seen.push({ path, status: res.statusCode, headers: JSON.stringify(res.headers), text });
            resolve({ status: res.statusCode, json: JSON.parse(text), ms: Date.now() - began });
          });
        });
        req.on("error", (e) => { clearInterval(timer); if (!answered) reject(new Error(`${path}: ${e.message}`)); });
      });
    }


    /** start → the simulator's face page → the callback URL the page sends the user to. */
    async function throughFacePage(outcome = "pass", user = "alice") {
      const s = await start(user);
      assert.equal(s.status, 200, s.text);
      const page = await t.sim.passFacePage(s.json.url, outcome);
      assert.equal(page.status, 302, page.body);
      return { start: s.json, callback: new URL(page.location) };
    }

    before(async () => {
      t = await setup();
      for (const s of [t.sim.secret, ORDER_TOKEN_KEY, ALICE_ID, BOB_ID]) secrets.add(s);
    });
    after(async () => {
      await t?.stop();
    });

    trustTests({ t: () => t, call, start, throughFacePage, JPEG });

    test("POST /start: an order token and the face page URL, whose callback is this handler's /callback", async () => {
      const r = await start();
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ["ok", "orderNo", "url", "orderToken", "expiresAt"]);
      assert.equal(r.json.ok, true);
      assert.match(r.json.orderNo, /^[A-Za-z0-9]{32}$/);
      assert.match(r.json.orderToken, /^v2\.\d+\.[A-Za-z0-9_-]{43}$/);
      assert.ok(r.json.expiresAt > Date.now() + 29 * 60_000 && r.json.expiresAt <= Date.now() + 30 * 60_000 + 5000);
      const login = new URL(r.json.url);
      assert.equal(login.origin + login.pathname, `${t.sim.url}/api/web/login`);
      assert.match(login.searchParams.get("url"), new RegExp(`^${t.url}/faceid/callback\\?state=s1\\.`));
      assert.equal(login.searchParams.get("userId"), "alice");
      assert.equal(login.searchParams.get("orderNo"), r.json.orderNo);
      // The identity went to the service as the operator's hook gave it.
      const [sent] = t.sim.requests({ orderNo: r.json.orderNo, endpoint: "getAdvFaceId" });
      assert.equal(sent.body?.name ?? sent.params?.name, "张三丰");
    });

    test("the whole face flow: pass → 303 to the page with orderNo → /result: the trimmed verdict of this person", async () => {
      const { start: s, callback } = await throughFacePage("pass");
      assert.equal(callback.origin, t.url);
      const cb = await call(callback.pathname + callback.search);
      assert.equal(cb.status, 303, cb.text);
      assert.equal(cb.headers.get("location"), `${t.url}/done.html?orderNo=${s.orderNo}`);
      const r = await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ["ok", "code", "msg", "orderNo", "result"]);
      assert.equal(r.json.ok, true);
      assert.equal(r.json.code, "0");
      assert.equal(r.json.orderNo, s.orderNo);
      assert.equal(r.json.result.name, "张*");
      assert.equal(r.json.result.idNo, "1101**********002X");
      // No scores unless revealed: they would help tune a spoof.
      assert.equal(r.json.result.similarity, undefined);
      assert.equal(r.json.result.liveRate, undefined);
      assert.deepEqual(Object.keys(r.json.result).sort(), ["idNo", "idType", "name", "occurredTime"]);
      assert.equal(r.json.result.photo, undefined);
      assert.equal(r.json.result.video, undefined);
    });

    test("a failed face check: the redirect carries the order number, never the page's code; /result says not ok with the service's code", async () => {
      const { start: s, callback } = await throughFacePage("fail");
      const cb = await call(callback.pathname + callback.search);
      assert.equal(cb.status, 303);
      assert.equal(cb.headers.get("location"), `${t.url}/done.html?orderNo=${s.orderNo}`);
      const r = await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken });
      assert.equal(r.status, 200);
      assert.equal(r.json.ok, false);
      assert.equal(r.json.code, "400604");
    });

    test("callbacks: the mobile page's newSignature and the PC page's newSign verify; forged, altered or missing signatures are 403", async () => {
      const s = await start();
      const mobile = new URL((await t.sim.passFacePage(s.json.url, "pass")).location);
      assert.ok(mobile.searchParams.get("newSignature"));
      assert.equal((await call(mobile.pathname + mobile.search)).status, 303);
      const p = await start("alice", { body: JSON.stringify({ device: "pc" }), headers: { "content-type": "application/json" } });
      assert.equal(new URL(p.json.url).pathname, "/api/pc/login", JSON.stringify(p.json));
      const pc = new URL((await t.sim.passFacePage(p.json.url, "pass")).location);
      assert.ok(pc.searchParams.get("newSign"));
      assert.equal((await call(pc.pathname + pc.search)).status, 303);

      const f = await start();
      t.sim.setOrder(f.json.orderNo, { callback: "forged" });
      const forged = new URL((await t.sim.passFacePage(f.json.url, "pass")).location);
      const r = await call(forged.pathname + forged.search);
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, "FORBIDDEN");
      assert.equal(r.headers.get("location"), null);

      const { callback } = await throughFacePage("fail");
      const altered = new URLSearchParams(callback.search);
      altered.set("code", "0");
      assert.equal((await call(`/faceid/callback?${altered}`)).status, 403);
      assert.equal((await call("/faceid/callback")).status, 403);
      assert.equal((await call("/faceid/callback?orderNo=x&code=0")).status, 403);
      const twice = `${callback.search}&code=0`;
      assert.equal((await call(`/faceid/callback${twice}`)).status, 403);
    });

    test("order tokens: none is 401; forged, other order, other user, other kind or expired is 403", async () => {
      const { start: s } = await throughFacePage("pass");
      const other = (await start()).json;
      const path = `/faceid/result?orderNo=${s.orderNo}`;
      const no = await call(path);
      assert.equal(no.status, 401);
      assert.equal(no.json.error.code, "UNAUTHORIZED");
      assert.equal((await call(path, { headers: { authorization: "Basic abc" } })).status, 401);
      for (const token of ["garbage", `${s.orderToken}x`, s.orderToken.replace(/\.\d+\./, `.${Date.now() + 9e9}.`), other.orderToken]) {
        const r = await call(path, { token });
        assert.equal(r.status, 403, token);
        assert.equal(r.json.error.code, "FORBIDDEN");
        assert.ok(!r.text.includes(token));
      }
      // Another signed-in user with alice's token.
      assert.equal((await call(path, { token: s.orderToken, user: "bob" })).status, 403);
      // Signed out: the token was minted for alice, so an identity is needed.
      const out = await call(path, { token: s.orderToken, user: null });
      assert.equal(out.status, 401);
      assert.equal(out.json.error.code, "UNAUTHORIZED");
      // A face token does not open the liveness or OCR results of the same order number.
      for (const route of ["/faceid/live/result", "/faceid/ocr/idcard/result", "/faceid/ocr/bankcard/result"]) {
        assert.equal((await call(`${route}?orderNo=${s.orderNo}`, { token: s.orderToken })).status, 403, route);
      }
      // A handler whose tokens live one second.
      const short = await start("alice", {}, "/short");
      assert.equal(short.status, 200, short.text);
      assert.equal((await call(`/short/result?orderNo=${short.json.orderNo}`, { token: short.json.orderToken })).status, 200);
      await sleep(1100);
      await events();
      const expired = await call(`/short/result?orderNo=${short.json.orderNo}`, { token: short.json.orderToken });
      assert.equal(expired.status, 403);
      // Why goes to the operator's onEvent, not to the page.
      assert.doesNotMatch(expired.json.error.message, /expired/);
      const [why] = (await events()).filter((e) => e.type === "error");
      assert.equal(why.route, "/result");
      assert.equal(why.status, 403);
      assert.equal(why.code, "FORBIDDEN");
      assert.match(why.detail, /expired/);
      // Bad order numbers never reach the service.
      assert.equal((await call("/faceid/result", { token: s.orderToken })).status, 400);
      assert.equal((await call("/faceid/result?orderNo=a%20b", { token: s.orderToken })).json.error.code, "INVALID_ORDER_NO");
    });

    test("identity: nobody signed in is 401 at /start; an incomplete identity is 400; the page cannot choose one", async () => {
      const none = await start(null);
      assert.equal(none.status, 401);
      const carol = await start("carol");
      assert.equal(carol.status, 400);
      assert.equal(carol.json.error.code, "INVALID_IDENTITY");
      // Whatever the page sends, the identity is the hook's.
      const r = await call("/faceid/start", {
        method: "POST", user: "bob", headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId: "alice", name: "张三丰", idNo: ALICE_ID }),
      });
      assert.equal(r.status, 200);
      assert.equal(new URL(r.json.url).searchParams.get("userId"), "bob");
    });

    test("CORS: the allowlist is echoed (never *), preflights answer 204, foreign origins 403", async () => {
      const ok = "https://h5.example.com";
      const pre = await call("/faceid/result", { method: "OPTIONS", origin: ok, headers: { "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-origin"), ok);
      assert.equal(pre.headers.get("access-control-allow-methods"), "GET");
      assert.match(pre.headers.get("access-control-allow-headers"), /authorization/);
      assert.match(pre.headers.get("vary"), /Origin/);
      const { start: s } = await throughFacePage("pass");
      const r = await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken, origin: ok });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("access-control-allow-origin"), ok);
      assert.equal(r.headers.get("access-control-allow-credentials"), "true");
      for (const origin of ["https://evil.example.com", "null", "https://h5.example.com.evil.com", "http://h5.example.com"]) {
        const bad = await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken, origin });
        assert.equal(bad.status, 403, origin);
        assert.equal(bad.headers.get("access-control-allow-origin"), null);
        const badPre = await call("/faceid/start", { method: "OPTIONS", origin });
        assert.equal(badPre.status, 403);
      }
      // The handler's own origin needs no allowlist entry.
      assert.equal((await start("alice", { origin: t.url })).status, 200);
      for (const s of seen) assert.doesNotMatch(s.headers, ANY_ORIGIN, s.path);
    });

    test("every route with every wrong method is 405 with Allow; odd paths are 404", async () => {
      for (const [path, allowed] of ROUTES) {
        for (const method of METHODS.filter((m) => m !== allowed)) {
          const r = await call(path, { method });
          assert.equal(r.status, 405, `${method} ${path}`);
          assert.equal(r.headers.get("allow"), `${allowed}, OPTIONS`);
          if (method !== "HEAD") assert.equal(r.json.error.code, "METHOD_NOT_ALLOWED");
        }
      }
      for (const path of ["//faceid/result", "/faceid/result/", "/faceid//result", "/FACEID/result", "/faceid/RESULT",
        "/faceid/result%2F", "/faceid/%72esult", "/faceid", "/faceid/", "/faceid/start.json", "/faceid/ocr", "/faceid/ocr/idcard/"]) {
        const r = await call(path);
        assert.equal(r.status, 404, path);
        assert.equal(r.json.error.code, "NOT_FOUND");
      }
      // Dot segments are resolved by the URL parser before routing: they reach the route, which still wants a token.
      for (const path of ["/faceid/x/../result", "/faceid/%2e%2e/faceid/result", "/faceid/./result"]) {
        const r = await call(path);
        assert.ok([401, 404].includes(r.status), `${path}: ${r.status} ${r.text}`);
      }
    });

    test("POST /ocr/idcard: JSON and multipart; masked fields and a token for its own result", async () => {
      const json = await call("/faceid/ocr/idcard", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
      });
      assert.equal(json.status, 200, json.text);
      assert.equal(json.json.ok, true);
      assert.match(json.json.result.name, /^.\*$/u);
      assert.match(json.json.result.idcard, /^\d{4}\*{10}[\dX]{4}$/);
      assert.equal(json.json.result.address, undefined);
      const got = await call(`/faceid/ocr/idcard/result?orderNo=${json.json.orderNo}`, { token: json.json.orderToken });
      assert.equal(got.status, 200, got.text);
      assert.match(got.json.result.idcard, /^\d{4}\*{10}[\dX]{4}$/);
      assert.equal(got.json.result.frontPhoto, undefined);
      // Another user cannot read it.
      assert.equal((await call(`/faceid/ocr/idcard/result?orderNo=${json.json.orderNo}`, { token: json.json.orderToken, user: "bob" })).status, 403);

      const form = new FormData();
      form.set("cardType", "emblem");
      form.set("image", new Blob([JPEG], { type: "image/jpeg" }), "card.jpg");
      // A form upload comes from a page of this origin (its Origin header).
      const multi = await call("/faceid/ocr/idcard", { method: "POST", body: form, origin: t.url });
      assert.equal(multi.status, 200, multi.text);
      assert.ok(multi.json.result.validDate);
      assert.notEqual(multi.json.orderNo, json.json.orderNo);
      // A boundary in mixed case, as browsers make it (boundaries are case-sensitive).
      const boundary = "----WebKitFormBoundaryAbCdEfGh12345";
      const raw = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="cardType"\r\n\r\nportrait\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="card.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
        JPEG,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const chrome = await call("/faceid/ocr/idcard", {
        method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "sec-fetch-site": "same-origin" }, body: raw,
      });
      assert.equal(chrome.status, 200, chrome.text);
    });

    test("bodies: too large (by Content-Length or by stream) is 413; malformed, empty or of the wrong type is 400", async () => {
      const post = (body, headers = { "content-type": "application/json" }) => call("/faceid/ocr/idcard", { method: "POST", headers, body });
      const big = await upload("/faceid/ocr/idcard", { total: 21 << 20, withLength: true });
      assert.equal(big.status, 413);
      assert.equal(big.json.error.code, "BODY_TOO_LARGE");
      // No Content-Length (chunked): an upload that goes on and on is cut at the limit.
      const streamed = await upload("/faceid/ocr/idcard", { total: 22 << 20, withLength: false });
      assert.equal(streamed.status, 413);
      assert.equal(streamed.json.error.code, "BODY_TOO_LARGE");
      const img = JPEG.toString("base64");
      for (const [body, headers, code] of [
        ["{", undefined, "INVALID_BODY"],
        ["[]", undefined, "INVALID_BODY"],
        [JSON.stringify({ cardType: "portrait" }), undefined, "INVALID_BODY"],
        [JSON.stringify({ cardType: "portrait", image: 5 }), undefined, "INVALID_BODY"],
        [JSON.stringify({ cardType: "front", image: img }), undefined, "INVALID_OPTION"],
        [JSON.stringify({ cardType: "portrait", image: "not base64!" }), undefined, "INVALID_IMAGE"],
        // Written by hand: JSON.stringify drops a __proto__ key. An image only under it is no image.
        [`{"cardType":"portrait","__proto__":{"image":"${img}"}}`, undefined, "INVALID_BODY"],
        ["cardType=portrait", { "content-type": "application/x-www-form-urlencoded", origin: t.url }, "INVALID_BODY"],
        ["", undefined, "INVALID_BODY"],
      ]) {
        const r = await post(body, headers);
        assert.equal(r.status, 400, `${body.slice(0, 40)}: ${r.text}`);
        assert.equal(r.json.error.code, code, body.slice(0, 40));
      }
      // Beside the real fields, a __proto__ key is an ordinary key: it changes nothing.
      const proto = await post(`{"cardType":"portrait","image":"${img}","__proto__":{"cardType":"emblem","image":"not base64!"}}`);
      assert.equal(proto.status, 200, proto.text);
      const [sent] = t.sim.requests({ orderNo: proto.json.orderNo, endpoint: "idcardocrapp" });
      assert.equal(sent?.body.cardType, "0", "the card type came from the __proto__ key");
      const noFile = new FormData();
      noFile.set("cardType", "portrait");
      assert.equal((await call("/faceid/ocr/idcard", { method: "POST", body: noFile, origin: t.url })).json.error.code, "INVALID_BODY");
      // Nothing of these reached the service.
      assert.equal(t.sim.requests({ endpoint: "idcardocrapp" }).filter((e) => e.verdict !== "ok").length, 0);
    });

    test("bank card and liveness results: tokens issued for orders started elsewhere; trimmed", async () => {
      const bank = await call("/test/issue?kind=bankcard&orderNo=bank001&userId=alice");
      const r = await call("/faceid/ocr/bankcard/result?orderNo=bank001", { token: bank.json.orderToken });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.result.bankCardNo, /^\*+\d{4}$/);
      assert.equal(r.json.result.bankcardNoPhoto, undefined);
      const live = await call("/test/issue?kind=live&orderNo=live001&userId=alice");
      const l = await call("/faceid/live/result?orderNo=live001", { token: live.json.orderToken });
      assert.equal(l.status, 200, l.text);
      // The liveness score stays with the operator unless revealed.
      assert.deepEqual(Object.keys(l.json.result).sort(), ["occurredTime"]);
      // A business code is 200 with ok: false.
      t.sim.setOrder("bank002", { code: "66660020" });
      const none = await call("/test/issue?kind=bankcard&orderNo=bank002&userId=alice");
      const nr = await call("/faceid/ocr/bankcard/result?orderNo=bank002", { token: none.json.orderToken });
      assert.equal(nr.status, 200);
      assert.equal(nr.json.ok, false);
      assert.equal(nr.json.code, "66660020");
    });

    test("reveal: chosen fields pass through (and files are asked for only then)", async () => {
      const s = await start("alice", {}, "/reveal");
      const page = await t.sim.passFacePage(s.json.url, "pass");
      assert.equal(page.status, 302);
      const r = await call(`/reveal/result?orderNo=${s.json.orderNo}`, { token: s.json.orderToken });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.result.idNo, ALICE_ID);
      assert.ok(r.json.result.photo.length > 100);
      assert.equal(r.json.result.name, "张*");
      // The scores, when the operator names them.
      assert.equal(r.json.result.similarity, "95.0");
      assert.equal(r.json.result.liveRate, "100");
      const [query] = t.sim.requests({ orderNo: s.json.orderNo, endpoint: "sync" }).slice(-1);
      assert.equal(query.query.get_file, "2");
      // The default handler never asks for files.
      for (const q of t.sim.requests({ endpoint: "sync" }).filter((e) => e.orderNo !== s.json.orderNo)) {
        assert.equal(q.query.get_file, undefined);
      }
    });

    test("reveal: a large photo is answered as the same JSON, written in chunks, and again from memory", async () => {
      const s = await start("alice", {}, "/reveal");
      t.sim.setOrder(s.json.orderNo, { photoBytes: 400_000 });
      assert.equal((await t.sim.passFacePage(s.json.url, "pass")).status, 302);
      const first = await call(`/reveal/result?orderNo=${s.json.orderNo}`, { token: s.json.orderToken });
      assert.equal(first.status, 200, first.text.slice(0, 200));
      assert.ok(first.json.result.photo.length > 500_000);
      // Byte for byte what JSON.stringify makes of it: the key order, the mask, the Chinese message.
      assert.equal(first.text, JSON.stringify(first.json));
      assert.deepEqual(Object.keys(first.json.result), ["name", "idNo", "idType", "occurredTime", "photo", "liveRate", "similarity"]);
      assert.equal(first.json.result.name, "张*");
      const again = await call(`/reveal/result?orderNo=${s.json.orderNo}`, { token: s.json.orderToken });
      assert.equal(again.text, first.text);
      assert.equal(t.sim.requests({ orderNo: s.json.orderNo, endpoint: "sync" }).length, 1, "the second answer comes from memory");
    });

    test("upstream failures: a refused secret is 503 TICKET_UNAVAILABLE, and the next good call works", async () => {
      const bank = await call("/test/issue?kind=bankcard&orderNo=bank003&userId=alice");
      const r = await call("/bad/ocr/bankcard/result?orderNo=bank003", { token: bank.json.orderToken });
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json.error.code, "TICKET_UNAVAILABLE");
      assert.equal((await call("/faceid/ocr/bankcard/result?orderNo=bank003", { token: bank.json.orderToken })).status, 200);
    });

    test("no signed-in user: every route that calls the service is 401 before any call; allowAnonymous: [\"ocr\"] opens the upload alone", async () => {
      const img = JPEG.toString("base64");
      const ocrJson = JSON.stringify({ cardType: "portrait", image: img });
      const before = lastSeq();
      for (const [what, r] of [
        ["POST /start", await start(null)],
        ["POST /start (pc)", await start(null, { body: JSON.stringify({ device: "pc" }) })],
        ["POST /sdk/start", await call("/faceid/sdk/start", { method: "POST", user: null, headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "idCardOcr" }) })],
        ["POST /ocr/idcard (JSON)", await call("/faceid/ocr/idcard", { method: "POST", user: null, headers: { "content-type": "application/json" }, body: ocrJson })],
        ["POST /ocr/idcard (multipart)", await call("/faceid/ocr/idcard", { method: "POST", user: null, origin: t.url, ...await cardForm() })],
        ["POST /pinned/ocr/idcard", await call("/pinned/ocr/idcard", { method: "POST", user: null, headers: { "content-type": "application/json" }, body: ocrJson })],
      ]) {
        assert.equal(r.status, 401, `${what}: ${r.text}`);
        assert.equal(r.json.error.code, "UNAUTHORIZED", what);
      }
      assert.deepEqual(serviceCallsAfter(before), [], "the service saw a call for nobody");

      // The operator opened the OCR upload to anonymous callers: it runs, and
      // its token names no user, so it opens the result with nobody signed in.
      const anon = await call("/anon/ocr/idcard", { method: "POST", user: null, headers: { "content-type": "application/json" }, body: ocrJson });
      assert.equal(anon.status, 200, anon.text);
      assert.equal(anon.json.ok, true);
      const [sent] = serviceCallsAfter(before);
      assert.equal(sent.endpoint, "idcardocrapp");
      assert.equal(sent.body.userId, undefined, "no user id went to the service");
      const read = await call(`/anon/ocr/idcard/result?orderNo=${anon.json.orderNo}`, { user: null, token: anon.json.orderToken });
      assert.equal(read.status, 200, read.text);
      // Nothing else opened: the face and App SDK starts still need a user.
      assert.equal((await start(null, {}, "/anon")).status, 401);
      assert.equal((await call("/anon/sdk/start", { method: "POST", user: null, headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "liveness" }) })).status, 401);
      // A signed-in user's upload there is bound to that user, as everywhere.
      const mine = await call("/anon/ocr/idcard", { method: "POST", headers: { "content-type": "application/json" }, body: ocrJson });
      assert.equal(mine.status, 200, mine.text);
      assert.equal((await call(`/anon/ocr/idcard/result?orderNo=${mine.json.orderNo}`, { user: null, token: mine.json.orderToken })).status, 401);
      assert.equal((await call(`/anon/ocr/idcard/result?orderNo=${mine.json.orderNo}`, { token: mine.json.orderToken })).status, 200);
    });

    test("cross-site requests: Sec-Fetch-Site cross-site or same-site needs an allowed Origin; /start and /sdk/start need JSON; form uploads need this origin", async () => {
      const before = lastSeq();
      const { start: s } = await throughFacePage("pass");
      const afterStart = lastSeq();
      const result = `/faceid/result?orderNo=${s.orderNo}`;
      for (const site of ["cross-site", "same-site", "Cross-Site"]) {
        // A WebView that leaves Origin out, with a SameSite=None cookie: refused.
        for (const [what, r] of [
          ["start", await start("alice", { headers: { "sec-fetch-site": site } })],
          ["sdk", await call("/faceid/sdk/start", { method: "POST", headers: { "sec-fetch-site": site, "content-type": "application/json" }, body: JSON.stringify({ kind: "liveness" }) })],
          ["result", await call(result, { token: s.orderToken, headers: { "sec-fetch-site": site } })],
          ["ocr", await call("/faceid/ocr/idcard", { method: "POST", headers: { "sec-fetch-site": site, "content-type": "application/json" }, body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }) })],
        ]) {
          assert.equal(r.status, 403, `${site} ${what}: ${r.text}`);
          assert.equal(r.json.error.code, "FORBIDDEN");
        }
        // A page on allowedOrigins is another site too: its Origin is allowed.
        const ok = await call(result, { token: s.orderToken, origin: "https://h5.example.com", headers: { "sec-fetch-site": site } });
        assert.equal(ok.status, 200, ok.text);
      }
      for (const site of ["same-origin", "none"]) {
        assert.equal((await call(result, { token: s.orderToken, headers: { "sec-fetch-site": site } })).status, 200, site);
      }
      // The face page, on another site, sends the browser back to the callback.
      const again = await throughFacePage("pass");
      const cb = await call(again.callback.pathname + again.callback.search, { headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" } });
      assert.equal(cb.status, 303, cb.text);

      // A form can send text/plain, urlencoded or multipart without a preflight: /start and /sdk/start take JSON only.
      for (const [type, body] of [[undefined, undefined], ["text/plain", '{"device":"pc"}'], ["application/x-www-form-urlencoded", "device=pc"],
        ["multipart/form-data; boundary=x", "--x--\r\n"], ["application/jsonp", "{}"],
        // JSON is read as UTF-8 (as the upload reads it): another charset is refused, not misread.
        ["application/json; charset=iso-8859-1", "{}"], ["application/json; charset=utf-16", "{}"]]) {
        const headers = type ? { "content-type": type } : {};
        for (const path of ["/faceid/start", "/faceid/sdk/start"]) {
          const r = await call(path, { method: "POST", headers, body });
          assert.equal(r.status, 400, `${path} ${type}: ${r.text}`);
          assert.equal(r.json.error.code, "INVALID_BODY");
        }
      }
      // JSON with an empty body, {} or { device } starts the mobile or PC page.
      for (const body of [undefined, "{}", '{"device":"mobile"}']) {
        const r = await start("alice", { body });
        assert.equal(r.status, 200, `${body}: ${r.text}`);
        assert.equal(new URL(r.json.url).pathname, "/api/web/login");
      }
      assert.equal((await start("alice", { headers: { "content-type": "Application/JSON; charset=UTF-8" }, body: '{"device":"pc"}' })).status, 200);

      // A multipart upload: from this origin (Origin or Sec-Fetch-Site: same-origin) or an allowed one, never from nowhere.
      const uploads = lastSeq();
      for (const headers of [{}, { "sec-fetch-site": "none" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }]) {
        const form = await cardForm();
        const r = await call("/faceid/ocr/idcard", { method: "POST", headers: { ...headers, ...form.headers }, body: form.body });
        assert.equal(r.status, 403, `${JSON.stringify(headers)}: ${r.text}`);
        assert.equal(r.json.error.code, "FORBIDDEN");
      }
      const plain = await call("/faceid/ocr/idcard", { method: "POST", headers: { "content-type": "text/plain" }, body: "cardType=portrait" });
      assert.equal(plain.status, 403, plain.text);
      assert.deepEqual(serviceCallsAfter(uploads), [], "a refused upload reached the service");
      for (const [headers, origin] of [[{ "sec-fetch-site": "same-origin" }, undefined], [{}, t.url], [{ "sec-fetch-site": "cross-site" }, "https://h5.example.com"]]) {
        const form = await cardForm();
        const r = await call("/faceid/ocr/idcard", { method: "POST", headers: { ...headers, ...form.headers }, origin, body: form.body });
        assert.equal(r.status, 200, `${JSON.stringify(headers)} ${origin}: ${r.text}`);
      }
      // Of all the refused requests, none reached the service: only the
      // starts and uploads that were let through did.
      const started = serviceCallsAfter(afterStart).filter((e) => e.endpoint === "getAdvFaceId").length;
      assert.equal(started, 1 + 4, "the callback's face check and the four JSON starts");
      assert.ok(serviceCallsAfter(before).length > 0);
    });

    test("Host: evil.example: the signed face page URL and the return address keep the public origin", async () => {
      // As a client sends it, and as a proxy that terminates TLS adds it.
      const evil = { host: "evil.example", "x-forwarded-proto": "https", "content-type": "application/json" };
      const pinned = await rawRequest("/pinned/start", { method: "POST", headers: evil });
      assert.equal(pinned.status, 200, pinned.text);
      const login = new URL(pinned.json.url);
      const way = new URL(login.searchParams.get("url"));
      assert.equal(`${way.origin}${way.pathname}`, "https://h5.example.com/pinned/callback");
      const page = await t.sim.passFacePage(pinned.json.url, "pass");
      assert.equal(page.status, 302, page.body);
      const back = new URL(page.location);
      assert.equal(back.origin, "https://h5.example.com");
      const cb = await rawRequest(back.pathname + back.search, { headers: { host: "evil.example", "x-forwarded-proto": "https" } });
      assert.equal(cb.status, 303, cb.text);
      assert.equal(cb.headers.location, `https://h5.example.com/done.html?orderNo=${pinned.json.orderNo}`);

      // The default handler: in Node, its publicOrigin (the test server's);
      // in workerd, without one, the request's URL, which must be https://.
      await events();
      const before = lastSeq();
      const main = await rawRequest("/faceid/start", { method: "POST", headers: evil });
      if (t.runtime === "node") {
        assert.equal(main.status, 200, main.text);
        const back = new URL(new URL(main.json.url).searchParams.get("url"));
        assert.equal(`${back.origin}${back.pathname}`, `${t.url}/faceid/callback`);
      } else {
        // http://evil.example: not a URL the face page may return to.
        assert.equal(main.status, 400, main.text);
        assert.equal(main.json.error.code, "INVALID_URL");
        assert.doesNotMatch(main.text, /evil/);
        const [why] = (await events()).filter((e) => e.type === "error");
        assert.equal(why.route, "/start");
        assert.match(why.detail, /"http:\/\/evil\.example"/);
        assert.match(why.detail, /Host header/);
        assert.match(why.detail, /publicOrigin/);
        assert.deepEqual(serviceCallsAfter(before), [], "nothing was started");
      }
      for (const r of [pinned, cb, main]) assert.doesNotMatch(`${JSON.stringify(r.headers)}${r.text}`, /evil\.example/);
    });

    test("error answers: one fixed message per code, the detail only in onEvent; REJECTED says its code; every request is reported", async () => {
      await events();
      // The identity hook throws (its message names a host and a variable).
      const hook = await start("throws");
      assert.equal(hook.status, 401, hook.text);
      assert.doesNotMatch(hook.text, /hook|redis|FACEID_|session store/i);
      // A refused secret: the reason stays with the operator.
      const bank = await call("/test/issue?kind=bankcard&orderNo=bank009&userId=alice");
      const ticket = await call("/bad/ocr/bankcard/result?orderNo=bank009", { token: bank.json.orderToken });
      assert.equal(ticket.status, 503, ticket.text);
      assert.doesNotMatch(ticket.text, /secret|access.token|4001\d\d|FACEID_|refused/i);
      // The same code for different causes: the same message.
      const noToken = await call("/faceid/result?orderNo=abc123");
      assert.equal(noToken.json.error.code, "UNAUTHORIZED");
      assert.equal(noToken.json.error.message, hook.json.error.message);
      const forged = await call("/faceid/result?orderNo=abc123", { token: "v1.1.forged" });
      const foreign = await call("/faceid/result?orderNo=abc123", { origin: "https://evil.example.com" });
      assert.equal(forged.json.error.code, "FORBIDDEN");
      assert.equal(foreign.json.error.code, "FORBIDDEN");
      assert.equal(forged.json.error.message, foreign.json.error.message);
      // A refusal by the service: its code, this library's words, never the service's msg.
      const refused = await start("dave");
      assert.equal(refused.status, 200, refused.text);
      assert.deepEqual(Object.keys(refused.json), ["ok", "code", "msg"]);
      assert.equal(refused.json.ok, false);
      assert.equal(refused.json.code, "66660017");
      assert.ok(refused.json.msg.length > 5, refused.json.msg);
      assert.doesNotMatch(refused.text, /UPSTREAM|rule 42/);

      const seenEvents = await events();
      const errors = seenEvents.filter((e) => e.type === "error");
      const find = (code, route) => errors.find((e) => e.code === code && e.route === route);
      assert.match(find("UNAUTHORIZED", "/start").detail, /identity hook threw/);
      const t503 = find("TICKET_UNAVAILABLE", "/ocr/bankcard/result");
      assert.equal(t503.status, 503);
      assert.notEqual(t503.detail, ticket.json.error.message);
      const rejected = find("REJECTED", "/start");
      assert.equal(rejected.status, 200);
      assert.equal(rejected.upstreamCode, "66660017");
      assert.match(rejected.detail, /UPSTREAM-DETAIL/);
      for (const e of errors) {
        assert.deepEqual(Object.keys(e).sort(), ["code", "detail", "durationMs", "method", "route", "status", "type", ...(e.upstreamCode ? ["upstreamCode"] : [])].sort(), JSON.stringify(e));
        assert.ok(e.durationMs >= 0);
      }
      // One request event per request, with its route (null when none matched).
      await call("/faceid/nothing");
      const ok = await start();
      assert.equal(ok.status, 200);
      const requests = (await events()).filter((e) => e.type === "request");
      assert.deepEqual(requests.map(({ route, method, status, error }) => ({ route, method, status, error })), [
        { route: null, method: "GET", status: 404, error: "NOT_FOUND" },
        { route: "/start", method: "POST", status: 200, error: undefined },
      ]);
      assert.equal(typeof requests[1].durationMs, "number");
      // Nothing secret reached the hook either.
      const told = JSON.stringify(seenEvents);
      for (const v of [...secrets, ...t.sim.issuedValues()]) if (v && v.length >= 16) assert.ok(!told.includes(v), "an event carries a secret value");
    });

    test("result routes: 20 concurrent requests for one order make one upstream call; a final answer is kept a few seconds, per user", async () => {
      const { start: s } = await throughFacePage("pass");
      const syncs = (orderNo) => t.sim.requests({ orderNo, endpoint: "sync" }).length;
      const path = `/faceid/result?orderNo=${s.orderNo}`;
      const all = await Promise.all(Array.from({ length: 20 }, () => call(path, { token: s.orderToken })));
      for (const r of all) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, all[0].text);
      }
      assert.equal(all[0].json.result.idNo, "1101**********002X");
      assert.equal(syncs(s.orderNo), 1, "20 concurrent requests, one query");
      // A final answer, from memory: no new query.
      assert.equal((await call(path, { token: s.orderToken })).text, all[0].text);
      assert.equal(syncs(s.orderNo), 1);
      // Never across users: bob, with a token of his own for the same order, gets his own query.
      const bob = await call(`/test/issue?kind=face&orderNo=${s.orderNo}&userId=bob`);
      assert.equal((await call(path, { token: bob.json.orderToken, user: "bob" })).status, 200);
      assert.equal(syncs(s.orderNo), 2);
      // Nor across route kinds: a liveness token for the same order number.
      const live = await call(`/test/issue?kind=live&orderNo=${s.orderNo}&userId=alice`);
      assert.equal((await call(`/faceid/live/result?orderNo=${s.orderNo}`, { token: live.json.orderToken })).status, 200);
      assert.equal(t.sim.requests({ orderNo: s.orderNo, endpoint: "getLiveResult" }).length, 1);
      // A token that does not open the order is refused before the memory is looked at.
      assert.equal((await call(path, { token: s.orderToken, user: "bob" })).status, 403);

      // Answers that are not final are never kept: busy, no result yet.
      t.sim.setOrder("busy001", { fault: { type: "busy", code: "999999", times: 1000 } });
      const busy = await call("/test/issue?kind=bankcard&orderNo=busy001&userId=alice");
      const busyPath = "/faceid/ocr/bankcard/result?orderNo=busy001";
      for (let i = 0; i < 2; i++) {
        const r = await call(busyPath, { token: busy.json.orderToken });
        assert.equal(r.json.code, "999999");
      }
      // retries: 1, so two attempts per request.
      assert.equal(t.sim.requests({ orderNo: "busy001" }).length, 4);
      t.sim.setOrder("none001", { code: "66660020" });
      const none = await call("/test/issue?kind=bankcard&orderNo=none001&userId=alice");
      for (let i = 0; i < 2; i++) {
        assert.equal((await call("/faceid/ocr/bankcard/result?orderNo=none001", { token: none.json.orderToken })).json.code, "66660020");
      }
      assert.equal(t.sim.requests({ orderNo: "none001" }).length, 2);

      // resultCacheMs: 300 on /short: kept 300 ms, then asked again; 0 on /slow: never kept.
      const short = await start("alice", {}, "/short");
      await t.sim.passFacePage(short.json.url, "pass");
      const shortPath = `/short/result?orderNo=${short.json.orderNo}`;
      await call(shortPath, { token: short.json.orderToken });
      await call(shortPath, { token: short.json.orderToken });
      assert.equal(syncs(short.json.orderNo), 1);
      await sleep(350);
      await call(shortPath, { token: short.json.orderToken });
      assert.equal(syncs(short.json.orderNo), 2);
      const slowPath = `/slow/result?orderNo=${s.orderNo}`;
      const before = syncs(s.orderNo);
      await call(slowPath, { token: s.orderToken });
      await call(slowPath, { token: s.orderToken });
      assert.equal(syncs(s.orderNo), before + 2);
    });

    test("rateLimit: a refusal is 429 RATE_LIMITED with Retry-After and no upstream call; the hook sees the route and the user", async () => {
      const limits = async (clear = false) => (await call(`/test/limits${clear ? "?clear=1" : ""}`)).json.seen;
      await limits(true);
      const advs = () => t.sim.requests({ endpoint: "getAdvFaceId" }).length;
      const post = (path, user = "alice", headers = {}) =>
        call(path, { method: "POST", user, headers: { "content-type": "application/json", ...headers } });
      assert.equal((await post("/limited/start")).status, 200);
      assert.equal((await post("/limited/start")).status, 200);
      const before = advs();
      const refused = await post("/limited/start");
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.json.error.code, "RATE_LIMITED");
      assert.equal(refused.headers.get("retry-after"), "2", "1500 ms, rounded up to whole seconds");
      // A page on an allowed origin may read Retry-After.
      const cross = await call("/limited/start", { method: "POST", origin: "https://h5.example.com", headers: { "content-type": "application/json" } });
      assert.equal(cross.status, 429);
      assert.equal(cross.headers.get("access-control-expose-headers"), "retry-after");
      assert.equal(cross.headers.get("access-control-allow-origin"), "https://h5.example.com");
      assert.equal(advs(), before, "no getAdvFaceId for a refused start");
      // Another user has a budget of their own.
      assert.equal((await post("/limited/start", "bob")).status, 200);
      const seen = await limits(true);
      assert.deepEqual(seen.map((x) => [x.route, x.userId, x.hasRequest]),
        [["start", "alice", true], ["start", "alice", true], ["start", "alice", true], ["start", "alice", true], ["start", "bob", true]]);

      // A hook that cannot be asked refuses (fail closed); its error never shows.
      for (const mode of ["throw", "reject", "hang", "junk", "false"]) {
        const began = Date.now();
        const r = await post("/limited/start", "alice", { "x-limit": mode });
        assert.equal(r.status, 429, `${mode}: ${r.text}`);
        assert.equal(r.json.error.code, "RATE_LIMITED");
        assert.equal(r.headers.get("retry-after"), null, mode);
        if (mode !== "false") {
          const why = (await events()).filter((e) => e.type === "error" && e.code === "RATE_LIMITED").map((e) => e.detail).join("\n");
          assert.match(why, /fail closed/, mode);
        }
        assert.ok(!r.text.includes("limiter down"), `${mode}: the hook's message shows`);
        if (mode === "hang") assert.ok(Date.now() - began >= 4900 && Date.now() - began < 15_000, `hang: ${Date.now() - began} ms`);
      }
      assert.equal(advs(), before + 1, "only bob's start reached the service");

      // The upload route asks before it reads the body.
      const ocr = await call("/limited/ocr/idcard", {
        method: "POST", headers: { "content-type": "application/json", "x-limit": "false" },
        body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
      });
      assert.equal(ocr.status, 429);
      // The callback: no user.
      const { callback } = await throughFacePage("pass");
      await limits(true);
      assert.equal((await call(`/limited/callback${callback.search}`, { headers: { "x-limit": "allow" } })).status, 303);
      assert.deepEqual((await limits(true)).map((x) => [x.route, x.userId]), [["callback", null]]);

      // A result route asks once per query: not for an answer from memory.
      const { start: s } = await throughFacePage("pass");
      const path = `/limited/result?orderNo=${s.orderNo}`;
      assert.equal((await call(path, { token: s.orderToken })).status, 200);
      assert.equal((await call(path, { token: s.orderToken })).status, 200);
      assert.deepEqual((await limits(true)).map((x) => [x.route, x.userId]), [["result", "alice"]]);
      assert.equal(t.sim.requests({ orderNo: s.orderNo, endpoint: "sync" }).length, 1);
      const refusedResult = await call(`/limited/result?orderNo=${s.orderNo}`, { token: s.orderToken, headers: { "x-limit": "false" } });
      assert.equal(refusedResult.status, 200, "served from memory, the hook not asked");
      const { start: s2 } = await throughFacePage("pass");
      const r2 = await call(`/limited/result?orderNo=${s2.orderNo}`, { token: s2.orderToken, headers: { "x-limit": "false" } });
      assert.equal(r2.status, 429);
      assert.equal(t.sim.requests({ orderNo: s2.orderNo, endpoint: "sync" }).length, 0);
    });

    test("bodies: a body that trickles in is cut with 408 BODY_TIMEOUT; /start's body is held to the small limit; maxImageBytes", async (tc) => {
      // bodyTimeoutMs 300, then at least 1 KB a second: a byte every 100 ms is cut after about 300 ms.
      const times = [];
      for (const [path, length] of [["/slow/ocr/idcard", 4000], ["/slow/ocr/idcard", undefined], ["/slow/start", 500], ["/slow/sdk/start", 500]]) {
        const r = await trickle(path, { length, first: 2 });
        assert.equal(r.status, 408, `${path}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error.code, "BODY_TIMEOUT");
        assert.ok(r.ms >= 250 && r.ms < 3000, `${path} answered after ${r.ms} ms`);
        times.push(`${path} ${length === undefined ? "chunked" : "with Content-Length"}: ${r.ms} ms`);
      }
      tc.diagnostic(`408 after: ${times.join("; ")}`);
      // Fast enough (2 KB a second, over the 1 KB minimum) is read to the end: 1000 spaces are no JSON.
      const steady = await trickle("/slow/start", { length: 1000, first: 100, chunk: 100, everyMs: 50 });
      assert.equal(steady.status, 400, JSON.stringify(steady.json));
      assert.equal(steady.json.error.code, "INVALID_BODY");
      assert.ok(steady.ms >= 400, `${steady.ms} ms`);
      // /start reads at most 16 KB: a large body is refused, by Content-Length (30 MB) or as it
      // streams (16 KB chunks, paced so that the answer arrives before the next write).
      const big = await upload("/faceid/start", { total: 30 << 20, withLength: true });
      const streamed = await trickle("/faceid/start", { chunk: 16 * 1024, everyMs: 50 });
      for (const r of [big, streamed]) {
        assert.equal(r.status, 413, JSON.stringify(r.json));
        assert.equal(r.json.error.code, "BODY_TOO_LARGE");
      }
      // maxImageBytes 4096 on /slow: a larger image is refused, as JSON or as a file.
      const image = Buffer.concat([JPEG, Buffer.alloc(4000, 1)]);
      const json = await call("/slow/ocr/idcard", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ cardType: "portrait", image: image.toString("base64") }),
      });
      assert.equal(json.status, 413, json.text);
      assert.equal(json.json.error.code, "IMAGE_TOO_LARGE");
      // The page gets the fixed message; the operator's onEvent the limit that refused it.
      const refusedBy = (await events()).filter((e) => e.type === "error" && e.code === "IMAGE_TOO_LARGE").map((e) => e.detail).join("\n");
      assert.match(refusedBy, /maxImageBytes/);
      const form = new FormData();
      form.set("cardType", "portrait");
      form.set("image", new Blob([image], { type: "image/jpeg" }), "card.jpg");
      const multi = await call("/slow/ocr/idcard", { method: "POST", body: form, origin: t.url });
      assert.equal(multi.status, 413, multi.text);
      assert.equal(multi.json.error.code, "IMAGE_TOO_LARGE");
      const small = await call("/slow/ocr/idcard", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
      });
      assert.equal(small.status, 200, small.text);
    });

    test("nothing secret in any answer: no secret, ticket, access token, key, full ID number or photo", async () => {
      assert.ok(seen.length > 50, `only ${seen.length} answers seen`);
      const values = new Set([...secrets, ...t.sim.issuedValues()]);
      assert.ok(t.sim.issuedValues().length >= 3, "tokens and tickets were issued");
      for (const { path, status, headers, text } of seen) {
        // The reveal handler shows what its operator asked for (the full ID number, photos).
        if (path.startsWith("/reveal/")) continue;
        const all = `${headers}\n${text}`;
        for (const v of values) {
          if (v && v.length >= 16) assert.ok(!all.includes(v), `${path} (${status}) shows a secret value`);
        }
        assert.doesNotMatch(all, /\/9j\/|iVBORw0KGgo/, `${path} shows a photo`);
      }
    });

    test("no answer lets every origin read it (access-control-allow-origin: *), the uploads' 413s included", () => {
      assert.ok(seen.filter((s) => s.status === 413).length >= 2, "the uploads' answers were kept");
      for (const { path, status, headers } of seen) assert.doesNotMatch(headers, ANY_ORIGIN, `${path} (${status})`);
    });
  });
}
