// Repository checks that need no build (`make test-docs`, and part of `make test-js`):
// - no tracked file uses the words of our internal working notes; the repository
//   must stand on its own (docs/protocol.md describes the protocol);
// - every relative link in the tracked Markdown files points at an existing file
//   (and, for a `#fragment` into a Markdown file, at an existing heading);
// - every code the package's JavaScript throws is one of the core's error codes
//   (the TypeScript union `FaceIdErrorCode` and the README's table are generated
//   from the same list, and `cargo test` checks them for drift);
// - the benchmark's plain-JavaScript trimming agrees with the core's endpoint table.
// The lists are read from the generated tests/js/fixtures/tables.json, so a new code
// or endpoint only has to be added in the core, never here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SELF = relative(ROOT, fileURLToPath(import.meta.url)).split(sep).join("/");

/** Repository-relative paths (with `/`) of every tracked file. */
function trackedFiles() {
  const out = execFileSync("git", ["ls-files", "-z"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split("\0").filter(Boolean);
}

/** The text of a tracked file; null when it is missing, not a regular file, or binary. */
function textOf(file) {
  const full = join(ROOT, file);
  let stat;
  try {
    stat = lstatSync(full);
  } catch {
    return null;
  }
  if (!stat.isFile()) return null;
  const bytes = readFileSync(full);
  if (bytes.includes(0)) return null;
  return bytes.toString("utf8");
}

function mustRead(file) {
  const text = textOf(file);
  assert.ok(text !== null, `${file} is missing or not a text file`);
  return text;
}

const FILES = trackedFiles();

// ---------------------------------------------------------------------------
// Internal words

/**
 * What must not appear. `allow(file, match)` may excuse a match: "seeded" and
 * "seeding" are ordinary words for the simulator's deterministic random
 * generator (tests/sim/util.mjs defines `seeded()`, the other simulator files
 * call it); every other form of "seed" is a reference to internal notes.
 */
const FORBIDDEN = [
  {
    what: '"seed"',
    pattern: /\bseed(?:s|ed|ing)?\b/gi,
    allow: (file, match) => /^tests\/sim\/[^/]+\.mjs$/.test(file) && /^seed(?:ed|ing)$/i.test(match),
  },
  { what: '"SPEC" (as in "SPEC §")', pattern: /\bSPEC\b/g },
  { what: '"SPEC.md"', pattern: /\bSPEC\.md\b/gi },
  { what: '"../shared"', pattern: /\.\.\/shared\b/g },
  { what: '"/work/shared"', pattern: /\/work\/shared\b/g },
];

function internalWords(file, text) {
  const found = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    for (const { what, pattern, allow } of FORBIDDEN) {
      for (const m of line.matchAll(pattern)) {
        if (allow?.(file, m[0])) continue;
        found.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
      }
    }
  });
  return found;
}

describe("the repository stands on its own", () => {
  test("git lists the files to check", () => {
    assert.ok(FILES.length > 10, "git ls-files listed almost nothing");
    assert.ok(FILES.includes(SELF), `${SELF} should be tracked`);
  });

  test("no internal words in any tracked file (or its path)", () => {
    const found = [];
    for (const file of FILES) {
      if (file === SELF) continue;
      found.push(...internalWords(file, file).map((f) => `${f} (in the path)`));
      const text = textOf(file);
      if (text !== null) found.push(...internalWords(file, text));
    }
    assert.deepEqual(found, [], `internal words found; say what is meant instead (the endpoint, ` +
      `"the official documentation", or a link to docs/protocol.md):\n${found.join("\n")}`);
  });

  test("the checker catches what it should, and only that", () => {
    const hits = (file, text) => internalWords(file, text).length;
    assert.equal(hits("src/a.rs", "/// Face result (seed 002)."), 1);
    assert.equal(hits("src/a.rs", "// the seeds' shape"), 1);
    assert.equal(hits("src/a.rs", "// (SPEC §3)"), 1);
    assert.equal(hits("README.md", "see ../shared/SPEC.md"), 3);
    assert.equal(hits("tests/sim/util.mjs", "export function seeded(text) {"), 0);
    assert.equal(hits("tests/sim/data.mjs", "const r = seeded(`person:${orderNo}`);"), 0);
    assert.equal(hits("tests/sim/util.mjs", "// shaped like the seeds'"), 1);
    assert.equal(hits("src/a.rs", "let seeded = 1;"), 1);
    assert.equal(hits("src/a.rs", "readQuery(searchParams, spec); seedling; reseed"), 0);
  });
});

// ---------------------------------------------------------------------------
// Markdown links

