// The packed faceid-edge package, installed into a fresh project, used from
// real Node processes (ESM and CJS) and type-checked with the repo's tsc.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, PACKAGE_NAME, resolveExport, runTsc } from "./lib/package.mjs";
import { checkProbe, EXPORTS, probe } from "./lib/probe.mjs";

const run = promisify(execFile);
const pkg = installedPackage();

/** Writes `source` as `file` in the consumer project and runs it with node; returns its JSON output. */
async function runNode(file, source, nodeArgs = []) {
  writeFileSync(join(pkg.projectDir, file), source);
  const { stdout } = await run(process.execPath, [...nodeArgs, file], {
    cwd: pkg.projectDir, timeout: 30_000, maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout);
}

test("the tarball holds every file the exports map and the entries refer to", () => {
  const packed = new Set(pkg.packedFiles);
  const targets = [];
  const walk = (t) => (typeof t === "string" ? targets.push(t) : Object.values(t ?? {}).forEach(walk));
  walk(pkg.manifest.exports);
  for (const t of targets) assert.ok(packed.has(posix.normalize(t)), `exports target ${t} is not in the tarball`);

  let references = 0;
  const reference = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\(\s*|new URL\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
  for (const file of pkg.packedFiles.filter((f) => /\.(c|m)?js$/.test(f))) {
    const text = readFileSync(join(pkg.packageDir, file), "utf8");
    for (const [, spec] of text.matchAll(reference)) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      references++;
      assert.ok(packed.has(target), `${file} refers to ${spec}, which is not in the tarball`);
    }
  }
  assert.ok(references > 0, "found no relative imports to check");
});

test("ESM import: vectors, nonces, verifySign and errors", async () => {
  const r = await runNode("probe-esm.mjs", `import * as f from "${PACKAGE_NAME}";
const probe = (${probe});
console.log(JSON.stringify(await probe(f)));
`);
  checkProbe(r);
});

test("CJS require: vectors, nonces, verifySign and errors", async () => {
  const r = await runNode("probe-cjs.cjs", `const f = require("${PACKAGE_NAME}");
const probe = (${probe});
probe(f).then((r) => console.log(JSON.stringify(r)));
`);
  checkProbe(r);
});

test("import and require in one process share one instance", async () => {
  const r = await runNode("share.mjs", `import * as esm from "${PACKAGE_NAME}";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const cjs = require("${PACKAGE_NAME}");
const caught = (fn) => { try { fn(); } catch (e) { return e; } };
console.log(JSON.stringify({
  imported: import.meta.resolve("${PACKAGE_NAME}"),
  required: require.resolve("${PACKAGE_NAME}"),
  same: ["FaceIdClient", "FaceIdError", "codeInfo", "decodeMedia", "sign", "signValues", "nonce", "verifySign", "default"].filter((k) => esm[k] !== cjs[k]),
  esmErrorIsCjsClass: caught(() => esm.signValues([1])) instanceof cjs.FaceIdError,
  cjsErrorIsEsmClass: caught(() => cjs.sign(null)) instanceof esm.FaceIdError,
}));
`);
  assert.match(r.imported, /\/node_modules\/faceid-edge\/node\.mjs$/);
  assert.match(r.required, /\/node_modules\/faceid-edge\/node\.cjs$/);
  assert.deepEqual(r.same, [], "these differ between import and require");
  assert.equal(r.esmErrorIsCjsClass, true);
  assert.equal(r.cjsErrorIsEsmClass, true);
});

test("nonce() without a working CSPRNG throws FaceIdError RANDOM_UNAVAILABLE, then recovers", async () => {
  const r = await runNode("no-random.mjs", `import { FaceIdError, nonce } from "${PACKAGE_NAME}";
const real = globalThis.crypto;
const attempt = (crypto) => {
  Object.defineProperty(globalThis, "crypto", { value: crypto, configurable: true });
  try { return { value: nonce() }; }
  catch (e) { return { name: e.name, code: e.code, isFaceIdError: e instanceof FaceIdError }; }
  finally { Object.defineProperty(globalThis, "crypto", { value: real, configurable: true }); }
};
console.log(JSON.stringify({
  throwing: attempt({ getRandomValues() { throw new Error("no entropy"); } }),
  missing: attempt({}),
  after: nonce(),
}));
`);
  const expected = { name: "FaceIdError", code: "RANDOM_UNAVAILABLE", isFaceIdError: true };
  assert.deepEqual(r.throwing, expected);
  assert.deepEqual(r.missing, expected);
  assert.match(r.after, /^[A-Za-z0-9]{32}$/);
});

// A loader hook that imports .wasm the way workerd and bundlers for Workers
// do: the default export is a compiled WebAssembly.Module.
// workerd's modules for Node: a .wasm import as a compiled module, and
// "cloudflare:workers" (the DurableObject base class) as a stand-in.
const WASM_HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === "cloudflare:workers") return { url: "cloudflare:workers", shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url === "cloudflare:workers") {
    return { format: "module", shortCircuit: true, source: "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }" };
  }
  if (!url.endsWith(".wasm")) return next(url, context);
  const source = 'import { readFileSync } from "node:fs";\\n' +
    "export default new WebAssembly.Module(readFileSync(new URL(" + JSON.stringify(url) + ")));";
  return { format: "module", shortCircuit: true, source };
}
`;

// EXPORTS is what index.d.ts declares: the types test below holds it to that with tsc.
test("every entry exports exactly the names index.d.ts declares", async (t) => {
  writeFileSync(join(pkg.projectDir, "wasm-hooks.mjs"), WASM_HOOKS);
  const browserEntry = resolveExport(pkg.manifest, ["browser", "import"]);
  const entries = {
    "node.mjs (import)": [`const m = await import("${PACKAGE_NAME}");`],
    "node.cjs (require)": [`import { createRequire } from "node:module";
