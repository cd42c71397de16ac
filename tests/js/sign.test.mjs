// The signing-only entry `faceid-edge/sign`: the packed package's `./sign`
// export in Node (import and require), in real workerd and in headless
// Chromium. Each runs the shared probe (official vectors, verifySign, nonces,
// every typed error) on the sign entry and on the main entry in the same
// runtime: the sign entry must pass it and give the same signatures, codes
// and messages as the main package. Its size is held to the issue's budget.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { installedPackage, PACKAGE_NAME, resolveExport, runTsc, tempDir } from "./lib/package.mjs";
import { checkProbe, probe, SIGN1 } from "./lib/probe.mjs";
import { newSession, startChromedriver, startStaticServer } from "./lib/webdriver.mjs";
import { startWorkerd, WORKERD_CONDITIONS } from "./lib/workerd.mjs";

const pkg = installedPackage();
const SUBPATH = "./sign";
const NAMES = ["FaceIdError", "default", "nonce", "sign", "signValues", "verifySign"];
// The probe checks 10 000 nonces by default; the comparison needs fewer.
const NONCES = 2000;

/** What must be equal between the entries: all but the random nonces. */
function comparable(r) {
  const { nonce, ...rest } = r;
  return { ...rest, nonce: { count: nonce.count, malformed: nonce.malformed } };
}

/** Both entries' probes, run in one runtime: checked, then compared. */
function checkBoth(r, where) {
  assert.equal(r.failure, undefined, `${where}: ${JSON.stringify(r)}`);
  checkProbe(r.sign, NONCES);
  checkProbe(r.main, NONCES);
  assert.deepEqual(comparable(r.sign), comparable(r.main), `${where}: the sign entry differs from the main entry`);
  assert.deepEqual(r.names, NAMES, `${where}: the sign entry's exports`);
}

function runNode(name, source) {
  const file = join(pkg.projectDir, name);
  writeFileSync(file, source);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: pkg.projectDir, encoding: "utf8", timeout: 30_000 }));
}

test("package.json: ./sign resolves to its own entry in every condition", () => {
  const cases = [
    [WORKERD_CONDITIONS, "./sign/workerd.js"],
    [["node", "import"], "./sign/node.mjs"],
    [["node", "require"], "./sign/node.cjs"],
    [["browser", "import"], "./sign/browser.js"],
    [["import"], "./sign/browser.js"],
  ];
  for (const [conditions, file] of cases) assert.equal(resolveExport(pkg.manifest, conditions, SUBPATH), file, conditions.join(","));
});

test("Node, import and require: the sign entry gives the main package's signatures and errors", () => {
  for (const [how, load] of [
    ["import", `const sign = await import("${PACKAGE_NAME}/sign"); const main = await import("${PACKAGE_NAME}");`],
    ["require", `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const sign = require("${PACKAGE_NAME}/sign"); const main = require("${PACKAGE_NAME}");`],
  ]) {
    const r = runNode(`sign-${how}.mjs`, `${load}
const probe = (${probe});
const resolved = import.meta.resolve("${PACKAGE_NAME}/sign");
console.log(JSON.stringify({ sign: await probe(sign, ${NONCES}), main: await probe(main, ${NONCES}),
  names: Object.keys(sign).sort(), resolved }));
`);
    checkBoth(r, `Node ${how}`);
    assert.match(r.resolved, /\/sign\/node\.mjs$/);
  }
});

test("Node: importing faceid-edge/sign does not load the main package's .wasm", () => {
  const r = runNode("sign-alone.mjs", `const compiled = [];
WebAssembly.Module = new Proxy(WebAssembly.Module, {
  construct(target, args) { compiled.push(args[0].byteLength); return Reflect.construct(target, args); },
});
const { sign } = await import("${PACKAGE_NAME}/sign");
sign({ appId: "appId001", orderNo: "o1", ticket: "t", nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T" });
console.log(JSON.stringify({ compiled }));
`);
  const main = readFileSync(join(pkg.packageDir, "faceid_edge_bg.wasm")).length;
  const own = readFileSync(join(pkg.packageDir, "sign", "faceid_edge_sign_bg.wasm")).length;
  assert.deepEqual(r.compiled, [own], `compiled ${r.compiled} bytes; the sign .wasm is ${own}, the main one ${main}`);
});

