//! BuildKit's plain progress printer (`--progress=plain`, `progressui`'s text mode), replayed
//! from a stream of [`SolveStatus`] messages.
//!
//! The printer has two halves, as in BuildKit:
//!
//! * **ingest** ([`PlainPrinter::update`]): fold one message into per-vertex state (latest
//!   record, start/stop intervals, sub-statuses, buffered log lines, warnings) and remember which
//!   vertices changed since the last print;
//! * **print** ([`PlainPrinter::print_pass`]): one refresh. Completed vertices are written first,
//!   ordered by when their latest interval stopped, then at most one running vertex is made (or
//!   kept) the "current" one. [`PlainPrinter::done`] is the final forced refresh followed by the
//!   `------` error summary blocks.
//!
//! [`render`] and [`render_passes`] drive a printer over a whole stream, the way BuildKit's
//! `Display.UpdateFrom` does with and without its display rate limiter.
//!
//! # Where this printer is deterministic and BuildKit is not
//!
//! BuildKit iterates Go maps and sorts unstably in a few places. This printer always decides the
//! same way, so the same stream always gives the same bytes:
//!
//! * completed vertices with **equal** stop times, printed in one pass, come out in the order
//!   each vertex (or progress group) was **first seen** in the stream;
//! * when a new active vertex must be chosen among several with the same activity, the one first
//!   seen wins;
//! * when nothing running was updated and no vertex is current, BuildKit makes "any open vertex"
//!   current. This printer takes the open vertex that **started first** (the longest running
//!   one);
//! * a progress group looks at its members in the order they were first seen, which decides
//!   which member's error the group shows and when an error reveals it.
//!
//! BuildKit also reads the wall clock, and this printer has none. Its rule "switch to a vertex
//! blocked for over 10 s" and its 5 s anti-flicker split never fire when a recorded stream is
//! replayed (the replay takes milliseconds), so they are left out. Its "busiest vertex" is the one
//! with the most updates per wall-clock second since it last became active; here the clock is a
//! counter that advances by one per update, which picks the same vertex a fast replay picks.
//! Everything printed (durations, log time prefixes, the 5 s status throttle) comes from the
//! records' own timestamps.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::status::{SolveStatus, Vertex, VertexStatus};

/// `context.Canceled.Error()`: a vertex error ending with this prints `CANCELED`.
mod mux;

const CANCELED: &str = "context canceled";
/// Names longer than this are cut when [`PlainOptions::truncate_names`] is on.
const NAME_LIMIT: usize = 72;
/// A status update is throttled unless it moved at least this share of its total…
const MIN_PROGRESS_DELTA: f64 = 0.05;
/// …or at least this many nanoseconds passed since it was last printed.
const MIN_TIME_DELTA: i64 = 5_000_000_000;

/// What a [`PlainPrinter`] prints besides the stream itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainOptions {
    /// Printed as `#0 <description>` and a blank line before the first block (BuildKit's
    /// `WithDesc` text). `None` (the default) prints nothing.
    pub description: Option<String>,
    /// How many of a vertex's last printed log lines the error summary repeats (BuildKit: 10).
    /// 0 keeps none.
    pub log_ring_size: usize,
    /// Cut vertex names to 72 bytes plus `...`, as BuildKit does only when the environment has
    /// `PROGRESS_NO_TRUNC=0`. Off by default.
    pub truncate_names: bool,
}

impl Default for PlainOptions {
    fn default() -> Self {
        PlainOptions {
            description: None,
            log_ring_size: 10,
            truncate_names: false,
        }
    }
}

/// How often [`render`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassMode {
    /// A print pass after every message, then [`PlainPrinter::done`] (BuildKit with its display
    /// limiter disabled; the oracle's `.plain-each.txt`).
    Each,
    /// One print pass after the first message only, then [`PlainPrinter::done`] (BuildKit's
    /// limiter with burst 1 when the whole stream is already queued; the oracle's `.plain.txt`).
    FirstThenDone,
}

