// faceid-edge for browsers and bundlers: call `await init()` once before use.
import initWasm, * as glue from "./recover.js";
import { FaceIdError } from "./errors.js";

export { FaceIdError };
export { createRedisTicketStore } from "./redis-store.js";
export { TicketOwner } from "./ticket-owner.js";

let ready;
let loaded = false;

/**
 * Loads the WebAssembly module (by default the .wasm file beside this one,
 * which bundlers pick up from the `new URL(..., import.meta.url)` pattern).
 * Safe to call more than once: later calls return the first promise.
 */
export default function init(input) {
  if (!ready) {
    const url = input ?? new URL("./faceid_edge_bg.wasm", import.meta.url);
    ready = initWasm({ module_or_path: url }).then(
      () => {
        loaded = true;
      },
      (error) => {
        throw input == null ? notFound(url, error) : error;
      },
    );
  }
  return ready;
}

/** Why the .wasm beside this module did not load, and what to do. */
function notFound(url, cause) {
  // Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/
  // without the .wasm, and answers that URL with its HTML page.
  const hint = /\/\.vite\/deps[^/]*\//.test(url.pathname)
    ? "Vite's dependency pre-bundling moved faceid-edge away from its .wasm: add " +
      '`optimizeDeps: { exclude: ["faceid-edge"] }` to vite.config.js.'
    : "A bundler must put faceid_edge_bg.wasm beside this module, or pass its URL: await init(url).";
  return new Error(`faceid-edge: could not load its WebAssembly from ${url.href} (${cause && cause.message}). ${hint}`, { cause });
}

function notLoaded(name) {
  return new FaceIdError(
    "NOT_INITIALIZED",
    `${name} was used before the WebAssembly module was loaded: await init() once first`,
  );
}

/** The client class; constructing it before `init()` throws NOT_INITIALIZED. */
export class FaceIdClient extends glue.FaceIdClient {
  constructor(options) {
    if (!loaded) throw notLoaded("FaceIdClient");
    super(options);
  }
}

/** The ticket owner's engine; constructing it before `init()` throws NOT_INITIALIZED. */
export class TicketManager extends glue.TicketManager {
  constructor(options) {
    if (!loaded) throw notLoaded("TicketManager");
    super(options);
  }
}

function guard(name) {
  const fn = glue[name];
  return function (...args) {
    if (!loaded) throw notLoaded(`${name}()`);
    return fn(...args);
  };
}

export const codeInfo = guard("codeInfo");
export const createEdgeHandler = guard("createEdgeHandler");
export const decodeMedia = guard("decodeMedia");
export const nonce = guard("nonce");
export const sign = guard("sign");
export const signValues = guard("signValues");
export const verifyOrderToken = guard("verifyOrderToken");
export const verifySign = guard("verifySign");
