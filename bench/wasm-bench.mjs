#!/usr/bin/env node
// Load and solve benchmark of the wasm build in Node: the same graphs as the criterion bench
// (benches/solve.rs), timed with performance.now(), median of 5 runs, printed as a table.
//
//   bash scripts/build.sh              # builds pkg/ (wasm-bindgen --target web)
//   node bench/wasm-bench.mjs          # every graph, plain stubs, cold and warm
//   node bench/wasm-bench.mjs --help   # options
//
// It needs the wasm export (src/wasm.rs has it)
//   solveBench(bytes: Uint8Array, variant: string, warm: boolean)
//     -> { vertices: number, load_ms: number, solve_ms: number }
// which loads `bytes` (load_ms) and solves it on a fresh solver with the given stub variant
// (solve_ms); with `warm`, it solves twice on the same solver and solve_ms is the second solve.
// Without that export (an older build) the script still checks its graph
// generators against the corpus and times `loadDefinition` (load plus summary), then says that
// solving cannot be measured and exits with status 3.

import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

import { benchGraphs, checkAgainstCorpus, definitionOps } from "./graphs.mjs";

const ROOT = new URL("../", import.meta.url);
const CORPUS = new URL("testdata/corpus/", ROOT);

const { values: opts } = parseArgs({
  options: {
    variant: { type: "string", default: "plain" },
    runs: { type: "string", default: "5" },
    only: { type: "string" },
    mode: { type: "string", default: "cold,warm" },
    "max-vertices": { type: "string" },
    "budget-s": { type: "string", default: "60" },
    json: { type: "boolean", default: false },
    check: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: node bench/wasm-bench.mjs [options]
  --variant plain|content|default  stub variant (plain, as the criterion bench)
  --runs N              runs per case; the median is reported (5)
  --only REGEX          only graphs whose name matches (e.g. 'lattice|fanin-1k')
  --mode cold,warm      which solves to time
  --max-vertices N      skip bigger graphs
  --budget-s S          after one run longer than S seconds, do not repeat the case (60)
  --json                print the results as JSON instead of a table
  --check               only check the graph generators against testdata/corpus`);
  process.exit(0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 2) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits));

function table(rows, columns) {
  const widths = columns.map(([h, f]) => Math.max(h.length, ...rows.map((r) => String(f(r)).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(columns.map(([h]) => h)));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(columns.map(([, f]) => String(f(r)))));
}

const checked = await checkAgainstCorpus(CORPUS);
console.error(`generators match the corpus: ${checked.join(", ")}`);
if (opts.check) process.exit(0);

let wasm;
try {
  wasm = await import(new URL("pkg/llbsim.js", ROOT));
  await wasm.default({ module_or_path: await readFile(new URL("pkg/llbsim_bg.wasm", ROOT)) });
} catch (e) {
  console.error(`cannot load pkg/llbsim.js (run bash scripts/build.sh first): ${e.message}`);
  process.exit(2);
}

const runs = Math.max(1, Number(opts.runs));
const budgetMs = Number(opts["budget-s"]) * 1000;
const only = opts.only ? new RegExp(opts.only) : null;
const maxVertices = opts["max-vertices"] ? Number(opts["max-vertices"]) : Infinity;
const modes = opts.mode.split(",").filter(Boolean);
// Every op but the terminal is a vertex in these graphs.
const graphs = (await benchGraphs(CORPUS)).filter(
  (g) => (!only || only.test(g.name)) && definitionOps(g.bytes).length - 1 <= maxVertices,
);

/** Runs `f` up to `runs` times (once if a run exceeds the budget); returns every result. */
function repeat(f) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = f();
    const wall = performance.now() - t0;
    out.push({ ...r, wall });
    if (wall > budgetMs) break;
  }
  return out;
}

const rows = [];
if (typeof wasm.solveBench !== "function") {
  console.error(
    "this build has no solveBench export yet: timing loadDefinition (load + summary) only; " +
      "solve times cannot be measured",
  );
  for (const g of graphs) {
    const rs = repeat(() => ({ vertices: wasm.loadDefinition(g.bytes).vertices.length }));
    rows.push({ graph: g.name, mode: "load", vertices: rs[0].vertices, runs: rs.length, load_ms: median(rs.map((r) => r.wall)) });
  }
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else
    table(rows, [
      ["graph", (r) => r.graph],
      ["vertices", (r) => r.vertices],
      ["runs", (r) => r.runs],
      ["loadDefinition ms", (r) => fmt(r.load_ms)],
      ["µs/vertex", (r) => fmt((r.load_ms * 1000) / r.vertices)],
    ]);
  process.exit(3);
}

for (const g of graphs) {
  for (const mode of modes) {
    const warm = mode === "warm";
    const rs = repeat(() => wasm.solveBench(g.bytes, opts.variant, warm));
    const vertices = rs[0].vertices;
    const row = {
      graph: g.name,
      mode,
      variant: opts.variant,
      vertices,
      runs: rs.length,
      load_ms: median(rs.map((r) => r.load_ms)),
      solve_ms: median(rs.map((r) => r.solve_ms)),
      call_ms: median(rs.map((r) => r.wall)),
    };
    row.us_per_vertex = (row.solve_ms * 1000) / vertices;
    rows.push(row);
    if (!opts.json) {
      console.error(`${g.name} ${mode}: ${fmt(row.solve_ms)} ms (${rs.length} runs)`);
    }
  }
}

// Per-vertex cost at 10k against 1k, per shape and mode (the requirement: within 2x).
const ratios = [];
for (const shape of ["chain", "fanin", "lattice"]) {
  for (const mode of modes) {
    const small = rows.find((r) => r.graph === `${shape}-1k` && r.mode === mode);
    const big = rows.find((r) => r.graph === `${shape}-10k` && r.mode === mode);
    if (small && big) {
      ratios.push({ shape, mode, ratio: big.us_per_vertex / small.us_per_vertex });
    }
  }
}

if (opts.json) {
  console.log(JSON.stringify({ rows, ratios }, null, 2));
} else {
  table(rows, [
    ["graph", (r) => r.graph],
    ["mode", (r) => r.mode],
    ["vertices", (r) => r.vertices],
    ["runs", (r) => r.runs],
    ["load ms", (r) => fmt(r.load_ms)],
    ["solve ms", (r) => fmt(r.solve_ms)],
    ["µs/vertex", (r) => fmt(r.us_per_vertex)],
    ["call ms", (r) => fmt(r.call_ms)],
  ]);
  if (ratios.length) {
    console.log();
    table(ratios, [
      ["shape", (r) => r.shape],
      ["mode", (r) => r.mode],
      ["10k/1k per vertex", (r) => `${fmt(r.ratio)}x${r.ratio > 2 ? "  (over 2x)" : ""}`],
    ]);
  }
}