/// The text BuildKit's plain printer writes for `statuses`, printing as `mode` says.
pub fn render(statuses: &[SolveStatus], mode: PassMode) -> String {
    let mut p = PlainPrinter::new(PlainOptions::default());
    let mut out = Vec::new();
    for (i, s) in statuses.iter().enumerate() {
        p.update(s);
        if mode == PassMode::Each || i == 0 {
            p.pass_into(&mut out);
        }
    }
    p.done_into(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of each pass in [`PassMode::Each`]: element `i` is what was printed right after
/// message `i`, and the last element (one past the messages) is [`PlainPrinter::done`]'s. Joined,
/// they are `render(statuses, PassMode::Each)` (except where a pass ends inside a multi-byte
/// character, which each element replaces by U+FFFD on its own).
pub fn render_passes(statuses: &[SolveStatus]) -> Vec<String> {
    let mut p = PlainPrinter::new(PlainOptions::default());
    let mut out = Vec::with_capacity(statuses.len() + 1);
    for s in statuses {
        p.update(s);
        out.push(p.print_pass());
    }
    out.push(p.done());
    out
}

/// Formats a byte count the way BuildKit's status lines do (`units.Bytes` with `%.2f`): decimal
/// units with two decimals (`1.23kB`, `3.41MB`, `1.00GB`), whole bytes below 1000 (`123B`).
pub fn format_bytes(n: i64) -> String {
    // units.Bytes.floatValue, including its int64 wrap-around past exabytes.
    let mut i = 0usize;
    let mut base: i64 = if n < 0 { -1 } else { 1 };
    // Go's loop ends past exabytes only by luck of the wrap; bound it.
    while i < 8 {
        let next = base.wrapping_mul(1000);
        if (base > 0 && n >= next) || (base < 0 && n <= next) {
            i += 1;
            base = next;
            continue;
        }
        break;
    }
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    if i == 0 {
        return format!("{n}B");
    }
    let unit = UNITS.get(i).copied().unwrap_or("");
    // float64(b) / math.Abs(float64(baseUnit))
    let v = n as f64 / (base as f64).abs();
    format!("{v:.2}{unit}")
}

/// Go's `time.Duration.Seconds()`: whole seconds and the remaining nanoseconds, added as floats.
fn seconds(ns: i64) -> f64 {
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// The time prefix of a log line: seconds since the vertex's latest start, with 3 decimals below
/// 10 s, 2 below 100 s, 1 otherwise.
pub fn format_log_time(ns: i64) -> String {
    let sec = seconds(ns);
    let prec = if sec < 10.0 {
        3
    } else if sec < 100.0 {
        2
    } else {
        1
    };
    format!("{sec:.prec$}")
}

/// Whether an update of a status that was last printed with `last_current` at `last_time` is
/// held back: it is still running and moved less than 5 % of `total` and less than 5 s.
pub fn status_throttled(
    last_current: i64,
    last_time: i64,
    current: i64,
    total: i64,
    time: i64,
    completed: bool,
) -> bool {
    if completed {
        return false;
    }
    let progress = if total > 0 {
        current.wrapping_sub(last_current) as f64 / total as f64
    } else {
        0.0
    };
    progress < MIN_PROGRESS_DELTA && time.saturating_sub(last_time) < MIN_TIME_DELTA
}

/// A start and (when closed) a stop, in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interval {
    start: i64,
    stop: Option<i64>,
}

/// BuildKit's `mergeIntervals`: overlapping intervals joined; an open interval swallows every
/// later one.
fn merge_intervals(intervals: &BTreeMap<i64, Option<i64>>) -> Vec<Interval> {
    // The map is keyed by start, so it is already sorted by start.
    let mut merged = Vec::new();
    let mut it = intervals
        .iter()
        .map(|(&start, &stop)| Interval { start, stop });
    let Some(mut cur) = it.next() else {
        return merged;
    };
    for next in it {
        let Some(cur_stop) = cur.stop else {
            merged.push(cur);
            return merged;
        };
        if cur_stop < next.start {
            merged.push(cur);
            cur = next;
            continue;
        }
        let Some(next_stop) = next.stop else {
            merged.push(Interval {
                start: cur.start,
                stop: None,
            });
            return merged;
        };
        if cur_stop >= next_stop {
            continue;
        }
        cur = Interval {
            start: cur.start,
            stop: Some(next_stop),
        };
    }
    merged.push(cur);
    merged
}

/// The fields of a `client.Vertex` the printer reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    digest: String,
    name: String,
    started: Option<i64>,
    completed: Option<i64>,
    cached: bool,
    error: String,
    grouped: bool,
    weak: bool,
}

impl Record {
    fn of(v: &Vertex) -> Record {
        Record {
            digest: v.digest.clone(),
            name: v.name.clone(),
            started: v.started.map(|t| t.0),
            completed: v.completed.map(|t| t.0),
            cached: v.cached,
            error: v.error.clone(),
            grouped: v.progress_group.is_some(),
            weak: v.progress_group.as_ref().is_some_and(|g| g.weak),
        }
    }
}

/// The last lines printed for a vertex, kept for the error summary (`container/ring`).
#[derive(Clone, Debug)]
struct Ring {
    slots: Vec<Option<Vec<u8>>>,
    pos: usize,
}

impl Ring {
    fn set(&mut self, line: &[u8]) {
        if let Some(s) = self.slots.get_mut(self.pos) {
            *s = Some(line.to_vec());
        }
    }
    fn advance(&mut self) {
        if !self.slots.is_empty() {
            self.pos = (self.pos + 1) % self.slots.len();
        }
    }
}

/// One printable vertex: a vertex, or a progress group standing for its members.
#[derive(Clone, Debug, Default)]
struct Slot {
    /// The digest it was created under (the group ID for a group).
    key: String,
    /// The record it shows (for a group: the synthetic group record).
    rec: Record,
    /// The last started record that went through change detection.
    prev: Option<Record>,
    /// `#N`, 0 until first printed.
    index: u64,
    /// Start → stop; a repeated start with the same time overwrites.
    intervals: BTreeMap<i64, Option<i64>>,
    merged: Vec<Interval>,
    /// Status IDs in the order they started (an ID can repeat, as in BuildKit).
    statuses: Vec<String>,
    by_id: BTreeMap<String, VertexStatus>,
    status_updates: BTreeSet<String>,
    /// Buffered log lines, `"<t> <text>"`; the last one is open when `logs_partial`.
    logs: Vec<Vec<u8>>,
    logs_partial: bool,
    /// How much of `logs[0]` was already printed.
    logs_offset: usize,
    ring: Option<Ring>,
    /// Updates since the vertex last became active, and the tick of the first of them.
    count: u64,
    last_block: Option<u64>,
    warnings: Vec<Vec<u8>>,
    warning_idx: usize,
    hidden: bool,
    /// For a group: members' latest records, in first-seen order.
    members: Vec<Record>,
    /// Position in `vertexes` (order of first start), once it is there.
    started_at: Option<usize>,
}

impl Slot {
    fn new(key: &str) -> Slot {
        Slot {
            key: key.to_string(),
            rec: Record {
                digest: key.to_string(),
                ..Record::default()
            },
            ..Slot::default()
        }
    }
    fn is_started(&self) -> bool {
        !self.merged.is_empty()
    }
    fn is_completed(&self) -> bool {
        self.merged.last().is_some_and(|i| i.stop.is_some())
    }
    fn last_stop(&self) -> Option<i64> {
        self.merged.last().and_then(|i| i.stop)
    }
    /// A candidate for "make any open vertex active".
    fn is_open(&self) -> bool {
        self.is_started() && !self.is_completed() && !self.rec.grouped && !self.hidden
    }
}

/// BuildKit's plain progress printer (`trace` plus `textMux`), fed one [`SolveStatus`] at a
/// time. Output is returned by each print call rather than written.
#[derive(Clone, Debug)]
pub struct PlainPrinter {
    opts: PlainOptions,
    /// Every vertex and group, in the order first seen.
    slots: Vec<Slot>,
    /// Digest (or group ID) → slot. A group's members map to the group's slot.
    by_digest: BTreeMap<String, usize>,
    /// Group ID → slot.
    groups: BTreeMap<String, usize>,
    /// Slots in the order they first started (`trace.vertexes`): the summary's order.
    vertexes: Vec<usize>,
    /// Positions in `vertexes` of slots that are open (started, not completed, shown).
    open: BTreeSet<usize>,
    /// Digests updated since they were last printed.
    /// Slots updated since they were last printed (by slot index, the order of first sight).
    updates: BTreeSet<usize>,
    /// The update counter standing in for the wall clock.
    clock: u64,
    /// The vertex being printed ("" for none).
    current: String,
    next_index: u64,
    not_first: bool,
    /// Status ID → (current, timestamp) when last printed.
    last: BTreeMap<String, (i64, i64)>,
}

impl PlainPrinter {
    /// A printer that has seen nothing yet.
    pub fn new(opts: PlainOptions) -> PlainPrinter {
        PlainPrinter {
            opts,
            slots: Vec::new(),
            by_digest: BTreeMap::new(),
            groups: BTreeMap::new(),
            vertexes: Vec::new(),
            open: BTreeSet::new(),
            updates: BTreeSet::new(),
            clock: 0,
            current: String::new(),
            next_index: 0,
            not_first: false,
            last: BTreeMap::new(),
        }
    }

    /// Folds one message into the printer's state (BuildKit's `trace.update`). Prints nothing.
    pub fn update(&mut self, s: &SolveStatus) {
        let mut touched_groups: Vec<usize> = Vec::new();
        for v in &s.vertexes {
            if let Some(pg) = &v.progress_group {
                let g = match self.groups.get(&pg.id) {
                    Some(&g) => g,
                    None => {
                        let g = self.slots.len();
                        let mut slot = Slot::new(&pg.id);
                        slot.rec.name = pg.name.clone();
                        slot.hidden = true;
                        self.slots.push(slot);
                        self.groups.insert(pg.id.clone(), g);
                        self.by_digest.insert(pg.id.clone(), g);
                        g
                    }
                };
                if !touched_groups.contains(&g) {
                    touched_groups.push(g);
                }
                let rec = Record::of(v);
                if let Some(slot) = self.slots.get_mut(g) {
                    match slot.members.iter_mut().find(|m| m.digest == rec.digest) {
                        Some(m) => *m = rec,
                        None => slot.members.push(rec),
                    }
                }
                self.by_digest.insert(v.digest.clone(), g);
                continue;
            }
            let prev = self.by_digest.get(&v.digest).copied();
            let idx = match prev {
                Some(i) => i,
                None => {
                    let i = self.slots.len();
                    self.slots.push(Slot::new(&v.digest));
                    self.by_digest.insert(v.digest.clone(), i);
                    i
                }
            };
            let was_started = self.slots.get(idx).is_some_and(Slot::is_started);
            let rec = Record::of(v);
            self.vertex_event(idx, &rec);
            if rec.started.is_some() && !was_started {
                self.push_started(idx);
            }
            let Some(slot) = self.slots.get_mut(idx) else {
                continue;
            };
            // A record without a start does not reset a started vertex.
            if !was_started || rec.started.is_some() {
                slot.rec = rec.clone();
            }
            if let Some(st) = rec.started {
                slot.intervals.insert(st, rec.completed);
                slot.merged = merge_intervals(&slot.intervals);
            }
            self.reindex_open(idx);
        }
        for g in touched_groups {
            let (changed, revealed) = self.refresh_group(g);
            let hidden = self.slots.get(g).is_none_or(|s| s.hidden);
            if !hidden {
                if revealed {
                    self.push_started(g);
                }
                if changed {
                    self.bump(g);
                    if let Some(slot) = self.slots.get(g) {
                        let d = slot.rec.digest.clone();
                        self.mark_updated(&d);
                    }
                }
            }
            self.reindex_open(g);
        }
        for st in &s.statuses {
            let Some(&idx) = self.by_digest.get(&st.vertex) else {
                continue;
            };
            let Some(slot) = self.slots.get_mut(idx) else {
                continue;
            };
            let prev_started = slot.by_id.get(&st.id).map(|p| p.started.is_some());
            if st.started.is_some() && prev_started != Some(true) {
                slot.statuses.push(st.id.clone());
            }
            slot.by_id.insert(st.id.clone(), st.clone());
            slot.status_updates.insert(st.id.clone());
            let d = slot.rec.digest.clone();
            self.mark_updated(&d);
            self.bump(idx);
        }
        for w in &s.warnings {
            let Some(&idx) = self.by_digest.get(&w.vertex) else {
                continue;
            };
            if let Some(slot) = self.slots.get_mut(idx) {
                slot.warnings.push(w.short.clone());
            }
            // A warning alone does not mark the vertex for printing (as in BuildKit).
            self.bump(idx);
        }
        for l in &s.logs {
            let Some(&idx) = self.by_digest.get(&l.vertex) else {
                continue;
            };
            let Some(slot) = self.slots.get_mut(idx) else {
                continue;
            };
            let since = slot
                .merged
                .last()
                .map_or(0, |i| l.timestamp.0.saturating_sub(i.start));
            let prefix = format_log_time(since);
            let complete = split_lines(&l.data, |i, line| {
                if i == 0 && slot.logs_partial {
                    if let Some(last) = slot.logs.last_mut() {
                        last.extend_from_slice(line);
                        return;
                    }
                }
                let mut s = Vec::with_capacity(prefix.len() + 1 + line.len());
                s.extend_from_slice(prefix.as_bytes());
                s.push(b' ');
                s.extend_from_slice(line);
                slot.logs.push(s);
            });
            slot.logs_partial = !complete;
            let d = slot.rec.digest.clone();
            self.mark_updated(&d);
            self.bump(idx);
        }
    }

    /// One refresh (BuildKit's `textMux.print`): what changed since the last pass.
    pub fn print_pass(&mut self) -> String {
        let mut out = Vec::new();
        self.pass_into(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The end of the stream: a final forced refresh, then a `------` block for every vertex
    /// that failed (not cancelled), in the order they first started, with its last log lines.
    pub fn done(&mut self) -> String {
        let mut out = Vec::new();
        self.done_into(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Change detection for a vertex record (`trace.triggerVertexEvent`).
    fn vertex_event(&mut self, idx: usize, rec: &Record) {
        let Some(started) = rec.started else {
            return;
        };
        let Some(slot) = self.slots.get_mut(idx) else {
            return;
        };
        let old = slot.prev.clone().unwrap_or_default();
        let changed = rec.digest != old.digest
            || rec.name != old.name
            || old.started != Some(started)
            // BuildKit compares the completion pointers, and every record has its own.
            || rec.completed.is_some()
            || rec.cached != old.cached
            || rec.error != old.error;
        slot.prev = Some(rec.clone());
        if changed {
            self.bump(idx);
            self.mark_updated(&rec.digest);
        }
    }

    /// `vertexGroup.refresh`: recompute a group's record from its members. Returns (changed,
    /// newly revealed).
    fn refresh_group(&mut self, g: usize) -> (bool, bool) {
        let Some(slot) = self.slots.get_mut(g) else {
            return (false, false);
        };
        let mut rec = slot.rec.clone();
        rec.cached = true;
        let was_hidden = slot.hidden;
        let mut changed = false;
        for m in &slot.members {
            if let Some(st) = m.started {
                if slot.intervals.get(&st) != Some(&m.completed) {
                    changed = true;
                }
                slot.intervals.insert(st, m.completed);
                if !m.weak {
                    slot.hidden = false;
                }
            }
            rec.cached = rec.cached && m.cached;
            if rec.error.is_empty() {
                rec.error = m.error.clone();
            } else {
                // BuildKit reveals a group once it carries an error and has a further member.
                slot.hidden = false;
            }
        }
        if slot.rec.cached != rec.cached || slot.rec.error != rec.error {
            changed = true;
        }
        slot.rec = rec;
        let revealed = was_hidden && !slot.hidden;
        if revealed {
            changed = true;
        }
        slot.merged = merge_intervals(&slot.intervals);
        (changed, revealed)
    }

    fn push_started(&mut self, idx: usize) {
        let pos = self.vertexes.len();
        self.vertexes.push(idx);
        if let Some(slot) = self.slots.get_mut(idx) {
            if slot.started_at.is_none() {
                slot.started_at = Some(pos);
            }
        }
    }

    fn reindex_open(&mut self, idx: usize) {
        let Some(slot) = self.slots.get(idx) else {
            return;
        };
        if let Some(pos) = slot.started_at {
            if slot.is_open() {
                self.open.insert(pos);
            } else {
                self.open.remove(&pos);
            }
        }
    }

    /// `vertex.update(1)`: one more update since the vertex last became active.
    fn bump(&mut self, idx: usize) {
        self.clock += 1;
        if let Some(slot) = self.slots.get_mut(idx) {
            if slot.count == 0 {
                slot.last_block = Some(self.clock);
            }
            slot.count += 1;
        }
    }

    fn slot_of(&self, dgst: &str) -> Option<&Slot> {
        self.by_digest.get(dgst).and_then(|&i| self.slots.get(i))
    }

    /// Marks the slot shown for `dgst` as updated since it was last printed.
    fn mark_updated(&mut self, dgst: &str) {
        if let Some(&idx) = self.by_digest.get(dgst) {
            self.updates.insert(idx);
        }
    }
}

/// Go's `split` over a log chunk: calls `f(i, line)` for each `\n`-separated piece and tells
/// whether the chunk ended with a newline. An empty chunk counts as not ending with one.
fn split_lines(data: &[u8], mut f: impl FnMut(usize, &[u8])) -> bool {
    if data.is_empty() {
        return false;
    }
    let mut rest = data;
    let mut i = 0;
    loop {
        if rest.is_empty() {
            return true;
        }
        match rest.iter().position(|&b| b == b'\n') {
            None => {
                f(i, rest);
                return false;
            }
            Some(p) => {
                f(i, rest.get(..p).unwrap_or_default());
                rest = rest.get(p + 1..).unwrap_or_default();
                i += 1;
            }
        }
    }
}

fn write_bytes(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) -> std::fmt::Result {
    let mut s = String::new();
    s.write_fmt(args)?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn writeln_bytes(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) -> std::fmt::Result {
    write_bytes(out, args)?;
    out.push(b'\n');
    Ok(())
}
