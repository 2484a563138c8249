//! The scenario rules of the oracle traces (`../shared/oracle/README.md` §3.2): which vertex
//! fails, which one runs long, which unrelated one runs beside it, which source changes, and the
//! changed definition itself. Deterministic functions of the loaded graph, so a simulated run can
//! be compared with what real BuildKit reported for the same definition.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::{Graph, OpKind, VertexId};
use crate::llb::{encode_op, pb, DefOp, Definition, Digest};

/// The attribute the oracle adds to the mutated source.
pub const MUTATION_ATTR: (&str, &str) = ("oracle.mutated", "1");

/// The fail vertex (and the long vertex of the cancel phases): the first non-source vertex in
/// definition order whose depth is `ceil(max depth / 2)`.
pub fn fail_vertex(graph: &Graph) -> Option<VertexId> {
    let depths = graph.depths();
    let max = depths.iter().copied().max()?;
    let want = max.div_ceil(2);
    (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| graph.vertex(id).kind() != OpKind::Source && depths[id.index()] == want)
        .min_by_key(|&id| graph.vertex(id).def_index)
}

/// The long sibling of `d_fail_longsib`: a non-source vertex that is neither an ancestor nor a
/// descendant of `fail`; the lowest depth wins, then the earliest in definition order.
pub fn long_sibling(graph: &Graph, fail: VertexId) -> Option<VertexId> {
    let depths = graph.depths();
    let ancestors = graph.ancestors(fail);
    let descendants = graph.descendants(fail);
    (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| {
            id != fail
                && graph.vertex(id).kind() != OpKind::Source
                && !ancestors[id.index()]
                && !descendants[id.index()]
        })
        .min_by_key(|&id| (depths[id.index()], graph.vertex(id).def_index))
}

