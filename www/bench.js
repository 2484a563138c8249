// llbsim's benchmark page (www/bench.html): times work on the corpus's synthetic graphs in this
// browser and shows a table, one row per graph, one column per metric.
//
// A result is a row { graph, metric, ms, runs?, note? }: `ms` is the median of the measured runs.
// Metrics are registered, and run in registration order for every selected graph:
//
//   import { registerMetric } from "./bench.js";
//   registerMetric({
//     name: "solve",                          // the column
//     run: async (entry) => ms,               // one measured run; entry: see GRAPHS below
//   });
//
// A metric with several columns declares them, `columns: ["frame p50", "frame p95"]`, and its run
// returns `{ "frame p50": ms, "frame p95": ms }`: one row per column. A run that throws
// `new Skipped(why)` gives a row with no time and the note "skipped (why)".
//
// www/bench-core.js (loaded by bench.html after this module) adds load, solve and frame metrics.
// This module registers the layout metrics: "layout dot" (Graphviz dot in the layout worker) and
// "layout layered" (the fallback engine in the worker), each the time from posting the graph to
// the worker to receiving its layout.
//
// URL parameters: ?graphs=a,b (a subset), &runs=N (5), &run=1 (start at once),
// &dot=name:ms,name:ms (native `dot -Tjson` times: the yardstick; adds a ratio column for
// "layout dot"). bench/layout.mjs drives the page that way and reads #results-json.

import { chainGraph, latticeGraph } from "./bench-graphs.js";
import { LayoutClient } from "./layout-client.js";
import { graphFromDumpLlb } from "./llb-graph.js";
import { el } from "./render.js";

const CORPUS = new URL("../testdata/corpus/", import.meta.url);

async function corpusGraph(name) {
  const res = await fetch(new URL(`${name}.json`, CORPUS));
  if (!res.ok) throw new Error(`${name}.json: HTTP ${res.status}`);
  return graphFromDumpLlb(await res.text());
}

/**
 * The graphs. Each entry: { name, what, graph(): Promise<layout graph>, definition?(): Promise<
 * Uint8Array> (the binary pb.Definition, for metrics that load or solve it) }.
 */
