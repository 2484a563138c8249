//! Two builds compared: what changed between definition A and definition B, which changes are
//! root causes and what each one invalidates, and what the solver re-runs when B is built right
//! after A.
//!
//! * [`align`]: which A vertex each B vertex is (digest, source location, step name, position).
//! * [`fields`]: the field-level differences of a changed pair.
//! * Root causes and cascade (here): a changed vertex is a root cause when its own fields
//!   changed (a custom name is reported but is not such a field: it is metadata, outside the
//!   digest); one whose only change is an input's identity is a consequence, listed under the
//!   root causes that reach it. An added vertex is a root cause when none of its ancestors is
//!   changed or added (a new step on an unchanged base), else a consequence of the root causes
//!   upstream. A changed vertex with no field difference we can name and no changed or added
//!   input still is a root cause, with the change `op digest` (so the rule "a changed vertex whose
//!   inputs are all unchanged is a root cause" holds whatever the op kind).
//! * The prediction ([`predict`]): A, then B on the same solver, as `llbsim solve A --then B`;
//!   what happened to each B vertex is read from the solver's own account ([`crate::explain`]).
//! * [`text`]: the terminal rendering, root causes first.

pub mod align;
pub mod fields;
mod text;

use std::collections::BTreeSet;

pub use align::{align, Alignment, PairedBy};
pub use fields::Change;
pub use text::render;

use crate::explain;
use crate::graph::{Graph, VertexId};
use crate::llb::Digest;
use crate::progress::summary::Outcome;
use crate::solver::{JobOptions, Solver, StubOps, Variant};

/// What a B vertex is relative to A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The same digest is in A.
    Unchanged,
    /// Paired with an A vertex of another digest.
    Changed,
    /// No A vertex pairs with it.
    Added,
}

/// One vertex of B, compared.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VertexDiff {
    /// B's digest.
    pub digest: Digest,
    /// B's display name.
    pub name: String,
    /// Op kind.
    pub kind: &'static str,
    /// Unchanged, changed or added.
    pub status: Status,
    /// The A vertex it is paired with (`None` when added).
    pub was: Option<Digest>,
    /// How the pair was found.
    pub paired_by: Option<PairedBy>,
    /// B's Dockerfile location (`Dockerfile:12`), from the source map.
    pub location: Option<String>,
    /// The Dockerfile lines behind it (B's text), from the source map.
    pub lines: Vec<String>,
    /// A's Dockerfile location of the paired vertex.
    pub was_location: Option<String>,
    /// Whether the vertex is a root cause.
    pub root_cause: bool,
    /// Its own field differences (empty for a consequence).
    pub changes: Vec<Change>,
    /// The root causes (B digests) upstream of it, for a changed or added vertex.
    pub because: Vec<Digest>,
    /// For a root cause: how many other changed or added vertices it reaches.
    pub invalidates: usize,
    /// Whether the rebuild executed it.
    pub reruns: bool,
    /// What happened to it in the rebuild.
    pub outcome: Outcome,
    /// It re-ran only because inputs re-ran, and each of those feeds a content-based key in its
    /// cache map: it re-runs unless their content came out identical (BuildKit's real cache maps,
    /// the default variant; never for a root cause, whose own cache map changed).
    pub content_dependent: bool,
}

/// Two builds compared.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// The op model the prediction used.
    pub variant: Variant,
    /// Every B vertex, in B's load order.
    pub vertices: Vec<VertexDiff>,
    /// A vertices no B vertex pairs with.
    pub removed: Vec<Digest>,
    /// Names of [`Comparison::removed`], same order.
    pub removed_names: Vec<String>,
    /// Root causes (B digests), in B's load order.
    pub root_causes: Vec<Digest>,
    /// B vertices the rebuild executed, in B's load order.
    pub reruns: Vec<Digest>,
    /// B vertices the rebuild loaded from the cache.
    pub loaded: Vec<Digest>,
    /// B vertices marked CACHED without running or loading.
    pub cached: Vec<Digest>,
}

/// What the rebuild did to each B vertex: outcome and whether it is content-dependent.
pub fn predict(a: &Graph, b: &Graph, variant: Variant) -> Vec<(Outcome, bool)> {
    let mut solver = Solver::new(StubOps::new(variant), 0);
    solver.submit("A", a, JobOptions::default(), 0);
    solver.run();
    let now = solver.now();
    let job = solver.submit("B", b, JobOptions::default(), now);
    solver.run();
    let anatomy = explain::explain(&solver, job);
    let ran: BTreeSet<&Digest> = anatomy
        .iter()
        .filter(|v| v.outcome == Outcome::Ran)
        .map(|v| &v.digest)
        .collect();
    let by_digest: std::collections::BTreeMap<&Digest, &explain::VertexAnatomy> =
        anatomy.iter().map(|x| (&x.digest, x)).collect();
    b.vertices()
        .iter()
        .map(|v| match by_digest.get(&v.digest) {
            None => (Outcome::NotStarted, false),
            Some(x) => {
                // Every input that re-ran feeds a content-based key: if their files came out the
                // same, the keys are the old ones.
                let mut rerun_inputs = x.cache_map.deps.iter().filter(|d| ran.contains(&d.input));
                let content = x.outcome == Outcome::Ran
                    && x.cache_map.deps.iter().any(|d| ran.contains(&d.input))
                    && rerun_inputs.all(|d| d.content);
                (x.outcome, content)
            }
        })
        .collect()
}

