//! Small definitions built in code, for doctests, unit tests and the fuzz target's seeds.
//! Not part of the supported API.

use crate::llb::{encode_definition, encode_op, pb, Digest};

/// A source op for `docker-image://docker.io/library/<image>` on linux/amd64, as the Go client
/// builds it.
pub fn image(image: &str) -> pb::Op {
    pb::Op {
        inputs: vec![],
        op: Some(pb::OpKind::Source(pb::SourceOp {
            identifier: format!("docker-image://docker.io/library/{image}"),
            attrs: Default::default(),
        })),
        platform: Some(pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

/// An exec op running `args` on output 0 of `root`.
pub fn exec(root: &Digest, args: &[&str]) -> pb::Op {
    pb::Op {
        inputs: vec![pb::Input {
            digest: root.to_string(),
            index: 0,
        }],
        op: Some(pb::OpKind::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args: args.iter().map(|s| s.to_string()).collect(),
                cwd: "/".into(),
                ..Default::default()
            }),
            mounts: vec![pb::Mount {
                dest: "/".into(),
                ..Default::default()
            }],
            ..Default::default()
        })),
        platform: Some(pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

/// The terminal op pointing at output 0 of `target`.
pub fn terminal(target: &Digest) -> pb::Op {
    pb::Op {
        inputs: vec![pb::Input {
            digest: target.to_string(),
            index: 0,
        }],
        ..Default::default()
    }
}

/// Marshals ops (terminal last) into a binary `pb.Definition`.
pub fn definition(ops: &[pb::Op]) -> Vec<u8> {
    let def = pb::Definition {
        def: ops.iter().map(encode_op).collect(),
        ..Default::default()
    };
    encode_definition(&def)
}

/// `alpine:latest` and its terminal: the smallest loadable definition.
pub fn alpine_definition() -> Vec<u8> {
    let src = image("alpine:latest");
    let d = Digest::of(&encode_op(&src));
    definition(&[src, terminal(&d)])
}

/// A chain of `n` exec ops on busybox, terminal last.
pub fn chain(n: usize) -> Vec<u8> {
    let mut ops = Vec::with_capacity(n + 2);
    let base = image("busybox:latest");
    let mut last = Digest::of(&encode_op(&base));
    ops.push(base);
    for i in 0..n {
        let op = exec(&last, &["sh", "-c", &format!("echo chain-{i}")]);
        last = Digest::of(&encode_op(&op));
        ops.push(op);
    }
    ops.push(terminal(&last));
    definition(&ops)
}

/// An exec op as the Go client's `llb.Image(…).Run(…)` writes it (`removeMountStubsRecursive`,
/// empty constraints, linux/amd64): the root filesystem (`/`, output 0) is output 0 of
/// `inputs[0]`, and each further input `k` is mounted read-only (no output) at `mounts[k - 1]`.
/// `inputs` must not be empty.
pub fn exec_mounts(args: &[&str], inputs: &[&Digest], mounts: &[&str]) -> pb::Op {
    let mut all = vec![pb::Mount {
        dest: "/".into(),
        ..Default::default()
    }];
    for (k, dest) in mounts
        .iter()
        .enumerate()
        .take(inputs.len().saturating_sub(1))
    {
        all.push(pb::Mount {
            input: k as i64 + 1,
            dest: dest.to_string(),
            output: -1,
            readonly: true,
            ..Default::default()
        });
    }
    pb::Op {
        inputs: inputs.iter().map(|d| input(d, 0)).collect(),
        op: Some(pb::OpKind::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args: args.iter().map(|s| s.to_string()).collect(),
                cwd: "/".into(),
                remove_mount_stubs_recursive: true,
                ..Default::default()
            }),
            mounts: all,
            ..Default::default()
        })),
        platform: Some(pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

/// A DAG of exec ops on busybox, from a list of `(args, inputs)`: op 0 is the
/// `docker-image://docker.io/library/busybox:latest` source, `spec[i]` makes op `i + 1`, an exec
/// running `args` whose `inputs` are indices of earlier ops (each `< i + 1`; an empty list means
/// `[0]`). The first input is the root filesystem, every further one is mounted read-only at
/// `/in1`, `/in2`, … The terminal points at the last op, so ops it does not reach are dropped by
/// the loader; identical `(args, inputs)` pairs make one vertex. An empty `args` becomes `true`.
pub fn dag(spec: &[(Vec<String>, Vec<usize>)]) -> Vec<u8> {
    let base = image("busybox:latest");
    let mut digests = vec![digest(&base)];
    let mut ops = vec![base];
    for (i, (args, inputs)) in spec.iter().enumerate() {
        let args: Vec<&str> = if args.is_empty() {
            vec!["true"]
        } else {
            args.iter().map(String::as_str).collect()
        };
        let inputs: Vec<&Digest> = if inputs.is_empty() {
            vec![&digests[0]]
        } else {
            inputs.iter().map(|&k| &digests[k.min(i)]).collect()
        };
        let mounts: Vec<String> = (1..inputs.len()).map(|k| format!("/in{k}")).collect();
        let mounts: Vec<&str> = mounts.iter().map(String::as_str).collect();
        let op = exec_mounts(&args, &inputs, &mounts);
        digests.push(digest(&op));
        ops.push(op);
    }
    let last = digests[digests.len() - 1].clone();
    ops.push(terminal(&last));
    definition(&ops)
}

/// A chain of `n` execs (`echo chain-i`) on busybox, as the corpus's `synth-chainN` (digest for
/// digest: `synth_chain(20)` is `synth-chain20`). Unlike [`chain`], its execs are written the way
/// the Go client writes them.
pub fn synth_chain(n: usize) -> Vec<u8> {
    let base = image("busybox:latest");
    let mut last = digest(&base);
    let mut ops = Vec::with_capacity(n + 2);
    ops.push(base);
    for i in 0..n {
        let op = exec_mounts(&["echo", &format!("chain-{i}")], &[&last], &[]);
        last = digest(&op);
        ops.push(op);
    }
    ops.push(terminal(&last));
    definition(&ops)
}

/// `n` independent execs (`echo fan-i`) on busybox joined by one merge op, as the corpus's
/// `synth-faninN` (digest for digest: `fanin(16)` is `synth-fanin16`).
pub fn fanin(n: usize) -> Vec<u8> {
    let base = image("busybox:latest");
    let b = digest(&base);
    let mut ops = Vec::with_capacity(n + 3);
    ops.push(base);
    let mut execs = Vec::with_capacity(n);
    for i in 0..n {
        let op = exec_mounts(&["echo", &format!("fan-{i}")], &[&b], &[]);
        execs.push(digest(&op));
        ops.push(op);
    }
    let refs: Vec<&Digest> = execs.iter().collect();
    let mut m = merge(&refs);
    m.constraints = Some(pb::WorkerConstraints::default());
    let md = digest(&m);
    ops.push(m);
    ops.push(terminal(&md));
    definition(&ops)
}

/// A `k`×`k` grid of execs (`echo lattice-i-j`) on busybox, as the corpus's `synth-latticeK`
/// (digest for digest: `lattice(6)` is `synth-lattice6`): cell (i, j) runs on cell (i-1, j)'s
/// root and mounts cell (i, j-1)'s root read-only at `/left`; cells of row 0 run on their left
/// neighbour (cell (0, 0) on the image), cells of column 0 have only their upper neighbour. The
/// target is cell (k-1, k-1).
pub fn lattice(k: usize) -> Vec<u8> {
    let base = image("busybox:latest");
    let b = digest(&base);
    let mut ops = Vec::with_capacity(k * k + 2);
    ops.push(base);
    let mut cells: Vec<Digest> = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k {
            let name = format!("lattice-{i}-{j}");
            let args = ["echo", name.as_str()];
            let op = match (i, j) {
                (0, 0) => exec_mounts(&args, &[&b], &[]),
                (0, _) => exec_mounts(&args, &[&cells[j - 1]], &[]),
                (_, 0) => exec_mounts(&args, &[&cells[(i - 1) * k]], &[]),
                _ => exec_mounts(
                    &args,
                    &[&cells[(i - 1) * k + j], &cells[i * k + j - 1]],
                    &["/left"],
                ),
            };
            cells.push(digest(&op));
            ops.push(op);
        }
    }
    let target = cells.last().unwrap_or(&b).clone();
    ops.push(terminal(&target));
    definition(&ops)
}

