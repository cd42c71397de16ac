// The life of the faceid-edge WebAssembly instance: traps, and the fresh
// instance that follows one (RELIABILITY.md "Wasm traps").
//
// Imported by the Rust `wasm` module (src/wasm/boundary.rs; wasm-bindgen
// copies it into the package as a snippet, beside boundary.js) and by
// recover.js (through the package's instance.js). Nothing here runs at
// module load.
//
// A trap (a `WebAssembly.RuntimeError`: with panic = "abort", a panic or an
// allocation failure is `unreachable`; or an out-of-bounds access) leaves the
// instance half-updated: RefCell borrow flags stuck, tasks never woken, the
// allocator mid-update. The package then replaces it with a fresh instance of
// the same compiled module, through wasm-bindgen's own reinit machinery
// (`__wbg_reset_state`, emitted by `--experimental-reset-state-function`,
// handed over by recover.js): it bumps wasm-bindgen's instance id, which makes
// every object and closure of the old instance stale.
//
// Where a trap is caught (RELIABILITY.md "Wasm traps"):
// - at the package's entry points (recover.js: the exported functions and
//   the methods of the exported classes), where it surfaces to the caller;
// - at the promise reactions through which Rust tasks resume (`gate`
//   below): every promise the Rust code awaits goes through `gate`, whose
//   reaction calls the Rust closure. A trap in a task polled from there is
//   caught there, and nothing escapes to the event loop.
// The instance is replaced only when no call into it is on the stack
// (`depth` 0): a fresh instance under a live frame of the old one would be
// written by that frame (wasm-bindgen's closure bookkeeping reads the
// current instance). A trap caught deeper marks the instance trapped; the
// outermost call replaces it and its caller gets FaceIdError INTERNAL (a
// promise reaction returns quietly: nobody could catch it there).
//
// After the replacement every task promise still pending is rejected with
// INTERNAL (no caller waits forever); from the trap on, the old instance
// settles none (what it computes then is not trusted); and the promises its
// tasks were awaiting never call back into it (`gate` checks the generation):
// a closure of the old instance is never called, so wasm-bindgen's stale
// closure check never throws into the event loop.

import { FaceIdError, forgetInstance } from "./boundary.js";

const pending = new Set();
/** The instance trapped and is not replaced yet. */
let trapped = false;
/** The RuntimeError of that trap, the cause of the INTERNAL errors. */
let trapCause;
/** Instances replaced so far: wasm-bindgen's instance id. */
let generation = 0;
/** Calls into the instance on the stack, from entry points and reactions. */
let depth = 0;
/** wasm-bindgen's `__wbg_reset_state` (from recover.js). */
let resetState = null;

// [promise, resolve, reject]; settling removes it from `pending`.
export function taskPromise() {
  let settle;
  const promise = new Promise((resolve, reject) => {
    settle = [resolve, reject];
  });
  const [resolve, reject] = settle;
  const fail = (error) => {
    if (trapped) return;
    pending.delete(fail);
    reject(error);
  };
  pending.add(fail);
  return [promise, (value) => {
    if (trapped) return;
    pending.delete(fail);
    resolve(value);
  }, fail];
}

/** Hands over wasm-bindgen's `__wbg_reset_state` (recover.js, once). */
export function setResetState(reset) {
  resetState = reset;
}

/** wasm-bindgen's instance id of the current instance. */
export function instanceGeneration() {
  return generation;
}

/** The FaceIdError for a call lost to a trap (never any input in it). */
export function lostToTrap(cause) {
  const error = new FaceIdError("INTERNAL",
    "faceid-edge's WebAssembly instance trapped (a bug: a panic or an allocation failure) and was replaced by a fresh one; this call was lost: retry it");
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** Notes a trap: from now on the instance settles no task promise. */
function noteTrap(e) {
  if (!trapped) trapCause = e;
  trapped = true;
}

/**
 * Replaces the trapped instance (no call into it is on the stack), rejects
 * the pending task promises, and returns the INTERNAL error for the call
 * that met the trap.
 */
function replace() {
  const error = lostToTrap(trapCause);
  trapCause = undefined;
  generation++;
  depth++;
  try {
    resetState();
  } finally {
    depth--;
  }
  trapped = false;
  forgetInstance();
  const failed = [...pending];
  pending.clear();
  for (const fail of failed) fail(error);
  return error;
}

/** Before an entry point calls into the instance. */
export function enter() {
  if (trapped && depth === 0) replace();
  depth++;
}

/**
 * After it returned: when a trap was caught below (and swallowed on the way
 * out) and this is the outermost call, the instance is replaced and this
 * throws the INTERNAL error.
 */
export function leave() {
  if (--depth === 0 && trapped) throw replace();
}

/**
 * After it threw `e`: what to throw instead. A trap is noted; the outermost
 * call replaces the instance and throws INTERNAL; a call deeper rethrows.
 */
export function thrown(e) {
  if (e instanceof WebAssembly.RuntimeError) noteTrap(e);
  return --depth === 0 && trapped ? replace() : e;
}

/** Whether `error` is the INTERNAL error of a call lost to a trap. */
export function isLost(error) {
  return error instanceof FaceIdError && error.code === "INTERNAL" && error.cause instanceof WebAssembly.RuntimeError;
}

/**
 * `p` for `JsFuture` (src/wasm/boundary.rs `settled`): a thenable whose
 * reactions run the Rust closures as calls into the instance (a trap there
 * is caught here) and never once the instance they belong to is replaced.
 */
export function gate(p) {
  const g = generation;
  return {
    then(onFulfilled, onRejected) {
      Promise.resolve(p).then((v) => react(g, onFulfilled, v), (e) => react(g, onRejected, e));
    },
  };
}

/** Ignores the rejection of `p` (an async hook's). */
export function ignoreRejection(p) {
  p.then(undefined, () => {});
}

function react(g, f, v) {
  if (trapped && depth === 0) replace();
  if (g !== generation) return;
  depth++;
  let failure;
  let failed = false;
  try {
    f(v);
  } catch (e) {
    failed = true;
    failure = e;
    if (e instanceof WebAssembly.RuntimeError) noteTrap(e);
  }
  if (--depth === 0 && trapped) {
    replace();
    return;
  }
  if (failed) throw failure;
}
