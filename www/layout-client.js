// The page's side of the layout worker (www/layout-worker.js): one promise per layout, progress
// callbacks, and a time budget for dot after which the worker is stopped and the graph is laid
// out again with the layered fallback.
//
//   const client = new LayoutClient();
//   const layout = await client.layout(graph, { onProgress: (p) => …, timeoutMs: 20000 });
//   // layout: www/layout.js's shape, plus `fallback: "size" | "timeout"` when the layered
//   // engine was used instead of dot, and `ms`: the request's time in the worker.

const DEFAULT_WORKER = new URL("./layout-worker.js", import.meta.url);

/** dot gets this long (ms, from the moment it starts) before the layered fallback takes over. */
export const DOT_TIMEOUT_MS = 20000;

export class LayoutClient {
  /** `workerUrl`: where layout-worker.js is (next to this module by default). */
  constructor({ workerUrl = DEFAULT_WORKER } = {}) {
    this.workerUrl = workerUrl;
    this.nextId = 1;
    /** id → { graph, engine, onProgress, timeoutMs, resolve, reject, timer, fallback } */
    this.pending = new Map();
    this.worker = null;
  }

  /** The worker, started on first use (and again after a timeout stopped it). */
  ensureWorker() {
    if (!this.worker) {
      this.worker = new Worker(this.workerUrl, { type: "module", name: "llbsim layout" });
      this.worker.addEventListener("message", (e) => this.onMessage(e.data));
      this.worker.addEventListener("error", (e) => this.failAll(new Error(`layout worker failed: ${e.message || "could not start"}`)));
    }
    return this.worker;
  }

  /**
   * Lays `graph` out in the worker. `engine`: "auto" | "dot" | "layered". `onProgress(msg)` gets
   * every progress message ({ phase, engine, ms? }) and { phase: "timed out", engine: "dot" }
   * when dot ran past `timeoutMs` (0 or Infinity: no limit) and the fallback took over.
   */
  layout(graph, { engine = "auto", onProgress = () => {}, timeoutMs = DOT_TIMEOUT_MS } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { graph, engine, onProgress, timeoutMs, resolve, reject, timer: null, fallback: null });
      this.ensureWorker().postMessage({ type: "layout", id, graph, engine });
    });
  }

  onMessage(msg) {
    const req = msg && this.pending.get(msg.id);
    if (!req) return;
    if (msg.type === "progress") {
      if (msg.phase === "started" && msg.engine === "dot" && Number.isFinite(req.timeoutMs) && req.timeoutMs > 0) {
        req.timer = setTimeout(() => this.timedOut(msg.id), req.timeoutMs);
      }
      if (msg.phase === "started" && msg.engine === "layered" && !req.fallback && req.engine === "auto") req.fallback = "size";
      if (msg.phase === "laid out") clearTimeout(req.timer);
      req.onProgress({ phase: msg.phase, engine: msg.engine, ...(msg.ms !== undefined ? { ms: msg.ms } : {}) });
      return;
    }
    clearTimeout(req.timer);
    this.pending.delete(msg.id);
    if (msg.type === "done") {
      const layout = msg.layout;
      if (req.fallback) layout.fallback = req.fallback;
      layout.ms = msg.ms;
      req.resolve(layout);
    } else {
      req.reject(new Error(msg.message));
    }
  }

  /** dot ran too long: stop the worker, redo this graph with the fallback, resend the others. */
  timedOut(id) {
    const req = this.pending.get(id);
    if (!req) return;
    this.worker.terminate();
    this.worker = null;
    req.onProgress({ phase: "timed out", engine: "dot" });
    req.engine = "layered";
    req.fallback = "timeout";
    const worker = this.ensureWorker();
    for (const [pid, p] of this.pending) {
      clearTimeout(p.timer);
      p.timer = null;
      worker.postMessage({ type: "layout", id: pid, graph: p.graph, engine: p.engine });
    }
  }

  failAll(err) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.worker?.terminate();
    this.worker = null;
  }

  /** Stops the worker; pending layouts are rejected. */
  terminate() {
    this.failAll(new Error("layout cancelled"));
  }
}
