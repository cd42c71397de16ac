// ---- Recovery from a WebAssembly trap ----------------------------------------
//
// Not a module of its own: scripts/build-pkg.mjs splices this text into
// wasm-bindgen's glue (faceid_edge.js) right after its imports, and rewires
// the glue to it (each change checked against wasm-bindgen's exact output).
// In scope there: the glue's `wasm`, `wasmModule`, cached memory views,
// `__wbg_get_imports`, `__wbg_finalize_init`, `takeFromExternrefTable0`, and
// `FaceIdError`, `instanceTrapped` and `instanceReplaced` from
// src/wasm/js/boundary.js.
//
// A trap (a `WebAssembly.RuntimeError`: with panic = "abort", a panic or an
// allocation failure is `unreachable`; or an out-of-bounds access) leaves the
// instance half-updated: RefCell borrow flags stuck, tasks never woken, the
// allocator mid-update. So, after one:
// - every export of the instance is called through `guard`. When a trap
//   escapes a call, or a nested call trapped and the error was swallowed on
//   the way out (by a promise executor, or the glue's handleError), the
//   outermost call replaces the instance with a new one of the same compiled
//   module (synchronously: workerd allows it, it refuses compiling bytes at
//   run time) and throws FaceIdError INTERNAL. A callback the glue runs on
//   its own (a closure called from a promise reaction, a destructor, a
//   finalizer: QUIET) returns quietly instead, since nobody could catch it;
// - every task promise still pending in the old instance is rejected with
//   INTERNAL (instanceReplaced), and from the trap on the old instance
//   settles none (instanceTrapped);
// - closures and finalizer callbacks of an older generation do nothing: they
//   hold pointers into the dead instance;
// - an object of an older generation (a FaceIdClient, a TicketManager, the
//   edge handler's state) is remade on its next use from what it was made
//   with: the options of its constructor, or the client and options of
//   `edgeHandler`. What it held in memory (cached tickets) is fetched again.

/** Bumped each time the instance is replaced. */
let generation = 0;
/** JavaScript → WebAssembly calls on the stack. */
let depth = 0;
/** A trap happened below the outermost call on the stack. */
let trapped = false;
/** Object (or closure state) → [generation, its registry, how to remake it]. */
const born = new WeakMap();
/** Object → called after it was remade (the TicketOwner restores its ticket). */
const remadeHooks = new WeakMap();
/** The edge handler state the glue wrapped last, and the last one adopted. */
let wrapped = null;
let adopted = null;

/** Exports the glue calls from callbacks (closures, destructors, finalizers). */
const QUIET = /^wasm_bindgen_|^__wbindgen_destroy_closure$|^__wbg_\w+_free$/;

const NativeRegistry = globalThis.FinalizationRegistry;

/**
 * The glue's FinalizationRegistry (it shadows the global one): a callback
 * for a pointer of an older generation does nothing, and each registration
 * records the generation of what it registers.
 */
class FinalizationRegistry {
  constructor(free) {
    this.native = NativeRegistry
      ? new NativeRegistry(([g, held]) => {
        if (g === generation) free(held);
      })
      : null;
  }

  register(target, held, token, remake) {
    born.set(token, [generation, this, remake]);
    if (this.native) this.native.register(target, [generation, held], token);
  }

  unregister(token) {
    if (this.native) this.native.unregister(token);
  }
}

/** The FaceIdError for a call lost to a trap (never any input in it). */
function lostToTrap(cause) {
  const error = new FaceIdError("INTERNAL",
    "faceid-edge's WebAssembly instance trapped (a bug: a panic or an allocation failure) and was replaced by a fresh one; this call was lost: retry it");
  if (cause !== undefined) error.cause = cause;
  return error;
}

/**
 * What an async method returns when its synchronous part was lost to a trap
 * (`guard` threw INTERNAL before the method had its promise): a promise
 * rejected with that error, as every other error of an async method is.
 * Anything else is thrown as before.
 */
function asyncLost(error) {
  if (error instanceof FaceIdError && error.code === "INTERNAL") return Promise.reject(error);
  throw error;
}

/** The exports with every function called through `guard`. */
function guarded(exports) {
  const out = {};
  for (const [name, value] of Object.entries(exports)) {
    out[name] = typeof value === "function" ? guard(value, QUIET.test(name)) : value;
  }
  return out;
}

function guard(f, quiet) {
  return (...args) => {
    let result;
    let failure;
    let failed = false;
    depth++;
    try {
      result = f(...args);
    } catch (e) {
      failed = true;
      failure = e;
      if (e instanceof WebAssembly.RuntimeError) {
        trapped = true;
        instanceTrapped();
      }
    }
    depth--;
    if (trapped && depth === 0) {
      const cause = failure instanceof WebAssembly.RuntimeError ? failure : undefined;
      replaceInstance(cause);
      // What the glue reads from a closure's result: nothing to throw.
      if (quiet) return [];
      throw lostToTrap(cause);
    }
    if (failed) throw failure;
    return result;
  };
}

/** A new instance of the same module; the old generation's calls fail. */
function replaceInstance(cause) {
  trapped = false;
  generation++;
  depth++;
  try {
    cachedDataViewMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    __wbg_finalize_init(new WebAssembly.Instance(wasmModule, __wbg_get_imports()), wasmModule);
  } finally {
    depth--;
  }
  instanceReplaced(lostToTrap(cause));
}

/** Whether `x` (an object or a closure's state) belongs to an older generation. */
function stale(x) {
  const b = born.get(x);
  return b !== undefined && b[0] !== generation;
}

/** `o`'s pointer in the current instance: `o` is remade first if it is stale. */
function live(o) {
  const b = born.get(o);
  if (b === undefined || b[0] === generation || !o.__wbg_ptr) return o.__wbg_ptr;
  const [, registry, remake] = b;
  const ret = remake();
  if (ret[2]) throw takeFromExternrefTable0(ret[1]);
  o.__wbg_ptr = ret[0];
  registry.unregister(o);
  registry.register(o, o.__wbg_ptr, o, remake);
  const hook = remadeHooks.get(o);
  if (hook) hook(o);
  return o.__wbg_ptr;
}

/**
 * Records how to remake the edge handler state just wrapped: `make()`
 * makes a new handler the same way (its state is adopted here again), and
 * the old state takes over the new one's pointer.
 */
function remakeWrapped(make) {
  const state = wrapped;
  wrapped = null;
  adopted = state;
  const b = state && born.get(state);
  if (b) {
    b[2] = () => {
      make();
      return [adopted.__destroy_into_raw(), 0, 0];
    };
  }
}

/** Calls `hook(o)` each time `o` is remade after a trap (package-internal). */
export function whenRemade(o, hook) {
  remadeHooks.set(o, hook);
}

// ---- End of the recovery -----------------------------------------------------
