//! A solve session: one definition, one simulated solver that keeps its cache between builds,
//! and the builds a user asks for (the page's actions, the CLI's scenarios). Each build returns a
//! [`RunReport`]: per job, its outcome, its status stream and its per-vertex rows.
//!
//! The named scenarios ([`Scenario`]) are the ones the page links to (`scenario=`): a cold
//! build, a warm rebuild, a changed source, a failing step, a cancelled build, two builds sharing
//! steps with one cancelled, and two concurrent builds of different definitions.

use std::collections::BTreeMap;

use crate::graph::Graph;
use crate::llb::{pb, Definition, Digest};
use crate::load::LoadOptions;
use crate::oracle;
use crate::progress::stream::{reset_time, statuses, TimedStatus};
use crate::progress::summary::{rows, VertexRow};
use crate::progress::{SolveStatus, Timestamp, VIRTUAL_EPOCH};
use crate::solver::{
    CancelAt, Interleaving, JobId, JobOptions, JobOutcome, Solver, StubOps, Time, Variant, MS,
};

/// What a build should do differently from a plain build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// `--no-cache`.
    pub no_cache: bool,
    /// Make this vertex's exec fail.
    pub fail: Option<Digest>,
    /// Cancel the build at this time after it starts.
    pub cancel_after: Option<Time>,
    /// Give this source new content first (the definition changes: it and its descendants get
    /// new digests).
    pub change_source: Option<Digest>,
}

/// One job of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct JobReport {
    /// The job's name.
    pub name: String,
    /// When the job started, on the virtual clock.
    pub start: Time,
    /// How it ended.
    pub outcome: Option<JobOutcome>,
    /// The job's graph's vertex digests, in the session graph's vertex order (they differ from
    /// the session graph's own where a source was changed).
    pub digests: Vec<String>,
    /// The status stream the job received.
    pub messages: Vec<TimedStatus>,
    /// Per-vertex rows: state, action, duration, why.
    pub rows: Vec<VertexRow>,
    /// Every interval the job's stream shows, with what it was: the timeline's bars.
    pub spans: Vec<Span>,
    /// The anatomy of every vertex's cache key in this build ([`crate::explain`]), in the job's
    /// graph order.
    pub anatomy: Vec<crate::explain::VertexAnatomy>,
    /// What BuildKit's plain printer prints of the stream (as buildctl shows it, after its time
    /// reset): element `i` is the text printed after message `i`; the last is the final text.
    pub plain: Vec<String>,
}

impl JobReport {
    /// The job's messages as buildctl shows them: after its time reset, with the client's
    /// start at the job's start.
    pub fn client_messages(&self) -> Vec<SolveStatus> {
        let mut msgs: Vec<SolveStatus> = self.messages.iter().map(|m| m.status.clone()).collect();
        reset_time(&mut msgs, Timestamp::virtual_at(self.start));
        msgs
    }
}

/// One interval of a vertex in a job's stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// The vertex (as the stream names it).
    pub digest: String,
    /// `cache-key` (a root computing its cache key), `exec`, `load` (loaded from the cache) or
    /// `inferred` (marked cached because a consumer started first; zero length).
    pub kind: &'static str,
    /// Start, virtual nanoseconds.
    pub start: Time,
    /// End (`None`: still open when the stream ended).
    pub end: Option<Time>,
    /// Its error, if it ended with one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// Closed by the encore.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encore: bool,
}

