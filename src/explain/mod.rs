//! The anatomy of every vertex's cache key in one build: what fed the cache map, which input
//! keys the key was made of, what the cache was asked and what it answered, and what the
//! progress stream then showed. It answers "why did this step run?".
//!
//! Everything here is read from what the solver did (its event log, the job's graph and the op
//! model); nothing is computed anew that could differ from the solve. The one vocabulary of
//! outcomes is [`Outcome`].
//!
//! How a key is made (BuildKit's `solver/cachekey.go`, `cachemanager.go`):
//! * the op's `CacheMap` gives a digest (of the op's own fields, never its inputs' digests) and,
//!   per input, a selector (the paths the op reads from that input) and whether a content-based
//!   key is computed from the input's files;
//! * a root's key ID is `sha256("<cache map digest>@<output>")`;
//! * any other key is a node of a link graph: from each input's key, a link labelled
//!   `(input index, output, cache map digest, selector)` leads to the keys that were made from
//!   it; the key's ID is the one every input's links agree on, or a fresh ID if none;
//! * a content-based key stands in for an input's key with an empty selector: its digest is the
//!   checksum of the input's files under the selector's paths, so a rebuilt input whose files
//!   came out the same still links to the old record.

mod text;

use std::collections::{BTreeMap, BTreeSet};

pub use text::render;

use crate::graph::OpKind;
use crate::llb::Digest;
use crate::progress::summary::{rows, Outcome, VertexRow};
use crate::solver::cache::root_key;
use crate::solver::ops::{CacheMapBasis, OpInfo};
use crate::solver::{EventKind, JobData, JobId, KeyInfo, LoadVertex, Reason, Solver, Time};

/// One vertex of a build, explained.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VertexAnatomy {
    /// The vertex digest (as the job's graph has it).
    pub digest: Digest,
    /// Display name.
    pub name: String,
    /// Op kind (`exec`, `file`, `source`, …).
    pub kind: &'static str,
    /// The cache map and what fed it.
    pub cache_map: CacheMapView,
    /// The keys the vertex had in this build: the key its result was saved under (it ran), the
    /// key the loaded record was found under (it loaded), or a root's key.
    pub keys: Vec<KeyInfo>,
    /// What the cache was asked and answered.
    pub query: Query,
    /// What the progress stream showed.
    pub outcome: Outcome,
    /// [`Outcome::words`].
    pub outcome_words: &'static str,
    /// Why, in a sentence.
    pub why: String,
    /// What in this anatomy is the model's, not BuildKit's (stand-in digests, simulated content
    /// checksums).
    pub simulated: Vec<String>,
}

/// A cache map as explained.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CacheMapView {
    /// The cache map digest.
    pub digest: String,
    /// `true` when the digest is the model's stand-in, not BuildKit's.
    pub stand_in: bool,
    /// Whether the solver computed it in this build (a vertex nothing asked for did not).
    pub computed: bool,
    /// What fed the digest.
    pub basis: CacheMapBasis,
    /// Per input.
    pub deps: Vec<DepView>,
}

/// One input of a cache map.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DepView {
    /// The input vertex.
    pub input: Digest,
    /// Its name.
    pub name: String,
    /// The output of the input vertex used.
    pub output: i64,
    /// Selector digest ("" for none).
    pub selector: String,
    /// Whether a content-based key is computed from the input's files.
    pub content: bool,
    /// Whether a `PreprocessFunc` runs on the input's result.
    pub preprocess: bool,
    /// The paths the selector (and the content key) cover.
    pub paths: Vec<String>,
}

/// What the cache was asked, and what it answered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Query {
    /// `hit` (a record matched and was loaded), `miss` (nothing matched: the op ran), or
    /// `not-needed` (the result was never asked for).
    pub result: &'static str,
    /// The record loaded, on a hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The key the record was found under, on a hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The cache source it came from, if not the local cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The build that saved the record, on a hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_by: Option<SavedBy>,
    /// Why nothing matched, on a miss; why it was not needed otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The input that decided it (`input-new`) or the vertex merged into (`merged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because_of: Option<Digest>,
}

