//! A real run, merged per vertex, and joined to a definition's graph.
//!
//! # What "merged" means
//!
//! [`Run::new`] folds a stream of [`SolveStatus`] messages into one [`RunVertex`] per vertex
//! digest, the way BuildKit's progress printers (`progressui`) fold it:
//!
//! * **Order.** Vertices are kept in the order their digest is first mentioned (by a vertex
//!   record, or by a status, log or warning naming it).
//! * **Record** ([`RunVertex::record`]): the latest vertex record wins as a whole (no per-field
//!   merge), except that a record *without* `started` does not replace one *with* `started`
//!   (a repeated registration must not reset a vertex that already ran; progressui does the same).
//! * **Intervals** ([`RunVertex::intervals`]): every record with `started` sets the interval
//!   that starts at that instant to end at the record's `completed` (open when `None`). A later
//!   record with the same `started` replaces the interval, so a start record followed by its
//!   completion record gives one interval; a vertex that started twice (a root's cache-key
//!   computation, then its execution) has two. Sorted by start.
//!   [`RunVertex::merged_intervals`] unions overlapping ones, as the printers do before summing
//!   a duration.
//! * **Statuses**: one per status ID, the latest record wins, kept in first-seen order.
//! * **Logs**: every chunk, in stream order, with its stream and timestamp;
//!   [`RunVertex::log_lines`] splits them into lines the way the printers do.
//! * **Warnings**: every warning, in stream order.
//! * **Times**: [`Run::first`] / [`Run::last`] are the earliest and latest timestamp found
//!   anywhere in the stream (vertex `started`/`completed`, status `timestamp`/`started`/
//!   `completed`, log `timestamp`).
//! * Statuses, logs and warnings with an empty `vertex` cannot belong to any vertex: they are
//!   kept in [`Run::unattached`]. (progressui drops them, and also drops items naming a vertex
//!   it has not seen yet; here such an item creates the vertex, with an empty record.)
//!
//! # Plain-text logs
//!
//! [`read_plain`] reads what `--progress=plain` printed, best effort. See its documentation for
//! what is recovered and how times are made up.

use std::collections::HashMap;
use std::fmt;

use super::status::{SolveStatus, Vertex, VertexLog, VertexStatus, VertexWarning};
use super::{Timestamp, VIRTUAL_EPOCH};
use crate::graph::{Graph, VertexId};

/// The error text that makes progress printers say `CANCELED` (a suffix match).
pub const CANCELED_SUFFIX: &str = "context canceled";

/// A span of time a vertex was running: from a record's `started` to its `completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// When it started.
    pub start: Timestamp,
    /// When it stopped; `None` while still open.
    pub stop: Option<Timestamp>,
}

impl Interval {
    /// Length in nanoseconds, `None` while open.
    pub fn duration(&self) -> Option<i64> {
        self.stop.map(|s| s.since(self.start))
    }
}

/// One log chunk as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogChunk {
    /// 1 = stdout, 2 = stderr, 0 = unknown (plain-text logs do not say).
    pub stream: i64,
    /// The bytes.
    pub data: Vec<u8>,
    /// When it was written.
    pub timestamp: Timestamp,
}

/// One line of a vertex's output (see [`RunVertex::log_lines`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The timestamp of the chunk the line began in.
    pub timestamp: Timestamp,
    /// The text, without its newline (invalid UTF-8 replaced).
    pub text: String,
    /// False for a last line that had no newline yet.
    pub complete: bool,
}

/// Where a vertex stands at the end of the run, as a printer would say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VertexState {
    /// Announced, never started.
    Pending,
    /// Started and not completed.
    Running,
    /// Completed without error and not cached (`DONE`).
    Done,
    /// Completed as a cache hit (`CACHED`).
    Cached,
    /// Completed with an error (`ERROR: …`).
    Failed,
    /// Completed with an error ending in `context canceled` (`CANCELED`).
    Canceled,
}