// A trap the way a memory-safety bug would make one: the heap overwritten
// (every page the allocator got after instantiation; the statics below it
// are left alone), so that the next allocation follows a free-list pointer
// out of bounds. Each call is made to allocate: sign() with other static
// fields than the call before.
const CAPTURE = `export const instances = [];
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args) {
    const instance = Reflect.construct(target, args);
    instances.push({ instance, initial: instance.exports.memory.buffer.byteLength });
    return instance;
  },
});
`;
/** Runs where the sign entry `s` was loaded after CAPTURE: four traps, each followed by calls. */
async function trapRounds(s, instances) {
  const opts = { appId: "appId001", orderNo: "aabc1457895464", nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
    ticket: "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S" };
  const rounds = [];
  for (const call of [() => s.sign({ ...opts, appId: "appId002" }), () => s.signValues(["a", "b"]), () => s.verifySign(["a"], "x".repeat(40)), () => s.nonce()]) {
    const before = s.sign(opts);
    s.signValues(["warm", "up"]);
    const { instance, initial } = instances[instances.length - 1];
    new Uint8Array(instance.exports.memory.buffer).fill(0xab, initial);
    let error;
    try {
      error = { returned: call() };
    } catch (e) {
      error = { isFaceIdError: e instanceof s.FaceIdError, code: e.code, causeIsTrap: e.cause instanceof WebAssembly.RuntimeError };
    }
    rounds.push({ before, error, after: s.sign(opts), signValues: s.signValues(["a", "b"]), nonce: /^[A-Za-z0-9]{32}$/.test(s.nonce()) });
  }
  return { rounds, instances: instances.length };
}

function checkTrapRounds(r) {
  assert.equal(r.failure, undefined, JSON.stringify(r));
  assert.equal(r.rounds.length, 4, JSON.stringify(r));
  for (const round of r.rounds) {
    assert.equal(round.before, SIGN1);
    assert.deepEqual(round.error, { isFaceIdError: true, code: "INTERNAL", causeIsTrap: true });
    assert.equal(round.after, SIGN1);
    assert.equal(round.signValues, "DA23614E02469A0D7C7BD1BDAB5C9C474B1904DC");
    assert.equal(round.nonce, true);
  }
  assert.equal(r.instances, 5, "one instance at load, one more after each trap");
}

test("a wasm trap in Node: the call throws FaceIdError INTERNAL and the next one runs in a fresh instance", () => {
  writeFileSync(join(pkg.projectDir, "sign-capture.mjs"), CAPTURE);
  checkTrapRounds(runNode("sign-trap.mjs", `import { instances } from "./sign-capture.mjs";
const s = await import("${PACKAGE_NAME}/sign");
console.log(JSON.stringify(await (${trapRounds})(s, instances)));
`));
});

test("a wasm trap in workerd: the same, the instance made again at run time", async () => {
  const entry = resolveExport(pkg.manifest, WORKERD_CONDITIONS, SUBPATH).replace(/^\.\//, "");
  const wd = await startWorkerd({
    projectDir: pkg.projectDir,
    modules: [{ name: "capture.js", source: CAPTURE }],
    workerSource: `import { instances } from "./capture.js";
import * as s from "./node_modules/${PACKAGE_NAME}/${entry}";
export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== "/trap") return new Response("ready");
    try {
      return Response.json(await (${trapRounds})(s, instances));
    } catch (e) {
      return Response.json({ failure: String(e && e.stack || e) });
    }
  },
};
`,
  });
  try {
    checkTrapRounds(await (await fetch(`${wd.url}/trap`, { signal: AbortSignal.timeout(30_000) })).json());
  } finally {
    await wd.stop();
  }
});

test("types: tsc --strict (nodenext) accepts correct use of faceid-edge/sign, rejects wrong use, declares exactly its exports", async () => {
  writeFileSync(join(pkg.projectDir, "sign-check.ts"), `import init, { FaceIdError, nonce, sign, signValues, verifySign } from "${PACKAGE_NAME}/sign";
import type { FaceIdErrorCode, InitInput, SignOptions } from "${PACKAGE_NAME}/sign";
import * as ns from "${PACKAGE_NAME}/sign";

await init();
const options: SignOptions = { appId: "appId001", orderNo: "aabc1457895464", ticket: "t", nonce: nonce() };
const signed: string = sign(options);
const fromValues: string = signValues(["a", null, undefined]);
const ok: boolean = verifySign(["a"], signed);
try {
  sign(options);
} catch (e) {
  if (e instanceof FaceIdError) {
    const code: FaceIdErrorCode = e.code;
  }
}
const input: InitInput = new URL("https://example.invalid/x.wasm");
// @ts-expect-error orderNo must be a string
sign({ appId: "appId001", orderNo: 1, ticket: "t", nonce: "n" });
// @ts-expect-error values are strings, null or undefined
signValues([1]);
// Exactly these value exports: a missing or an extra name fails to compile.
const names: Record<keyof typeof ns, true> = { ${NAMES.map((n) => `${n}: true`).join(", ")} };
`);
  writeFileSync(join(pkg.projectDir, "sign-check.cts"), `import faceid = require("${PACKAGE_NAME}/sign");
const signed: string = faceid.sign({ appId: "a", orderNo: "o", ticket: "t", nonce: faceid.nonce() });
// @ts-expect-error orderNo must be a string
faceid.sign({ appId: "a", orderNo: 1, ticket: "t", nonce: "n" });
`);
  const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "sign-check.ts", "sign-check.cts"];
  const { code, output } = await runTsc(args, { cwd: pkg.projectDir });
  assert.equal(code, 0, `tsc failed:\n${output}`);
});

