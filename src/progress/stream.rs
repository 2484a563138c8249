//! A job's status stream as `Job.Status` delivers it: the records written to the job's progress
//! writer, read in batches (here: everything written at one virtual instant), coalesced by
//! progress ID, passed through `vertexStream` (a started vertex retroactively marks its
//! never-completed inputs cached), sorted by start time, and closed by the encore batch.

use std::collections::{BTreeMap, BTreeSet};

use super::status::{
    ProgressGroup as StatusGroup, SolveStatus, Timestamp, Vertex, VertexLog, VertexStatus,
};
use crate::llb::Digest;
use crate::solver::{ClientVertex, Event, EventKind, JobId, Time};

/// One vertex record of the stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StreamVertex {
    /// The record.
    #[serde(flatten)]
    pub vertex: ClientVertex,
    /// Made by `vertexStream` (a consumer started before this vertex completed), not by the solver.
    pub inferred: bool,
    /// Closed by the encore.
    pub encore: bool,
}

/// One `SolveStatus` worth of vertex records.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Batch {
    /// When it was read.
    pub time: Time,
    /// Its vertex records, sorted as `Job.Status` sorts them.
    pub vertexes: Vec<StreamVertex>,
}

/// `vertexStream`.
#[derive(Default)]
struct VertexStream {
    cache: BTreeMap<Digest, StreamVertex>,
    was_cached: BTreeSet<Digest>,
}

impl VertexStream {
    fn append(&mut self, v: StreamVertex) -> Vec<StreamVertex> {
        let mut out = Vec::new();
        // An explicit stack replaces the recursion; order is preserved: an input's own
        // cascade comes before it, and every inferred record before `v`.
        self.append_into(v, &mut out);
        out
    }

    /// `vertexStream.append`, without recursion: each frame is a record being appended and the
    /// next of its inputs to look at. A frame's record is emitted after every input it infers.
    fn append_into(&mut self, v: StreamVertex, out: &mut Vec<StreamVertex>) {
        self.cache.insert(v.vertex.digest.clone(), v.clone());
        let mut stack: Vec<(StreamVertex, usize)> = vec![(v, 0)];
        while let Some((v, next)) = stack.last_mut() {
            let input = match v.vertex.started {
                Some(started) => v.vertex.inputs.get(*next).cloned().map(|i| (i, started)),
                None => None,
            };
            let Some((inp, started)) = input else {
                if let Some((v, _)) = stack.pop() {
                    self.finish(v, out);
                }
                continue;
            };
            *next += 1;
            let Some(iv) = self.cache.get(&inp) else {
                continue;
            };
            if iv.vertex.cached || iv.vertex.completed.is_some() {
                continue;
            }
            let mut iv = iv.clone();
            iv.vertex.cached = true;
            iv.vertex.started = Some(started);
            iv.vertex.completed = Some(started);
            iv.inferred = true;
            self.cache.insert(inp, iv.clone());
            stack.push((iv, 0));
        }
    }

    /// The end of one `append`: mark cached, emit, and (for an inferred input) forget it.
    fn finish(&mut self, v: StreamVertex, out: &mut Vec<StreamVertex>) {
        if v.vertex.cached {
            self.mark_cached(&v.vertex.digest);
        }
        if v.inferred {
            self.cache.remove(&v.vertex.digest);
        }
        out.push(v);
    }

    fn mark_cached(&mut self, d: &Digest) {
        let mut stack = vec![d.clone()];
        while let Some(d) = stack.pop() {
            let Some(v) = self.cache.get(&d) else {
                continue;
            };
            if !self.was_cached.contains(&d) {
                stack.extend(v.vertex.inputs.iter().cloned());
            }
            self.was_cached.insert(d);
        }
    }

    fn encore(&mut self, now: Time) -> Vec<StreamVertex> {
        let mut out = Vec::new();
        for (d, v) in &mut self.cache {
            if v.vertex.started.is_some() && v.vertex.completed.is_none() {
                v.vertex.completed = Some(now);
                if !self.was_cached.contains(d) && v.vertex.error.is_empty() {
                    v.vertex.error = "context canceled".into();
                }
                v.encore = true;
                out.push(v.clone());
            }
        }
        out
    }
}

