// faceid-edge for Node.js, as an ES module: the same instance as node.cjs.
import cjs from "./node.cjs";

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
  verifySign,
} = cjs;
export default cjs.default;
