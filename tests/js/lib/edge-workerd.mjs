// The edge handler's test app (fixtures/edge-app.mjs) in a real workerd, as
// a Worker deploys it: the TicketOwner Durable Object holds the tickets of
// the simulator's App ID. Used by the handler suite and by the soak.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { installedPackage, repoRoot } from "./package.mjs";
import { startWorkerd } from "./workerd.mjs";

/**
 * A Worker in a real workerd with the simulator's App ID, secret and URLs as
 * text bindings (FACEID_APP_ID, FACEID_SECRET, FACEID_SERVER_URL, SIM_URL) and
 * the package's TicketOwner bound as TICKET_OWNER.
 * @param {{ appId: string, secret: string, url: string }} sim  the simulator
 * @param {{ workerSource: string, uniqueKey: string, env?: Record<string, string>,
 *   durableObjectStorage?: { localDisk: string }, readyPath?: string,
 *   modules?: Array<object>, v8Flags?: string[] }} o  `env`: more text bindings; storage
 *   in memory unless given; `modules`, `v8Flags`: as startWorkerd takes them
 */
export function startOwnerWorkerd(sim, { workerSource, uniqueKey, env = {}, durableObjectStorage, readyPath, modules, v8Flags }) {
  return startWorkerd({
    projectDir: installedPackage().projectDir,
    workerSource,
    modules,
    v8Flags,
    bindings: [
      { name: "FACEID_APP_ID", text: sim.appId },
      { name: "FACEID_SECRET", text: sim.secret },
      { name: "FACEID_SERVER_URL", text: sim.url },
      { name: "SIM_URL", text: sim.url },
      ...Object.entries(env).map(([name, text]) => ({ name, text })),
    ],
    durableObjects: [{ className: "TicketOwner", binding: "TICKET_OWNER", uniqueKey }],
    durableObjectStorage,
    readyPath,
  });
}

/**
 * The edge handler's test app in workerd (see startOwnerWorkerd).
 * @param {{ appId: string, secret: string, url: string }} sim  the simulator
 * @param {{ orderTokenKey: string, env?: Record<string, string>,
 *   durableObjectStorage?: { localDisk: string } }} o  `env`: more text bindings
 *   (FACEID_REFRESH_INTERVAL_MS…); storage in memory unless given
 */
export function startEdgeWorkerd(sim, { orderTokenKey, env = {}, durableObjectStorage } = {}) {
  return startOwnerWorkerd(sim, {
    workerSource: readFileSync(join(repoRoot, "tests/js/fixtures/edge-app.mjs"), "utf8"),
    uniqueKey: "faceid-edge-ticket-owner",
    env: { ORDER_TOKEN_KEY: orderTokenKey, ...env },
    durableObjectStorage,
    readyPath: "/done.html",
  });
}
