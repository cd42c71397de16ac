// Repository checks that need no build (`make test-docs`, and part of `make test-js`):
// - no tracked file uses the words of our internal working notes; the repository
//   must stand on its own (docs/protocol.md describes the protocol);
// - every relative link in the tracked Markdown files points at an existing file
//   (and, for a `#fragment` into a Markdown file, at an existing heading);
// - the error codes agree everywhere: the Rust list (`Error::CODES` and
//   `Error::code()`), the TypeScript union `FaceIdErrorCode`, the README's
//   error table, and every code the package's JavaScript throws.
// Everything is parsed from the files, so a new code only has to be added in
// each place, never here.
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
// Error codes

const CODE = /^[A-Z][A-Z0-9_]*$/;

function duplicates(list) {
  return list.filter((c, i) => list.indexOf(c) !== i);
}

/** Reports the difference between two code lists, both ways. */
function assertSameCodes(actual, actualName, expected, expectedName) {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = expected.filter((c) => !a.has(c));
  const extra = actual.filter((c) => !e.has(c));
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `${actualName} and ${expectedName} disagree: ` +
      `missing from ${actualName}: ${missing.join(", ") || "none"}; ` +
      `not in ${expectedName}: ${extra.join(", ") || "none"}`,
  );
}

/** `Error::CODES` in crates/faceid-edge-core/src/error.rs. */
function rustCodeList() {
  const file = "crates/faceid-edge-core/src/error.rs";
  const m = mustRead(file).match(/pub const CODES\s*:[^=]*=\s*&\[([\s\S]*?)\];/);
  assert.ok(m, `${file}: no \`pub const CODES: … = &[…];\` found`);
  const codes = [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  assert.ok(codes.length > 0, `${file}: Error::CODES is empty`);
  return codes;
}

/** The codes `Error::code()` returns (its `=> "CODE"` arms). */
function rustCodeArms() {
  const file = "crates/faceid-edge-core/src/error.rs";
  const text = mustRead(file);
  const start = text.search(/pub fn code\(&self\)/);
  assert.ok(start >= 0, `${file}: no \`pub fn code(&self)\` found`);
  const rest = text.slice(start + 1);
  const end = rest.search(/\n\s*(?:\/\/\/[^\n]*\n\s*)*pub (?:const )?fn /);
  const body = end >= 0 ? rest.slice(0, end) : rest;
  return [...body.matchAll(/=>\s*"([^"]*)"/g)].map((x) => x[1]);
}

/** The members of `export type FaceIdErrorCode = …;` (in a TypeScript section of the wasm layer). */
function typeScriptCodes() {
  const found = [];
  for (const file of FILES.filter((f) => /^src\/.*\.rs$/.test(f))) {
    for (const m of (textOf(file) ?? "").matchAll(/export type FaceIdErrorCode\s*=([^;]*);/g)) {
      found.push({ file, codes: [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]) });
    }
  }
  assert.equal(found.length, 1,
    `expected exactly one \`export type FaceIdErrorCode\` under src/, found ${found.map((f) => f.file).join(", ") || "none"}`);
  return found[0].codes;
}

/** The first-column codes of the table under the README's "Error codes" heading. */
function readmeCodes() {
  const lines = mustRead("README.md").split(/\r?\n/);
  const start = lines.findIndex((l) => /^#{1,6}\s+Error codes\s*$/i.test(l));
  assert.ok(start >= 0, "README.md has no \"Error codes\" heading with a table of the codes");
  const codes = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6}\s/.test(line)) break;
    const m = line.match(/^\|\s*`([^`]+)`\s*\|/);
    if (m) codes.push(m[1]);
  }
  assert.ok(codes.length > 0, "README.md: the \"Error codes\" section has no table rows like | `CODE` | … |");
  return codes;
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

describe("error codes agree everywhere", () => {
  const rust = rustCodeList();

  test("Error::CODES: well-formed, no duplicates", () => {
    for (const c of rust) assert.match(c, CODE, `Error::CODES has a malformed code ${JSON.stringify(c)}`);
    assert.deepEqual(duplicates(rust), [], "Error::CODES lists a code twice");
  });

  test("Error::code() returns exactly the codes of Error::CODES", () => {
    assertSameCodes([...new Set(rustCodeArms())], "Error::code()", rust, "Error::CODES");
  });

  test("the TypeScript union FaceIdErrorCode has exactly the codes of Error::CODES", () => {
    const ts = typeScriptCodes();
    assert.deepEqual(duplicates(ts), [], "FaceIdErrorCode lists a code twice");
    assertSameCodes(ts, "FaceIdErrorCode", rust, "Error::CODES");
  });

  test("the README's error table has exactly the codes of Error::CODES", () => {
    const readme = readmeCodes();
    assert.deepEqual(duplicates(readme), [], "the README's error table lists a code twice");
    assertSameCodes(readme, "the README's error table", rust, "Error::CODES");
  });

  test("the package's JavaScript throws only listed codes", () => {
    const known = new Set(rust);
    const unknown = thrownInJavaScript().filter((t) => !known.has(t.code)).map((t) => `${t.where}: ${t.code}`);
    assert.deepEqual(unknown, [], `codes thrown but not in Error::CODES:\n${unknown.join("\n")}`);
  });
});
