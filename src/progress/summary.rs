//! What happened to each vertex of a job, in words: the rows of `llbsim solve`'s table and the
//! explanations the page shows.

use std::collections::{BTreeMap, BTreeSet};

use crate::llb::Digest;

use super::stream::batches;
use crate::solver::{EventKind, JobId, Reason, Solver, Time};

/// What happened to a vertex in a build, in one vocabulary shared by the rows, `llbsim
/// explain` and the page. Every word here means one thing: a vertex that was loaded never reads
/// "never ran", a vertex that is CACHED without running was neither run nor loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its op executed (a cache miss, or it ignores the cache).
    Ran,
    /// Its result was loaded from a cache record that matched its key.
    Loaded,
    /// Marked CACHED by the progress stream because a consumer started first; the solver never
    /// ran or loaded it (BuildKit's `vertexStream`).
    CachedWithoutRunning,
    /// A root that only computed its cache key; nothing needed its result.
    Resolved,
    /// Its edge was merged into a vertex of another job with an equal cache key, which did the
    /// work instead.
    Merged,
    /// Its op failed.
    Failed,
    /// It was in flight when the build was cancelled (or closed by the encore).
    Canceled,
    /// It never started: nothing asked for it.
    NotStarted,
}

impl Outcome {
    /// The outcome in a few words, as the page and the CLI print it.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::Loaded => "loaded from the cache",
            Outcome::CachedWithoutRunning => "CACHED without running",
            Outcome::Resolved => "computed its cache key only",
            Outcome::Merged => "merged into an equal-key vertex",
            Outcome::Failed => "failed",
            Outcome::Canceled => "CANCELED",
            Outcome::NotStarted => "not started",
        }
    }
}

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
    /// What happened, in the one vocabulary ([`Outcome`]).
    pub outcome: Outcome,
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
    let mut merged: BTreeMap<Digest, Digest> = BTreeMap::new();
    for e in solver.events() {
        if e.time < start || e.time > closed {
            continue;
        }
        match &e.kind {
            EventKind::ExecStart { digest, why } => {
                ran.insert(digest.clone(), why.clone());
            }
            EventKind::Load { digest, why, .. } => {
                loaded.insert(digest.clone(), why.clone());
            }
            EventKind::Merge { from, into } => {
                merged.insert(from.clone(), into.clone());
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
                ("skipped", "a vertex using it started first (it was a cache hit), so its own result was never needed: the progress stream marked it CACHED, the solver neither ran nor loaded it".to_string())
            } else if v.started.is_some() && v.inputs.is_empty() {
                ("resolved", "a root computes its cache key on every build; nothing needed its result".to_string())
            } else if let (None, Some(into)) = (v.started, merged.get(&d)) {
                ("merged", format!("its cache key equalled that of {into}, another job's vertex, so the solver merged them and that vertex did the work"))
            } else if v.started.is_none() {
                ("none", "never started: nothing asked for it (a failure or cancel came first, or a cache hit above it)".to_string())
            } else {
                ("none", String::new())
            };
            let outcome = match (state, action) {
                ("error", _) => Outcome::Failed,
                ("canceled", _) => Outcome::Canceled,
                (_, "ran") => Outcome::Ran,
                (_, "loaded") => Outcome::Loaded,
                (_, "skipped") => Outcome::CachedWithoutRunning,
                (_, "resolved") => Outcome::Resolved,
                (_, "merged") => Outcome::Merged,
                _ => Outcome::NotStarted,
            };
            Some(VertexRow { digest: d, name: v.name.clone(), state, action, duration, outcome, why, error: v.error.clone() })
        })
        .collect()
}
