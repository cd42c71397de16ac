// The edge handler's tests of who may trust what, part of the shared edge
// suite (lib/edge-suite.mjs, run in Node and in workerd):
//
// - onStart and onResult: the operator's backend learns which user owns
//   which order before the start answers, and what the service answered,
//   untrimmed, without believing anything a page says;
// - order tokens: bound to an audience (one handler's token never opens
//   another that shares the key), capped by the checking handler's own
//   lifetime, keys rotating; verifyOrderToken in the operator's own route;
// - the callback: bound to its start by a signed, expiring state, so that
//   an old, edited or shifted callback is refused, and the redirect carries
//   the order number and never the face page's code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { signValues } from "../../sim/index.mjs";

/**
 * Registers the tests inside the suite's `describe`.
 * @param {{ t: () => any, call: Function, start: Function, throughFacePage: Function, JPEG: Buffer }} h
 *   `t()`: the suite's target ({ url, sim }); `call`, `start`, `throughFacePage`: the suite's helpers;
 *   `JPEG`: an image the simulator's OCR reads
 */
export function trustTests({ t, call, start, throughFacePage, JPEG }) {
  /** A start's request: JSON, as the handler requires (a cross-site form cannot send it). */
  const JSON_POST = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
  /**
   * The detail of the errors onEvent was told since the last look: the answers carry a fixed
   * message per code, the operator's hook the reason.
   */
  const details = async () => (await call("/test/events")).json.filter((e) => e.type === "error").map((e) => e.detail).join("\n");

  /** What onStart and onResult recorded for `orderNo` (null when nothing). */
  const recorded = async (orderNo) => (await call(`/test/orders?orderNo=${orderNo}`)).json;

  /** Waits (onResult may run after the answer, through ctx.waitUntil) until `orderNo` has `n` results recorded. */
  async function results(orderNo, n = 1) {
    for (let i = 0; i < 100; i++) {
      const r = await recorded(orderNo);
      if ((r?.results.length ?? 0) >= n) return r.results;
      await sleep(20);
    }
    assert.fail(`onResult recorded fewer than ${n} results for ${orderNo}: ${JSON.stringify(await recorded(orderNo))}`);
  }

  test("onStart: the owner is recorded before /start and /sdk/start answer; a throw or a hang fails the start with 500 INTERNAL and no token", async () => {
    const s = await start();
    assert.equal(s.status, 200, s.text);
    // Awaited before the answer: recorded already, with the request.
    assert.deepEqual((await recorded(s.json.orderNo))?.start, { kind: "face", userId: "alice", request: true });
    const sdk = await call("/faceid/sdk/start", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "liveness" }),
    });
    assert.equal(sdk.status, 200, sdk.text);
    assert.deepEqual((await recorded(sdk.json.orderNo))?.start, { kind: "live", userId: "alice", request: true });

    // The store refuses erin's orders: no token, no order at the service, nothing of the hook's message.
    const before = t().sim.faces().length;
    for (const path of ["/faceid/start", "/faceid/sdk/start"]) {
      const r = await call(path, {
        method: "POST", user: "erin", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "face" }),
      });
      assert.equal(r.status, 500, `${path}: ${r.text}`);
      assert.equal(r.json.error.code, "INTERNAL");
      assert.match(await details(), /onStart/);
      assert.doesNotMatch(r.text, /hunter2|store is down|orderToken/);
    }
    assert.equal(t().sim.faces().length, before, "no face check started for erin");
    assert.ok(!t().sim.requests({ endpoint: "getAdvFaceId" }).some((e) => e.body?.userId === "erin"));

    // An onStart that never settles: refused after the client's timeoutMs (300 ms there).
    const began = Date.now();
    const hang = await call("/hang/start", JSON_POST);
    assert.equal(hang.status, 500, hang.text);
    assert.equal(hang.json.error.code, "INTERNAL");
    assert.match(await details(), /did not settle within 300 ms/);
    assert.ok(Date.now() - began < 5000);
    assert.equal(hang.json.orderToken, undefined);
  });

  test("onResult: each final answer, untrimmed, with the token's user; never a busy one; its failure never changes the page's answer", async () => {
    const { start: s } = await throughFacePage("pass");
    const r = await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.idNo, "1101**********002X");
    const [first] = await results(s.orderNo);
    // The page got the masked ID number; the hook the full one.
    assert.deepEqual(first, { kind: "face", userId: "alice", ok: true, code: "0", filesPending: false, idNoMasked: false, photoLength: 0 });
    // Once per answer the service gave: asked again within resultCacheMs (3 s), the page is
    // answered from the handler's memory and the hook is not told again.
    assert.equal((await call(`/faceid/result?orderNo=${s.orderNo}`, { token: s.orderToken })).status, 200);
    await sleep(100);
    assert.equal((await recorded(s.orderNo)).results.length, 1, "a remembered answer reached onResult again");

    // A failed verification is a final answer too.
    const { start: f } = await throughFacePage("fail");
    assert.equal((await call(`/faceid/result?orderNo=${f.orderNo}`, { token: f.orderToken })).json.code, "400604");
    const [failed] = await results(f.orderNo);
    assert.deepEqual([failed.ok, failed.code, failed.userId], [false, "400604", "alice"]);

    // The ID card OCR upload's own answer and its result route.
    const ocr = await call("/faceid/ocr/idcard", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
    });
    assert.equal(ocr.status, 200, ocr.text);
    const [upload] = await results(ocr.json.orderNo);
    assert.deepEqual([upload.kind, upload.userId, upload.ok], ["idcard", "alice", true]);

    // Busy to the end (retries exhausted): not final, not told.
    t().sim.setOrder("trustbusy01", { fault: { type: "busy", code: "999999", times: 50 } });
    const busyToken = (await call("/test/issue?kind=bankcard&orderNo=trustbusy01&userId=alice")).json.orderToken;
    const busy = await call("/faceid/ocr/bankcard/result?orderNo=trustbusy01", { token: busyToken });
    assert.equal(busy.status, 200, busy.text);
    assert.equal(busy.json.code, "999999");
    await sleep(200);
    assert.equal(await recorded("trustbusy01"), null, "a busy answer reached onResult");

    // bob's onResult rejects: bob's page is answered all the same.
    const b = await throughFacePage("pass", "bob");
    const br = await call(`/faceid/result?orderNo=${b.start.orderNo}`, { token: b.start.orderToken, user: "bob" });
    assert.equal(br.status, 200, br.text);
    assert.equal(br.json.ok, true);
  });

  test("order tokens: v2, bound to the audience, capped by the checking handler's lifetime, keys rotating", async () => {
    const { start: s } = await throughFacePage("pass");
    assert.match(s.orderToken, /^v2\.\d+\.[A-Za-z0-9_-]{43}$/);
    const read = (prefix, token, user = "alice") => call(`${prefix}/result?orderNo=${s.orderNo}`, { token, user });
    assert.equal((await read("/faceid", s.orderToken)).status, 200);

    // A /faceid token never opens /reveal (which shows the full ID number and the photo), though they share the key.
    const reveal = await read("/reveal", s.orderToken);
    assert.equal(reveal.status, 403, reveal.text);
    assert.equal(reveal.json.error.code, "FORBIDDEN");
    assert.doesNotMatch(reveal.text, /11010519491231002X/);

    // /minute shares the audience but lets tokens live one minute: the 30-minute token is refused there.
    const minute = await read("/minute", s.orderToken);
    assert.equal(minute.status, 403, minute.text);
    assert.match(await details(), /longer/);
    // Its own tokens open it, and /faceid too (same audience, well within 30 minutes).
    const own = await call("/minute/start", JSON_POST);
    assert.equal(own.status, 200, own.text);
    assert.ok(own.json.expiresAt <= Date.now() + 61_000);
    await t().sim.passFacePage(own.json.url, "pass");
    for (const prefix of ["/minute", "/faceid"]) {
      const r = await call(`${prefix}/result?orderNo=${own.json.orderNo}`, { token: own.json.orderToken });
      assert.equal(r.status, 200, `${prefix}: ${r.text}`);
    }

    // Key rotation: /rotated signs with a new key and still opens tokens of the old one.
    assert.equal((await read("/rotated", s.orderToken)).status, 200);
    const next = await call("/rotated/start", JSON_POST);
    assert.equal(next.status, 200, next.text);
    await t().sim.passFacePage(next.json.url, "pass");
    assert.equal((await call(`/rotated/result?orderNo=${next.json.orderNo}`, { token: next.json.orderToken })).status, 200);
    // A handler that has only the old key refuses the new key's tokens.
    assert.equal((await call(`/faceid/result?orderNo=${next.json.orderNo}`, { token: next.json.orderToken })).status, 403);
  });

  test("verifyOrderToken in the operator's own route: the verdict for its order, user, audience and lifetime; a typed error otherwise", async () => {
    const s = (await start()).json;
    const verify = (query, token = s.orderToken) =>
      call(`/test/verify?kind=face&orderNo=${s.orderNo}&${query}`, { token });
    const ok = await verify("userId=alice");
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.verdict, { kind: "face", orderNo: s.orderNo, userId: "alice", audience: "/faceid", expiresAt: s.expiresAt });
    assert.equal((await verify("userId=alice&key=rotated")).json.verdict?.orderNo, s.orderNo);
    for (const [query, code] of [
      ["userId=bob", "FORBIDDEN"],
      ["", "FORBIDDEN"], // minted for alice
      ["userId=alice&audience=/reveal", "FORBIDDEN"],
      ["userId=alice&tokenTtlMs=60000", "FORBIDDEN"],
      ["userId=alice&audience=a%0Ab", "INVALID_OPTION"],
      ["userId=a_b", "INVALID_USER_ID"],
    ]) {
      const r = await verify(query);
      assert.equal(r.json.error?.code, code, `${query}: ${r.text}`);
    }
    assert.equal((await call(`/test/verify?kind=live&orderNo=${s.orderNo}&userId=alice`, { token: s.orderToken })).json.error?.code, "FORBIDDEN");
    assert.equal((await call(`/test/verify?kind=face&orderNo=other1&userId=alice`, { token: s.orderToken })).json.error?.code, "FORBIDDEN");
    assert.equal((await call(`/test/verify?kind=face&orderNo=${s.orderNo}&userId=alice`)).json.error?.code, "UNAUTHORIZED");
    assert.equal((await verify("userId=alice", "v1.1.forged")).json.error?.code, "FORBIDDEN");
  });

  test("the callback: a signed, expiring state bound to the order and the user; the redirect carries the order number, never the code", async () => {
    const { start: s, callback } = await throughFacePage("pass");
    // The callback URL given to the face page carries the state, and the face page kept it.
    const given = new URL(new URL(s.url).searchParams.get("url"));
    assert.equal(given.origin + given.pathname, `${t().url}/faceid/callback`);
    assert.match(given.searchParams.get("state"), /^s1\.\d+\.alice\.[A-Za-z0-9_-]{43}$/);
    assert.equal(callback.searchParams.get("state"), given.searchParams.get("state"));
    const ok = await call(callback.pathname + callback.search);
    assert.equal(ok.status, 303, ok.text);
    assert.equal(ok.headers.get("location"), `${t().url}/done.html?orderNo=${s.orderNo}`);
    // Signed out (a cookie the redirect did not carry): the state is enough.
    assert.equal((await call(callback.pathname + callback.search, { user: null })).status, 303);

    const refused = async (query, what, user = "alice") => {
      const r = await call(`/faceid/callback?${query}`, { user });
      assert.equal(r.status, 403, `${what}: ${r.text}`);
      assert.equal(r.json.error.code, "FORBIDDEN", what);
      assert.equal(r.headers.get("location"), null, what);
      return r;
    };
    const q = () => new URLSearchParams(callback.search);
    const without = q();
    without.delete("state");
    await refused(without, "no state");
    const edited = q();
    edited.set("state", edited.get("state").replace(/\.alice\./, ".bob."));
    await refused(edited, "a state moved to another user");
    const twice = `${q()}&state=${encodeURIComponent(q().get("state"))}`;
    await refused(twice, "two states");
    // Another order's genuine callback with this order's state.
    const other = await throughFacePage("pass");
    const swapped = new URLSearchParams(other.callback.search);
    swapped.set("state", q().get("state"));
    await refused(swapped, "another order's callback with this state");
    // Another signed-in user replaying alice's callback.
    await refused(q(), "bob with alice's callback", "bob");

    // Expired: /quickcb accepts the return for one second.
    const quick = await call("/quickcb/start", JSON_POST);
    assert.equal(quick.status, 200, quick.text);
    const back = new URL((await t().sim.passFacePage(quick.json.url, "pass")).location);
    assert.equal(back.pathname, "/quickcb/callback");
    assert.equal((await call(back.pathname + back.search)).status, 303);
    await sleep(1100);
    const late = await call(back.pathname + back.search);
    assert.equal(late.status, 403, late.text);
    assert.match(await details(), /expired/);
  });

  test("the callback: a boundary shift (orderNo=7A5B…&code=0 → orderNo=A5B…&code=07) keeps the face page's signature and is refused", async () => {
    const { appId } = t().sim;
    // An order number some of whose characters can cross into the face page's code (at its
    // end or its start) without changing the signature: the values are sorted and
    // concatenated, so it depends on the order number, the code and where the SIGN ticket
    // sorts. Seven codes the face page can come back with, one to three characters each way:
    // a few starts find one (in 3 000 random tickets, never more than 170).
    const outcomes = { 0: "pass", 400604: "fail", 3001: "3001", 3002: "3002", 3003: "3003", 3004: "3004", 300101: "300101" };
    const shiftOf = (o, ticket) => {
      for (const code of Object.keys(outcomes)) {
        const sign = signValues([appId, o, ticket, code]);
        for (let k = 1; k <= 3; k++) {
          for (const [orderNo, moved] of [[o.slice(k), code + o.slice(0, k)], [o.slice(0, -k), o.slice(-k) + code]]) {
            if (moved.length <= 32 && signValues([appId, orderNo, ticket, moved]) === sign) return { code, orderNo, moved };
          }
        }
      }
      return null;
    };
    let s = null;
    let shift = null;
    let starts = 0;
    while (!shift && starts < 600) {
      starts++;
      const r = await start();
      assert.equal(r.status, 200, r.text);
      s = r.json;
      shift = shiftOf(s.orderNo, t().sim.ticket);
    }
    assert.ok(shift, `no order number shifts in ${starts} starts`);
    const page = await t().sim.passFacePage(s.url, outcomes[shift.code]);
    assert.equal(page.status, 302, page.body);
    const genuine = new URL(page.location);
    assert.equal(genuine.searchParams.get("code"), shift.code);
    const sign = genuine.searchParams.get("newSignature");
    assert.equal(sign, signValues([appId, shift.orderNo, t().sim.ticket, shift.moved]), "the shifted values sign alike");
    const shifted = new URLSearchParams(genuine.search);
    shifted.set("orderNo", shift.orderNo);
    shifted.set("code", shift.moved);
    const r = await call(`/faceid/callback?${shifted}`);
    assert.equal(r.status, 403, `${JSON.stringify(shift)} after ${starts} starts: ${r.text}`);
    assert.equal(r.json.error.code, "FORBIDDEN");
    assert.match(await details(), /state/);
    assert.equal((await call(genuine.pathname + genuine.search)).status, 303);
  });
}
