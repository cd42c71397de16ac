// faceid-edge/sign for Node.js, as an ES module: the same instance as
// node.cjs (through node-load.cjs, as the main package's node.mjs).
import loaded from "./node-load.cjs";

const cjs = loaded.node;

export const { FaceIdError, nonce, sign, signValues, verifySign } = cjs;
export default cjs.default;
