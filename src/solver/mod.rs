//! BuildKit's solver, modelled: the shared graph of active vertex states that jobs load, the
//! scheduler loop and its request pipes, the edge state machine, cache keys and the in-memory
//! cache, edge merging, and progress records, all on a virtual clock.
//!
//! The code follows `solver/` of moby/buildkit at 73ed6825 function for function (see
//! `docs/buildkit-facts.md` §4): [`scheduler`] is `scheduler.go` plus the pipes and the
//! goroutines an op runs on, [`edge`] is `edge.go`, [`index`] is `index.go`, [`cache`] is the
//! cache manager. Concurrency is replaced by a deterministic event loop: the scheduler drains its
//! queue, then the earliest pending completion (ties in creation order) happens, and so on.
//!
//! A solve produces an event log ([`Event`]): every progress record each job's stream receives,
//! and the solver's decisions (cache map computed, cache queried, loaded, executed) with reasons.

pub mod cache;
pub mod cachemap;
mod edge;
mod event;
mod export;
mod index;
pub mod ops;
mod outbox;
mod scheduler;
mod state;
mod tasks;
mod timing;
pub use export::{ExportMode, ExportedKey};

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};

use crate::graph::Graph;
use crate::llb::Digest;

use cache::Cache;
pub use cache::ManagerId;
pub use cache::{InputKey, KeyInfo};
use ops::CacheMap;

pub use event::{ClientVertex, Event, EventKind, ProgressGroup, Reason};
pub use ops::{StubOps, Variant, MS};
pub(crate) use state::*;
pub(crate) use timing::mix64;
pub use timing::{Interleaving, DISPATCH_COST, EXEC_JITTER, TASK_JITTER};

/// A point on the virtual clock, in nanoseconds since the solver started.
pub type Time = u64;

/// A job's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct JobId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EdgeId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PipeId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StateId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TaskId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FlightId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ResId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CmId(pub u32);

/// An error inside the solver: its message, and whether it is (or wraps) `context.Canceled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SimError {
    pub message: String,
    pub canceled: bool,
}

impl SimError {
    pub fn new(message: impl Into<String>) -> SimError {
        SimError {
            message: message.into(),
            canceled: false,
        }
    }

    pub fn canceled() -> SimError {
        SimError {
            message: "context canceled".into(),
            canceled: true,
        }
    }

    /// `errors.Wrap(err, msg)`.
    pub fn wrap(&self, msg: &str) -> SimError {
        SimError {
            message: format!("{msg}: {}", self.message),
            canceled: self.canceled,
        }
    }
}

/// When to cancel a job's build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelAt {
    /// At this virtual time.
    Time(Time),
    /// This long after the exec of the vertex with this digest starts.
    AfterExecStart(Digest, Time),
}

/// Options of one job.
#[derive(Clone, Debug, Default)]
pub struct JobOptions {
    /// Cancel the build.
    pub cancel: Option<CancelAt>,
    /// Treat every vertex as ignore-cache (`--no-cache`).
    pub no_cache: bool,
    /// Treat these vertices as ignore-cache.
    pub no_cache_for: BTreeSet<Digest>,
    /// Imported caches this job may load from (`--import-cache`), made with
    /// [`Solver::snapshot_cache`].
    pub cache_from: Vec<ManagerId>,
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct JobOutcome {
    /// The result ID, on success.
    pub result: Option<String>,
    /// The build error, on failure (`context canceled` when cancelled).
    pub error: Option<String>,
    /// When the build returned.
    pub finished: Time,
}

/// Something due on the virtual clock. Ordered by time, then class (job starts after the
/// rest of an instant), then the race key of the [`Interleaving`], then scheduling order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    time: Time,
    class: u8,
    race: u64,
    seq: u64,
    what: Timed,
}

