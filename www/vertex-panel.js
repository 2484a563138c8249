// The vertex panel: what a selected vertex is, what happened to it in the job on show (in the
// report's one vocabulary of outcomes), how its cache key was made (drawn by key-anatomy.js
// from the core's answer to `explain`, asked for when the vertex is first shown), its
// intervals, logs and actions. Reads the page's state; decides nothing the core computes.

import { formatSeconds, vertexLogs } from "./playback-state.js";
import { SIMULATED, outcomeWords, renderAnatomy, simulatedTag, streamNotes } from "./key-anatomy.js";
import { el, shortDigest } from "./render.js";

/** A vertex state (playback-state.js) in words. */
export const STATE_WORDS = { pending: "not started", computing: "cache key", running: "running", done: "done", cached: "CACHED", error: "failed", canceled: "CANCELED" };

export class VertexPanel {
  /**
   * `box`: the panel's element. `hooks`: `explain(jobIndex, digest)` (a promise of
   * `{ anatomy }`), `select(i)`, `selectDigest(digest)`, `runBuild(op, args, caption)`,
   * `onError(title, err)`.
   */
  constructor(box, hooks) {
    this.box = box;
    this.hooks = hooks;
    /** The anatomy drawn last (its open <details> stay open while the playback moves). */
    this.drawn = null;
    /** Anatomies asked of the core for the report on show. */
    this.fetched = { report: null, byKey: new Map() };
  }

  render(state) {
    const box = this.box;
    const i = state.selected;
    const job = state.job;
    const d = job.digests[i];
    const v = state.graph.vertices[i];
    const p = state.playback;
    const row = job.rows.find((r) => r.digest === d);
    const entry = this.anatomyOf(state, d);
    // One vocabulary: the report's outcome (the anatomy's, else the row's).
    const outcome = entry ? entry.outcome : row?.outcome;
    const st = p.state(d);
    const dl = (pairs) => el("dl", { cls: "facts" }, pairs.flatMap(([k, val]) => [el("dt", { text: k }), el("dd", {}, [val])]));
    const parts = [
      el("p", { cls: "detail-name", text: v.name === "" ? "(no name)" : v.name }),
      dl([
        ["op", el("span", { cls: `chip kind kind-${/^[a-z]+$/.test(v.kind) ? v.kind : "other"}`, text: v.kind })],
        ["digest", el("code", { cls: "digest", text: d })],
        ["now", el("span", { cls: "state-chip", text: `${STATE_WORDS[st]}${p.seen(d) ? "" : " (not in the stream yet)"}`, attrs: { "data-state": st } })],
        ["inputs", v.inputs.length ? el("span", {}, v.inputs.flatMap((inp, j) => {
          const idx = state.graph.vertices.findIndex((x) => x.digest === inp.digest);
          const a = el("a", { cls: "input-ref", text: `${shortDigest(job.digests[idx] ?? inp.digest)}${inp.index ? ` out ${inp.index}` : ""}${inp.mount && inp.mount !== "/" ? ` → ${inp.mount}` : ""}`, attrs: { href: "#", title: state.graph.vertices[idx]?.name ?? "" } });
          a.addEventListener("click", (e) => {
            e.preventDefault();
            if (idx >= 0) this.hooks.select(idx);
          });
          return j ? [", ", a] : [a];
        })) : el("span", { cls: "subtle", text: "none (a root)" })],
        ...(row || entry
          ? [
              ["in the end", el("span", { cls: "outcome-words", attrs: { "data-outcome": outcome } }, [
                el("strong", { text: outcomeWords(outcome, entry) }),
                ...(row && row.duration > 0 ? [` (${row.state}, ${formatSeconds(row.duration)} `, simulatedTag(SIMULATED.durations), ")"] : row ? [` (${row.state})`] : []),
              ])],
              ["why", el("span", { cls: "outcome-why", text: entry ? entry.why : row.why })],
              ...(row && row.error ? [["error", el("code", { text: row.error })]] : []),
            ]
          : []),
      ]),
    ];
    // How the stream showed it (CACHED retroactively, the encore, CANCELED, failed), in words
    // that agree with the outcome.
    for (const text of streamNotes(outcome, entry, { state: st, inferred: p.inferred(d), encore: p.encore(d), error: p.record(d)?.error })) {
      parts.push(el("p", { cls: "explain", text }));
    }
    if (entry) {
      // Drawn once per entry, so that its open <details> stay open while the playback moves.
      if (this.drawn?.entry !== entry) this.drawn = { entry, node: renderAnatomy(entry, { nameOf: (x) => nameInReport(state.report, x), select: this.hooks.selectDigest }) };
      parts.push(this.drawn.node);
    } else {
      parts.push(el("p", { cls: "subtle anatomy-pending", text: "Asking the core how its cache key was made…" }));
    }
    const spans = (job.spans || []).filter((s) => s.digest === d);
    if (spans.length) {
      parts.push(el("h3", {}, ["intervals ", simulatedTag(SIMULATED.durations)]), el("ul", { cls: "spans" }, spans.map((s) => el("li", { text: `${s.kind}: ${formatSeconds(s.start - state.origin)} → ${s.end === null ? "open" : formatSeconds(s.end - state.origin)}${s.error ? ` (${s.error})` : ""}${s.encore ? " [encore]" : ""}` }))));
    }
    const logs = vertexLogs(job, d, state.k);
    parts.push(el("h3", {}, ["logs ", simulatedTag(SIMULATED.logs)]), logs.length ? el("pre", { cls: "vertex-logs", text: logs.map((l) => l.text).join("") }) : el("p", { cls: "subtle", text: "no logs so far" }));
    const actions = el("p", { cls: "actions" });
    if (v.kind === "source") {
      const b = el("button", { text: "Change this source", attrs: { type: "button", id: "change-source" } });
      b.addEventListener("click", () => this.hooks.runBuild("build", { options: { label: "a source changed", changeSource: v.digest } }, "This source got new content; the build runs on the same cache, so only what depends on it runs again."));
      actions.append(b);
    } else {
      const b = el("button", { text: "Fail this step", attrs: { type: "button", id: "fail-step" } });
      b.addEventListener("click", () => this.hooks.runBuild("build", { options: { label: "this step fails", fail: v.digest, noCache: true } }, "This step's process exits with code 1 (built without cache so that it runs): steps in flight are cancelled, its descendants never start."));
      actions.append(b);
    }
    parts.push(actions);
    box.replaceChildren(...parts);
  }

