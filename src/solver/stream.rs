//! A job's status stream as `Job.Status` delivers it: the records written to the job's progress
//! writer, read in batches (here: everything written at one virtual instant), coalesced by
//! progress ID, passed through `vertexStream` (a started vertex retroactively marks its
//! never-completed inputs cached), sorted by start time, and closed by the encore batch.

use std::collections::{BTreeMap, BTreeSet};

use crate::llb::Digest;

use super::{ClientVertex, Event, EventKind, JobId, Time};

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

    fn append_into(&mut self, v: StreamVertex, out: &mut Vec<StreamVertex>) {
        self.cache.insert(v.vertex.digest.clone(), v.clone());
        if let Some(started) = v.vertex.started {
            for inp in &v.vertex.inputs {
                let Some(iv) = self.cache.get(inp) else {
                    continue;
                };
                if !iv.vertex.cached && iv.vertex.completed.is_none() {
                    let mut iv = iv.clone();
                    iv.vertex.cached = true;
                    iv.vertex.started = Some(started);
                    iv.vertex.completed = Some(started);
                    iv.inferred = true;
                    self.append_into(iv, out);
                    self.cache.remove(inp);
                }
            }
        }
        if v.vertex.cached {
            self.mark_cached(&v.vertex.digest);
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

/// The stream `job` received, as batches, ending with the encore (if it has anything) at
/// `closed` (the time the job's progress was closed).
pub fn batches(events: &[Event], job: JobId, closed: Time) -> Vec<Batch> {
    // Group writes by instant; coalesce by progress ID (last write wins, placed at its write).
    let mut raw: Vec<(Time, Vec<(u64, ClientVertex)>)> = Vec::new();
    for ev in events {
        let EventKind::Progress { job: j, id, vertex } = &ev.kind else {
            continue;
        };
        if *j != job {
            continue;
        }
        match raw.last_mut() {
            Some((t, items)) if *t == ev.time => {
                items.retain(|(pid, _)| pid != id);
                items.push((*id, vertex.clone()));
            }
            _ => raw.push((ev.time, vec![(*id, vertex.clone())])),
        }
    }
    let mut vs = VertexStream::default();
    let mut out = Vec::with_capacity(raw.len() + 1);
    for (time, items) in raw {
        let mut vertexes = Vec::new();
        for (_, v) in items {
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
