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
  constructor(code, message) {
    super(message);
    this.name = "FaceIdError";
    this.code = code;
  }
}

export function makeError(code, message) {
  return new FaceIdError(code, message);
}

// appId, orderNo, ticket, nonce[, version], joined by U+0000 (which no valid
// field contains: Rust falls back to a field-by-field check when the count is
// off). undefined when any field has the wrong type (Rust then explains
// which); version is left out when absent so that Rust applies its default.
export function packSignOptions(o) {
  if (o === null || typeof o !== "object") return undefined;
  const a = o.appId, b = o.orderNo, t = o.ticket, n = o.nonce, v = o.version;
  if (typeof a !== "string" || typeof b !== "string" || typeof t !== "string" || typeof n !== "string") {
    return undefined;
  }
  if (v === undefined || v === null) return a + "\0" + b + "\0" + t + "\0" + n;
  if (typeof v !== "string") return undefined;
  return a + "\0" + b + "\0" + t + "\0" + n + "\0" + v;
}

// Strings kept, null and undefined dropped; undefined for anything else.
export function packValues(list) {
  if (!Array.isArray(list)) return undefined;
  let out = "";
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === "string") out += v.length + ":" + v;
    else if (v !== null && v !== undefined) return undefined;
  }
  return out;
}

export function describeType(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
