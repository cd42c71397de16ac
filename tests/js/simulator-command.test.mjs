// The simulator as a command: the companion npm package `faceid-edge-simulator`
// (packages/simulator/ + tests/sim/, put together by scripts/build-simulator.mjs)
// is built, packed with `npm pack` and installed offline into a fresh project
// beside the packed faceid-edge, the way an integrator gets both. Then:
// `npx --offline faceid-edge-simulator --port 0` runs, its printed URL, app ID
// and secret drive a real H5 flow with FaceIdClient (start, the face page's
// pass and fail links, the callback, the result query) and an App SDK start;
// `--help` prints the usage; bad options are refused; SIGTERM stops it; publint passes.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { installedPackage, PACKAGE_NAME, repoRoot, resolveExport, tempDir } from "./lib/package.mjs";

const SIM_NAME = "faceid-edge-simulator";
const person = { userId: "simcmd01", name: "张三", idNo: "11010519491231002X" };
const CALLBACK = "https://h5.example.com/face/back?state=abc";

/** Runs npm with `args` in `cwd` (no update check; a 2-minute bound). */
function npm(args, cwd) {
  return execFileSync("npm", [...args, "--no-update-notifier"], { cwd, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** Builds the simulator package into a temporary directory, packs it, and returns the tarball and the packed file list. */
function packSimulator() {
  const out = join(tempDir("simbuild"), "pkg-simulator");
  execFileSync(process.execPath, [join(repoRoot, "scripts", "build-simulator.mjs"), out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const packDir = tempDir("simpack");
  const [packed] = JSON.parse(npm(["pack", out, "--pack-destination", packDir, "--json", "--ignore-scripts"], packDir));
  return { dir: out, tarball: join(packDir, packed.filename), files: packed.files.map((f) => f.path).sort() };
}

/**
 * Spawns `command args` in `cwd` in its own process group and collects its output.
 * `ready()` resolves with the printed { url, appId, secret, ticket } once all four lines are out.
 */
function run(command, args, cwd) {
  const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => { stdout += d; });
  child.stderr.setEncoding("utf8").on("data", (d) => { stderr += d; });
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const ready = (ms = 30_000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within ${ms} ms; stdout: ${stdout}\nstderr: ${stderr}`)), ms);
    const check = () => {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const appId = /^\s*appId:\s+(\S+)$/m.exec(stdout)?.[1];
      const secret = /^\s*secret:\s+(\S+)$/m.exec(stdout)?.[1];
      const ticket = /^\s*SIGN ticket:\s+(\S+)$/m.exec(stdout)?.[1];
      if (url && appId && secret && ticket) {
        clearTimeout(timer);
        child.stdout.off("data", check);
        resolve({ url, appId, secret, ticket });
      }
    };
    child.stdout.on("data", check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before its banner; stdout: ${stdout}\nstderr: ${stderr}`));
    });
    check();
  });
  /** Kills the whole group (npx and what it started), if still there. */
  const kill = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  return { child, ready, exited, kill, output: () => ({ stdout, stderr }) };
}

