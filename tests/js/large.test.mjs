// src/wasm/js/large.js (imported directly: plain JavaScript, no wasm), the
// large answers without whole copies of them. Its promise is exact:
// - `answerJson(bytes)` is `JSON.parse(new TextDecoder().decode(bytes))`:
//   the same value, with the same key order, or a SyntaxError when that
//   throws one;
// - `jsonBody(jsonParts(v))` writes the bytes of `JSON.stringify(v)`, and
//   `partsLength(jsonParts(v))` is its length (UTF-16 units).
// A fixed pseudo-random generator (no Math.random) writes 200 answers around
// the ways large.js must give up its short path and parse the plain way: long
// strings at the threshold and on each side of it, long strings with escapes
// or non-ASCII, long keys, keys JavaScript orders first ("0", "1"), duplicate
// keys, values equal to large.js's internal mark, a byte order mark,
// whitespace everywhere, truncated text, invalid JSON and invalid UTF-8.
// Each answer is checked against JSON.parse and JSON.stringify, and the runs
// are counted by path (plain, short, short then plain) so that every path is
// known to be exercised.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { answerJson, jsonBody, jsonParts, partsLength } from "../../src/wasm/js/large.js";

/** large.js's threshold (UTF-16 units, or bytes): strings this long are kept apart. */
const LARGE = 65536;
/** large.js's mark for a large string in its short text (a value an answer may hold too). */
const MARK_JSON = "\\u0000faceid-edge large\\u0000";

const parse = JSON.parse;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------
// Deterministic pseudo-random numbers (mulberry32, fixed start).

