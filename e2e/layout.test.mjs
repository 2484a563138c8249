// End-to-end tests of the layout module (www/layout.js, www/layout-worker.js,
// www/layout-client.js) in Debian's Chromium, driven by playwright-core. The harness page
// e2e/fixtures/layout.html (test-only, under the page's CSP) loads the product modules from
// /www/; layouts come back here and are checked by e2e/layout-check.mjs.
//
//   bash scripts/build.sh && node --test e2e/layout.test.mjs

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";


import { chainGraph } from "../www/bench-graphs.js";
import { MAX_EDGE_LABEL, MAX_LABEL, displayLabel, displayText, dotString, readLabel, truncateLabel } from "../www/layout.js";
import { graphFromDumpLlb } from "../www/llb-graph.js";
import { checkLayout } from "./layout-check.mjs";
import { launchChromium } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORPUS = new URL("../testdata/corpus/", import.meta.url);

let server;
let base;
let context;
let closeBrowser;
let page;
const problems = [];

before(async () => {
  assert.ok(existsSync(new URL("../www/vendor/viz-standalone.mjs", import.meta.url)), "www/vendor/ is built (bash scripts/build.sh)");
  ({ server, url: base } = await startServer(ROOT, 0));
  ({ context, close: closeBrowser } = await launchChromium("llbsim-layout-", {}));
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && problems.push(`worker console error: ${m.text()}`)));
  await page.goto(`${base}/e2e/fixtures/layout.html`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
});

