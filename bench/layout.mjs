#!/usr/bin/env node
// The benchmark page's whole table, in headless Chromium, with native Graphviz dot as the
// layout's yardstick: load, solve, layout and frame times of each graph in one run.
//
//   bash scripts/build.sh          # www/vendor/ (Graphviz wasm) and pkg/
//   node bench/layout.mjs          # every graph, median of 5 after a warm-up
//   node bench/layout.mjs --help
//
// For each graph it writes the DOT that www/layout.js gives Graphviz (toDot: the same text the
// worker lays out), times native `dot -Tjson` on it (a fresh process per run, wall time; a warm-up
// and N runs before the browser, the same after, the median of all 2N), then opens www/bench.html
// in Chromium (with the first times as its yardstick column) and reads the page's results:
// the time from posting the graph to the layout worker to receiving the layout, for the "dot"
// engine (Graphviz 16 in wasm) and the "layered" fallback, and the page's other metrics
// (www/bench-core.js: load, solve cold, solve warm, frame p50/p95, step mean) on the graphs that
// have a binary definition (the corpus's). ratio = worker dot ÷ native dot.
//
// Native dot is Debian's `graphviz` package; when it is missing the script installs it with
// apt-get (it is not part of the test setup).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { CHROMIUM_ARGS } from "../e2e/chromium.mjs";
import { startServer } from "../e2e/serve.mjs";
import { chainGraph, latticeGraph } from "../www/bench-graphs.js";
import { prepareGraph, toDot } from "../www/layout.js";
import { graphFromDumpLlb } from "../www/llb-graph.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORPUS = new URL("../testdata/corpus/", import.meta.url);

