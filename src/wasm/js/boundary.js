// The JavaScript half of the faceid-edge WebAssembly boundary.
//
// Imported by the Rust `wasm` module (wasm-bindgen copies it into the
// package as a snippet). It holds the error class and the helpers that pack
// several strings into one, so that a call crosses into WebAssembly with one
// string instead of five. Lists use `<UTF-16 length>:<value>` per value (see
// src/packed.rs); sign options, whose fields never contain U+0000, are joined
// by it. Nothing here runs at module load.

/** The error thrown by every faceid-edge function. Branch on `code`. */
export class FaceIdError extends Error {
  constructor(code, message, options) {
    super(message);
    this.name = "FaceIdError";
    this.code = code;
    if (options && typeof options.status === "number") this.status = options.status;
    if (options && typeof options.upstreamCode === "string") this.upstreamCode = options.upstreamCode;
  }
}

// status: the HTTP status for HTTP_STATUS, 0 otherwise; upstreamCode: the
// service's business code for REJECTED, "" otherwise.
export function makeError(code, message, status, upstreamCode) {
  if (!status && !upstreamCode) return new FaceIdError(code, message);
  return new FaceIdError(code, message, {
    ...(status ? { status } : {}),
    ...(upstreamCode ? { upstreamCode } : {}),
  });
}

// ---- Own properties only -------------------------------------------------
//
// Another library may have added properties to Object.prototype: options and
// answers are read from their own properties only, and results are built by
// defining own data properties (an assignment to "__proto__" would replace the
// prototype instead).

// o[k] when k is an own property of o (an own getter is called), otherwise
// undefined. Throws what the getter throws.
function own(o, k) {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

export function ownValue(o, k) {
  return own(o, k);
}

// Defines k on o as an own writable, enumerable, configurable data property.
// When neither o nor its prototypes have k (o is an object this package just
// made, whose prototype is Object.prototype or null), a plain assignment
// creates exactly that and runs no setter: no polluted Object.prototype key
// can intercept it, since such a key would be "in" o. Otherwise (k is
// "__proto__", or a key someone added to Object.prototype) defineProperty
// with a descriptor that has no prototype, so that a polluted
// Object.prototype.get cannot turn it into an accessor. The descriptor is
// reused: defineProperty copies it, and this function is on the path of
// every answer (a dozen or more properties each).
const valueDescriptor = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
export function defineValue(o, k, v) {
  if (!(k in o)) {
    o[k] = v;
    return;
  }
  valueDescriptor.value = v;
  Object.defineProperty(o, k, valueDescriptor);
  valueDescriptor.value = undefined;
}

// appId, orderNo, ticket, nonce[, version], joined by U+0000 (which no valid
// field contains: Rust falls back to a field-by-field check when the count is
// off). undefined when any field has the wrong type or the fields together
// are longer than `max` (Rust then explains which, reading the lengths
// first: nothing oversized is ever copied into wasm memory); version is left
// out when absent so that Rust applies its default.
export function packSignOptions(o, max) {
  try {
    if (o === null || typeof o !== "object") return undefined;
    const a = own(o, "appId"), b = own(o, "orderNo"), t = own(o, "ticket"), n = own(o, "nonce"), v = own(o, "version");
    if (typeof a !== "string" || typeof b !== "string" || typeof t !== "string" || typeof n !== "string") {
      return undefined;
    }
    if (a.length + b.length + t.length + n.length + (typeof v === "string" ? v.length : 0) > max) return undefined;
    const head = a + "\0" + b + "\0" + t + "\0" + n;
    if (v !== undefined && v !== null && typeof v !== "string") return undefined;
    const packed = v === undefined || v === null ? head : head + "\0" + v;
    // A U+0000 inside a field would shift the fields: let Rust name it.
    const fields = v === undefined || v === null ? 4 : 5;
    return packed.split("\0").length === fields ? packed : undefined;
  } catch {
    // A throwing getter: Rust reads the fields again, safely, to say which.
    return undefined;
  }
}

// Strings kept, null and undefined dropped; undefined for anything else, and
// when the strings total more than `max` characters (checked before any is
// packed).
export function packValues(list, max) {
  try {
    if (!Array.isArray(list)) return undefined;
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (typeof v === "string" && ((total += v.length) > max || !wellFormed(v))) return undefined;
    }
    let out = "";
    for (let i = 0; i < list.length; i++) {
      // A hole is dropped, never filled from the prototype chain.
      const v = Object.hasOwn(list, i) ? list[i] : undefined;
      if (typeof v === "string") out += v.length + ":" + v;
      else if (v !== null && v !== undefined) return undefined;
    }
    return out;
  } catch {
    return undefined;
  }
}

// Object.keys(o) packed as packValues packs them (one crossing instead of
// one per key); undefined when a key has a lone surrogate (Rust then reads
// the keys one by one, as before).
export function packKeys(o) {
  return packValues(Object.keys(o), 0x7fffffff);
}

