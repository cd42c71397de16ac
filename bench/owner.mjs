// The time a Durable Object read adds to a query in real workerd: runs the
// measuring test of tests/js/tickets.workerd.test.mjs (three worker services
// on one TicketOwner, the simulator behind them) and prints its figures.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function run(log = console.log) {
  const child = spawn(process.execPath, ["--test", "--test-name-pattern=cost of reading the ticket through the owner",
    join(root, "tests/js/tickets.workerd.test.mjs")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise((ok) => child.on("exit", ok));
  const line = /tickets\.workerd bench: (\{.*\})/.exec(out);
  if (code !== 0 || !line) {
    log(`Durable Object read: measurement failed (exit ${code})`);
    return;
  }
  const r = JSON.parse(line[1]);
  const ms = (v) => `${v.toFixed(3)} ms`;
  log(`query median through workerd: fixed ticket ${ms(r.queryMedianMs.fixed)} | ticketOwner, isolate cache ${ms(r.queryMedianMs.ownerCached)} (adds ${ms(r.addedByOwnerCachedMs)}) | ticketOwner read on every query ${ms(r.queryMedianMs.ownerEveryQuery)} (adds ${ms(r.addedByOwnerReadMs)})`);
  log(`per signedRequest inside one request: fixed ${ms(r.perSignedRequestMs.fixed)} | cached ${ms(r.perSignedRequestMs.ownerCached)} | Durable Object read ${ms(r.perSignedRequestMs.ownerReadEveryCall)}`);
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
