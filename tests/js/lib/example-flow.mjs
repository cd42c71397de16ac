// The whole flow every example in examples/ is driven through (the examples
// tests: examples.node, examples.next, examples.workers).
import assert from "node:assert/strict";
import { JPEG } from "./edge-suite.mjs";

/**
 * start → the face page → the callback → the result → ID card OCR uploads
 * (a small one, and 2 MB of base64), through the example app at `base`, with
 * `sim` (tests/sim) as the service and `x-user: alice` as the signed-in user.
 * The app's returnUrl is /done.html, a page that says "Verification finished".
 *
 * @param {{ passFacePage: (url: string, outcome: string) => Promise<{ location?: string }> }} sim
 * @param {string} base The app's origin, also its publicOrigin.
 */
export async function exampleFlow(sim, base) {
  const user = { "x-user": "alice" };
  // Nobody signed in: refused before any call.
  const anonymous = await fetch(`${base}/faceid/start`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(anonymous.status, 401, await anonymous.text());

  const s = await fetch(`${base}/faceid/start`, { method: "POST", headers: { ...user, "content-type": "application/json" }, body: JSON.stringify({}) });
  const start = await s.json();
  assert.equal(s.status, 200, JSON.stringify(start));
  assert.match(start.orderNo, /^\w+$/);

  const page = await sim.passFacePage(start.url, "pass");
  assert.ok(page.location, `the face page did not send the user back: ${JSON.stringify(page).slice(0, 300)}`);
  const back = new URL(page.location);
  // The way back is built on publicOrigin and reaches the handler's own callback route.
  assert.equal(back.origin, base);
  assert.equal(back.pathname, "/faceid/callback");

  const cb = await fetch(page.location, { redirect: "manual", headers: user });
  assert.equal(cb.status, 303, await cb.text());
  const done = new URL(/** @type {string} */ (cb.headers.get("location")), base);
  assert.equal(`${done.origin}${done.pathname}`, `${base}/done.html`);
  assert.equal(done.searchParams.get("orderNo"), start.orderNo);
  const donePage = await fetch(done);
  assert.equal(donePage.status, 200);
  assert.match(await donePage.text(), /Verification finished/);

  const auth = { ...user, authorization: `Bearer ${start.orderToken}` };
  const noToken = await fetch(`${base}/faceid/result?orderNo=${start.orderNo}`, { headers: user });
  assert.equal(noToken.status, 401, await noToken.text());
  const r = await fetch(`${base}/faceid/result?orderNo=${start.orderNo}`, { headers: auth });
  const verdict = await r.json();
  assert.equal(r.status, 200, JSON.stringify(verdict));
  assert.equal(verdict.ok, true);

  const o = await fetch(`${base}/faceid/ocr/idcard`, {
    method: "POST",
    headers: { ...user, "content-type": "application/json" },
    body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
  });
  const ocr = await o.json();
  assert.equal(o.status, 200, JSON.stringify(ocr));
  assert.equal(ocr.ok, true);
  assert.match(ocr.result.idcard, /^\d{4}\*{10}[\dX]{4}$/);

  // A phone photo of a card: megabytes of base64, well past a body parser's usual 100 kB.
  const photo = Buffer.concat([JPEG, Buffer.alloc(1536 << 10, 9)]).toString("base64");
  const big = await fetch(`${base}/faceid/ocr/idcard`, {
    method: "POST",
    headers: { ...user, "content-type": "application/json" },
    body: JSON.stringify({ cardType: "portrait", image: photo }),
  });
  const bigText = await big.text();
  assert.equal(big.status, 200, bigText.slice(0, 300));
  assert.equal(JSON.parse(bigText).ok, true);
}