// The payload of a QueryResult in one crossing: `plan` is packed as
// packValues packs, each value a source letter ("r": `result`, otherwise
// `top`) followed by the key. Each key is read as an own property of its
// source (undefined when it is not one, or its getter throws) and defined on
// `payload` with defineValue, in the plan's order.
export function copyPayload(payload, top, result, plan) {
  let i = 0;
  while (i < plan.length) {
    const colon = plan.indexOf(":", i);
    const end = colon + 1 + Number(plan.slice(i, colon));
    const key = plan.slice(colon + 2, end);
    const from = plan.charCodeAt(colon + 1) === 0x72 ? result : top;
    let v;
    try {
      v = own(from, key);
    } catch {
      v = undefined;
    }
    defineValue(payload, key, v);
    i = end;
  }
}

// A QueryResult, built in one crossing. An object literal defines own data
// properties (never a setter of Object.prototype), as defineValue does, in
// this order. bizSeqNo and transactionTime: null when absent.
export function queryResult(ok, code, msg, bizSeqNo, transactionTime, orderNo, result, codeInfo, filesPending) {
  return {
    ok, code, msg, bizSeqNo: bizSeqNo ?? null, transactionTime: transactionTime ?? null, orderNo, result, codeInfo,
    filesPending,
  };
}

// codeInfo()'s `{ kind, en, zh, retryable }`, in one crossing.
export function codeInfoObject(kind, en, zh, retryable) {
  return { kind, en, zh, retryable };
}

export function describeType(v) {
  if (v === null) return "null";
  if (isArray(v)) return "array";
  return typeof v;
}

// Array.isArray that never throws (it throws on a revoked Proxy).
export function isArray(v) {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

// Whether `s` is a string with no lone surrogate (which no UTF-8 text can
// carry: it would be replaced by U+FFFD, silently changing a signature).
export function wellFormed(s) {
  if (typeof s !== "string") return true;
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/.test(s);
}

// ---- The sign() fast lane ------------------------------------------------
//
// sign() is called once per request with the same appId, ticket and version
// and a new orderNo and nonce. The entries' sign() calls signLane first: it
// writes the fields as ASCII straight into a scratch buffer that Rust owns
// (src/wasm/fast_sign.rs) and makes one call into WebAssembly with their
// lengths, numbers only; the 40 signature bytes come back in the same buffer.
// The unchanged fields (compared with ===) are not written again: Rust keeps
// the copy it validated on the last signed call. Layout:
//   orderNo nonce [appId ticket [version]]
// undefined (nothing signed) when anything is unusual: a wrong type, a
// throwing getter, a field that is empty, not ASCII or too long, or Rust
// refused a field; the caller then takes the general path, which reports
// the precise error.

let memory = null;
let bytes = null;
let lastAppId, lastTicket, lastVersion;
// The scratch buffer's address in the current instance (0: not asked yet),
// and the two exports of the glue (set by the entry's module).
let scratch = 0;
let scratchExport = null;
let laneExport = null;

export function bindMemory(m) {
  memory = m;
  bytes = new Uint8Array(m.buffer);
}

/** Hands over the glue's `__signScratch` and `__signLane` (the entry's module, once). */
export function setSignLane(scratchFn, laneFn) {
  scratchExport = scratchFn;
  laneExport = laneFn;
}

// Writes s at p as ASCII: false when a character is not ASCII.
function put(m, p, s) {
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    m[p + i] = c;
  }
  return true;
}

// Room in the scratch buffer (SCRATCH in src/wasm/fast_sign.rs).
const SCRATCH = 512;

export function signLane(o) {
  if (o === null || typeof o !== "object") return undefined;
  let a, b, t, n, v;
  try {
    a = own(o, "appId"); b = own(o, "orderNo"); t = own(o, "ticket"); n = own(o, "nonce"); v = own(o, "version");
  } catch {
    return undefined;
  }
  if (typeof a !== "string" || typeof b !== "string" || typeof t !== "string" || typeof n !== "string") {
    return undefined;
  }
  if (v === null) v = undefined;
  else if (v !== undefined && (typeof v !== "string" || v.length === 0)) return undefined;
  const same = a === lastAppId && t === lastTicket && v === lastVersion;
  const bl = b.length, nl = n.length;
  let total = bl + nl;
  if (!same) {
    if (a.length === 0) return undefined;
    total += a.length + t.length + (v === undefined ? 0 : v.length);
  }
  if (total > SCRATCH) return undefined;
  if (scratch === 0) {
    scratch = scratchExport();
    if (scratch === 0) return undefined;
  }
  // The buffer is detached (byteLength 0) after the memory grows.
  if (bytes.byteLength === 0) bytes = new Uint8Array(memory.buffer);
  const m = bytes, p = scratch;
  if (!put(m, p, b) || !put(m, p + bl, n)) return undefined;
  let status;
  if (same) {
    status = laneExport(bl, nl, 0, 0, 0);
  } else {
    const q = p + bl + nl, al = a.length, tl = t.length;
    if (!put(m, q, a) || !put(m, q + al, t) || (v !== undefined && !put(m, q + al + tl, v))) return undefined;
    status = laneExport(bl, nl, al, tl, v === undefined ? 0 : v.length);
  }
  if (status !== 0) {
    forgetSignOptions();
    return undefined;
  }
  if (!same) {
    lastAppId = a;
    lastTicket = t;
    lastVersion = v;
  }
  return readSign(p);
}