/// The solver: shared active graph, scheduler, cache, and the jobs on them.
#[derive(Debug)]
pub struct Solver {
    pub(crate) now: Time,
    seq: u64,
    timed: BinaryHeap<std::cmp::Reverse<Due>>,
    interleaving: Interleaving,
    pub(crate) queue: VecDeque<EdgeId>,
    pub(crate) queued: BTreeSet<EdgeId>,
    pub(crate) edges: Vec<EdgeData>,
    pub(crate) pipes: Vec<PipeData>,
    pub(crate) states: Vec<StateData>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) flights: Vec<Flight>,
    pub(crate) results: Vec<CachedResult>,
    pub(crate) cache_maps: Vec<CacheMap>,
    pub(crate) incoming: BTreeMap<EdgeId, Vec<PipeId>>,
    pub(crate) outgoing: BTreeMap<EdgeId, outbox::Outbox>,
    /// The last [`PipeData::out_seq`] given.
    pub(crate) out_seq: u64,
    pub(crate) actives: HashMap<Digest, StateId>,
    pub(crate) index: index::EdgeIndex,
    pub(crate) cache: Cache,
    pub(crate) jobs: Vec<JobData>,
    pub(crate) ops: StubOps,
    next_progress: u64,
    pub(crate) load_progress: BTreeMap<TaskId, u64>,
    pub(crate) parallelism: Option<usize>,
    pub(crate) running_execs: usize,
    pub(crate) exec_waiting: VecDeque<FlightId>,
    pub(crate) keys_check_pending: bool,
    log: Vec<Event>,
}

impl Solver {
    /// A solver with an empty cache, using `ops`. `seed` fixes the IDs BuildKit would draw at
    /// random (cache key IDs), so runs repeat.
    pub fn new(ops: StubOps, seed: u64) -> Solver {
        Solver {
            now: 0,
            seq: 0,
            timed: BinaryHeap::new(),
            interleaving: Interleaving::StartOrder,
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
            edges: Vec::new(),
            pipes: Vec::new(),
            states: Vec::new(),
            tasks: Vec::new(),
            flights: Vec::new(),
            results: Vec::new(),
            cache_maps: Vec::new(),
            incoming: BTreeMap::new(),
            outgoing: BTreeMap::new(),
            out_seq: 0,
            actives: HashMap::new(),
            index: index::EdgeIndex::default(),
            cache: Cache::new(seed),
            jobs: Vec::new(),
            ops,
            next_progress: 0,
            load_progress: BTreeMap::new(),
            parallelism: None,
            running_execs: 0,
            exec_waiting: VecDeque::new(),
            keys_check_pending: false,
            log: Vec::new(),
        }
    }

    /// Limits how many ops execute at once (BuildKit's `max-parallelism`); `None` (the default,
    /// like the solver's) is unlimited. A waiting op reports nothing until it gets a slot.
    pub fn set_parallelism(&mut self, max: Option<usize>) {
        self.parallelism = max.map(|m| m.max(1));
    }

    /// How functions that finish at the same virtual instant are ordered (see
    /// [`Interleaving`]). Set it before submitting jobs.
    pub fn set_interleaving(&mut self, interleaving: Interleaving) {
        self.interleaving = interleaving;
    }

    /// The op model (to change failures, long ops or the variant between solves).
    pub fn ops_mut(&mut self) -> &mut StubOps {
        &mut self.ops
    }

    /// The virtual time now.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The event log so far.
    pub fn events(&self) -> &[Event] {
        &self.log
    }

    /// Drops every cached result ("clear cache"); active jobs keep running. Cache sources stay.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// Turns what the cache holds now into a cache source named `name` (as if it were exported
    /// with `mode=max` and later imported), for jobs to use through [`JobOptions::cache_from`].
    pub fn snapshot_cache(&mut self, name: &str) -> ManagerId {
        self.cache.snapshot_as_source(name)
    }

    /// Submits a job that builds `graph`'s target, starting at `start` (not before now).
    pub fn submit(&mut self, name: &str, graph: &Graph, options: JobOptions, start: Time) -> JobId {
        let vertices = graph
            .vertices()
            .iter()
            .map(|v| LoadVertex {
                digest: v.digest.clone(),
                name: v.name.clone(),
                op: v.op.clone(),
                inputs: v
                    .inputs
                    .iter()
                    .map(|i| (i.vertex.index(), i.index))
                    .collect(),
                ignore_cache: v.metadata.ignore_cache
                    || options.no_cache
                    || options.no_cache_for.contains(&v.digest),
                progress_group: v.metadata.progress_group.as_ref().map(|g| ProgressGroup {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    weak: g.weak,
                }),
                export_cache: v.metadata.export_cache.as_ref().map(|e| e.value),
            })
            .collect();
        let t = graph.target();
        let id = JobId(self.jobs.len() as u32);
        self.jobs.push(JobData {
            name: name.to_string(),
            graph_target: Some((graph.vertex(t.vertex).digest.clone(), t.index)),
            options,
            build_pipe: None,
            closed: false,
            outcome: None,
            vertices,
            started: None,
            first_event: 0,
            result: None,
        });
        self.at(start.max(self.now), Timed::Start(id));
        id
    }

