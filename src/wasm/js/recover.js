// The package's API over wasm-bindgen's glue, with recovery from a
// WebAssembly trap (RELIABILITY.md "Wasm traps").
//
// A module of its own, shipped as pkg/recover.js beside wasm-bindgen's
// faceid_edge.js, which it imports and never edits: the entries (node.cjs,
// workerd.js, browser.js, ticket-owner.js) take the API from here. The glue
// is generated with `--experimental-reset-state-function`, so wasm-bindgen
// itself emits the reinit machinery: `__wbg_reset_state()` (a fresh instance
// of the same compiled module, synchronously: workerd allows it, it refuses
// compiling bytes at run time), an instance id stamped on every object
// (`__wbg_inst`) and closure, checked on each use, and finalizers that skip
// pointers of an older instance. Where a trap is caught and when the
// instance is replaced: src/wasm/js/instance.js.
//
// What this module adds, at the entry points only (a plain function per
// export or method: no per-call allocation, and nothing on the calls the
// glue makes inside one entry, such as its allocator's):
// - each exported function and each method of the exported classes is a
//   call into the instance: a trap in it throws FaceIdError INTERNAL (an
//   async method returns a promise rejected with it, as with every other
//   error of an async method) and the instance is replaced;
// - an object of an older instance (a FaceIdClient, a TicketManager, the
//   edge handler's state) is remade on its next use from what it was made
//   with: the options of its constructor, or the client and options of
//   `edgeHandler`, instead of wasm-bindgen's "stale object" error. What it
//   held in memory (cached tickets) is fetched again; `whenRemade` lets the
//   TicketOwner hand its stored ticket back;
// - `free()` of an object of an older instance only forgets its pointer
//   (the memory died with the old instance).
//
// Of the glue's internals it relies on `__wbg_ptr`, `__wbg_inst` (the
// instance id), `__destroy_into_raw` and the static `FaceIdEdgeHandler.__wrap`:
// an upgrade that renames one fails at load or in the trap tests
// (tests/js/trap.*.test.mjs), never silently.
import * as glue from "./faceid_edge.js";
import { setSignLane, signLane } from "./errors.js";
import { enter, instanceGeneration, isLost, leave, setResetState, thrown } from "./instance.js";
// The methods that return a promise, per class: written by scripts/build-pkg.mjs
// from the generated types.
import { ASYNC_METHODS } from "./async-methods.js";

setResetState(glue.__wbg_reset_state);
setSignLane(glue.__signScratch, glue.__signLane);

/** Object → makes a fresh one the same way, in the current instance. */
const makers = new WeakMap();
/** Object → called after it was remade (the TicketOwner restores its ticket). */
const remadeHooks = new WeakMap();
/** The class of each remade object's raw `free` (for the finalizer below). */
const rawFree = new Map();

/**
 * Frees a remade object's pointer when the object is collected (the glue's
 * own finalizer holds its first pointer, of the older instance, and skips it).
 */
const remadeFinalizer = typeof FinalizationRegistry === "undefined"
  ? { register() {}, unregister() {} }
  : new FinalizationRegistry(([free, ptr, generation]) => {
    if (generation !== instanceGeneration()) return;
    const husk = Object.create(null);
    husk.__wbg_ptr = ptr;
    husk.__destroy_into_raw = () => ptr;
    try {
      free.call(husk);
    } catch {
      // Nothing to tell from a finalizer.
    }
  });

/** Whether `o` was made by an older instance. */
function stale(o) {
  return o != null && o.__wbg_inst !== undefined && o.__wbg_inst !== instanceGeneration();
}

/** Remakes `o` in the current instance if it belongs to an older one. */
function renew(o) {
  if (!stale(o)) return;
  const make = makers.get(o);
  // A freed object (pointer 0) or one made elsewhere: the glue's checks
  // answer for it as they would (null pointer).
  if (!o.__wbg_ptr || make === undefined) {
    if (!o.__wbg_ptr) o.__wbg_inst = instanceGeneration();
    return;
  }
  const fresh = make();
  o.__wbg_ptr = fresh.__destroy_into_raw();
  o.__wbg_inst = fresh.__wbg_inst;
  remadeFinalizer.unregister(o);
  remadeFinalizer.register(o, [rawFree.get(Object.getPrototypeOf(fresh)), o.__wbg_ptr, o.__wbg_inst], o);
  const hook = remadeHooks.get(o);
  if (hook) hook(o);
}

/** A method of a glue class as an entry point (five arguments at most). */
function method(f, async) {
  return function (a, b, c, d, e) {
    enter();
    let out;
    try {
      renew(this);
      out = f.call(this, a, b, c, d, e);
    } catch (error) {
      const t = thrown(error);
      if (async && isLost(t)) return Promise.reject(t);
      throw t;
    }
    if (!async) {
      leave();
      return out;
    }
    try {
      leave();
    } catch (error) {
      return Promise.reject(error);
    }
    return out;
  };
}

/** `free()`: an object of an older instance only forgets its pointer. */
function free(f) {
  return function () {
    remadeFinalizer.unregister(this);
    if (stale(this)) {
      this.__destroy_into_raw();
      return;
    }
    enter();
    try {
      f.call(this);
    } catch (error) {
      throw thrown(error);
    }
    leave();
  };
}

