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
