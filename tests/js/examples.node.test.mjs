// The recipes in examples/ run: each small app (Express 5, Fastify 5, Hono 4
// on Node) is copied into a project that has the packed package installed
// (so `faceid-edge` is the tarball's), started on a free port with the
// simulator as the service, and driven through the whole flow: start as a
// signed-in user → the simulator's face page → the callback through the app
// (303 to returnUrl?orderNo=…) → the result with the order token → ID card
// OCR uploads (a small one, and 2 MB of base64 as a phone photo makes). Hono's
// mount, which examples/hono-node/README.md explains avoiding, is pinned too.
// The examples also type-check under tsc --strict (checkJs) against the
// packed types.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../sim/index.mjs";
import { ORDER_TOKEN_KEY } from "./lib/edge-suite.mjs";
import { alice, exampleFlow } from "./lib/examples-flow.mjs";
import { installedPackage, newProject, repoRoot, resolveExport, runTsc } from "./lib/package.mjs";
import { freePort } from "./lib/proc.mjs";

const EXAMPLES = ["express", "fastify", "hono-node"];
// What the examples import besides faceid-edge (and Express's types): the repository's devDependencies.
const FRAMEWORKS = ["express", "@types/express", "fastify", "hono", "@hono/node-server"];

// A project with the packed package, the examples copied into it and the
// frameworks linked from the repository's node_modules.
const dir = newProject("examples", { type: "module" });
for (const name of EXAMPLES) cpSync(join(repoRoot, "examples", name), join(dir, "examples", name), { recursive: true });
for (const name of FRAMEWORKS) {
  const link = join(dir, "node_modules", name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules", name), link, "dir");
}
const load = (name) => import(pathToFileURL(join(dir, "examples", name, "index.mjs")).href);

describe("the examples drive the whole flow against the simulator", () => {
  let sim;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.stop());

  /** The example's options: the simulator as the service, the test's origin as publicOrigin. */
  const optionsFor = (origin) => ({
    appId: sim.appId,
    secret: sim.secret,
    serviceUrl: sim.url,
    orderTokenKey: ORDER_TOKEN_KEY,
    publicOrigin: origin,
    users: { alice },
  });

  test("examples/express: Express 5, express.json() app-wide, toNodeHandler under /faceid", async () => {
    const { createApp } = await load("express");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { app, drain } = createApp(optionsFor(base));
    const server = createServer(app).listen(port, "127.0.0.1");
    await once(server, "listening");
    try {
      await exampleFlow(sim, base);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await drain();
    }
  });

  test("examples/fastify: Fastify 5, a scope without body parsers, reply.hijack()", async () => {
    const { createApp } = await load("fastify");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = await createApp(optionsFor(base));
    await app.listen({ port, host: "127.0.0.1" });
    try {
      await exampleFlow(sim, base);
    } finally {
      await app.close();
    }
  });

  test("examples/hono-node: Hono 4 on @hono/node-server, the handler on /faceid/*", async () => {
    const { createApp } = await load("hono-node");
    // The same module the example's project links to (the repository's devDependency).
    const { serve } = await import("@hono/node-server");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = createApp(optionsFor(base));
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
    await once(server, "listening");
    try {
      await exampleFlow(sim, base);
    } finally {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    }
  });

  test("examples/hono-node/README.md's reason: Hono's mount strips /faceid, and with prefix \"\" the way back leaves /faceid", async () => {
    const pkg = installedPackage();
    const { createEdgeHandler, FaceIdClient } = await import(pathToFileURL(join(pkg.packageDir, resolveExport(pkg.manifest, ["node", "import"]))).href);
    const { Hono } = await import("hono");
    const { mount } = await import("hono/mount");
    const origin = "http://localhost:8787";
    const client = new FaceIdClient({ appId: sim.appId, secret: sim.secret, serverUrl: sim.url, kycUrl: sim.url, loginUrl: sim.url });
    const handlerWith = (extra) => createEdgeHandler({ client, orderTokenKey: ORDER_TOKEN_KEY, identity: () => alice, returnUrl: "/done.html", publicOrigin: origin, ...extra });
    const start = (app) => app.fetch(new Request(`${origin}/faceid/start`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));

    // app.mount("/faceid", handler): the handler is asked for /start.
    const mounted = new Hono();
    mounted.mount("/faceid", handlerWith({}));
    assert.equal((await start(mounted)).status, 404);

    // With prefix "": the start works, but the face page comes back to /callback, which the app does not route.
    const bare = new Hono();
    bare.mount("/faceid", handlerWith({ prefix: "" }));
    const s = await start(bare);
    assert.equal(s.status, 200);
    const page = await sim.passFacePage((await s.json()).url, "pass");
    assert.equal(new URL(page.location).pathname, "/callback");
    assert.equal((await bare.fetch(new Request(page.location))).status, 404);

    // hono/mount's mount() without request rewriting: the handler sees /faceid/start, as in the example.
    const whole = new Hono();
    whole.all("/faceid/*", mount(handlerWith({}), { replaceRequest: false }));
    assert.equal((await start(whole)).status, 200);
  });
});

test("the examples type-check (tsc --strict, JavaScript with checkJs) against the packed types", async () => {
  // Hono's declarations name DOM types (CloseEvent) that Node's lack: its
  // Node template (create-hono) sets skipLibCheck, and so does this check for
  // that example alone. faceid-edge's declarations are checked with the others.
  const extra = { "hono-node": { skipLibCheck: true } };
  for (const name of EXAMPLES) {
    const file = `examples/${name}/index.mjs`;
    const config = `tsconfig.${name}.json`;
    writeFileSync(join(dir, config), JSON.stringify({
      compilerOptions: {
        module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022"],
        types: ["node"], typeRoots: [join(repoRoot, "node_modules", "@types")],
        strict: true, noEmit: true, allowJs: true, checkJs: true, ...extra[name],
      },
      files: [file],
    }, null, 2));
    const { code, output } = await runTsc(["-p", config, "--listFiles"], { cwd: dir });
    const lines = output.split("\n").filter(Boolean);
    assert.equal(code, 0, `tsc -p ${config} failed:\n${lines.filter((l) => !l.startsWith("/")).join("\n")}`);
    // The example was checked, with the packed package's own declarations.
    assert.ok(lines.includes(join(dir, file)), `tsc did not read ${file}`);
    assert.ok(lines.some((l) => l.startsWith(join(dir, "node_modules", "faceid-edge"))), `${name}: tsc did not read faceid-edge's types`);
  }
  // bun and deno run in their own runtimes (examples.runtimes), next and hono-workers in their own
  // files (examples.next, examples.workers: next build, wrangler dev).
  assert.deepEqual(readdirSync(join(repoRoot, "examples")).sort(), [...EXAMPLES, "bun", "deno", "hono-workers", "next"].sort(), "an example in examples/ is not run here");
});