    /// Runs until nothing is left to do: every submitted job has returned.
    pub fn run(&mut self) {
        if let Interleaving::Seeded(_) = self.interleaving {
            return self.run_busy();
        }
        loop {
            while let Some(e) = self.queue.pop_front() {
                self.queued.remove(&e);
                self.dispatch(e);
            }
            // Everything due at the next instant happens before the scheduler runs again:
            // functions finish on their own goroutines while the scheduler is busy.
            // A job starting at the same instant arrives after that wave, before the scheduler
            // reacts to it (its load holds the solver lock the scheduler needs).
            let Some(std::cmp::Reverse(Due {
                time: t,
                class,
                what: ev,
                ..
            })) = self.timed.pop()
            else {
                break;
            };
            self.now = self.now.max(t);
            self.fire(ev);
            let mut had_work = class == 0;
            while let Some(std::cmp::Reverse(next)) = self.timed.peek() {
                if next.time != t || (next.class != 0 && !had_work) {
                    break;
                }
                had_work |= next.class == 0;
                let Some(std::cmp::Reverse(next)) = self.timed.pop() else {
                    break;
                };
                self.fire(next.what);
            }
        }
    }

    /// How `job` ended (after [`Solver::run`]).
    pub fn outcome(&self, job: JobId) -> Option<&JobOutcome> {
        self.jobs
            .get(job.0 as usize)
            .and_then(|j| j.outcome.as_ref())
    }

    /// How many events are logged.
    pub(crate) fn log_len(&self) -> usize {
        self.log.len()
    }

    /// The events logged since the job started (what it and any job beside it caused).
    pub fn job_events(&self, job: JobId) -> &[Event] {
        let from = self.jobs.get(job.0 as usize).map_or(0, |j| j.first_event);
        self.log.get(from..).unwrap_or_default()
    }

    pub(crate) fn emit(&mut self, kind: EventKind) {
        self.log.push(Event {
            time: self.now,
            kind,
        });
    }

    pub(crate) fn new_progress_id(&mut self) -> u64 {
        self.next_progress += 1;
        self.next_progress
    }

    /// Writes the state's current record through its multiwriter.
    pub(crate) fn write_progress(&mut self, s: StateId, pid: u64) {
        let record = self.states[s.0 as usize].client.clone();
        self.write_item(s, pid, record);
    }

    /// `MultiWriter.Write`: remember the item, pass it to every writer (jobs, and the
    /// multiwriters of states merged into this one).
    fn write_item(&mut self, s: StateId, pid: u64, record: ClientVertex) {
        let mut jobs = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![s];
        while let Some(st) = stack.pop() {
            if !seen.insert(st) {
                continue;
            }
            let data = &mut self.states[st.0 as usize];
            data.history.push((pid, record.clone()));
            for w in &data.writers {
                match *w {
                    Writer::Job(j) => {
                        jobs.insert(j);
                    }
                    Writer::State(s2) => stack.push(s2),
                }
            }
        }
        for j in jobs {
            if !self.jobs[j.0 as usize].closed {
                self.emit(EventKind::Progress {
                    job: j,
                    id: pid,
                    vertex: record.clone(),
                });
            }
        }
    }

    /// `MultiWriter.Add`: the new writer first receives everything written so far.
    pub(crate) fn add_writer(&mut self, s: StateId, w: Writer) {
        if self.states[s.0 as usize].writers.contains(&w) {
            return;
        }
        let history = self.states[s.0 as usize].history.clone();
        for (pid, record) in history {
            match w {
                Writer::Job(j) => {
                    if !self.jobs[j.0 as usize].closed {
                        self.emit(EventKind::Progress {
                            job: j,
                            id: pid,
                            vertex: record,
                        });
                    }
                }
                Writer::State(s2) => self.write_item(s2, pid, record),
            }
        }
        self.states[s.0 as usize].writers.push(w);
    }