function generator(start) {
  let a = start >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (list) => list[int(0, list.length - 1)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Base64-like text to take long strings from. */
const POOL = (() => {
  const r = generator(0x5eed);
  let s = "";
  for (let i = 0; i < 4 * LARGE; i++) s += BASE64[r.int(0, 63)];
  return s;
})();

// ---------------------------------------------------------------------------
// Answers as JSON text (so whitespace, duplicate keys and escapes are ours).

const WHITESPACE = ["", "", "", " ", "\n", "\t", "\r\n  ", "  \n\t "];
const SHORT = [
  "",
  "ok",
  "0",
  "请求成功",
  "人脸核身：比对成功",
  "line\\nbreak",
  'say \\"hi\\"',
  "back\\\\slash",
  "nul \\u0000 inside",
  "\\u4e2d\\u6587",
  "lone \\ud800 high",
  "lone \\udc00 low",
  "pair \\ud83d\\ude00",
  "slash \\/ tab \\t",
  "emoji 😀",
  "base64/+=",
];
const NUMBERS = ["0", "-0", "1", "-12", "3.14", "1e5", "2E-3", "-0.5e+2", "12345678901234567890", "1.7976931348623157e308"];
const NUMERIC_KEYS = ["0", "1", "2", "7", "42", "10", "4294967294", "4294967295", "-1", "01", "1.5"];

/** A long base64-like string of `length` characters (no escape). */
function plainLong(r, length) {
  const at = r.int(0, POOL.length - length);
  return POOL.slice(at, at + length);
}

/** The JSON text (between quotes) of a long string. */
function longString(r) {
  const length = r.pick([LARGE - 1, LARGE, LARGE + 1, LARGE + r.int(2, 3000), LARGE - r.int(2, 100)]);
  const s = plainLong(r, length);
  const kind = r.int(0, 9);
  if (kind <= 5) return s; // plain: kept apart when at least LARGE long
  const at = r.int(0, s.length);
  if (kind === 6) return s.slice(0, at) + r.pick(["\\n", '\\"', "\\\\", "\\u0000", "\\ud800", "\\/"]) + s.slice(at);
  if (kind === 7) return s.slice(0, at) + r.pick(["中", "é", "😀"]) + s.slice(at);
  if (kind === 8) return s + r.pick(["\\\\", '\\"']); // an escape right before the closing quote
  return r.pick(['\\"', "\\\\"]) + s; // an escape right after the opening quote
}

/** The JSON text (between quotes) of a string equal, or close, to large.js's mark. */
function markString(r) {
  return MARK_JSON + r.pick(["", "0", "1", "2", "00", "01", "-0", " 0"]);
}

function stringText(r) {
  const k = r.int(0, 19);
  if (k < 10) return SHORT[r.int(0, SHORT.length - 1)];
  if (k < 16) return longString(r);
  if (k < 18) return markString(r);
  return r.pick(SHORT) + r.pick(SHORT);
}

function keyText(r, used) {
  const k = r.int(0, 19);
  if (k < 3 && used.length) return r.pick(used); // a duplicate
  if (k < 7) return r.pick(NUMERIC_KEYS);
  if (k < 8) return plainLong(r, r.pick([LARGE - 1, LARGE, LARGE + 1])); // a long key
  if (k < 9) return markString(r);
  if (k < 12) return r.pick(SHORT);
  return r.pick(["result", "photo", "video", "orderNo", "code", "msg", "bizSeqNo", "a", "b", "z", "__proto__"]);
}

function valueText(r, depth) {
  const ws = () => r.pick(WHITESPACE);
  const k = depth > 3 ? r.int(3, 9) : r.int(0, 9);
  if (k <= 1) {
    const used = [];
    const members = [];
    for (let n = r.int(0, 5); n > 0; n--) {
      const key = keyText(r, used);
      used.push(key);
      members.push(`${ws()}"${key}"${ws()}:${ws()}${valueText(r, depth + 1)}${ws()}`);
    }
    return `{${members.join(",") || ws()}}`;
  }
  if (k === 2) {
    const items = [];
    for (let n = r.int(0, 5); n > 0; n--) items.push(`${ws()}${valueText(r, depth + 1)}${ws()}`);
    return `[${items.join(",") || ws()}]`;
  }
  if (k <= 5) return `"${stringText(r)}"`;
  if (k <= 7) return r.pick(NUMBERS);
  return r.pick(["true", "false", "null"]);
}

/** A whole answer: mostly an object holding long strings among other members. */
function answerText(r) {
  const ws = () => r.pick(WHITESPACE);
  const shape = r.int(0, 9);
  if (shape === 0) return `${ws()}"${longString(r)}"${ws()}`;
  if (shape === 1) {
    const items = [];
    for (let n = r.int(1, 4); n > 0; n--) items.push(`${ws()}${r.chance(0.6) ? `"${longString(r)}"` : valueText(r, 1)}${ws()}`);
    return `${ws()}[${items.join(",")}]${ws()}`;
  }
  const used = [];
  const members = [];
  const member = (key, value) => members.push(`${ws()}"${key}"${ws()}:${ws()}${value}${ws()}`);
  for (let n = r.int(1, 6); n > 0; n--) {
    const key = keyText(r, used);
    used.push(key);
    member(key, r.chance(0.4) ? `"${longString(r)}"` : valueText(r, 1));
  }
  // Where a value equal to a mark could stand for a long string the parse
  // does not show: a duplicate key's, a long key's.
  if (shape === 2) {
    member("dup", `"${plainLong(r, LARGE + r.int(0, 2))}"`);
    if (r.chance(0.5)) member(r.pick(SHORT), valueText(r, 1));
    member("dup", `"${markString(r)}"`);
  } else if (shape === 3) {
    member(plainLong(r, LARGE + r.int(0, 2)), `"${markString(r)}"`);
  }
  return `${ws()}{${members.join(",")}}${ws()}`;
}

/** The answer's bytes, sometimes damaged: a byte order mark, cut short, a byte changed, invalid UTF-8. */
function answerBytes(r) {
  const text = answerText(r);
  let bytes = encoder.encode(text);
  const damage = r.int(0, 19);
  const at = r.int(0, bytes.length);
  const join = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) {
      out.set(p, i);
      i += p.length;
    }
    return out;
  };
  const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
  if (damage <= 2) bytes = join(BOM, bytes);
  else if (damage === 3) bytes = join(BOM, BOM, bytes);
  else if (damage === 4) bytes = join(bytes.subarray(0, at), BOM, bytes.subarray(at));
  else if (damage <= 6) bytes = bytes.slice(0, at); // truncated
  else if (damage === 7) bytes = bytes.slice(0, Math.max(0, bytes.length - r.int(1, 3)));
  else if (damage === 8) bytes[Math.min(at, bytes.length - 1)] = r.pick(encoder.encode('"{}[],:\\x '));
  else if (damage === 9) bytes = join(bytes.subarray(0, at), Uint8Array.of(r.pick([0xff, 0xc3, 0xe4, 0x80])), bytes.subarray(at));
  return bytes;
}

// ---------------------------------------------------------------------------
// Checks.

/**
 * `answerJson(bytes)`, with the JSON.parse calls large.js made: "plain"
 * (without a reviver) or "short" (its short text, with a reviver).
 */
function traced(bytes) {
  const calls = [];
  JSON.parse = function (text, reviver) {
    calls.push(reviver ? "short" : "plain");
    return parse.call(JSON, text, reviver);
  };
  try {
    return { value: answerJson(bytes), calls };
  } catch (error) {
    return { error, calls };
  } finally {
    JSON.parse = parse;
  }
}

/** At most 40 characters of `s` from `at`, for messages (answers are megabytes long). */
const excerpt = (s, at) => JSON.stringify(s.slice(at, at + 40)) + (s.length > at + 40 ? "…" : "");