/// The digest BuildKit gives `op`: the sha256 of its canonical encoding.
pub fn digest(op: &pb::Op) -> Digest {
    Digest::of(&encode_op(op))
}

/// An input edge to output `index` of the op with `digest`.
pub fn input(digest: &Digest, index: i64) -> pb::Input {
    pb::Input {
        digest: digest.to_string(),
        index,
    }
}

/// A source op with any `identifier` (no platform, no constraints).
pub fn source(identifier: &str) -> pb::Op {
    pb::Op {
        op: Some(pb::OpKind::Source(pb::SourceOp {
            identifier: identifier.into(),
            attrs: Default::default(),
        })),
        ..Default::default()
    }
}

/// An op of `kind` reading output 0 of each of `inputs`, in order.
pub fn op_on(kind: pb::OpKind, inputs: &[&Digest]) -> pb::Op {
    pb::Op {
        inputs: inputs.iter().map(|d| input(d, 0)).collect(),
        op: Some(kind),
        ..Default::default()
    }
}

/// A merge op layering `inputs` (MergeOp inputs in the same order).
pub fn merge(inputs: &[&Digest]) -> pb::Op {
    let merge = pb::MergeOp {
        inputs: (0..inputs.len())
            .map(|i| pb::MergeInput { input: i as i64 })
            .collect(),
    };
    op_on(pb::OpKind::Merge(merge), inputs)
}

/// A diff op whose lower and upper sides are input positions (`-1` = scratch).
pub fn diff(lower: i64, upper: i64, inputs: &[&Digest]) -> pb::Op {
    let diff = pb::DiffOp {
        lower: Some(pb::LowerDiffInput { input: lower }),
        upper: Some(pb::UpperDiffInput { input: upper }),
    };
    op_on(pb::OpKind::Diff(diff), inputs)
}

