// Layered, top-to-bottom layout of an LLB graph, for drawing it as SVG.
//
// Two engines, one output shape:
//   * "dot": Graphviz's dot (Graphviz 16.1 compiled to wasm by @viz-js/viz, vendored into
//     www/vendor/ by scripts/build.sh). Clusters for Dockerfile stages, room for edge labels,
//     spline edges, deterministic. The default up to AUTO_LIMITS.
//   * "layered": layoutLayered() below, linear-time longest-path layering with barycenter
//     ordering and straight edges, for graphs too big for dot to finish in reasonable time.
//
// No DOM use: this module runs in a Web Worker (www/layout-worker.js) and in Node (bench/).
//
// Input:  { nodes: [{ id, label, kind, group? }], edges: [{ from, to, label? }] }
// Output: { engine, width, height,
//           nodes:  [{ id, label, kind, x, y, w, h }],              // x, y: the box's top-left
//           edges:  [{ from, to, label, points, path, labelPos }],  // labelPos: [x, y] | null
//           groups: [{ name, x, y, w, h }] }
// in px (= Graphviz points), origin top-left, y growing down, ready for SVG. Nodes, edges and
// groups come back in input order (groups in order of first appearance). A node's `label` is its
// display label (displayLabel: control characters as visible symbols, cut to MAX_LABEL); the
// full name stays with the caller. Boxes are sized for a 12 px monospace font (BOX).
// An edge's `points` are [x, y] pairs: for dot, the cubic Bézier control points (start, then
// three per segment) and last the arrow tip; for the fallback, the two ends of a straight line.
// `path` is the same as an SVG path ("M…C…L…"), ending at the arrow tip. `labelPos` is the
// baseline centre of the label's first line (SVG text with text-anchor="middle"), null without a
// label.
//
// Every text that reaches Graphviz (names, kinds, edge labels, group names) is untrusted: it is
// escaped by dotString() and never used as a DOT identifier (nodes are n<index>, clusters
// cluster_<index>, edges carry id=e<index>). Graphviz's JSON output gives each label back as the
// raw attribute; readLabel() undoes dotString(), and the tests check the round trip.

/** Display labels are cut to this many characters (code points), the last being "…". */
export const MAX_LABEL = 48;
/** Edge labels (output index, mount target) and group names are cut shorter. */
export const MAX_EDGE_LABEL = 32;

/** Node box metrics in px: a monospace font of CHAR_W px per character, two lines (name, kind). */
export const BOX = { charW: 7.2, padX: 10, height: 40, minWidth: 72 };

/**
 * With engine "auto", graphs above either limit use the "layered" fallback instead of dot; see
 * bench/README.md for the measurements behind the numbers.
 */
export const AUTO_LIMITS = { nodes: 3000, edges: 6000 };

const ELLIPSIS = "…";

// ---------------------------------------------------------------------------------------------
// Input checking and labels

/** Cuts `text` to at most `max` code points, ending with "…" when cut. */
export function truncateLabel(text, max = MAX_LABEL) {
  const s = String(text ?? "");
  if (s.length <= max) return s; // fewer UTF-16 units than `max`: fewer code points too
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return cps.slice(0, max - 1).join("") + ELLIPSIS;
}

/**
 * The text a label shows for `text`: lone surrogates (not text) become U+FFFD, and control
 * characters other than line breaks become their visible Control Pictures (NUL → ␀, tab → ␉,
 * ESC → ␛, DEL → ␡), which SVG text can hold and a reader can see. Everything else is kept.
 */
export function displayText(text) {
  const s = String(text ?? "");
  const wf = typeof s.toWellFormed === "function" ? s.toWellFormed() : s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return wf.replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g, (c) => (c === "\x7f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

/** A node's display label: displayText(name) cut to MAX_LABEL, or "(no name)" for "". */
export function displayLabel(name) {
  const s = displayText(name);
  return s === "" ? "(no name)" : truncateLabel(s, MAX_LABEL);
}

/** Display width of a label in monospace columns: wide (CJK, emoji) characters count as two. */
function columns(s) {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    n += cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x1f000) ? 2 : 1;
  }
  return n;
}