/// The intervals of a job's stream. A record continues the vertex's last interval when it has
/// the same start and that interval is still open (or ends the same); otherwise it opens a new
/// one. A root's first interval that is not a cache hit is its cache-key computation
/// (`sharedOp.CacheMap`'s progress); every other one not cached is its exec.
fn spans(messages: &[TimedStatus]) -> Vec<Span> {
    let virt = |t: Timestamp| u64::try_from(t.since(VIRTUAL_EPOCH)).unwrap_or(0);
    let mut out: Vec<Span> = Vec::new();
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for m in messages {
        for v in &m.status.vertexes {
            let Some(start) = v.started.map(virt) else {
                continue;
            };
            let end = v.completed.map(virt);
            let cur = last.get(&v.digest).copied().filter(|&i| {
                let sp = &out[i];
                sp.start == start && (sp.end.is_none() || sp.end == end || m.encore)
            });
            let inferred = m.inferred.contains(&v.digest);
            match cur {
                Some(i) => {
                    let sp = &mut out[i];
                    sp.end = end;
                    sp.error = v.error.clone();
                    sp.encore |= m.encore;
                    if sp.kind == "inferred" && !inferred && !m.encore {
                        sp.kind = if v.cached { "load" } else { "exec" };
                    }
                }
                None => {
                    let first = !last.contains_key(&v.digest);
                    let kind = if inferred {
                        "inferred"
                    } else if v.cached {
                        "load"
                    } else if first && v.inputs.is_empty() {
                        "cache-key"
                    } else {
                        "exec"
                    };
                    last.insert(v.digest.clone(), out.len());
                    out.push(Span {
                        digest: v.digest.clone(),
                        kind,
                        start,
                        end,
                        error: v.error.clone(),
                        encore: m.encore,
                    });
                }
            }
        }
    }
    out
}

/// What one action produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunReport {
    /// What was done, in words.
    pub label: String,
    /// The jobs it ran.
    pub jobs: Vec<JobReport>,
}

/// A named scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A cold build on an empty cache.
    Cold,
    /// A cold build, then the same definition again on the same cache: what the second shows.
    Warm,
    /// A cold build, then a build with one source changed (the oracle's rule picks it).
    Mutated,
    /// A build in which one step fails (the oracle's rule picks it).
    Fail,
    /// A build cancelled half-way through its cold duration.
    Cancel,
    /// Two builds of the definition share their steps; the second is cancelled while a shared
    /// step runs, and its stream ends with the encore.
    CancelShared,
    /// Two concurrent builds: the definition and the definition with one source changed.
    Concurrent,
}

impl Scenario {
    /// Every scenario, in menu order.
    pub const ALL: [Scenario; 7] = [
        Scenario::Cold,
        Scenario::Warm,
        Scenario::Mutated,
        Scenario::Fail,
        Scenario::Cancel,
        Scenario::CancelShared,
        Scenario::Concurrent,
    ];

    /// The scenario named `s` (`cold`, `warm`, `mutated`, `fail`, `cancel`, `cancel-shared`,
    /// `concurrent`).
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Cold => "cold",
            Scenario::Warm => "warm",
            Scenario::Mutated => "mutated",
            Scenario::Fail => "fail",
            Scenario::Cancel => "cancel",
            Scenario::CancelShared => "cancel-shared",
            Scenario::Concurrent => "concurrent",
        }
    }
}

/// Why a session action could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionError(pub String);

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SessionError {}

/// A definition and a solver that keeps its cache between builds.
#[derive(Debug)]
pub struct Session {
    definition: Definition,
    graph: Graph,
    solver: Solver,
    variant: Variant,
    seed: u64,
    interleaving: Interleaving,
    changes: u32,
}

impl Session {
    /// A session on `definition` (already loaded as `graph`) with stub `variant` and `seed`.
    pub fn new(definition: Definition, graph: Graph, variant: Variant, seed: u64) -> Session {
        Session {
            solver: Self::fresh_solver(variant, seed, Interleaving::StartOrder),
            definition,
            graph,
            variant,
            seed,
            interleaving: Interleaving::StartOrder,
            changes: 0,
        }
    }

    fn fresh_solver(variant: Variant, seed: u64, interleaving: Interleaving) -> Solver {
        let mut ops = StubOps::new(variant);
        ops.seed = seed;
        let mut solver = Solver::new(ops, seed);
        solver.set_interleaving(interleaving);
        solver
    }

    /// How this session's solvers model goroutine timing (see [`Interleaving`]); applies to the
    /// solver now and to every fresh one a scenario makes.
    pub fn set_interleaving(&mut self, interleaving: Interleaving) {
        self.interleaving = interleaving;
        self.solver.set_interleaving(interleaving);
    }

    /// The session's graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The solver (for its event log).
    pub fn solver(&self) -> &Solver {
        &self.solver
    }

    /// Drops every cached result.
    pub fn clear_cache(&mut self) {
        self.solver.clear_cache();
    }

    /// The message a failing exec of `d` reports (see [`failure_message`]).
    pub fn failure_message(&self, d: &Digest) -> String {
        failure_message(&self.graph, self.variant, d)
    }