test("workerd: the sign entry gives the main package's signatures and errors", async () => {
  const entry = resolveExport(pkg.manifest, WORKERD_CONDITIONS, SUBPATH).replace(/^\.\//, "");
  const wd = await startWorkerd({
    projectDir: pkg.projectDir,
    workerSource: `import * as sign from "./node_modules/${PACKAGE_NAME}/${entry}";
import * as main from "${PACKAGE_NAME}";
const probe = (${probe});
export default {
  async fetch() {
    try {
      return Response.json({ sign: await probe(sign, ${NONCES}), main: await probe(main, ${NONCES}), names: Object.keys(sign).sort() });
    } catch (e) {
      return Response.json({ failure: String(e && e.stack || e) });
    }
  },
};
`,
  });
  try {
    const r = await (await fetch(`${wd.url}/`, { signal: AbortSignal.timeout(30_000) })).json();
    checkBoth(r, "workerd");
  } finally {
    await wd.stop();
  }
});

// ---------------------------------------------------------------------------
// Chromium: both entries through an import map; the sign entry before init().

const PREFIX = `/node_modules/${PACKAGE_NAME}/`;
const browserEntry = (subpath) => PREFIX + resolveExport(pkg.manifest, ["browser", "import"], subpath).replace(/^\.\//, "");
const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: { [PACKAGE_NAME]: browserEntry("."), [`${PACKAGE_NAME}/sign`]: browserEntry(SUBPATH) } })}</script>
<script type="module">
  import initSign, * as sign from "${PACKAGE_NAME}/sign";
  import initMain, * as main from "${PACKAGE_NAME}";
  const probe = (${probe});
  window.__result = (async () => {
    let early;
    try {
      sign.sign({ appId: "a", orderNo: "b", ticket: "c", nonce: "d" });
      early = "no error";
    } catch (e) {
      early = { isFaceIdError: e instanceof sign.FaceIdError, code: e.code, message: e.message };
    }
    await initSign();
    await initMain();
    return { early, sign: await probe(sign, ${NONCES}), main: await probe(main, ${NONCES}), names: Object.keys(sign).sort() };
  })().catch((e) => ({ failure: String(e && e.stack || e) }));
</script>
`;
const WAIT_FOR_RESULT = `const done = arguments[arguments.length - 1];
const deadline = Date.now() + arguments[0];
(function poll() {
  if (window.__result) return window.__result.then(done);
  if (Date.now() > deadline) return done({ failure: "the page published no result" });
  setTimeout(poll, 50);
})();`;

let server, driver, session;
before(async () => {
  server = await startStaticServer({ pages: { "/": PAGE }, mounts: { [PREFIX]: pkg.packageDir } });
  driver = await startChromedriver();
  session = await newSession(driver.url, { userDataDir: tempDir("chromium-sign") });
});
after(async () => {
  await session?.delete().catch((e) => console.error(e.message));
  await driver?.stop();
  server?.close();
});

test("Chromium: NOT_INITIALIZED before init(), then the main package's signatures and errors", async () => {
  await session.navigate(`${server.url}/`);
  const r = await session.executeAsync(WAIT_FOR_RESULT, 30_000);
  assert.equal(r.failure, undefined, JSON.stringify(r));
  assert.equal(r.early.isFaceIdError, true, JSON.stringify(r.early));
  assert.equal(r.early.code, "NOT_INITIALIZED");
  assert.match(r.early.message, /await init\(\)/);
  checkBoth(r, "Chromium");
});

test("size: the sign entry's .wasm is at most 16 KiB gzip (the issue's budget, measured as for the main .wasm)", () => {
  const dir = join(pkg.packageDir, "sign");
  const gz = (f) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  const wasm = gz("faceid_edge_sign_bg.wasm");
  // The JavaScript a page loads with it, for the record (bench/run.mjs prints the sum).
  const snippet = /from "\.\/([^"]+)"/.exec(readFileSync(join(dir, "errors.js"), "utf8"))[1];
  const js = ["browser.js", "recover.js", "faceid_edge_sign.js", "errors.js", snippet].map((f) => `${f} ${gz(f)}`).join(", ");
  assert.ok(wasm <= 16 * 1024, `faceid_edge_sign_bg.wasm: ${wasm} bytes gzip (JavaScript: ${js})`);
  assert.ok(wasm < gz("../faceid_edge_bg.wasm") / 4, "the sign entry's .wasm is a fraction of the main one");
});
