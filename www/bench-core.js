// The benchmark page's core and playback metrics (www/bench.html loads this after bench.js):
//
//   load         loadDefinition() of the graph's binary pb.Definition, timed in a worker
//                (www/bench-worker.js) around the call: load, validation and the summary
//   solve cold   solveBench(bytes, "plain", false).solve_ms: one job on a fresh solver (the
//                oracle's plain stubs: ops take no real time, the clock is virtual)
//   solve warm   solveBench(bytes, "plain", true).solve_ms: the second job on a solver that has
//                just built the graph (only that solve is timed)
//   frames       a cold build's run report played through the page's own drawing code: the run
//                comes from the page's simulator worker (sim-worker.js, scenario "cold"), the
//                layout from its layout worker (engine "auto", as the page), and GraphView
//                (graph-view.js) draws it and shows each step of a Playback (playback-state.js)
//                while Timeline (timeline.js) moves its cursor, as app.js does. One step per
//                animation frame, across the whole run (at most MAX_FRAMES frames: a run with
//                more messages advances several messages per frame, as playing at speed does).
//                Columns: "frame p50" and "frame p95", the median and 95th percentile of the
//                requestAnimationFrame deltas (so style, layout, paint and the wait for the next
//                frame, at the display's rate: 16.7 ms at 60 Hz is the floor), and "step mean",
//                the mean time to apply one step to the SVG (seek, attribute changes, the
//                timeline, and style and layout forced by reading the SVG's box; no paint).
//                Not driven: app.js's own panels (vertex list, counts, caption, printer log),
//                which app.js builds inline rather than in a module.
//
// Every wasm call runs in a worker, as on the page; the main thread only draws.

import { Skipped, registerMetric } from "./bench.js";
import { GraphView } from "./graph-view.js";
import { LayoutClient } from "./layout-client.js";
import { graphFromSession } from "./llb-graph.js";
import { Playback, criticalPath, jobEnd } from "./playback-state.js";
import { SimClient } from "./sim-client.js";
import { Timeline } from "./timeline.js";

/** The most animation frames one "frames" run takes (5 s at 60 Hz). */
export const MAX_FRAMES = 300;

/** Above this many vertices a graph's frames are skipped (none of the corpus's reaches it). */
export const FRAMES_VERTEX_LIMIT = 10000;

const hasDefinition = (entry) => typeof entry.definition === "function";

const bytesCache = new Map();
async function bytesOf(entry) {
  if (!bytesCache.has(entry.name)) bytesCache.set(entry.name, await entry.definition());
  return bytesCache.get(entry.name);
}

let core = null;
const coreClient = () => (core ??= new SimClient({ workerUrl: new URL("./bench-worker.js", import.meta.url), name: "llbsim bench core" }));

registerMetric({
  name: "load",
  applies: hasDefinition,
  run: async (entry) => (await coreClient().call("load", { input: await bytesOf(entry) })).ms,
});

for (const [name, warm] of [
  ["solve cold", false],
  ["solve warm", true],
]) {
  registerMetric({
    name,
    applies: hasDefinition,
    run: async (entry) => (await coreClient().call("solve", { input: await bytesOf(entry), variant: "plain", warm })).solve_ms,
  });
}

// ---------------------------------------------------------------------------------------------
// Frames

let sim = null;
let layoutClient = null;
const prepared = new Map();
let stage = null;

/** The page's run and layout of a graph: a cold build from sim-worker.js, laid out as the page does. */
async function prepare(entry) {
  if (!prepared.has(entry.name)) {
    sim ??= new SimClient();
    layoutClient ??= new LayoutClient();
    const job = (async () => {
      await sim.call("open", { input: await bytesOf(entry) });
      const { report, graph } = await sim.call("scenario", { name: "cold" });
      if (graph.vertices.length > FRAMES_VERTEX_LIMIT) return { skip: `${graph.vertices.length} vertices, over ${FRAMES_VERTEX_LIMIT}` };
      const layout = await layoutClient.layout(graphFromSession(graph));
      return { report, graph, layout };
    })();
    prepared.set(entry.name, job);
    job.catch(() => prepared.delete(entry.name));
  }
  return prepared.get(entry.name);
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** The stage's GraphView and Timeline showing `entry`'s run (drawn once per graph). */
async function show(entry, { report, graph, layout }) {
  const host = document.getElementById("bench-graph");
  const timelineHost = document.getElementById("bench-timeline");
  if (!host || !timelineHost) throw new Skipped("the page has no playback stage");
  if (stage?.name !== entry.name) {
    const view = stage?.view ?? new GraphView(host);
    const timeline = stage?.timeline ?? new Timeline(timelineHost);
    const job = report.jobs[report.jobs.length - 1];
    const origin = Math.min(...report.jobs.map((j) => j.start));
    view.draw(layout, graph);
    view.setDigests(job.digests);
    const critical = criticalPath(graph, job);
    view.setCritical(critical);
    const nameOf = new Map(job.digests.map((d, i) => [d, graph.vertices[i]?.name]));
    timeline.draw(job, (d) => nameOf.get(d), critical, origin);
    document.getElementById("bench-stage-caption").textContent = `${entry.name}: ${report.label}, ${job.messages.length.toLocaleString("en")} messages, laid out with ${layout.engine}`;
    stage = { name: entry.name, view, timeline, job, origin };
  }
  return stage;
}

const percentile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

registerMetric({
  name: "frames",
  columns: ["frame p50", "frame p95", "step mean"],
  applies: hasDefinition,
  run: async (entry) => {
    const run = await prepare(entry);
    if (run.skip) throw new Skipped(run.skip);
    const { view, timeline, job, origin } = await show(entry, run);
    // Back to the run's start, as app.js's showJob does, and let that frame be drawn.
    for (const d of job.digests) view.update(d, "pending", false, false, false);
    timeline.at(origin);
    const playback = new Playback(job);
    await nextFrame();
    await nextFrame();

    const n = job.messages.length;
    const end = jobEnd(job);
    const stride = Math.max(1, Math.ceil(n / MAX_FRAMES));
    const stamps = [];
    const steps = [];
    await new Promise((resolve) => {
      let k = 0;
      const frame = (now) => {
        stamps.push(now);
        if (k >= n) return resolve();
        const t0 = performance.now();
        k = Math.min(n, k + stride);
        view.showChanges(playback, playback.seek(k));
        timeline.at(k === n ? Math.max(job.messages[k - 1].time, end) : job.messages[k - 1].time);
        view.svg.getBoundingClientRect(); // style and layout now, inside the measured step
        steps.push(performance.now() - t0);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    const deltas = stamps.slice(1).map((t, i) => t - stamps[i]);
    if (!deltas.length) throw new Skipped("the run has no messages");
    return {
      "frame p50": percentile(deltas, 0.5),
      "frame p95": percentile(deltas, 0.95),
      "step mean": steps.reduce((a, b) => a + b, 0) / steps.length,
    };
  },
});