/** `actual === expected`, with a short message: where they differ. */
function sameText(actual, expected, what) {
  if (actual === expected) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const from = Math.max(0, at - 20);
  assert.fail(`${what}: differs at ${at} (lengths ${actual.length}, ${expected.length}): ${excerpt(actual, from)} instead of ${excerpt(expected, from)}`);
}

/** The same keys in the same order, everywhere (JSON.stringify shows the order too). */
function sameOrder(actual, expected, path = "$") {
  if (expected === null || typeof expected !== "object") return;
  assert.equal(Array.isArray(actual), Array.isArray(expected), path);
  sameText(JSON.stringify(Object.keys(actual)), JSON.stringify(Object.keys(expected)), `the keys (in order) at ${path}`);
  for (const k of Object.keys(expected)) sameOrder(actual[k], expected[k], `${path}[${excerpt(k, 0)}]`);
}

/** What a case took: "plain", "short", "short then plain", or "error". */
function checkAnswer(bytes) {
  let expected;
  let expectedError;
  try {
    expected = parse(decoder.decode(bytes));
  } catch (e) {
    expectedError = e;
  }
  const { value, error, calls } = traced(bytes);
  if (expectedError) {
    assert.ok(expectedError instanceof SyntaxError);
    assert.ok(error instanceof SyntaxError, `JSON.parse throws a SyntaxError; answerJson gave ${error ? error : `a value`}`);
    return "error";
  }
  if (error) throw error;
  sameText(JSON.stringify(value), JSON.stringify(expected), "answerJson's value, as JSON");
  sameOrder(value, expected);
  try {
    assert.deepStrictEqual(value, expected);
  } catch (e) {
    assert.fail(`answerJson's value differs from JSON.parse's: ${e.message.slice(0, 300)}`);
  }
  return calls.join(" then ");
}

