#!/usr/bin/env node
// Prints the results of `cargo bench --bench solve` as a table: ms per load/solve (criterion's
// mean estimate), µs per vertex, and the per-vertex cost at 10k against 1k for each generated
// shape (the requirement: within 2x).
//
//   cargo bench --bench solve && node bench/criterion-table.mjs [target/criterion]

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = process.argv[2] ?? fileURLToPath(new URL("../target/criterion/", import.meta.url));

const rows = [];
for (const group of ["load", "cold", "warm"]) {
  let ids;
  try {
    ids = await readdir(join(dir, group));
  } catch {
    continue;
  }
  for (const id of ids) {
    try {
      const bench = JSON.parse(await readFile(join(dir, group, id, "new", "benchmark.json"), "utf8"));
      const est = JSON.parse(await readFile(join(dir, group, id, "new", "estimates.json"), "utf8"));
      const vertices = bench.throughput?.Elements ?? NaN;
      const ms = est.mean.point_estimate / 1e6;
      rows.push({ group, graph: bench.value_str ?? id, vertices, ms, us: (ms * 1000) / vertices });
    } catch {
      // not a benchmark directory (e.g. criterion's report/)
    }
  }
}
if (!rows.length) {
  console.error(`no criterion results under ${dir}: run cargo bench --bench solve first`);
  process.exit(1);
}

const order = (g) => {
  const synth = g.startsWith("synth-") ? 0 : 1;
  return [synth, g.replace(/-?\d+k?$/, ""), Number(g.match(/(\d+)k?$/)?.[1] ?? 0) * (g.endsWith("k") ? 1000 : 1)];
};
rows.sort((a, b) => {
  const [x, y] = [order(a.graph), order(b.graph)];
  return x[0] - y[0] || x[1].localeCompare(y[1]) || x[2] - y[2];
});

const graphs = [...new Set(rows.map((r) => r.graph))];
const cell = (graph, group) => rows.find((r) => r.graph === graph && r.group === group);
const fmt = (x) => (x === undefined ? "-" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const header = ["graph", "vertices"];
for (const g of ["load", "cold", "warm"]) header.push(`${g} ms`, `${g} µs/v`);
const body = graphs.map((graph) => {
  const line = [graph, String(rows.find((r) => r.graph === graph).vertices)];
  for (const g of ["load", "cold", "warm"]) {
    const c = cell(graph, g);
    line.push(fmt(c?.ms), fmt(c?.us));
  }
  return line;
});
const print = (head, lines) => {
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const out = (l) => l.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(out(head));
  console.log(out(w.map((n) => "-".repeat(n))));
  lines.forEach((l) => console.log(out(l)));
};
print(header, body);

console.log();
const ratioLines = [];
for (const shape of ["chain", "fanin", "lattice"]) {
  const line = [shape];
  for (const g of ["load", "cold", "warm"]) {
    const [a, b] = [cell(`${shape}-1k`, g), cell(`${shape}-10k`, g)];
    const r = a && b ? b.us / a.us : undefined;
    line.push(r === undefined ? "-" : `${r.toFixed(2)}x${r > 2 ? " !" : ""}`);
  }
  ratioLines.push(line);
}
print(["10k/1k per vertex", "load", "cold", "warm"], ratioLines);