/// Who saved a record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SavedBy {
    /// The job (build) that ran the op.
    pub job: String,
    /// The vertex that ran it (equal key, maybe another digest).
    pub vertex: Digest,
    /// When, on the virtual clock.
    pub time: Time,
}

/// Events about one vertex (by state digest) within a window.
#[derive(Default)]
struct Seen<'a> {
    cache_map: bool,
    ran: Option<&'a Reason>,
    loaded: Option<(&'a Reason, &'a KeyInfo)>,
    saved: Vec<&'a KeyInfo>,
    merged_into: Option<&'a Digest>,
}

/// Explains every vertex of `job` (after [`Solver::run`]), in the job's graph order.
pub fn explain(solver: &Solver, job: JobId) -> Vec<VertexAnatomy> {
    explain_with_rows(solver, job, &rows(solver, job))
}

/// [`explain`] with the job's rows already made ([`rows`]).
pub fn explain_with_rows(
    solver: &Solver,
    job: JobId,
    all_rows: &[VertexRow],
) -> Vec<VertexAnatomy> {
    let Some(data) = solver.jobs.get(job.0 as usize) else {
        return Vec::new();
    };
    let closed = solver.job_closed(job);
    let first = data.first_event;
    let mut seen: BTreeMap<&Digest, Seen<'_>> = BTreeMap::new();
    // Who saved each record, from everything before this job closed (latest first wins).
    let mut saved_at: BTreeMap<&str, (Time, &Digest)> = BTreeMap::new();
    for (i, ev) in solver.events().iter().enumerate() {
        if ev.time > closed {
            break;
        }
        if let EventKind::KeySaved { digest, record, .. } = &ev.kind {
            // A record saved during this job by the vertex that loaded it is not where it came from.
            if i < first || seen.get(digest).is_none_or(|s| s.loaded.is_none()) {
                saved_at.insert(record.as_str(), (ev.time, digest));
            }
        }
        if i < first {
            continue;
        }
        match &ev.kind {
            EventKind::CacheMap { digest, .. } => seen.entry(digest).or_default().cache_map = true,
            EventKind::ExecStart { digest, why } => seen.entry(digest).or_default().ran = Some(why),
            EventKind::Load { digest, why, key } => {
                seen.entry(digest).or_default().loaded = Some((why, key));
            }
            EventKind::KeySaved { digest, key, .. } => {
                seen.entry(digest).or_default().saved.push(key);
            }
            EventKind::Merge { from, into } => {
                seen.entry(from).or_default().merged_into = Some(into);
            }
            _ => {}
        }
    }
    let row_of: BTreeMap<&Digest, &VertexRow> = all_rows.iter().map(|r| (&r.digest, r)).collect();
    let empty = Seen::default();
    // Each vertex's events, under its state digest (the ignore-cache twin's, if it has one).
    let per_vertex: Vec<(Digest, &Seen<'_>)> = data
        .vertices
        .iter()
        .map(|v| {
            let alt = ignore_cache_digest(&v.digest);
            match seen.get(&alt) {
                Some(s) => (alt, s),
                None => (v.digest.clone(), seen.get(&v.digest).unwrap_or(&empty)),
            }
        })
        .collect();
    let ran_here: Vec<bool> = per_vertex.iter().map(|(_, s)| s.ran.is_some()).collect();
    let mut jobs = JobFinder::new(solver);
    let mut out = Vec::with_capacity(data.vertices.len());
    for (v, (sd, s)) in data.vertices.iter().zip(&per_vertex) {
        let row = row_of.get(sd).or_else(|| row_of.get(&v.digest)).copied();
        let cm = solver.ops.cache_map(&OpInfo {
            digest: &v.digest,
            op: &v.op,
        });
        let deps: Vec<DepView> = cm
            .deps
            .iter()
            .enumerate()
            .map(|(i, dep)| {
                let input = v
                    .inputs
                    .get(i)
                    .and_then(|&(j, o)| data.vertices.get(j).map(|iv| (iv, o)));
                DepView {
                    input: input.map(|(iv, _)| iv.digest.clone()).unwrap_or_default(),
                    name: input.map(|(iv, _)| iv.name.clone()).unwrap_or_default(),
                    output: input.map_or(0, |(_, o)| o),
                    selector: dep.selector.clone(),
                    content: dep.content,
                    preprocess: dep.preprocess,
                    paths: dep.paths.clone(),
                }
            })
            .collect();
        let mut simulated = Vec::new();
        if !cm.basis.exact {
            simulated.push(format!(
                "the cache map digest is a stand-in: {}",
                cm.basis.stand_in
            ));
        }
        if deps.iter().any(|d| d.content) {
            simulated.push(
                "content checksums are simulated: BuildKit hashes the input's files; the model \
                 gives the same checksum for the same input result and a new one for a new result"
                    .to_string(),
            );
        }
        let outcome = row.map_or(Outcome::NotStarted, |r| r.outcome);
        let mut keys: Vec<KeyInfo> = s.saved.iter().map(|k| (*k).clone()).collect();
        if let Some((_, k)) = s.loaded {
            keys.push(k.clone());
        }
        if keys.is_empty() && v.inputs.is_empty() && s.cache_map {
            keys.push(KeyInfo {
                id: root_key(&cm.digest, 0),
                root: true,
                digest: cm.digest.clone(),
                output: 0,
                inputs: Vec::new(),
            });
        }
        let ctx = QueryCtx {
            job,
            data,
            ran_here: &ran_here,
            saved_at: &saved_at,
        };
        let (query, why) = query_of(&ctx, &mut jobs, v, s, outcome);
        out.push(VertexAnatomy {
            digest: v.digest.clone(),
            name: v.name.clone(),
            kind: OpKind::of(&v.op).as_str(),
            cache_map: CacheMapView {
                digest: cm.digest.clone(),
                stand_in: !cm.basis.exact,
                computed: s.cache_map,
                basis: cm.basis.clone(),
                deps,
            },
            keys,
            query,
            outcome,
            outcome_words: outcome.words(),
            why,
            simulated,
        });
    }
    out
}

/// What [`query_of`] reads besides the vertex.
struct QueryCtx<'a> {
    job: JobId,
    data: &'a JobData,
    ran_here: &'a [bool],
    saved_at: &'a BTreeMap<&'a str, (Time, &'a Digest)>,
}

/// The digest of a vertex's ignore-cache twin (`<digest>-ignorecache`, hashed), which the
/// solver uses when the vertex ignores the cache while an active one does not.
fn ignore_cache_digest(d: &Digest) -> Digest {
    Digest::of(format!("{d}-ignorecache").as_bytes())
}

fn query_of(
    ctx: &QueryCtx<'_>,
    jobs: &mut JobFinder<'_>,
    v: &LoadVertex,
    s: &Seen<'_>,
    outcome: Outcome,
) -> (Query, String) {
    let data = ctx.data;
    let mut q = Query {
        result: "not-needed",
        record: None,
        key: None,
        source: None,
        saved_by: None,
        reason: None,
        because_of: None,
    };
    if let Some((Reason::CacheHit { record, source }, key)) = s.loaded {
        q.result = "hit";
        q.record = Some(record.clone());
        q.key = Some(key.id.clone());
        q.source = source.clone();
        q.saved_by = ctx
            .saved_at
            .get(record.as_str())
            .map(|&(time, vertex)| SavedBy {
                job: jobs.job_at(time, vertex),
                vertex: vertex.clone(),
                time,
            });
        let from = match (&q.saved_by, source) {
            (_, Some(src)) => format!(" from cache source {src}"),
            (Some(sb), None) => format!(", saved by {}", sb.job),
            _ => String::new(),
        };
        let why = format!(
            "its result was needed and record {record}{from} matched its key {}",
            key.id
        );
        return (q, why);
    }
    if let Some(why) = s.ran {
        q.result = "miss";
        let name_of = |d: &Digest| {
            data.vertices
                .iter()
                .find(|x| &x.digest == d)
                .map_or(String::new(), |x| x.name.clone())
        };
        let text = if matches!(why, Reason::IgnoreCache) {
            q.reason = Some("ignore-cache");
            "it ignores the cache (--no-cache), so it ran whatever the cache held".to_string()
        } else if v.inputs.is_empty() {
            q.reason = Some("no-record");
            "no record is stored under its root key (a cold cache, a cleared one, or a source \
             whose key changed)"
                .to_string()
        } else if let Some(&(j, _)) = v
            .inputs
            .iter()
            .find(|&&(j, _)| ctx.ran_here.get(j).copied().unwrap_or(false))
        {
            let d = data.vertices[j].digest.clone();
            let text = format!(
                "input {} ran in this build, so its key is new and no record links from it \
                 (nor from its content key, if any) through this op",
                name_of(&d)
            );
            q.reason = Some("input-new");
            q.because_of = Some(d);
            text
        } else {
            q.reason = Some("no-record");
            "no record links from its inputs' keys through this op's cache map digest: no \
             earlier build ran this op on these inputs (the op or a selector changed, or the \
             cache lost it)"
                .to_string()
        };
        let text = match outcome {
            Outcome::Canceled => format!("{text}; it was running when the build was cancelled"),
            Outcome::Failed => format!("{text}; its process failed"),
            _ => text,
        };
        return (q, text);
    }
    if let Some(into) = s.merged_into {
        q.reason = Some("merged");
        q.because_of = Some(into.clone());
        let who = jobs.describe(into, ctx.job);
        return (
            q,
            format!(
                "its cache key equalled that of {who}, so the solver merged the two edges and \
                 only that vertex did the work"
            ),
        );
    }
    let why = match outcome {
        Outcome::CachedWithoutRunning => {
            q.reason = Some("consumer-cached");
            "a vertex using it was a cache hit and started first, so its own result was never \
             needed: the progress stream marked it CACHED; the solver neither ran nor loaded it"
        }
        Outcome::Resolved => {
            q.reason = Some("root-key-only");
            "a root computes its cache key on every build; nothing needed its result"
        }
        Outcome::Canceled => {
            q.reason = Some("canceled");
            "the build was cancelled before its result was needed"
        }
        _ => {
            q.reason = Some("not-asked");
            "nothing asked for it: a failure or cancel came first, or a cache hit above it"
        }
    };
    (q, why.to_string())
}

/// Finds the job that saved a record: the first job (in submission order) whose window holds
/// the time and whose graph has the vertex. Each job's digests are collected once, when asked.
struct JobFinder<'a> {
    solver: &'a Solver,
    digests: BTreeMap<u32, BTreeSet<Digest>>,
}

