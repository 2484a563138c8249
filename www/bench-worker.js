// The benchmark page's core worker (a module worker): times llbsim's wasm core off the main
// thread, as the page runs it (www/sim-worker.js). Same protocol as sim-worker.js, so
// www/sim-client.js drives it (new SimClient({ workerUrl })).
//
// Messages in:  { id, op, ... }
//   load  { input }                   loadDefinition(input), timed here: { ms, vertices }
//   solve { input, variant, warm }    solveBench(input, variant, warm): { vertices, load_ms, solve_ms }
// Messages out: { id, ok: true, ...result } | { id, ok: false, error: { message } }
//
// Only the call is timed: posting the bytes to the worker and the answer back are not.

import init, { loadDefinition, solveBench } from "../pkg/llbsim.js";

const ready = init();

const ops = {
  load({ input }) {
    const t0 = performance.now();
    const summary = loadDefinition(input);
    const ms = performance.now() - t0;
    return { ms, vertices: summary.vertices.length };
  },
  solve({ input, variant, warm }) {
    return solveBench(input, variant, Boolean(warm));
  },
};

self.addEventListener("message", async (event) => {
  const msg = event.data;
  if (!msg || typeof msg.id !== "number" || !Object.hasOwn(ops, msg.op)) return;
  try {
    await ready;
    self.postMessage({ id: msg.id, ok: true, ...ops[msg.op](msg) });
  } catch (err) {
    self.postMessage({ id: msg.id, ok: false, error: { message: err && err.message ? String(err.message) : String(err), kind: "", location: "" } });
  }
});