/// The writes of one instant: records in write order (a later write of the same progress ID
/// empties the earlier slot) and where each ID's slot is.
type Instant = (Time, Vec<Option<ClientVertex>>, BTreeMap<u64, usize>);

/// The stream `job` received, as batches, ending with the encore (if it has anything) at
/// `closed` (the time the job's progress was closed).
pub fn batches(events: &[Event], job: JobId, closed: Time) -> Vec<Batch> {
    // Group writes by instant; coalesce by progress ID (last write wins, placed at its write).
    // Per instant: the records in write order, a slot per progress ID (a later write empties
    // the earlier slot of the same ID).
    let mut raw: Vec<Instant> = Vec::new();
    for ev in events {
        let EventKind::Progress { job: j, id, vertex } = &ev.kind else {
            continue;
        };
        if *j != job {
            continue;
        }
        if raw.last().is_none_or(|(t, _, _)| *t != ev.time) {
            raw.push((ev.time, Vec::new(), BTreeMap::new()));
        }
        let Some((_, items, slot)) = raw.last_mut() else {
            continue;
        };
        if let Some(old) = slot.insert(*id, items.len()) {
            items[old] = None;
        }
        items.push(Some(vertex.clone()));
    }
    let mut vs = VertexStream::default();
    let mut out = Vec::with_capacity(raw.len() + 1);
    for (time, items, _) in raw {
        let mut vertexes = Vec::new();
        for v in items.into_iter().flatten() {
            vertexes.extend(vs.append(StreamVertex {
                vertex: v,
                inferred: false,
                encore: false,
            }));
        }
        // Records without a start first, then by start (stable, like Go's pdqsort on small
        // slices for equal keys is not; equal starts keep stream order here).
        vertexes.sort_by_key(|v| v.vertex.started.map_or(0, |s| s + 1));
        out.push(Batch { time, vertexes });
    }
    let encore = vs.encore(closed);
    if !encore.is_empty() {
        out.push(Batch {
            time: closed,
            vertexes: encore,
        });
    }
    out
}

/// One message of a job's stream, with the virtual time it was read at.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TimedStatus {
    /// When it was read, on the virtual clock.
    pub time: Time,
    /// What it carried, with real timestamps ([`Timestamp::virtual_at`]).
    pub status: SolveStatus,
    /// Vertex records made by `vertexStream` (a consumer started first), by digest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inferred: Vec<String>,
    /// This is the encore batch.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encore: bool,
}

fn to_vertex(v: &ClientVertex) -> Vertex {
    Vertex {
        digest: v.digest.to_string(),
        inputs: v.inputs.iter().map(|d| d.to_string()).collect(),
        name: v.name.clone(),
        started: v.started.map(Timestamp::virtual_at),
        completed: v.completed.map(Timestamp::virtual_at),
        cached: v.cached,
        error: v.error.clone(),
        progress_group: v.progress_group.as_ref().map(|g| StatusGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            weak: g.weak,
        }),
    }
}

