// The packed package the way users meet it beyond a plain `import` in Node:
// the package.json linters (publint --strict, @arethetypeswrong/cli),
// TypeScript in ES module, CommonJS and bundler projects, a Worker typed by
// `wrangler types`, the README's Worker built by `wrangler deploy --dry-run`,
// the READMEs' examples type-checked against the packed types, and esbuild
// bundles of a Node app. Every check runs in a fresh project with the tarball
// installed (offline), with the tools that package-lock.json pins
// (node_modules/.bin): nothing here needs the network.
// (Vite and esbuild for browsers, in Chromium: packaging.browser.test.mjs.)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { installedPackage, newProject, PACKAGE_NAME, repoRoot, tempDir } from "./lib/package.mjs";
import { SIGN1, VECTOR1 } from "./lib/probe.mjs";
import { commands, CONTEXTS, isTypeScript, readmeBlocks, tagged, untaggedExamples, where } from "./lib/readme.mjs";

const pkg = installedPackage();
const BIN = join(repoRoot, "node_modules", ".bin");
const bin = (name) => join(BIN, name);
const TYPE_ROOTS = [join(repoRoot, "node_modules", "@types")];
// wrangler offline: no metrics or error reports, no banner (its update check
// asks the registry), its logs and settings in the temporary root.
const WRANGLER_ENV = () => ({
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_LOG_PATH: join(pkg.root, "wrangler-logs"),
  XDG_CONFIG_HOME: join(pkg.root, "wrangler-config"),
});

