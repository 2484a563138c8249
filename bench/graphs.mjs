// The graphs the benchmarks solve, as binary pb.Definition bytes, built in plain JavaScript so the
// wasm benchmark needs nothing but the wasm module. They are byte for byte what llbsim's
// testutil builders (src/testutil.rs: synth_chain, fanin, lattice) and BuildKit's Go client write:
// `checkAgainstCorpus()` compares them op for op with testdata/corpus/synth-*.pb.
//
// Protobuf is written the way Go's generated marshaller writes it: fields in number order except
// that a oneof comes last (pb.Op: inputs, platform, constraints, then the op), default scalars
// left out, set-but-empty messages written (tag + zero length), negative int64 as ten-byte
// varints.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

const enc = new TextEncoder();

function varint(out, v) {
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

function key(out, field, wire) {
  varint(out, (field << 3) | wire);
}

/** A length-delimited field (bytes, string or message). */
function lenField(out, field, bytes) {
  key(out, field, 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** A varint field, left out when zero (proto3). */
function intField(out, field, v) {
  if (v === 0 || v === false) return;
  key(out, field, 0);
  varint(out, v === true ? 1 : v);
}

const str = (s) => enc.encode(s);

function platform() {
  const p = [];
  lenField(p, 1, str("amd64"));
  lenField(p, 2, str("linux"));
  return p;
}

/** pb.Op: inputs (1), platform (10), constraints (11), then the op oneof (2 exec, 3 source, 6 merge). */
function op({ inputs = [], exec, source, merge, withPlatform = true, constraints = true }) {
  const o = [];
  for (const d of inputs) {
    const i = [];
    lenField(i, 1, str(d));
    lenField(o, 1, i);
  }
  if (withPlatform) lenField(o, 10, platform());
  if (constraints) lenField(o, 11, []);
  if (exec) lenField(o, 2, exec);
  if (source) lenField(o, 3, source);
  if (merge) lenField(o, 6, merge);
  return Uint8Array.from(o);
}

function image(ref) {
  const s = [];
  lenField(s, 1, str(`docker-image://docker.io/library/${ref}`));
  return op({ source: s });
}

/** An exec as `llb.Image(…).Run(…)` writes it: rootfs from input 0, read-only extra mounts. */
function exec(args, inputs, mounts = []) {
  const meta = [];
  for (const a of args) lenField(meta, 1, str(a));
  lenField(meta, 3, str("/"));
  intField(meta, 11, true); // removeMountStubsRecursive
  const e = [];
  lenField(e, 1, meta);
  const root = [];
  lenField(root, 3, str("/"));
  lenField(e, 2, root);
  mounts.forEach((dest, k) => {
    const m = [];
    intField(m, 1, k + 1);
    lenField(m, 3, str(dest));
    intField(m, 4, -1);
    intField(m, 5, true);
    lenField(e, 2, m);
  });
  return op({ inputs, exec: e });
}

function mergeOp(inputs) {
  const m = [];
  inputs.forEach((_, i) => {
    const mi = [];
    intField(mi, 1, i);
    lenField(m, 1, mi);
  });
  return op({ inputs, merge: m, withPlatform: false });
}

const terminal = (target) => op({ inputs: [target], withPlatform: false, constraints: false });

export const digest = (bytes) => "sha256:" + createHash("sha256").update(bytes).digest("hex");

/** pb.Definition with only `def` (field 1). */
function definition(ops) {
  const out = [];
  for (const o of ops) lenField(out, 1, o);
  return Uint8Array.from(out);
}

/** The ops of a generated graph (terminal last). */
function chainOps(n) {
  const ops = [image("busybox:latest")];
  let last = digest(ops[0]);
  for (let i = 0; i < n; i++) {
    const o = exec(["echo", `chain-${i}`], [last]);
    last = digest(o);
    ops.push(o);
  }
  ops.push(terminal(last));
  return ops;
}

function faninOps(n) {
  const base = image("busybox:latest");
  const b = digest(base);
  const ops = [base];
  const execs = [];
  for (let i = 0; i < n; i++) {
    const o = exec(["echo", `fan-${i}`], [b]);
    execs.push(digest(o));
    ops.push(o);
  }
  const m = mergeOp(execs);
  ops.push(m, terminal(digest(m)));
  return ops;
}

function latticeOps(k) {
  const base = image("busybox:latest");
  const b = digest(base);
  const ops = [base];
  const cells = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const args = ["echo", `lattice-${i}-${j}`];
      let o;
      if (i === 0 && j === 0) o = exec(args, [b]);
      else if (i === 0) o = exec(args, [cells[j - 1]]);
      else if (j === 0) o = exec(args, [cells[(i - 1) * k]]);
      else o = exec(args, [cells[(i - 1) * k + j], cells[i * k + j - 1]], ["/left"]);
      cells.push(digest(o));
      ops.push(o);
    }
  }
  ops.push(terminal(cells[cells.length - 1]));
  return ops;
}

/** `synth-chainN`: N execs in a line on busybox. */
export const chain = (n) => definition(chainOps(n));
/** `synth-faninN`: N execs on busybox joined by one merge. */
export const fanin = (n) => definition(faninOps(n));
/** `synth-latticeK`: a K×K grid; cell (i,j) on (i-1,j), (i,j-1) at /left. */
export const lattice = (k) => definition(latticeOps(k));

/** The `def` elements (field 1) of a binary pb.Definition. */
export function definitionOps(bytes) {
  const ops = [];
  let at = 0;
  const readVarint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[at++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const k = Number(readVarint());
    const wire = k & 7;
    if (wire === 2) {
      const len = Number(readVarint());
      if (k >> 3 === 1) ops.push(bytes.subarray(at, at + len));
      at += len;
    } else if (wire === 0) {
      readVarint();
    } else {
      throw new Error(`unexpected wire type ${wire} in a pb.Definition`);
    }
  }
  return ops;
}

/**
 * The graphs of the benchmarks: the corpus's synthetic definitions (read from `corpusDir`, a file
 * URL ending in `/`) and generated ones of about 1,000 and 10,000 vertices.
 */
export async function benchGraphs(corpusDir) {
  const out = [];
  for (const name of [
    "synth-chain20",
    "synth-chain2000",
    "synth-fanin16",
    "synth-fanin1000",
    "synth-lattice6",
    "synth-lattice64",
  ]) {
    out.push({ name, bytes: new Uint8Array(await readFile(new URL(`${name}.pb`, corpusDir))) });
  }
  out.push({ name: "chain-1k", bytes: chain(1000) });
  out.push({ name: "fanin-1k", bytes: fanin(1000) });
  out.push({ name: "lattice-1k", bytes: lattice(32) });
  out.push({ name: "chain-10k", bytes: chain(10000) });
  out.push({ name: "fanin-10k", bytes: fanin(10000) });
  out.push({ name: "lattice-10k", bytes: lattice(100) });
  return out;
}

/**
 * Checks the generators against the corpus: every op of `synth-chain20`, `synth-fanin16`,
 * `synth-lattice6` and `synth-lattice64` is reproduced byte for byte, in order. Throws on the
 * first difference.
 */
export async function checkAgainstCorpus(corpusDir) {
  const cases = [
    ["synth-chain20", chainOps(20)],
    ["synth-fanin16", faninOps(16)],
    ["synth-lattice6", latticeOps(6)],
    ["synth-lattice64", latticeOps(64)],
  ];
  for (const [name, ours] of cases) {
    const theirs = definitionOps(new Uint8Array(await readFile(new URL(`${name}.pb`, corpusDir))));
    if (theirs.length !== ours.length) {
      throw new Error(`${name}: ${ours.length} ops generated, the corpus has ${theirs.length}`);
    }
    for (let i = 0; i < ours.length; i++) {
      if (digest(ours[i]) !== digest(theirs[i])) {
        throw new Error(`${name}: op ${i} differs (${digest(ours[i])} vs ${digest(theirs[i])})`);
      }
    }
  }
  return cases.map(([name]) => name);
}