/// A file op making directory `path` on `base` (or on scratch when `None`).
pub fn mkdir(base: Option<&Digest>, path: &str) -> pb::Op {
    let action = pb::FileAction {
        input: if base.is_some() { 0 } else { -1 },
        secondary_input: -1,
        output: 0,
        action: Some(pb::FileActionKind::Mkdir(pb::FileActionMkDir {
            path: path.into(),
            mode: 0o755,
            timestamp: -1,
            ..Default::default()
        })),
    };
    let file = pb::FileOp {
        actions: vec![action],
    };
    op_on(pb::OpKind::File(file), base.as_slice())
}

/// A passthrough op with `id` and `outputs` over `inputs`.
pub fn passthrough(id: &str, outputs: &[i64], inputs: &[&Digest]) -> pb::Op {
    let p = pb::PassthroughOp {
        id: id.into(),
        outputs: outputs.to_vec(),
    };
    op_on(pb::OpKind::Passthrough(p), inputs)
}

/// Metadata whose `llb.customname` is `name`.
pub fn custom_name(name: &str) -> pb::OpMetadata {
    let mut md = pb::OpMetadata::default();
    md.description
        .insert(crate::llb::CUSTOM_NAME.to_string(), name.to_string());
    md
}

/// Metadata asking for `caps` (each set to `true`).
pub fn caps(caps: &[&str]) -> pb::OpMetadata {
    let mut md = pb::OpMetadata::default();
    for c in caps {
        md.caps.insert(c.to_string(), true);
    }
    md
}

/// Marshals ops (terminal last) with metadata for some of them: `(index into ops, metadata)`,
/// keyed by that op's canonical digest.
pub fn definition_with_metadata(ops: &[pb::Op], metadata: &[(usize, pb::OpMetadata)]) -> Vec<u8> {
    let def = pb::Definition {
        def: ops.iter().map(encode_op).collect(),
        metadata: metadata
            .iter()
            .filter_map(|(i, md)| Some((digest(ops.get(*i)?).to_string(), md.clone())))
            .collect(),
        source: None,
    };
    encode_definition(&def)
}

/// A binary `pb.Definition` whose `def` elements are exactly `elements` (which need not be valid
/// or canonical ops), with metadata keyed by the given digests.
pub fn raw_definition(elements: &[Vec<u8>], metadata: &[(Digest, pb::OpMetadata)]) -> Vec<u8> {
    let def = pb::Definition {
        def: elements.to_vec(),
        metadata: metadata
            .iter()
            .map(|(d, md)| (d.to_string(), md.clone()))
            .collect(),
        source: None,
    };
    encode_definition(&def)
}

/// Hand-written protobuf wire bytes, for non-canonical and malformed messages.
pub mod wire {
    /// Wire type 0.
    pub const VARINT: u8 = 0;
    /// Wire type 1.
    pub const I64: u8 = 1;
    /// Wire type 2.
    pub const LEN: u8 = 2;
    /// Wire type 3 (deprecated groups).
    pub const START_GROUP: u8 = 3;
    /// Wire type 5.
    pub const I32: u8 = 5;

    /// Appends `v` as a base-128 varint.
    pub fn varint(buf: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        buf.push(v as u8);
    }

    /// Appends the key of `field` with `wire_type`.
    pub fn key(buf: &mut Vec<u8>, field: u32, wire_type: u8) {
        varint(buf, (u64::from(field) << 3) | u64::from(wire_type & 7));
    }

    /// Appends a length-delimited field.
    pub fn len_field(buf: &mut Vec<u8>, field: u32, data: &[u8]) {
        key(buf, field, LEN);
        varint(buf, data.len() as u64);
        buf.extend_from_slice(data);
    }

    /// Appends a varint field (written even when zero).
    pub fn varint_field(buf: &mut Vec<u8>, field: u32, v: u64) {
        key(buf, field, VARINT);
        varint(buf, v);
    }

    /// `inner` wrapped in `depth` length-delimited fields; `field_at(level)` gives the field
    /// number of each wrapper, outermost first (level 0). Built in linear time and without
    /// recursion, so `depth` can be in the hundreds of thousands.
    pub fn nested(depth: usize, field_at: impl Fn(usize) -> u32, inner: &[u8]) -> Vec<u8> {
        // Headers from the innermost wrapper outwards, each sized by what it wraps.
        let mut headers: Vec<Vec<u8>> = Vec::with_capacity(depth);
        let mut size = inner.len() as u64;
        for level in (0..depth).rev() {
            let mut h = Vec::with_capacity(8);
            key(&mut h, field_at(level), LEN);
            varint(&mut h, size);
            size += h.len() as u64;
            headers.push(h);
        }
        let mut out = Vec::with_capacity(size as usize);
        for h in headers.iter().rev() {
            out.extend_from_slice(h);
        }
        out.extend_from_slice(inner);
        out
    }
}
