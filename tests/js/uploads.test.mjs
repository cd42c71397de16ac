// Large uploads through the edge handler's POST /ocr/idcard, with the heap
// capped: four concurrent 19 MB images (as base64 JSON and as multipart
// files) in one workerd isolate whose V8 heap is capped at 128 MB (a
// stand-in for a Worker's memory limit), and in one Node process with the
// same cap. The runtime must stay up, every upload must reach the simulator
// whole, and the WebAssembly memory (which never shrinks) must be as flat
// afterwards as before: the image is never taken into it whole.
//
// Prints the figures RELIABILITY.md quotes (wasm memory, peak RSS, time).
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY, JPEG } from "./lib/edge-suite.mjs";
import { startOwnerWorkerd } from "./lib/edge-workerd.mjs";
import { installedPackage, repoRoot, resolveExport, tempDir } from "./lib/package.mjs";

const MB = 1024 * 1024;
const HEAP_CAP = "--max-old-space-size=128";
/** Raw bytes whose base64 is 19 MB: a JPEG's magic number, then filler. */
const RAW = Buffer.alloc((19 * MB) / 4 * 3, 7);
JPEG.copy(RAW, 0, 0, 8);
const BASE64_LENGTH = Math.ceil(RAW.length / 3) * 4;
const JSON_BODY = Buffer.from(JSON.stringify({ cardType: "portrait", image: RAW.toString("base64") }));

/** The wasm memory, captured when the package instantiates its module (imported before it). */
const PROBE = `let memory;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(Instance, {
  construct(target, args, newTarget) {
    const instance = Reflect.construct(target, args, newTarget);
    memory ??= instance.exports.memory;
    return instance;
  },
});
export const wasmBytes = () => (memory ? memory.buffer.byteLength : 0);
`;

/** Four uploads at once to `url`: two JSON, two multipart. Resolves to the answers' statuses and bodies. */
async function fourUploads(url) {
  const send = (i) => {
    const headers = { "x-user": "alice" };
    let body;
    if (i % 2 === 0) {
      headers["content-type"] = "application/json";
      body = JSON_BODY;
    } else {
      // A multipart upload is taken from a page of the handler's own origin only.
      headers["sec-fetch-site"] = "same-origin";
      body = new FormData();
      body.set("cardType", "portrait");
      body.set("image", new Blob([RAW], { type: "image/jpeg" }), "card.jpg");
    }
    return fetch(`${url}/faceid/ocr/idcard`, { method: "POST", headers, body })
      .then(async (r) => ({ status: r.status, text: await r.text() }))
      .catch((e) => ({ status: 0, text: `${e.message} (${e.cause?.code ?? e.cause?.message ?? ""})` }));
  };
  return Promise.all([0, 1, 2, 3].map(send));
}

/** VmRSS and VmHWM of a process, in bytes. */
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kB = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kB("VmRSS"), peak: kB("VmHWM") };
}

const fmt = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

