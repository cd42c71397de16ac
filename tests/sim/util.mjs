// Small helpers shared by the simulator modules: times in the service's format,
// random and seeded values, and a JSON writer that can splice in raw text
// (number literals such as 95.0, and large base64 media without copying them).
import { createHash, randomInt } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` random ASCII letters and digits (tokens, tickets). */
export function randomAlnum(n) {
  let s = "";
  for (let i = 0; i < n; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

/** `n` random decimal digits. */
export function randomDigits(n) {
  let s = "";
  for (let i = 0; i < n; i++) s += randomInt(10);
  return s;
}

/** `ms` (Unix milliseconds) as yyyyMMddHHmmss in Beijing time (UTC+8), like the service. */
export function formatTime(ms) {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** A 32-digit business sequence number, shaped like the official examples' (yyMMdd + "20001" + 21 digits). */
export function bizSeqNo(ms) {
  return formatTime(ms).slice(2, 8) + "20001" + randomDigits(21);
}

/** A deterministic generator seeded by `text` (mulberry32 over the first word of its SHA-256). */
export function seeded(text) {
  let a = createHash("sha256").update(String(text)).digest().readUInt32LE(0);
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    int,
    /** An integer in [lo, hi]. */
    range: (lo, hi) => lo + int(hi - lo + 1),
    pick: (list) => list[int(list.length)],
    chance: (p) => next() < p,
    digits: (n) => Array.from({ length: n }, () => int(10)).join(""),
  };
}

/** A value written into the JSON text as-is: a number literal, or a quoted base64 media string. */
export class Raw {
  /** @param {Buffer[]} chunks the exact bytes to write in place of the value */
  constructor(chunks) {
    this.chunks = chunks;
  }

  /** A JSON number written exactly as `text` (so "95.0" stays 95.0, not 95). */
  static number(text) {
    return new Raw([Buffer.from(String(text))]);
  }

  /** A JSON string whose content is `ascii` (a Buffer of base64 text, never copied). */
  static string(ascii) {
    return new Raw([QUOTE, ascii, QUOTE]);
  }

  get length() {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
}
const QUOTE = Buffer.from('"');
const TOKEN = /"@@SIM_RAW_(\d+)@@"/g;

/** Serializes `value` to JSON as a list of Buffers, splicing in every {@link Raw}. */
export function serialize(value) {
  const raws = [];
  const text = JSON.stringify(value, (_key, v) => (v instanceof Raw ? `@@SIM_RAW_${raws.push(v) - 1}@@` : v));
  const chunks = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    chunks.push(Buffer.from(text.slice(last, m.index)), ...raws[Number(m[1])].chunks);
    last = m.index + m[0].length;
  }
  chunks.push(Buffer.from(text.slice(last)));
  return chunks;
}

/**
 * Copies the own enumerable properties of each source onto `target` as own
 * data properties (defined, never assigned): a key such as "__proto__"
 * stays an ordinary key and reaches the JSON text verbatim, where
 * `Object.assign` would replace the target's prototype instead.
 */
export function assignOwn(target, ...sources) {
  for (const source of sources) {
    for (const key of Object.keys(source ?? {})) {
      Object.defineProperty(target, key, { value: source[key], writable: true, enumerable: true, configurable: true });
    }
  }
  return target;
}

/** A plain object (not null, not an array). */
export function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