/// Everything the stream said about one vertex, merged (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunVertex {
    /// The vertex digest (for plain-text logs a synthetic `#N`).
    pub digest: String,
    /// The merged vertex record. Its `digest` is empty if no record ever named the vertex.
    pub record: Vertex,
    /// How many vertex records named it.
    pub records: usize,
    /// Its intervals, sorted by start, one per distinct `started`.
    pub intervals: Vec<Interval>,
    /// Its statuses, one per ID (latest wins), in first-seen order.
    pub statuses: Vec<VertexStatus>,
    /// Its log chunks, in stream order.
    pub logs: Vec<LogChunk>,
    /// Its warnings, in stream order.
    pub warnings: Vec<VertexWarning>,
}

impl RunVertex {
    /// Display name (from the merged record).
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Whether the final record says cached.
    pub fn cached(&self) -> bool {
        self.record.cached
    }

    /// The final record's error ("" for none).
    pub fn error(&self) -> &str {
        &self.record.error
    }

    /// Whether it ever started (has an interval).
    pub fn started(&self) -> bool {
        !self.intervals.is_empty()
    }

    /// Whether it is completed: its latest merged interval has a stop (the printers' rule).
    pub fn completed(&self) -> bool {
        self.merged_intervals()
            .last()
            .is_some_and(|i| i.stop.is_some())
    }

    /// The state a printer would show at the end.
    pub fn state(&self) -> VertexState {
        if !self.started() {
            VertexState::Pending
        } else if !self.completed() {
            VertexState::Running
        } else if self.record.error.ends_with(CANCELED_SUFFIX) {
            VertexState::Canceled
        } else if !self.record.error.is_empty() {
            VertexState::Failed
        } else if self.record.cached {
            VertexState::Cached
        } else {
            VertexState::Done
        }
    }

    /// The intervals with overlapping ones united, sorted. An open interval swallows everything
    /// that starts after it (it is the last).
    pub fn merged_intervals(&self) -> Vec<Interval> {
        let mut out: Vec<Interval> = Vec::with_capacity(self.intervals.len());
        // `intervals` is sorted by start.
        for &next in &self.intervals {
            let Some(cur) = out.last_mut() else {
                out.push(next);
                continue;
            };
            match (cur.stop, next.stop) {
                (None, _) => return out,
                (Some(stop), _) if stop < next.start => out.push(next),
                (Some(_), None) => {
                    cur.stop = None;
                    return out;
                }
                (Some(stop), Some(nstop)) => cur.stop = Some(stop.max(nstop)),
            }
        }
        out
    }

    /// Total running time in nanoseconds: the sum of the closed merged intervals (what
    /// `DONE x.ys` prints).
    pub fn duration(&self) -> i64 {
        self.merged_intervals()
            .iter()
            .filter_map(Interval::duration)
            .sum()
    }

    /// The status with `id`, if any.
    pub fn status(&self, id: &str) -> Option<&VertexStatus> {
        self.statuses.iter().find(|s| s.id == id)
    }

    /// The output split into lines across chunks (both streams share one line buffer, as in
    /// the printers). A chunk without a trailing newline leaves the line open for the next one.
    pub fn log_lines(&self) -> Vec<LogLine> {
        let mut out: Vec<LogLine> = Vec::new();
        let mut open = false;
        for chunk in &self.logs {
            let breaks = chunk.data.iter().filter(|&&b| b == b'\n').count();
            for (i, piece) in chunk.data.split(|&b| b == b'\n').enumerate() {
                let last = i == breaks;
                let text = String::from_utf8_lossy(piece);
                if i == 0 && open {
                    if let Some(l) = out.last_mut() {
                        l.text.push_str(&text);
                    }
                } else if !(last && piece.is_empty()) {
                    out.push(LogLine {
                        timestamp: chunk.timestamp,
                        text: text.into_owned(),
                        complete: false,
                    });
                }
                if !last {
                    if let Some(l) = out.last_mut() {
                        l.complete = true;
                    }
                }
            }
            open = out.last().is_some_and(|l| !l.complete);
        }
        out
    }

    /// Sets the interval starting at `start`.
    fn set_interval(&mut self, start: Timestamp, stop: Option<Timestamp>) {
        match self.intervals.binary_search_by(|i| i.start.cmp(&start)) {
            Ok(i) => self.intervals[i].stop = stop,
            Err(i) => self.intervals.insert(i, Interval { start, stop }),
        }
    }
}

/// Statuses, logs and warnings whose `vertex` is empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unattached {
    /// Statuses.
    pub statuses: Vec<VertexStatus>,
    /// Logs.
    pub logs: Vec<VertexLog>,
    /// Warnings.
    pub warnings: Vec<VertexWarning>,
}

