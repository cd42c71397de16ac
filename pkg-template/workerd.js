// faceid-edge for Cloudflare Workers / workerd.
// The .wasm is imported as a compiled WebAssembly.Module (workerd refuses to
// compile bytes at run time) and instantiated synchronously on load. No
// randomness, fetch or timers run here.
import { DurableObject } from "cloudflare:workers";
import wasmModule from "./faceid_edge_bg.wasm";
import { initSync } from "./recover.js";
import { defineTicketOwner } from "./ticket-owner.js";

initSync({ module: wasmModule });

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
/** The ticket owner Durable Object, a real `DurableObject` here. */
export const TicketOwner = defineTicketOwner(DurableObject);
export { createRedisTicketStore } from "./redis-store.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on import; kept so that portable code can `await init()`. */
export default async function init() {}
