// Packs pkg/ (or $FACEID_PKG_DIR) with `npm pack` and installs the tarball
// into a fresh project in a temporary directory, once per process, the way a
// user would get it. Everything lives under one temporary root that is
// removed when the process exits.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const PACKAGE_NAME = "faceid-edge";

let memo;

/**
 * @returns {{ root: string, tarball: string, packedFiles: string[],
 *   projectDir: string, packageDir: string, manifest: object }}
 */
export function installedPackage() {
  memo ??= install();
  return memo;
}

/** A new empty directory under the same temporary root (removed at exit). */
export function tempDir(prefix) {
  return mkdtempSync(join(installedPackage().root, `${prefix}-`));
}

/**
 * A new project under the temporary root, `npm install`ed with the packed
 * tarball (offline: the package has no dependencies), then `files`
 * ({ "src/index.ts": text }) written into it. Returns its directory.
 */
export function newProject(prefix, manifest = {}, files = {}) {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `faceid-edge-${prefix}`, private: true, ...manifest }, null, 2));
  npm(["install", installedPackage().tarball, "--no-audit", "--no-fund", "--ignore-scripts", "--offline"], dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

function npm(args, cwd) {
  return execFileSync("npm", [...args, "--no-update-notifier"], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function install() {
  const pkgDir = resolve(process.env.FACEID_PKG_DIR ?? join(repoRoot, "pkg"));
  const root = mkdtempSync(join(tmpdir(), "faceid-edge-test-"));
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));

  const packDir = join(root, "pack");
  mkdirSync(packDir);
  const [packed] = JSON.parse(npm(["pack", pkgDir, "--pack-destination", packDir, "--json", "--ignore-scripts"], root));
  const tarball = join(packDir, packed.filename);

  const projectDir = join(root, "project");
  mkdirSync(projectDir);
  writeFileSync(
    join(projectDir, "package.json"),
    JSON.stringify({ name: "faceid-edge-consumer", private: true, type: "module" }, null, 2),
  );
  // No dependencies, so this never needs the registry: --offline makes sure.
  npm(["install", tarball, "--no-audit", "--no-fund", "--ignore-scripts", "--offline"], projectDir);

  const packageDir = join(projectDir, "node_modules", PACKAGE_NAME);
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  return { root, tarball, packedFiles: packed.files.map((f) => f.path), projectDir, packageDir, manifest };
}

/**
 * Resolves a package.json `exports` target for `subpath` under `conditions`
 * the way Node and bundlers do: the first key, in object order, that is one
 * of the conditions (or "default") and leads to a target wins.
 */
export function resolveExport(manifest, conditions, subpath = ".") {
  const wanted = new Set([...conditions, "default"]);
  const pick = (target) => {
    if (typeof target === "string" || target == null) return target ?? null;
    if (Array.isArray(target)) {
      for (const t of target) {
        const hit = pick(t);
        if (hit) return hit;
      }
      return null;
    }
    for (const [key, value] of Object.entries(target)) {
      if (!wanted.has(key)) continue;
      const hit = pick(value);
      if (hit) return hit;
    }
    return null;
  };
  const exportsField = manifest.exports;
  const root = typeof exportsField === "string" || !Object.keys(exportsField).some((k) => k.startsWith("."));
  const target = pick(root ? (subpath === "." ? exportsField : null) : exportsField[subpath]);
  if (!target) throw new Error(`${manifest.name}: no export for ${subpath} under [${conditions}]`);
  return target;
}

/**
 * Runs the repository's TypeScript compiler with `args` in `cwd`. Resolves `{ code, output }`:
 * code 0 when tsc succeeded (anything else, including a kill at `timeout` ms, is not 0), output
 * its stdout then its stderr.
 */
export function runTsc(args, { cwd, timeout = 120_000 }) {
  return new Promise((resolve) => {
    execFile(join(repoRoot, "node_modules", ".bin", "tsc"), args, { cwd, timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
  });
}
