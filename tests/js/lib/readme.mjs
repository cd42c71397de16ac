// The fenced code blocks of the READMEs, so that tests build, run and
// type-check exactly what the READMEs show. A block's info string is its
// language, then tags that say what the block is for:
//
//   ```js worker              a complete Worker module: wrangler types + tsc, wrangler deploy --dry-run
//   ```jsonc wrangler         the wrangler.jsonc of that Worker
//   ```js node / ```js browser  an example module, type-checked (strict) in a Node.js / browser project
//   ```js vite-config, ```sh esbuild-node, ```sh esbuild-browser, ```sh esbuild-browser-loader
//                             build recipes the bundler tests follow to the letter
//
// Every js/ts block must carry one of these tags (see `untaggedExamples`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { installedPackage, repoRoot } from "./package.mjs";

export const CONTEXTS = ["node", "browser", "worker"];
export const RECIPES = ["wrangler", "vite-config", "esbuild-node", "esbuild-browser", "esbuild-browser-loader"];
const CODE_LANGS = new Set(["js", "javascript", "mjs", "ts", "typescript", "mts"]);

/** [{ readme, line, lang, tags, code }] of one Markdown text. */
export function codeBlocks(markdown, readme) {
  const blocks = [];
  let open = null;
  markdown.split("\n").forEach((text, i) => {
    if (open) {
      if (/^```\s*$/.test(text)) {
        blocks.push({ ...open, code: open.code.join("\n") + "\n" });
        open = null;
      } else {
        open.code.push(text);
      }
      return;
    }
    const fence = /^```(\S*)\s*(.*)$/.exec(text);
    if (fence) open = { readme, line: i + 1, lang: fence[1], tags: fence[2].split(/\s+/).filter(Boolean), code: [] };
  });
  if (open) throw new Error(`${readme}:${open.line}: the code block is never closed`);
  return blocks;
}

/** The blocks of the repository's README.md and of the packed package's README.md (pkg-template/README.md). */
export function readmeBlocks() {
  return [
    ...codeBlocks(readFileSync(join(repoRoot, "README.md"), "utf8"), "README.md"),
    ...codeBlocks(readFileSync(join(installedPackage().packageDir, "README.md"), "utf8"), "pkg-template/README.md"),
  ];
}

export const isCode = (block) => CODE_LANGS.has(block.lang);
export const isTypeScript = (block) => /^(ts|typescript|mts)$/.test(block.lang);
export const where = (block) => `${block.readme}:${block.line}`;

/** JavaScript/TypeScript blocks that say neither where they run nor which recipe they are. */
export function untaggedExamples(blocks) {
  return blocks.filter((b) => isCode(b) && !b.tags.some((t) => CONTEXTS.includes(t) || RECIPES.includes(t)));
}

/** The blocks tagged `tag`. */
export const tagged = (blocks, tag) => blocks.filter((b) => b.tags.includes(tag));

/**
 * The commands of a `sh` recipe block, one per line (comments and blank lines
 * skipped), with a leading `npx ` removed: the tests run the repository's own
 * binaries (node_modules/.bin first on PATH), never the registry.
 */
export function commands(block) {
  return block.code.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((l) => l.replace(/^npx\s+/, ""));
}
