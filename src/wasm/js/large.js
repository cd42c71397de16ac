// Large answers (results with revealed photos and videos, megabytes of
// base64) without whole copies of them: imported by src/wasm/large.rs
// (wasm-bindgen copies it into the package as a snippet). Nothing here runs
// at module load, and nothing calls into WebAssembly.
//
// - In: `answerBody(response)` reads a long answer as bytes, and
//   `answerJson(bytes)` parses the service's answer from its bytes as
//   `JSON.parse(new TextDecoder().decode(bytes))` would, with the same result,
//   but decodes each long plain string (ASCII, no escape) once, as a one-byte
//   string, and parses only the small text around them: no text of the whole
//   answer (two bytes a character as soon as one message is in Chinese).
// - Out: `jsonParts(value)` is `JSON.stringify(value)`, with each long plain
//   string kept apart, and `jsonBody(parts)` a body for a `Response` that
//   writes the same bytes chunk by chunk: no JSON text of the whole answer
//   and no whole UTF-8 copy of it, and each string dropped once written.

/** Strings at least this long (UTF-16 units, or bytes) are kept apart. */
const LARGE = 65536;
/** The bytes (characters: ASCII) of one chunk of a large string. */
const CHUNK = 65536;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// What stands for a large string in the small text. A string the answer
// itself holds could be equal to it: it holds a U+0000, and an answer with
// one is parsed the plain way (`largeStrings`). The counts catch the rest (a
// long key, keys JavaScript orders otherwise): the plain way too.
const MARK = "\u0000faceid-edge large\u0000";
const MARKED = JSON.stringify(MARK);
/** The mark between quotes in JSON text (its U+0000 escaped). */
const MARK_TEXT = MARKED.slice(1, -1);

/** Whether `s` is written by JSON.stringify as it is (between its quotes). */
const PLAIN = /^[\u0020-\u0021\u0023-\u005b\u005d-\u007e]*$/;

const QUOTE = 34;
const BACKSLASH = 92;

/** Whether bytes[from, to) are printable ASCII (no quote, no backslash: the scan ends strings there). */
function printable(bytes, from, to) {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Whether the escape at bytes[at] (a backslash) is `\u0000`. */
function isNul(bytes, at) {
  if (bytes[at + 1] !== 0x75) return false; // u
  for (let i = at + 2; i < at + 6; i++) if (bytes[i] !== 0x30) return false; // 0000
  return true;
}

/**
 * The positions [start, end) of the contents of the JSON strings of `bytes`
 * that are at least LARGE bytes of printable ASCII with no escape; `null`
 * when there are none, when a string holds a U+0000, or when the text ends
 * inside a string (JSON.parse says so).
 */
function largeStrings(bytes) {
  const runs = [];
  let at = 0;
  let backslash = bytes.indexOf(BACKSLASH);
  for (;;) {
    const open = bytes.indexOf(QUOTE, at);
    if (open < 0) break;
    let from = open + 1;
    let escaped = false;
    let close;
    for (;;) {
      close = bytes.indexOf(QUOTE, from);
      if (close < 0) return null;
      if (backslash >= 0 && backslash < from) backslash = bytes.indexOf(BACKSLASH, from);
      if (backslash < 0 || backslash > close) break;
      // An escape inside the string: the character after the backslash
      // (a quote, maybe) is part of it.
      escaped = true;
      // A U+0000 (`\u0000`, its only way into JSON text): the answer may hold
      // a value equal to a mark, in place of one the parse does not show (a
      // duplicate key's, a long key's): the plain way.
      if (isNul(bytes, backslash)) return null;
      from = backslash + 2;
      backslash = bytes.indexOf(BACKSLASH, from);
    }
    if (!escaped && close - open - 1 >= LARGE && printable(bytes, open + 1, close)) runs.push(open + 1, close);
    at = close + 1;
  }
  return runs.length ? runs : null;
}

/**
 * The body of the service's answer `response`: its text when it says it is
 * short (`Content-Length` under LARGE), else its bytes, for `answerJson`.
 */
export function answerBody(response) {
  const length = response.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  if (declared < LARGE) return response.text();
  if (!response.body || !(declared <= 1 << 30)) return response.arrayBuffer().then((b) => new Uint8Array(b));
  return readInto(response.body.getReader(), declared);
}

/**
 * The bytes of a body `declared` bytes long, read into one array as they
 * come (`arrayBuffer()` would hold every chunk and then their copy): it
 * grows if more come (a compressed body's length is the compressed one).
 */
async function readInto(reader, declared) {
  let out = new Uint8Array(declared);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return at === out.length ? out : out.subarray(0, at);
    if (at + value.length > out.length) {
      const bigger = new Uint8Array(Math.max(at + value.length, out.length * 2));
      bigger.set(out.subarray(0, at));
      out = bigger;
    }
    out.set(value, at);
    at += value.length;
  }
}

