// The targets of issue 19 ("Size and speed"), each with the figure this run
// measured and whether it is met. `make bench` prints them last
// (bench/run.mjs); every value comes from a section of the same run, side by
// side with the plain-JavaScript way, so the ratios are comparable even on a
// busy machine (the absolute figures are not).

/** `x` rounded for display, or "—" when it was not measured. */
const show = (x, digits = 2, unit = "x") => (Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : "—");
const kib = (bytes) => (Number.isFinite(bytes) ? `${bytes.toLocaleString("en-US")} B (${(bytes / 1024).toFixed(1)} KiB)` : "—");

/**
 * The targets, from the figures of bench/run.mjs's sections:
 * [{ name, measured, target, met }], `met` null when not measured.
 */
export function targets(f) {
  const at = (value, ok) => ({ value, met: Number.isFinite(value) ? ok(value) : null });
  const rows = [
    [".wasm, gzip (every feature)", at(f.size?.wasmGzipBytes, (v) => v <= 64 * 1024), kib, "≤ 64 KiB"],
    ["faceid-edge/sign: its .wasm, gzip", at(f.size?.signWasmGzipBytes, (v) => v <= 16 * 1024), kib, "≤ 16 KiB"],
    ["edge handler in workerd: CPU per request vs a hand-written Worker", at(f.edgeLoad?.workerdCpuRatio, (v) => v <= 1.0), show, "≤ 1.0x"],
    ["edge handler in workerd: throughput vs a hand-written Worker", at(f.edgeLoad?.throughputRatio, (v) => v >= 1.0), show, "≥ 1.0x"],
    ["query round trip vs fetch + JSON.parse + node:crypto", at(f.query?.roundTripMs?.ratio, (v) => v <= 1.1), show, "≤ 1.1x"],
    ["sign() vs node:crypto (Node)", at(f.sign?.sign && f.sign.sign.wasm / f.sign.sign.plain, (v) => v >= 2), show, "≥ 2x"],
    ["sign() vs WebCrypto inside workerd", at(f.runtimes?.workerd?.ratio, (v) => v >= 8), show, "≥ 8x"],
    ["10 MB revealed result through the handler: peak memory / payload", at(f.large?.handler?.peakPerPayload, (v) => v <= 3), show, "≤ 3x"],
  ];
  return rows.map(([name, { value, met }, format, target]) => ({ name, value, measured: format(value), target, met }));
}

/** Logs the targets as a table; returns them. */
export function report(figures, log = console.log) {
  const rows = targets(figures);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const verdict = r.met === null ? "not measured" : r.met ? "met" : "MISSED";
    log(`${r.name.padEnd(width)}  ${r.measured.padStart(22)}  target ${r.target.padEnd(8)}  ${verdict}`);
  }
  const count = (met) => rows.filter((r) => r.met === met).length;
  log(`${count(true)} met, ${count(false)} missed, ${count(null)} not measured (BENCHMARKS.md: where a target is missed, the profile and what it would take)`);
  return rows;
}
