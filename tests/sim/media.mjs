// Synthetic media files: the right magic bytes and framing (JPEG SOI/APP0/EOI,
// PNG signature + IHDR/IDAT/IEND with valid CRCs, MP4 ftyp + mdat boxes) around
// deterministic pseudo-random filler, exactly `size` bytes. Built once per
// (format, size) and cached as base64 text, ready to splice into a response.
import zlib from "node:zlib";

/** Smallest size each format can be built at (its fixed framing). */
export const MIN_BYTES = { jpeg: 22, png: 57, mp4: 40 };
/** Largest size accepted (a scenario asking for more is a test bug). */
export const MAX_BYTES = 32 << 20;

const CACHE_LIMIT = 192 << 20; // bytes of base64 text kept
const cache = new Map(); // "format:size" -> Buffer (base64 ASCII)
let cached = 0;

/** The file as base64 text (an ASCII Buffer), from the cache when possible. */
export function mediaBase64(format, size) {
  const key = `${format}:${size}`;
  let b64 = cache.get(key);
  if (b64) {
    cache.delete(key); // re-insert: most recently used last
    cache.set(key, b64);
    return b64;
  }
  b64 = Buffer.from(mediaBytes(format, size).toString("base64"), "latin1");
  cache.set(key, b64);
  cached += b64.length;
  for (const [k, v] of cache) {
    if (cached <= CACHE_LIMIT || k === key) break;
    cache.delete(k);
    cached -= v.length;
  }
  return b64;
}

/** The file's bytes: `size` bytes of `format` ("jpeg" | "png" | "mp4"). */
export function mediaBytes(format, size) {
  if (!(format in MIN_BYTES)) throw new Error(`unknown media format ${format}`);
  if (!Number.isInteger(size) || size < MIN_BYTES[format] || size > MAX_BYTES) {
    throw new RangeError(`${format} size must be an integer from ${MIN_BYTES[format]} to ${MAX_BYTES}; got ${size}`);
  }
  const buf = filler(size, format.charCodeAt(0) * 0x9e3779b1 + size);
  if (format === "jpeg") {
    // SOI, APP0 "JFIF" 1.1, no thumbnail; ... EOI.
    Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex").copy(buf, 0);
    buf[size - 2] = 0xff;
    buf[size - 1] = 0xd9;
  } else if (format === "png") {
    let at = 0;
    const put = (b) => (at += b.copy(buf, at));
    put(Buffer.from("89504e470d0a1a0a", "hex"));
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(640, 0);
    ihdr.writeUInt32BE(480, 4);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
    put(chunk("IHDR", ihdr));
    const dataLen = size - 57;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(dataLen, 0);
    head.write("IDAT", 4, "latin1");
    put(head);
    const crc = crc32(buf.subarray(at - 4, at + dataLen)); // over type + data (filler in place)
    at += dataLen;
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc, 0);
    put(tail);
    put(chunk("IEND", Buffer.alloc(0)));
  } else {
    // ftyp: major brand isom, minor 0x200, compatible isom iso2 avc1 mp41; then one mdat box.
    const ftyp = Buffer.alloc(32);
    ftyp.writeUInt32BE(32, 0);
    ftyp.write("ftypisom", 4, "latin1");
    ftyp.writeUInt32BE(0x200, 12);
    ftyp.write("isomiso2avc1mp41", 16, "latin1");
    ftyp.copy(buf, 0);
    buf.writeUInt32BE(size - 32, 32);
    buf.write("mdat", 36, "latin1");
  }
  return buf;
}

/** A PNG chunk: length, type, data, CRC over type + data. */
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** `size` bytes of xorshift32 output, a word at a time. */
function filler(size, start) {
  const ab = new ArrayBuffer(size);
  const words = new Uint32Array(ab, 0, size >>> 2);
  let x = start >>> 0 || 0x2545f491;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  const bytes = Buffer.from(ab);
  for (let i = words.length * 4; i < size; i++) bytes[i] = (x >>> ((i & 3) * 8)) & 0xff;
  return bytes;
}

let table;
function crc32(bytes) {
  if (zlib.crc32) return zlib.crc32(bytes) >>> 0; // Node >= 20.15
  table ??= Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
