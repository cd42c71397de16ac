// Headless Chromium for the JS tests: a static loopback server, chromedriver,
// and just enough of the W3C WebDriver protocol (session, navigate, execute).
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";
import { freePort, spawnTracked, stopProcess, waitForHttp } from "./proc.mjs";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMEDRIVER = "/usr/bin/chromedriver";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/**
 * Serves `pages` ({ "/": html }) and the files under each of `mounts`
 * ({ "/prefix/": dir }) on 127.0.0.1. `requests` records what was served.
 */
export async function startStaticServer({ pages = {}, mounts = {} }) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let status = 404, type = "text/plain", body = "not found";
    if (path in pages) {
      [status, type, body] = [200, MIME[".html"], pages[path]];
    } else if (path === "/favicon.ico") {
      [status, body] = [204, ""];
    } else {
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (!path.startsWith(prefix)) continue;
        const file = resolve(dir, path.slice(prefix.length));
        if (!file.startsWith(resolve(dir) + sep)) break;
        try {
          body = await readFile(file);
          [status, type] = [200, MIME[extname(file)] ?? "application/octet-stream"];
        } catch {
          // 404
        }
        break;
      }
    }
    requests.push({ path, status, type });
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Starts chromedriver on a free loopback port and waits until it is ready. */
export async function startChromedriver({ timeoutMs = 15_000 } = {}) {
  const port = await freePort();
  const child = spawnTracked(CHROMEDRIVER, [`--port=${port}`]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/status`, {
      child, timeoutMs, ready: async (r) => (await r.json()).value?.ready === true,
    });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, process: child, stop: () => stopProcess(child) };
}

async function command(method, url, body, timeoutMs = 30_000) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const { value } = await response.json();
  if (!response.ok || value?.error) {
    throw new Error(`WebDriver ${method} ${url}: ${value?.error}: ${value?.message}`);
  }
  return value;
}

/** A new headless Chromium session. Always `await session.delete()` when done. */
export async function newSession(driverUrl, { userDataDir, scriptTimeoutMs = 30_000 }) {
  const args = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", `--user-data-dir=${userDataDir}`,
  ];
  const { sessionId } = await command("POST", `${driverUrl}/session`, {
    capabilities: {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": { binary: CHROMIUM, args },
        timeouts: { script: scriptTimeoutMs, pageLoad: 30_000, implicit: 0 },
      },
    },
  }, 60_000);
  const base = `${driverUrl}/session/${sessionId}`;
  const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
  const find = async (css) => (await command("POST", `${base}/element`, { using: "css selector", value: css }))[ELEMENT];
  return {
    id: sessionId,
    navigate: (url) => command("POST", `${base}/url`, { url }),
    /** The URL of the current page. */
    url: () => command("GET", `${base}/url`),
    /** Clicks the first element matching `css` (as a user would: scrolled into view, hit-tested). */
    click: async (css) => command("POST", `${base}/element/${await find(css)}/click`, {}),
    /** Types `text` into the first element matching `css` (for a file input: a local file's path). */
    type: async (css, text) => command("POST", `${base}/element/${await find(css)}/value`, { text }),
    execute: (script, ...args) => command("POST", `${base}/execute/sync`, { script, args }),
    executeAsync: (script, ...args) =>
      command("POST", `${base}/execute/async`, { script, args }, scriptTimeoutMs + 5000),
    delete: () => command("DELETE", base, undefined, 15_000),
  };
}