/** The box size (px) for a display label and kind. */
function boxSize(label, kind) {
  const cols = Math.max(columns(label.replace(/[\r\n]+/g, " ")), columns(kind));
  return { w: Math.max(BOX.minWidth, Math.ceil(cols * BOX.charW + 2 * BOX.padX)), h: BOX.height };
}

/**
 * Checks the input graph and returns it in indexed form:
 * { nodes: [{ id, label, kind, group, w, h }], edges: [{ from, to, fromId, toId, label }],
 *   groups: [name…], groupOf: Int32Array (node → group index or -1) }.
 * Throws an Error naming the problem for a malformed graph (unknown or duplicate ids).
 */
export function prepareGraph(graph) {
  if (!graph || !Array.isArray(graph.nodes) || !Array.isArray(graph.edges)) {
    throw new Error("layout: the graph must be { nodes: [...], edges: [...] }");
  }
  const index = new Map();
  const groups = [];
  const groupIndex = new Map();
  const groupOf = new Int32Array(graph.nodes.length).fill(-1);
  const nodes = graph.nodes.map((n, i) => {
    if (!n || (typeof n.id !== "string" && typeof n.id !== "number")) throw new Error(`layout: node ${i} has no id`);
    const id = String(n.id);
    if (index.has(id)) throw new Error(`layout: duplicate node id ${JSON.stringify(id)} (nodes ${index.get(id)} and ${i})`);
    index.set(id, i);
    const label = displayLabel(n.label);
    const kind = truncateLabel(displayText(n.kind), MAX_EDGE_LABEL);
    let group = null;
    if (n.group !== undefined && n.group !== null && n.group !== "") {
      group = truncateLabel(displayText(n.group), MAX_EDGE_LABEL);
      let g = groupIndex.get(group);
      if (g === undefined) {
        g = groups.length;
        groupIndex.set(group, g);
        groups.push(group);
      }
      groupOf[i] = g;
    }
    return { id, label, kind, group, ...boxSize(label, kind) };
  });
  const edges = graph.edges.map((e, k) => {
    const from = index.get(String(e?.from));
    const to = index.get(String(e?.to));
    if (from === undefined) throw new Error(`layout: edge ${k} comes from an unknown node ${JSON.stringify(String(e?.from))}`);
    if (to === undefined) throw new Error(`layout: edge ${k} goes to an unknown node ${JSON.stringify(String(e?.to))}`);
    const label = e.label === undefined || e.label === null ? "" : truncateLabel(displayText(e.label), MAX_EDGE_LABEL);
    return { from, to, fromId: nodes[from].id, toId: nodes[to].id, label };
  });
  return { nodes, edges, groups, groupOf };
}

// ---------------------------------------------------------------------------------------------
// DOT

/**
 * A DOT double-quoted string that Graphviz shows as exactly `text`:
 *   \ → \\  (so Graphviz's label escapes \N, \G, \l… never trigger),  " → \",
 *   & → &amp; (Graphviz decodes entities in labels),
 *   newline → \n and carriage return → \r (Graphviz's line breaks),
 *   any other control character → &#N; (raw, NUL ends Graphviz's string and others break its
 *   lexer or its JSON output; decoded from the entity they still break the JSON output's
 *   drawing operations, which is why layouts pass labels through displayText() first).
 * Quoted DOT strings are never HTML labels and never keywords, so <, >, {, }, | are safe.
 */
export function dotString(text) {
  const s = String(text).replace(/[\\"&\x00-\x1f\x7f]/g, (c) => {
    if (c === "\\") return "\\\\";
    if (c === '"') return '\\"';
    if (c === "&") return "&amp;";
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `&#${c.charCodeAt(0)};`;
  });
  return `"${s}"`;
}

/**
 * The text a label attribute stands for, as Graphviz's JSON output gives it back (the raw
 * attribute after DOT's own \" unescaping): the inverse of dotString().
 */
