// faceid-edge for Node.js, as an ES module: the same instance as node.cjs
// (through node-load.cjs, which spares Node a scan of node.cjs's source).
import loaded from "./node-load.cjs";

const cjs = loaded.node;

export const {
  FaceIdClient,
  FaceIdError,
  TicketManager,
  TicketOwner,
  codeInfo,
  createEdgeHandler,
  createRedisTicketStore,
  decodeMedia,
  nonce,
  sign,
  signValues,
  verifyOrderToken,
  verifySign,
} = cjs;
export default cjs.default;
