// How a vertex's cache key was made in one build, drawn for the vertex panel: the cache map
// (and what fed it) and the inputs' keys → the key → what the cache was asked and answered →
// the outcome. The data is a run report's `anatomy` entry (src/explain/mod.rs, VertexAnatomy);
// the page decides nothing here, it only draws. Also the page's one vocabulary of outcomes
// (`outcomeWords`, `streamNotes`) and the "simulated" tag for what the default op model invents.
//
// Every string from the report (names, digests, rules, pre-images, reasons) reaches the DOM via
// textContent or setAttribute (el), never as markup. No inline style: classes in style.css.

import { formatSeconds } from "./playback-state.js";
import { el, shortDigest } from "./render.js";

/** The outcome in a few words: the core's Outcome::words (src/progress/summary.rs), for rows that come without them. */
export const OUTCOME_WORDS = {
  ran: "ran",
  loaded: "loaded from the cache",
  "cached-without-running": "CACHED without running",
  resolved: "computed its cache key only",
  merged: "merged into an equal-key vertex",
  failed: "failed",
  canceled: "CANCELED",
  "not-started": "not started",
};

/** Why the cache was not asked, or why it answered nothing: the query's `reason`, in words. */
const REASON_WORDS = {
  "no-record": "no record is stored under its key",
  "input-new": "an input ran in this build, so its key is new and no record links from it",
  "ignore-cache": "it ignores the cache (--no-cache), so it ran whatever the cache held",
  merged: "its key equalled another job's vertex; the solver merged the two and that vertex did the work",
  "consumer-cached": "a vertex using it was a cache hit, so its own result was never asked for",
  "root-key-only": "a root: only its key was computed, nothing needed its result",
  canceled: "the build was cancelled before its result was needed",
  "not-asked": "nothing asked for its result",
};

/** What "simulated" means on this page (the default op model's invented parts). */
export const SIMULATED = {
  durations: "Simulated: the default op model invents how long each step takes (a virtual clock); BuildKit's times are the real run's.",
  logs: "Simulated: the default op model invents these log lines; a real build prints what its processes print.",
  progress: "Simulated: durations, log lines, download sizes and layer digests in this text come from the default op model, not from a real build. The printer's format is BuildKit's.",
  content: "Simulated: BuildKit hashes the input's files under the selector's paths; the model gives the same checksum for the same input result and a new one for a new result.",
  standIn: "Simulated: BuildKit's key for this source needs a registry or the client's session, so the model uses a stand-in digest.",
};

/** A small "simulated" tag; `why` is its title (hover) and its accessible description. */
export function simulatedTag(why) {
  return el("span", { cls: "sim-tag", text: "simulated", attrs: { title: why, "aria-label": `simulated: ${why}` } });
}

/** The words for an outcome: the anatomy's own, else the shared table. */
export function outcomeWords(outcome, entry) {
  if (entry && entry.outcome === outcome && entry.outcome_words) return entry.outcome_words;
  return OUTCOME_WORDS[outcome] || String(outcome || "");
}

/**
 * The notes under the panel's facts about how the stream showed the vertex (CACHED
 * retroactively, closed by the encore, CANCELED by the solver, failed), worded so that they never
 * contradict the outcome: a vertex the solver loaded or ran is never said to be "never ran or
 * loaded". `marks`: { state, inferred, encore, error } at the current playback time.
 * Returns an array of strings (one paragraph each).
 */
export function streamNotes(outcome, entry, marks) {
  const notes = [];
  const did = {
    loaded: "the solver did load it from the cache",
    ran: "the solver did run it",
    merged: "its work was done by an equal-key vertex it was merged into",
    failed: "the solver ran it and it failed",
    canceled: "it was CANCELED in the end",
    resolved: "the solver computed its cache key",
  };
  if (marks.inferred) {
    if (outcome === "cached-without-running") {
      notes.push("CACHED retroactively: a vertex that consumes this one started before this one reported anything, so the client's progress stream (vertexStream) marked it CACHED. The solver never ran or loaded it.");
    } else {
      notes.push(`Marked CACHED retroactively by the progress stream (vertexStream): a vertex that consumes this one started before this one had reported. That is the stream's inference only: ${did[outcome] || `its outcome is “${outcomeWords(outcome, entry)}”`}.`);
    }
  }
  if (marks.encore) {
    notes.push(`Closed by the encore: this vertex was still open when the job's stream closed, so BuildKit reported it completed with error “${marks.error || "context canceled"}”.`);
  } else if (marks.state === "canceled") {
    const inFlight = entry ? entry.query && entry.query.result === "miss" : true;
    notes.push(
      inFlight
        ? "CANCELED by the solver: the build was cancelled while this step was in flight, and the solver reported it completed with its error."
        : `CANCELED by the solver: ${entry.why}.`,
    );
  }
  if (marks.state === "error") {
    notes.push("This step failed; the build stops, steps in flight are cancelled and its descendants never start.");
  }
  return notes;
}