/// The source the mutated phases change: among source vertices with at least one descendant,
/// sorted by (descendant count, digest), the one at index `len / 2`.
pub fn mutated_source(graph: &Graph) -> Option<VertexId> {
    let mut sources: Vec<(usize, &Digest, VertexId)> = (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| graph.vertex(id).kind() == OpKind::Source)
        .map(|id| {
            let n = graph.descendants(id).iter().filter(|&&d| d).count();
            (n, &graph.vertex(id).digest, id)
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    sources.sort();
    sources.get(sources.len() / 2).map(|&(_, _, id)| id)
}

/// A definition with one source changed.
#[derive(Clone, Debug)]
pub struct Mutation {
    /// The new definition (ops re-encoded, metadata and source locations moved to new digests).
    pub definition: Definition,
    /// Old digest → new digest, for every op whose digest changed.
    pub digest_map: BTreeMap<Digest, Digest>,
}

/// Adds `attr` to the source op with `digest` and re-digests every op in definition order
/// (each op's inputs are rewritten to their new digests first). `None` when an op of `def` did
/// not decode or `digest` is not a source op of it.
pub fn mutate_source(def: &Definition, digest: &Digest, attr: (&str, &str)) -> Option<Mutation> {
    change_source(def, digest, |src| {
        src.attrs.insert(attr.0.to_string(), attr.1.to_string());
    })
}

/// Changes the source op with `digest` by `change` and re-digests every op in definition order,
/// as [`mutate_source`] does.
pub fn change_source(
    def: &Definition,
    digest: &Digest,
    change: impl FnOnce(&mut pb::SourceOp),
) -> Option<Mutation> {
    let mut change = Some(change);
    let mut digest_map: BTreeMap<Digest, Digest> = BTreeMap::new();
    let mut ops = Vec::with_capacity(def.ops.len());
    let mut found = false;
    for d in &def.ops {
        let mut op: pb::Op = d.op.as_ref().ok()?.clone();
        for input in &mut op.inputs {
            if let Some(new) = digest_map.get(&Digest::from_raw(input.digest.clone())) {
                input.digest = new.to_string();
            }
        }
        if &d.digest == digest {
            let Some(pb::OpKind::Source(src)) = &mut op.op else {
                return None;
            };
            if let Some(f) = change.take() {
                f(src);
            }
            found = true;
        }
        let bytes = encode_op(&op);
        let new = Digest::of(&bytes);
        if new != d.digest {
            digest_map.insert(d.digest.clone(), new.clone());
        }
        ops.push(DefOp {
            digest: new,
            bytes,
            op: Ok(op),
            offset: None,
            pinned: false,
        });
    }
    if !found {
        return None;
    }
    let moved = |k: &Digest| digest_map.get(k).cloned().unwrap_or_else(|| k.clone());
    let metadata = def
        .metadata
        .iter()
        .map(|(k, v)| (moved(k), v.clone()))
        .collect();
    let source = def.source.clone().map(|mut s| {
        s.locations = s
            .locations
            .into_iter()
            .map(|(k, v)| (moved(&Digest::from_raw(k)).to_string(), v))
            .collect();
        s
    });
    let definition = Definition {
        ops,
        metadata,
        source,
        notes: def.notes.clone(),
    };
    Some(Mutation {
        definition,
        digest_map,
    })
}

// -------------------------------------------------------------------------------------------
// Phases: the oracle's scenarios, run on the simulated solver.

use crate::progress::stream::{batches, Batch};
use crate::solver::ops::{StubOps, INJECTED_FAILURE};
use crate::solver::{
    CancelAt, EventKind, Interleaving, JobId, JobOptions, Solver, Time, Variant, MS,
};

/// The oracle's phases, in the order they are listed there.
pub const PHASES: &[&str] = &[
    "a_cold",
    "b_warm",
    "c_mutated",
    "d_fail",
    "d_retry",
    "d_fail_longsib",
    "e_cancel",
    "e_cancel_slowstop",
    "e_cancel_shared_job0",
    "e_cancel_shared_job1",
    "f_job0",
    "f_job1",
];

/// A phase that was run: the solver afterwards, the job the phase reports, and when the phase
/// began on the virtual clock.
pub struct PhaseRun {
    /// The solver after the phase (and the phases it depends on).
    pub solver: Solver,
    /// The job whose stream the phase reports.
    pub job: JobId,
    /// When the phase's jobs were submitted.
    pub start: Time,
}

/// Why a phase cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseError(pub String);

impl std::fmt::Display for PhaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of two jobs started together gets to the solver first. In BuildKit that is a race
/// between two goroutines; the simulator lets the scenario say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirstJob {
    /// job0 loads first.
    #[default]
    Job0,
    /// job1 loads first.
    Job1,
}

/// Runs `phase` on `def` (loaded as `graph`) with the oracle's stub `variant`, running the
/// earlier phases it depends on first, with the oracle's durations.
pub fn run_phase(
    def: &Definition,
    graph: &Graph,
    variant: Variant,
    phase: &str,
) -> Result<PhaseRun, PhaseError> {
    run_phase_with(def, graph, variant, phase, Races::default())
}

/// The definition phases `c_mutated` and `f_job1` build: `def` with its [`mutated_source`]
/// marked by [`MUTATION_ATTR`] (the oracle's `mutated.pb`).
pub fn mutated_definition(def: &Definition, graph: &Graph) -> Result<Mutation, PhaseError> {
    let src = mutated_source(graph).ok_or_else(|| PhaseError("no source to mutate".into()))?;
    mutate_source(def, &graph.vertex(src).digest, MUTATION_ATTR)
        .ok_or_else(|| PhaseError("the definition cannot be mutated".into()))
}

/// How the races BuildKit leaves to goroutine scheduling went in a phase. The simulator has to
/// pick; the default is the order things were started in, which is what BuildKit usually does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Races {
    /// Which of two jobs started together (phases `e_cancel_shared_*` and `f_*`) loads first.
    pub first: FirstJob,
    /// How goroutine timing is modelled (ties, scheduler time, ops that stray).
    pub interleaving: Interleaving,
}

