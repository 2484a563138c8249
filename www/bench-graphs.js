// Generated layout graphs (www/layout.js's input shape) for the layout benchmark (www/bench.js,
// bench/layout.mjs) and the layout tests. Deterministic: the same arguments give the same graph.
// No DOM use.

/** A digest-like id for vertex `i` of graph `tag`. */
const digest = (tag, i) => `sha256:${tag}${i.toString(16).padStart(64 - tag.length, "0")}`;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chain: one image source, then `n` execs each running on the previous one. */
export function chainGraph(n) {
  const nodes = [{ id: digest("c", 0), label: "docker-image://docker.io/library/busybox:latest", kind: "source" }];
  const edges = [];
  for (let i = 1; i <= n; i++) {
    nodes.push({ id: digest("c", i), label: `echo chain-${i - 1}`, kind: "exec" });
    edges.push({ from: digest("c", i - 1), to: digest("c", i), label: "" });
  }
  return { nodes, edges };
}

/**
 * A lattice-like build: `rows` × `cols` execs, like lattice5k in layout-bench.md. Cell (r, c)
 * runs on cell (r-1, c) (row 0 on one of `cols / 5` base images), and with probability 1/2 also
 * mounts cell (r-1, c±1 or c±2) at /deps/…, which makes crossings. Every 5 columns form a
 * Dockerfile stage (a group).
 */
export function latticeGraph(rows = 40, cols = 50, seed = 1) {
  const rand = prng(seed);
  const id = (r, c) => digest("a", 1000 + r * cols + c);
  const stages = Math.ceil(cols / 5);
  const nodes = [];
  const edges = [];
  for (let s = 0; s < stages; s++) {
    nodes.push({ id: digest("a", s), label: `[stage-${s} 1/${rows + 1}] FROM docker.io/library/golang:1.26-alpine`, kind: "source", group: `stage-${s}` });
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const stage = Math.floor(c / 5);
      nodes.push({
        id: id(r, c),
        label: `[stage-${stage} ${r + 2}/${rows + 1}] RUN make -C /src cell-${r}-${c}`,
        kind: "exec",
        group: `stage-${stage}`,
      });
      edges.push({ from: r === 0 ? digest("a", stage) : id(r - 1, c), to: id(r, c), label: "" });
      if (r > 0 && rand() < 0.5) {
        const offsets = [-2, -1, 1, 2].filter((d) => c + d >= 0 && c + d < cols);
        const c2 = c + offsets[Math.floor(rand() * offsets.length)];
        edges.push({ from: id(r - 1, c2), to: id(r, c), label: `/deps/${c2}` });
      }
    }
  }
  return { nodes, edges };
}