/**
 * The anatomy of `entry` as a small diagram (a <section class="anatomy">).
 * opts: {
 *   nameOf(digest) → display name or undefined (any job of the report),
 *   select(digest) → selects that vertex (maybe in another job); the links call it,
 *   origin: ns, the report's first job start (for "saved at" times relative to this run; absent: absolute),
 * }
 */
export function renderAnatomy(entry, opts = {}) {
  const nameOf = opts.nameOf || (() => undefined);
  const box = el("section", { cls: "anatomy", attrs: { "aria-label": "How its cache key was made", "data-outcome": entry.outcome } });
  const head = el("h3", { text: "how its cache key was made (this build)" });
  if (entry.simulated && entry.simulated.length) head.append(" ", simulatedTag(entry.simulated.join("\n")));
  box.append(head);

  const flow = el("div", { cls: "ana-flow" });
  const feed = el("div", { cls: "ana-feed" });
  const deps = entry.cache_map.deps || [];
  if (deps.length) feed.append(inputsBox(deps, nameOf, opts.select));
  feed.append(cacheMapBox(entry.cache_map));
  flow.append(feed, arrow(), keyBox(entry, nameOf), arrow(), queryBox(entry.query, nameOf, opts.select), arrow(), outcomeBox(entry));
  box.append(flow);

  if (entry.simulated && entry.simulated.length) {
    box.append(
      el("ul", { cls: "ana-simulated", attrs: { "aria-label": "What is simulated" } }, entry.simulated.map((s) => el("li", {}, [simulatedTag(s), " ", el("span", { text: s })]))),
    );
  }
  return box;
}

function arrow() {
  return el("div", { cls: "ana-arrow", text: "↓", attrs: { "aria-hidden": "true" } });
}

function stage(cls, title, children) {
  return el("div", { cls: `ana-box ${cls}` }, [el("p", { cls: "ana-title", text: title }), ...children]);
}

function vertexLink(digest, nameOf, select, { label } = {}) {
  const name = nameOf(digest);
  const a = el("a", {
    cls: "ana-vertex",
    text: label ?? (name ? name : shortDigest(digest)),
    attrs: { href: "#", title: `${name ? `${name}\n` : ""}${digest}`, "data-digest": digest },
  });
  a.addEventListener("click", (e) => {
    e.preventDefault();
    if (select) select(digest);
  });
  return a;
}

function digestCode(d, cls = "ana-digest") {
  return el("code", { cls, text: shortDigest(d), attrs: { title: d } });
}

function inputsBox(deps, nameOf, select) {
  const list = el(
    "ol",
    { cls: "ana-inputs", attrs: { start: "0" } },
    deps.map((d, i) => {
      const li = el("li", { attrs: { "data-input": String(i), "data-digest": d.input } }, [el("span", { cls: "ana-index", text: `input ${i}` }), " ", vertexLink(d.input, (x) => (x === d.input && d.name ? d.name : nameOf(x)), select)]);
      if (d.output) li.append(el("span", { cls: "ana-note", text: ` output ${d.output}` }));
      const sel = el("p", { cls: "ana-selector" });
      if (d.selector) {
        sel.append("selector ", digestCode(d.selector));
        if (d.paths && d.paths.length) sel.append(" ", el("span", { cls: "ana-paths", text: d.paths.join(" ") }));
      } else {
        sel.append(el("span", { cls: "subtle", text: "no selector: the whole result" }));
      }
      if (d.content) {
        sel.append(" ", el("span", { cls: "chip ana-content", text: "content-hashed", attrs: { title: "A content-based key is computed from the input's files under the selector's paths: a rebuilt input whose files came out the same still matches." } }), " ", simulatedTag(SIMULATED.content));
      }
      li.append(sel);
      return li;
    }),
  );
  return stage("ana-inputs-box", "inputs", [list]);
}

