//! The solver's vocabulary of what happened: the records a job's progress stream receives
//! (`client.Vertex`), the reasons behind a decision, and the event log every solve writes.

use crate::llb::Digest;

use super::{JobId, KeyInfo, Time};

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
