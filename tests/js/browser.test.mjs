// The packed faceid-edge package in headless Chromium: a page maps
// "faceid-edge" to the package's `browser` entry with an import map, awaits
// init() and runs the shared probe; the results are checked here in Node.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { installedPackage, PACKAGE_NAME, resolveExport, tempDir } from "./lib/package.mjs";
import { checkProbe, probe } from "./lib/probe.mjs";
import { newSession, startChromedriver, startStaticServer } from "./lib/webdriver.mjs";

const pkg = installedPackage();
const PREFIX = `/node_modules/${PACKAGE_NAME}/`;
const entry = PREFIX + resolveExport(pkg.manifest, ["browser", "import"]).replace(/^\.\//, "");

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>faceid-edge in the browser</title>
<script>
  window.__errors = [];
  addEventListener("error", (e) => __errors.push(String(e.message)));
  addEventListener("unhandledrejection", (e) => __errors.push(String(e.reason)));
</script>
<script type="importmap">${JSON.stringify({ imports: { [PACKAGE_NAME]: entry } })}</script>
<script type="module" onerror="window.__result = Promise.resolve({ failure: 'the module graph failed to load' })">
  import init, * as faceid from "${PACKAGE_NAME}";
  const probe = (${probe});
  // A trap the way a memory-safety bug would make one: a pointer overwritten,
  // the next method reads out of bounds. Then the instance must be a new one.
  async function trapAndRecover(f) {
    const settings = { appId: "IDAXXXXX", ticket: "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS" };
    const survivor = new f.FaceIdClient(settings);
    const victim = new f.FaceIdClient(settings);
    victim.__wbg_ptr = 0xFFFFFFF0;
    let sync;
    try {
      victim.toJSON();
      sync = "no error";
    } catch (e) {
      sync = { isFaceIdError: e instanceof f.FaceIdError, code: e.code, causeIsTrap: e.cause instanceof WebAssembly.RuntimeError };
    }
    const asyncVictim = new f.FaceIdClient(settings);
    asyncVictim.__wbg_ptr = 0xFFFFFFF0;
    let rejected;
    try {
      rejected = await asyncVictim.faceResult("order1").then(() => "resolved", (e) => ({ code: e.code }));
    } catch (e) {
      rejected = { threw: e.code };
    }
    return {
      sync, rejected,
      sign: f.sign({ appId: "appId001", orderNo: "aabc1457895464", nonce: "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
        ticket: "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S" }),
      nonce: /^[A-Za-z0-9]{32}$/.test(f.nonce()),
      survivor: JSON.stringify(survivor),
      errors: [...window.__errors],
    };
  }
  window.__result = (async () => {
    let early;
    try {
      faceid.sign({ appId: "a", orderNo: "b", ticket: "c", nonce: "d" });
      early = "no error";
    } catch (e) {
      early = { isFaceIdError: e instanceof faceid.FaceIdError, code: e.code, message: e.message };
    }
    const first = init();
    const second = init();
    await first;
    const probed = await probe(faceid);
    return { early, sameInitPromise: first === second, probe: probed, trap: await trapAndRecover(faceid) };
  })().catch((e) => ({ failure: String(e && e.stack || e), errors: window.__errors }));
</script>
`;

// Waits for the page's result; runs in the page (WebDriver async script).
// (Results say `failure`, not `error`, which WebDriver reserves for its own.)
const WAIT_FOR_RESULT = `const done = arguments[arguments.length - 1];
const deadline = Date.now() + arguments[0];
(function poll() {
  if (window.__result) return window.__result.then(done);
  if (Date.now() > deadline) return done({ failure: "the page published no result", errors: window.__errors });
  setTimeout(poll, 50);
})();`;

let server, driver, session, result;

before(async () => {
  server = await startStaticServer({ pages: { "/": PAGE }, mounts: { [PREFIX]: pkg.packageDir } });
  driver = await startChromedriver();
  session = await newSession(driver.url, { userDataDir: tempDir("chromium") });
  await session.navigate(`${server.url}/`);
  result = await session.executeAsync(WAIT_FOR_RESULT, 20_000);
});

after(async () => {
  await session?.delete().catch((e) => console.error(e.message));
  await driver?.stop();
  server?.close();
});

test("the page loaded the package and published its results", () => {
  assert.equal(result.failure, undefined, JSON.stringify(result));
  assert.equal(result.sameInitPromise, true, "init() twice gives the same promise");
});

test("a wasm trap in Chromium: the call fails with INTERNAL, an async one rejects, and the fresh instance answers", () => {
  assert.deepEqual(result.trap.sync, { isFaceIdError: true, code: "INTERNAL", causeIsTrap: true });
  assert.deepEqual(result.trap.rejected, { code: "INTERNAL" });
  assert.equal(result.trap.sign, "993D057C652D97FD90D5D298F2E5DC4B8D893CBC");
  assert.equal(result.trap.nonce, true);
  // A client made before the trap is remade on its next use; its JSON still shows no ticket.
  assert.match(result.trap.survivor, /"appId":"IDAXXXXX"/);
  assert.doesNotMatch(result.trap.survivor, /XO99Qfxlti9iTVg/);
  assert.deepEqual(result.trap.errors, [], "an error or unhandled rejection reached the page");
});

test("a call before init() is a FaceIdError NOT_INITIALIZED, not a TypeError", () => {
  assert.equal(result.early.isFaceIdError, true, JSON.stringify(result.early));
  assert.equal(result.early.code, "NOT_INITIALIZED");
  assert.match(result.early.message, /await init\(\)/);
});

test("vectors, nonces, verifySign and errors in Chromium", () => {
  checkProbe(result.probe);
});

test("the .wasm was fetched as application/wasm and no package file was missing", () => {
  const served = (file) => server.requests.find((r) => r.path === PREFIX + file);
  for (const file of ["browser.js", "faceid_edge.js", "errors.js", "faceid_edge_bg.wasm"]) {
    assert.equal(served(file)?.status, 200, `${file}: ${JSON.stringify(server.requests)}`);
  }
  assert.equal(served("faceid_edge_bg.wasm").type, "application/wasm");
  assert.deepEqual(server.requests.filter((r) => r.status >= 400), []);
});
