// Source of node.cjs (bundled to CommonJS by scripts/build-pkg.mjs, not
// shipped as is). Reads the .wasm beside it and instantiates it synchronously,
// so `require("faceid-edge")` and `import` both work on Node 20 and share one
// instance.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FaceIdClient, initSync } from "./faceid_edge.js";

// eslint-disable-next-line no-undef
initSync({ module: readFileSync(join(__dirname, "faceid_edge_bg.wasm")) });

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
  verifySign,
} from "./faceid_edge.js";
export { createRedisTicketStore } from "./redis-store.js";
export { TicketOwner } from "./ticket-owner.js";
export { FaceIdError } from "./errors.js";

/** Already initialised on load; kept so that portable code can `await init()`. */
export default async function init() {}