/// [`run_phase`], with the races settled as `races` says.
pub fn run_phase_with(
    def: &Definition,
    graph: &Graph,
    variant: Variant,
    phase: &str,
    races: Races,
) -> Result<PhaseRun, PhaseError> {
    let stubs = StubOps::new(variant);
    let fail = fail_vertex(graph).map(|v| graph.vertex(v).digest.clone());
    let mutated = || -> Result<Graph, PhaseError> {
        let m = mutated_definition(def, graph)?;
        crate::load::load(&m.definition, graph.format, &Default::default())
            .map_err(|e| PhaseError(e.to_string()))
    };
    let need_fail = || {
        fail.clone()
            .ok_or_else(|| PhaseError("no vertex to fail".into()))
    };
    let fresh = |stubs: StubOps| {
        let mut s = Solver::new(stubs, 0);
        s.set_interleaving(races.interleaving);
        s
    };
    let one = |s: &mut Solver, g: &Graph, name: &str, opts: JobOptions| {
        let start = s.now();
        let j = s.submit(name, g, opts, start);
        s.run();
        (j, start)
    };
    // Every arm gives the solver afterwards, the job the phase reports and when it started.
    let (solver, job, start) = match phase {
        "a_cold" | "b_warm" | "c_mutated" => {
            let mut s = fresh(stubs);
            let (mut job, mut start) = one(&mut s, graph, "a_cold", JobOptions::default());
            if phase != "a_cold" {
                (job, start) = one(&mut s, graph, "b_warm", JobOptions::default());
            }
            if phase == "c_mutated" {
                let m = mutated()?;
                (job, start) = one(&mut s, &m, "c_mutated", JobOptions::default());
            }
            (s, job, start)
        }
        "d_fail" | "d_retry" => {
            let mut st = stubs;
            st.fail.insert(need_fail()?, INJECTED_FAILURE.to_string());
            let mut s = fresh(st);
            let (mut job, mut start) = one(&mut s, graph, "d_fail", JobOptions::default());
            if phase == "d_retry" {
                s.ops_mut().fail.clear();
                (job, start) = one(&mut s, graph, "d_retry", JobOptions::default());
            }
            (s, job, start)
        }
        "d_fail_longsib" => {
            let f = fail_vertex(graph).ok_or_else(|| PhaseError("no vertex to fail".into()))?;
            let sib = long_sibling(graph, f).ok_or_else(|| {
                PhaseError("no long sibling: the phase is skipped for this definition".into())
            })?;
            let mut st = stubs;
            st.fail
                .insert(graph.vertex(f).digest.clone(), INJECTED_FAILURE.to_string());
            st.long.insert(graph.vertex(sib).digest.clone(), 2000 * MS);
            let mut s = fresh(st);
            let (job, start) = one(&mut s, graph, phase, JobOptions::default());
            (s, job, start)
        }
        "e_cancel" | "e_cancel_slowstop" => {
            let lv = need_fail()?;
            let mut st = stubs;
            st.long.insert(lv.clone(), 10_000 * MS);
            if phase == "e_cancel_slowstop" {
                st.cancel_delay = 300 * MS;
            }
            let mut s = fresh(st);
            let (job, start) = one(&mut s, graph, phase, cancel_200ms_after(lv));
            (s, job, start)
        }
        "e_cancel_shared_job0" | "e_cancel_shared_job1" => {
            let lv = need_fail()?;
            let mut st = stubs;
            st.long.insert(lv.clone(), 1000 * MS);
            let mut s = fresh(st);
            let job = run_pair(
                &mut s,
                races.first,
                (graph, JobOptions::default()),
                (graph, cancel_200ms_after(lv)),
                phase,
            );
            (s, job, 0)
        }
        "f_job0" | "f_job1" => {
            let m = mutated()?;
            let mut s = fresh(stubs);
            let job = run_pair(
                &mut s,
                races.first,
                (graph, JobOptions::default()),
                (&m, JobOptions::default()),
                phase,
            );
            (s, job, 0)
        }
        other => {
            return Err(PhaseError(format!(
                "unknown phase {other:?} (one of {})",
                PHASES.join(", ")
            )))
        }
    };
    Ok(PhaseRun { solver, job, start })
}

/// The oracle's cancel: 200 ms after the long vertex's exec starts.
fn cancel_200ms_after(long_vertex: Digest) -> JobOptions {
    JobOptions {
        cancel: Some(CancelAt::AfterExecStart(long_vertex, 200 * MS)),
        ..JobOptions::default()
    }
}

/// Submits job0 and job1 at time 0, the `first` one first, runs them, and returns the one
/// `phase` (`…_job0` or `…_job1`) reports.
fn run_pair(
    s: &mut Solver,
    first: FirstJob,
    job0: (&Graph, JobOptions),
    job1: (&Graph, JobOptions),
    phase: &str,
) -> JobId {
    let (j0, j1) = match first {
        FirstJob::Job0 => {
            let a = s.submit("job0", job0.0, job0.1, 0);
            let b = s.submit("job1", job1.0, job1.1, 0);
            (a, b)
        }
        FirstJob::Job1 => {
            let b = s.submit("job1", job1.0, job1.1, 0);
            let a = s.submit("job0", job0.0, job0.1, 0);
            (a, b)
        }
    };
    s.run();
    if phase.ends_with("job0") {
        j0
    } else {
        j1
    }
}