const m = createRequire(import.meta.url)("${PACKAGE_NAME}");`],
    [`${browserEntry} (exports.browser)`]: [
      `const m = await import(new URL("./node_modules/${PACKAGE_NAME}/${browserEntry}", import.meta.url));`],
    "workerd.js (--conditions=workerd)": [`import { register } from "node:module";
register("./wasm-hooks.mjs", import.meta.url);
const m = await import("${PACKAGE_NAME}");`, ["--conditions=workerd"]],
  };
  let i = 0;
  for (const [entry, [load, nodeArgs]] of Object.entries(entries)) {
    await t.test(entry, async () => {
      const r = await runNode(`exports-${i++}.mjs`, `${load}
console.log(JSON.stringify({ names: Object.keys(m).sort(),
  resolved: import.meta.resolve("${PACKAGE_NAME}") }));
`, nodeArgs);
      if (entry.startsWith("workerd")) assert.match(r.resolved, /\/workerd\.js$/);
      assert.deepEqual(r.names, [...EXPORTS].sort());
    });
  }
});

test("types: tsc --strict (nodenext) accepts correct use, rejects wrong use, declares exactly the exports", async () => {
  const names = EXPORTS.map((n) => `${n}: true`).join(", ");
  writeFileSync(join(pkg.projectDir, "check.ts"), `import init, { FaceIdError, nonce, sign, signValues, verifySign } from "${PACKAGE_NAME}";
import type { FaceIdErrorCode, InitInput, SignOptions } from "${PACKAGE_NAME}";
import * as ns from "${PACKAGE_NAME}";

