// Where the bytes of a .wasm go, by function, from its name section (what
// `twiggy top` shows, without installing it): the code size of every
// function, grouped by crate / module path, plus the data segments.
//
//   node bench/wasm-profile.mjs <file.wasm> [--top N] [--depth D] [--json]
//
// The .wasm must still have its name section: cargo's output
// (target/wasm/wasm32-unknown-unknown/release/faceid_edge.wasm) or
// wasm-bindgen's before wasm-opt strips it. Sizes are of the code before
// wasm-opt (which shrinks it by about a tenth), so the shares are what
// counts.
import { readFileSync } from "node:fs";

/** Reads an unsigned LEB128 at `pos`: [value, next position]. */
function leb(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, pos];
  }
}

/** Parses the sections a size profile needs. */
export function parse(bytes) {
  let pos = 8; // magic + version
  let imports = 0;
  const bodies = [];
  const names = new Map();
  let data = 0;
  const sections = {};
  while (pos < bytes.length) {
    const id = bytes[pos++];
    let size;
    [size, pos] = leb(bytes, pos);
    const start = pos;
    const end = pos + size;
    if (id === 2) {
      // Imports: count the function imports (they come first in the index space).
      let n;
      [n, pos] = leb(bytes, pos);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < 2; s++) {
          let len;
          [len, pos] = leb(bytes, pos);
          pos += len;
        }
        const kind = bytes[pos++];
        if (kind === 0) {
          [, pos] = leb(bytes, pos);
          imports++;
        } else if (kind === 1) {
          pos++;
          const flags = bytes[pos++];
          [, pos] = leb(bytes, pos);
          if (flags & 1) [, pos] = leb(bytes, pos);
        } else if (kind === 2) {
          const flags = bytes[pos++];
          [, pos] = leb(bytes, pos);
          if (flags & 1) [, pos] = leb(bytes, pos);
        } else if (kind === 3) {
          pos += 2;
        } else if (kind === 4) {
          pos++;
          [, pos] = leb(bytes, pos);
        }
      }
    } else if (id === 10) {
      let n;
      [n, pos] = leb(bytes, pos);
      for (let i = 0; i < n; i++) {
        let len;
        const at = pos;
        [len, pos] = leb(bytes, pos);
        bodies.push(pos - at + len);
        pos += len;
      }
    } else if (id === 11) {
      data = size;
    } else if (id === 0) {
      let len;
      [len, pos] = leb(bytes, pos);
      const name = new TextDecoder().decode(bytes.subarray(pos, pos + len));
      pos += len;
      if (name === "name") {
        while (pos < end) {
          const sub = bytes[pos++];
          let subSize;
          [subSize, pos] = leb(bytes, pos);
          const subEnd = pos + subSize;
          if (sub === 1) {
            let n;
            [n, pos] = leb(bytes, pos);
            for (let i = 0; i < n; i++) {
              let idx;
              let l;
              [idx, pos] = leb(bytes, pos);
              [l, pos] = leb(bytes, pos);
              names.set(idx, new TextDecoder().decode(bytes.subarray(pos, pos + l)));
              pos += l;
            }
          }
          pos = subEnd;
        }
      }
      sections[`custom:${name}`] = size;
    }
    sections[id] = (sections[id] ?? 0) + size;
    pos = start + size;
  }
  const functions = bodies.map((size, i) => ({ name: demangle(names.get(imports + i) ?? `func[${imports + i}]`), size }));
  return { functions, data, total: bytes.length, sections, named: names.size };
}

/**
 * The identifiers of a Rust v0-mangled symbol (`_RNvNtCs…_4core4sign10sign_slice`
 * → `faceid_edge_core::sign::sign_slice`), crudely: disambiguators, back
 * references and generic arguments are dropped, which is all a size profile
 * needs. Other names are returned as they are.
 */
export function demangle(name) {
  if (!name.startsWith("_R")) return name;
  const s = name;
  const out = [];
  for (let i = 2; i < s.length; ) {
    const c = s[i];
    if (c === "B" || c === "s") {
      // A back reference or a disambiguator: base-62 digits up to "_".
      const end = s.indexOf("_", i);
      i = end < 0 ? s.length : end + 1;
      continue;
    }
    const m = /^\d+/.exec(s.slice(i));
    if (!m) {
      i++;
      continue;
    }
    const n = Number(m[0]);
    let start = i + m[0].length;
    if (s[start] === "_") start++; // an identifier that starts with a digit or "_"
    const ident = s.slice(start, start + n);
    if (n > 0 && ident.length === n) out.push(ident);
    i = start + n;
  }
  return out.length ? out.join("::") : name;
}

/**
 * The group of a (demangled) function name: its path up to `depth` segments,
 * after the impl/trait wrappers are taken off (`<a::B as c::D>::f` → `a::B`).
 */
export function group(name, depth = 2) {
  let n = name.replace(/\[[0-9a-f]+\]/g, "").replace(/^<+/, "").replace(/\{\{closure\}\}/g, "closure");
  n = n.replace(/ as .*$/, "");
  n = n.replace(/<.*$/, "");
  const parts = n.split("::").filter(Boolean);
  if (parts.length === 0) return name;
  // Hash suffixes of legacy mangling.
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  return parts.slice(0, depth).join("::");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a));
  const opt = (k, d) => {
    const i = args.indexOf(k);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const top = opt("--top", 30);
  const depth = opt("--depth", 2);
  const p = parse(readFileSync(file));
  const code = p.functions.reduce((s, f) => s + f.size, 0);
  const groups = new Map();
  for (const f of p.functions) {
    const g = group(f.name, depth);
    const e = groups.get(g) ?? { size: 0, count: 0 };
    e.size += f.size;
    e.count++;
    groups.set(g, e);
  }
  const byGroup = [...groups].sort((a, b) => b[1].size - a[1].size);
  const byFn = [...p.functions].sort((a, b) => b.size - a.size);
  if (args.includes("--json")) {
    console.log(JSON.stringify({ total: p.total, code, data: p.data, groups: byGroup.slice(0, top), functions: byFn.slice(0, top) }, null, 2));
  } else {
    // Shares of code + data (the name and other custom sections are left out).
    const pct = (x) => `${((100 * x) / (code + p.data)).toFixed(1)}%`;
    console.log(`${file}: ${p.total} bytes; code ${code} in ${p.functions.length} functions (${p.named} named), data ${p.data}; shares below are of code + data (${code + p.data})`);
    console.log(`\nby group (path depth ${depth}):`);
    for (const [g, e] of byGroup.slice(0, top)) console.log(`${String(e.size).padStart(8)} ${pct(e.size).padStart(6)} ${String(e.count).padStart(5)} fn  ${g}`);
    console.log(`\nlargest functions:`);
    for (const f of byFn.slice(0, top)) console.log(`${String(f.size).padStart(8)} ${pct(f.size).padStart(6)}  ${f.name.replace(/\[[0-9a-f]+\]/g, "").slice(0, 160)}`);
  }
}