const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    only: { type: "string" },
    "no-dot": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: node bench/layout.mjs [options]
  --runs N        measured runs per case after one warm-up; the median is reported (5)
  --only REGEX    only graphs whose name matches
  --no-dot        skip native dot (no yardstick, no ratio)
  --json          print the results as JSON instead of a table`);
  process.exit(0);
}

const RUNS = Math.max(1, Number(opts.runs) || 5);
/** A case whose warm-up takes longer than this is not repeated. */
const BUDGET_MS = 20000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (x === undefined || !Number.isFinite(x) ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const say = (s) => console.error(`[bench] ${s}`);

/** The graphs of www/bench.js's GRAPHS, built here in Node. */
const GRAPHS = {
  "synth-chain2000": async () => graphFromDumpLlb(await readFile(new URL("synth-chain2000.json", CORPUS), "utf8")),
  "synth-fanin1000": async () => graphFromDumpLlb(await readFile(new URL("synth-fanin1000.json", CORPUS), "utf8")),
  "synth-lattice64": async () => graphFromDumpLlb(await readFile(new URL("synth-lattice64.json", CORPUS), "utf8")),
  "df-buildkit": async () => graphFromDumpLlb(await readFile(new URL("df-buildkit.json", CORPUS), "utf8")),
  "lattice-2k": async () => latticeGraph(40, 50),
  "chain-20k": async () => chainGraph(20000),
};
/** Graphs laid out by the fallback only (dot is not run on them, here or in the page). */
const LAYERED_ONLY = new Set(["chain-20k"]);

const names = Object.keys(GRAPHS).filter((n) => !opts.only || new RegExp(opts.only).test(n));
if (!names.length) {
  console.error(`no graph matches ${opts.only}`);
  process.exit(2);
}

if (!existsSync(new URL("../www/vendor/viz-standalone.mjs", import.meta.url))) {
  console.error("bench/layout.mjs: www/vendor/viz-standalone.mjs is missing: run bash scripts/build.sh first");
  process.exit(2);
}

/** Makes sure native dot is there: installs Debian's graphviz when it is not. */
function ensureDot() {
  const found = spawnSync("dot", ["-V"], { encoding: "utf8" });
  if (found.status === 0) return found.stderr.trim();
  say("native Graphviz dot (the yardstick) is not installed: installing Debian's graphviz with apt-get");
  const sudo = process.getuid && process.getuid() !== 0 ? ["sudo"] : [];
  const run = (args) => spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  let r = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "graphviz"]);
  if (r.status !== 0) {
    run(["apt-get", "update", "-qq"]);
    r = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "graphviz"]);
  }
  const again = spawnSync("dot", ["-V"], { encoding: "utf8" });
  if (again.status !== 0) {
    console.error("bench/layout.mjs: could not install graphviz (apt-get install graphviz); run with --no-dot to skip the yardstick");
    process.exit(2);
  }
  return again.stderr.trim();
}

/** Median wall time (ms) of `dot -Tjson` on `file`, a fresh process each run, after a warm-up. */
function timeNativeDot(file) {
  const once = () => {
    const t0 = performance.now();
    const r = spawnSync("dot", ["-Tjson", "-o", "/dev/null", file], { encoding: "utf8", maxBuffer: 1 << 30 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`dot failed: ${r.stderr}`);
    return ms;
  };
  const warm = once();
  if (warm > BUDGET_MS) return { ms: warm, runs: [warm], note: "one run" };
  const runs = Array.from({ length: RUNS }, once);
  return { ms: median(runs), runs };
}

const dotVersion = opts["no-dot"] ? null : ensureDot();
const work = await mkdtemp(join(tmpdir(), "llbsim-layout-bench-"));
const sizes = {};
const dotFiles = {};
for (const name of names) {
  const graph = await GRAPHS[name]();
  sizes[name] = { nodes: graph.nodes.length, edges: graph.edges.length };
  if (opts["no-dot"] || LAYERED_ONLY.has(name)) continue;
  dotFiles[name] = join(work, `${name}.dot`);
  await writeFile(dotFiles[name], toDot(prepareGraph(graph)));
}
/** Native dot is timed before and after the browser runs (the VM's speed drifts); all runs count. */
function timeAllNative(when) {
  const out = {};
  for (const [name, file] of Object.entries(dotFiles)) {
    say(`native dot (${when}): ${name} (${sizes[name].nodes} vertices)`);
    out[name] = timeNativeDot(file);
  }
  return out;
}
const nativeBefore = timeAllNative("before the browser");

// The page, in headless Chromium.
const { server, url: base } = await startServer(ROOT, 0);
const userDataDir = await mkdtemp(join(tmpdir(), "llbsim-layout-bench-chromium-"));
let rows;
let browserVersion;
let graphvizWasm;
try {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  browserVersion = context.browser()?.version() ?? "";
  const page = await context.newPage();
  page.on("pageerror", (e) => say(`page error: ${e.message}`));
  const dotParam = Object.entries(nativeBefore).map(([n, r]) => `${n}:${r.ms.toFixed(1)}`).join(",");
  const query = new URLSearchParams({ graphs: names.join(","), runs: String(RUNS), run: "1", ...(dotParam ? { dot: dotParam } : {}) });
  await page.goto(`${base}/www/bench.html?${query}`);
  let last = "";
  const poll = setInterval(async () => {
    const s = await page.textContent("#bench-status").catch(() => "");
    if (s && s !== last) say(`chromium: ${(last = s)}`);
  }, 1000);
  try {
    await page.waitForFunction(() => document.body.dataset.state === "done", null, { timeout: 60 * 60 * 1000, polling: 500 });
  } finally {
    clearInterval(poll);
  }
  rows = JSON.parse(await page.textContent("#results-json"));
  graphvizWasm = await page.evaluate(async () => (await import("/www/vendor/viz-standalone.mjs")).graphvizVersion);
  await page.screenshot({ path: join(tmpdir(), "llbsim-layout-bench.png"), fullPage: true });
  await context.close();
} finally {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await rm(userDataDir, { recursive: true, force: true });
}

const nativeAfter = timeAllNative("after the browser");
await rm(work, { recursive: true, force: true });
const native = {};
for (const name of Object.keys(nativeBefore)) {
  const runs = [...nativeBefore[name].runs, ...nativeAfter[name].runs];
  const note = nativeBefore[name].note || nativeAfter[name].note;
  native[name] = { ms: median(runs), runs, ...(note ? { note: "one run before and one after the browser" } : {}) };
}

const cell = (graph, metric) => rows.find((r) => r.graph === graph && r.metric === metric);
/** The page's metrics besides the layout (www/bench-core.js), as [page column, JSON key]. */
const CORE_METRICS = [
  ["load", "load_ms"],
  ["solve cold", "solve_cold_ms"],
  ["solve warm", "solve_warm_ms"],
  ["frame p50", "frame_p50_ms"],
  ["frame p95", "frame_p95_ms"],
  ["step mean", "step_mean_ms"],
];
const table = names.map((name) => {
  const dot = cell(name, "layout dot");
  const layered = cell(name, "layout layered");
  const nat = native[name];
  const core = CORE_METRICS.map(([metric, key]) => [metric, key, cell(name, metric)]);
  return {
    graph: name,
    ...sizes[name],
    ...Object.fromEntries(core.map(([, key, r]) => [key, r?.ms])),
    worker_dot_ms: dot?.ms,
    native_dot_ms: nat?.ms,
    ratio: dot && nat ? dot.ms / nat.ms : undefined,
    worker_layered_ms: layered?.ms,
    notes: [
      dot?.note && `worker dot: ${dot.note}`,
      nat?.note && `native dot: ${nat.note}`,
      layered?.note && `layered: ${layered.note}`,
      ...core.filter(([, , r]) => r?.note).map(([metric, , r]) => `${metric}: ${r.note}`),
    ].filter(Boolean).join("; "),
    runs: {
      ...Object.fromEntries(core.filter(([, , r]) => r).map(([, key, r]) => [key.replace(/_ms$/, ""), r.runs])),
      worker_dot: dot?.runs,
      native_dot: nat?.runs,
      worker_layered: layered?.runs,
    },
  };
});

const env = {
  date: new Date().toISOString().slice(0, 10),
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: browserVersion,
  graphviz_wasm: `@viz-js/viz ${JSON.parse(await readFile(new URL("../node_modules/@viz-js/viz/package.json", import.meta.url), "utf8")).version} (Graphviz ${graphvizWasm})`,
  graphviz_native: dotVersion,
  llbsim: /^version = "([^"]+)"/m.exec(await readFile(new URL("../Cargo.toml", import.meta.url), "utf8"))?.[1] ?? "?",
  runs: RUNS,
};

if (opts.json) {
  console.log(JSON.stringify({ env, results: table }, null, 2));
} else {
  for (const [k, v] of Object.entries(env)) console.log(`${k}: ${v}`);
  console.log();
  const columns = [
    ["graph", (r) => r.graph],
    ["V", (r) => r.nodes],
    ["E", (r) => r.edges],
    ["load ms", (r) => fmt(r.load_ms)],
    ["solve cold", (r) => fmt(r.solve_cold_ms)],
    ["solve warm", (r) => fmt(r.solve_warm_ms)],
    ["frame p50", (r) => fmt(r.frame_p50_ms)],
    ["frame p95", (r) => fmt(r.frame_p95_ms)],
    ["step mean", (r) => fmt(r.step_mean_ms)],
    ["worker dot ms", (r) => fmt(r.worker_dot_ms)],
    ["native dot ms", (r) => fmt(r.native_dot_ms)],
    ["ratio", (r) => (r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}×`)],
    ["worker layered ms", (r) => fmt(r.worker_layered_ms)],
  ];
  const widths = columns.map(([h, f]) => Math.max(h.length, ...table.map((r) => String(f(r)).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(columns.map(([h]) => h)));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of table) console.log(line(columns.map(([, f]) => String(f(r)))));
  for (const r of table) if (r.notes) console.log(`${r.graph}: ${r.notes}`);
  console.log("\nAll times ms, medians of the runs. ratio = worker dot ÷ native dot (lower is better; under 1× the browser is faster).");
  console.log("load: loadDefinition; solve: solveBench's solve ms (plain stubs); frame p50/p95: requestAnimationFrame deltas while");
  console.log("the page's GraphView plays a cold build, one step per frame; step mean: applying one step to the SVG (style + layout, no paint).");
}