after(async () => {
  await closeBrowser?.();
  if (server) {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

const inWorker = (graph, opts = {}) => page.evaluate(([g, o]) => window.harness.inWorker(g, o), [graph, opts]);
const inPage = (graph, opts = {}) => page.evaluate(([g, o]) => window.harness.inPage(g, o), [graph, opts]);
const corpusGraph = async (name) => graphFromDumpLlb(await readFile(new URL(`${name}.json`, CORPUS), "utf8"));
const phases = (progress) => progress.map((p) => p.phase);

/** Text no layout may change: DOT syntax, Graphviz escapes and entities, markup, controls. */
const HOSTILE = [
  'say "hi"; n0 -> n1 [label="pwned"]',
  "back\\slash \\N \\G \\E \\T \\H \\L \\l \\r \\n \\\\",
  "line one\nline two\r\nthree",
  "<script>window.__pwned=1</script><img src=x onerror=alert(1)>",
  "{ braces } [ brackets ] | pipes | <ports>",
  "&amp; &lt;b&gt; &#65; &#x41; & plain",
  "nul\u0000tab\tesc\u001bdel\u007f",
  "ünïcödé 中文 😀 \u2028 \u202e rtl",
  "}\n}\ndigraph x { a -> b",
  '"',
  "\\",
  "",
];

describe("layout", () => {
  test("the escaping round-trips in Node too: readLabel(dotString(s)) is s", () => {
    for (const s of HOSTILE) {
      const quoted = dotString(s);
      assert.ok(quoted.startsWith('"') && quoted.endsWith('"'));
      // DOT's own lexer turns \" into "; nothing else. What is left is what Graphviz keeps.
      const raw = quoted.slice(1, -1).replace(/\\"/g, '"');
      assert.equal(readLabel(raw), s);
      assert.doesNotMatch(quoted, /[\x00-\x1f\x7f]/, "no raw control characters reach Graphviz");
    }
  });

  test("the layered fallback terminates on a cycle (which no LLB graph has) and keeps boxes apart", async () => {
    const { layoutLayered } = await import("../www/layout.js");
    const ids = ["a", "b", "c", "d", "e"];
    const graph = {
      nodes: ids.map((id) => ({ id, label: id, kind: "exec" })),
      edges: [["a", "b"], ["b", "c"], ["c", "b"], ["c", "d"], ["d", "d"], ["e", "a"]].map(([from, to]) => ({ from, to })),
    };
    const layout = layoutLayered(graph);
    assert.equal(layout.nodes.length, 5);
    const problems = checkLayout(graph, layout).filter((p) => !/does not go down/.test(p));
    assert.deepEqual(problems, []);
    // Only the edges closing the cycle and the self-loop may go up or sideways.
    assert.deepEqual(checkLayout(graph, layout).filter((p) => /does not go down/.test(p)).length, 2);
  });

  test("every corpus graph lays out in the worker: finite, downward, no overlaps, groups hold their members", async () => {
    const names = (await readdir(CORPUS)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
    assert.ok(names.length >= 20, `${names.length} corpus files`);
    for (const name of names) {
      const graph = await corpusGraph(name);
      const { layout, error, progress } = await inWorker(`corpus:${name}`);
      assert.equal(error, undefined, `${name}: ${error}`);
      assert.deepEqual(checkLayout(graph, layout), [], name);
      assert.equal(layout.engine, graph.nodes.length > 3000 ? "layered" : "dot", name);
      assert.equal(progress.at(-1).phase, "converted", name);
      for (const v of layout.nodes) assert.match(v.id, /^sha256:[0-9a-f]{64}$/, name);
    }
  });

  test("df-buildkit: stages are clusters, edges carry mount targets, labels are the names", async () => {
    const graph = await corpusGraph("df-buildkit");
    const { layout } = await inWorker(graph);
    const stages = [...new Set(graph.nodes.map((n) => n.group).filter(Boolean))];
    assert.ok(stages.length >= 10, `${stages.length} stages`);
    assert.deepEqual(layout.groups.map((g) => g.name), stages);
    const labelled = layout.edges.filter((e) => e.label !== "");
    assert.ok(labelled.some((e) => e.label === "/src"), JSON.stringify(labelled.map((e) => e.label)));
    for (const e of labelled) assert.ok(e.labelPos.every(Number.isFinite));
    assert.ok(layout.nodes.some((v) => v.label.endsWith("…") && [...v.label].length === MAX_LABEL));
    assert.ok(layout.edges.every((e) => /^M[\d.,]+C/.test(e.path)), "dot edges are Bézier paths");
    assert.deepEqual(problems, []);
  });

  test("the worker reports progress, then done, in order", async () => {
    const { layout, progress } = await inWorker("corpus:df-hack-lint");
    const ph = phases(progress);
    // "graphviz loaded" only comes with the first dot layout in the worker.
    assert.deepEqual(ph.filter((p) => p !== "graphviz loaded"), ["started", "laid out", "converted"]);
    assert.equal(progress[0].engine, "dot");
    assert.ok(progress.find((p) => p.phase === "laid out").ms >= 0);
    assert.equal(layout.engine, "dot");
    assert.ok(layout.ms > 0);

    const layered = await inWorker("corpus:df-hack-lint", { engine: "layered" });
    assert.deepEqual(phases(layered.progress), ["started", "laid out", "converted"]);
    assert.equal(layered.layout.engine, "layered");
    assert.deepEqual(checkLayout(await corpusGraph("df-hack-lint"), layered.layout), []);
  });

  test("hostile labels, groups, edge labels and ids survive exactly, in the worker and in the page", async () => {
    const nodes = HOSTILE.map((label, i) => ({
      id: i === 0 ? 'x"; n1 -> n0; "' : `sha256:${String(i).padStart(64, "0")}`,
      label,
      kind: i % 2 ? "exec" : "file",
      group: i < 4 ? HOSTILE[(i + 1) % HOSTILE.length] : i < 8 ? "</g><script>" : undefined,
    }));
    const long = "😀".repeat(30) + "x".repeat(40); // cut at 48 code points, not UTF-16 units
    nodes.push({ id: "long", label: long, kind: "source" });
    const edges = [];
    for (let i = 1; i < nodes.length; i++) edges.push({ from: nodes[i - 1].id, to: nodes[i].id, label: HOSTILE[i % HOSTILE.length] });
    const graph = { nodes, edges };
    for (const run of [inWorker, inPage]) {
      const { layout, error } = await run(graph);
      assert.equal(error, undefined, error);
      assert.equal(layout.engine, "dot");
      assert.deepEqual(checkLayout(graph, layout), []);
      // The label text round-trips through DOT and Graphviz. What a label shows is the name cut to
      // MAX_LABEL code points, "(no name)" for "", control characters other than line breaks as
      // their Control Pictures; everything else exactly as given.
      const shown = layout.nodes.map((v) => v.label);
      assert.deepEqual(shown, nodes.map((n) => displayLabel(n.label)));
      assert.deepEqual(shown.slice(0, 6), HOSTILE.slice(0, 6).map((t) => truncateLabel(t)), "no control characters: as given");
      assert.equal(shown[6], "nul␀tab␉esc␛del␡");
      assert.equal(shown[HOSTILE.length - 1], "(no name)");
      assert.equal(shown.at(-1), `${"😀".repeat(30)}${"x".repeat(17)}…`);
      assert.deepEqual(layout.nodes.map((v) => v.kind), nodes.map((n) => n.kind));
      assert.deepEqual(layout.nodes.map((v) => v.id), nodes.map((n) => n.id));
      assert.deepEqual(layout.edges.map((e) => e.label), edges.map((e) => truncateLabel(displayText(e.label), MAX_EDGE_LABEL)));
      assert.equal(layout.edges[1].label, truncateLabel("line one\nline two\r\nthree", MAX_EDGE_LABEL));
      const groups = [...new Set(nodes.map((n) => n.group).filter((g) => g !== undefined))];
      assert.deepEqual(layout.groups.map((g) => g.name), groups.map((g) => truncateLabel(g, MAX_EDGE_LABEL)));
    }
    // Lone surrogates are not text: they become U+FFFD, the rest of the label is kept.
    // (Built in the page: the test protocol itself would not carry a lone surrogate.)
    const { layout } = await page.evaluate(() =>
      window.harness.inWorker({ nodes: [{ id: "a", label: `a${String.fromCharCode(0xd800)}b`, kind: "exec" }], edges: [] }),
    );
    assert.equal(layout.nodes[0].label, "a\uFFFDb");
    assert.equal(await page.evaluate(() => typeof window.__pwned), "undefined");
    assert.deepEqual(problems, []);
  });

  test("same input, same output: twice in the worker, and the page agrees", async () => {
    for (const name of ["corpus:df-buildkit", "corpus:synth-lattice6"]) {
      const a = await inWorker(name);
      const b = await inWorker(name);
      const c = await inPage(name);
      delete a.layout.ms;
      delete b.layout.ms;
      assert.deepEqual(a.layout, b.layout, name);
      assert.deepEqual(a.layout, c.layout, name);
    }
    const a = await inWorker("corpus:df-buildkit", { engine: "layered" });
    const b = await inPage("corpus:df-buildkit", { engine: "layered" });
    delete a.layout.ms;
    assert.deepEqual(a.layout, b.layout);
  });

  test("a 2,000-deep chain (synth-chain2000) lays out with dot", async () => {
    const graph = await corpusGraph("synth-chain2000");
    const { layout, error, maxGapMs } = await inWorker("corpus:synth-chain2000");
    assert.equal(error, undefined, error);
    assert.equal(layout.engine, "dot");
    assert.deepEqual(checkLayout(graph, layout), []);
    // One column, top to bottom, in chain order.
    for (let i = 1; i < layout.nodes.length; i++) assert.ok(layout.nodes[i].y > layout.nodes[i - 1].y);
    assert.ok(maxGapMs < 1000, `the page stalled ${maxGapMs.toFixed(0)} ms`);
  });

  test("a 2,000-vertex lattice in 10 stages with mount labels lays out with dot; labels sit beside their edges", async () => {
    const { latticeGraph } = await import("../www/bench-graphs.js");
    const graph = latticeGraph(40, 50);
    const { layout, error, maxGapMs } = await inWorker("lattice:40x50");
    assert.equal(error, undefined, error);
    assert.equal(layout.engine, "dot");
    assert.deepEqual(checkLayout(graph, layout), []);
    assert.equal(layout.groups.length, 10);
    const labelled = layout.edges.filter((e) => e.label !== "");
    assert.ok(labelled.length > 900, `${labelled.length} labelled edges`);
    for (const e of labelled) {
      // Beside the edge: within a label's width of the line's bounding box.
      const xs = e.points.map((p) => p[0]);
      const ys = e.points.map((p) => p[1]);
      assert.ok(e.labelPos[0] >= Math.min(...xs) && e.labelPos[0] <= Math.max(...xs) + 120, JSON.stringify(e));
      assert.ok(e.labelPos[1] >= Math.min(...ys) && e.labelPos[1] <= Math.max(...ys) + 10, JSON.stringify(e));
    }
    assert.ok(maxGapMs < 1000, `the page stalled ${maxGapMs.toFixed(0)} ms`);
  });

  test("a 20,000-vertex chain takes the layered fallback in the worker without freezing the page", async (t) => {
    const graph = chainGraph(20000);
    const { layout, error, progress, maxGapMs, ticks } = await inWorker("chain:20000");
    assert.equal(error, undefined, error);
    assert.equal(layout.engine, "layered");
    assert.equal(layout.fallback, "size");
    assert.deepEqual(phases(progress), ["started", "laid out", "converted"]);
    assert.deepEqual(checkLayout(graph, layout), []);
    for (let i = 1; i < layout.nodes.length; i++) assert.ok(layout.nodes[i].y > layout.nodes[i - 1].y);
    // Only receiving the result (structured clone of 40,000 objects) takes the main thread.
    t.diagnostic(`longest main-thread stall while the worker laid out 20,000 vertices: ${maxGapMs.toFixed(0)} ms`);
    assert.ok(maxGapMs < 1000, `the page stalled ${maxGapMs.toFixed(0)} ms`);
    assert.ok(ticks > 0);

    // 100,000 deep: still no recursion anywhere.
    const deep = await inWorker("chain:100000", { summary: true });
    assert.equal(deep.error, undefined, deep.error);
    assert.equal(deep.layout.engine, "layered");
    assert.equal(deep.layout.nodes, 100001);
    assert.deepEqual(problems, []);
  });

  test("dot past its time budget: the worker is stopped and the fallback takes over", async () => {
    const graph = await corpusGraph("synth-fanin1000");
    const { layout, error, progress, maxGapMs } = await inWorker("corpus:synth-fanin1000", { timeoutMs: 50 });
    assert.equal(error, undefined, error);
    assert.deepEqual(phases(progress).filter((p) => p !== "graphviz loaded"), ["started", "timed out", "started", "laid out", "converted"]);
    assert.equal(layout.engine, "layered");
    assert.equal(layout.fallback, "timeout");
    assert.deepEqual(checkLayout(graph, layout), []);
    assert.ok(maxGapMs < 1000, `the page stalled ${maxGapMs.toFixed(0)} ms`);
    // The next request gets a fresh worker with dot.
    const next = await inWorker("corpus:df-hack-lint");
    assert.equal(next.layout.engine, "dot");
  });

  test("a malformed graph is an error message, and the worker carries on", async () => {
    const bad = await inWorker({ nodes: [{ id: "a", label: "a", kind: "exec" }], edges: [{ from: "a", to: "missing" }] });
    assert.match(bad.error, /unknown node "missing"/);
    const dup = await inWorker({ nodes: [{ id: "a", label: "a", kind: "exec" }, { id: "a", label: "b", kind: "exec" }], edges: [] });
    assert.match(dup.error, /duplicate node id "a"/);
    const ok = await inWorker("corpus:df-hack-shfmt");
    assert.equal(ok.error, undefined);
    const empty = await inWorker({ nodes: [], edges: [] });
    assert.deepEqual([empty.layout.nodes, empty.layout.edges, empty.layout.groups], [[], [], []]);
  });

  test("Graphviz's wasm runs under the page's Content-Security-Policy (main thread too)", async () => {
    const { layout, error } = await inPage("corpus:df-hack-lint");
    assert.equal(error, undefined, error);
    assert.equal(layout.engine, "dot");
    assert.deepEqual(await page.evaluate(() => window.harness.violations()), []);
    assert.deepEqual(problems, []);
  });
});

describe("benchmark page", () => {
  test("www/bench.html measures every metric (layout, load, solve, frames), takes more through registerMetric, shows the yardstick ratio", async () => {
    const bench = await context.newPage();
    const errors = [];
    bench.on("pageerror", (e) => errors.push(e.message));
    bench.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await bench.goto(`${base}/www/bench.html?graphs=df-buildkit&runs=1&dot=df-buildkit:50`);
    await bench.waitForFunction(() => document.body.dataset.state === "ready");
    assert.equal(await bench.locator("#graphs input").count(), 6);
    assert.equal(await bench.locator("#graphs input:checked").count(), 1);
    // Another module adds a metric, as www/bench-core.js does.
    await bench.evaluate(async () => {
      const { registerMetric } = await import("/www/bench.js");
      registerMetric({ name: "probe", run: async (entry) => ((await entry.definition()).length > 0 ? 1 : NaN) });
    });
    await bench.click("#run");
    await bench.waitForFunction(() => document.body.dataset.state === "done", null, { timeout: 120000 });
    const rows = JSON.parse(await bench.textContent("#results-json"));
    const metrics = ["layout dot", "layout layered", "load", "solve cold", "solve warm", "frame p50", "frame p95", "step mean", "probe"];
    assert.deepEqual(rows.map((r) => [r.graph, r.metric]), metrics.map((m) => ["df-buildkit", m]));
    // The page works: every column has a finite positive time (never a speed check).
    for (const r of rows) assert.ok(Number.isFinite(r.ms) && r.ms > 0 && r.runs.length === 1 && !r.note, JSON.stringify(r));
    const head = await bench.$$eval("#results thead th", (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(head, ["graph", "V / E", ...metrics.map((m) => `${m} ms`), "layout dot ÷ native dot"]);
    const cells = await bench.$$eval("#results tbody td[data-metric]", (tds) => tds.map((td) => [td.dataset.metric, Number(td.dataset.ms)]));
    for (const m of metrics) {
      const ms = cells.find(([c]) => c === m)?.[1];
      assert.ok(Number.isFinite(ms) && ms > 0, `${m}: ${ms}`);
    }
    assert.match(await bench.textContent('#results td[data-metric="ratio"]'), /^\d+\.\d\d×$/);
    // The frames metric played the run on the page's graph view: every vertex ends done.
    assert.equal(await bench.locator("#bench-graph g.node").count(), 59);
    assert.equal(await bench.locator('#bench-graph g.node[data-state="done"]').count(), 59);
    assert.equal(await bench.textContent("#bench-status"), "done");
    assert.deepEqual(errors, []);
    await bench.close();
  });
});
