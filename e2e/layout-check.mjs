// Checks a layout from www/layout.js against its input graph; used by e2e/layout.test.mjs (on
// layouts made in Chromium) and handy in Node. Returns a list of problems (empty when sound).

import { MAX_EDGE_LABEL, displayLabel, displayText, truncateLabel } from "../www/layout.js";

/** Boxes overlap when their interiors intersect (touching edges are fine). */
const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Distance from a point to a box (0 inside). */
function distance([x, y], box) {
  const dx = Math.max(box.x - x, 0, x - (box.x + box.w));
  const dy = Math.max(box.y - y, 0, y - (box.y + box.h));
  return Math.hypot(dx, dy);
}

/**
 * Problems with `layout` as a layout of `graph`: missing or non-finite positions, an edge that
 * does not go down (y(from) < y(to), box tops) or does not start and end on its nodes' boxes, overlapping node boxes, a group box that does not
 * contain one of its members, a label (node, kind, edge, group) that is not what the input's
 * text shows as (displayLabel / displayText, cut to size): the text round trip through DOT.
 * `maxProblems` stops early on a broken layout.
 */
export function checkLayout(graph, layout, { maxProblems = 20, labels = true } = {}) {
  const problems = [];
  const add = (p) => problems.push(p) < maxProblems;
  if (layout.nodes.length !== graph.nodes.length) add(`${layout.nodes.length} nodes laid out, ${graph.nodes.length} given`);
  if (layout.edges.length !== graph.edges.length) add(`${layout.edges.length} edges laid out, ${graph.edges.length} given`);
  const pos = new Map();
  for (const [i, v] of layout.nodes.entries()) {
    const want = graph.nodes[i];
    if (v.id !== String(want.id)) add(`node ${i} is ${v.id}, expected ${want.id}`);
    if (![v.x, v.y, v.w, v.h].every(Number.isFinite) || v.w <= 0 || v.h <= 0) add(`node ${v.id}: bad box ${JSON.stringify(v)}`);
    if (v.x < 0 || v.y < 0 || v.x + v.w > layout.width + 0.5 || v.y + v.h > layout.height + 0.5) add(`node ${v.id} outside ${layout.width}x${layout.height}`);
    if (labels) {
      const label = displayLabel(want.label);
      if (v.label !== label) add(`node ${v.id}: label ${JSON.stringify(v.label)} != ${JSON.stringify(label)}`);
      if (v.kind !== truncateLabel(displayText(want.kind), MAX_EDGE_LABEL)) add(`node ${v.id}: kind ${JSON.stringify(v.kind)} != ${JSON.stringify(want.kind)}`);
    }
    pos.set(v.id, v);
    if (problems.length >= maxProblems) return problems;
  }
  for (const [k, e] of layout.edges.entries()) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) {
      add(`edge ${k} ${e.from} -> ${e.to}: unknown end`);
      continue;
    }
    if (!(a.y < b.y)) add(`edge ${k} ${e.from} -> ${e.to} does not go down (${a.y} >= ${b.y})`);
    if (!e.points.length || !e.points.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))) add(`edge ${k}: bad points`);
    else {
      // The line starts on the source box and its arrow tip touches the target box (Graphviz draws
      // the arrowhead about 2 px short of the box).
      const [p0, p1] = [e.points[0], e.points[e.points.length - 1]];
      if (distance(p0, a) > 2.5) add(`edge ${k} starts ${distance(p0, a).toFixed(2)} px away from ${e.from}`);
      if (distance(p1, b) > 2.5) add(`edge ${k} ends ${distance(p1, b).toFixed(2)} px away from ${e.to}`);
    }
    if (labels && e.label !== truncateLabel(displayText(graph.edges[k].label), MAX_EDGE_LABEL)) {
      add(`edge ${k}: label ${JSON.stringify(e.label)} != ${JSON.stringify(graph.edges[k].label)}`);
    }
    if (e.label !== "" && !(e.labelPos && e.labelPos.every(Number.isFinite))) add(`edge ${k}: labelled but no labelPos`);
    if (problems.length >= maxProblems) return problems;
  }
  // Overlaps: boxes bucketed in a grid of cells as big as the biggest box, so each box meets
  // only its neighbours (a sort by x alone is quadratic on a long chain).
  const cw = layout.nodes.reduce((m, v) => Math.max(m, v.w), 1);
  const ch = layout.nodes.reduce((m, v) => Math.max(m, v.h), 1);
  const grid = new Map();
  for (const v of layout.nodes) {
    for (let gx = Math.floor(v.x / cw); gx <= Math.floor((v.x + v.w) / cw); gx++) {
      for (let gy = Math.floor(v.y / ch); gy <= Math.floor((v.y + v.h) / ch); gy++) {
        const key = `${gx},${gy}`;
        const cell = grid.get(key);
        if (cell) {
          for (const u of cell) if (overlaps(u, v)) add(`nodes ${u.id} and ${v.id} overlap`);
          cell.push(v);
        } else grid.set(key, [v]);
      }
    }
    if (problems.length >= maxProblems) return problems;
  }
  // Groups contain their members.
  const groups = new Map(layout.groups.map((g) => [g.name, g]));
  for (const [i, want] of graph.nodes.entries()) {
    if (want.group === undefined || want.group === null || want.group === "") continue;
    const g = groups.get(truncateLabel(displayText(want.group), MAX_EDGE_LABEL));
    const v = layout.nodes[i];
    if (!g) add(`no group ${JSON.stringify(want.group)}`);
    else if (!(g.x <= v.x && g.y <= v.y && v.x + v.w <= g.x + g.w && v.y + v.h <= g.y + g.h)) {
      add(`node ${v.id} outside its group ${JSON.stringify(want.group)}`);
    }
    if (problems.length >= maxProblems) return problems;
  }
  return problems;
}