/// The `client.SolveStatus` messages `job` received: [`batches`] as messages, with the job's
/// log lines (stdout, one chunk per line) in the message of the instant they were written. The
/// encore, if any, comes last.
pub fn statuses(events: &[Event], job: JobId, closed: Time) -> Vec<TimedStatus> {
    let mut out: Vec<TimedStatus> = batches(events, job, closed)
        .into_iter()
        .map(|b| {
            let encore = !b.vertexes.is_empty() && b.vertexes.iter().all(|v| v.encore);
            TimedStatus {
                time: b.time,
                inferred: b
                    .vertexes
                    .iter()
                    .filter(|v| v.inferred)
                    .map(|v| v.vertex.digest.to_string())
                    .collect(),
                status: SolveStatus {
                    vertexes: b.vertexes.iter().map(|v| to_vertex(&v.vertex)).collect(),
                    ..SolveStatus::default()
                },
                encore,
            }
        })
        .collect();
    let mut extras: Vec<(Time, Extra)> = Vec::new();
    for ev in events {
        match &ev.kind {
            EventKind::Log {
                job: j,
                digest,
                line,
            } if *j == job => extras.push((
                ev.time,
                Extra::Log(VertexLog {
                    vertex: digest.to_string(),
                    stream: 1,
                    data: format!("{line}\n").into_bytes(),
                    timestamp: Timestamp::virtual_at(ev.time),
                }),
            )),
            EventKind::Status {
                job: j,
                digest,
                id,
                current,
                total,
                started,
                completed,
            } if *j == job => extras.push((
                ev.time,
                Extra::Status(VertexStatus {
                    id: id.clone(),
                    vertex: digest.to_string(),
                    name: id.clone(),
                    total: *total,
                    current: *current,
                    timestamp: Timestamp::virtual_at(ev.time),
                    started: Some(Timestamp::virtual_at(*started)),
                    completed: completed.map(Timestamp::virtual_at),
                }),
            )),
            _ => {}
        }
    }
    // Merge (both are in time order): a log joins the non-encore message of its instant, or
    // gets its own message; the encore stays last.
    let encore = match out.last() {
        Some(last) if last.encore => out.pop(),
        _ => None,
    };
    let mut merged: Vec<TimedStatus> = Vec::with_capacity(out.len() + extras.len());
    let mut extras = extras.into_iter().peekable();
    for msg in out {
        while let Some((t, _)) = extras.peek() {
            if *t >= msg.time {
                break;
            }
            let Some((time, x)) = extras.next() else {
                break;
            };
            push_extra(&mut merged, time, x);
        }
        merged.push(msg);
    }
    for (time, x) in extras {
        push_extra(&mut merged, time, x);
    }
    merged.extend(encore);
    merged
}

/// A log chunk or a sub-status, to be put in the message of its instant.
enum Extra {
    Log(VertexLog),
    Status(VertexStatus),
}

fn push_extra(out: &mut Vec<TimedStatus>, time: Time, x: Extra) {
    if out.last().is_none_or(|s| s.time != time) {
        out.push(TimedStatus {
            time,
            status: SolveStatus::default(),
            inferred: Vec::new(),
            encore: false,
        });
    }
    let Some(msg) = out.last_mut() else {
        return;
    };
    match x {
        Extra::Log(l) => msg.status.logs.push(l),
        // A later write of the same status ID in one read replaces the earlier one.
        Extra::Status(st) => match msg.status.statuses.iter_mut().find(|o| o.id == st.id) {
            Some(old) => *old = st,
            None => msg.status.statuses.push(st),
        },
    }
}

/// `progresswriter.ResetTime` as `buildctl` applies it to every output mode: from the first
/// message with a started vertex on (the last such vertex of that message decides), every
/// vertex, status and log time is shifted so that vertex appears to start at `client_start`.
/// Earlier messages and warnings are left alone.
pub fn reset_time(messages: &mut [SolveStatus], client_start: Timestamp) {
    let mut diff: Option<i64> = None;
    for m in messages.iter_mut() {
        if diff.is_none() {
            diff = m
                .vertexes
                .iter()
                .rev()
                .find_map(|v| v.started)
                .map(|s| s.since(client_start));
        }
        let Some(d) = diff else {
            continue;
        };
        let shift = |t: &mut Timestamp| t.0 = t.0.saturating_sub(d);
        for v in &mut m.vertexes {
            v.started.as_mut().map(shift);
            v.completed.as_mut().map(shift);
        }
        for s in &mut m.statuses {
            shift(&mut s.timestamp);
            s.started.as_mut().map(shift);
            s.completed.as_mut().map(shift);
        }
        for l in &mut m.logs {
            shift(&mut l.timestamp);
        }
    }
}

/// What `buildctl` shows of `job`: its messages after [`reset_time`], with the client's start
/// at the job's start (`start`) on the virtual clock.
pub fn client_stream(events: &[Event], job: JobId, start: Time, closed: Time) -> Vec<SolveStatus> {
    let mut msgs: Vec<SolveStatus> = statuses(events, job, closed)
        .into_iter()
        .map(|m| m.status)
        .collect();
    reset_time(&mut msgs, Timestamp::virtual_at(start));
    msgs
}
