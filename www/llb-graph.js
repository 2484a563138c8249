// LLB definitions → the graph www/layout.js lays out:
//   { nodes: [{ id, label, kind, group? }], edges: [{ from, to, label? }] }
// Node ids are digests; labels are display names; `group` is the Dockerfile stage a vertex
// belongs to (from names like "[build 2/5] RUN …"); an edge goes from an input to the op that
// reads it and is labelled with the output index it reads (when not 0) and, for an exec, the
// mount target(s) of that input other than the root filesystem ("/").
//
// No DOM use (runs in Workers and in Node). All text stays text: nothing here is markup.

const STAGE = /^\[([^\]\n]+?) \d+\/\d+\]/;

/** The Dockerfile stage in a display name ("[build 2/5] RUN …" → "build"), or null. */
export function stageOf(name) {
  const m = STAGE.exec(String(name ?? ""));
  return m ? m[1] : null;
}

/** The op kind of a dump-llb record's Op.Op ({ exec: … } or older { Exec: … }), or "unknown". */
function kindOf(opOneof) {
  if (!opOneof || typeof opOneof !== "object") return "unknown";
  const key = Object.keys(opOneof)[0];
  return key ? key.toLowerCase() : "unknown";
}

const field = (obj, name) => (obj ? (obj[name] ?? obj[name[0].toUpperCase() + name.slice(1)]) : undefined);

/** BuildKit's display name rules, the common cases (llbsim's loader has all of them). */
function displayName(record, kind, body, inputNames) {
  const desc = field(record.OpMetadata, "description");
  if (desc && Object.hasOwn(desc, "llb.customname")) return String(desc["llb.customname"]);
  switch (kind) {
    case "source":
      return String(field(body, "identifier") ?? "");
    case "exec":
      return (field(field(body, "meta"), "args") || []).join(" ");
    case "merge":
      return `merge (${inputNames.join(", ")})`;
    case "build":
      return "build";
    default:
      return kind;
  }
}

/** Parses dump-llb output: one JSON object per line, several pretty-printed ones, or an array. */
function parseRecords(text) {
  const trimmed = String(text).trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed);
  const records = [];
  // Concatenated JSON values: split where one top-level object ends.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}") {
      if (--depth === 0) records.push(JSON.parse(trimmed.slice(start, i + 1)));
    }
  }
  return records;
}

/**
 * The layout graph of a `buildctl debug dump-llb` JSON stream. The terminal op (the last record,
 * with no op of its own) is left out; every other record is a node, in file order.
 */
export function graphFromDumpLlb(text) {
  const records = parseRecords(text);
  const last = records[records.length - 1];
  if (last && kindOf(field(last.Op, "op")) === "unknown") records.pop();
  const nameOf = new Map();
  const nodes = [];
  const edges = [];
  for (const record of records) {
    const op = record.Op || {};
    const oneof = field(op, "op");
    const kind = kindOf(oneof);
    const body = oneof ? Object.values(oneof)[0] : undefined;
    const inputs = field(op, "inputs") || [];
    const id = String(record.Digest);
    const name = displayName(record, kind, body, inputs.map((i) => nameOf.get(String(field(i, "digest"))) ?? ""));
    nameOf.set(id, name);
    const stage = stageOf(name);
    nodes.push(stage === null ? { id, label: name, kind } : { id, label: name, kind, group: stage });

    const mounts = kind === "exec" ? field(body, "mounts") || [] : [];
    inputs.forEach((input, i) => {
      const index = Number(field(input, "index") ?? 0);
      const dests = mounts
        .filter((m) => Number(field(m, "input") ?? 0) === i && field(m, "dest") !== undefined && field(m, "dest") !== "/")
        .map((m) => String(field(m, "dest")));
      edges.push({ from: String(field(input, "digest")), to: id, label: edgeLabel(index, dests) });
    });
  }
  return { nodes, edges };
}

/** "out 1", "/src", "out 1 → /src", or "" (output 0 mounted at / or not mounted). */
export function edgeLabel(index, dests = []) {
  const parts = [];
  if (index) parts.push(`out ${index}`);
  if (dests.length) parts.push(dests.join(", "));
  return parts.join(" → ");
}

/**
 * The layout graph the page draws for a graph summary (`Session.graph()`, `loadDefinition()`):
 * Dockerfile stages as groups, edges labelled with the output index and the mount target.
 */
export function graphFromSession(summary) {
  const nodes = summary.vertices.map((v) => (v.stage ? { id: v.digest, label: v.name, kind: v.kind, group: v.stage } : { id: v.digest, label: v.name, kind: v.kind }));
  const edges = [];
  for (const v of summary.vertices) {
    for (const input of v.inputs) edges.push({ from: input.digest, to: v.digest, label: edgeLabel(input.index, input.mount && input.mount !== "/" ? [input.mount] : []) });
  }
  return { nodes, edges };
}
