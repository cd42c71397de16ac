// `wrangler dev` for the tests: offline (--local, no metrics, no error
// reports, no banner), its logs and settings inside the project, the Worker's
// settings as --var, in a process group of its own (lib/proc.mjs).
import { join } from "node:path";
import { repoRoot } from "./package.mjs";
import { spawnTracked } from "./proc.mjs";

/** The wrangler the repository pins. */
export const WRANGLER = join(repoRoot, "node_modules", ".bin", "wrangler");

/** Wrangler's environment for a project in `dir`: offline, its logs and settings inside the project. */
export function wranglerEnv(dir) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(dir, "wrangler-logs"),
    XDG_CONFIG_HOME: join(dir, "wrangler-config"),
    FORCE_COLOR: "0",
  };
}

/** Starts `wrangler dev` in `dir` on 127.0.0.1:`port` with `vars`; the tracked child (lib/proc.mjs). */
export function wranglerDev(dir, port, vars) {
  const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(dir, "state"),
    "--show-interactive-dev-session=false", "--live-reload=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
  return spawnTracked(process.execPath, [WRANGLER, ...args], { cwd: dir, env: wranglerEnv(dir) });
}