    /// The graph with `source` given new content, re-digested with the oracle's mutation rule.
    /// With the oracle's stub variants, the source gets an attribute with a counter (each change
    /// is new; their cache maps hash the whole op). With BuildKit's cache maps, a docker image
    /// pinned by digest keys on its pin alone, so new content is a new pin (as a rebuilt base
    /// image re-pinned in the Dockerfile); any other source gets the attribute (its stand-in key
    /// hashes the op). With `keep`, the changed definition becomes the session's: later builds
    /// build it.
    fn changed(&mut self, source: &Digest, keep: bool) -> Result<Graph, SessionError> {
        self.changes += 1;
        let value = self.changes.to_string();
        let repin = self.variant == Variant::Default;
        let m = oracle::change_source(&self.definition, source, |src| {
            match src.identifier.split_once("@sha256:") {
                Some((name, pin)) if repin && src.identifier.starts_with("docker-image://") => {
                    let new = Digest::of(format!("{pin}:llbsim.changed={value}").as_bytes());
                    src.identifier = format!("{name}@{new}");
                }
                _ => {
                    src.attrs.insert("llbsim.changed".into(), value.clone());
                }
            }
        })
        .ok_or_else(|| {
            SessionError(format!(
                "{} is not a source of this definition",
                source.short()
            ))
        })?;
        let graph = crate::load::load(
            &m.definition,
            crate::Format::Protobuf,
            &LoadOptions::default(),
        )
        .map_err(|e| SessionError(format!("the changed definition does not load: {e}")))?;
        if keep {
            self.definition = m.definition;
            self.graph = graph.clone();
        }
        Ok(graph)
    }

    /// Builds (the definition, or a changed one) on the session's solver and cache.
    pub fn build(&mut self, label: &str, opts: &BuildOptions) -> Result<RunReport, SessionError> {
        let graph = match &opts.change_source {
            Some(s) => self.changed(s, true)?,
            None => self.graph.clone(),
        };
        self.solver.ops_mut().fail.clear();
        if let Some(f) = &opts.fail {
            let msg = self.failure_message(f);
            self.solver.ops_mut().fail.insert(f.clone(), msg);
        }
        let start = self.solver.now();
        let job = self.solver.submit(
            label,
            &graph,
            JobOptions {
                no_cache: opts.no_cache,
                cancel: opts.cancel_after.map(|t| CancelAt::Time(start + t)),
                ..JobOptions::default()
            },
            start,
        );
        self.solver.run();
        self.solver.ops_mut().fail.clear();
        Ok(RunReport {
            label: label.to_string(),
            jobs: vec![self.report(job, &graph)],
        })
    }

    /// Two jobs at once: `second` (the definition, or one with a source changed) beside the
    /// definition; the second is cancelled `cancel_after` after it starts, if given.
    pub fn build_two(
        &mut self,
        label: &str,
        change_source: Option<&Digest>,
        long: Option<(Digest, Time)>,
        cancel_second: Option<CancelAt>,
    ) -> Result<RunReport, SessionError> {
        let second = match change_source {
            Some(s) => self.changed(s, false)?,
            None => self.graph.clone(),
        };
        if let Some((d, t)) = &long {
            self.solver.ops_mut().long.insert(d.clone(), *t);
        }
        let start = self.solver.now();
        let first = self.graph.clone();
        let j0 = self
            .solver
            .submit("job0", &first, JobOptions::default(), start);
        let j1 = self.solver.submit(
            "job1",
            &second,
            JobOptions {
                cancel: cancel_second,
                ..JobOptions::default()
            },
            start,
        );
        self.solver.run();
        self.solver.ops_mut().long.clear();
        Ok(RunReport {
            label: label.to_string(),
            jobs: vec![self.report(j0, &first), self.report(j1, &second)],
        })
    }

    fn report(&self, job: JobId, graph: &Graph) -> JobReport {
        let outcome = self.solver.outcome(job).cloned();
        let closed = self.solver.job_closed(job);
        let messages = statuses(self.solver.events(), job, closed);
        let start = self.solver.job_started(job).unwrap_or(0);
        let rows = rows(&self.solver, job);
        let anatomy = crate::explain::explain_with_rows(&self.solver, job, &rows);
        let mut report = JobReport {
            anatomy,
            plain: Vec::new(),
            spans: spans(&messages),
            name: self.solver.job_name(job).to_string(),
            start,
            outcome,
            digests: graph
                .vertices()
                .iter()
                .map(|v| v.digest.to_string())
                .collect(),
            messages,
            rows,
        };
        report.plain = crate::progress::plain::render_passes(&report.client_messages());
        report
    }

