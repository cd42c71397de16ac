// A Node.js process that used the client exits as soon as its work is done:
// no timer of the library (request deadlines, the ticketProvider deadline,
// refresh backoff) keeps the event loop alive afterwards.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { installedPackage, PACKAGE_NAME } from "./lib/package.mjs";
import { startSimulator } from "../sim/index.mjs";

const pkg = installedPackage();
let sim;
before(async () => {
  sim = await startSimulator();
});
after(() => sim?.stop());

test("a script using ticket, ticketProvider and secret clients exits without waiting for timeoutMs", async () => {
  const script = join(pkg.projectDir, "exits.mjs");
  writeFileSync(script, `import { FaceIdClient } from "${PACKAGE_NAME}";
const [url, appId, secret, ticket] = process.argv.slice(2);
const common = { appId, serverUrl: url, kycUrl: url, timeoutMs: 30000 };
const clients = [
  new FaceIdClient({ ...common, ticket }),
  new FaceIdClient({ ...common, ticketProvider: async () => ticket }),
  new FaceIdClient({ ...common, secret }),
];
for (const [i, c] of clients.entries()) {
  const r = await c.faceResult("exit" + i);
  if (!r.ok) throw new Error(r.code);
}
console.log("done");
`);
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, [script, sim.url, sim.appId, sim.secret, sim.ticket], {
    cwd: pkg.projectDir,
    timeout: 20_000,
  });
  const elapsed = Date.now() - started;
  assert.equal(stdout.trim(), "done");
  assert.ok(elapsed < 10_000, `the process took ${elapsed} ms to exit (a 30 s timer kept it alive?)`);
});
