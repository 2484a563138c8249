//! One test per message of BuildKit's loader (`llbsolver.Load` at 73ed6825, facts §2), each on a
//! definition built in code, plus the order in which BuildKit makes its checks, the rules for the
//! terminal op, re-digesting of non-canonical ops, and display names.
//!
//! `LoadError`'s `Display` is BuildKit's message word for word, so every test compares the whole
//! string (only `failed to parse llb proto op: …` is compared by prefix: the rest is the protobuf
//! library's own wording, which differs between Go and Rust).
#![cfg(not(target_arch = "wasm32"))]

use llbsim::llb::{encode_op, pb, Digest};
use llbsim::testutil::{
    self, caps, custom_name, definition, definition_with_metadata, diff, exec, image, input, merge,
    mkdir, op_on, passthrough, raw_definition, source, terminal, wire,
};
use llbsim::{Entitlements, Error, Graph, LoadError, LoadErrorKind, LoadOptions, OpKind};

fn load(bytes: &[u8]) -> Result<Graph, Error> {
    llbsim::load_bytes(bytes, &LoadOptions::default())
}

fn load_with(bytes: &[u8], entitlements: Entitlements) -> Result<Graph, Error> {
    llbsim::load_bytes(bytes, &LoadOptions { entitlements })
}

/// The loader error for `bytes` (panics on success or on a parse error).
fn load_err(bytes: &[u8]) -> LoadError {
    load_err_with(bytes, Entitlements::default())
}

fn load_err_with(bytes: &[u8], entitlements: Entitlements) -> LoadError {
    match load_with(bytes, entitlements) {
        Err(Error::Load(e)) => e,
        Err(Error::Parse(e)) => panic!("expected a load error, got a parse error: {e}"),
        Ok(g) => panic!("expected a load error, but {} vertices loaded", g.len()),
    }
}

/// Asserts BuildKit's message and the op (position in `def`, digest as listed) it is about.
#[track_caller]
fn assert_err(e: &LoadError, message: &str, op: Option<(usize, &Digest)>) {
    assert_eq!(e.to_string(), message);
    assert_eq!(
        e.op.as_ref().map(|(i, d)| (*i, d)),
        op,
        "op of error {message:?}"
    );
    assert_eq!(
        e.buildctl_message(),
        format!("failed to solve: failed to load LLB: {message}")
    );
}

fn d(op: &pb::Op) -> Digest {
    testutil::digest(op)
}

fn alpine() -> pb::Op {
    image("alpine:latest")
}

/// `[alpine, bad(alpine), terminal -> bad]`: `bad` is reachable, at def index 1.
fn reachable(bad: impl FnOnce(&Digest) -> pb::Op) -> (Vec<u8>, Digest) {
    let base = alpine();
    let bad = bad(&d(&base));
    let bad_digest = d(&bad);
    (definition(&[base, bad, terminal(&bad_digest)]), bad_digest)
}

fn exec_op(root: &Digest, f: impl FnOnce(&mut pb::ExecOp)) -> pb::Op {
    let mut op = exec(root, &["sh", "-c", "true"]);
    if let Some(pb::OpKind::Exec(e)) = &mut op.op {
        f(e);
    }
    op
}

fn vertex<'g>(g: &'g Graph, llb_digest: &Digest) -> &'g llbsim::Vertex {
    g.vertices()
        .iter()
        .find(|v| &v.llb_digest == llb_digest)
        .unwrap_or_else(|| panic!("no vertex for {llb_digest}"))
}

// ---------------------------------------------------------------------------------------------
// 1. An empty definition.

#[test]
fn empty_file_is_an_empty_definition() {
    let e = load_err(&[]);
    assert_err(&e, "invalid empty definition", None);
    assert_eq!(e.kind, LoadErrorKind::EmptyDefinition);
    // Whitespace and a lone UTF-8 BOM are empty files too.
    assert_err(&load_err(b" \n\t "), "invalid empty definition", None);
    assert_err(&load_err(b"\xef\xbb\xbf"), "invalid empty definition", None);
}

// ---------------------------------------------------------------------------------------------
// 2. Parsing each op, in def order.

#[test]
fn unparsable_op() {
    // 0xff is a varint that never ends.
    let garbage = vec![0xff];
    let e = load_err(&raw_definition(std::slice::from_ref(&garbage), &[]));
    assert!(
        e.to_string().starts_with("failed to parse llb proto op: "),
        "{e}"
    );
    assert!(e.to_string().len() > "failed to parse llb proto op: ".len());
    assert!(matches!(e.kind, LoadErrorKind::ParseOp(_)));
    assert_eq!(e.op, Some((0, Digest::of(&garbage))));

    // A later op: the index says which.
    let base = encode_op(&alpine());
    let mut wrong_wire = Vec::new();
    wire::varint_field(&mut wrong_wire, 1, 7); // inputs (a message) as a varint
    let e = load_err(&raw_definition(&[base, wrong_wire.clone()], &[]));
    assert!(
        e.to_string().starts_with("failed to parse llb proto op: "),
        "{e}"
    );
    assert_eq!(e.op, Some((1, Digest::of(&wrong_wire))));
}

#[test]
fn negative_input_index() {
    let (bytes, bad) = reachable(|root| {
        let mut op = exec(root, &["true"]);
        op.inputs[0].index = -1;
        op
    });
    assert_err(
        &load_err(&bytes),
        "invalid input 0 output index -1",
        Some((1, &bad)),
    );

    // The position is the input's position in Op.inputs.
    let (bytes, bad) = reachable(|root| {
        let mut op = exec(root, &["true"]);
        op.inputs.push(input(root, -5));
        op
    });
    assert_err(
        &load_err(&bytes),
        "invalid input 1 output index -5",
        Some((1, &bad)),
    );
}

