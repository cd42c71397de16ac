// The packed package in a Next.js 16 App Router project, with no next.config
// entry: `next build` (Turbopack, the default bundler) + `next start`, and
// `next dev`, each answering a route handler that makes a client and signs the
// official vector. Next, React and React DOM are the versions package-lock.json
// pins: the repository's node_modules is hard-linked into the project (real
// directories: Turbopack refuses symlinks that leave the project), so nothing
// here needs the network. Next's edge runtime is deprecated in 16 and not
// supported (README); the route runs in Node.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { newProject, repoRoot } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";
import { SIGN1, VECTOR1 } from "./lib/probe.mjs";

const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8"));
const pinned = (name) => lock.packages[`node_modules/${name}`].version;

const ROUTE = `import { FaceIdClient, signValues } from "faceid-edge";

export const dynamic = "force-dynamic";

// The client is made on first use, not when the module loads.
let client;
export async function GET() {
  client ??= new FaceIdClient({ appId: "IDAXXXXX", ticket: "T".repeat(64) });
  const request = await client.signedRequest("faceResult", "order001");
  return Response.json({ sign: signValues(${JSON.stringify(VECTOR1)}), host: new URL(request.url).host });
}
`;

const files = {
  "app/layout.js": `export default function RootLayout({ children }) {\n  return <html><body>{children}</body></html>;\n}\n`,
  "app/page.js": `export default function Page() {\n  return <p>faceid-edge</p>;\n}\n`,
  "app/api/sign/route.js": ROUTE,
};

let dir;
function project() {
  if (dir) return dir;
  dir = newProject("next", { type: "module", dependencies: { next: pinned("next"), react: pinned("react"), "react-dom": pinned("react-dom") } }, files);
  // Hard links: quick, no copy, no symlink out of the project.
  execFileSync("cp", ["-al", "--no-clobber", `${join(repoRoot, "node_modules")}/.`, join(dir, "node_modules")], { stdio: "pipe", timeout: 300_000 });
  return dir;
}

const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1" };

/** Runs `next <args>` until `GET /api/sign` answers; returns the answer and the server's output. */
async function serve(args) {
  const port = await freePort();
  const child = spawn(join(project(), "node_modules/.bin/next"), [...args, "-p", String(port), "-H", "127.0.0.1"], { cwd: project(), env: ENV });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  try {
    for (let i = 0; i < 240; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/sign`);
        return { status: r.status, body: await r.text(), output };
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`next ${args.join(" ")} never answered:\n${output}`);
  } finally {
    child.kill("SIGTERM");
  }
}

test("Next.js 16 App Router, no next.config: next build (Turbopack) and next start run the package", { timeout: 600_000 }, async () => {
  const out = execFileSync(join(project(), "node_modules/.bin/next"), ["build"], { cwd: project(), env: ENV, encoding: "utf8", timeout: 300_000 });
  assert.match(out, /Turbopack/);
  const r = await serve(["start"]);
  assert.equal(r.status, 200, `${r.body}\n${r.output}`);
  assert.deepEqual(JSON.parse(r.body), { sign: SIGN1, host: "kyc1.qcloud.com" });
});

test("Next.js 16 App Router: next dev runs the package", { timeout: 600_000 }, async () => {
  const r = await serve(["dev"]);
  assert.equal(r.status, 200, `${r.body}\n${r.output}`);
  assert.deepEqual(JSON.parse(r.body), { sign: SIGN1, host: "kyc1.qcloud.com" });
});