describe("four concurrent 19 MB uploads, heap capped at 128 MB", { timeout: 300_000 }, () => {
  let sim;
  before(async () => {
    // Idle connections kept a minute: the warm-up's connection is never
    // closed by the simulator while a POST (which is never sent again) is
    // about to reuse it.
    sim = await startSimulator({ keepAliveMs: 60_000 });
  });
  after(() => sim?.stop());

  /** Every upload reached the service whole, and was answered. */
  function checkAnswers(answers, since) {
    const summary = answers.map((a) => `${a.status} ${a.text.slice(0, 120)}`).join("\n");
    for (const a of answers) {
      assert.equal(a.status, 200, summary);
      assert.equal(JSON.parse(a.text).ok, true, a.text.slice(0, 300));
    }
    const sent = sim.requests({ endpoint: "idcardocrapp" }).slice(since);
    assert.equal(sent.length, 4);
    for (const e of sent) {
      assert.equal(e.body.idcardStr, BASE64_LENGTH);
      assert.equal(e.imageFormat, "jpeg");
    }
  }

  test("in workerd: the isolate stays up and the wasm memory stays flat", async (t) => {
    const wd = await startOwnerWorkerd(sim, {
      workerSource: `import { wasmBytes } from "./probe.js";
import app from "./edge-app.js";
export { TicketOwner } from "faceid-edge";
export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/test/wasm") return Response.json({ bytes: wasmBytes() });
    return app.fetch(request, env, ctx);
  },
};
`,
      modules: [
        { name: "probe.js", source: PROBE },
        { name: "edge-app.js", path: join(repoRoot, "tests/js/fixtures/edge-app.mjs") },
      ],
      uniqueKey: "faceid-edge-uploads",
      env: { ORDER_TOKEN_KEY },
      readyPath: "/done.html",
      v8Flags: [HEAP_CAP],
    });
    try {
      const wasm = async () => (await (await fetch(`${wd.url}/test/wasm`)).json()).bytes;
      // Warm: the handler, the ticket, one small upload.
      const warm = await fetch(`${wd.url}/faceid/ocr/idcard`, {
        method: "POST", headers: { "x-user": "alice", "content-type": "application/json" },
        body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
      });
      assert.equal(warm.status, 200, await warm.text());
      const before = await wasm();
      const rssBefore = rss(wd.process.pid).rss;
      const since = sim.requests({ endpoint: "idcardocrapp" }).length;
      const began = Date.now();
      const answers = await fourUploads(wd.url);
      const ms = Date.now() - began;
      assert.equal(wd.process.exitCode, null, `workerd exited: ${wd.output().slice(-2000)}`);
      assert.doesNotMatch(wd.output(), /heap limit|Fatal|OOM/i);
      checkAnswers(answers, since);
      const grown = (await wasm()) - before;
      const { rss: rssAfter, peak } = rss(wd.process.pid);
      t.diagnostic(`workerd: wasm memory ${fmt(before)} → +${fmt(grown)}; RSS ${fmt(rssBefore)} → ${fmt(rssAfter)}, peak ${fmt(peak)}; ${ms} ms`);
      assert.ok(grown <= 1 * MB, `the wasm memory grew by ${fmt(grown)}`);
      // And again: nothing accumulates.
      checkAnswers(await fourUploads(wd.url), since + 4);
      assert.ok((await wasm()) - before <= 1 * MB);
    } finally {
      await wd.stop();
    }
  });

  test("in Node: the process stays up and the wasm memory stays flat", async (t) => {
    const { packageDir, manifest } = installedPackage();
    const entry = pathToFileURL(join(packageDir, resolveExport(manifest, ["node", "import"]))).href;
    const file = join(tempDir("uploads"), "run.mjs");
    // The probe first (its own module), then the package.
    writeFileSync(join(file, "..", "probe.mjs"), PROBE);
    writeFileSync(file, `import { wasmBytes } from "./probe.mjs";
const { FaceIdClient, createEdgeHandler } = await import(${JSON.stringify(entry)});
const input = JSON.parse(process.env.FACEID_UPLOADS);
const client = new FaceIdClient({ appId: input.appId, secret: input.secret, serverUrl: input.url, kycUrl: input.url, timeoutMs: 20000 });
const handler = createEdgeHandler({
  client, orderTokenKey: input.key, returnUrl: "/done.html", publicOrigin: "http://127.0.0.1",
  identity: () => ({ userId: "alice", name: "张三丰", idNo: "11010519491231002X" }),
});
const { createServer } = await import("node:http");
const { Readable } = await import("node:stream");
const server = createServer(async (req, res) => {
  const request = new Request("http://127.0.0.1" + req.url, {
    method: req.method, headers: req.headers, body: Readable.toWeb(req), duplex: "half",
  });
  const r = await handler(request);
  res.writeHead(r.status, [...r.headers]);
  res.end(Buffer.from(await r.arrayBuffer()));
});
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port, wasm: wasmBytes() }));
process.on("message", (m) => {
  if (m === "wasm") process.send({ wasm: wasmBytes(), heap: process.memoryUsage().heapUsed });
  if (m === "stop") server.close(() => process.exit(0));
});
`);
    const child = fork(file, [], {
      execArgv: [HEAP_CAP],
      env: { ...process.env, FACEID_UPLOADS: JSON.stringify({ appId: sim.appId, secret: sim.secret, url: sim.url, key: ORDER_TOKEN_KEY }) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let output = "";
    child.stdout.on("data", (c) => { output += c; });
    child.stderr.on("data", (c) => { output += c; });
    const next = () => new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code, signal) => reject(new Error(`node exited (${code ?? signal}): ${output.slice(-2000)}`)));
    });
    try {
      const { port } = await next();
      const url = `http://127.0.0.1:${port}`;
      const warm = await fetch(`${url}/faceid/ocr/idcard`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ cardType: "portrait", image: JPEG.toString("base64") }),
      });
      assert.equal(warm.status, 200, await warm.text());
      child.send("wasm");
      const before = (await next()).wasm;
      const since = sim.requests({ endpoint: "idcardocrapp" }).length;
      const began = Date.now();
      const answers = await fourUploads(url);
      const ms = Date.now() - began;
      assert.equal(child.exitCode, null, output.slice(-2000));
      checkAnswers(answers, since);
      child.send("wasm");
      const grown = (await next()).wasm - before;
      const { peak } = rss(child.pid);
      t.diagnostic(`node: wasm memory ${fmt(before)} → +${fmt(grown)}; peak RSS ${fmt(peak)}; ${ms} ms`);
      assert.ok(grown <= 1 * MB, `the wasm memory grew by ${fmt(grown)}`);
    } finally {
      child.send("stop");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    }
  });
});
