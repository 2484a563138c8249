// The DAG as one SVG: draws a layout (www/layout.js's shape), then only updates the
// data-state (and marks) of vertices that changed. Pan by dragging, zoom with the wheel or the
// +/− buttons, on the SVG's viewBox (no dependency: a viewBox is all the state pan/zoom needs).
//
// Every text (names, kinds, edge labels, stage names) goes in as an SVG text node.

import { displayLabel, displayText, truncateLabel } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export class GraphView {
  /** `host`: the element the SVG goes in; `onSelect(index)` when a vertex is clicked. */
  constructor(host, { onSelect = () => {} } = {}) {
    this.host = host;
    this.onSelect = onSelect;
    this.svg = svg("svg", { class: "dag", role: "img", "aria-label": "build graph" });
    this.host.replaceChildren(this.svg);
    /** Vertex elements, in graph vertex order. */
    this.nodes = [];
    this.byDigest = new Map();
    this.view = { x: 0, y: 0, w: 100, h: 100 };
    this.bounds = { w: 100, h: 100 };
    this.wirePanZoom();
    this.svg.addEventListener("click", (e) => {
      const g = e.target instanceof Element && e.target.closest("g.node");
      if (g && !this.dragged) this.onSelect(Number(g.getAttribute("data-index")));
    });
    this.svg.addEventListener("keydown", (e) => {
      const g = e.target instanceof Element && e.target.closest("g.node");
      if (g && (e.key === "Enter")) {
        e.preventDefault();
        this.onSelect(Number(g.getAttribute("data-index")));
      }
    });
  }

  /** Draws `layout` for `graph` (the session graph summary; same vertex order as layout.nodes). */
  draw(layout, graph) {
    const root = svg("g");
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }));
    defs.append(marker);
    const groups = svg("g", { class: "groups" });
    for (const g of layout.groups || []) {
      const box = svg("g", { class: "stage" });
      box.append(svg("rect", { x: g.x, y: g.y, width: g.w, height: g.h, rx: 6 }));
      box.append(svg("text", { x: g.x + 6, y: g.y + 12, class: "stage-label" }, truncateLabel(displayText(g.name), 32)));
      groups.append(box);
    }
    const edges = svg("g", { class: "edges" });
    for (const e of layout.edges) {
      edges.append(svg("path", { d: e.path, class: "edge", "marker-end": "url(#arrow)" }));
      if (e.label && e.labelPos) edges.append(svg("text", { x: e.labelPos[0], y: e.labelPos[1], class: "edge-label", "text-anchor": "middle" }, e.label));
    }
    const nodes = svg("g", { class: "nodes" });
    this.nodes = [];
    layout.nodes.forEach((n, i) => {
      const v = graph.vertices[i];
      const g = svg("g", {
        class: "node",
        "data-index": i,
        "data-digest": v.digest,
        "data-kind": v.kind,
        "data-state": "pending",
        "data-seen": "0",
        tabindex: 0,
        transform: `translate(${n.x},${n.y})`,
      });
      g.append(svg("title", {}, `${displayText(v.name)}\n${v.kind} ${v.digest}`));
      g.append(svg("rect", { width: n.w, height: n.h, rx: 5, class: "node-box" }));
      g.append(svg("text", { x: 8, y: 16, class: "node-name" }, displayLabel(v.name)));
      g.append(svg("text", { x: 8, y: 32, class: "node-kind" }, v.kind));
      g.append(svg("text", { x: n.w - 6, y: 32, class: "node-mark", "text-anchor": "end" }, ""));
      nodes.append(g);
      this.nodes.push(g);
    });
    root.append(groups, edges, nodes);
    this.svg.replaceChildren(defs, root);
    this.bounds = { w: Math.max(layout.width, 10), h: Math.max(layout.height, 10) };
    this.fit();
  }

  /** Sets the digests the elements carry (the shown job's: they change with a changed source). */
  setDigests(digests) {
    this.byDigest = new Map();
    digests.forEach((d, i) => {
      const g = this.nodes[i];
      if (!g) return;
      if (g.getAttribute("data-digest") !== d) g.setAttribute("data-digest", d);
      this.byDigest.set(d, g);
    });
  }

  /** Updates one vertex: state, whether the stream has shown it, and the inferred/encore marks. */
  update(digest, state, seen, inferred, encore) {
    const g = this.byDigest.get(digest);
    if (!g) return;
    if (g.getAttribute("data-state") !== state) g.setAttribute("data-state", state);
    g.setAttribute("data-seen", seen ? "1" : "0");
    if (inferred) g.setAttribute("data-inferred", "1");
    else g.removeAttribute("data-inferred");
    if (encore) g.setAttribute("data-encore", "1");
    else g.removeAttribute("data-encore");
    const mark = g.querySelector(".node-mark");
    const text = inferred ? "CACHED (inferred)" : encore ? "encore" : "";
    if (mark.textContent !== text) mark.textContent = text;
  }

  /**
   * Shows a playback's view (state, seen, inferred and encore marks) of every digest in `changed`:
   * what `Playback.seek` returned. One step of the page's playback, on the SVG.
   */
  showChanges(playback, changed) {
    for (const d of changed) this.update(d, playback.state(d), playback.seen(d), playback.inferred(d), playback.encore(d));
  }

  select(digest) {
    for (const g of this.svg.querySelectorAll("g.node.selected")) g.classList.remove("selected");
    const g = this.byDigest.get(digest);
    if (g) g.classList.add("selected");
  }

  setCritical(digests) {
    for (const g of this.svg.querySelectorAll("g.node.critical")) g.classList.remove("critical");
    for (const d of digests) this.byDigest.get(d)?.classList.add("critical");
  }

  // --- pan and zoom on the viewBox ------------------------------------------------------------

  applyView() {
    const { x, y, w, h } = this.view;
    this.svg.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
  }

  /** Shows the whole graph, or for a very big one its top at a still legible scale (at least 0.45). */
  fit() {
    const pad = 16;
    const rect = this.svg.getBoundingClientRect();
    const rw = rect.width > 0 ? rect.width : 900;
    const rh = rect.height > 0 ? rect.height : 500;
    const whole = Math.min(rw / (this.bounds.w + 2 * pad), rh / (this.bounds.h + 2 * pad));
    const scale = Math.min(Math.max(whole, 0.45), 1.5);
    const w = rw / scale;
    const h = rh / scale;
    const y = this.bounds.h + 2 * pad > h ? -pad : (this.bounds.h - h) / 2;
    this.view = { x: (this.bounds.w - w) / 2, y, w, h };
    this.applyView();
  }

  zoom(factor, cx = 0.5, cy = 0.5) {
    const v = this.view;
    const w = Math.min(Math.max(v.w * factor, 40), Math.max(this.bounds.w, this.bounds.h) * 8);
    const h = (w / v.w) * v.h;
    this.view = { x: v.x + (v.w - w) * cx, y: v.y + (v.h - h) * cy, w, h };
    this.applyView();
  }

  wirePanZoom() {
    this.svg.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const r = this.svg.getBoundingClientRect();
        this.zoom(Math.exp(e.deltaY * 0.0015), (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
      },
      { passive: false },
    );
    let start = null;
    this.svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, y: e.clientY, view: { ...this.view } };
      this.dragged = false;
    });
    this.svg.addEventListener("pointermove", (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.dragged) this.svg.setPointerCapture(e.pointerId);
      this.dragged = true;
      const r = this.svg.getBoundingClientRect();
      const k = start.view.w / r.width;
      this.view = { ...start.view, x: start.view.x - dx * k, y: start.view.y - dy * k };
      this.applyView();
    });
    const end = () => {
      start = null;
      setTimeout(() => (this.dragged = false), 0);
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
  }
}
