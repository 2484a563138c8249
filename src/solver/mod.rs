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
mod export;
mod index;
pub mod ops;
mod outbox;
mod scheduler;
pub use export::{ExportMode, ExportedKey};

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};

use crate::graph::Graph;
use crate::llb::{pb, Digest};

pub use cache::ManagerId;
use cache::{Cache, CacheRecord, KeyId};
pub use cache::{InputKey, KeyInfo};
use ops::CacheMap;

pub use ops::{StubOps, Variant, MS};

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

/// `client.Vertex`: what a progress record says about a vertex.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClientVertex {
    /// The vertex digest (the active digest, which can be the ignore-cache one).
    pub digest: Digest,
    /// Digests of the inputs.
    pub inputs: Vec<Digest>,
    /// Display name.
    pub name: String,
    /// Start of the current interval.
    pub started: Option<Time>,
    /// End of the current interval.
    pub completed: Option<Time>,
    /// Whether the interval was a cache load (or inferred cached).
    pub cached: bool,
    /// Error message of the interval ("" for none).
    pub error: String,
    /// Progress group, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_group: Option<ProgressGroup>,
}

/// `pb.ProgressGroup` as progress shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProgressGroup {
    /// Group ID.
    pub id: String,
    /// Group name.
    pub name: String,
    /// Hidden until a non-weak member starts.
    pub weak: bool,
}

