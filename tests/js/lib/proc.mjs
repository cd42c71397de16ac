// Child processes and loopback ports for the JS tests.
// Every process started here gets its own process group, so stopping it also
// stops whatever it started (workerd's workers, chromedriver's Chromium). A
// last-resort handler kills any group still alive when the test process exits.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const live = new Set();
process.on("exit", () => {
  for (const child of live) signalGroup(child, "SIGKILL");
});

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Spawns `command` in a new process group. `child.output()` returns the last
 * 64 KiB of its stdout and stderr, for error messages.
 */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk) => {
    output = (output + chunk).slice(-65536);
  };
  child.stdout.setEncoding("utf8").on("data", collect);
  child.stderr.setEncoding("utf8").on("data", collect);
  child.output = () => output;
  child.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    child.on("error", (error) => resolve({ error }));
  });
  child.exited.then(() => live.delete(child));
  live.add(child);
  return child;
}

/** SIGTERM to the child's group, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child, graceMs = 5000) {
  if (!child || !live.has(child)) return;
  signalGroup(child, "SIGTERM");
  const timer = sleep(graceMs, "timeout", { ref: false });
  if ((await Promise.race([child.exited, timer])) === "timeout") {
    signalGroup(child, "SIGKILL");
    await child.exited;
  }
}

/**
 * Polls `url` until `ready(response)` holds. Throws, with the child's output,
 * when the child exits first or `timeoutMs` passes.
 */
export async function waitForHttp(url, { child, timeoutMs = 15000, ready = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child?.exited.then(() => (exited = true));
  let lastError;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (await ready(response)) return;
      lastError = new Error(`not ready: HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  const why = exited ? "the process exited" : `no answer within ${timeoutMs} ms`;
  throw new Error(`${url}: ${why} (${lastError?.message})\n${child?.output() ?? ""}`);
}