  /**
   * The key anatomy of vertex `d` of the job on show. The core's reports leave it out (a
   * 10,000-vertex report would carry megabytes of it), so it is asked for when a vertex is shown:
   * undefined until it arrives, then the panel is drawn again. Answers for an older report are
   * dropped (the worker answers in order, so a newer report is accepted before them).
   */
  anatomyOf(state, d) {
    const inReport = (state.job.anatomy || []).find((a) => a.digest === d);
    if (inReport) return inReport;
    if (this.fetched.report !== state.report) this.fetched = { report: state.report, byKey: new Map() };
    const cache = this.fetched.byKey;
    const key = `${state.jobIndex} ${d}`;
    if (cache.has(key)) return cache.get(key) ?? undefined;
    cache.set(key, null);
    const report = state.report;
    this.hooks
      .explain(state.jobIndex, d)
      .then(({ anatomy }) => {
        if (state.report !== report) return;
        cache.set(key, anatomy);
        if (state.job && state.job.digests[state.selected] === d) this.render(state);
      })
      .catch((err) => {
        if (state.report === report) cache.delete(key);
        this.hooks.onError("Could not explain this vertex's key", err);
      });
    return undefined;
  }
}

/** A vertex's name in any job of the report (inputs, merged-into vertices of another job). */
function nameInReport(report, digest) {
  for (const job of report?.jobs || []) {
    const a = (job.anatomy || []).find((x) => x.digest === digest);
    if (a) return a.name;
    const r = job.rows.find((x) => x.digest === digest);
    if (r) return r.name;
  }
  return undefined;
}