/**
 * `JSON.parse(new TextDecoder().decode(bytes))` (throws what it throws), with
 * the long plain strings decoded on their own.
 */
export function answerJson(bytes) {
  const runs = bytes.length >= LARGE ? largeStrings(bytes) : null;
  if (!runs) return JSON.parse(decoder.decode(bytes));
  const large = [];
  let small = "";
  let at = 0;
  for (let i = 0; i < runs.length; i += 2) {
    // Each piece starts at the beginning or at a closing quote: no UTF-8
    // sequence is cut, and only the first can start with a byte order mark.
    small += decoder.decode(bytes.subarray(at, runs[i])) + MARK_TEXT + large.length;
    large.push(decoder.decode(bytes.subarray(runs[i], runs[i + 1])));
    at = runs[i + 1];
  }
  small += decoder.decode(bytes.subarray(at));
  let placed = 0;
  const value = JSON.parse(small, (_key, v) => {
    if (typeof v === "string" && v.startsWith(MARK)) {
      const i = Number(v.slice(MARK.length));
      if (v === MARK + i && i === placed) {
        placed++;
        return large[i];
      }
      placed = -Infinity;
    }
    return v;
  });
  // A large string as a key, or a value of the answer equal to a mark: the plain way.
  return placed === large.length ? value : JSON.parse(decoder.decode(bytes));
}

/**
 * `JSON.stringify(value)` when it holds no large plain string; else
 * `[text, large, text, …, text]`, whose texts and large strings (written
 * between quotes as they are) joined are `JSON.stringify(value)`.
 */
export function jsonParts(value) {
  const large = [];
  const text = JSON.stringify(value, (_key, v) => {
    if (typeof v === "string" && v.length >= LARGE && PLAIN.test(v)) {
      large.push(v);
      return MARK;
    }
    return v;
  });
  if (large.length === 0) return text;
  const pieces = text.split(MARKED);
  if (pieces.length !== large.length + 1) return JSON.stringify(value);
  const parts = [];
  for (let i = 0; i < large.length; i++) parts.push(i ? `"${pieces[i]}"` : `${pieces[i]}"`, large[i]);
  parts.push(`"${pieces[large.length]}`);
  return parts;
}

/** The length in UTF-16 units of what `jsonParts` made. */
export function partsLength(parts) {
  if (typeof parts === "string") return parts.length;
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/**
 * A `Response` body that writes `parts` (from `jsonParts`): the string
 * itself, or a stream of UTF-8 chunks of the texts and the large strings.
 * `parts` may be kept (an answer in memory): the stream drops its own
 * references as it writes.
 */
export function jsonBody(parts) {
  if (typeof parts === "string") return parts;
  const left = parts.slice();
  let i = 0;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= left.length) {
        controller.close();
        return;
      }
      const part = left[i];
      if (i % 2 === 0) {
        controller.enqueue(encoder.encode(part));
      } else {
        const end = Math.min(at + CHUNK, part.length);
        // Printable ASCII: one byte a character.
        const chunk = new Uint8Array(end - at);
        encoder.encodeInto(part.substring(at, end), chunk);
        controller.enqueue(chunk);
        at = end;
        if (at < part.length) return;
      }
      left[i++] = undefined;
      at = 0;
    },
    cancel() {
      left.length = 0;
    },
  });
}
