// The timeline (Gantt) of a job: one row per vertex that has spans, one bar per span (cache key,
// exec, load; inferred spans are zero-length ticks), the critical path highlighted, and a cursor
// at the playback time. Drawn once per job; only the cursor and the bars' "future" class move.

import { displayText, truncateLabel } from "./layout.js";
import { jobEnd } from "./playback-state.js";

const SVG = "http://www.w3.org/2000/svg";
const ROW = 16;
const LABEL_W = 170;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Timeline {
  constructor(host, { onSelect = () => {} } = {}) {
    this.host = host;
    this.onSelect = onSelect;
    this.bars = [];
    this.host.addEventListener("click", (e) => {
      const row = e.target instanceof Element && e.target.closest("[data-digest]");
      if (row) this.onSelect(row.getAttribute("data-digest"));
    });
    // A new width (window resized, panel reflowed) redraws the bars to fit it, cursor kept.
    this.drawnWidth = 0;
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => {
        const w = Math.max(this.host.clientWidth || 0, 240);
        if (this.last && w !== this.drawnWidth) {
          this.draw(...this.last);
          if (this.t !== undefined) this.at(this.t);
        }
      }).observe(this.host);
    }
  }

  /** Draws `job`'s spans; `nameOf(digest)` gives display names; `critical`: digests on the critical path. */
  draw(job, nameOf, critical, origin) {
    this.last = [job, nameOf, critical, origin];
    const width = Math.max(this.host.clientWidth || 0, 240);
    this.drawnWidth = width;
    const start = origin;
    const end = Math.max(jobEnd(job), start + 1);
    const x = (t) => LABEL_W + ((t - start) / (end - start)) * (width - LABEL_W - 8);
    this.x = x;
    const crit = new Set(critical);
    const rows = [];
    const rowOf = new Map();
    for (const sp of job.spans || []) {
      if (!rowOf.has(sp.digest)) {
        rowOf.set(sp.digest, rows.length);
        rows.push(sp.digest);
      }
    }
    const height = rows.length * ROW + 20;
    const root = svg("svg", { class: "gantt", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "timeline of vertex intervals" });
    rows.forEach((d, r) => {
      const g = svg("g", { class: `gantt-row${crit.has(d) ? " critical" : ""}`, "data-digest": d });
      g.append(svg("rect", { x: 0, y: r * ROW, width, height: ROW, class: "gantt-hit" }));
      g.append(svg("text", { x: 4, y: r * ROW + 12, class: "gantt-label" }, truncateLabel(displayText(nameOf(d) || d), 24)));
      rows[r] = g;
      root.append(g);
    });
    this.bars = [];
    for (const sp of job.spans || []) {
      const r = rowOf.get(sp.digest);
      const e = sp.end ?? end;
      const bar = svg("rect", {
        x: x(sp.start),
        y: r * ROW + 3,
        width: Math.max(2, x(e) - x(sp.start)),
        height: ROW - 6,
        rx: 2,
        class: `bar bar-${sp.kind}${sp.error ? (/context canceled$/.test(sp.error) ? " bar-canceled" : " bar-error") : ""}${crit.has(sp.digest) ? " critical" : ""}`,
      });
      bar.append(svg("title", {}, `${sp.kind} ${((sp.start - start) / 1e9).toFixed(3)}s → ${sp.end === null ? "open" : `${((e - start) / 1e9).toFixed(3)}s`}${sp.error ? `: ${sp.error}` : ""}${sp.encore ? " (encore)" : ""}`));
      rows[r].append(bar);
      this.bars.push({ bar, start: sp.start });
    }
    const axis = svg("text", { x: LABEL_W, y: height - 4, class: "gantt-axis" }, "0s");
    const axisEnd = svg("text", { x: width - 8, y: height - 4, class: "gantt-axis", "text-anchor": "end" }, `${((end - start) / 1e9).toFixed(3)}s`);
    this.cursor = svg("line", { x1: LABEL_W, x2: LABEL_W, y1: 0, y2: height - 16, class: "gantt-cursor" });
    root.append(axis, axisEnd, this.cursor);
    this.host.replaceChildren(root);
    if (rows.length === 0) this.host.append(Object.assign(document.createElement("p"), { className: "subtle", textContent: "No vertex intervals yet." }));
  }

  /** Moves the cursor to virtual time t; bars that have not started yet are dimmed. */
  at(t) {
    this.t = t;
    if (!this.cursor) return;
    const cx = this.x(t);
    this.cursor.setAttribute("x1", cx);
    this.cursor.setAttribute("x2", cx);
    for (const { bar, start } of this.bars) bar.classList.toggle("future", start > t);
  }
}
