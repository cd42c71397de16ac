// faceid-edge for Cloudflare Workers / workerd.
// The .wasm is imported as a compiled WebAssembly.Module (workerd refuses to
// compile bytes at run time) and instantiated synchronously on load. No
// randomness, fetch or timers run here.
import wasmModule from "./faceid_edge_bg.wasm";
import { initSync } from "./faceid_edge.js";

initSync({ module: wasmModule });

export {
  FaceIdClient,
  TicketManager,
  codeInfo,
  decodeMedia,
  nonce,
  sign,
  signValues,
  verifySign,
} from "./faceid_edge.js";
export { TicketOwner } from "./ticket-owner.js";
export { createRedisTicketStore } from "./redis-store.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on import; kept so that portable code can `await init()`. */
export default async function init() {}