/**
 * Wraps every method of `Class` (a glue class) in place; `asyncMethods`
 * names those that return a promise (read from the generated types by
 * scripts/build-pkg.mjs: async-methods.js).
 */
function wrapClass(Class, asyncMethods) {
  const proto = Class.prototype;
  rawFree.set(proto, proto.free);
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === "constructor" || name === "__destroy_into_raw") continue;
    // Methods only (a getter would run on the prototype if read).
    const f = Object.getOwnPropertyDescriptor(proto, name).value;
    if (typeof f !== "function") continue;
    if (f.length > 5) throw new Error(`faceid-edge: ${Class.name}.${name} takes more than five arguments`);
    const wrapped = name === "free" ? free(f) : method(f, asyncMethods.includes(name));
    Object.defineProperty(wrapped, "name", { value: name });
    proto[name] = wrapped;
  }
  if (typeof Symbol.dispose === "symbol" && Object.hasOwn(proto, Symbol.dispose)) proto[Symbol.dispose] = proto.free;
}


// The edge handler's state is made inside FaceIdClient.edgeHandler, by the
// glue's `FaceIdEdgeHandler.__wrap` (its way to turn a Rust value into an
// object): the state made last is noted, so that edgeHandler can record how
// to make it again.
let lastState = null;
{
  const wrap = glue.FaceIdEdgeHandler.__wrap;
  if (typeof wrap !== "function") throw new Error("faceid-edge: the glue has no FaceIdEdgeHandler.__wrap");
  glue.FaceIdEdgeHandler.__wrap = function (ptr) {
    lastState = wrap.call(this, ptr);
    return lastState;
  };
}
const rawEdgeHandler = glue.FaceIdClient.prototype.edgeHandler;

/** `client.edgeHandler(options)` and the state it made (null if none). */
function makeHandler(client, options) {
  lastState = null;
  const handler = rawEdgeHandler.call(client, options);
  const state = lastState;
  lastState = null;
  return [handler, state];
}

wrapClass(glue.FaceIdClient, ASYNC_METHODS.FaceIdClient);
wrapClass(glue.TicketManager, ASYNC_METHODS.TicketManager);
// The edge handler's class has no generated types (users meet it as
// EdgeHandler): its one async method is named here.
wrapClass(glue.FaceIdEdgeHandler, ["fetch"]);

// edgeHandler records how to remake the state: the same call on the same
// client (remade first if it is stale too), with the same options.
glue.FaceIdClient.prototype.edgeHandler = Object.defineProperty(method(function (options) {
  const [handler, state] = makeHandler(this, options);
  if (state !== null) {
    makers.set(state, () => {
      renew(this);
      return makeHandler(this, options)[1];
    });
  }
  return handler;
}, false), "name", { value: "edgeHandler" });

/** Runs `make` (a constructor's `super` call into the glue) as an entry point. */
function constructing(make) {
  enter();
  try {
    make();
  } catch (error) {
    throw thrown(error);
  }
  leave();
}

/** The client class: its constructor records its options (to remake it after a trap). */
export class FaceIdClient extends glue.FaceIdClient {
  constructor(options) {
    constructing(() => super(options));
    makers.set(this, () => new glue.FaceIdClient(options));
  }
}

/** The ticket owner's engine: its constructor records its options. */
export class TicketManager extends glue.TicketManager {
  constructor(options) {
    constructing(() => super(options));
    makers.set(this, () => new glue.TicketManager(options));
  }
}

/** An exported function of the glue as an entry point (three arguments at most). */
function entry(f) {
  if (f.length > 3) throw new Error(`faceid-edge: ${f.name} takes more than three arguments`);
  const wrapped = function (a, b, c) {
    enter();
    let out;
    try {
      out = f(a, b, c);
    } catch (error) {
      throw thrown(error);
    }
    leave();
    return out;
  };
  return Object.defineProperty(wrapped, "name", { value: f.name });
}

// sign() and signValues() are the hot path: written out, one argument each.
// sign() takes the fast lane (boundary.js's signLane: one call into wasm,
// numbers only) and falls back on the general path, which reports errors.
export function sign(options) {
  enter();
  let out;
  try {
    out = signLane(options);
    if (out === undefined) out = glue.sign(options);
  } catch (error) {
    throw thrown(error);
  }
  leave();
  return out;
}

export function signValues(values) {
  enter();
  let out;
  try {
    out = glue.signValues(values);
  } catch (error) {
    throw thrown(error);
  }
  leave();
  return out;
}

export const codeInfo = entry(glue.codeInfo);
export const createEdgeHandler = entry(glue.createEdgeHandler);
export const decodeMedia = entry(glue.decodeMedia);
export const nonce = entry(glue.nonce);
export const verifyOrderToken = entry(glue.verifyOrderToken);
export const verifySign = entry(glue.verifySign);
export { initSync } from "./faceid_edge.js";
export { default } from "./faceid_edge.js";

/** Calls `hook(o)` each time `o` is remade after a trap (package-internal). */
export function whenRemade(o, hook) {
  remadeHooks.set(o, hook);
}
