// The edge handler's responses, made in one call from src/wasm/edge/respond.rs
// (wasm-bindgen copies this file into the package as a snippet): the headers
// every answer carries are constants here, not strings passed one by one out
// of WebAssembly memory. Nothing here runs at module load.

/** Response headers every answer carries (a record: cheaper to take than a Headers or a list of pairs). */
const BASE = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  vary: "Origin",
};
const JSON_BASE = { ...BASE, "content-type": "application/json; charset=utf-8" };
const PLAIN_INIT = { status: 200, headers: BASE };
const JSON_INIT = { status: 200, headers: JSON_BASE };

/**
 * `new Response(body, { status, headers })` with the base headers (and the
 * JSON content type when `json`); its headers stay mutable, for the CORS and
 * other headers of one answer.
 */
export function edgeResponse(body, status, json) {
  const init = json ? JSON_INIT : PLAIN_INIT;
  init.status = status; // read by the constructor, which copies what it keeps
  return new Response(body, init);
}