/** Markdown without fenced code blocks and inline code (links there are not links). */
function withoutCode(text) {
  return text
    .replace(/^([ \t]*)(```|~~~)[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, "")
    .replace(/`[^`\n]*`/g, "``");
}

/** Every link target in a Markdown text: inline links, images, reference definitions. */
function linkTargets(text) {
  const plain = withoutCode(text);
  const targets = [];
  for (const m of plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  for (const m of plain.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)) targets.push(m[1]);
  return targets;
}

/** GitHub's anchor for a heading's text. */
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*~]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a Markdown file's headings (duplicates numbered as GitHub does). */
function anchorsOf(text) {
  const seen = new Map();
  const anchors = new Set();
  for (const m of withoutCode(text).matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function brokenLinks(file, text) {
  const broken = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:…
    const [pathPart, fragment] = target.split("#", 2);
    const path = decodeURI(pathPart.split("?")[0]);
    const resolved = path === "" ? file : posix.normalize(posix.join(posix.dirname(file), path));
    if (resolved.startsWith("../") || posix.isAbsolute(resolved)) {
      broken.push(`${file}: ${target} leaves the repository`);
      continue;
    }
    if (!existsSync(join(ROOT, resolved))) {
      broken.push(`${file}: ${target} -> ${resolved} does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith(".md")) {
      const anchors = anchorsOf(readFileSync(join(ROOT, resolved), "utf8"));
      if (!anchors.has(fragment)) broken.push(`${file}: ${target} -> no heading #${fragment} in ${resolved}`);
    }
  }
  return broken;
}

describe("Markdown links", () => {
  const markdown = FILES.filter((f) => f.endsWith(".md"));

  test("the Markdown files users read are tracked", () => {
    for (const f of ["README.md", "docs/protocol.md", "pkg-template/README.md"]) {
      assert.ok(markdown.includes(f), `${f} is not tracked`);
    }
  });

  test("every relative link points at an existing file and heading", () => {
    const broken = markdown.flatMap((f) => brokenLinks(f, mustRead(f)));
    assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
  });

  test("the link checker reads links as GitHub does", () => {
    assert.deepEqual(linkTargets("[a](x.md) ![b](img/y.png) `[c](z.md)`\n[d]: w.md\n```\n[e](v.md)\n```\n"),
      ["x.md", "img/y.png", "w.md"]);
    assert.equal(slug("At the edge: one owner refreshes"), "at-the-edge-one-owner-refreshes");
    assert.equal(slug("The `get_file` values"), "the-get_file-values");
    assert.equal(slug("H5 人脸核身 flow"), "h5-人脸核身-flow");
    assert.deepEqual([...anchorsOf("# A\n## B\n## B\n")], ["a", "b", "b-1"]);
  });
});

// ---------------------------------------------------------------------------
// Error codes and the other generated tables

// The Rust core holds the error codes (crates/faceid-edge-core/src/error/codes.rs) and the endpoint
// table (endpoints/rows.rs). `cargo run -p faceid-edge-core --example gen-tables` writes what derives
// from them: the TypeScript unions (src/wasm/ts/tables.d.ts), the README's table of codes, and
// tests/js/fixtures/tables.json, read here; `cargo test` fails while one of them is out of date.
const TABLES_FILE = "tests/js/fixtures/tables.json";
const TABLES = JSON.parse(mustRead(TABLES_FILE));

const CODE = /^[A-Z][A-Z0-9_]*$/;

function duplicates(list) {
  return list.filter((c, i) => list.indexOf(c) !== i);
}

/** Codes the package's own JavaScript throws (`new FaceIdError("CODE", …)`). */
function thrownInJavaScript() {
  const thrown = [];
  for (const file of FILES.filter((f) => /^(pkg-template|src)\/.*\.(c|m)?js$/.test(f))) {
    const lines = (textOf(file) ?? "").split(/\r?\n/);
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\bFaceIdError\(\s*["']([A-Z][A-Z0-9_]*)["']/g)) {
        thrown.push({ where: `${file}:${i + 1}`, code: m[1] });
      }
    });
  }
  return thrown;
}

describe("error codes", () => {
  const codes = TABLES.errorCodes;

  test("the generated list: well-formed, no duplicates", () => {
    assert.ok(Array.isArray(codes) && codes.length > 0, `${TABLES_FILE}: no errorCodes`);
    for (const c of codes) assert.match(c, CODE, `a malformed code ${JSON.stringify(c)}`);
    assert.deepEqual(duplicates(codes), [], "a code is listed twice");
  });

  test("the generated files are tracked and marked as generated", () => {
    for (const file of [TABLES_FILE, "src/wasm/ts/tables.d.ts"]) {
      assert.ok(FILES.includes(file), `${file} is not tracked`);
      assert.match(mustRead(file), /gen-tables/, `${file} does not say how it is generated`);
    }
    assert.match(mustRead("README.md"), /<!-- The table of codes is generated from [^>]*gen-tables[^>]*-->/);
  });

  test("the package's JavaScript throws only listed codes", () => {
    const known = new Set(codes);
    const unknown = thrownInJavaScript().filter((t) => !known.has(t.code)).map((t) => `${t.where}: ${t.code}`);
    assert.deepEqual(unknown, [], `codes thrown but not in the core's list:\n${unknown.join("\n")}`);
  });
});

describe("the benchmark's plain-JavaScript trimming agrees with the endpoint table", async () => {
  // bench/plain-trim.js stays plain JavaScript (the baseline the handler is measured against); it
  // trims face results only. Held here to the faceResult row and to the core's masks.
  const { trim } = await import("../../bench/plain-trim.js");
  const face = TABLES.endpoints.find((e) => e.name === "faceResult");
  const masks = new Map(TABLES.masks.map((m) => [m.rule, m.examples]));

  test("it keeps and masks exactly the row's fields, in the row's order, and drops the rest", () => {
    assert.ok(face, `${TABLES_FILE}: no faceResult row`);
    const result = {};
    const expected = {};
    for (const [field, rule] of face.trim) {
      const [input, output] = rule === "keep" ? [`kept ${field}`, `kept ${field}`] : masks.get(rule).at(-2);
      result[field] = input;
      expected[field] = output;
    }
    for (const field of [...face.media, "liveRate", "similarity", "address", "sign"]) result[field] = `dropped ${field}`;
    const out = trim({ code: "0", msg: "ok", result }, "order001");
    assert.deepEqual(Object.keys(out.result), face.trim.map(([field]) => field));
    assert.deepEqual(out.result, expected);
  });

  test("its masks agree with the core's on every example", () => {
    for (const [field, rule] of face.trim.filter(([, rule]) => rule !== "keep")) {
      for (const [input, output] of masks.get(rule)) {
        const out = trim({ code: "0", msg: "ok", result: { [field]: input } }, "order001");
        assert.equal(out.result[field], output, `${rule} of ${JSON.stringify(input)}`);
      }
    }
  });
});