await init();
const options: SignOptions = { appId: "appId001", orderNo: "aabc1457895464", ticket: "t", nonce: nonce() };
const signed: string = sign(options);
const withVersion: string = sign({ ...options, version: "1.0.0" });
const values: ReadonlyArray<string | null | undefined> = ["a", null, undefined];
const fromValues: string = signValues(values);
const ok: boolean = verifySign(values, signed);
try {
  sign(options);
} catch (e) {
  if (e instanceof FaceIdError) {
    const code: FaceIdErrorCode = e.code;
    const name: "FaceIdError" = e.name;
    const message: string = e.message;
  }
}
const input: InitInput = new URL("https://example.invalid/x.wasm");

// @ts-expect-error orderNo must be a string
sign({ appId: "appId001", orderNo: 1, ticket: "t", nonce: "n" });
// @ts-expect-error ticket is required
sign({ appId: "appId001", orderNo: "o", nonce: "n" });
// @ts-expect-error values are strings, null or undefined
signValues([1]);
// @ts-expect-error nonce() returns a string
const n: number = nonce();
// @ts-expect-error not a FaceIdErrorCode
const bad: FaceIdErrorCode = "NOT_A_CODE";

// The whole surface: client, queries, the H5 flow, the edge handler, the store, the owner, events.
import { FaceIdClient, TicketManager, TicketOwner, createEdgeHandler, createRedisTicketStore, verifyOrderToken } from "${PACKAGE_NAME}";
import type { EdgeEvent, EdgeHandler, FaceIdEvent, QueryResult, FaceResult, TicketStatus, TicketStore, StartFaceResult, CallbackVerdict, OrderTokenGrant,
  OrderKind, OrderResultEvent, OrderStartEvent, OrderTokenVerdict, FaceDevice, SdkKind, SdkStartParams, SdkStartResponse,
  StartSdkInput } from "${PACKAGE_NAME}";
const events: FaceIdEvent[] = [];
const client = new FaceIdClient({ appId: "a", secret: "s", onEvent: (e) => events.push(e), deadlineMs: 5000,
  fetch: (url, init) => fetch(url, init) });
const r: QueryResult<FaceResult> = await client.faceResult("o1", { getFile: "photo", signal: AbortSignal.timeout(1000), deadlineMs: 2000 });
if (r.ok) {
  const code: "0" = r.code;
} else {
  // @ts-expect-error a failed result's code is not narrowed to "0"
  const zero: "0" = r.code;
}
for (const e of events) {
  if (e.type === "retry") { const d: number = e.delayMs; }
  if (e.type === "retry" && e.reason === "busy") { const c: string = e.code; }
  if (e.type === "retry" && e.reason === "socket") { const p: string = e.path; const m: "GET" = e.method; }
  // @ts-expect-error a socket resend has no business code
  if (e.type === "retry" && e.reason === "socket") { const c: string = e.code; }
  if (e.type === "failure") { const c: FaceIdErrorCode = e.error; }
}
const status: TicketStatus = client.ticketStatus();
const has: boolean | null = status.hasTicket;
const started: StartFaceResult = await client.startFace({ userId: "u", name: "n", idNo: "1", callbackUrl: "https://x.example/cb" });
const verdict: CallbackVerdict = await client.verifyCallback(new URL(started.url));
const device: FaceDevice = started.device;
const from: "optimalDomain" | "loginUrl" | "kycUrl" = started.faceOriginFrom;
// @ts-expect-error the callback's code is not a verdict: there is no ok
const notAVerdict: boolean = verdict.ok;
const kind: SdkKind = "bankCardOcr";
const sdkInput: StartSdkInput = { kind, userId: "u" };
const params: SdkStartParams = await client.startSdk(sdkInput);
const faceId: string | undefined = params.faceId;
// @ts-expect-error only the four App SDKs
const badKind: StartSdkInput = { kind: "passport", userId: "u" };
declare const answer: SdkStartResponse;
const sdkSign: string = answer.sdk.sign;
const edgeEvents: EdgeEvent[] = [];
const handler: EdgeHandler = createEdgeHandler({ client, orderTokenKey: "k".repeat(32), returnUrl: "/done",
  identity: async (request: Request) => (request.headers.get("x") ? { userId: "u", name: "n", idNo: "1" } : null),
  publicOrigin: "https://h5.example.com", allowAnonymous: ["ocr"], onEvent: (e) => { edgeEvents.push(e); } });