/// An error summary block of a plain-text log (`------` / ` > name:` / lines / `------`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBlock {
    /// The failed vertex's name.
    pub name: String,
    /// The log lines replayed in the block (`"<t> <text>"`).
    pub lines: Vec<String>,
}

/// A run: the stream of one build, merged per vertex (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// One entry per vertex, in first-mention order.
    pub vertices: Vec<RunVertex>,
    /// Number of messages read.
    pub messages: usize,
    /// The earliest timestamp in the stream.
    pub first: Option<Timestamp>,
    /// The latest timestamp in the stream.
    pub last: Option<Timestamp>,
    /// Items that name no vertex.
    pub unattached: Unattached,
    /// Error summary blocks (plain-text logs only).
    pub error_blocks: Vec<ErrorBlock>,
    /// Things the reader noticed but could not use (plain-text logs only): `line N: …`.
    pub notes: Vec<String>,
    index: HashMap<String, usize>,
}

impl Run {
    /// Merges `statuses`, in order.
    pub fn new(statuses: &[SolveStatus]) -> Run {
        let mut run = Run::default();
        for s in statuses {
            run.push(s);
        }
        run
    }

    /// Merges one more message.
    pub fn push(&mut self, s: &SolveStatus) {
        self.messages += 1;
        for v in &s.vertexes {
            self.see(v.started);
            self.see(v.completed);
            let e = self.entry(&v.digest);
            e.records += 1;
            if e.record.started.is_none() || v.started.is_some() {
                e.record = v.clone();
            }
            if let Some(start) = v.started {
                e.set_interval(start, v.completed);
            }
        }
        for st in &s.statuses {
            self.see(Some(st.timestamp));
            self.see(st.started);
            self.see(st.completed);
            if st.vertex.is_empty() {
                self.unattached.statuses.push(st.clone());
                continue;
            }
            let e = self.entry(&st.vertex);
            match e.statuses.iter_mut().find(|x| x.id == st.id) {
                Some(x) => *x = st.clone(),
                None => e.statuses.push(st.clone()),
            }
        }
        for l in &s.logs {
            self.see(Some(l.timestamp));
            if l.vertex.is_empty() {
                self.unattached.logs.push(l.clone());
                continue;
            }
            self.entry(&l.vertex).logs.push(LogChunk {
                stream: l.stream,
                data: l.data.clone(),
                timestamp: l.timestamp,
            });
        }
        for w in &s.warnings {
            if w.vertex.is_empty() {
                self.unattached.warnings.push(w.clone());
                continue;
            }
            self.entry(&w.vertex).warnings.push(w.clone());
        }
    }

    /// The vertex with `digest`.
    pub fn get(&self, digest: &str) -> Option<&RunVertex> {
        self.index.get(digest).map(|&i| &self.vertices[i])
    }

    /// The position of the vertex with `digest` in [`Run::vertices`].
    pub fn position(&self, digest: &str) -> Option<usize> {
        self.index.get(digest).copied()
    }

    /// Number of vertices.
    pub fn len(&self) -> usize {
        self.vertices.len()
    }

    /// Whether no vertex was seen.
    pub fn is_empty(&self) -> bool {
        self.vertices.is_empty()
    }

    /// Time from the first to the last timestamp, in nanoseconds (0 for an empty run).
    pub fn span(&self) -> i64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) => b.since(a),
            _ => 0,
        }
    }

    fn see(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    fn entry(&mut self, digest: &str) -> &mut RunVertex {
        let i = match self.index.get(digest) {
            Some(&i) => i,
            None => {
                let i = self.vertices.len();
                self.index.insert(digest.to_string(), i);
                self.vertices.push(RunVertex {
                    digest: digest.to_string(),
                    ..RunVertex::default()
                });
                i
            }
        };
        &mut self.vertices[i]
    }
}

// ---------------------------------------------------------------------------------------------
// Joining a run to a graph

/// How a run vertex was matched to a graph vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// Same digest.
    Digest,
    /// Same display name, unique on both sides among the vertices left after digest matching.
    Name,
}

