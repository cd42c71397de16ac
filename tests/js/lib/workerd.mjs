// Runs a worker in the repo's real workerd, with the installed faceid-edge
// package bundled in as ES modules, the way a Workers bundler lays it out:
//
//   worker.js                          the worker under test (main module)
//   faceid-edge                        re-exports the package's `workerd` entry
//   node_modules/faceid-edge/…         every module file of the installed package
//
// const wd = await startWorkerd({ projectDir, workerSource });
// await fetch(`${wd.url}/path`);  …  await wd.stop();
//
// More worker services (each with the package and its own socket) can run
// beside the main one (`workers`), bound to the main worker's Durable Object
// namespaces (`durableObjectNamespace: { className, serviceName: "main" }`),
// and Durable Object storage can live on disk (`durableObjectStorage`) so that
// a restarted workerd finds it again.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { PACKAGE_NAME, repoRoot, resolveExport } from "./package.mjs";
import { freePort, spawnTracked, stopProcess, waitForHttp } from "./proc.mjs";

export const WORKERD = join(repoRoot, "node_modules", ".bin", "workerd");
// Any date up to the installed workerd's own works; a fixed one keeps runs alike.
export const COMPATIBILITY_DATE = "2025-09-01";
// The conditions a Workers bundler (wrangler, esbuild for workerd) resolves with.
export const WORKERD_CONDITIONS = ["workerd", "worker", "browser", "import"];

const MODULE_TYPES = { ".js": "esModule", ".mjs": "esModule", ".cjs": "commonJsModule", ".wasm": "wasm", ".json": "json" };

/** A Cap'n Proto text literal. */
export function capnpText(value) {
  return `"${String(value).replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
    if (c === "\\" || c === '"') return `\\${c}`;
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  })}"`;
}

function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path)];
  });
}

// { name: "X", text: "…" } | { name, json: value } | { name, service: "svc" }
// | { name, durableObjectNamespace: "Class" }
// | { name, durableObjectNamespace: { className: "Class", serviceName: "main" } } (another service's class)
// | a raw Cap'n Proto Binding literal.
function binding(b) {
  if (typeof b === "string") return b;
  const { name, ...kind } = b;
  const [[type, value]] = Object.entries(kind);
  const rendered = {
    text: () => `text = ${capnpText(value)}`,
    json: () => `json = ${capnpText(JSON.stringify(value))}`,
    service: () => `service = ${capnpText(value)}`,
    durableObjectNamespace: () => typeof value === "string"
      ? `durableObjectNamespace = ${capnpText(value)}`
      : `durableObjectNamespace = (className = ${capnpText(value.className)}, serviceName = ${capnpText(value.serviceName)})`,
  }[type];
  if (!rendered) throw new Error(`unknown binding type ${type}: pass a Cap'n Proto literal instead`);
  return `(name = ${capnpText(name)}, ${rendered()})`;
}

/**
 * @param {object} o
 * @param {string} o.projectDir  project with node_modules/faceid-edge installed
 * @param {string} o.workerSource  ES module source of the main module
 * @param {Array<{name: string, type?: string, source?: string, path?: string}>} [o.modules]
 *   extra modules; `type` is a workerd module type (esModule, text, json, data, wasm…), default esModule
 * @param {Array<object|string>} [o.bindings]  see binding() above
 * @param {Array<{className: string, binding?: string, uniqueKey?: string}>} [o.durableObjects]
 *   namespaces of classes the worker exports, bound as `binding` (default: the class name),
 *   stored in memory
 * @param {string[]} [o.services]  extra Cap'n Proto Service literals
 * @param {string} [o.globalOutbound]  service for the global fetch(); by default one that
 *   may reach 127.0.0.0/8 only (tests talk only to loopback servers they start)
 * @param {string[]} [o.compatibilityFlags]
 * @param {string} [o.workerExtra]  raw fields appended to the Worker struct
 * @param {string} [o.readyPath]  polled with GET until the worker gives any HTTP answer
 * @param {Array<{name: string, workerSource: string, bindings?: Array<object|string>,
 *   modules?: Array<object>, compatibilityFlags?: string[], socket?: boolean}>} [o.workers]
 *   more worker services beside "main", each with the package modules and (unless
 *   `socket: false`) its own loopback socket, at `urls[name]`; they may bind the main
 *   worker's Durable Object classes with `durableObjectNamespace: { className, serviceName: "main" }`
 * @param {{ localDisk: string }} [o.durableObjectStorage]  keep Durable Object storage
 *   in this directory (created if missing) instead of in memory, so that a workerd
 *   started again on it finds it
 * @param {string} [o.dir]  the directory for the config and modules (default: a new one
 *   under projectDir/.workerd)
 * @param {string[]} [o.v8Flags]  V8 flags of the whole process (the config's v8Flags),
 *   e.g. "--max-old-space-size=128" to cap each isolate's heap
 * @returns {Promise<{ url: string, port: number, urls: Record<string, string>, dir: string,
 *   configPath: string, process: import("node:child_process").ChildProcess, output(): string,
 *   stop(): Promise<void> }>}
 */
