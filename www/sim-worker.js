// The simulator Web Worker (a module worker): runs llbsim's wasm core off the page's main
// thread, so a big solve never freezes the page. It holds the definition's bytes and one
// Session (a solver that keeps its cache between builds).
//
// Messages in:  { id, op, ... }
//   open      { input }           load a definition: { summary } (loadDefinition) and a new session;
//                                  on failure nothing changes (the previous session stays)
//   scenario  { name }            a named scenario on a fresh session: { report, graph }
//   build     { options }         a build on the current session (warm): { report, graph }
//   cancelNow { atMs }            the current run again on a fresh session, its last build
//                                  cancelled atMs after it started: { report, graph }
//   clearCache                    drops the session's cache: {}
//   explain   { job, digest }     the key anatomy of a vertex of job `job` (report index) of the
//                                  last run: { anatomy }
// Messages out: { id, ok: true, ...result } | { id, ok: false, error: { message, kind, location } }
//               { id, progress: { phase } } while working
//
// `recipe` is how to rebuild the current session's state from scratch: the list of builds (and
// cache clears) done since it was opened, with named scenarios spelled out as their builds.

import init, { Session, loadDefinition, version } from "../pkg/llbsim.js";

const ready = init();
let input = null;
let session = null;
let recipe = [];

function errorOf(err) {
  return {
    message: err && err.message ? String(err.message) : String(err),
    kind: err && typeof err.kind === "string" ? err.kind : "",
    location: err && typeof err.location === "string" ? err.location : "",
  };
}

/** The builds a single-job scenario is made of, read back from its report (see src/session.rs). */
function scenarioRecipe(name, graphBefore, report) {
  const job = report.jobs[0];
  switch (name) {
    case "cold":
      return [{ label: "cold build" }];
    case "warm":
      return [{ label: "cold build" }, { label: "warm rebuild" }];
    case "mutated": {
      const i = graphBefore.vertices.findIndex((v, i) => v.kind === "source" && v.digest !== job.digests[i]);
      return [{ label: "cold build" }, { label: "a source changed", changeSource: graphBefore.vertices[i]?.digest }];
    }
    case "fail": {
      const row = job.rows.find((r) => r.state === "error" && !/context canceled$/.test(r.error || ""));
      const i = job.digests.indexOf(row?.digest);
      return [{ label: "a step fails", fail: i >= 0 ? graphBefore.vertices[i].digest : undefined }];
    }
    case "cancel":
      return [{ label: "cancelled mid-way" }];
    default:
      return null; // two jobs: not a single build
  }
}

const ops = {
  async version() {
    return { version: version() };
  },
  async open({ input: data }) {
    const summary = loadDefinition(data);
    const s = new Session(data, { variant: "default", seed: 0 });
    session?.free();
    session = s;
    input = data;
    recipe = [];
    return { summary };
  },
  async scenario({ name }) {
    const fresh = new Session(input, { variant: "default", seed: 0 });
    const before = fresh.graph();
    const report = fresh.scenario(name);
    session?.free();
    session = fresh;
    recipe = scenarioRecipe(name, before, report);
    return { report, graph: session.graph() };
  },
  async build({ options }) {
    const report = session.build(options);
    if (recipe) recipe.push(options);
    return { report, graph: session.graph() };
  },
  async explain({ job, digest }) {
    return { anatomy: session.explain(job, digest) };
  },
  async clearCache() {
    session.clearCache();
    if (recipe) recipe.push({ clear: true });
    return {};
  },
  async cancelNow({ atMs }) {
    if (!recipe || recipe.length === 0) {
      throw new Error("this run has two jobs; “Cancel build now” re-runs single builds only");
    }
    const fresh = new Session(input, { variant: "default", seed: 0 });
    const steps = recipe.slice(0, -1);
    for (const step of steps) {
      if (step.clear) fresh.clearCache();
      else fresh.build(step);
    }
    const last = { ...recipe[recipe.length - 1], cancelAtMs: atMs };
    last.label = `${last.label || "build"}, cancelled at ${(atMs / 1000).toFixed(3)}s`;
    const report = fresh.build(last);
    session?.free();
    session = fresh;
    recipe = [...steps, last];
    return { report, graph: session.graph() };
  },
};

let queue = Promise.resolve();
self.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || typeof msg.id !== "number" || !Object.hasOwn(ops, msg.op)) return;
  queue = queue.then(async () => {
    try {
      await ready;
      if (msg.op !== "open" && msg.op !== "version" && !session) throw new Error("no definition is loaded");
      self.postMessage({ id: msg.id, progress: { phase: msg.op } });
      const result = await ops[msg.op](msg);
      self.postMessage({ id: msg.id, ok: true, ...result });
    } catch (err) {
      self.postMessage({ id: msg.id, ok: false, error: errorOf(err) });
    }
  });
});
