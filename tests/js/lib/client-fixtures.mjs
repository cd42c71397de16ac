// Shared pieces of the FaceIdClient tests (client.node / client.workerd /
// client.browser): a distinctive SIGN ticket and a leak check for it, order
// numbers, what the simulator should answer for an order (its own data and
// media generators are the oracle), an independent signer, and a tiny
// loopback stub for answers the simulator cannot give (a 200 HTML page, a
// body that stalls).
import assert from "node:assert/strict";
import { createHash, randomInt } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { bankCard, ocrExtras, person } from "../../sim/data.mjs";
import { mediaBytes } from "../../sim/media.mjs";

export { bankCard, mediaBytes, ocrExtras, person };

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const alnum = (n) => Array.from({ length: n }, () => ALNUM[randomInt(62)]).join("");

/** A fresh 64-character SIGN ticket for the simulator, new per test process. */
export const TICKET = `Tk${alnum(62)}`;

/** Does any 8-character piece of `ticket` occur in `text`? */
export function leaks(text, ticket = TICKET) {
  const s = String(text);
  for (let i = 0; i + 8 <= ticket.length; i++) if (s.includes(ticket.slice(i, i + 8))) return true;
  return false;
}

/** Everything an error carries, as one string (message, stack, own properties, cause). */
export function errorText(e) {
  if (e === null || typeof e !== "object") return String(e);
  const parts = [String(e.message), String(e.stack)];
  for (const k of Object.getOwnPropertyNames(e)) {
    try {
      parts.push(`${k}=${typeof e[k] === "object" ? JSON.stringify(e[k]) : String(e[k])}`);
    } catch {
      parts.push(`${k}=?`);
    }
  }
  if (e.cause) parts.push(errorText(e.cause));
  return parts.join("\n");
}

let seq = 0;
/** A new order number: `tag` + a counter, at most 32 ASCII letters and digits. */
export function newOrder(tag = "o") {
  const n = String(++seq);
  return `${tag.replace(/[^A-Za-z0-9]/g, "").slice(0, 32 - n.length)}${n}`;
}

/** SIGN by hand: sort the values by code point (= UTF-8 byte order), concatenate, SHA-1, uppercase. */
export function referenceSign(values) {
  return createHash("sha1")
    .update(Buffer.concat(values.map((v) => Buffer.from(v, "utf8")).sort(Buffer.compare)))
    .digest("hex").toUpperCase();
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The media the simulator sends for a scenario, as { photo, video } bytes. */
export function expectedMedia({ photoFormat = "jpeg", photoBytes = 16384, videoBytes = 65536 } = {}) {
  return {
    photo: photoBytes ? mediaBytes(photoFormat, photoBytes) : null,
    video: videoBytes ? mediaBytes("mp4", videoBytes) : null,
  };
}

/** The payload fields of a successful face result (sync / queryfacerecord) for `orderNo`. */
export function expectedFace(orderNo) {
  const p = person(orderNo);
  return { idNo: p.idcard, idType: "01", name: p.name, liveRate: "100", similarity: "95.0" };
}

/** The payload fields of a successful ID card OCR result (getOcrResult) for `orderNo`. */
export function expectedIdCardOcrResult(orderNo) {
  const { name, sex, nation, birth, address, idcard, validDate, authority } = person(orderNo);
  return { frontCode: "0", backCode: "0", name, sex, nation, birth, address, idcard, validDate, authority };
}

/** The payload fields of a successful idcardocrapp answer for `orderNo` and side. */
export function expectedIdCardOcr(orderNo, cardType) {
  const p = person(orderNo);
  const { clarity, ocrId } = ocrExtras(orderNo);
  const side = cardType === "portrait"
    ? { name: p.name, sex: p.sex, nation: p.nation, birth: p.birth, address: p.address, idcard: p.idcard }
    : { validDate: p.validDate, authority: p.authority };
  return { ocrId, ...side, warning: "00000000", multiWarning: "00000000", clarity, retry: "1" };
}

/** GB 11643 check of an 18-character ID number. */
export function idCardValid(id) {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(id[i]) * w[i];
  return "10X98765432"[s % 11] === id[17];
}

/** Luhn check of a card number. */
export function luhnValid(number) {
  let s = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    s += d;
  }
  return /^\d{12,19}$/.test(number) && s % 10 === 0;
}

/** A yyyyMMddHHmmss time, plausibly now (Beijing time, within a day). */
export function assertServiceTime(value, what) {
  assert.match(String(value), /^20\d{12}$/, `${what}: ${value}`);
}

/**
 * A loopback HTTP server with a custom handler, for answers the simulator
 * does not give. `close()` also drops open connections.
 */
export async function startStub(handler) {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A JPEG and a PNG small enough for idcardocrapp, from the simulator's generator. */
export const SMALL_JPEG = () => mediaBytes("jpeg", 4096);
export const SMALL_PNG = () => mediaBytes("png", 4096);

/** base64 folded into lines of `width` with `eol` (the MIME way), behind a data: URL prefix. */
export function dataUrlFolded(bytes, mime, width = 76, eol = "\r\n") {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return `data:${mime};base64,${lines.join(eol)}`;
}