    /// `notifyStarted`: a new interval on the state's record.
    pub(crate) fn notify_started(&mut self, s: StateId, cached: bool) -> u64 {
        let now = self.now;
        let c = &mut self.states[s.0 as usize].client;
        c.started = Some(now);
        c.completed = None;
        c.cached = cached;
        let pid = self.new_progress_id();
        self.write_progress(s, pid);
        pid
    }

    /// The completion half of `notifyStarted`.
    pub(crate) fn notify_completed(
        &mut self,
        s: StateId,
        pid: u64,
        err: Option<&SimError>,
        cached: bool,
    ) {
        let now = self.now;
        let c = &mut self.states[s.0 as usize].client;
        c.completed = Some(now);
        c.cached = cached;
        c.error = err.map(|e| e.message.clone()).unwrap_or_default();
        self.write_progress(s, pid);
    }

    /// Loads a job's vertices into the active graph (`Solver.loadUnlocked`) and returns the
    /// target's state.
    pub(crate) fn load_job(&mut self, job: JobId) -> Option<StateId> {
        let vertices = self.jobs[job.0 as usize].vertices.clone();
        let (target_digest, _) = self.jobs[job.0 as usize].graph_target.clone()?;
        let target = vertices.iter().position(|v| v.digest == target_digest)?;
        let mut loaded: Vec<Option<StateId>> = vec![None; vertices.len()];
        let mut on_stack = vec![false; vertices.len()];
        // Depth first from the target, inputs in order, as the Go recursion does.
        let mut stack: Vec<(usize, usize)> = vec![(target, 0)];
        on_stack[target] = true;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(inp, _)) = vertices[v].inputs.get(*next) {
                *next += 1;
                if loaded[inp].is_none() && !on_stack[inp] {
                    on_stack[inp] = true;
                    stack.push((inp, 0));
                }
                continue;
            }
            stack.pop();
            if loaded[v].is_some() {
                continue;
            }
            let inputs: Vec<(Digest, i64)> = vertices[v]
                .inputs
                .iter()
                .map(|&(i, idx)| {
                    (
                        loaded[i]
                            .map(|s| self.states[s.0 as usize].digest.clone())
                            .unwrap_or_default(),
                        idx,
                    )
                })
                .collect();
            let st = self.load_vertex(&vertices[v], inputs, job);
            loaded[v] = Some(st);
        }
        loaded[target]
    }

    fn load_vertex(&mut self, v: &LoadVertex, inputs: Vec<(Digest, i64)>, job: JobId) -> StateId {
        let dgst = v.digest.clone();
        let alt = Digest::of(format!("{dgst}-ignorecache").as_bytes());
        let st = if let Some(&st) = self.actives.get(&alt) {
            st
        } else {
            let mut key = dgst.clone();
            if let Some(&existing) = self.actives.get(&dgst) {
                if !self.states[existing.0 as usize].ignore_cache && v.ignore_cache {
                    key = alt;
                }
            }
            match self.actives.get(&key) {
                Some(&st) => st,
                None => {
                    let client = ClientVertex {
                        digest: key.clone(),
                        inputs: inputs.iter().map(|(d, _)| d.clone()).collect(),
                        name: v.name.clone(),
                        started: None,
                        completed: None,
                        cached: false,
                        error: String::new(),
                        progress_group: v.progress_group.clone(),
                    };
                    let st = StateId(self.states.len() as u32);
                    self.states.push(StateData {
                        digest: key.clone(),
                        name: v.name.clone(),
                        op: v.op.clone(),
                        inputs,
                        ignore_cache: v.ignore_cache,
                        cache_sources: BTreeSet::new(),
                        jobs: BTreeSet::new(),
                        attached: BTreeSet::new(),
                        writers: Vec::new(),
                        history: Vec::new(),
                        client,
                        edges: BTreeMap::new(),
                        alive: true,
                        cache_res: Vec::new(),
                        cache_done: false,
                        cache_err: None,
                        exec_done: false,
                        exec_res: None,
                        exec_err: None,
                        slow_res: BTreeMap::new(),
                        flight_cache_map: BTreeMap::new(),
                        flight_exec: None,
                    });
                    self.actives.insert(key, st);
                    st
                }
            }
        };
        self.states[st.0 as usize].jobs.insert(job);
        let sources = self.jobs[job.0 as usize].options.cache_from.clone();
        self.states[st.0 as usize].cache_sources.extend(sources);
        // connectProgressFromState: every job of the state not yet attached gets a snapshot.
        let jobs: Vec<JobId> = self.states[st.0 as usize].jobs.iter().copied().collect();
        for j in jobs {
            if self.states[st.0 as usize].attached.insert(j) {
                self.add_writer(st, Writer::Job(j));
                let record = self.states[st.0 as usize].client.clone();
                let pid = self.new_progress_id();
                if !self.jobs[j.0 as usize].closed {
                    self.emit(EventKind::Progress {
                        job: j,
                        id: pid,
                        vertex: record,
                    });
                }
            }
        }
        st
    }

    /// `Job.Discard`: the job leaves every state; states left with no job are released.
    pub(crate) fn discard(&mut self, job: JobId) {
        let mut keys: Vec<(Digest, StateId)> =
            self.actives.iter().map(|(d, s)| (d.clone(), *s)).collect();
        keys.sort();
        for (d, s) in keys {
            let data = &mut self.states[s.0 as usize];
            data.attached.remove(&job);
            if data.jobs.remove(&job) && data.jobs.is_empty() {
                data.alive = false;
                let edges: Vec<EdgeId> = data.edges.values().copied().collect();
                self.actives.remove(&d);
                for e in edges {
                    let e = self.owner_of(e);
                    self.release_edge(e);
                }
            }
        }
    }

    fn release_edge(&mut self, e: EdgeId) {
        let data = &mut self.edges[e.0 as usize];
        if data.releaser_count > 0 {
            data.releaser_count -= 1;
            return;
        }
        self.index.release(e);
    }

    pub(crate) fn owner_of(&self, mut e: EdgeId) -> EdgeId {
        while let Some(o) = self.edges[e.0 as usize].owner {
            e = o;
        }
        e
    }

    /// `state.getEdge(index)`: the edge for an output, following merges.
    pub(crate) fn state_edge(&mut self, s: StateId, index: i64) -> EdgeId {
        if let Some(&e) = self.states[s.0 as usize].edges.get(&index) {
            return self.owner_of(e);
        }
        let e = self.new_edge(s, index);
        self.states[s.0 as usize].edges.insert(index, e);
        e
    }

    pub(crate) fn new_edge(&mut self, s: StateId, index: i64) -> EdgeId {
        self.edges.push(EdgeData {
            state_id: s,
            index,
            st: EdgeState::default(),
            dep_requests: BTreeMap::new(),
            deps: Vec::new(),
            deps_init: false,
            cache_map_req: None,
            cache_map_done: false,
            cache_map_index: 0,
            cache_map_digests: Vec::new(),
            exec_req: None,
            exec_cache_load: false,
            err: None,
            cache_records: BTreeMap::new(),
            cache_records_loaded: BTreeSet::new(),
            key_map: BTreeSet::new(),
            no_cache_match_possible: false,
            all_deps_completed_cache_fast: false,
            all_deps_completed_cache_slow: false,
            all_deps_state_cache_slow: false,
            all_deps_completed: false,
            has_active_outgoing: false,
            releaser_count: 0,
            owner: None,
            keys_did_change: false,
            failed_once: false,
            inputs: edge::InputTally::default(),
        });
        EdgeId((self.edges.len() - 1) as u32)
    }

    /// The edge for an input `(digest, index)` of a vertex: `Solver.getEdge`.
    pub(crate) fn input_edge(&mut self, digest: &Digest, index: i64) -> Option<EdgeId> {
        let s = *self.actives.get(digest)?;
        Some(self.state_edge(s, index))
    }

    /// Outcomes of every job, in submission order.
    pub fn outcomes(&self) -> Vec<Option<JobOutcome>> {
        self.jobs.iter().map(|j| j.outcome.clone()).collect()
    }

    /// When the job's progress stream closed: when the build returned, or now if it has not.
    pub fn job_closed(&self, job: JobId) -> Time {
        self.outcome(job).map_or(self.now, |o| o.finished)
    }

    /// When the job started (loaded its graph), once it has.
    pub fn job_started(&self, job: JobId) -> Option<Time> {
        self.jobs.get(job.0 as usize).and_then(|j| j.started)
    }

    /// The job's name as submitted.
    pub fn job_name(&self, job: JobId) -> &str {
        &self.jobs[job.0 as usize].name
    }
}
