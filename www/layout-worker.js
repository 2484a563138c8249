// The layout Web Worker (a module worker): lays graphs out off the page's main thread.
//
//   new Worker(new URL("./layout-worker.js", import.meta.url), { type: "module" })
//
// Messages in:   { type: "layout", id, graph, engine? }      engine: "auto" (default) | "dot" | "layered"
// Messages out:  { type: "progress", id, phase, engine, ms? } as the work actually advances:
//                  "started"          the request was read and an engine chosen
//                  "graphviz loaded"  Graphviz's wasm was instantiated (first dot layout only)
//                  "laid out"         the engine finished (ms: time in the engine itself)
//                  "converted"        its output is in the layout shape
//                { type: "done", id, layout, ms }          ms: the whole request in the worker
//                { type: "error", id, message }
// Graphviz reports nothing while it works, so there is no percentage: between "started" and
// "laid out" the page can only say that dot is running (and for how long).
//
// Requests are handled one at a time, in order. To give up on one (too slow), the page
// terminates the worker; www/layout-client.js does that and falls back to the layered engine.

import { chooseEngine, layoutGraph } from "./layout.js";

let queue = Promise.resolve();

self.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "layout") return;
  queue = queue.then(() => handle(msg));
});

async function handle({ id, graph, engine = "auto" }) {
  const t0 = performance.now();
  try {
    const chosen = engine === "auto" && graph && Array.isArray(graph.nodes) && Array.isArray(graph.edges) ? chooseEngine(graph) : engine;
    self.postMessage({ type: "progress", id, phase: "started", engine: chosen });
    const layout = await layoutGraph(graph, {
      engine: chosen,
      onPhase: (phase, info) => self.postMessage({ type: "progress", id, phase, engine: chosen, ...info }),
    });
    self.postMessage({ type: "done", id, layout, ms: performance.now() - t0 });
  } catch (err) {
    self.postMessage({ type: "error", id, message: err && err.message ? String(err.message) : String(err) });
  }
}