export const GRAPHS = [
  ...["synth-chain2000", "synth-fanin1000", "synth-lattice64", "df-buildkit"].map((name) => ({
    name,
    what: "corpus",
    graph: () => corpusGraph(name),
    definition: async () => {
      const res = await fetch(new URL(`${name}.pb`, CORPUS));
      if (!res.ok) throw new Error(`${name}.pb: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  })),
  { name: "lattice-2k", what: "generated: 40×50 execs in 10 stages, half with a crossing mount (bench-graphs.js)", graph: async () => latticeGraph(40, 50) },
  { name: "chain-20k", what: "generated: 20,000 execs in a line (the fallback's size)", graph: async () => chainGraph(20000), layoutEngines: ["layered"] },
];

/** Thrown by a metric's run when it does not measure a graph, and why. */
export class Skipped extends Error {}

const metrics = [];
const rows = [];
const listeners = [];

/**
 * Adds a metric (a column): `{ name, run(entry) → Promise<ms>, applies?(entry) → boolean,
 * columns?: [name, …] }`. `run` is one measured run on a GRAPHS entry (with `columns`, it returns
 * `{ column: ms }`); `applies` leaves graphs out (default: all).
 */
export function registerMetric(metric) {
  if (!metric || typeof metric.name !== "string" || typeof metric.run !== "function") throw new Error("registerMetric: { name, run } expected");
  if (metric.columns !== undefined && (!Array.isArray(metric.columns) || !metric.columns.every((c) => typeof c === "string"))) throw new Error("registerMetric: columns must be names");
  metrics.push(metric);
  for (const f of listeners) f();
}

/** Appends a result row `{ graph, metric, ms, runs?, note? }` to the table. */
export function addRow(row) {
  rows.push(row);
  for (const f of listeners) f();
}

/** The rows so far. */
export function results() {
  return rows.slice();
}

// ---------------------------------------------------------------------------------------------
// Layout metrics

let client = null;
const graphCache = new Map();

async function graphOf(entry) {
  if (!graphCache.has(entry.name)) graphCache.set(entry.name, await entry.graph());
  return graphCache.get(entry.name);
}

for (const engine of ["dot", "layered"]) {
  registerMetric({
    name: `layout ${engine}`,
    applies: (entry) => !entry.layoutEngines || entry.layoutEngines.includes(engine),
    run: async (entry) => {
      const graph = await graphOf(entry);
      client ??= new LayoutClient();
      const t0 = performance.now();
      await client.layout(graph, { engine, timeoutMs: 0 });
      return performance.now() - t0;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Running

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** After a run this long (ms), a case is not repeated: its one run is the result. */
const BUDGET_MS = 20000;

/**
 * Runs every metric on every graph in `names`: one warm-up run, then `runs` measured runs (just
 * the warm-up when it took longer than BUDGET_MS). `onStatus(text)` tells what is running.
 */
export async function runAll(names, { runs = 5, onStatus = () => {} } = {}) {
  for (const entry of GRAPHS.filter((g) => names.includes(g.name))) {
    for (const metric of metrics) {
      if (metric.applies && !metric.applies(entry)) continue;
      const cols = metric.columns ?? [metric.name];
      // One measured run: { column: ms }, and how long it took (the budget's measure).
      const once = async () => {
        const t0 = performance.now();
        const out = await metric.run(entry);
        const wall = performance.now() - t0;
        return metric.columns ? { values: out, wall } : { values: { [metric.name]: out }, wall: out };
      };
      const times = Object.fromEntries(cols.map((c) => [c, []]));
      let note = "";
      try {
        onStatus(`${entry.name}: ${metric.name}, warm-up`);
        const warm = await once();
        if (warm.wall > BUDGET_MS) {
          for (const c of cols) times[c].push(warm.values[c]);
          note = "one run (over the 20 s budget)";
        } else {
          for (let i = 1; i <= runs; i++) {
            onStatus(`${entry.name}: ${metric.name}, run ${i} of ${runs}`);
            const { values } = await once();
            for (const c of cols) times[c].push(values[c]);
          }
        }
        for (const c of cols) addRow({ graph: entry.name, metric: c, ms: median(times[c]), runs: times[c], ...(note ? { note } : {}) });
      } catch (err) {
        const failed = err instanceof Skipped ? `skipped (${err.message})` : `failed: ${err.message || err}`;
        for (const c of cols) addRow({ graph: entry.name, metric: c, ms: NaN, runs: [], note: failed });
      }
    }
  }
  onStatus("done");
}

// ---------------------------------------------------------------------------------------------
// The page (only when loaded by bench.html)

const fmt = (ms) => (Number.isFinite(ms) ? (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) : "–");

function parseYardstick(text) {
  const dot = new Map();
  for (const part of (text || "").split(",")) {
    const i = part.lastIndexOf(":");
    const ms = Number(part.slice(i + 1));
    if (i > 0 && Number.isFinite(ms) && ms > 0) dot.set(part.slice(0, i), ms);
  }
  return dot;
}

async function page() {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const yardstick = parseYardstick(params.get("dot"));
  const runsInput = $("runs");
  if (params.has("runs")) runsInput.value = params.get("runs");
  const only = params.get("graphs") ? params.get("graphs").split(",") : null;

  const sizes = new Map();
  const picker = $("graphs");
  for (const entry of GRAPHS) {
    const box = el("input", { attrs: { type: "checkbox", value: entry.name, id: `g-${entry.name}` } });
    box.checked = only ? only.includes(entry.name) : true;
    const size = el("span", { cls: "subtle", text: "" });
    picker.append(el("li", {}, [box, " ", el("label", { text: entry.name, attrs: { for: `g-${entry.name}`, title: entry.what } }), " ", size]));
    graphOf(entry).then(
      (g) => {
        sizes.set(entry.name, g);
        size.textContent = `${g.nodes.length.toLocaleString("en")} V / ${g.edges.length.toLocaleString("en")} E`;
        render();
      },
      (err) => {
        size.textContent = `unavailable: ${err.message}`;
      },
    );
  }

  function render() {
    const cols = metrics.flatMap((m) => m.columns ?? [m.name]);
    const head = el("tr", {}, [el("th", { text: "graph" }), el("th", { text: "V / E" }), ...cols.map((c) => el("th", { text: `${c} ms` }))]);
    if (yardstick.size) head.append(el("th", { text: "layout dot ÷ native dot" }));
    const body = [];
    for (const name of [...new Set(rows.map((r) => r.graph))]) {
      const g = sizes.get(name);
      const tr = el("tr", { attrs: { "data-graph": name } }, [
        el("th", { text: name, attrs: { scope: "row" } }),
        el("td", { text: g ? `${g.nodes.length.toLocaleString("en")} / ${g.edges.length.toLocaleString("en")}` : "" }),
      ]);
      for (const c of cols) {
        const row = rows.find((r) => r.graph === name && r.metric === c);
        const skipped = row && row.note && row.note.startsWith("skipped");
        const td = el("td", { text: row ? (skipped ? "skipped" : fmt(row.ms)) : "", attrs: { "data-metric": c } });
        if (row) {
          td.setAttribute("data-ms", String(row.ms));
          td.title = row.runs.length ? `${row.runs.map(fmt).join(", ")} ms${row.note ? ` (${row.note})` : ""}` : row.note || "";
          if (row.note) td.append(el("sup", { text: " *" }));
        }
        tr.append(td);
      }
      if (yardstick.size) {
        const row = rows.find((r) => r.graph === name && r.metric === "layout dot");
        const native = yardstick.get(name);
        tr.append(el("td", { text: row && native ? `${(row.ms / native).toFixed(2)}×` : "", attrs: { "data-metric": "ratio" } }));
      }
      body.push(tr);
    }
    $("results").replaceChildren(el("thead", {}, [head]), el("tbody", {}, body));
    $("results-json").textContent = JSON.stringify(rows);
  }
  listeners.push(render);
  render();

  const start = async () => {
    $("run").disabled = true;
    rows.length = 0;
    render();
    const names = [...picker.querySelectorAll("input:checked")].map((b) => b.value);
    const runs = Math.max(1, Math.min(50, Number(runsInput.value) || 5));
    document.body.dataset.state = "running";
    await runAll(names, { runs, onStatus: (s) => ($("bench-status").textContent = s) });
    document.body.dataset.state = "done";
    $("run").disabled = false;
  };
  $("run").addEventListener("click", start);
  $("run").disabled = false;
  document.body.dataset.state = "ready";
  // Start once every module script of the page has run (and registered its metrics).
  if (params.get("run") === "1") {
    if (document.readyState === "complete") start();
    else window.addEventListener("load", start, { once: true });
  }
}

if (typeof document !== "undefined" && document.getElementById("bench-page")) page();