    /// Runs a named scenario on a fresh solver and returns the run to show (for `warm` and
    /// `mutated`, the second build; the cold build before it is in the event log).
    pub fn scenario(&mut self, s: Scenario) -> Result<RunReport, SessionError> {
        self.solver = Self::fresh_solver(self.variant, self.seed, self.interleaving);
        let source = || {
            oracle::mutated_source(&self.graph)
                .map(|v| self.graph.vertex(v).digest.clone())
                .ok_or_else(|| SessionError("this definition has no source with consumers".into()))
        };
        match s {
            Scenario::Cold => self.build("cold build", &BuildOptions::default()),
            Scenario::Warm => {
                self.build("cold build", &BuildOptions::default())?;
                self.build("warm rebuild", &BuildOptions::default())
            }
            Scenario::Mutated => {
                let src = source()?;
                self.build("cold build", &BuildOptions::default())?;
                self.build(
                    "a source changed",
                    &BuildOptions {
                        change_source: Some(src),
                        ..BuildOptions::default()
                    },
                )
            }
            Scenario::Fail => {
                let v = oracle::fail_vertex(&self.graph)
                    .map(|v| self.graph.vertex(v).digest.clone())
                    .ok_or_else(|| SessionError("this definition has no step to fail".into()))?;
                self.build(
                    "a step fails",
                    &BuildOptions {
                        fail: Some(v),
                        ..BuildOptions::default()
                    },
                )
            }
            Scenario::Cancel => {
                // Half of the cold duration, measured on a scratch solver.
                let mut scratch = Self::fresh_solver(self.variant, self.seed, self.interleaving);
                let j = scratch.submit("probe", &self.graph, JobOptions::default(), 0);
                scratch.run();
                let total = scratch.outcome(j).map_or(0, |o| o.finished);
                self.build(
                    "cancelled mid-way",
                    &BuildOptions {
                        cancel_after: Some((total / 2).max(MS)),
                        ..BuildOptions::default()
                    },
                )
            }
            Scenario::CancelShared => {
                let v = oracle::fail_vertex(&self.graph)
                    .map(|v| self.graph.vertex(v).digest.clone())
                    .ok_or_else(|| SessionError("this definition has no shared step".into()))?;
                self.build_two(
                    "two builds share steps; the second is cancelled",
                    None,
                    Some((v.clone(), 1000 * MS)),
                    Some(CancelAt::AfterExecStart(v, 200 * MS)),
                )
            }
            Scenario::Concurrent => {
                let src = source()?;
                self.build_two(
                    "two builds at once (one with a source changed)",
                    Some(&src),
                    None,
                    None,
                )
            }
        }
    }
}

/// The message a failing exec of vertex `d` of `graph` reports: the oracle's string for its stub
/// variants, runc's (`process "<args>" did not complete successfully: exit code: 1`) for the
/// default one.
pub fn failure_message(graph: &Graph, variant: Variant, d: &Digest) -> String {
    match variant {
        Variant::Default => {
            let args = graph
                .find(d)
                .map(|id| graph.vertex(id))
                .map(|v| match &v.op.op {
                    Some(pb::OpKind::Exec(e)) => e
                        .meta
                        .as_ref()
                        .map(|m| m.args.join(" "))
                        .unwrap_or_default(),
                    _ => v.name.clone(),
                })
                .unwrap_or_default();
            format!("process \"{args}\" did not complete successfully: exit code: 1")
        }
        _ => crate::solver::ops::INJECTED_FAILURE.to_string(),
    }
}

/// Reads and loads `bytes`, keeping the definition for later changes.
pub fn open(bytes: &[u8], variant: Variant, seed: u64) -> Result<Session, crate::error::Error> {
    let (format, def) = crate::llb::read(bytes)?;
    let graph = crate::load::load(&def, format, &LoadOptions::default())?;
    Ok(Session::new(def, graph, variant, seed))
}
