//! The solver's working state, as BuildKit's structs have it: edges and their dependencies,
//! request pipes, active vertex states with their `sharedOp` flights, tasks on the virtual
//! clock, and the jobs with the vertices they load. [`super::Solver`] owns one arena of each.

use std::collections::{BTreeMap, BTreeSet};

use crate::llb::{pb, Digest};

use super::cache::{CacheRecord, KeyId};
use super::{edge, ops};
use super::{
    ClientVertex, CmId, EdgeId, FlightId, JobId, JobOptions, JobOutcome, ManagerId, PipeId,
    ProgressGroup, Reason, ResId, SimError, StateId, TaskId, Time,
};

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
