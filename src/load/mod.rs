//! BuildKit's loader (`llbsolver.Load`): from a [`Definition`] to a [`Graph`], with the same
//! rules, in the same order, failing with the same messages (facts §2).
//!
//! 1. an empty `def` is `invalid empty definition`;
//! 2. every op must parse and have no negative input index, in `def` order;
//! 3. every op is re-digested from its canonical encoding, inputs first (a missing input digest
//!    fails here, reachable or not);
//! 4. fewer than two distinct ops is `invalid LLB with <n> vertexes`;
//! 5. the last op is the terminal: it is dropped, and its first input is the target;
//! 6. from the target, depth first: each op is validated before its inputs, then the load
//!    options run (entitlements, capabilities), then its name is computed (merge and diff names
//!    load their inputs first), then its inputs load in order.
//!
//! Nothing here recurses: deep chains (100,000 ops) load on any stack, in wasm too.

mod caps;
mod name;
mod validate;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::error::{LoadError, LoadErrorKind};
use crate::graph::{Graph, Target, Vertex, VertexId, VertexInput};
use crate::llb::{encode_op, has_unknown_fields, pb, Definition, Digest, Format, OpDecodeError};

pub use caps::{is_known as is_known_cap, KNOWN_CAPS};
pub use name::display_name;

/// Entitlements the build was granted (`buildctl build --allow …`). BuildKit grants none by
/// default, so an exec with host networking or `security.insecure` fails to load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entitlements {
    /// `network.host`.
    pub network_host: bool,
    /// `security.insecure`.
    pub security_insecure: bool,
}

/// Options for [`load`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Granted entitlements.
    pub entitlements: Entitlements,
}

/// Loads `def` the way BuildKit's solver does. `format` is recorded on the graph.
pub fn load(def: &Definition, format: Format, opts: &LoadOptions) -> Result<Graph, LoadError> {
    if def.ops.is_empty() {
        return Err(LoadError::new(LoadErrorKind::EmptyDefinition));
    }

    // Step 2: parse each op, check input indexes, index by original digest (last one wins).
    // An op whose only fault is a non-UTF-8 string parses here, as in BuildKit, and fails when
    // it is re-marshalled in step 5.
    let mut ops: Vec<Cow<'_, pb::Op>> = Vec::with_capacity(def.ops.len());
    let mut invalid_utf8: HashSet<usize> = HashSet::new();
    let mut by_digest: HashMap<&Digest, usize> = HashMap::with_capacity(def.ops.len());
    let mut order: Vec<&Digest> = Vec::with_capacity(def.ops.len());
    for (i, d) in def.ops.iter().enumerate() {
        let op = match &d.op {
            Ok(op) => Cow::Borrowed(op),
            Err(OpDecodeError::Malformed(e)) => {
                return Err(LoadError::at(
                    LoadErrorKind::ParseOp(e.clone()),
                    i,
                    &d.digest,
                ));
            }
            Err(OpDecodeError::InvalidUtf8 { inputs }) => {
                invalid_utf8.insert(i);
                Cow::Owned(pb::Op {
                    inputs: inputs.clone(),
                    ..Default::default()
                })
            }
        };
        for (pos, input) in op.inputs.iter().enumerate() {
            if input.index < 0 {
                let kind = LoadErrorKind::NegativeInputIndex {
                    input: pos,
                    index: input.index,
                };
                return Err(LoadError::at(kind, i, &d.digest));
            }
        }
        ops.push(op);
        if by_digest.insert(&d.digest, i).is_none() {
            order.push(&d.digest);
        }
    }
    let mut notes = def.notes.clone();

    // Step 5: re-digest.
    let redigested = redigest(def, &ops, &invalid_utf8, &by_digest, &order, &mut notes)?;

    // Step 6.
    if redigested.ops.len() < 2 {
        return Err(LoadError::new(LoadErrorKind::TooFewVertexes(
            redigested.ops.len(),
        )));
    }

    // Step 7–8: the terminal.
    let Some(last_old) = def.ops.last().map(|d| &d.digest) else {
        return Err(LoadError::new(LoadErrorKind::EmptyDefinition));
    };
    let last_new = redigested
        .new_digest
        .get(last_old)
        .cloned()
        .unwrap_or_else(|| last_old.clone());
    let mut all = redigested.ops;
    let Some((last_index, last_op)) = all.remove(&last_new) else {
        return Err(LoadError::new(LoadErrorKind::MissingInputDigest(last_new)));
    };
    let Some(first) = last_op.inputs.first() else {
        return Err(LoadError::at(
            LoadErrorKind::NoInputsOnLastVertex,
            last_index,
            &last_new,
        ));
    };
    let target_digest = Digest::from_raw(first.digest.clone());
    let target_index = first.index;

    // Step 9: depth-first load from the target.
    let vertices = build_vertices(def, &all, &target_digest, last_index, opts)?;
    let unreachable = all.len() - vertices.len();
    if unreachable > 0 {
        notes.push(format!(
            "{unreachable} op(s) are not reachable from the target; BuildKit ignores them"
        ));
    }
    let target_vertex = vertices
        .iter()
        .position(|v| v.digest == target_digest)
        .map(|i| VertexId(i as u32))
        .ok_or_else(|| LoadError::new(LoadErrorKind::MissingInputDigest(target_digest.clone())))?;
    let target = Target {
        vertex: target_vertex,
        index: target_index,
    };
    Ok(Graph::new(
        vertices,
        target,
        format,
        def.source.clone(),
        notes,
    ))
}

