//! What happened to each vertex of a job, in words: the rows of `llbsim solve`'s table and the
//! explanations the page shows.

use std::collections::{BTreeMap, BTreeSet};

use crate::llb::Digest;

use super::stream::batches;
use crate::solver::{EventKind, JobId, Reason, Solver, Time};

/// One vertex of a job, after the solve.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VertexRow {
    /// Vertex digest (as the job's stream shows it).
    pub digest: Digest,
    /// Display name.
    pub name: String,
    /// `done`, `cached`, `error`, `canceled`, `running` or `pending` (never started).
    pub state: &'static str,
    /// `ran`, `loaded`, `resolved` (a root that only computed its cache key), `skipped`
    /// (marked cached because a consumer started first) or `none`.
    pub action: &'static str,
    /// Sum of the vertex's intervals, in virtual nanoseconds.
    pub duration: Time,
    /// Why, in plain words.
    pub why: String,
    /// The error, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// The rows of `job`, in the order the job's stream first mentions each vertex.
pub fn rows(solver: &Solver, job: JobId) -> Vec<VertexRow> {
    let closed = solver.job_closed(job);
    let start = solver.job_started(job).unwrap_or(0);
    let mut ran: BTreeMap<Digest, Reason> = BTreeMap::new();
    let mut loaded: BTreeMap<Digest, Reason> = BTreeMap::new();
    for e in solver.events() {
        if e.time < start || e.time > closed {
            continue;
        }
        match &e.kind {
            EventKind::ExecStart { digest, why } => {
                ran.insert(digest.clone(), why.clone());
            }
            EventKind::Load { digest, why } => {
                loaded.insert(digest.clone(), why.clone());
            }
            _ => {}
        }
    }
    // Intervals per progress ID, and the final record per vertex.
    let mut order: Vec<Digest> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut last: BTreeMap<Digest, (crate::solver::ClientVertex, bool)> = BTreeMap::new();
    let mut intervals: BTreeMap<Digest, BTreeMap<Time, Time>> = BTreeMap::new();
    for b in batches(solver.events(), job, closed) {
        for v in b.vertexes {
            let d = v.vertex.digest.clone();
            if seen.insert(d.clone()) {
                order.push(d.clone());
            }
            if let (Some(s), Some(c)) = (v.vertex.started, v.vertex.completed) {
                intervals.entry(d.clone()).or_default().insert(s, c);
            }
            last.insert(d, (v.vertex, v.inferred));
        }
    }
    order
        .into_iter()
        .filter_map(|d| {
            let (v, inferred) = last.get(&d)?.clone();
            let duration = intervals.get(&d).map_or(0, |m| m.iter().map(|(s, c)| c.saturating_sub(*s)).sum());
            let state = if !v.error.is_empty() {
                if v.error.ends_with("context canceled") {
                    "canceled"
                } else {
                    "error"
                }
            } else if v.started.is_none() {
                "pending"
            } else if v.completed.is_none() {
                "running"
            } else if v.cached {
                "cached"
            } else {
                "done"
            };
            let (action, why) = if let Some(r) = ran.get(&d) {
                let why = match r {
                    Reason::IgnoreCache => "it ignores the cache, so it runs whatever the cache holds".to_string(),
                    _ => "its result was needed and no cache record matched its cache key".to_string(),
                };
                ("ran", why)
            } else if let Some(Reason::CacheHit { record, source }) = loaded.get(&d) {
                let from = match source {
                    Some(s) => format!(" in cache source {s} (now also saved in the local cache)"),
                    None => String::new(),
                };
                ("loaded", format!("its result was needed and cache record {record}{from} matched its key"))
            } else if inferred {
                ("skipped", "a vertex using it started first (it was a cache hit), so its own result was never needed".to_string())
            } else if v.started.is_some() && v.inputs.is_empty() {
                ("resolved", "a root computes its cache key on every build; nothing needed its result".to_string())
            } else if v.started.is_none() {
                ("none", "never started: nothing asked for it (a failure or cancel came first, or a cache hit above it)".to_string())
            } else {
                ("none", String::new())
            };
            Some(VertexRow { digest: d, name: v.name.clone(), state, action, duration, why, error: v.error.clone() })
        })
        .collect()
}