/// Compares B to A and predicts the rebuild with `variant`.
pub fn compare(a: &Graph, b: &Graph, variant: Variant) -> Comparison {
    let al = align(a, b);
    let n = b.len();
    let mut status = Vec::with_capacity(n);
    let mut changes: Vec<Vec<Change>> = Vec::with_capacity(n);
    for (i, v) in b.vertices().iter().enumerate() {
        let id = VertexId(i as u32);
        match al.pair[i] {
            Some((_, PairedBy::Digest)) => {
                status.push(Status::Unchanged);
                changes.push(Vec::new());
            }
            Some((was, _)) => {
                status.push(Status::Changed);
                let mut c = fields::diff(a, was, b, id, &al);
                let dirty_input = v
                    .inputs
                    .iter()
                    .any(|x| status.get(x.vertex.index()) != Some(&Status::Unchanged));
                if c.iter().all(|c| c.field == fields::CUSTOM_NAME) && !dirty_input {
                    c.push(Change {
                        field: "op digest".into(),
                        old: Some(a.vertex(was).digest.to_string()),
                        new: Some(v.digest.to_string()),
                        declared: None,
                    });
                }
                for ch in &mut c {
                    if let Some(var) = ch.field.strip_prefix("env ") {
                        ch.declared =
                            align::declaration(b, id, var).map(|(at, l)| format!("{at}: {l}"));
                    }
                }
                changes.push(c);
            }
            None => {
                status.push(Status::Added);
                changes.push(Vec::new());
            }
        }
    }
    // Root causes and the root causes reaching each vertex (load order is topological).
    let mut dirty_anc = vec![false; n];
    let mut root = vec![false; n];
    let mut reach: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); n];
    for (i, v) in b.vertices().iter().enumerate() {
        let mut r = BTreeSet::new();
        let mut dirty = false;
        for x in &v.inputs {
            let j = x.vertex.index();
            dirty |= dirty_anc[j] || status[j] != Status::Unchanged;
            r.extend(reach[j].iter().copied());
            if root[j] {
                r.insert(j as u32);
            }
        }
        dirty_anc[i] = dirty;
        root[i] = match status[i] {
            Status::Unchanged => false,
            Status::Changed => changes[i].iter().any(|c| c.field != fields::CUSTOM_NAME),
            Status::Added => !dirty,
        };
        reach[i] = r;
    }
    let mut invalidates = vec![0usize; n];
    for (i, r) in reach.iter().enumerate() {
        if status[i] != Status::Unchanged {
            for &j in r {
                invalidates[j as usize] += 1;
            }
        }
    }
    let prediction = predict(a, b, variant);
    let mut vertices = Vec::with_capacity(n);
    for (i, v) in b.vertices().iter().enumerate() {
        let id = VertexId(i as u32);
        let (outcome, content_dependent) = prediction
            .get(i)
            .copied()
            .unwrap_or((Outcome::NotStarted, false));
        let was = al.pair[i].map(|(w, _)| w);
        vertices.push(VertexDiff {
            digest: v.digest.clone(),
            name: v.name.clone(),
            kind: v.kind().as_str(),
            status: status[i],
            was: was.map(|w| a.vertex(w).digest.clone()),
            paired_by: al.pair[i].map(|(_, p)| p),
            location: align::location(b, id),
            lines: align::source_lines(b, id),
            was_location: was.and_then(|w| align::location(a, w)),
            root_cause: root[i],
            changes: std::mem::take(&mut changes[i]),
            because: if status[i] == Status::Unchanged {
                Vec::new()
            } else {
                reach[i]
                    .iter()
                    .map(|&j| b.vertex(VertexId(j)).digest.clone())
                    .collect()
            },
            invalidates: invalidates[i],
            reruns: outcome == Outcome::Ran,
            outcome,
            // A root cause's own cache map changed: it re-runs for certain.
            content_dependent: content_dependent && !root[i] && status[i] == Status::Changed,
        });
    }
    let pick = |f: &dyn Fn(&VertexDiff) -> bool| -> Vec<Digest> {
        vertices
            .iter()
            .filter(|v| f(v))
            .map(|v| v.digest.clone())
            .collect()
    };
    let root_causes = pick(&|v| v.root_cause);
    let reruns = pick(&|v| v.reruns);
    let loaded = pick(&|v| v.outcome == Outcome::Loaded);
    let cached = pick(&|v| v.outcome == Outcome::CachedWithoutRunning);
    let removed_ids: Vec<usize> = (0..a.len()).filter(|&j| !al.taken[j]).collect();
    Comparison {
        variant,
        removed: removed_ids
            .iter()
            .map(|&j| a.vertex(VertexId(j as u32)).digest.clone())
            .collect(),
        removed_names: removed_ids
            .iter()
            .map(|&j| a.vertex(VertexId(j as u32)).name.clone())
            .collect(),
        vertices,
        root_causes,
        reruns,
        loaded,
        cached,
    }
}
