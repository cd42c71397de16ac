// sign/node.mjs's way to sign/node.cjs, in a plain object that carries no
// `__esModule` flag (see ../node-load.cjs): every loader hands node.mjs the
// module itself, and `import` and `require` share one instance.
"use strict";
module.exports = { node: require("./node.cjs") };
