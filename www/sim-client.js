// The page's side of the simulator worker (www/sim-worker.js): one promise per request.
//
//   const sim = new SimClient();
//   const { summary } = await sim.call("open", { input });   // rejects with an Error carrying
//                                                             // .kind and .location, like loadDefinition
// `onBusy(n)` is told how many requests are in flight (the page's progress indicator).

export class SimClient {
  /** `workerUrl`, `name`: another worker speaking the same protocol (the benchmark page's). */
  constructor({ onBusy = () => {}, workerUrl = new URL("./sim-worker.js", import.meta.url), name = "llbsim core" } = {}) {
    this.worker = new Worker(workerUrl, { type: "module", name });
    this.nextId = 1;
    this.pending = new Map();
    this.onBusy = onBusy;
    this.worker.addEventListener("message", (e) => this.onMessage(e.data));
    this.worker.addEventListener("error", (e) => {
      const err = new Error(`the simulator worker failed: ${e.message || "could not start"}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.onBusy(0);
    });
  }

  call(op, args = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.onBusy(this.pending.size);
      this.worker.postMessage({ id, op, ...args });
    });
  }

  onMessage(msg) {
    const p = msg && this.pending.get(msg.id);
    if (!p || msg.progress) return;
    this.pending.delete(msg.id);
    this.onBusy(this.pending.size);
    if (msg.ok) {
      const { id, ok, ...result } = msg;
      p.resolve(result);
    } else {
      const err = new Error(msg.error.message);
      err.kind = msg.error.kind;
      err.location = msg.error.location;
      p.reject(err);
    }
  }
}