for (const e of edgeEvents) {
  const route: string | null = e.route;
  if (e.type === "error") { const c: FaceIdErrorCode = e.code; const d: string = e.detail; const s: number = e.status; }
  // @ts-expect-error a request event has no detail
  if (e.type === "request") { const d: string = e.detail; }
}
// @ts-expect-error only "ocr" may run for anonymous callers
createEdgeHandler({ client, orderTokenKey: "k", returnUrl: "/", identity: () => null, publicOrigin: "https://h5.example.com", allowAnonymous: ["start"] });
const response: Response = await handler(new Request("https://x.example/faceid/result"), {}, { waitUntil: () => {} });
const grant: OrderTokenGrant = handler.issueOrderToken("bankcard", "o1", { userId: "u" });
// @ts-expect-error not an order kind
handler.issueOrderToken("passport", "o1");
// @ts-expect-error identity returns an identity or null
createEdgeHandler({ client, orderTokenKey: "k", returnUrl: "/", identity: () => 5 });
// @ts-expect-error a callback verdict has no ok: its code is not a verdict
const pageOk: boolean = verdict.ok;
const hooked: EdgeHandler = createEdgeHandler({ client, orderTokenKey: ["k".repeat(32), new Uint8Array(32)], returnUrl: "/done",
  identity: () => null, audience: "/faceid", callbackTtlMs: 60_000,
  onStart: async (e: OrderStartEvent) => { const who: string = e.userId; const req: Request = e.request; const k: OrderKind = e.kind; },
  onResult: (e: OrderResultEvent) => { const who: string | null = e.userId; const passed: boolean = e.result.ok; const code: string = e.result.code; } });
const checked: OrderTokenVerdict = verifyOrderToken("k".repeat(32), grant.orderToken, { kind: "bankcard", orderNo: "o1", userId: "u" });
const expires: number = checked.expiresAt;
verifyOrderToken(["k".repeat(32)], undefined, { kind: "face", orderNo: "o1", audience: "/x", tokenTtlMs: 1000 });
// @ts-expect-error not an order kind
verifyOrderToken("k".repeat(32), "t", { kind: "passport", orderNo: "o1" });
// @ts-expect-error the order number is required
verifyOrderToken("k".repeat(32), "t", { kind: "face" });
const store: TicketStore = createRedisTicketStore({ get: async () => null, set: async () => "OK", eval: async () => 0 });
const viaStore = new FaceIdClient({ appId: "a", secret: "s", store });
const manager = new TicketManager({ appId: "a", secret: "s", onEvent: (e: FaceIdEvent) => {} });
const ticket: { value: string; expiresAt: number; previous?: string } = await manager.signTicket(undefined);
const owner = new TicketOwner({}, { FACEID_APP_ID: "a" });
// @ts-expect-error signal must be an AbortSignal
client.faceResult("o1", { signal: "stop" });

// Exactly these value exports: a missing or an extra name fails to compile.
const names: Record<keyof typeof ns, true> = { ${names} };
`);
  writeFileSync(join(pkg.projectDir, "check.cts"), `import faceid = require("${PACKAGE_NAME}");
const signed: string = faceid.sign({ appId: "a", orderNo: "o", ticket: "t", nonce: faceid.nonce() });
// @ts-expect-error orderNo must be a string
faceid.sign({ appId: "a", orderNo: 1, ticket: "t", nonce: "n" });
`);
  const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "check.ts", "check.cts"];
  const { code, output } = await runTsc(args, { cwd: pkg.projectDir, timeout: 60_000 });
  assert.equal(code, 0, `tsc failed:\n${output}`);
});
