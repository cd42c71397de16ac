// `make demo`: serves the demo page (www/) and the built package (pkg/) on
// loopback, and a small server-side API that queries a local WeBank
// simulator (tests/sim) with a FaceIdClient made from appId + secret: the
// token and SIGN ticket stay in this process, and the page gets trimmed
// results (no photo, video or full ID / card number). The full H5 flow in
// workerd lands with the edge-handler issue.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { FaceIdClient, FaceIdError } from "../pkg/node.mjs";
import { startSimulator } from "../tests/sim/index.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const roots = { "/pkg/": resolve(here, "..", "pkg"), "/": here };
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".d.ts": "text/plain; charset=utf-8",
};

function resolvePath(urlPath) {
  for (const [prefix, dir] of Object.entries(roots)) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)) || "index.html");
    if (rel.startsWith("..")) return null;
    const file = join(dir, rel);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

const sim = await startSimulator({ port: Number(process.env.SIM_PORT ?? 0) });
const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url });

/** Keeps the first and last characters of an identifier, masks the rest. */
function mask(value, keep = 4) {
  if (typeof value !== "string" || value.length <= keep * 2) return value ? "*".repeat(String(value).length) : null;
  return value.slice(0, keep) + "*".repeat(value.length - keep * 2) + value.slice(-keep);
}

/** What a page may see of a result: verdict and scores, masked identifiers, no media. */
function trim(kind, r) {
  const p = r.result;
  const base = { ok: r.ok, code: r.code, msg: r.msg, meaning: r.codeInfo?.en ?? null, orderNo: r.orderNo };
  if (kind === "face" || kind === "live") {
    return { ...base, liveRate: p.liveRate ?? null, similarity: p.similarity ?? null,
      name: p.name ? `${String(p.name)[0]}*` : null, idNo: mask(p.idNo), hasPhoto: Boolean(p.photo), hasVideo: Boolean(p.video) };
  }
  if (kind === "idcard") return { ...base, name: p.name ? `${String(p.name)[0]}*` : null, idcard: mask(p.idcard), validDate: p.validDate ?? null };
  return { ...base, bankCardNo: mask(p.bankCardNo), bankCardValidDate: p.bankCardValidDate ?? null };
}

async function api(url, res) {
  const send = (status, body) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === "/api/status") return send(200, client.ticketStatus());
  const kind = url.searchParams.get("kind") ?? "face";
  const orderNo = url.searchParams.get("orderNo") ?? "";
  const run = {
    face: () => client.faceResult(orderNo, { getFile: "photo" }),
    live: () => client.liveResult(orderNo),
    idcard: () => client.idCardOcrResult(orderNo),
    bankcard: () => client.bankCardOcrResult(orderNo),
  }[kind];
  if (!run) return send(400, { code: "INVALID_OPTION", message: "kind must be face, live, idcard or bankcard" });
  try {
    return send(200, trim(kind, await run()));
  } catch (e) {
    if (e instanceof FaceIdError) return send(400, { code: e.code, message: e.message });
    return send(500, { code: "INTERNAL", message: "the demo server failed" });
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname.startsWith("/api/")) {
    api(url, res);
    return;
  }
  const path = url.pathname;
  const file = resolvePath(path);
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  res.writeHead(200, {
    "content-type": types[extname(file)] ?? "application/octet-stream",
    "cache-control": "no-store",
  });
  createReadStream(file).pipe(res);
});

const port = Number(process.env.PORT ?? 8787);
server.listen(port, "127.0.0.1", () => {
  console.log(`faceid-edge demo: http://127.0.0.1:${port}/  (Ctrl-C to stop)`);
  console.log(`  queries go to the local WeBank simulator at ${sim.url}`);
});
const stop = async () => {
  server.close();
  await sim.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
