// node.mjs's way to node.cjs (not an entry of its own). `import` of a
// CommonJS file makes Node scan its whole source for export names
// (cjs-module-lexer); node.cjs carries the .wasm inlined as base64 (about
// 400 KB of text), which made that scan most of `import("faceid-edge")`'s
// load time. This file is all Node scans: it exports node.cjs in a form the
// scan does not follow (node.mjs takes the names from the default export),
// so `import` and `require` still share one instance, and bundlers still
// follow the require().
//
// node.cjs marks itself `__esModule`; a bundler that honours the flag
// (Next.js's Turbopack) would hand node.mjs its `default` export (init)
// instead of the module. So the module travels inside a plain object that
// carries no such flag, the same to every loader.
"use strict";
module.exports = { node: require("./node.cjs") };