async function bodyBytes(body) {
  if (typeof body === "string") return encoder.encode(body);
  assert.ok(body instanceof ReadableStream, "a stream when not a string");
  const chunks = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    assert.ok(value instanceof Uint8Array);
    chunks.push(value);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether `jsonParts(value)` kept strings apart ("parts") or is one string ("text"). */
async function checkOutput(value) {
  const text = JSON.stringify(value);
  const parts = jsonParts(value);
  if (typeof parts !== "string") {
    assert.ok(Array.isArray(parts) && parts.length % 2 === 1, "[text, large, …, text]");
    sameText(parts.join(""), text, "the parts joined");
  } else {
    sameText(parts, text, "jsonParts");
  }
  assert.equal(partsLength(parts), text.length);
  const written = await bodyBytes(jsonBody(parts));
  const expected = encoder.encode(text);
  assert.equal(written.length, expected.length, "the body's length");
  assert.ok(Buffer.from(written).equals(Buffer.from(expected)), "the body's bytes are JSON.stringify's, in UTF-8");
  // The parts may be kept (a cached answer): writing them again gives the same bytes.
  if (typeof parts !== "string") assert.ok(Buffer.from(await bodyBytes(jsonBody(parts))).equals(Buffer.from(expected)));
  return typeof parts === "string" ? "text" : "parts";
}

// ---------------------------------------------------------------------------

const CASES = 200;

test(`${CASES} generated answers: answerJson is JSON.parse of the decoded bytes, jsonBody(jsonParts) is JSON.stringify`, async (t) => {
  const r = generator(0x19a1a7e);
  const paths = {};
  const outputs = {};
  for (let n = 0; n < CASES; n++) {
    const bytes = answerBytes(r);
    let path;
    try {
      path = checkAnswer(bytes);
    } catch (e) {
      e.message = `answer ${n} (${bytes.length} bytes, starts ${JSON.stringify(decoder.decode(bytes.subarray(0, 80)))}): ${e.message}`;
      throw e;
    }
    paths[path] = (paths[path] ?? 0) + 1;
    if (path === "error") continue;
    const value = parse(decoder.decode(bytes));
    try {
      const out = await checkOutput(value);
      outputs[out] = (outputs[out] ?? 0) + 1;
    } catch (e) {
      e.message = `output of answer ${n}: ${e.message}`;
      throw e;
    }
  }
  t.diagnostic(`paths: ${JSON.stringify(paths)}; outputs: ${JSON.stringify(outputs)}`);
  // Every path is exercised, the fallback included.
  for (const p of ["plain", "short", "short then plain", "error"]) assert.ok(paths[p] >= 5, `path ${p}: ${JSON.stringify(paths)}`);
  for (const o of ["text", "parts"]) assert.ok(outputs[o] >= 5, `output ${o}: ${JSON.stringify(outputs)}`);
});

/** The bytes of `text` in UTF-8. */
const bytesOf = (text) => encoder.encode(text);
const L0 = POOL.slice(0, LARGE);
const L1 = POOL.slice(LARGE, 2 * LARGE + 1);

describe("answerJson, named cases", () => {
  test("strings of LARGE - 1 bytes are parsed the plain way, of LARGE bytes on their own", () => {
    assert.equal(checkAnswer(bytesOf(`{"photo":"${L0.slice(1)}"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"photo":"${L0}"}`)), "short");
    assert.equal(checkAnswer(bytesOf(`{"photo":"${L1}"}`)), "short");
    assert.equal(checkAnswer(bytesOf(`"${L0}"`)), "short");
    assert.equal(checkAnswer(bytesOf(` [ "${L0}" , "${L1}" ] `)), "short");
  });

  test("long strings with an escape or non-ASCII are not kept apart", () => {
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}\\n"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"a":"\\\\${L0}"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}中"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}\\"","b":"${L1}"}`)), "short");
  });

  test("a long key: the plain way", () => {
    assert.equal(checkAnswer(bytesOf(`{"${L0}":1}`)), "short then plain");
    assert.equal(checkAnswer(bytesOf(`{"${L0}":"${L1}"}`)), "short then plain");
  });

  test("keys JavaScript orders first (\"1\" after \"b\"): the plain way, same order", () => {
    assert.equal(checkAnswer(bytesOf(`{"b":"${L0}","1":"${L1}"}`)), "short then plain");
    assert.equal(checkAnswer(bytesOf(`{"b":"${L0}","0":{"x":"${L1}"}}`)), "short then plain");
    assert.equal(checkAnswer(bytesOf(`{"1":"${L0}","b":"${L1}"}`)), "short");
  });

  test("duplicate keys holding long strings", () => {
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","a":"${L1}"}`)), "short then plain");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","b":1,"a":2}`)), "short then plain");
  });

  test("a value equal to the mark: the plain way", () => {
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","b":"${MARK_JSON}"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"b":"${MARK_JSON}0","a":"${L0}"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","b":"${MARK_JSON}1"}`)), "plain");
    // An escaped backslash before "u0000" is no U+0000.
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","b":"\\\\u0000"}`)), "short");
  });

  // Each was parsed as the long string it stands in for, before large.js
  // took any answer holding a U+0000 the plain way.
  test("a value equal to the mark after a duplicate key that held a long string", () => {
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}","a":"${MARK_JSON}0"}`)), "plain");
    assert.equal(checkAnswer(bytesOf(`["${L0}",{"a":"${L1}","a":"${MARK_JSON}1"}]`)), "plain");
  });

  test("a value equal to the mark under a long key", () => {
    assert.equal(checkAnswer(bytesOf(`{"${L0}":"${MARK_JSON}0"}`)), "plain");
  });

  test("a byte order mark: skipped at the start (as TextDecoder does), an error elsewhere", () => {
    const BOM = "\ufeff";
    assert.equal(checkAnswer(bytesOf(`${BOM}{"a":"${L0}"}`)), "short");
    assert.equal(checkAnswer(bytesOf(`${BOM}"${L0}"`)), "short");
    assert.equal(checkAnswer(bytesOf(`${BOM}${BOM}{"a":"${L0}"}`)), "error");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}"${BOM}}`)), "error");
  });

  test("truncated or invalid text throws a SyntaxError", () => {
    const whole = bytesOf(`{"a":"${L0}","b":[1,"${L1}"]}`);
    for (const cut of [0, 1, 5, 6, 100, LARGE + 6, LARGE + 7, LARGE + 12, whole.length - 2, whole.length - 1]) {
      assert.equal(checkAnswer(whole.slice(0, cut)), "error", `cut at ${cut}`);
    }
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}",}`)), "error");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}"} x`)), "error");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}\u0001"}`)), "error");
    assert.equal(checkAnswer(bytesOf(`{"a":"${L0}\\x"}`)), "error");
  });
});

describe("jsonParts and jsonBody, named cases", () => {
  test("large plain strings are kept apart; the bytes are JSON.stringify's", async () => {
    assert.equal(await checkOutput({ photo: L0, msg: "请求成功" }), "parts");
    assert.equal(await checkOutput(L0), "parts");
    assert.equal(await checkOutput([L0, L1, { a: L0 }]), "parts");
    assert.equal(await checkOutput({ photo: L0.slice(1) }), "text");
    assert.equal(await checkOutput({ photo: `${L0}中` }), "text");
    assert.equal(await checkOutput({ photo: `${L0}\n` }), "text");
  });

  test("a value or key equal to the mark, lone surrogates, toJSON", async () => {
    const MARK = JSON.parse(`"${MARK_JSON}"`);
    assert.equal(await checkOutput({ a: L0, b: MARK }), "text");
    assert.equal(await checkOutput({ a: L0, [MARK]: 1 }), "text");
    await checkOutput({ a: L0, b: "\ud800", c: "\udc00x", d: "\u0000" });
    await checkOutput({ a: { toJSON: () => L0 }, b: [undefined, () => 1, NaN, -0] });
  });
});