export function readLabel(raw) {
  return String(raw ?? "").replace(/\\([\s\S])|&amp;|&#(\d+);/g, (m, esc, code) => {
    if (esc !== undefined) return esc === "n" ? "\n" : esc === "r" ? "\r" : esc;
    if (code !== undefined) return String.fromCharCode(Number(code));
    return "&";
  });
}

const inches = (px) => String(Math.round((px / 72) * 1e4) / 1e4);

/**
 * Up to this many nodes, edge labels go to dot as `label`s: dot makes room for each beside its
 * edge (a virtual node in an extra rank). Above, dot never sees them: they cost more than the
 * layout itself (the generated 2,000-vertex lattice: 0.7 s without labels, 1.2 s as xlabels, 7.7 s
 * as labels; synth-lattice64: 10 s, 25 s, 50 s), so each is put beside the middle of its drawn
 * edge afterwards (labelBeside), where it may overlap other edges. See bench/README.md.
 */
export const EDGE_LABEL_LIMIT = 1000;

/** Edge label font: monospace, px per character (Courier 10 in Graphviz's metrics). */
const EDGE_CHAR_W = 6;

/** Where a label goes beside the point (x, y) of a line: its baseline centre, to the right. */
function labelBeside([x, y], label) {
  return [round(x + 4 + (columns(label) * EDGE_CHAR_W) / 2), round(y + 3)];
}