/** Runs a command; resolves to { code, output } (a failure is a result, not a rejection). */
function sh(file, args, { cwd, env = {}, timeout = 120_000 } = {}) {
  return new Promise((resolve) => {
    execFile(file, args, {
      cwd, timeout, maxBuffer: 64 << 20,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", PATH: `${BIN}:${process.env.PATH}`, ...env },
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** Runs a command that must succeed; returns its output. */
async function ok(file, args, options) {
  const r = await sh(file, args, options);
  const shown = file.startsWith(repoRoot) ? relative(repoRoot, file) : file;
  assert.equal(r.code, 0, `${[shown, ...args].join(" ")} failed (${r.code}):\n${r.output}`);
  return r.output;
}

const json = (value) => JSON.stringify(value, null, 2);
/** tsc -p <config> --listFiles: the compiled files (tsc must succeed). */
async function tsc(dir, config = "tsconfig.json") {
  const r = await sh(bin("tsc"), ["-p", config, "--listFiles"], { cwd: dir });
  const lines = r.output.split("\n").filter(Boolean);
  const files = lines.filter((l) => l.startsWith("/"));
  assert.equal(r.code, 0, `tsc -p ${config} failed (${r.code}):\n${lines.filter((l) => !l.startsWith("/")).join("\n")}`);
  return files;
}
/** The package's declaration files a tsc run read, relative to the package. */
function packageTypes(files) {
  const marker = `/node_modules/${PACKAGE_NAME}/`;
  return files.filter((f) => f.includes(marker)).map((f) => f.slice(f.lastIndexOf(marker) + marker.length)).sort();
}

// ---------------------------------------------------------------------------
// package.json, as the linters read it

test("publint --strict on the tarball: all good", async () => {
  const out = await ok(bin("publint"), ["run", "--strict", pkg.tarball], { cwd: pkg.root });
  assert.match(out, /All good!/, out);
});

test("@arethetypeswrong/cli on the tarball: no problem under node10, node16 (CJS and ESM) and bundler", async () => {
  // The .wasm subpath has no types by design (what importing it gives depends on the bundler).
  const out = await ok(bin("attw"), [pkg.tarball, "--exclude-entrypoints", "./faceid_edge_bg.wasm", "--format", "json"], { cwd: pkg.root });
  const { analysis } = JSON.parse(out);
  assert.deepEqual(analysis.problems ?? [], [], json(analysis.problems));
  const resolutions = analysis.entrypoints["."].resolutions;
  assert.deepEqual(Object.keys(resolutions).sort(), ["bundler", "node10", "node16-cjs", "node16-esm"]);
  assert.equal(resolutions["node16-cjs"].resolution.fileName.replace(/.*\//, ""), "index.d.cts");
  assert.equal(resolutions["node16-esm"].resolution.fileName.replace(/.*\//, ""), "index.d.ts");
});

// ---------------------------------------------------------------------------
// TypeScript projects

const VECTOR = JSON.stringify(VECTOR1);

test("TypeScript, ES module project (module node16): import, types from index.d.ts, no Workers types", async () => {
  const dir = newProject("ts-esm", { type: "module" }, {
    "tsconfig.json": json({
      compilerOptions: {
        module: "node16", moduleResolution: "node16", target: "es2022", lib: ["es2022"],
        types: ["node"], typeRoots: TYPE_ROOTS, strict: true, noEmit: true,
      },
      files: ["app.ts"],
    }),
    "app.ts": `import init, { FaceIdClient, FaceIdError, TicketOwner, nonce, sign, signValues, verifySign } from "${PACKAGE_NAME}";
import type { FaceIdErrorCode, SignOptions } from "${PACKAGE_NAME}";

await init();
const options: SignOptions = { appId: "appId001", orderNo: "aabc1457895464", ticket: "t", nonce: nonce() };
const signed: string = sign(options);
const same: boolean = verifySign(${VECTOR}, signValues(${VECTOR}));
const client = new FaceIdClient({ appId: "appId001", ticket: "t" });
const status: Promise<Response> = new TicketOwner({}, {}).fetch(new Request("https://owner/status"));
try {
  sign(options);
} catch (e) {
  if (e instanceof FaceIdError) {
    const code: FaceIdErrorCode = e.code;
  }
}
// @ts-expect-error orderNo must be a string
sign({ appId: "a", orderNo: 1, ticket: "t", nonce: "n" });
`,
  });
  const files = await tsc(dir);
  assert.deepEqual(packageTypes(files), ["faceid_edge.d.ts", "index.d.ts"]);
  assert.ok(!files.some((f) => /workers-types|worker-configuration|cloudflare/.test(f)), files.join("\n"));
});

test("TypeScript, CommonJS project (module node16): require and import read index.d.cts, compile and run", async () => {
  const dir = newProject("ts-cjs", { type: "commonjs" }, {
    "tsconfig.json": json({
      compilerOptions: {
        module: "node16", moduleResolution: "node16", target: "es2022", lib: ["es2022"],
        types: ["node"], typeRoots: TYPE_ROOTS, strict: true, allowJs: true, checkJs: true, outDir: "out",
      },
      files: ["import.ts", "equals.ts", "require.js"],
    }),
    // Each prints { sign, init, client } from the module it loaded.
    "import.ts": `import init, { FaceIdClient, signValues } from "${PACKAGE_NAME}";
const sign: string = signValues(${VECTOR});
// @ts-expect-error values are strings, null or undefined
const wrong = () => signValues([1]);
init().then(() => console.log(JSON.stringify({ sign, init: typeof init, client: typeof FaceIdClient })));
`,
    "equals.ts": `import faceid = require("${PACKAGE_NAME}");
const sign: string = faceid.signValues(${VECTOR});
faceid.default().then(() => console.log(JSON.stringify({ sign, init: typeof faceid.default, client: typeof faceid.FaceIdClient })));
`,
    "require.js": `const { default: init, FaceIdClient, signValues } = require("${PACKAGE_NAME}");
/** @type {string} */
const sign = signValues(${VECTOR});
// @ts-expect-error values are strings, null or undefined
const wrong = () => signValues([1]);
init().then(() => console.log(JSON.stringify({ sign, init: typeof init, client: typeof FaceIdClient })));
`,
  });
  const files = await tsc(dir);
  assert.deepEqual(packageTypes(files), ["faceid_edge.d.cts", "index.d.cts"]);
  for (const file of ["import.js", "equals.js", "require.js"]) {
    const out = await ok(process.execPath, [join("out", file)], { cwd: dir });
    assert.deepEqual(JSON.parse(out), { sign: SIGN1, init: "function", client: "function" }, file);
  }
});

test("TypeScript, bundler resolution (browser project): types from index.d.ts", async () => {
  const dir = newProject("ts-bundler", { type: "module" }, {
    "tsconfig.json": json({
      compilerOptions: {
        module: "esnext", moduleResolution: "bundler", target: "es2022", lib: ["es2022", "dom"],
        types: [], strict: true, noEmit: true,
      },
      files: ["app.ts"],
    }),
    "app.ts": `import init, { FaceIdError, signValues } from "${PACKAGE_NAME}";
await init(new URL("/faceid_edge_bg.wasm", location.href));
const signed: string = signValues(${VECTOR});
export { FaceIdError, signed };
`,
  });
  assert.deepEqual(packageTypes(await tsc(dir)), ["faceid_edge.d.ts", "index.d.ts"]);
});

// ---------------------------------------------------------------------------
// Workers: wrangler types, tsc, wrangler deploy --dry-run

const WORKER_TS = `import { FaceIdClient, FaceIdError, TicketOwner } from "${PACKAGE_NAME}";
export { TicketOwner } from "${PACKAGE_NAME}";

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const client = new FaceIdClient({ appId: env.FACEID_APP_ID, ticketOwner: env.TICKET_OWNER });
    // The binding is typed with the class itself.
    const owner: DurableObjectStub<TicketOwner> = env.TICKET_OWNER.get(env.TICKET_OWNER.idFromName(env.FACEID_APP_ID));
    const status = await owner.fetch("https://owner/status");
    try {
      const r = await client.faceResult(new URL(request.url).searchParams.get("orderNo") ?? "", { ctx });
      return Response.json({ ok: r.ok, owner: status.status });
    } catch (e) {
      if (e instanceof FaceIdError) return Response.json({ code: e.code }, { status: 400 });
      throw e;
    }
  },
} satisfies ExportedHandler<Env>;
`;

const WRANGLER_CONFIG = {
  name: "faceid-types",
  main: "src/index.ts",
  compatibility_date: "2025-09-01",
  durable_objects: { bindings: [{ name: "TICKET_OWNER", class_name: "TicketOwner" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["TicketOwner"] }],
  vars: { FACEID_APP_ID: "appId001" },
};

/** The tsconfig of a Worker project as `wrangler types` expects it (C3's, without skipLibCheck). */
const workerTsconfig = (files, extra = {}) => json({
  compilerOptions: {
    target: "es2022", lib: ["es2022"], module: "es2022", moduleResolution: "bundler",
    types: ["./worker-configuration.d.ts"], strict: true, noEmit: true, isolatedModules: true,
    allowJs: true, checkJs: true, ...extra,
  },
  files: ["worker-configuration.d.ts", ...files],
});

test("wrangler types + tsc --strict: a Worker re-exporting TicketOwner as its Durable Object class", async (t) => {
  const dir = newProject("worker-types", { type: "module" }, {
    "wrangler.jsonc": json(WRANGLER_CONFIG),
    "src/index.ts": WORKER_TS,
    "tsconfig.json": workerTsconfig(["src/index.ts"]),
    "tsconfig.workerd.json": workerTsconfig(["src/index.ts", "src/workerd.ts"], { customConditions: ["workerd"] }),
    // Under the workerd condition TicketOwner is a subclass of DurableObject
    // (whose protected members make this assignment nominal).
    "src/workerd.ts": `import { DurableObject } from "cloudflare:workers";
import { TicketOwner } from "${PACKAGE_NAME}";
export const owner: DurableObject = null as unknown as TicketOwner;
`,
  });
  await ok(bin("wrangler"), ["types"], { cwd: dir, env: WRANGLER_ENV() });
  const generated = readFileSync(join(dir, "worker-configuration.d.ts"), "utf8");
  assert.match(generated, /TICKET_OWNER: DurableObjectNamespace<import\("\.\/src\/index"\)\.TicketOwner>/);

  await t.test("default settings (no customConditions): index.d.ts, branded by the Workers types", async () => {
    assert.deepEqual(packageTypes(await tsc(dir)), ["faceid_edge.d.ts", "index.d.ts"]);
  });
  await t.test(`"customConditions": ["workerd"]: workerd.d.ts, TicketOwner extends DurableObject`, async () => {
    assert.deepEqual(packageTypes(await tsc(dir, "tsconfig.workerd.json")), ["faceid_edge.d.ts", "index.d.ts", "workerd.d.ts"]);
  });
});

/** Strips // comments of JSONC (not inside strings) and parses it. */
function parseJsonc(text) {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*/g, (m, string) => string ?? ""));
}

const blocks = readmeBlocks();

test("every JavaScript/TypeScript block of the READMEs says what it is (node, browser, worker or a recipe tag)", () => {
  assert.deepEqual(untaggedExamples(blocks).map(where), []);
  assert.ok(tagged(blocks, "worker").length > 0, "no block is tagged `worker`");
});

for (const block of tagged(blocks, "worker")) {
  test(`the README's Worker (${where(block)}): wrangler types + tsc --strict, wrangler deploy --dry-run uploads the .wasm as its own module`, async (t) => {
    const configs = tagged(blocks, "wrangler");
    assert.equal(configs.length, 1, `expected one \`jsonc wrangler\` block, found ${configs.map(where)}`);
    const config = parseJsonc(configs[0].code);
    assert.equal(typeof config.main, "string", "the wrangler block names no main module");
    const main = isTypeScript(block) ? config.main.replace(/\.[cm]?js$/, ".ts") : config.main;
    const dir = newProject("readme-worker", { type: "module" }, {
      "wrangler.jsonc": json({ ...config, main }),
      [main]: block.code,
      "tsconfig.json": workerTsconfig([main]),
      // The secrets the README has the reader put (wrangler types reads their names from here).
      ".dev.vars": "FACEID_SECRET=local-secret\nORDER_TOKEN_KEY=local-order-token-key-of-32-bytes-or-more\n",
    });

    await t.test("wrangler types + tsc --strict", async () => {
      await ok(bin("wrangler"), ["types"], { cwd: dir, env: WRANGLER_ENV() });
      await tsc(dir);
    });

    await t.test("wrangler deploy --dry-run --outdir", async () => {
      await ok(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], { cwd: dir, env: WRANGLER_ENV() });
      const out = join(dir, "dist");
      const files = readdirSync(out, { recursive: true }).map(String);
      const digest = (bytes) => createHash("sha256").update(bytes).digest("hex");
      const wasm = files.filter((f) => f.endsWith(".wasm"));
      const packaged = digest(readFileSync(join(pkg.packageDir, "faceid_edge_bg.wasm")));
      assert.deepEqual(wasm.map((f) => digest(readFileSync(join(out, f)))), [packaged],
        `expected the package's .wasm as one module of its own: ${files}`);
      for (const js of files.filter((f) => /\.m?js$/.test(f))) {
        const text = readFileSync(join(out, js), "utf8");
        // No base64 (AGFzbQ…) or byte-array copy of a wasm module ("\0asm") inside the script.
        assert.ok(!/AGFzbQ|0x00,\s*0x61,\s*0x73,\s*0x6d|\\0asm|\\x00asm/.test(text), `${js} inlines a wasm module`);
        if (js === "index.js") assert.ok(text.includes(wasm[0].replace(/.*\//, "")), `${js} does not import ${wasm[0]}`);
      }
    });
  });
}

// ---------------------------------------------------------------------------
// The READMEs' examples, type-checked (strict) against the packed types

// Values the examples use without defining them: the reader brings these.
const PLACEHOLDERS = `// Placeholders of the README examples: values the reader has.
declare const appId: string;
declare const secret: string;
declare const orderNo: string;
declare const userId: string;
declare const faceId: string;
declare const signTicket: string;
declare const nonceTicket: string;
declare const code: string;
declare const newSign: string;
declare const client: import("faceid-edge").FaceIdClient;
declare const request: Request;
`;

const CONTEXT_TSCONFIG = {
  node: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022"], types: ["node"], typeRoots: TYPE_ROOTS },
  browser: { module: "esnext", moduleResolution: "bundler", target: "es2022", lib: ["es2022", "dom", "dom.iterable"], types: [] },
};

for (const context of CONTEXTS.filter((c) => c !== "worker")) {
  test(`the READMEs' ${context} examples type-check (tsc --strict, JavaScript with checkJs)`, async () => {
    const examples = tagged(blocks, context);
    assert.ok(examples.length > 0, `no block is tagged \`${context}\``);
    const files = {};
    for (const b of examples) {
      const name = `${b.readme.replace(/\W+/g, "-")}-${b.line}.${isTypeScript(b) ? "ts" : "js"}`;
      files[`examples/${name}`] = `// ${where(b)}\n${b.code}`;
    }
    const dir = newProject(`readme-${context}`, { type: "module" }, {
      ...files,
      "placeholders.d.ts": PLACEHOLDERS,
      "tsconfig.json": json({
        compilerOptions: { ...CONTEXT_TSCONFIG[context], strict: true, noEmit: true, allowJs: true, checkJs: true },
        files: ["placeholders.d.ts", ...Object.keys(files)],
      }),
    });
    // The Redis example imports node-redis: the repository's (a devDependency).
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules", "redis"), join(dir, "node_modules", "redis"), "dir");
    await tsc(dir);
  });
}

// ---------------------------------------------------------------------------
// esbuild bundles of a Node.js app: the bundle alone, away from node_modules

test("esbuild --bundle --platform=node, ESM and CommonJS output: the bundle runs on its own", async (t) => {
  const recipes = tagged(blocks, "esbuild-node");
  assert.equal(recipes.length, 1, "expected one `sh esbuild-node` block");
  const [command] = commands(recipes[0]);
  const dir = newProject("esbuild-node", { type: "module" }, {
    "server.js": `import { FaceIdClient, signValues } from "${PACKAGE_NAME}";
console.log(JSON.stringify({ sign: signValues(${VECTOR}), client: typeof FaceIdClient }));
`,
    "server.cjs": `const { FaceIdClient, signValues } = require("${PACKAGE_NAME}");
console.log(JSON.stringify({ sign: signValues(${VECTOR}), client: typeof FaceIdClient }));
`,
  });
  const elsewhere = tempDir("bundle-alone"); // no node_modules, no .wasm beside
  const variants = {
    "the README's command (ESM)": [command, "dist/server.mjs"],
    "--format=cjs of a require() app": [
      "esbuild server.cjs --bundle --platform=node --format=cjs --outfile=dist/server.cjs", "dist/server.cjs"],
  };
  for (const [name, [line, output]] of Object.entries(variants)) {
    await t.test(`${name}: ${line}`, async () => {
      await ok("/bin/sh", ["-c", line], { cwd: dir });
      const copy = join(elsewhere, output.replace(/.*\//, ""));
      writeFileSync(copy, readFileSync(join(dir, output)));
      const out = await ok(process.execPath, [copy], { cwd: dirname(copy) });
      assert.deepEqual(JSON.parse(out), { sign: SIGN1, client: "function" });
    });
  }
});
