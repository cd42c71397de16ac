// The plain-JavaScript trimming of a face result, as createEdgeHandler trims
// it (crates/faceid-edge-core/src/edge.rs, src/wasm/edge.rs): the envelope's
// code and msg, the order number, and of the payload only name (first
// character and "*"), idNo (first and last four characters), idType and
// occurredTime (the scores only when revealed), then the `reveal`ed fields as they
// are. Used by the plain Worker (bench/plain-edge-worker.js) and by the
// plain side of bench/large.mjs.
const encoder = new TextEncoder();

const text = (v) => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? JSON.stringify(v) : undefined);
const utf8Length = (s) => encoder.encode(s).length;

// Masks, as the handler's: names keep their first character, ID numbers their
// first and last four (at least 10 characters), anything else becomes stars.
function maskName(s) {
  const c = Array.from(s);
  return c.length > 1 ? `${c[0]}*` : "*".repeat(Math.min(c.length, 1));
}
function maskId(s) {
  const c = Array.from(s);
  return c.length >= 10 ? c.slice(0, 4).join("") + "*".repeat(c.length - 8) + c.slice(-4).join("") : "*".repeat(c.length);
}
const RULES = [["name", maskName], ["idNo", maskId], ["idType"], ["occurredTime"]];

/** `{ ok, code, msg, orderNo, result }` with the face result trimmed, as the handler answers. */
export function trim(top, orderNo, reveal = []) {
  const result = top.result && typeof top.result === "object" && !Array.isArray(top.result) ? top.result : undefined;
  const pick = (k) => text(Object.hasOwn(top, k) ? top[k] : undefined) ?? text(result && Object.hasOwn(result, k) ? result[k] : undefined);
  const code = pick("code");
  if (code === undefined) return null;
  const msg = pick("msg") ?? "";
  if (code !== "0") return { ok: false, code, msg };
  const fromResult = (k) => (result && Object.hasOwn(result, k) ? result[k] : undefined);
  const fromTop = (k) => (Object.hasOwn(top, k) && !["code", "msg", "bizSeqNo", "transactionTime", "result", "success"].includes(k) ? top[k] : undefined);
  const trimmed = {};
  for (const [field, mask] of [...RULES, ...reveal.map((f) => [f])]) {
    const v = result && Object.hasOwn(result, field) ? result[field] : fromTop(field);
    if (v === undefined) continue;
    trimmed[field] = !mask ? v : typeof v === "string" && utf8Length(v) <= 256 ? mask(v) : null;
  }
  const answeredNo = text(fromResult("orderNo")) ?? text(Object.hasOwn(top, "orderNo") ? top.orderNo : undefined)
    ?? text(Object.hasOwn(top, "order_no") ? top.order_no : undefined) ?? orderNo;
  return { ok: true, code, msg, orderNo: answeredNo, result: trimmed };
}