/** The point halfway along a Bézier path's middle segment (control points as in `points`). */
function midCurve(pts) {
  const segs = Math.floor((pts.length - 1) / 3);
  if (segs < 1) return pts[0];
  const i = 3 * Math.floor((segs - 1) / 2);
  const [p0, p1, p2, p3] = [pts[i], pts[i + 1], pts[i + 2], pts[i + 3]];
  // B(1/2) = (p0 + 3 p1 + 3 p2 + p3) / 8
  return [(p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8, (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8];
}

/** The DOT text dot lays out (also what the benchmark gives native dot). */
export function toDot(graph) {
  const g = graph && graph.groupOf ? graph : prepareGraph(graph);
  const withLabels = g.nodes.length <= EDGE_LABEL_LIMIT;
  const out = [
    "digraph llb {",
    '  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="Courier", fontsize=11, labeljust=l];',
    '  node [shape=box, fixedsize=true, fontname="Courier", fontsize=12, margin=0];',
    '  edge [fontname="Courier", fontsize=10, arrowsize=0.6];',
  ];
  g.nodes.forEach((n, i) => {
    out.push(`  n${i} [label=${dotString(`${n.label}\n${n.kind}`)}, width=${inches(n.w)}, height=${inches(n.h)}];`);
  });
  if (g.groups.length) {
    const members = g.groups.map(() => []);
    g.groupOf.forEach((gi, i) => {
      if (gi >= 0) members[gi].push(`n${i}`);
    });
    g.groups.forEach((name, gi) => {
      out.push(`  subgraph cluster_${gi} { label=${dotString(name)}; ${members[gi].join("; ")}; }`);
    });
  }
  g.edges.forEach((e, k) => {
    const label = e.label === "" || !withLabels ? "" : `, label=${dotString(e.label)}`;
    out.push(`  n${e.from} -> n${e.to} [id=e${k}${label}];`);
  });
  out.push("}");
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Graphviz (wasm), lazily loaded once per realm

let vizPromise = null;

/** The @viz-js/viz instance, loaded on first use. `url` overrides where the module comes from. */
export function loadViz(url = new URL("./vendor/viz-standalone.mjs", import.meta.url)) {
  if (!vizPromise) {
    vizPromise = import(url.href ?? url).then((m) => m.instance());
    vizPromise.catch(() => {
      vizPromise = null;
    });
  }
  return vizPromise;
}

/** Graphviz's version inside the vendored module, once loaded. */
export async function graphvizVersion() {
  const viz = await loadViz();
  return viz.graphvizVersion;
}

const num = (s) => Number.parseFloat(s);
const pair = (s) => {
  const [x, y] = s.split(",");
  return [num(x), num(y)];
};

/** The points of the first xdot op of kind `ops` (e.g. "pP": a polygon) in `draw`, or null. */
function drawPoints(draw, ops) {
  if (!Array.isArray(draw)) return null;
  for (const d of draw) if (ops.includes(d.op) && Array.isArray(d.points)) return d.points;
  return null;
}

/** [x0, y0, x1, y1] of some points. */
function extent(points) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

/**
 * Converts Graphviz's "json" output for the DOT of `g` (see toDot) into the layout shape.
 *
 * Geometry comes from the xdot drawing operations (`_draw_`, `_hdraw_`, `_ldraw_`), which Graphviz
 * prints to 0.01 pt, and not from the `pos`/`bb`/`lp` attributes, which it prints with 5
 * significant digits (10 pt steps past y = 100,000: a 2,000-vertex chain is 144,000 pt tall).
 * Those attributes are only read when a drawing operation is missing.
 */
export function fromGraphvizJson(json, g) {
  const bg = drawPoints(json._draw_, "P");
  const [llx, lly, urx, ury] = bg ? extent(bg) : String(json.bb || "0,0,0,0").split(",").map(num);
  const X = (x) => round(x - llx);
  const Y = (y) => round(ury - y);
  const nodes = new Array(g.nodes.length);
  const groups = new Array(g.groups.length);
  for (const o of json.objects || []) {
    const name = String(o.name);
    if (name.startsWith("cluster_")) {
      const gi = Number(name.slice(8));
      const poly = drawPoints(o._draw_, "pP");
      const [x0, y0, x1, y1] = poly ? extent(poly) : String(o.bb).split(",").map(num);
      groups[gi] = { name: readLabel(o.label), x: X(x0), y: Y(y1), w: round(x1 - x0), h: round(y1 - y0) };
    } else if (name.startsWith("n")) {
      const i = Number(name.slice(1));
      const n = g.nodes[i];
      const poly = drawPoints(o._draw_, "pP");
      let x0;
      let y1;
      let w;
      let h;
      if (poly) {
        const [a, b, c, d] = extent(poly);
        [x0, y1, w, h] = [a, d, c - a, d - b];
      } else {
        const [cx, cy] = pair(o.pos);
        [w, h] = [num(o.width) * 72, num(o.height) * 72];
        [x0, y1] = [cx - w / 2, cy + h / 2];
      }
      const text = readLabel(o.label); // "label\nkind"
      const cut = text.length - n.kind.length - 1;
      nodes[i] = { id: n.id, label: text.slice(0, cut), kind: text.slice(cut + 1), x: X(x0), y: Y(y1), w: round(w), h: round(h) };
    }
  }
  const edges = new Array(g.edges.length);
  for (const e of json.edges || []) {
    const k = Number(String(e.id).slice(1));
    const src = g.edges[k];
    // The spline's control points (first point, then three per cubic segment), and the arrow
    // tip: the middle point of the arrowhead triangle.
    let points = drawPoints(e._draw_, "b");
    const head = drawPoints(e._hdraw_, "pP");
    let tip = head && head.length === 3 ? head[1] : null;
    if (!points) {
      points = [];
      for (const tok of String(e.pos || "").split(" ")) {
        if (tok.startsWith("e,")) tip = pair(tok.slice(2));
        else if (tok !== "" && !tok.startsWith("s,")) points.push(pair(tok));
      }
    }
    const pts = points.map(([x, y]) => [X(x), Y(y)]);
    let path = "";
    if (pts.length) {
      path = `M${pts[0][0]},${pts[0][1]}`;
      for (let i = 1; i + 2 < pts.length; i += 3) {
        path += `C${pts[i][0]},${pts[i][1]} ${pts[i + 1][0]},${pts[i + 1][1]} ${pts[i + 2][0]},${pts[i + 2][1]}`;
      }
    }
    if (tip) {
      pts.push([X(tip[0]), Y(tip[1])]);
      path += `L${X(tip[0])},${Y(tip[1])}`;
    }
    // The label's first line: its baseline centre (xdot text op), else Graphviz's label centre;
    // labels dot did not see (EDGE_LABEL_LIMIT) go beside the middle of the edge.
    let labelPos = null;
    let label = readLabel(e.label);
    const text = Array.isArray(e._ldraw_) ? e._ldraw_.find((d) => d.op === "T") : null;
    if (text) labelPos = [X(text.pt[0]), Y(text.pt[1])];
    else if (e.lp) labelPos = (([x, y]) => [X(x), Y(y)])(pair(e.lp));
    else if (src.label !== "" && label === "" && pts.length) {
      label = src.label;
      labelPos = labelBeside(midCurve(pts.slice(0, tip ? -1 : undefined)), label);
    }
    edges[k] = { from: src.fromId, to: src.toId, label, points: pts, path, labelPos };
  }
  for (let i = 0; i < nodes.length; i++) if (!nodes[i]) throw new Error(`layout: Graphviz lost node ${i}`);
  for (let k = 0; k < edges.length; k++) if (!edges[k]) throw new Error(`layout: Graphviz lost edge ${k}`);
  for (let gi = 0; gi < groups.length; gi++) if (!groups[gi]) throw new Error(`layout: Graphviz lost group ${gi}`);
  return { engine: "dot", width: round(urx - llx), height: round(ury - lly), nodes, edges, groups };
}

const round = (v) => Math.round(v * 100) / 100;

/**
 * Lays `graph` out with Graphviz's dot (wasm). `onPhase(phase, info)` is called as the work
 * actually advances: "graphviz loaded" (first call in a realm only), "laid out" ({ ms }: dot
 * itself), "converted".
 */
export async function layoutDot(graph, { onPhase = () => {} } = {}) {
  const g = prepareGraph(graph);
  const dot = toDot(g);
  const fresh = !vizPromise;
  const viz = await loadViz();
  if (fresh) onPhase("graphviz loaded", {});
  const t0 = performance.now();
  let result;
  try {
    result = viz.render(dot, { format: "json", engine: "dot" });
  } catch (err) {
    vizPromise = null; // an aborted wasm instance (out of memory…) is not used again
    throw new Error(`layout: Graphviz stopped: ${err && err.message ? err.message : err}`);
  }
  const ms = performance.now() - t0;
  if (result.status !== "success") {
    const msg = (result.errors || []).filter((e) => e.level === "error").map((e) => e.message).join("; ");
    throw new Error(`layout: Graphviz failed: ${msg || "unknown error"}`);
  }
  onPhase("laid out", { ms });
  const layout = fromGraphvizJson(JSON.parse(result.output), g);
  onPhase("converted", {});
  return layout;
}

// ---------------------------------------------------------------------------------------------
// The fallback: longest-path layering, barycenter ordering, straight edges

/** Spacing of the fallback layout, px. */
const LAYERED = { gapX: 24, gapY: 48, margin: 8, groupPad: 6 };

/**
 * A simple layered layout for graphs too big for dot: O(V + E) layering and coordinates, plus a
 * sort per layer for each ordering sweep. No recursion (100,000-deep chains are fine).
 *
 *   1. layers: longest path from the sources (Kahn's order); nodes on a cycle, which an LLB
 *      graph cannot have, go one layer below their already-placed inputs;
 *   2. order within each layer: first-seen order, then `sweeps` barycenter sweeps (down by the
 *      inputs' relative positions, up by the consumers', alternating);
 *   3. x: each node as near as possible to the mean centre of its inputs, left to right without
 *      overlap; y: one row per layer;
 *   4. edges are straight (bottom centre to top centre), labels at their midpoint; groups are
 *      their members' bounding boxes (they may overlap: this layout does not keep stages apart).
 */
export function layoutLayered(graph, { sweeps = 2 } = {}) {
  const g = graph && graph.groupOf ? graph : prepareGraph(graph);
  const n = g.nodes.length;
  const m = g.edges.length;

  // Adjacency in CSR form, self-loops left out.
  const outDeg = new Int32Array(n);
  const inDeg = new Int32Array(n);
  for (const e of g.edges) {
    if (e.from === e.to) continue;
    outDeg[e.from]++;
    inDeg[e.to]++;
  }
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    outStart[i + 1] = outStart[i] + outDeg[i];
    inStart[i + 1] = inStart[i] + inDeg[i];
  }
  const outAdj = new Int32Array(outStart[n]);
  const inAdj = new Int32Array(inStart[n]);
  {
    const oFill = outStart.slice(0, n);
    const iFill = inStart.slice(0, n);
    for (const e of g.edges) {
      if (e.from === e.to) continue;
      outAdj[oFill[e.from]++] = e.to;
      inAdj[iFill[e.to]++] = e.from;
    }
  }

  // 1. Layers (Kahn), in a deterministic first-seen order.
  const layer = new Int32Array(n).fill(-1);
  const pending = inDeg.slice();
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (pending[i] === 0) order[tail++] = i;
  const place = (v) => {
    let l = 0;
    for (let k = inStart[v]; k < inStart[v + 1]; k++) {
      const u = inAdj[k];
      if (layer[u] >= 0 && layer[u] + 1 > l) l = layer[u] + 1;
    }
    layer[v] = l;
  };
  let next = 0; // where to look for a node left on a cycle
  while (head < n) {
    if (head === tail) {
      // Only nodes on cycles remain: take the first one in input order.
      while (layer[next] >= 0 || pending[next] === 0) next++;
      pending[next] = 0;
      order[tail++] = next;
    }
    const v = order[head++];
    place(v);
    for (let k = outStart[v]; k < outStart[v + 1]; k++) {
      const w = outAdj[k];
      if (pending[w] > 0 && --pending[w] === 0) order[tail++] = w;
    }
  }

  // 2. Order within layers.
  let layers = 0;
  for (let i = 0; i < n; i++) if (layer[i] + 1 > layers) layers = layer[i] + 1;
  const rows = Array.from({ length: layers }, () => []);
  for (let k = 0; k < n; k++) rows[layer[order[k]]].push(order[k]);
  const rel = new Float64Array(n); // position within the layer, in (0, 1)
  const setRel = (row) => {
    for (let j = 0; j < row.length; j++) rel[row[j]] = (j + 0.5) / row.length;
  };
  rows.forEach(setRel);
  const key = new Float64Array(n);
  for (let s = 0; s < sweeps; s++) {
    const down = s % 2 === 0;
    const [start, adj] = down ? [inStart, inAdj] : [outStart, outAdj];
    for (let r = down ? 1 : layers - 2; down ? r < layers : r >= 0; r += down ? 1 : -1) {
      const row = rows[r];
      for (const v of row) {
        const deg = start[v + 1] - start[v];
        if (deg === 0) {
          key[v] = rel[v];
          continue;
        }
        let sum = 0;
        for (let k = start[v]; k < start[v + 1]; k++) sum += rel[adj[k]];
        key[v] = sum / deg;
      }
      row.sort((a, b) => key[a] - key[b] || rel[a] - rel[b]);
      setRel(row);
    }
  }

  // 3. Coordinates.
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let top = LAYERED.margin;
  let minX = Infinity;
  let maxX = -Infinity;
  for (let r = 0; r < layers; r++) {
    const row = rows[r];
    let right = -Infinity;
    let rowH = 0;
    for (const v of row) {
      const { w, h } = g.nodes[v];
      let want = right === -Infinity ? 0 : right + LAYERED.gapX;
      const deg = inStart[v + 1] - inStart[v];
      if (deg > 0) {
        let sum = 0;
        for (let k = inStart[v]; k < inStart[v + 1]; k++) sum += x[inAdj[k]] + g.nodes[inAdj[k]].w / 2;
        const centred = sum / deg - w / 2;
        if (right === -Infinity || centred > want) want = centred;
      }
      x[v] = want;
      y[v] = top;
      right = want + w;
      if (want < minX) minX = want;
      if (right > maxX) maxX = right;
      if (h > rowH) rowH = h;
    }
    top += rowH + LAYERED.gapY;
  }
  const shift = n ? LAYERED.margin - minX : 0;
  const nodes = g.nodes.map((node, i) => ({
    id: node.id,
    label: node.label,
    kind: node.kind,
    x: round(x[i] + shift),
    y: round(y[i]),
    w: node.w,
    h: node.h,
  }));

  // 4. Edges and groups.
  const edges = new Array(m);
  for (let k = 0; k < m; k++) {
    const e = g.edges[k];
    const a = nodes[e.from];
    const b = nodes[e.to];
    const p0 = [round(a.x + a.w / 2), round(a.y + a.h)];
    const p1 = [round(b.x + b.w / 2), round(b.y)];
    edges[k] = {
      from: e.fromId,
      to: e.toId,
      label: e.label,
      points: [p0, p1],
      path: `M${p0[0]},${p0[1]}L${p1[0]},${p1[1]}`,
      labelPos: e.label === "" ? null : labelBeside([(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2], e.label),
    };
  }
  const box = g.groups.map((name) => ({ name, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity }));
  for (let i = 0; i < n; i++) {
    const gi = g.groupOf[i];
    if (gi < 0) continue;
    const b = box[gi];
    const v = nodes[i];
    b.x0 = Math.min(b.x0, v.x);
    b.y0 = Math.min(b.y0, v.y);
    b.x1 = Math.max(b.x1, v.x + v.w);
    b.y1 = Math.max(b.y1, v.y + v.h);
  }
  const p = LAYERED.groupPad;
  const groups = box.map((b) => ({ name: b.name, x: round(b.x0 - p), y: round(b.y0 - p), w: round(b.x1 - b.x0 + 2 * p), h: round(b.y1 - b.y0 + 2 * p) }));
  // Group padding may stick out past the margin on the left or top: shift everything if so.
  let dx = 0;
  let dy = 0;
  for (const b of groups) {
    dx = Math.max(dx, -b.x);
    dy = Math.max(dy, -b.y);
  }
  if (dx || dy) {
    for (const v of nodes) {
      v.x = round(v.x + dx);
      v.y = round(v.y + dy);
    }
    for (const e of edges) {
      e.points = e.points.map(([px, py]) => [round(px + dx), round(py + dy)]);
      e.path = `M${e.points[0][0]},${e.points[0][1]}L${e.points[1][0]},${e.points[1][1]}`;
      if (e.labelPos) e.labelPos = [round(e.labelPos[0] + dx), round(e.labelPos[1] + dy)];
    }
    for (const b of groups) {
      b.x = round(b.x + dx);
      b.y = round(b.y + dy);
    }
  }
  let width = 0;
  let height = 0;
  for (const v of nodes) {
    width = Math.max(width, v.x + v.w);
    height = Math.max(height, v.y + v.h);
  }
  for (const b of groups) {
    width = Math.max(width, b.x + b.w);
    height = Math.max(height, b.y + b.h);
  }
  return {
    engine: "layered",
    width: round(width + LAYERED.margin),
    height: round(height + LAYERED.margin),
    nodes,
    edges,
    groups,
  };
}

// ---------------------------------------------------------------------------------------------

/** The engine "auto" picks for a graph of this size: "dot", or "layered" above AUTO_LIMITS. */
export function chooseEngine(graph) {
  const nodes = graph.nodes.length;
  const edges = graph.edges.length;
  return nodes > AUTO_LIMITS.nodes || edges > AUTO_LIMITS.edges ? "layered" : "dot";
}

/**
 * Lays `graph` out. `opts.engine`: "auto" (default: dot up to AUTO_LIMITS, layered above),
 * "dot" or "layered". `opts.onPhase(phase, info)` reports progress (see layoutDot; the layered
 * engine reports "laid out" and "converted" too). Same input, same output.
 */
export async function layoutGraph(graph, opts = {}) {
  const { engine = "auto", onPhase = () => {} } = opts;
  const chosen = engine === "auto" ? chooseEngine(graph) : engine;
  if (chosen === "dot") return layoutDot(graph, { onPhase });
  if (chosen !== "layered") throw new Error(`layout: unknown engine ${JSON.stringify(engine)}`);
  const t0 = performance.now();
  const layout = layoutLayered(graph, opts);
  onPhase("laid out", { ms: performance.now() - t0 });
  onPhase("converted", {});
  return layout;
}