export async function startWorkerd({
  projectDir, workerSource, packageName = PACKAGE_NAME, modules = [], bindings = [],
  durableObjects = [], services = [], globalOutbound = "loopback-only",
  compatibilityDate = COMPATIBILITY_DATE, compatibilityFlags = [], workerExtra = "",
  readyPath = "/", timeoutMs = 15_000, workers = [], durableObjectStorage, dir: fixedDir, v8Flags = [],
}) {
  const dir = fixedDir ?? join(projectDir, ".workerd", `${process.pid}-${++startWorkerd.count}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "worker.js"), workerSource);
  const embed = (path) => `embed ${capnpText(relative(dir, path))}`;

  const packageDir = join(projectDir, "node_modules", packageName);
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const entry = `node_modules/${packageName}/${resolveExport(manifest, WORKERD_CONDITIONS).replace(/^\.\//, "")}`;
  // The modules of one worker: its main module (first), the package, the extras.
  const modulesOf = (mainFile, extra, tag = "") => [
    `(name = "worker.js", esModule = ${embed(join(dir, mainFile))})`,
    `(name = ${capnpText(packageName)}, esModule = ${capnpText(
      `export * from "./${entry}";\nexport { default } from "./${entry}";\n`)})`,
    ...filesUnder(packageDir)
      .filter((file) => MODULE_TYPES[extname(file)])
      .map((file) => `(name = ${capnpText(`node_modules/${packageName}/${file}`)}, ` +
        `${MODULE_TYPES[extname(file)]} = ${embed(join(packageDir, file))})`),
    ...extra.map(({ name, type = "esModule", source, path }) => {
      if (path) return `(name = ${capnpText(name)}, ${type} = ${embed(path)})`;
      const file = join(dir, `module-${tag}${name.replace(/[^\w.-]/g, "_")}`);
      writeFileSync(file, source);
      return `(name = ${capnpText(name)}, ${type} = ${embed(file)})`;
    }),
  ];
  const moduleList = modulesOf("worker.js", modules);
  const allBindings = [
    ...bindings,
    ...durableObjects.map((d) => ({ name: d.binding ?? d.className, durableObjectNamespace: d.className })),
  ].map(binding);
  const list = (items) => items.join(",\n    ");
  const extraServices = workers.map((w) => {
    if (!/^[a-z][a-z0-9-]*$/.test(w.name) || ["main", "loopback-only", "do-disk"].includes(w.name)) {
      throw new Error(`worker name ${w.name}: lower-case letters, digits and dashes, not a built-in name`);
    }
    const file = `worker-${w.name}.js`;
    writeFileSync(join(dir, file), w.workerSource);
    return `(name = ${capnpText(w.name)}, worker = (
      compatibilityDate = ${capnpText(compatibilityDate)},
      compatibilityFlags = [${(w.compatibilityFlags ?? compatibilityFlags).map(capnpText).join(", ")}],
      modules = [
    ${list(modulesOf(file, w.modules ?? [], `${w.name}-`))}
      ],
      bindings = [
    ${list((w.bindings ?? []).map(binding))}
      ],
      globalOutbound = ${capnpText(globalOutbound)},
    ))`;
  });
  if (durableObjectStorage?.localDisk) mkdirSync(durableObjectStorage.localDisk, { recursive: true });
  const allServices = [
    '(name = "main", worker = .worker)',
    '(name = "loopback-only", network = (allow = ["local"]))',
    ...(durableObjectStorage?.localDisk
      ? [`(name = "do-disk", disk = (path = ${capnpText(durableObjectStorage.localDisk)}, writable = true))`]
      : []),
    ...extraServices,
    ...services,
  ];
  const namespaces = durableObjects.map((d) =>
    `(className = ${capnpText(d.className)}, uniqueKey = ${capnpText(d.uniqueKey ?? `test-${d.className}`)})`);
  const storage = !namespaces.length ? ""
    : durableObjectStorage?.localDisk ? 'durableObjectStorage = (localDisk = "do-disk"),'
      : "durableObjectStorage = (inMemory = void),";

  const port = await freePort();
  const sockets = [`(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")`];
  const urls = { main: `http://127.0.0.1:${port}` };
  for (const w of workers) {
    if (w.socket === false) continue;
    const p = await freePort();
    sockets.push(`(name = ${capnpText(`http-${w.name}`)}, address = "127.0.0.1:${p}", http = (), service = ${capnpText(w.name)})`);
    urls[w.name] = `http://127.0.0.1:${p}`;
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${list(allServices)}
  ],
  sockets = [
    ${list(sockets)}
  ],
  v8Flags = [${v8Flags.map(capnpText).join(", ")}],
);
const worker :Workerd.Worker = (
  compatibilityDate = ${capnpText(compatibilityDate)},
  compatibilityFlags = [${compatibilityFlags.map(capnpText).join(", ")}],
  modules = [
    ${list(moduleList)}
  ],
  bindings = [
    ${list(allBindings)}
  ],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  ${storage}
  globalOutbound = ${capnpText(globalOutbound)},
  ${workerExtra}
);
`;
  const configPath = join(dir, "config.capnp");
  writeFileSync(configPath, config);

  const child = spawnTracked(WORKERD, ["serve", configPath, "--verbose"], { cwd: dir, env: { ...process.env, PWD: dir } });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (const u of Object.values(urls)) await waitForHttp(u + readyPath, { child, timeoutMs });
  } catch (error) {
    await stopProcess(child);
    throw new Error(`workerd did not start (config ${configPath}): ${error.message}`);
  }
  return { url, port, urls, dir, configPath, process: child, output: () => child.output(), stop: () => stopProcess(child) };
}
startWorkerd.count = 0;