struct Redigested {
    /// Old digest → new digest.
    new_digest: HashMap<Digest, Digest>,
    /// New digest → (def index, op with rewritten inputs).
    ops: HashMap<Digest, (usize, pb::Op)>,
}

/// BuildKit's `recomputeDigests`, iteratively: each op's digest becomes the sha256 of its
/// canonical encoding with its inputs' new digests. Canonical ops keep their digest.
fn redigest(
    def: &Definition,
    ops: &[Cow<'_, pb::Op>],
    invalid_utf8: &HashSet<usize>,
    by_digest: &HashMap<&Digest, usize>,
    order: &[&Digest],
    notes: &mut Vec<String>,
) -> Result<Redigested, LoadError> {
    let mut out = Redigested {
        new_digest: HashMap::with_capacity(order.len()),
        ops: HashMap::with_capacity(order.len()),
    };
    let mut on_stack: HashSet<&Digest> = HashSet::new();
    let mut stack: Vec<(usize, usize)> = Vec::new(); // (def index, next input)
    for &start in order {
        if out.new_digest.contains_key(start) {
            continue;
        }
        stack.push((by_digest[start], 0));
        on_stack.insert(start);
        while let Some(&mut (idx, ref mut next)) = stack.last_mut() {
            let op: &pb::Op = &ops[idx];
            if let Some(input) = op.inputs.get(*next) {
                *next += 1;
                let d = Digest::from_raw(input.digest.clone());
                if out.new_digest.contains_key(&d) {
                    continue;
                }
                let Some((&key, &child)) = by_digest.get_key_value(&d) else {
                    let kind = LoadErrorKind::MissingInputDigest(d);
                    return Err(LoadError::at(kind, idx, &def.ops[idx].digest));
                };
                if !on_stack.insert(key) {
                    return Err(LoadError::at(
                        LoadErrorKind::Cycle(d),
                        idx,
                        &def.ops[idx].digest,
                    ));
                }
                stack.push((child, 0));
                continue;
            }
            stack.pop();
            let old = &def.ops[idx].digest;
            on_stack.remove(old);
            if invalid_utf8.contains(&idx) {
                return Err(LoadError::at(LoadErrorKind::InvalidUtf8, idx, old));
            }
            let (new, op) = recompute(def, idx, op, &out.new_digest, notes);
            out.new_digest.insert(old.clone(), new.clone());
            out.ops.insert(new, (idx, op));
        }
    }
    Ok(out)
}

/// The new digest of op `idx` given its inputs' new digests, and the op with rewritten inputs.
fn recompute(
    def: &Definition,
    idx: usize,
    op: &pb::Op,
    new_digest: &HashMap<Digest, Digest>,
    notes: &mut Vec<String>,
) -> (Digest, pb::Op) {
    let d = &def.ops[idx];
    let mut rewritten = op.clone();
    let mut changed = false;
    for input in &mut rewritten.inputs {
        if let Some(n) = new_digest.get(&Digest::from_raw(input.digest.clone())) {
            if n.as_str() != input.digest {
                input.digest = n.as_str().to_string();
                changed = true;
            }
        }
    }
    if d.pinned {
        return (d.digest.clone(), rewritten);
    }
    let canonical = encode_op(&rewritten);
    if !changed && canonical == d.bytes {
        return (d.digest.clone(), rewritten);
    }
    if has_unknown_fields(&d.bytes) {
        if !changed {
            notes.push(format!(
                "op {idx} ({}) has fields llbsim does not know (a newer BuildKit?); its digest is kept",
                d.digest
            ));
            return (d.digest.clone(), rewritten);
        }
        notes.push(format!(
            "op {idx} ({}) has fields llbsim does not know and its inputs were re-digested; \
             BuildKit would keep those fields in its new digest, llbsim cannot",
            d.digest
        ));
    }
    let new = Digest::of(&canonical);
    if !changed {
        notes.push(format!(
            "op {idx} is not canonically encoded; BuildKit re-digests it from {} to {new}",
            d.digest
        ));
    }
    (new, rewritten)
}

/// What remains to do for a vertex on the load stack.
enum Step {
    /// Load this input digest (validating it first if it is new).
    Visit(Digest),
    /// Fail: the name computation found a bad diff side.
    Fail(LoadErrorKind),
}

struct Frame {
    digest: Digest,
    def_index: usize,
    steps: std::vec::IntoIter<Step>,
}

fn build_vertices(
    def: &Definition,
    all: &HashMap<Digest, (usize, pb::Op)>,
    target: &Digest,
    terminal_index: usize,
    opts: &LoadOptions,
) -> Result<Vec<Vertex>, LoadError> {
    let mut vertices: Vec<Vertex> = Vec::new();
    let mut loaded: HashMap<Digest, VertexId> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_progress: HashSet<Digest> = HashSet::new();

    // Starts loading `digest` (referenced by def index `from`): validates and queues its inputs.
    let open = |digest: &Digest,
                from: usize,
                stack: &mut Vec<Frame>,
                in_progress: &mut HashSet<Digest>| {
        let Some((idx, op)) = all.get(digest) else {
            let from_digest = &def.ops[from].digest;
            return Err(LoadError::at(
                LoadErrorKind::MissingInputDigest(digest.clone()),
                from,
                from_digest,
            ));
        };
        if !in_progress.insert(digest.clone()) {
            return Err(LoadError::at(
                LoadErrorKind::Cycle(digest.clone()),
                *idx,
                digest,
            ));
        }
        let metadata = def.metadata_for(&def.ops[*idx].digest);
        validate::validate(op).map_err(|k| LoadError::at(k, *idx, digest))?;
        validate::load_options(op, metadata, opts).map_err(|k| LoadError::at(k, *idx, digest))?;
        stack.push(Frame {
            digest: digest.clone(),
            def_index: *idx,
            steps: steps_for(op).into_iter(),
        });
        Ok(())
    };

    open(target, terminal_index, &mut stack, &mut in_progress)?;
    while let Some(frame) = stack.last_mut() {
        match frame.steps.next() {
            Some(Step::Visit(d)) => {
                if loaded.contains_key(&d) {
                    continue;
                }
                let from = frame.def_index;
                open(&d, from, &mut stack, &mut in_progress)?;
            }
            Some(Step::Fail(kind)) => {
                return Err(LoadError::at(kind, frame.def_index, &frame.digest));
            }
            None => {
                let Some(frame) = stack.pop() else { break };
                let Some((idx, op)) = all.get(&frame.digest) else {
                    break;
                };
                let mut inputs = Vec::with_capacity(op.inputs.len());
                for input in &op.inputs {
                    let d = Digest::from_raw(input.digest.clone());
                    let Some(&vid) = loaded.get(&d) else {
                        return Err(LoadError::at(
                            LoadErrorKind::MissingInputDigest(d),
                            *idx,
                            &frame.digest,
                        ));
                    };
                    inputs.push(VertexInput {
                        vertex: vid,
                        index: input.index,
                    });
                }
                let llb_digest = def.ops[*idx].digest.clone();
                let metadata = def.metadata_for(&llb_digest).cloned().unwrap_or_default();
                let name = display_name(op, &metadata, |pos| {
                    inputs
                        .get(pos)
                        .map(|i| vertices[i.vertex.index()].name.as_str())
                });
                let id = VertexId(vertices.len() as u32);
                in_progress.remove(&frame.digest);
                loaded.insert(frame.digest.clone(), id);
                vertices.push(Vertex {
                    digest: frame.digest,
                    llb_digest,
                    def_index: *idx,
                    name,
                    op: op.clone(),
                    metadata,
                    inputs,
                });
            }
        }
    }
    Ok(vertices)
}

/// The order in which BuildKit's `newVertex` loads an op's inputs: the name computation first
/// (merge: every input; diff: the lower side, then the upper side, each checked), then every
/// input in order (already loaded ones are skipped).
fn steps_for(op: &pb::Op) -> Vec<Step> {
    let visit = |pos: usize| Step::Visit(Digest::from_raw(op.inputs[pos].digest.clone()));
    let mut steps = Vec::with_capacity(op.inputs.len() + 2);
    if let Some(pb::OpKind::Diff(diff)) = &op.op {
        let sides = [
            diff.lower.as_ref().map(|l| l.input),
            diff.upper.as_ref().map(|u| u.input),
        ];
        for side in sides.into_iter().flatten() {
            if side == -1 {
                continue;
            }
            match usize::try_from(side).ok().filter(|&s| s < op.inputs.len()) {
                Some(pos) => steps.push(visit(pos)),
                None => {
                    steps.push(Step::Fail(LoadErrorKind::InvalidDiffInputIndex(side)));
                    return steps;
                }
            }
        }
    }
    steps.extend((0..op.inputs.len()).map(visit));
    steps
}