/// Why the solver did something to a vertex.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// A root computes its cache map on every solve, warm or cold.
    RootCacheMap,
    /// The result was needed and a cache record matched its key.
    CacheHit {
        /// The record loaded.
        record: String,
        /// The cache source it came from (then saved into the main cache), if not the main cache.
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// The result was needed and no cache record matched; all inputs are complete.
    CacheMiss,
    /// The vertex ignores the cache (`--no-cache`).
    IgnoreCache,
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A job's progress stream received a vertex record.
    Progress {
        /// The job.
        job: JobId,
        /// Progress ID (records with the same ID coalesce in a batch).
        id: u64,
        /// The record.
        vertex: ClientVertex,
    },
    /// A job's stream received a log line.
    Log {
        /// The job.
        job: JobId,
        /// The vertex.
        digest: Digest,
        /// The text (without newline).
        line: String,
    },
    /// A job's stream received a sub-status of a vertex (`client.VertexStatus`).
    Status {
        /// The job.
        job: JobId,
        /// The vertex.
        digest: Digest,
        /// The status ID.
        id: String,
        /// Bytes done.
        current: i64,
        /// Bytes in all (0: no counter).
        total: i64,
        /// Start.
        started: Time,
        /// End, once done.
        #[serde(skip_serializing_if = "Option::is_none")]
        completed: Option<Time>,
    },
    /// An op's cache map was computed.
    CacheMap {
        /// Vertex.
        digest: Digest,
        /// The cache digest.
        cache_digest: String,
    },
    /// The cache was asked about a vertex's key.
    CacheQuery {
        /// Vertex.
        digest: Digest,
        /// Whether any record matched.
        hit: bool,
    },
    /// An op started executing.
    ExecStart {
        /// Vertex.
        digest: Digest,
        /// Why.
        why: Reason,
    },
    /// An op finished executing.
    ExecEnd {
        /// Vertex.
        digest: Digest,
        /// Error, if it failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A result was loaded from the cache.
    Load {
        /// Vertex.
        digest: Digest,
        /// Why.
        why: Reason,
        /// The key the record was found under.
        key: KeyInfo,
    },
    /// An exec's result was saved in the cache under a key (its record is the result ID).
    KeySaved {
        /// Vertex.
        digest: Digest,
        /// The record (result ID).
        record: String,
        /// The key.
        key: KeyInfo,
    },
    /// Two vertices with equal cache keys were merged; `from`'s requests now go to `into`.
    Merge {
        /// The merged-away vertex.
        from: Digest,
        /// The surviving vertex.
        into: Digest,
    },
    /// A job's build returned.
    JobDone {
        /// The job.
        job: JobId,
        /// Error, if it failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A job's build was cancelled.
    JobCancel {
        /// The job.
        job: JobId,
    },
}

/// A timestamped event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// Virtual time.
    pub time: Time,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// How goroutine timing is modelled: the races BuildKit leaves to the Go scheduler.
///
/// BuildKit runs cache maps, execs, cache loads and content hashes on goroutines, and its
/// scheduler is one loop that dispatches one edge at a time. Which of two functions finishing
/// together the scheduler hears of first, and what else is already waiting in its queue when it
/// does, is decided by timing that differs from run to run. It decides things a user can see:
/// which of two vertices with equal cache keys becomes the owner when their edges merge (the
/// other job's vertex is then never started, or is marked cached by the progress stream), and
/// which siblings are in flight when a step fails. Measured on BuildKit's own solver (the
/// oracle's content stubs, two jobs started together, 100 runs each), the owner is one job for
/// the whole graph in most runs of chains and fan-ins and in under half the runs of
/// synth-lattice6, whose other runs mix directions cell by cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interleaving {
    /// An idealised run: the scheduler takes no time, every op takes exactly its planned
    /// duration, and of two functions finishing at the same instant the one started first
    /// finishes first (job starts keep submission order). Merges then always go the way the
    /// first merge went.
    #[default]
    StartOrder,
    /// A run with timing noise drawn from this seed (the same seed gives the same run): each
    /// dispatch takes the scheduler [`DISPATCH_COST`] and functions that finish meanwhile queue
    /// behind it, each op's duration strays by up to [`EXEC_JITTER`] and each instantaneous
    /// function by up to [`TASK_JITTER`], and ties at one instant come in a pseudo-random
    /// order. On synth-lattice6 about half the seeds mix merge directions, as about half of
    /// BuildKit's runs do; chains and fan-ins keep one owner (BuildKit mixes 3 and 13 runs in
    /// 100 there).
    Seeded(u64),
}

/// What one dispatch costs the scheduler under [`Interleaving::Seeded`], in virtual ns.
pub const DISPATCH_COST: Time = 1_000;
/// The most an op's duration strays from its plan under [`Interleaving::Seeded`], in virtual ns
/// (a 5 ms sleep in Go on a busy 2-core machine ends up to about half a millisecond late).
pub const EXEC_JITTER: Time = 500_000;
/// The most a function with no planned duration (a content hash, a cache map) strays under
/// [`Interleaving::Seeded`], in virtual ns.
pub const TASK_JITTER: Time = 20_000;

/// FNV-1a over `bytes`: a stable 64-bit name for a digest.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's step from state `z`: a well-spread, deterministic 64-bit mix (also the cache's
/// ID generator).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Status {
    #[default]
    Initial,
    CacheFast,
    CacheSlow,
    Complete,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EdgeState {
    pub state: Status,
    pub result: Option<ResId>,
    pub cache_map: Option<CmId>,
    pub keys: Vec<KeyId>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Dep {
    pub req: Option<PipeId>,
    pub st: EdgeState,
    pub key_map: BTreeMap<String, KeyId>,
    pub slow_req: Option<PipeId>,
    pub slow_complete: bool,
    pub slow_found: bool,
    pub slow_key: Option<KeyId>,
    /// What this dep last added to its edge's [`edge::InputTally`] (a set of bits).
    pub counted: u16,
    /// Changed since the tally last counted it.
    pub count_dirty: bool,
    /// Changed since the edge last walked it for input requests.
    pub req_dirty: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct EdgeData {
    pub state_id: StateId,
    pub index: i64,
    pub st: EdgeState,
    pub dep_requests: BTreeMap<PipeId, usize>,
    pub deps: Vec<Dep>,
    pub deps_init: bool,
    pub cache_map_req: Option<PipeId>,
    pub cache_map_done: bool,
    pub cache_map_index: usize,
    pub cache_map_digests: Vec<String>,
    pub exec_req: Option<PipeId>,
    pub exec_cache_load: bool,
    pub err: Option<SimError>,
    pub cache_records: BTreeMap<String, CacheRecord>,
    pub cache_records_loaded: BTreeSet<String>,
    pub key_map: BTreeSet<String>,
    pub no_cache_match_possible: bool,
    pub all_deps_completed_cache_fast: bool,
    pub all_deps_completed_cache_slow: bool,
    pub all_deps_state_cache_slow: bool,
    pub all_deps_completed: bool,
    pub has_active_outgoing: bool,
    pub releaser_count: usize,
    pub owner: Option<EdgeId>,
    pub keys_did_change: bool,
    pub failed_once: bool,
    /// Facts over all deps, kept up to date per changed dep.
    pub inputs: edge::InputTally,
}

#[derive(Clone, Debug)]
pub(crate) struct EdgeRequest {
    pub desired: Status,
    pub current: EdgeState,
    pub current_keys: usize,
}

#[derive(Clone, Debug, Default)]
pub(crate) enum Value {
    #[default]
    None,
    /// A pointer to an edge's live state.
    Edge(EdgeId),
    CacheMap(CmId, bool),
    Result(ResId),
    Digest(String),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PipeStatus {
    pub completed: bool,
    pub canceled: bool,
    pub err: Option<SimError>,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub(crate) struct PipeData {
    pub target: Option<EdgeId>,
    pub from: Option<EdgeId>,
    pub request: Option<EdgeRequest>,
    pub canceled: bool,
    pub send: PipeStatus,
    pub sent: u64,
    pub recv: PipeStatus,
    pub received: u64,
    pub task: Option<TaskId>,
    pub build_job: Option<JobId>,
    /// When the pipe joined its `from` edge's outgoing list (orders the list).
    pub out_seq: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct CachedResult {
    pub id: String,
    pub keys: Vec<KeyId>,
}

/// An active vertex (BuildKit's `state`), with its `sharedOp` memo.
#[derive(Clone, Debug)]
pub(crate) struct StateData {
    pub digest: Digest,
    pub name: String,
    pub op: pb::Op,
    pub inputs: Vec<(Digest, i64)>,
    pub ignore_cache: bool,
    /// Cache sources of the jobs that loaded this vertex (`state.cache` minus the main one).
    pub cache_sources: BTreeSet<ManagerId>,
    pub jobs: BTreeSet<JobId>,
    /// Jobs whose progress writer is attached (`allPw`).
    pub attached: BTreeSet<JobId>,
    /// Where writes to this state's multiwriter go (`mpw.writers`).
    pub writers: Vec<Writer>,
    /// Everything written to this state's multiwriter (`mpw.items`), replayed to new writers.
    pub history: Vec<(u64, ClientVertex)>,
    pub client: ClientVertex,
    pub edges: BTreeMap<i64, EdgeId>,
    pub alive: bool,
    pub cache_res: Vec<CmId>,
    pub cache_done: bool,
    pub cache_err: Option<SimError>,
    pub exec_done: bool,
    pub exec_res: Option<Vec<String>>,
    pub exec_err: Option<SimError>,
    pub slow_res: BTreeMap<usize, String>,
    pub flight_cache_map: BTreeMap<usize, FlightId>,
    pub flight_exec: Option<FlightId>,
}

/// A progress writer a state's multiwriter forwards to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Writer {
    Job(JobId),
    State(StateId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FlightKind {
    CacheMap(usize),
    Exec,
}

#[derive(Clone, Debug)]
pub(crate) struct Flight {
    pub state: StateId,
    pub kind: FlightKind,
    pub waiters: Vec<TaskId>,
    pub canceled: bool,
    pub done: bool,
    pub progress: Option<u64>,
    pub plan: Option<ops::ExecPlan>,
    /// The sub-statuses the flight reports (for an exec, its plan's).
    pub statuses: Vec<ops::PlannedStatus>,
    /// When the flight started.
    pub began: Time,
    pub cache_map: Option<CmId>,
    pub generation: u64,
    pub why: Option<Reason>,
}

#[derive(Clone, Debug)]
pub(crate) enum TaskKind {
    CacheMap {
        index: usize,
    },
    Exec {
        commit_keys: Vec<KeyId>,
        why: Reason,
    },
    Load {
        record: CacheRecord,
    },
    Slow {
        dep: usize,
        result: ResId,
    },
    Postpone,
    Fail(SimError),
}

#[derive(Clone, Debug)]
pub(crate) struct Task {
    pub pipe: PipeId,
    pub edge: Option<EdgeId>,
    pub kind: TaskKind,
    pub canceled: bool,
    pub done: bool,
    pub flight: Option<FlightId>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timed {
    /// A task that does not wait on a flight finishes.
    Task(TaskId),
    /// A flight's work finishes (if its generation still matches).
    Flight(FlightId, u64),
    /// A flight waiter gives up after its context was cancelled.
    Waiter(TaskId),
    /// A job's build context is cancelled.
    Cancel(JobId),
    /// A job is started (submitted at a later time).
    Start(JobId),
    /// A running exec prints line `n` of its plan's logs (dropped if it was cancelled or ended).
    Log(FlightId, usize),
    /// A running flight reports its sub-status `n` started (`false`) or completed (`true`).
    Status(FlightId, usize, bool),
}

#[derive(Clone, Debug)]
pub(crate) struct JobData {
    pub name: String,
    pub graph_target: Option<(Digest, i64)>,
    pub options: JobOptions,
    pub build_pipe: Option<PipeId>,
    pub closed: bool,
    pub outcome: Option<JobOutcome>,
    pub vertices: Vec<LoadVertex>,
    pub started: Option<Time>,
    /// Where the job's part of the event log begins (the first event logged once it started).
    pub first_event: usize,
    pub result: Option<ResId>,
}

/// A vertex as a job loads it.
#[derive(Clone, Debug)]
pub(crate) struct LoadVertex {
    pub digest: Digest,
    pub name: String,
    pub op: pb::Op,
    pub inputs: Vec<(usize, i64)>,
    pub ignore_cache: bool,
    pub progress_group: Option<ProgressGroup>,
    pub export_cache: Option<bool>,
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

    /// The loop under [`Interleaving::Seeded`]: each dispatch takes the scheduler
    /// [`DISPATCH_COST`], and whatever finishes meanwhile happens before the next dispatch (an
    /// edge already queued then sees that news when its turn comes, as in BuildKit).
    fn run_busy(&mut self) {
        loop {
            while let Some(std::cmp::Reverse(next)) = self.timed.peek() {
                if next.time > self.now {
                    break;
                }
                let Some(std::cmp::Reverse(next)) = self.timed.pop() else {
                    break;
                };
                self.fire(next.what);
            }
            if let Some(e) = self.queue.pop_front() {
                self.queued.remove(&e);
                self.dispatch(e);
                self.now += DISPATCH_COST;
                continue;
            }
            let Some(std::cmp::Reverse(next)) = self.timed.pop() else {
                break;
            };
            self.now = self.now.max(next.time);
            self.fire(next.what);
        }
    }

    /// How `job` ended (after [`Solver::run`]).
    pub fn outcome(&self, job: JobId) -> Option<&JobOutcome> {
        self.jobs
            .get(job.0 as usize)
            .and_then(|j| j.outcome.as_ref())
    }

    /// Schedules `ev` at `t`. At one instant, job starts come after everything else that is
    /// due: a job submitted beside a running one loads once the running one's instantaneous work
    /// (its roots' cache maps) is done, as a second goroutine would arrive a moment later.
    /// Among the rest, the [`Interleaving`] orders what goroutines would race for.
    pub(crate) fn at(&mut self, mut t: Time, ev: Timed) {
        self.seq += 1;
        let class = u8::from(matches!(ev, Timed::Start(_)));
        let mut race = 0;
        if let Interleaving::Seeded(seed) = self.interleaving {
            if let Some(who) = self.noise_key(&ev) {
                let noise = mix64(seed ^ who);
                race = mix64(noise);
                match ev {
                    Timed::Flight(..) if t > self.now => t += noise % EXEC_JITTER,
                    Timed::Task(_) => t += noise % TASK_JITTER,
                    _ => {}
                }
            }
        }
        self.timed.push(std::cmp::Reverse(Due {
            time: t,
            class,
            race,
            seq: self.seq,
            what: ev,
        }));
    }

    /// Under a seeded interleaving, what a timed event's noise is drawn for: the function and
    /// the vertex it works on (not the order it was scheduled in, so one op strays the same way
    /// whatever else happened before it). `None` for events that are not goroutines finishing.
    fn noise_key(&self, ev: &Timed) -> Option<u64> {
        let vertex = |s: StateId| fnv1a(self.states[s.0 as usize].digest.as_str().as_bytes());
        let edge = |e: Option<EdgeId>| {
            e.map_or(0, |e| {
                let data = &self.edges[e.0 as usize];
                vertex(data.state_id) ^ mix64(data.index as u64)
            })
        };
        Some(match *ev {
            Timed::Flight(f, generation) => {
                let flight = &self.flights[f.0 as usize];
                let kind = match flight.kind {
                    FlightKind::CacheMap(i) => 1 + i as u64,
                    FlightKind::Exec => 0,
                };
                vertex(flight.state) ^ mix64(kind ^ generation << 32)
            }
            Timed::Task(task) | Timed::Waiter(task) => {
                let data = &self.tasks[task.0 as usize];
                let kind = match &data.kind {
                    TaskKind::CacheMap { index } => 0x100 + *index as u64,
                    TaskKind::Exec { .. } => 0x200,
                    TaskKind::Load { .. } => 0x300,
                    TaskKind::Slow { dep, .. } => 0x400 + *dep as u64,
                    TaskKind::Postpone => 0x500,
                    TaskKind::Fail(_) => 0x600,
                };
                let waiter = u64::from(matches!(ev, Timed::Waiter(_)));
                edge(data.edge) ^ mix64(kind ^ waiter << 20)
            }
            Timed::Start(job) => mix64(0x7000 + u64::from(job.0)),
            Timed::Cancel(_) | Timed::Log(..) | Timed::Status(..) => return None,
        })
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
