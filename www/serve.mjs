// `make demo`: serves the demo page (www/) and the built package (pkg/) on
// loopback. At this stage the page signs in the browser; the full H5 flow
// (demo worker in workerd against the simulator) lands with later issues.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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

const server = createServer((req, res) => {
  const path = new URL(req.url, "http://localhost").pathname;
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
});