/** Whether a TCP connection to the URL's port is accepted. */
function accepts(url) {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** What the face page's button `id` links to (the href, HTML entities decoded, resolved against the page). */
function buttonLink(page, pageUrl, id) {
  const m = new RegExp(`<a id="${id}"[^>]*\\shref="([^"]*)"`).exec(page);
  assert.ok(m, `the face page has no "${id}" link:\n${page.slice(0, 2000)}`);
  const href = m[1].replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
  return new URL(href, pageUrl);
}

/** Opens the face page at `loginUrl` and presses `id` ("pass" or "fail"): the callback URL it redirects to. */
async function pressOnFacePage(loginUrl, id) {
  const login = await fetch(loginUrl, { redirect: "manual" });
  const page = await login.text();
  assert.equal(login.status, 200, page.slice(0, 2000));
  const done = await fetch(buttonLink(page, loginUrl, id), { redirect: "manual" });
  await done.body?.cancel();
  assert.equal(done.status, 302);
  return new URL(done.headers.get("location"));
}

describe("npx faceid-edge-simulator", () => {
  let project;
  let packedFiles;
  let builtDir;
  let FaceIdClient;

  before(async () => {
    const sim = packSimulator();
    packedFiles = sim.files;
    builtDir = sim.dir;
    project = tempDir("simcmd");
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "faceid-edge-simcmd", private: true, type: "module" }, null, 2));
    // Neither package has dependencies, so this never needs the registry: --offline makes sure.
    npm(["install", installedPackage().tarball, sim.tarball, "--no-audit", "--no-fund", "--ignore-scripts", "--offline"], project);
    const main = join(project, "node_modules", PACKAGE_NAME);
    const manifest = JSON.parse(readFileSync(join(main, "package.json"), "utf8"));
    ({ FaceIdClient } = await import(pathToFileURL(join(main, resolveExport(manifest, ["node", "import"]))).href));
  });

  test("the package: its manifest, a bin, and the simulator's files (the one copy in tests/sim), nothing else", () => {
    const manifest = JSON.parse(readFileSync(join(project, "node_modules", SIM_NAME, "package.json"), "utf8"));
    assert.equal(manifest.name, SIM_NAME);
    assert.deepEqual(manifest.bin, { [SIM_NAME]: "./bin.mjs" });
    assert.equal(manifest.type, "module");
    assert.equal(manifest.license, "MIT");
    assert.equal(manifest.engines?.node, ">=20");
    assert.equal(manifest.dependencies, undefined, "the simulator uses Node's built-ins only");
    assert.equal(manifest.version, JSON.parse(readFileSync(join(repoRoot, "pkg-template", "package.json"), "utf8")).version, "released in step with faceid-edge");
    const sources = readdirSync(join(repoRoot, "tests", "sim")).filter((f) => f.endsWith(".mjs"));
    assert.deepEqual(packedFiles, ["LICENSE", "README.md", "bin.mjs", ...sources, "package.json"].sort());
    for (const f of sources) {
      assert.equal(readFileSync(join(project, "node_modules", SIM_NAME, f), "utf8"), readFileSync(join(repoRoot, "tests", "sim", f), "utf8"), `${f} is tests/sim/${f}`);
    }
  });

  test("publint --strict finds nothing in the built package", () => {
    const out = execFileSync(join(repoRoot, "node_modules", ".bin", "publint"), ["--strict", builtDir], { encoding: "utf8", timeout: 120_000 });
    assert.match(out, /All good!/, out);
  });

  test("--help prints the usage with every option, and exits 0 without listening", async () => {
    const r = run("npx", ["--offline", SIM_NAME, "--help"], project);
    const { code } = await r.exited;
    const { stdout, stderr } = r.output();
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Usage: faceid-edge-simulator \[options\]/m);
    for (const option of ["--port", "--app-id", "--secret", "--ticket", "--nonce-ticket", "--issue-delay-ms", "--overlap-window-ms", "--keep-alive-ms", "--drop-reused-sockets", "--help"]) {
      assert.match(stdout, new RegExp(`^\\s+${option}\\b`, "m"), `--help names ${option}`);
    }
    assert.match(stdout, /never .*production/i);
    assert.doesNotMatch(stdout, /listening on/);
  });

  test("an unknown option or a bad number is refused (exit 2, the reason on stderr), before listening", async () => {
    for (const [args, reason] of [[["--prot", "1"], /--prot/], [["--port", "http"], /--port/], [["--port", "70000"], /--port/], [["--issue-delay-ms", "-1"], /--issue-delay-ms/]]) {
      const r = run(join(project, "node_modules", ".bin", SIM_NAME), args, project);
      const { code } = await r.exited;
      const { stdout, stderr } = r.output();
      assert.equal(code, 2, `${args.join(" ")}: ${stdout}${stderr}`);
      assert.match(stderr, reason);
      assert.match(stderr, /--help/);
      assert.doesNotMatch(stdout, /listening on/);
    }
  });

  test("a real flow with FaceIdClient against the printed URL, app ID and secret: face page pass and fail, callback, result; the SDK start", async (t) => {
    const r = run("npx", ["--offline", SIM_NAME, "--port", "0", "--app-id", "IDAdev0001"], project);
    t.after(r.kill);
    const { url, appId, secret } = await r.ready();
    assert.equal(appId, "IDAdev0001");
    const client = new FaceIdClient({ appId, secret, serverUrl: url, kycUrl: url, loginUrl: url });

    const started = await client.startFace({ ...person, callbackUrl: CALLBACK });
    assert.ok(started.url.startsWith(`${url}/api/web/login?`), started.url);
    assert.equal(started.faceOrigin, url);
    const back = await pressOnFacePage(started.url, "pass");
    assert.equal(`${back.origin}${back.pathname}`, "https://h5.example.com/face/back");
    assert.equal(back.searchParams.get("state"), "abc", "the callback URL's own query is kept");
    const verdict = await client.verifyCallback(back);
    assert.equal(verdict.valid, true);
    assert.equal(verdict.orderNo, started.orderNo);
    assert.equal(verdict.code, "0");
    const result = await client.faceResult(started.orderNo);
    assert.equal(result.ok, true, `${result.code} ${result.msg}`);
    assert.equal(result.code, "0");

    // The PC page, and the fail button: the callback verifies, the result says no.
    const pc = await client.startFace({ ...person, device: "pc", callbackUrl: CALLBACK });
    assert.ok(pc.url.startsWith(`${url}/api/pc/login?`), pc.url);
    const failed = await client.verifyCallback(await pressOnFacePage(pc.url, "fail"));
    assert.equal(failed.valid, true);
    const no = await client.faceResult(pc.orderNo);
    assert.equal(no.ok, false);
    assert.equal(no.code, "400604");

    // A forged callback does not verify.
    const forged = new URL(back);
    forged.searchParams.set("code", "0" === back.searchParams.get("code") ? "1" : "0");
    assert.equal((await client.verifyCallback(forged)).valid, false);

    // The App SDK start: the values startSdk made, POSTed where the app's SDK would send them.
    const sdk = await client.startSdk({ kind: "face", ...person });
    const res = await fetch(`${url}/sim/sdk/start`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "face", ...sdk }) });
    const answer = await res.json();
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(answer.orderNo, sdk.orderNo);
    // Its values are single use (a NONCE ticket): the second start is refused.
    const again = await (await fetch(`${url}/sim/sdk/start`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "face", ...sdk }) })).json();
    assert.equal(again.ok, false);
  });

  test("SIGTERM stops it: exit 0, the port closed", async (t) => {
    const r = run(join(project, "node_modules", ".bin", SIM_NAME), ["--port", "0"], project);
    t.after(r.kill);
    const { url } = await r.ready();
    assert.equal(await accepts(url), true);
    r.child.kill("SIGTERM");
    const { code, signal } = await r.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, r.output().stderr);
    assert.equal(await accepts(url), false, "nothing listens after SIGTERM");
  });

  test("the library side: `import { startSimulator, passFacePage } from \"faceid-edge-simulator\"` in the project", () => {
    const script = join(project, "lib-check.mjs");
    writeFileSync(script, `import { startSimulator, passFacePage, signValues } from "${SIM_NAME}";
const sim = await startSimulator();
console.log(JSON.stringify({ url: sim.url, appId: sim.appId, passFacePage: typeof passFacePage, signValues: typeof signValues }));
await sim.stop();
`);
    const out = JSON.parse(execFileSync(process.execPath, [script], { cwd: project, encoding: "utf8", timeout: 30_000 }));
    assert.match(out.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(out.appId, "IDAsim001");
    assert.equal(out.passFacePage, "function");
    assert.equal(out.signValues, "function");
  });

});