export function forgetSignOptions() {
  lastAppId = lastTicket = lastVersion = undefined;
}

// The 40 hex characters Rust wrote at `p`, as a string. Cheaper than the
// general UTF-8 decoder for such a short ASCII string.
function readSign(p) {
  if (bytes.byteLength === 0) bytes = new Uint8Array(memory.buffer);
  const m = bytes;
  return String.fromCharCode(
    m[p], m[p + 1], m[p + 2], m[p + 3], m[p + 4], m[p + 5], m[p + 6], m[p + 7], m[p + 8], m[p + 9],
    m[p + 10], m[p + 11], m[p + 12], m[p + 13], m[p + 14], m[p + 15], m[p + 16], m[p + 17], m[p + 18], m[p + 19],
    m[p + 20], m[p + 21], m[p + 22], m[p + 23], m[p + 24], m[p + 25], m[p + 26], m[p + 27], m[p + 28], m[p + 29],
    m[p + 30], m[p + 31], m[p + 32], m[p + 33], m[p + 34], m[p + 35], m[p + 36], m[p + 37], m[p + 38], m[p + 39],
  );
}

// ---- Large ASCII strings into wasm memory -------------------------------
//
// Base64 media is megabytes of ASCII. The generic string transfer copies it
// one character at a time; TextEncoder.encodeInto does it natively.
let encoder = null;

/** The string's length in UTF-16 code units (= bytes when it is ASCII). */
export function stringLength(s) {
  return s.length;
}

/**
 * The length of base64 text once cleaned the way Rust cleans it (a
 * `data:…,` prefix and ASCII whitespace removed), counted without copying
 * anything, so that an oversized image is refused before it reaches wasm
 * memory.
 */
export function base64Length(s) {
  let i = 0;
  if (s.startsWith("data:")) {
    const comma = s.indexOf(",");
    i = comma < 0 ? s.length : comma + 1;
  }
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) n++;
  }
  return n;
}

/**
 * Writes `s` as UTF-8 at `ptr` (room for `cap` bytes): the number of bytes
 * written, or -1 when it did not all fit (it was not ASCII).
 */
export function writeString(s, ptr, cap) {
  if (bytes.byteLength === 0 || bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
  encoder ??= new TextEncoder();
  const { read, written } = encoder.encodeInto(s, bytes.subarray(ptr, ptr + cap));
  return read === s.length ? written : -1;
}

/**
 * Writes `s.slice(start, end)` as UTF-8 at `ptr` (room for `cap` bytes): the
 * number of bytes written, or -1 when it did not all fit. A piece of a long
 * string crosses into wasm memory without the whole of it.
 */
export function writeStringSlice(s, start, end, ptr, cap) {
  return writeString(s.slice(start, end), ptr, cap);
}

// ---- Images as bytes ------------------------------------------------------
//
// An ID card image, once cleaned or encoded (src/wasm/image.rs), is base64
// text kept as ASCII bytes in a Uint8Array: outside the JavaScript heap, and
// never whole in wasm memory. Each attempt's body is its own Uint8Array.

/** `head` + the image's bytes + `tail`, as one Uint8Array body. */
export function joinBody(head, image, tail) {
  encoder ??= new TextEncoder();
  const h = encoder.encode(head);
  const t = encoder.encode(tail);
  const out = new Uint8Array(h.length + image.length + t.length);
  out.set(h, 0);
  out.set(image, h.length);
  out.set(t, h.length + image.length);
  return out;
}

/** UTF-8 bytes as a string (a body for callers that asked for text). */
export function bytesText(b) {
  return new TextDecoder().decode(b);
}

// ---- Watching another task's promise -------------------------------------
//
// A flight's promise belongs to the request that runs it. Awaiting it from
// another request would run the waiter's continuation in the first
// request's context (workerd then cancels the waiter as hung, or refuses
// its I/O). Waiters instead watch it: the reaction below only records the
// outcome, and the waiter checks the record on its own timers.

// { settled: 0 } now; 1 once `p` fulfils, 2 once it rejects.
export function watchPromise(p) {
  const record = { settled: 0 };
  Promise.resolve(p).then(() => { record.settled = 1; }, () => { record.settled = 2; });
  return record;
}

export function watchedState(record) {
  return record.settled;
}

// ---- An instance replaced after a trap -----------------------------------

// What this module kept of the old instance is dropped (the new one binds
// its memory again before its first use). Called by instance.js.
export function forgetInstance() {
  memory = null;
  bytes = null;
  scratch = 0;
  forgetSignOptions();
}