/// A graph vertex and the run vertex that reports on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinedVertex {
    /// The graph vertex.
    pub graph: VertexId,
    /// Its run vertex: an index into [`Run::vertices`].
    pub run: usize,
    /// How they were matched.
    pub by: MatchedBy,
}

/// A run laid over a graph (see [`join`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Joined {
    /// Matched pairs, in the graph's load order.
    pub matched: Vec<JoinedVertex>,
    /// Graph vertices the run says nothing about, in load order.
    pub missing: Vec<VertexId>,
    /// Run vertices (indices into [`Run::vertices`]) with no graph vertex, in run order.
    pub extra: Vec<usize>,
}

impl Joined {
    /// The run vertex matched to `id`, if any.
    pub fn run_of(&self, id: VertexId) -> Option<usize> {
        self.matched.iter().find(|j| j.graph == id).map(|j| j.run)
    }

    /// How many pairs were matched by `by`.
    pub fn count(&self, by: MatchedBy) -> usize {
        self.matched.iter().filter(|j| j.by == by).count()
    }
}

/// Matches `run`'s vertices to `graph`'s: first by digest; then, among the vertices left on
/// both sides, by exact display name where the name is carried by exactly one graph vertex and
/// exactly one run vertex of those left (empty names never match). Reports the graph vertices
/// left without a run vertex and the run vertices left without a graph vertex.
pub fn join(run: &Run, graph: &Graph) -> Joined {
    let mut run_used = vec![false; run.vertices.len()];
    let mut pairs: Vec<Option<(usize, MatchedBy)>> = vec![None; graph.len()];
    for (g, v) in graph.vertices().iter().enumerate() {
        if let Some(r) = run.position(v.digest.as_str()) {
            if !run_used[r] {
                run_used[r] = true;
                pairs[g] = Some((r, MatchedBy::Digest));
            }
        }
    }
    // Names among what is left, with how often each occurs on each side.
    let mut graph_names: HashMap<&str, (usize, usize)> = HashMap::new();
    for (g, v) in graph.vertices().iter().enumerate() {
        if pairs[g].is_none() && !v.name.is_empty() {
            let e = graph_names.entry(v.name.as_str()).or_insert((0, g));
            e.0 += 1;
        }
    }
    let mut run_names: HashMap<&str, (usize, usize)> = HashMap::new();
    for (r, v) in run.vertices.iter().enumerate() {
        if !run_used[r] && !v.name().is_empty() {
            let e = run_names.entry(v.name()).or_insert((0, r));
            e.0 += 1;
        }
    }
    for (name, &(n, g)) in &graph_names {
        if n != 1 {
            continue;
        }
        if let Some(&(1, r)) = run_names.get(name) {
            run_used[r] = true;
            pairs[g] = Some((r, MatchedBy::Name));
        }
    }
    let mut out = Joined::default();
    for (g, p) in pairs.into_iter().enumerate() {
        let id = VertexId(g as u32);
        match p {
            Some((run, by)) => out.matched.push(JoinedVertex { graph: id, run, by }),
            None => out.missing.push(id),
        }
    }
    out.extra = (0..run.vertices.len()).filter(|&r| !run_used[r]).collect();
    out
}

// ---------------------------------------------------------------------------------------------
// Plain-text progress

/// Why [`read_plain`] found nothing to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainError {
    /// The line the problem is on (1-based; 1 when it is about the whole text).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PlainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plain progress line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PlainError {}

/// Per-vertex parser state.
#[derive(Clone, Copy, Default)]
struct PlainState {
    /// Where the open interval began on the synthetic clock (`None` when not running).
    opened: Option<Timestamp>,
    /// Sum of the durations already closed (a `DONE` prints the running total).
    closed: i64,
}