#[test]
fn negative_input_index_on_the_terminal_and_on_unreachable_ops() {
    // Every op is checked, the terminal included.
    let base = alpine();
    let t = pb::Op {
        inputs: vec![input(&d(&base), -1)],
        ..Default::default()
    };
    let e = load_err(&definition(&[base.clone(), t.clone()]));
    assert_err(&e, "invalid input 0 output index -1", Some((1, &d(&t))));

    let mut stray = exec(&d(&base), &["true"]);
    stray.inputs[0].index = i64::MIN;
    let bytes = definition(&[base.clone(), stray.clone(), terminal(&d(&base))]);
    assert_err(
        &load_err(&bytes),
        &format!("invalid input 0 output index {}", i64::MIN),
        Some((1, &d(&stray))),
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Re-digesting: every input must name an op of the definition.

#[test]
fn missing_input_digest() {
    let missing = Digest::of(b"not in this definition");
    let (bytes, bad) = reachable(|_| exec(&missing, &["true"]));
    assert_err(
        &load_err(&bytes),
        &format!("invalid missing input digest {missing}"),
        Some((1, &bad)),
    );
}

#[test]
fn missing_input_digest_on_an_unreachable_op() {
    // BuildKit re-digests every op, reachable or not.
    let base = alpine();
    let missing = Digest::of(b"nowhere");
    let stray = exec(&missing, &["true"]);
    let bytes = definition(&[base.clone(), stray.clone(), terminal(&d(&base))]);
    assert_err(
        &load_err(&bytes),
        &format!("invalid missing input digest {missing}"),
        Some((1, &d(&stray))),
    );
}

#[test]
fn missing_input_digest_is_quoted_verbatim() {
    // Input digests are not validated: whatever the string is, it is the message.
    let base = alpine();
    let mut stray = exec(&d(&base), &["true"]);
    stray.inputs[0].digest = "not a digest".into();
    let bytes = definition(&[base.clone(), stray.clone(), terminal(&d(&base))]);
    assert_err(
        &load_err(&bytes),
        "invalid missing input digest not a digest",
        Some((1, &d(&stray))),
    );
}

#[test]
fn missing_input_digest_of_the_terminal_itself() {
    // A terminal pointing at nothing fails in re-digesting, before the vertex count.
    let t = terminal(&Digest::of(b"gone"));
    let e = load_err(&definition(std::slice::from_ref(&t)));
    assert_err(
        &e,
        &format!("invalid missing input digest {}", Digest::of(b"gone")),
        Some((0, &d(&t))),
    );
}

// ---------------------------------------------------------------------------------------------
// 4. At least two distinct ops.

#[test]
fn a_single_valid_op_is_one_vertex() {
    let e = load_err(&definition(&[alpine()]));
    assert_err(&e, "invalid LLB with 1 vertexes", None);
    assert_eq!(e.kind, LoadErrorKind::TooFewVertexes(1));
}

#[test]
fn identical_ops_count_once() {
    let e = load_err(&definition(&[alpine(), alpine()]));
    assert_err(&e, "invalid LLB with 1 vertexes", None);
    let e = load_err(&definition(&[alpine(), alpine(), alpine()]));
    assert_err(&e, "invalid LLB with 1 vertexes", None);
    // Two distinct ops are enough to get past the count (and on to the terminal check).
    let e = load_err(&definition(&[alpine(), alpine(), image("busybox")]));
    assert_eq!(e.kind, LoadErrorKind::NoInputsOnLastVertex);
}

#[test]
fn duplicates_do_not_stop_a_definition_from_loading() {
    let base = alpine();
    let t = terminal(&d(&base));
    let g = load(&definition(&[base.clone(), base.clone(), t])).expect("loads");
    assert_eq!(g.len(), 1);
    // The vertex is the last copy in def order (later duplicates overwrite earlier ones).
    assert_eq!(g.vertices()[0].def_index, 1);
}

// ---------------------------------------------------------------------------------------------
// 5. The terminal op.

#[test]
fn no_inputs_on_last_vertex() {
    let a = alpine();
    let b = image("busybox:latest");
    let e = load_err(&definition(&[a, b.clone()]));
    assert_err(
        &e,
        "invalid LLB with no inputs on last vertex",
        Some((1, &d(&b))),
    );
}

#[test]
fn the_terminal_is_never_validated_nor_checked_for_caps_or_entitlements() {
    // The last op is an exec with no meta, host networking, insecure mode and an unknown cap:
    // none of it matters, only its first input does.
    let base = alpine();
    let mut t = pb::Op {
        inputs: vec![input(&d(&base), 0)],
        op: Some(pb::OpKind::Exec(pb::ExecOp {
            meta: None,
            mounts: vec![],
            network: pb::NetMode::Host as i32,
            security: pb::SecurityMode::Insecure as i32,
            ..Default::default()
        })),
        ..Default::default()
    };
    t.platform = Some(pb::Platform::default());
    let bytes = definition_with_metadata(&[base.clone(), t], &[(1, caps(&["foo.bar"]))]);
    let g = load(&bytes).expect("terminal is not checked");
    assert_eq!(g.len(), 1);
    assert_eq!(g.vertex(g.target().vertex).llb_digest, d(&base));
}

#[test]
fn only_the_first_input_of_the_terminal_counts() {
    let a = alpine();
    let b = image("busybox:latest");
    let t = pb::Op {
        inputs: vec![input(&d(&a), 3), input(&d(&b), 0)],
        ..Default::default()
    };
    let g = load(&definition(&[a.clone(), b, t])).expect("loads");
    assert_eq!(g.len(), 1, "busybox is unreachable");
    assert_eq!(g.target().index, 3, "the output index is not checked");
    assert_eq!(g.vertex(g.target().vertex).llb_digest, d(&a));
    assert!(
        g.notes.iter().any(|n| n.contains("not reachable")),
        "{:?}",
        g.notes
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Validate (opsutils.Validate), on reachable ops.

#[track_caller]
fn assert_invalid(bad: impl FnOnce(&Digest) -> pb::Op, message: &str) {
    let (bytes, bad) = reachable(bad);
    let e = load_err(&bytes);
    assert_err(&e, message, Some((1, &bad)));
}

#[test]
fn exec_with_no_meta() {
    assert_invalid(
        |r| exec_op(r, |e| e.meta = None),
        "invalid exec op with no meta",
    );
}

#[test]
fn exec_with_no_args() {
    assert_invalid(
        |r| exec_op(r, |e| e.meta.iter_mut().for_each(|m| m.args.clear())),
        "invalid exec op with no args",
    );
    // An empty Meta message is present (not nil): "no args", not "no meta".
    assert_invalid(
        |r| exec_op(r, |e| e.meta = Some(pb::Meta::default())),
        "invalid exec op with no args",
    );
}

#[test]
fn exec_with_no_mounts() {
    assert_invalid(
        |r| exec_op(r, |e| e.mounts.clear()),
        "invalid exec op with no mounts",
    );
}

#[test]
fn exec_with_no_rootfs() {
    assert_invalid(
        |r| {
            exec_op(r, |e| {
                e.mounts[0].dest = "/rootfs".into();
                e.mounts.push(pb::Mount {
                    dest: "".into(),
                    ..Default::default()
                });
            })
        },
        "invalid exec op with no rootfs",
    );
}

#[test]
fn exec_checks_come_in_order() {
    // No meta and no mounts: meta is checked first.
    assert_invalid(
        |r| {
            exec_op(r, |e| {
                e.meta = None;
                e.mounts.clear();
            })
        },
        "invalid exec op with no meta",
    );
    // No args and no mounts: args first.
    assert_invalid(
        |r| {
            exec_op(r, |e| {
                e.meta = Some(pb::Meta::default());
                e.mounts.clear();
            })
        },
        "invalid exec op with no args",
    );
}

#[test]
fn file_with_no_actions() {
    assert_invalid(
        |r| op_on(pb::OpKind::File(pb::FileOp::default()), &[r]),
        "invalid file op with no actions",
    );
}

#[test]
fn diff_with_nil_lower_or_upper() {
    for (lower, upper) in [(false, true), (true, false), (false, false)] {
        assert_invalid(
            |r| {
                let diff = pb::DiffOp {
                    lower: lower.then_some(pb::LowerDiffInput { input: 0 }),
                    upper: upper.then_some(pb::UpperDiffInput { input: 0 }),
                };
                op_on(pb::OpKind::Diff(diff), &[r])
            },
            "invalid diff op with nil lower or upper input",
        );
    }
}

#[test]
fn passthrough_with_no_id() {
    assert_invalid(
        |r| passthrough("", &[0], &[r]),
        "invalid passthrough op with no id",
    );
}

#[test]
fn passthrough_with_no_outputs() {
    assert_invalid(
        |r| passthrough("p", &[], &[r]),
        "invalid passthrough op with no outputs",
    );
}

#[test]
fn passthrough_output_out_of_range() {
    assert_invalid(
        |r| passthrough("p", &[0, 1], &[r]),
        "invalid passthrough output input index 1",
    );
    assert_invalid(
        |r| passthrough("p", &[0, -1, 5], &[r]),
        "invalid passthrough output input index -1",
    );
}

#[test]
fn passthrough_without_inputs_accepts_any_non_negative_output() {
    // BuildKit only bounds outputs when the op has inputs.
    let p = passthrough("p", &[7], &[]);
    let g = load(&definition(&[p.clone(), terminal(&d(&p))])).expect("loads");
    assert_eq!(g.vertices()[0].name, "passthrough p");
    assert_eq!(g.vertices()[0].kind(), OpKind::Passthrough);
    // ...but not a negative one.
    let p = passthrough("p", &[-3], &[]);
    let e = load_err(&definition(&[p.clone(), terminal(&d(&p))]));
    assert_err(
        &e,
        "invalid passthrough output input index -3",
        Some((0, &d(&p))),
    );
}

#[test]
fn an_empty_merge_is_valid() {
    let m = merge(&[]);
    let g = load(&definition(&[m.clone(), terminal(&d(&m))])).expect("loads");
    assert_eq!(g.vertices()[0].name, "merge ()");
}

// ---------------------------------------------------------------------------------------------
// 7. Diff side indexes (from the name computation).

#[test]
fn diff_input_index_out_of_range() {
    assert_invalid(|r| diff(5, -1, &[r]), "invalid diff input index 5");
    assert_invalid(|r| diff(-1, 1, &[r]), "invalid diff input index 1");
    assert_invalid(|r| diff(-2, 0, &[r]), "invalid diff input index -2");
}

#[test]
fn diff_of_scratch_and_scratch_loads() {
    let op = diff(-1, -1, &[]);
    let g = load(&definition(&[op.clone(), terminal(&d(&op))])).expect("loads");
    assert_eq!(g.vertices()[0].name, "diff scratch -> scratch");
}

// ---------------------------------------------------------------------------------------------
// 8. Load options: entitlements, then caps.

#[test]
fn unknown_capability() {
    let base = alpine();
    let e = exec(&d(&base), &["true"]);
    let ops = [base, e.clone(), terminal(&d(&e))];
    let err = load_err(&definition_with_metadata(
        &ops,
        &[(1, caps(&["exec.meta.base", "foo.bar"]))],
    ));
    assert_err(&err, "unknown API capability foo.bar", Some((1, &d(&e))));

    // The bool is ignored: asking for a cap with `false` still needs it.
    let mut md = pb::OpMetadata::default();
    md.caps.insert("foo.bar".into(), false);
    let err = load_err(&definition_with_metadata(&ops, &[(1, md)]));
    assert_err(&err, "unknown API capability foo.bar", Some((1, &d(&e))));

    // BuildKit's own typo is the known spelling.
    let bytes = definition_with_metadata(&ops, &[(1, caps(&["soruce.http.uidgid"]))]);
    load(&bytes).expect("soruce.http.uidgid is registered");
    let err = load_err(&definition_with_metadata(
        &ops,
        &[(1, caps(&["source.http.uidgid"]))],
    ));
    assert_err(
        &err,
        "unknown API capability source.http.uidgid",
        Some((1, &d(&e))),
    );
}

#[test]
fn declared_but_unregistered_caps_are_unknown() {
    // solver/pb/caps.go at 73ed6825 declares these two IDs but never registers them with
    // `Caps.Init`, so a daemon does not know them (the Go client even asks for
    // `file.copy.modestring` on `COPY --chmod=u+x`).
    let base = alpine();
    let ops = [base.clone(), terminal(&d(&base))];
    for cap in [
        "file.copy.modestring",
        "exec.meta.removemountstubs.recursive",
    ] {
        let err = load_err(&definition_with_metadata(&ops, &[(0, caps(&[cap]))]));
        assert_err(
            &err,
            &format!("unknown API capability {cap}"),
            Some((0, &d(&base))),
        );
    }
}

#[test]
fn unknown_capability_on_the_source_op() {
    let base = alpine();
    let ops = [base.clone(), terminal(&d(&base))];
    let err = load_err(&definition_with_metadata(&ops, &[(0, caps(&["x"]))]));
    assert_err(&err, "unknown API capability x", Some((0, &d(&base))));
}

#[test]
fn metadata_for_no_op_is_ignored() {
    let base = alpine();
    let def = pb::Definition {
        def: vec![encode_op(&base), encode_op(&terminal(&d(&base)))],
        metadata: [(Digest::of(b"nobody").to_string(), caps(&["foo.bar"]))]
            .into_iter()
            .collect(),
        source: None,
    };
    load(&llbsim::llb::encode_definition(&def)).expect("loads");
}

fn host_network(root: &Digest) -> pb::Op {
    exec_op(root, |e| e.network = pb::NetMode::Host as i32)
}

fn insecure(root: &Digest) -> pb::Op {
    exec_op(root, |e| e.security = pb::SecurityMode::Insecure as i32)
}

#[test]
fn network_host_needs_the_entitlement() {
    let (bytes, bad) = reachable(host_network);
    assert_err(
        &load_err(&bytes),
        "network.host is not allowed",
        Some((1, &bad)),
    );
    let granted = Entitlements {
        network_host: true,
        ..Default::default()
    };
    let g = load_with(&bytes, granted).expect("granted");
    assert_eq!(g.len(), 2);
    // The other entitlement is no help.
    let other = Entitlements {
        security_insecure: true,
        ..Default::default()
    };
    assert_err(
        &load_err_with(&bytes, other),
        "network.host is not allowed",
        Some((1, &bad)),
    );
    // NONE needs nothing.
    let (bytes, _) = reachable(|r| exec_op(r, |e| e.network = pb::NetMode::None as i32));
    load(&bytes).expect("network none");
}

#[test]
fn security_insecure_needs_the_entitlement() {
    let (bytes, bad) = reachable(insecure);
    assert_err(
        &load_err(&bytes),
        "security.insecure is not allowed",
        Some((1, &bad)),
    );
    let granted = Entitlements {
        security_insecure: true,
        ..Default::default()
    };
    assert_eq!(load_with(&bytes, granted).expect("granted").len(), 2);
}

#[test]
fn network_host_is_checked_before_security_insecure() {
    let (bytes, bad) = reachable(|r| {
        exec_op(r, |e| {
            e.network = pb::NetMode::Host as i32;
            e.security = pb::SecurityMode::Insecure as i32;
        })
    });
    assert_err(
        &load_err(&bytes),
        "network.host is not allowed",
        Some((1, &bad)),
    );
    let host = Entitlements {
        network_host: true,
        ..Default::default()
    };
    assert_err(
        &load_err_with(&bytes, host),
        "security.insecure is not allowed",
        Some((1, &bad)),
    );
    let both = Entitlements {
        network_host: true,
        security_insecure: true,
    };
    load_with(&bytes, both).expect("both granted");
}

#[test]
fn entitlements_are_checked_before_caps_and_after_validate() {
    let base = alpine();
    let e = host_network(&d(&base));
    let ops = [base.clone(), e.clone(), terminal(&d(&e))];
    let err = load_err(&definition_with_metadata(&ops, &[(1, caps(&["foo.bar"]))]));
    assert_err(&err, "network.host is not allowed", Some((1, &d(&e))));

    let invalid = exec_op(&d(&base), |x| {
        x.network = pb::NetMode::Host as i32;
        x.mounts.clear();
    });
    let ops = [base, invalid.clone(), terminal(&d(&invalid))];
    let err = load_err(&definition_with_metadata(&ops, &[(1, caps(&["foo.bar"]))]));
    assert_err(
        &err,
        "invalid exec op with no mounts",
        Some((1, &d(&invalid))),
    );
}

// ---------------------------------------------------------------------------------------------
// 9. The order of checks.

#[test]
fn an_op_is_validated_before_its_inputs() {
    // child is invalid, parent is invalid: the parent's error wins.
    let base = alpine();
    let child = exec_op(&d(&base), |e| e.meta = None);
    let parent = op_on(pb::OpKind::File(pb::FileOp::default()), &[&d(&child)]);
    let bytes = definition(&[base, child, parent.clone(), terminal(&d(&parent))]);
    assert_err(
        &load_err(&bytes),
        "invalid file op with no actions",
        Some((2, &d(&parent))),
    );
}

#[test]
fn an_ops_caps_are_checked_before_its_inputs_load() {
    let base = alpine();
    let child = exec_op(&d(&base), |e| e.meta = None);
    let parent = exec(&d(&child), &["true"]);
    let ops = [base, child, parent.clone(), terminal(&d(&parent))];
    let bytes = definition_with_metadata(&ops, &[(2, caps(&["foo.bar"]))]);
    assert_err(
        &load_err(&bytes),
        "unknown API capability foo.bar",
        Some((2, &d(&parent))),
    );
}

#[test]
fn inputs_load_depth_first_in_order() {
    // merge(a, b) where a's input and b are both invalid: a's subtree is loaded first.
    let base = alpine();
    let deep_bad = exec_op(&d(&base), |e| e.mounts.clear());
    let a = exec(&d(&deep_bad), &["a"]);
    let b = exec_op(&d(&base), |e| e.meta = None);
    let m = merge(&[&d(&a), &d(&b)]);
    let bytes = definition(&[
        base,
        b.clone(),
        deep_bad.clone(),
        a.clone(),
        m.clone(),
        terminal(&d(&m)),
    ]);
    assert_err(
        &load_err(&bytes),
        "invalid exec op with no mounts",
        Some((2, &d(&deep_bad))),
    );
}

#[test]
fn diff_loads_its_lower_side_first() {
    // The lower side is input 1 and the upper side input 0; both are invalid. The name
    // computation loads lower, then upper, before the inputs load in order: input 1 fails first.
    let base = alpine();
    let in0 = exec_op(&d(&base), |e| e.meta = None);
    let in1 = op_on(pb::OpKind::File(pb::FileOp::default()), &[&d(&base)]);
    let op = diff(1, 0, &[&d(&in0), &d(&in1)]);
    let bytes = definition(&[base, in0, in1.clone(), op.clone(), terminal(&d(&op))]);
    assert_err(
        &load_err(&bytes),
        "invalid file op with no actions",
        Some((2, &d(&in1))),
    );
}

#[test]
fn a_bad_diff_side_fails_before_the_other_inputs_load() {
    // lower is scratch, upper is out of range; input 0 is invalid but never reached.
    let base = alpine();
    let in0 = exec_op(&d(&base), |e| e.meta = None);
    let op = diff(-1, 7, &[&d(&in0)]);
    let bytes = definition(&[base, in0, op.clone(), terminal(&d(&op))]);
    assert_err(
        &load_err(&bytes),
        "invalid diff input index 7",
        Some((2, &d(&op))),
    );
    // lower is in range and invalid, upper is out of range: lower's subtree loads first.
    let base = alpine();
    let in0 = exec_op(&d(&base), |e| e.meta = None);
    let op = diff(0, 7, &[&d(&in0)]);
    let bytes = definition(&[base, in0.clone(), op.clone(), terminal(&d(&op))]);
    assert_err(
        &load_err(&bytes),
        "invalid exec op with no meta",
        Some((1, &d(&in0))),
    );
}

#[test]
fn parse_errors_and_negative_indexes_come_in_def_order_before_missing_digests() {
    let missing = Digest::of(b"missing");
    let dangling = exec(&missing, &["true"]); // fails only in re-digesting
    let garbage = vec![0x0a, 0x05, 1]; // inputs claiming 5 bytes, 1 present
    let mut negative = exec(&d(&alpine()), &["true"]);
    negative.inputs[0].index = -2;

    // A missing digest at op 0 does not hide a parse error at op 1.
    let bytes = raw_definition(&[encode_op(&dangling), garbage.clone()], &[]);
    let e = load_err(&bytes);
    assert!(
        e.to_string().starts_with("failed to parse llb proto op: "),
        "{e}"
    );
    assert_eq!(e.op, Some((1, Digest::of(&garbage))));

    // Nor a negative index at op 1.
    let bytes = raw_definition(
        &[
            encode_op(&dangling),
            encode_op(&alpine()),
            encode_op(&negative),
        ],
        &[],
    );
    assert_err(
        &load_err(&bytes),
        "invalid input 0 output index -2",
        Some((2, &d(&negative))),
    );

    // Between the two, def order decides.
    let bytes = raw_definition(&[garbage.clone(), encode_op(&negative)], &[]);
    assert_eq!(load_err(&bytes).op, Some((0, Digest::of(&garbage))));
    let bytes = raw_definition(&[encode_op(&negative), garbage], &[]);
    assert_err(
        &load_err(&bytes),
        "invalid input 0 output index -2",
        Some((0, &d(&negative))),
    );
}

#[test]
fn missing_digests_come_before_the_vertex_count_and_validation() {
    // An unreachable dangling op fails the load even though the reachable op is invalid too:
    // re-digesting (all ops) comes before loading from the target.
    let base = alpine();
    let bad = exec_op(&d(&base), |e| e.meta = None);
    let missing = Digest::of(b"missing");
    let stray = exec(&missing, &["true"]);
    let bytes = definition(&[base, bad.clone(), stray.clone(), terminal(&d(&bad))]);
    assert_err(
        &load_err(&bytes),
        &format!("invalid missing input digest {missing}"),
        Some((2, &d(&stray))),
    );
}

#[test]
fn the_vertex_count_comes_before_the_terminal_check() {
    // One op with no inputs: both "1 vertexes" and "no inputs on last vertex" apply.
    let e = load_err(&definition(&[alpine()]));
    assert_err(&e, "invalid LLB with 1 vertexes", None);
}

#[test]
fn unreachable_invalid_ops_are_not_validated() {
    let base = alpine();
    let bad = exec_op(&d(&base), |e| e.meta = None);
    let ops = [base.clone(), bad, terminal(&d(&base))];
    let bytes = definition_with_metadata(&ops, &[(1, caps(&["foo.bar"]))]);
    let g = load(&bytes).expect("the invalid op is unreachable");
    assert_eq!(g.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 10. Ops that load.

#[test]
fn an_op_with_no_kind_loads_as_unknown() {
    let nothing = pb::Op {
        platform: Some(pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let g = load(&definition(&[nothing.clone(), terminal(&d(&nothing))])).expect("loads");
    assert_eq!(g.len(), 1);
    assert_eq!(g.vertices()[0].kind(), OpKind::Unknown);
    assert_eq!(g.vertices()[0].name, "unknown");

    // Even the completely empty op (zero bytes).
    let empty = pb::Op::default();
    assert!(encode_op(&empty).is_empty());
    let g = load(&definition(&[empty.clone(), terminal(&d(&empty))])).expect("loads");
    assert_eq!(g.vertices()[0].digest, Digest::of(b""));
    assert_eq!(g.vertices()[0].name, "unknown");
}

#[test]
fn every_kind_loads_with_its_derived_name() {
    let base = alpine();
    let b = d(&base);
    let e = exec(&b, &["/bin/sh", "-c", "echo hi"]);
    let f = mkdir(Some(&b), "/x");
    let m = merge(&[&d(&e), &d(&f)]);
    let df = diff(0, 1, &[&b, &d(&m)]);
    let p = passthrough("pt", &[0], &[&d(&df)]);
    let bytes = definition(&[
        base.clone(),
        e.clone(),
        f.clone(),
        m.clone(),
        df.clone(),
        p.clone(),
        terminal(&d(&p)),
    ]);
    let g = load(&bytes).expect("loads");
    assert_eq!(g.len(), 6);
    let name = |op: &pb::Op| vertex(&g, &d(op)).name.clone();
    let alpine_name = "docker-image://docker.io/library/alpine:latest";
    assert_eq!(name(&base), alpine_name);
    assert_eq!(name(&e), "/bin/sh -c echo hi");
    assert_eq!(name(&f), "mkdir /x");
    assert_eq!(name(&m), "merge (/bin/sh -c echo hi, mkdir /x)");
    assert_eq!(
        name(&df),
        format!("diff ({alpine_name}) -> (merge (/bin/sh -c echo hi, mkdir /x))")
    );
    assert_eq!(name(&p), "passthrough pt");
    // Load order is topological and starts from the target's deepest first input.
    assert_eq!(g.vertices()[0].llb_digest, b);
    assert_eq!(g.vertex(g.target().vertex).llb_digest, d(&p));
}

// ---------------------------------------------------------------------------------------------
// 11. Names from metadata.

#[test]
fn an_empty_custom_name_is_an_empty_name() {
    let base = alpine();
    let e = exec(&d(&base), &["sh", "-c", "x"]);
    let ops = [base, e.clone(), terminal(&d(&e))];
    let g = load(&definition_with_metadata(&ops, &[(1, custom_name(""))])).expect("loads");
    assert_eq!(vertex(&g, &d(&e)).name, "");
    let g = load(&definition_with_metadata(
        &ops,
        &[(1, custom_name("[1/2] RUN x"))],
    ))
    .expect("loads");
    assert_eq!(vertex(&g, &d(&e)).name, "[1/2] RUN x");
}

#[test]
fn merge_and_diff_names_use_their_inputs_display_names() {
    let a = alpine();
    let b = image("busybox:latest");
    // MergeOp order is reversed; the name follows Op.inputs.
    let mut m = merge(&[&d(&a), &d(&b)]);
    if let Some(pb::OpKind::Merge(mo)) = &mut m.op {
        mo.inputs.reverse();
    }
    let df = diff(1, -1, &[&d(&a), &d(&m)]);
    let ops = [
        a.clone(),
        b.clone(),
        m.clone(),
        df.clone(),
        terminal(&d(&df)),
    ];
    let bytes = definition_with_metadata(&ops, &[(0, custom_name("base")), (2, custom_name(""))]);
    let g = load(&bytes).expect("loads");
    assert_eq!(vertex(&g, &d(&m)).name, "", "custom name, even empty, wins");
    let bytes = definition_with_metadata(&ops, &[(0, custom_name("base"))]);
    let g = load(&bytes).expect("loads");
    let merge_name = "merge (base, docker-image://docker.io/library/busybox:latest)";
    assert_eq!(vertex(&g, &d(&m)).name, merge_name);
    assert_eq!(
        vertex(&g, &d(&df)).name,
        format!("diff ({merge_name}) -> scratch")
    );
    let bytes = definition_with_metadata(&ops, &[(0, custom_name("base")), (2, custom_name(""))]);
    let g = load(&bytes).expect("loads");
    assert_eq!(vertex(&g, &d(&df)).name, "diff () -> scratch");
}

// ---------------------------------------------------------------------------------------------
// 12. Non-canonical encodings are re-digested.

/// `op` encoded with its fields in plain field-number order: inputs, the oneof, platform,
/// constraints. BuildKit's marshaller (protobuf-go, deterministic) writes the oneof after
/// platform and constraints, so these bytes are not canonical.
fn reordered(op: &pb::Op) -> Vec<u8> {
    let only = |f: &dyn Fn(&mut pb::Op)| {
        let mut o = pb::Op::default();
        f(&mut o);
        encode_op(&o)
    };
    let mut out = only(&|o| o.inputs = op.inputs.clone());
    out.extend(only(&|o| o.op = op.op.clone()));
    out.extend(only(&|o| o.platform = op.platform.clone()));
    out.extend(only(&|o| o.constraints = op.constraints.clone()));
    out
}

#[test]
fn a_reordered_op_is_re_digested_and_its_consumers_follow() {
    let base = alpine();
    let odd = reordered(&base);
    assert_ne!(odd, encode_op(&base));
    assert_eq!(odd.len(), encode_op(&base).len());
    let odd_digest = Digest::of(&odd);
    let e = exec(&odd_digest, &["true"]);
    let t = terminal(&d(&e));
    let bytes = raw_definition(
        &[odd.clone(), encode_op(&e), encode_op(&t)],
        &[(odd_digest.clone(), custom_name("the base"))],
    );
    let g = load(&bytes).expect("loads");
    assert_eq!(g.len(), 2);

    let v = vertex(&g, &odd_digest);
    assert_eq!(v.digest, d(&base), "digest of the canonical bytes");
    assert_eq!(v.def_index, 0);
    assert_eq!(
        v.name, "the base",
        "metadata stays keyed by the original digest"
    );

    // The consumer's input is rewritten, so it gets a new digest too: the one it would have
    // had if it had been built on the canonical op in the first place.
    let c = vertex(&g, &d(&e));
    assert_eq!(c.op.inputs[0].digest, d(&base).to_string());
    assert_eq!(c.digest, d(&exec(&d(&base), &["true"])));
    assert_ne!(c.digest, c.llb_digest);
    assert_eq!(g.vertex(c.inputs[0].vertex).digest, d(&base));
    assert_eq!(g.vertex(g.target().vertex).digest, c.digest);
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("op 0 is not canonically encoded")),
        "{:?}",
        g.notes
    );
}

#[test]
fn an_unsorted_map_is_re_digested() {
    // SourceOp{identifier, attrs: {"b": "1", "a": "2"}} with entries in written order b, a.
    let entry = |k: &str, v: &str| {
        let mut e = Vec::new();
        wire::len_field(&mut e, 1, k.as_bytes());
        wire::len_field(&mut e, 2, v.as_bytes());
        e
    };
    let mut src = Vec::new();
    wire::len_field(&mut src, 1, b"local://context");
    wire::len_field(&mut src, 2, &entry("b", "1"));
    wire::len_field(&mut src, 2, &entry("a", "2"));
    let mut odd = Vec::new();
    wire::len_field(&mut odd, 3, &src);

    let mut canonical_op = source("local://context");
    if let Some(pb::OpKind::Source(s)) = &mut canonical_op.op {
        s.attrs.insert("b".into(), "1".into());
        s.attrs.insert("a".into(), "2".into());
    }
    let canonical = encode_op(&canonical_op);
    assert_ne!(odd, canonical);
    assert_eq!(odd.len(), canonical.len());

    let t = terminal(&Digest::of(&odd));
    let g = load(&raw_definition(&[odd.clone(), encode_op(&t)], &[])).expect("loads");
    let v = &g.vertices()[0];
    assert_eq!(v.digest, Digest::of(&canonical));
    assert_eq!(v.llb_digest, Digest::of(&odd));
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("not canonically encoded")),
        "{:?}",
        g.notes
    );
}

#[test]
fn a_canonical_and_a_non_canonical_copy_collapse() {
    // The same op twice, once canonical and once reordered: after re-digesting they are one op.
    let base = alpine();
    let bytes = raw_definition(&[reordered(&base), encode_op(&base)], &[]);
    assert_err(&load_err(&bytes), "invalid LLB with 1 vertexes", None);
}

#[test]
fn a_canonical_definition_is_left_alone() {
    let g = load(&testutil::chain(3)).expect("loads");
    assert!(g.vertices().iter().all(|v| v.digest == v.llb_digest));
    assert!(g.notes.is_empty(), "{:?}", g.notes);
}

/// BuildKit re-marshals every op (73ed6825 `recomputeDigests`), so an op that spells out a
/// zero-valued field (`index: 0` written explicitly) gets the digest of its canonical bytes.
/// llbsim keeps the original digest whenever the canonical bytes are *shorter* (it takes that
/// for unknown fields it could not re-encode), so this op keeps a digest BuildKit would change.
#[test]

fn an_explicit_zero_field_is_re_digested() {
    let base = alpine();
    let e = exec(&d(&base), &["true"]);
    // The exec op with its input's index written out as an explicit 0 (two bytes that the
    // canonical encoding leaves out), then the rest of the op as usual.
    let mut inp = Vec::new();
    wire::len_field(&mut inp, 1, d(&base).as_str().as_bytes());
    wire::varint_field(&mut inp, 2, 0);
    let mut odd = Vec::new();
    wire::len_field(&mut odd, 1, &inp);
    odd.extend_from_slice(&encode_op(&pb::Op {
        inputs: vec![],
        ..e.clone()
    }));
    let canonical = encode_op(&e);
    assert_eq!(odd.len(), canonical.len() + 2);
    let t = terminal(&Digest::of(&odd));
    let g = load(&raw_definition(
        &[encode_op(&base), odd.clone(), encode_op(&t)],
        &[],
    ))
    .expect("loads");
    let v = vertex(&g, &Digest::of(&odd));
    assert_eq!(
        v.digest,
        Digest::of(&canonical),
        "BuildKit: sha256 of the re-marshalled op"
    );
}

/// `exec` on `root` whose first arg is the bytes `ab\xff` (not UTF-8), encoded by hand: the
/// canonical encoding with the arg's bytes patched.
fn exec_with_invalid_utf8(root: &Digest) -> Vec<u8> {
    let mut bytes = encode_op(&exec(root, &["ab~", "x"]));
    let at = bytes
        .windows(3)
        .position(|w| w == b"ab~")
        .expect("arg bytes");
    bytes[at + 2] = 0xff;
    bytes
}

/// vtprotobuf's `UnmarshalVT` (what `loadLLB` parses ops with) does not check UTF-8, so an op
/// with a non-UTF-8 string parses. It then fails in `recomputeDigests`, whose
/// `proto.MarshalOptions{Deterministic: true}.Marshal` refuses it with protobuf-go's
/// `string field contains invalid UTF-8` (unwrapped). llbsim decodes ops with prost, which
/// refuses them at parse time: `failed to parse llb proto op: …`.
#[test]

fn invalid_utf8_in_a_string_fails_in_re_digesting() {
    let base = alpine();
    let bad = exec_with_invalid_utf8(&d(&base));
    let t = terminal(&Digest::of(&bad));
    let e = load_err(&raw_definition(
        &[encode_op(&base), bad.clone(), encode_op(&t)],
        &[],
    ));
    assert_eq!(e.to_string(), "string field contains invalid UTF-8");
    assert_eq!(e.op, Some((1, Digest::of(&bad))));
}

/// Same cause, seen in the order of checks: BuildKit parses and checks input indexes of every op
/// before it re-digests any, so a negative index in a later op is reported, not the bad string.
#[test]

fn a_negative_index_after_invalid_utf8_is_reported_first() {
    let base = alpine();
    let bad = exec_with_invalid_utf8(&d(&base));
    let mut negative = exec(&d(&base), &["true"]);
    negative.inputs[0].index = -1;
    let bytes = raw_definition(&[encode_op(&base), bad, encode_op(&negative)], &[]);
    assert_err(
        &load_err(&bytes),
        "invalid input 0 output index -1",
        Some((2, &d(&negative))),
    );
}

// ---------------------------------------------------------------------------------------------
// 13. Depth: nothing in the loader or in `inspect` recurses.

const CHAIN: usize = 100_000;
/// A quarter of the smallest default thread stack anyone uses (wasm32's 1 MiB).
const SMALL_STACK: usize = 256 * 1024;

/// Runs `f` on a thread with a [`SMALL_STACK`]. A stack overflow aborts the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the small-stack thread panicked")
}

fn check_chain(g: &Graph) {
    assert_eq!(g.len(), CHAIN + 1);
    assert_eq!(g.edge_count(), CHAIN);
    // Load order is inputs first: the base image, then chain-0, chain-1, …
    let v = g.vertices();
    assert_eq!(v[0].kind(), OpKind::Source);
    assert_eq!(v[1].name, "sh -c echo chain-0");
    assert_eq!(v[CHAIN].name, format!("sh -c echo chain-{}", CHAIN - 1));
    assert!(v
        .iter()
        .skip(1)
        .enumerate()
        .all(|(i, x)| x.inputs.len() == 1 && x.inputs[0].vertex.index() == i));
    assert_eq!(g.target().vertex.index(), CHAIN);

    let s = llbsim::inspect::summary(g);
    assert_eq!(s.vertices.len(), CHAIN + 1);
    assert_eq!(s.edges, CHAIN);
    assert_eq!(s.kinds.get("exec"), Some(&CHAIN));
    assert_eq!(s.kinds.get("source"), Some(&1));
    let dot = llbsim::inspect::dot(g);
    assert_eq!(dot.lines().filter(|l| l.contains(" -> ")).count(), CHAIN);
    assert_eq!(
        dot.lines().filter(|l| l.contains("[label=")).count(),
        2 * CHAIN + 1
    );
    let text = llbsim::inspect::text(g);
    assert!(text.contains(&format!("vertices: {}", CHAIN + 1)), "{text}");
}

#[test]
fn a_100k_op_chain_loads_on_a_small_stack() {
    let bytes = testutil::chain(CHAIN);
    on_small_stack(move || {
        let g = load(&bytes).expect("loads");
        check_chain(&g);
        assert!(g.notes.is_empty(), "{:?}", g.notes);
    });
}

#[test]
fn a_100k_op_chain_loads_from_dump_llb_json_on_a_small_stack() {
    // The same chain as `buildctl debug dump-llb` prints it, one record per line.
    let mut json = String::new();
    let base = image("busybox:latest");
    let mut last = d(&base);
    json.push_str(&format!(
        r#"{{"Op":{{"Op":{{"source":{{"identifier":"docker-image://docker.io/library/busybox:latest"}}}},"platform":{{"Architecture":"amd64","OS":"linux"}},"constraints":{{}}}},"Digest":"{last}","OpMetadata":null}}"#
    ));
    json.push('\n');
    for i in 0..CHAIN {
        let op = exec(&last, &["sh", "-c", &format!("echo chain-{i}")]);
        let digest = d(&op);
        json.push_str(&format!(
            r#"{{"Op":{{"inputs":[{{"digest":"{last}"}}],"Op":{{"exec":{{"meta":{{"args":["sh","-c","echo chain-{i}"],"cwd":"/"}},"mounts":[{{"dest":"/"}}]}}}},"platform":{{"Architecture":"amd64","OS":"linux"}},"constraints":{{}}}},"Digest":"{digest}","OpMetadata":null}}"#
        ));
        json.push('\n');
        last = digest;
    }
    json.push_str(&format!(
        r#"{{"Op":{{"inputs":[{{"digest":"{last}"}}]}},"Digest":"{}","OpMetadata":null}}"#,
        d(&terminal(&last))
    ));
    on_small_stack(move || {
        let g = load(json.as_bytes()).expect("loads");
        assert_eq!(g.format, llbsim::Format::DumpLlb);
        check_chain(&g);
        assert!(
            g.notes.is_empty(),
            "every digest reproduces: {:?}",
            &g.notes[..g.notes.len().min(3)]
        );
    });
}
