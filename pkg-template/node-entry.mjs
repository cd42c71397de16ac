// Source of node.cjs (bundled to CommonJS by scripts/build-pkg.mjs, not
// shipped as is). The .wasm's bytes are inlined (esbuild's binary loader) and
// instantiated synchronously, so `require("faceid-edge")` and `import` both
// work on Node 20 and share one instance, and a bundle of a Node app (esbuild,
// webpack…, ESM or CommonJS) carries the WebAssembly with it: no file, no
// node:fs, no __dirname.
import wasmBytes from "./faceid_edge_bg.wasm";
import { FaceIdClient, initSync } from "./recover.js";

initSync({ module: wasmBytes });

// util.inspect(client) shows the settings (never the ticket), not a pointer.
FaceIdClient.prototype[Symbol.for("nodejs.util.inspect.custom")] = function inspect() {
  return `FaceIdClient ${JSON.stringify(this.toJSON())}`;
};

export {
  FaceIdClient,
  TicketManager,
  codeInfo,
  createEdgeHandler,
  decodeMedia,
  nonce,
  sign,
  signValues,
  verifyOrderToken,
  verifySign,
} from "./recover.js";
export { createRedisTicketStore } from "./redis-store.js";
export { TicketOwner } from "./ticket-owner.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on load; kept so that portable code can `await init()`. */
export default async function init() {}