/// One vertex of the normalized form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NormVertex {
    /// Display name.
    pub name: String,
    /// Input digests.
    pub inputs: Vec<Digest>,
    /// Final `cached`.
    pub cached: bool,
    /// `load` (the solver loaded it), `inferred` (the stream marked it), or null.
    pub cached_via: Option<&'static str>,
    /// Final record has a start.
    pub started: bool,
    /// Final record has an end.
    pub completed: bool,
    /// Final error ("" for none).
    pub error: String,
    /// Whether the op executed during the phase.
    pub exec_ran: bool,
    /// Records with an end.
    pub completion_events: usize,
}

/// A vertex record without timestamps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NormUpdate {
    /// Vertex.
    pub digest: Digest,
    /// Has a start.
    pub started: bool,
    /// Has an end.
    pub completed: bool,
    /// Cached.
    pub cached: bool,
    /// Error, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The oracle's `<phase>.norm.json` schema.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Norm {
    /// Phase name.
    pub phase: String,
    /// Stub variant.
    pub variant: Variant,
    /// `ok` or `error: <message>`.
    pub result: String,
    /// Per vertex, by digest.
    pub vertices: BTreeMap<Digest, NormVertex>,
    /// First completion per vertex, in stream order.
    pub completion_order: Vec<Digest>,
    /// First start per vertex, in stream order.
    pub start_order: Vec<Digest>,
    /// Every record, in stream order.
    pub vertex_updates: Vec<NormUpdate>,
    /// The last batch's records.
    pub last_batch: Vec<NormUpdate>,
    /// Vertices whose op executed during the phase (all jobs), sorted.
    pub exec_ran: Vec<Digest>,
}

/// The normalized form of `run`'s reported job.
pub fn normalize(run: &PhaseRun, phase: &str, variant: Variant) -> Norm {
    let s = &run.solver;
    let outcome = s.outcome(run.job).cloned();
    let closed = s.job_closed(run.job);
    let stream: Vec<Batch> = batches(s.events(), run.job, closed);
    let exec_ran: BTreeSet<Digest> = s
        .events()
        .iter()
        .filter(|e| e.time >= run.start)
        .filter_map(|e| match &e.kind {
            EventKind::ExecStart { digest, .. } => Some(digest.clone()),
            _ => None,
        })
        .collect();
    let update = |v: &crate::progress::stream::StreamVertex| NormUpdate {
        digest: v.vertex.digest.clone(),
        started: v.vertex.started.is_some(),
        completed: v.vertex.completed.is_some(),
        cached: v.vertex.cached,
        error: (!v.vertex.error.is_empty()).then(|| v.vertex.error.clone()),
    };
    let mut vertices: BTreeMap<Digest, NormVertex> = BTreeMap::new();
    let mut completion_order = Vec::new();
    let mut start_order = Vec::new();
    let mut completed_seen = BTreeSet::new();
    let mut started_seen = BTreeSet::new();
    let mut updates = Vec::new();
    for b in &stream {
        for v in &b.vertexes {
            updates.push(update(v));
            let d = &v.vertex.digest;
            if v.vertex.completed.is_some() && completed_seen.insert(d.clone()) {
                completion_order.push(d.clone());
            }
            if v.vertex.started.is_some() && started_seen.insert(d.clone()) {
                start_order.push(d.clone());
            }
            let entry = vertices.entry(d.clone()).or_insert_with(|| NormVertex {
                name: String::new(),
                inputs: Vec::new(),
                cached: false,
                cached_via: None,
                started: false,
                completed: false,
                error: String::new(),
                exec_ran: exec_ran.contains(d),
                completion_events: 0,
            });
            entry.name = v.vertex.name.clone();
            entry.inputs = v.vertex.inputs.clone();
            entry.cached = v.vertex.cached;
            entry.cached_via = match (v.vertex.cached, v.inferred) {
                (false, _) => None,
                (true, true) => Some("inferred"),
                (true, false) => Some("load"),
            };
            entry.started = v.vertex.started.is_some();
            entry.completed = v.vertex.completed.is_some();
            entry.error = v.vertex.error.clone();
            entry.completion_events += usize::from(v.vertex.completed.is_some());
        }
    }
    let last_batch = stream
        .last()
        .map(|b| b.vertexes.iter().map(update).collect())
        .unwrap_or_default();
    let result = match outcome.and_then(|o| o.error) {
        Some(e) => format!("error: {e}"),
        None => "ok".to_string(),
    };
    Norm {
        phase: phase.to_string(),
        variant,
        result,
        vertices,
        completion_order,
        start_order,
        vertex_updates: updates,
        last_batch,
        exec_ran: exec_ran.into_iter().collect(),
    }
}