function cacheMapBox(cm) {
  const b = cm.basis || {};
  const line = el("p", { cls: "ana-line" }, [el("span", { cls: "ana-rule", text: b.rule || "" }), " ", digestCode(cm.digest)]);
  if (b.platform) line.append(" ", el("span", { cls: "chip ana-platform", text: b.platform }));
  const parts = [line];
  if (cm.stand_in) {
    const why = b.stand_in || "the model's digest, not BuildKit's";
    parts.push(el("p", { cls: "ana-standin" }, [el("span", { cls: "badge ana-standin-badge", text: "stand-in", attrs: { title: SIMULATED.standIn } }), " ", el("span", { cls: "ana-standin-why", text: why })]));
  }
  if (!cm.computed) parts.push(el("p", { cls: "subtle ana-note", text: "not computed in this build (nothing asked for it)" }));
  const counted = b.counted || [];
  const cleared = b.cleared || [];
  if (counted.length || cleared.length) {
    const det = el("details", { cls: "ana-fields" }, [
      el("summary", { text: `${counted.length} field${counted.length === 1 ? "" : "s"} counted${cleared.length ? `, ${cleared.length} cleared` : ""}` }),
    ]);
    if (counted.length) det.append(el("ul", { cls: "ana-counted" }, counted.map((c) => el("li", { text: c }))));
    if (cleared.length) det.append(el("p", { cls: "ana-sub", text: "cleared before hashing" }), el("ul", { cls: "ana-cleared" }, cleared.map((c) => el("li", { text: c }))));
    parts.push(det);
  }
  if (b.preimage) {
    parts.push(el("details", { cls: "ana-preimage" }, [el("summary", { text: "the exact bytes hashed" }), el("pre", { text: b.preimage })]));
  }
  return stage("ana-cachemap-box", "cache map", parts);
}

function keyBox(entry, nameOf) {
  const keys = entry.keys || [];
  if (!keys.length) {
    const q = entry.query || {};
    const text = !entry.cache_map.computed
      ? "none: its cache map was never computed"
      : q.reason === "merged"
        ? "none of its own: its edge was merged into the other job's vertex first"
        : q.result === "miss"
          ? "not recorded: a key is reported when a result is saved or loaded under it, and this one never was (the step did not finish)"
          : "none of its own was needed in this build";
    return stage("ana-key-box", "key", [el("p", { cls: "subtle", text })]);
  }
  const parts = keys.map((k) => {
    const div = el("div", { cls: "ana-key", attrs: { "data-key": k.id } }, [el("p", { cls: "ana-line" }, [el("code", { cls: "ana-key-id", text: shortDigest(k.id), attrs: { title: k.id } })])]);
    if (k.root) {
      div.append(el("p", { cls: "ana-formula" }, ["= sha256(", digestCode(k.digest), `@${k.output})`, el("span", { cls: "subtle", text: " a root: cache map digest and output" })]));
    } else {
      const links = el("ul", { cls: "ana-links" });
      (k.inputs || []).forEach((alts, i) => {
        for (const a of alts) {
          const li = el("li", {}, [`← input ${i} ${a.content ? "content key" : "key"} `, el("code", { text: shortDigest(a.id), attrs: { title: a.id } })]);
          const n = nameOf(a.vertex);
          if (n) li.append(" ", el("span", { cls: "subtle ana-name", text: n, attrs: { title: n } }));
          if (a.selector) li.append(" under selector ", digestCode(a.selector));
          links.append(li);
        }
      });
      div.append(el("p", { cls: "ana-sub", text: `linked from its inputs' keys through cache map ${shortDigest(k.digest)}, output ${k.output}` }), links);
    }
    return div;
  });
  return stage("ana-key-box", keys.length > 1 ? "keys" : "key", parts);
}

function queryBox(q, nameOf, select) {
  const res = el("span", { cls: "ana-result", text: q.result, attrs: { "data-result": q.result } });
  const parts = [el("p", { cls: "ana-line" }, [res])];
  if (q.result === "hit") {
    const facts = el("dl", { cls: "ana-facts" });
    const add = (k, v) => facts.append(el("dt", { text: k }), el("dd", {}, [v]));
    if (q.record) add("record", el("code", { cls: "ana-record", text: q.record }));
    if (q.key) add("key", el("code", { text: shortDigest(q.key), attrs: { title: q.key } }));
    if (q.source) add("from", el("span", { text: `cache source ${q.source}` }));
    if (q.saved_by) {
      const sb = q.saved_by;
      add("saved by", el("span", { cls: "ana-saved-by" }, [el("span", { text: sb.job }), ` at ${formatSeconds(sb.time)}`]));
    }
    parts.push(facts);
  }
  if (q.reason) {
    const p = el("p", { cls: "ana-reason", attrs: { "data-reason": q.reason } });
    if (q.reason === "input-new" && q.because_of) {
      p.append("input ", vertexLink(q.because_of, nameOf, select), " ran in this build, so its key is new: no record links from it through this op");
    } else if (q.reason === "merged" && q.because_of) {
      p.append("merged into ", vertexLink(q.because_of, nameOf, select), ", a vertex of another job with an equal key, which did the work");
    } else {
      p.append(REASON_WORDS[q.reason] || q.reason);
    }
    parts.push(p);
  }
  return stage(`ana-query-box`, "query", parts);
}

function outcomeBox(entry) {
  return stage("ana-outcome-box", "outcome", [
    el("p", { cls: "ana-line" }, [el("strong", { cls: "ana-outcome", text: entry.outcome_words, attrs: { "data-outcome": entry.outcome, title: entry.why } })]),
  ]);
}