/// What the rest of a `#N …` line is.
enum PlainLine<'a> {
    Pause,
    Done(Option<i64>),
    Cached,
    Canceled,
    Error(&'a str),
    Warn(&'a str),
    Header,
    Log(i64, &'a str),
    Status(&'a str),
}

/// Reads the output of `--progress=plain` (best effort) into a [`Run`].
///
/// Understood: `#N name` headers (a header for a vertex that had completed opens a new
/// interval), `#N ...`, `#N DONE` / `#N DONE 1.2s`, `#N CACHED`, `#N ERROR: msg`,
/// `#N CANCELED`, `#N WARN: msg`, log lines `#N 0.043 text`, status lines
/// `#N id [cur [/ total]] [x.ys] [done]`, `#0 description`, blank lines, and the `------` /
/// ` > name:` / … / `------` error blocks (kept in [`Run::error_blocks`]). Other lines (such as
/// buildctl's final `error: …`) are listed in [`Run::notes`].
///
/// What comes out: one [`RunVertex`] per `#N`, with digest `#N`, the header's name, `cached`
/// for `CACHED`, the error text for `ERROR:`, `context canceled` for `CANCELED`. Logs get
/// stream 0. Statuses keep their ID (also used as name), sizes parsed back from `3.41MB`, and
/// are marked completed when `done`.
///
/// Times are made up on a synthetic clock starting at [`VIRTUAL_EPOCH`], since the text has
/// durations but no instants: a header opens an interval at the clock's current time; a log
/// line `t` is stamped `t` seconds after its vertex's interval start and moves the clock
/// forward to it; a completion with duration `d` (the `DONE` total minus what the vertex had
/// already accumulated; 0 for `CACHED`) closes at `stop = max(now, opened + d)` with
/// `start = stop - d` (so durations are exact and completions happen in printed order), and
/// moves the clock to `stop`. `ERROR`/`CANCELED` close the interval at the current time.
///
/// Fails only when the text has no `#N` line at all.
pub fn read_plain(text: &str) -> Result<Run, PlainError> {
    let mut p = PlainReader {
        run: Run::default(),
        states: Vec::new(),
        now: VIRTUAL_EPOCH,
        block: None,
        seen_vertex_line: false,
    };
    for (i, raw) in text.lines().enumerate() {
        p.line(i + 1, raw.strip_suffix('\r').unwrap_or(raw));
    }
    if let Some(b) = p.block.take() {
        p.run.error_blocks.push(b);
        p.run
            .notes
            .push("the last error block has no closing `------`".to_string());
    }
    if !p.seen_vertex_line {
        let first = text.trim_start();
        let message = if first.starts_with('{') {
            "no `#N` progress lines (this looks like rawjson; read it with rawjson::read)"
        } else {
            "no `#N` progress lines"
        };
        return Err(PlainError {
            line: 1,
            message: message.to_string(),
        });
    }
    Ok(p.run)
}

struct PlainReader {
    run: Run,
    /// Indexed like `run.vertices`.
    states: Vec<PlainState>,
    now: Timestamp,
    /// The error block being read: `None` outside one.
    block: Option<ErrorBlock>,
    seen_vertex_line: bool,
}

impl PlainReader {
    fn line(&mut self, no: usize, line: &str) {
        if let Some(block) = &mut self.block {
            if line == "------" {
                if let Some(b) = self.block.take() {
                    self.run.error_blocks.push(b);
                }
            } else if block.name.is_empty() && block.lines.is_empty() && line.starts_with(" > ") {
                let name = &line[3..];
                block.name = name.strip_suffix(':').unwrap_or(name).to_string();
            } else {
                block.lines.push(line.to_string());
            }
            return;
        }
        if line == "------" {
            self.block = Some(ErrorBlock::default());
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        let Some((n, rest)) = split_number(line) else {
            self.run
                .notes
                .push(format!("line {no}: not a progress line: {line:?}"));
            return;
        };
        self.seen_vertex_line = true;
        if n == 0 {
            // `#0 <description>`: no vertex.
            return;
        }
        let digest = format!("#{n}");
        let known = self.run.position(&digest);
        let kind = classify(rest, known.map(|i| self.run.vertices[i].name()));
        let i = match known {
            Some(i) => i,
            None => {
                let i = self.run.len();
                let e = self.run.entry(&digest);
                e.record.digest = digest.clone();
                if matches!(kind, PlainLine::Header) {
                    e.record.name = rest.to_string();
                }
                self.states.push(PlainState::default());
                i
            }
        };
        self.apply(i, kind, &digest);
    }

    fn apply(&mut self, i: usize, kind: PlainLine<'_>, digest: &str) {
        let now = self.now;
        match kind {
            PlainLine::Header => {
                self.open(i);
            }
            PlainLine::Pause => {
                self.open(i);
            }
            PlainLine::Done(total) => {
                let d = total.map_or(0, |t| (t - self.states[i].closed).max(0));
                self.close(i, Some(d));
            }
            PlainLine::Cached => {
                self.close(i, Some(0));
                self.run.vertices[i].record.cached = true;
            }
            PlainLine::Error(msg) => {
                self.close(i, None);
                self.run.vertices[i].record.error = msg.to_string();
            }
            PlainLine::Canceled => {
                self.close(i, None);
                self.run.vertices[i].record.error = CANCELED_SUFFIX.to_string();
            }
            PlainLine::Warn(msg) => {
                self.run.vertices[i].warnings.push(VertexWarning {
                    vertex: digest.to_string(),
                    short: msg.as_bytes().to_vec(),
                    ..VertexWarning::default()
                });
            }
            PlainLine::Log(t, text) => {
                let start = self.open(i);
                let ts = Timestamp(start.0.saturating_add(t));
                let mut data = text.as_bytes().to_vec();
                data.push(b'\n');
                self.run.vertices[i].logs.push(LogChunk {
                    stream: 0,
                    data,
                    timestamp: ts,
                });
                self.now = self.now.max(ts);
                self.run.see(Some(ts));
            }
            PlainLine::Status(rest) => {
                self.open(i);
                let st = parse_status(rest, digest, now);
                self.run.see(st.started);
                self.run.see(Some(now));
                let v = &mut self.run.vertices[i];
                match v.statuses.iter_mut().find(|x| x.id == st.id) {
                    Some(x) => *x = st,
                    None => v.statuses.push(st),
                }
            }
        }
    }

    /// Makes sure vertex `i` has an open interval; returns its start.
    fn open(&mut self, i: usize) -> Timestamp {
        if let Some(t) = self.states[i].opened {
            return t;
        }
        let t = self.now;
        self.states[i].opened = Some(t);
        let v = &mut self.run.vertices[i];
        v.set_interval(t, None);
        v.record.started = Some(t);
        v.record.completed = None;
        self.run.see(Some(t));
        t
    }

    /// Closes vertex `i`'s interval: with duration `d` when known, else at the current time.
    fn close(&mut self, i: usize, d: Option<i64>) {
        let opened = self.open(i);
        let (start, stop) = match d {
            Some(d) => {
                let stop = self.now.max(Timestamp(opened.0.saturating_add(d)));
                (Timestamp(stop.0.saturating_sub(d)), stop)
            }
            None => (opened, self.now.max(opened)),
        };
        let v = &mut self.run.vertices[i];
        if let Ok(k) = v.intervals.binary_search_by(|x| x.start.cmp(&opened)) {
            v.intervals.remove(k);
        }
        v.set_interval(start, Some(stop));
        v.record.started = Some(start);
        v.record.completed = Some(stop);
        v.records += 1;
        self.states[i].opened = None;
        self.states[i].closed = self.states[i].closed.saturating_add(stop.since(start));
        self.now = stop;
        self.run.see(Some(start));
        self.run.see(Some(stop));
    }
}

/// `#N rest` → `(N, rest)`; `#N` alone gives an empty rest.
fn split_number(line: &str) -> Option<(u64, &str)> {
    let body = line.strip_prefix('#')?;
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n = body[..digits].parse().ok()?;
    let rest = &body[digits..];
    if rest.is_empty() {
        return Some((n, ""));
    }
    rest.strip_prefix(' ').map(|r| (n, r))
}

fn classify<'a>(rest: &'a str, name: Option<&str>) -> PlainLine<'a> {
    if rest == "..." {
        return PlainLine::Pause;
    }
    if rest == "DONE" {
        return PlainLine::Done(None);
    }
    if let Some(t) = rest.strip_prefix("DONE ").and_then(parse_seconds) {
        return PlainLine::Done(Some(t));
    }
    if rest == "CACHED" {
        return PlainLine::Cached;
    }
    if rest == "CANCELED" {
        return PlainLine::Canceled;
    }
    if let Some(msg) = rest.strip_prefix("ERROR: ") {
        return PlainLine::Error(msg);
    }
    if let Some(msg) = rest.strip_prefix("WARN: ") {
        return PlainLine::Warn(msg);
    }
    match name {
        None => return PlainLine::Header,
        Some(n) if n == rest => return PlainLine::Header,
        Some(_) => {}
    }
    if let Some((t, text)) = parse_log(rest) {
        return PlainLine::Log(t, text);
    }
    PlainLine::Status(rest)
}

/// `1.2s` → nanoseconds.
fn parse_seconds(s: &str) -> Option<i64> {
    let num = s.strip_suffix('s')?;
    decimal_nanos(num)
}

/// A plain decimal (`-?digits[.digits]`) in seconds → nanoseconds.
fn decimal_nanos(num: &str) -> Option<i64> {
    let digits = num.strip_prefix('-').unwrap_or(num);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == int.len() || !frac.is_empty());
    if !ok {
        return None;
    }
    let secs: f64 = num.parse().ok()?;
    let ns = (secs * 1e9).round();
    (ns.abs() < 9.0e18).then_some(ns as i64)
}

/// `0.043 text` (a log line: seconds with 1 to 3 decimals, then the text) → (ns, text).
fn parse_log(rest: &str) -> Option<(i64, &str)> {
    let (num, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let frac = num.split_once('.')?.1;
    if frac.is_empty() || frac.len() > 3 {
        return None;
    }
    decimal_nanos(num).map(|t| (t, text))
}

/// `123B`, `1.23kB`, `3.41MB` … → bytes (decimal units).
fn parse_size(s: &str) -> Option<i64> {
    const UNITS: [(&str, f64); 7] = [
        ("kB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
        ("PB", 1e15),
        ("EB", 1e18),
        ("B", 1.0),
    ];
    for (suffix, scale) in UNITS {
        if let Some(num) = s.strip_suffix(suffix) {
            let ok = !num.is_empty()
                && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && num.bytes().next().is_some_and(|b| b.is_ascii_digit());
            if !ok {
                return None;
            }
            let v: f64 = num.parse().ok()?;
            let b = (v * scale).round();
            return (b < 9.0e18).then_some(b as i64);
        }
    }
    None
}

/// `id [cur [/ total]] [x.ys] [done]` → a status stamped `now`.
fn parse_status(rest: &str, vertex: &str, now: Timestamp) -> VertexStatus {
    let mut s = rest;
    let done = match s.strip_suffix(" done") {
        Some(r) => {
            s = r;
            true
        }
        None => false,
    };
    let mut took = None;
    if let Some((head, last)) = s.rsplit_once(' ') {
        if let Some(t) = parse_seconds(last) {
            took = Some(t);
            s = head;
        }
    }
    let (mut current, mut total) = (0, 0);
    let words: Vec<&str> = s.split(' ').collect();
    let n = words.len();
    if n >= 4 && words[n - 2] == "/" {
        if let (Some(c), Some(t)) = (parse_size(words[n - 3]), parse_size(words[n - 1])) {
            current = c;
            total = t;
            s = trim_words(s, 3);
        }
    } else if n >= 2 {
        if let Some(c) = parse_size(words[n - 1]) {
            current = c;
            s = trim_words(s, 1);
        }
    }
    VertexStatus {
        id: s.to_string(),
        vertex: vertex.to_string(),
        name: s.to_string(),
        total,
        current,
        timestamp: now,
        started: Some(Timestamp(now.0.saturating_sub(took.unwrap_or(0)))),
        completed: done.then_some(now),
    }
}

/// `s` without its last `k` space-separated words.
fn trim_words(s: &str, k: usize) -> &str {
    let mut s = s;
    for _ in 0..k {
        s = s.rsplit_once(' ').map_or("", |(h, _)| h);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(ms: i64) -> Timestamp {
        Timestamp(VIRTUAL_EPOCH.0 + ms * 1_000_000)
    }

    fn vtx(d: &str, started: Option<i64>, completed: Option<i64>) -> Vertex {
        Vertex {
            digest: d.into(),
            name: format!("v {d}"),
            started: started.map(ts),
            completed: completed.map(ts),
            ..Vertex::default()
        }
    }

    fn msg(v: Vec<Vertex>) -> SolveStatus {
        SolveStatus {
            vertexes: v,
            ..SolveStatus::default()
        }
    }

    #[test]
    fn merge_rules() {
        let mut run = Run::new(&[
            msg(vec![vtx("a", None, None), vtx("b", None, None)]),
            msg(vec![vtx("a", Some(0), None)]),
            msg(vec![vtx("a", Some(0), Some(10))]),
        ]);
        // A repeated registration does not reset a started vertex.
        run.push(&msg(vec![vtx("a", None, None)]));
        let a = run.get("a").expect("a");
        assert_eq!(
            (a.record.started, a.record.completed),
            (Some(ts(0)), Some(ts(10)))
        );
        assert_eq!(a.intervals.len(), 1);
        assert_eq!(a.state(), VertexState::Done);
        run.push(&msg(vec![
            vtx("a", Some(20), Some(25)),
            vtx("b", Some(5), None),
        ]));
        assert_eq!(run.len(), 2);
        let a = run.get("a").expect("a");
        assert_eq!(a.records, 5);
        assert_eq!(a.record.started, Some(ts(20)));
        assert_eq!(a.intervals.len(), 2);
        assert_eq!(a.duration(), 15_000_000);
        assert_eq!(a.state(), VertexState::Done);
        let b = run.get("b").expect("b");
        assert_eq!(b.state(), VertexState::Running);
        assert_eq!(run.first, Some(ts(0)));
        assert_eq!(run.last, Some(ts(25)));
    }

    #[test]
    fn merged_intervals_like_the_printer() {
        let mut v = RunVertex::default();
        v.set_interval(ts(0), Some(ts(10)));
        v.set_interval(ts(5), Some(ts(8)));
        v.set_interval(ts(9), Some(ts(12)));
        v.set_interval(ts(20), Some(ts(21)));
        let m = v.merged_intervals();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].stop, Some(ts(12)));
        v.set_interval(ts(30), None);
        assert!(!v.completed());
        v.set_interval(ts(11), None);
        assert_eq!(v.merged_intervals().len(), 1);
    }

    #[test]
    fn log_lines_across_chunks() {
        let mut v = RunVertex::default();
        for (i, d) in [&b"a\nb"[..], b"c\n", b"\nd"].iter().enumerate() {
            v.logs.push(LogChunk {
                stream: 1,
                data: d.to_vec(),
                timestamp: ts(i as i64),
            });
        }
        let lines: Vec<(String, bool)> = v
            .log_lines()
            .into_iter()
            .map(|l| (l.text, l.complete))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("a".to_string(), true),
                ("bc".to_string(), true),
                (String::new(), true),
                ("d".to_string(), false)
            ]
        );
    }

    #[test]
    fn plain_lines() {
        let text = "#1 docker-image://alpine\n#1 resolve docker.io/library/alpine:latest 0.3s done\n\
            #1 DONE 0.3s\n\n#1 docker-image://alpine\n#1 sha256:4abc 3.41MB / 3.41MB 0.2s done\n\
            #1 DONE 0.7s\n\n#2 sh -c cat\n#2 0.043 b\n#2 ...\n\n#3 x\n#3 WARN: careful\n#3 CACHED\n\n\
            #2 sh -c cat\n#2 ERROR: boom\n------\n > sh -c cat:\n0.043 b\n------\nerror: failed\n";
        let run = read_plain(text).expect("reads");
        assert_eq!(run.len(), 3);
        let one = run.get("#1").expect("#1");
        assert_eq!(one.intervals.len(), 2);
        assert_eq!(one.duration(), 700_000_000);
        assert_eq!(one.state(), VertexState::Done);
        let layer = one.status("sha256:4abc").expect("layer status");
        assert_eq!((layer.current, layer.total), (3_410_000, 3_410_000));
        assert!(layer.completed.is_some());
        let two = run.get("#2").expect("#2");
        assert_eq!(two.state(), VertexState::Failed);
        assert_eq!(two.log_lines()[0].text, "b");
        assert_eq!(
            run.get("#3").map(RunVertex::state),
            Some(VertexState::Cached)
        );
        assert_eq!(run.get("#3").map(|v| v.warnings.len()), Some(1));
        assert_eq!(
            run.error_blocks,
            vec![ErrorBlock {
                name: "sh -c cat".into(),
                lines: vec!["0.043 b".into()]
            }]
        );
        assert_eq!(run.notes.len(), 1);
        assert!(read_plain("{\"vertexes\":[]}").is_err());
    }
}