impl<'a> JobFinder<'a> {
    fn new(solver: &'a Solver) -> JobFinder<'a> {
        JobFinder {
            solver,
            digests: BTreeMap::new(),
        }
    }

    fn digests(&mut self, j: JobId) -> &BTreeSet<Digest> {
        let solver = self.solver;
        self.digests.entry(j.0).or_insert_with(|| {
            solver.jobs[j.0 as usize]
                .vertices
                .iter()
                .flat_map(|x| [x.digest.clone(), ignore_cache_digest(&x.digest)])
                .collect()
        })
    }

    /// `vertex` as "«name» (sha256:…) of job NAME", from the first job other than `except`
    /// that has it.
    fn describe(&mut self, vertex: &Digest, except: JobId) -> String {
        let solver = self.solver;
        for j in (0..solver.jobs.len() as u32).map(JobId) {
            if j == except || !self.digests(j).contains(vertex) {
                continue;
            }
            let name = solver.jobs[j.0 as usize]
                .vertices
                .iter()
                .find(|x| &x.digest == vertex || &ignore_cache_digest(&x.digest) == vertex)
                .map_or("", |x| x.name.as_str());
            return format!(
                "«{name}» ({}) of job {}",
                vertex.short(),
                solver.job_name(j)
            );
        }
        format!("vertex {vertex} of another job")
    }

    fn job_at(&mut self, time: Time, vertex: &Digest) -> String {
        let solver = self.solver;
        for j in (0..solver.jobs.len() as u32).map(JobId) {
            let start = solver.job_started(j).unwrap_or(0);
            if time < start || time > solver.job_closed(j) {
                continue;
            }
            if self.digests(j).contains(vertex) {
                return solver.job_name(j).to_string();
            }
        }
        "an earlier build".to_string()
    }
}
