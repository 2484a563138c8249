//! The `rawjson` progress format: what `buildctl build --progress=rawjson` prints on stderr, and
//! what `buildctl build --trace FILE` appends to `FILE`.
//!
//! # The format
//!
//! One [`SolveStatus`] per line, written by Go's `json.Encoder` from a `*client.SolveStatus`:
//!
//! * keys in the Go struct's field order; `omitempty` fields are left out when empty, zero or
//!   false (`id`, `current`, `timestamp` and `data` are always written);
//! * strings are escaped the way `encoding/json` escapes them with HTML escaping on: `"` and `\`
//!   with a backslash; `\b` `\f` `\n` `\r` `\t` by name; other control characters as `\u00XX`
//!   (lowercase hex); `<` `>` `&` as `\u003c` `\u003e` `\u0026`; U+2028 and U+2029 as `\u2028`
//!   and `\u2029`; everything else (including DEL and non-ASCII) as is;
//! * `time.Time` as RFC 3339 with nanoseconds, trailing zeros trimmed (Go's `RFC3339Nano`);
//! * `[]byte` as standard padded base64; a nil `[]byte` as `null` (a log chunk's `data` is the
//!   only `[]byte` without `omitempty`, and a daemon's empty chunk arrives as nil);
//! * a newline after each object.
//!
//! A warning's `sourceInfo` and `range` are `pb.SourceInfo` / `[]*pb.Range`, which llbsim keeps
//! as JSON values. The writer puts them back into Go's shape: known fields in the proto struct's
//! order, `omitempty` applied, unknown keys dropped (Go's decoder ignores them), map keys sorted
//! (Go sorts them), keys matched case-insensitively when no exact match exists (as Go's decoder
//! does).
//!
//! # What `--trace FILE` writes
//!
//! `buildctl build --trace FILE` opens `FILE` with `O_APPEND|O_CREATE` and tees the progress
//! channel into a second `json.Encoder`: it writes exactly the same lines as `--progress=rawjson`
//! (the same `client.SolveStatus` values, after `progresswriter.ResetTime` has shifted the
//! daemon's times, plus the records of client-side session helpers such as the auth provider),
//! whatever `--progress` says. Because the file is appended to, one trace file can hold several
//! builds one after another. [`read`] accepts it as it accepts rawjson: it cannot tell where one
//! build ends and the next begins (a new build's first vertices are simply new digests).
//!
//! Records made on the client (session helpers) carry the client's local time, so in a non-UTC
//! time zone their times are written with an offset (`+02:00`) instead of `Z`. [`read`] accepts
//! any RFC 3339 offset; [`Timestamp`] keeps the instant only, so [`write_line`] writes such times
//! back in UTC (the one place where read-then-write is not byte-identical).
//!
//! # Reading
//!
//! [`read`] takes the text a user has: one object per line (blank lines skipped), or objects
//! concatenated or pretty-printed over several lines, or a JSON array of objects. Errors give the
//! 1-based line and byte column and say what is wrong.
//!
//! [`Timestamp`]: super::Timestamp

use std::fmt;

use base64::Engine;
use serde_json::Value;

use super::status::{ProgressGroup, SolveStatus, Vertex, VertexLog, VertexStatus, VertexWarning};
use super::Timestamp;

/// The line Go's `json.Encoder` writes for `s` (with its trailing newline).
pub fn write_line(s: &SolveStatus) -> String {
    let mut out = String::with_capacity(256);
    write_status(&mut out, s);
    out.push('\n');
    out
}

/// The lines of every status in `statuses`, one after another.
pub fn write_all(statuses: &[SolveStatus]) -> String {
    let mut out = String::new();
    for s in statuses {
        write_status(&mut out, s);
        out.push('\n');
    }
    out
}

/// What kind of problem a [`RawJsonError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawJsonErrorKind {
    /// The text is not JSON (or not JSON in the expected place).
    Syntax,
    /// The JSON ends before the object does (a truncated line or file).
    Truncated,
    /// Well-formed JSON with a wrong value: a wrong type, a bad timestamp, bad base64.
    Value,
}

/// Why [`read`] refused its input: where (1-based line, 1-based byte column) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawJsonError {
    /// The line, counting from 1.
    pub line: usize,
    /// The byte column within the line, counting from 1.
    pub column: usize,
    /// What kind of problem.
    pub kind: RawJsonErrorKind,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for RawJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rawjson line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RawJsonError {}

/// Reads a rawjson stream (or a `--trace` file) into its statuses, in order.
///
/// Accepted: one JSON object per line, blank lines anywhere, several objects on one line, an
/// object pretty-printed over several lines, a JSON array of objects, a leading byte-order mark,
/// CRLF line ends. Empty text gives an empty list.
pub fn read(text: &str) -> Result<Vec<SolveStatus>, RawJsonError> {
    let mut cur = Cursor {
        text,
        pos: 0,
        line: 1,
        line_start: 0,
    };
    if text.starts_with('\u{feff}') {
        cur.pos = '\u{feff}'.len_utf8();
    }
    cur.skip_space();
    if cur.rest().starts_with('[') {
        return read_array(&cur);
    }
    let mut out = Vec::new();
    loop {
        cur.skip_space();
        if cur.pos >= text.len() {
            return Ok(out);
        }
        read_line(&mut cur, &mut out)?;
    }
}

/// A position in the text being read.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    /// The line `pos` is on (1-based).
    line: usize,
    /// Byte offset where that line starts.
    line_start: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Moves to `pos`, counting the lines passed.
    fn advance_to(&mut self, pos: usize) {
        let pos = pos.min(self.text.len());
        let passed = self.text.get(self.pos..pos).unwrap_or("");
        for (i, b) in passed.bytes().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = pos;
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        self.advance_to(self.pos + skipped);
    }

    /// End of the current line (the `\n`, or the end of the text).
    fn line_end(&self) -> usize {
        self.rest()
            .find('\n')
            .map_or(self.text.len(), |i| self.pos + i)
    }

    /// Turns an error of serde_json, reading a slice that starts at byte `start` (which is on
    /// the cursor's current line), into one with absolute line and column.
    fn error_at(&self, start: usize, e: &serde_json::Error) -> RawJsonError {
        let start_col = start - self.line_start + 1;
        let (line, column) = if e.line() <= 1 {
            (self.line, start_col + e.column().saturating_sub(1))
        } else {
            (self.line + e.line() - 1, e.column())
        };
        RawJsonError {
            line,
            column: column.max(1),
            kind: kind_of(e),
            message: message_of(e, self.text, start),
        }
    }
}

fn kind_of(e: &serde_json::Error) -> RawJsonErrorKind {
    match e.classify() {
        serde_json::error::Category::Eof => RawJsonErrorKind::Truncated,
        serde_json::error::Category::Data => RawJsonErrorKind::Value,
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            RawJsonErrorKind::Syntax
        }
    }
}

/// serde_json's message without its " at line L column C" tail, with a hint when the text is
/// not rawjson at all.
fn message_of(e: &serde_json::Error, text: &str, start: usize) -> String {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    let mut msg = full.strip_suffix(&tail).unwrap_or(&full).to_string();
    match e.classify() {
        serde_json::error::Category::Eof => {
            msg.push_str(" (the object is incomplete: truncated line or file?)");
        }
        serde_json::error::Category::Syntax => {
            let here = text.get(start..).unwrap_or("");
            if here.starts_with('#') {
                msg.push_str(" (this looks like plain progress output, not rawjson)");
            }
        }
        _ => {}
    }
    msg
}

/// Reads the objects that start on the cursor's line. An object that does not end on its line
/// is read on over the following lines (pretty-printed JSON), unless what follows is evidently a
/// new object, in which case the line was truncated.
fn read_line(cur: &mut Cursor<'_>, out: &mut Vec<SolveStatus>) -> Result<(), RawJsonError> {
    let start = cur.pos;
    let end = cur.line_end();
    let segment = cur.text.get(start..end).unwrap_or("");
    let mut stream = serde_json::Deserializer::from_str(segment).into_iter::<SolveStatus>();
    let truncated = loop {
        match stream.next() {
            None => {
                cur.advance_to(end);
                return Ok(());
            }
            Some(Ok(s)) => out.push(s),
            Some(Err(e)) if e.is_eof() => break e,
            Some(Err(e)) => return Err(cur.error_at(start, &e)),
        }
    };
    // The object starting at `from` runs past the end of its line.
    let from = start + stream.byte_offset();
    let multi = cur.text.get(from..).unwrap_or("");
    let mut stream = serde_json::Deserializer::from_str(multi).into_iter::<SolveStatus>();
    match stream.next() {
        Some(Ok(s)) => {
            out.push(s);
            cur.advance_to(from + stream.byte_offset());
            Ok(())
        }
        Some(Err(e)) => {
            let err = cur.error_at(from, &e);
            // The object was complete up to the end of its line, so a syntax error on that line
            // is at the line break. And if a line before the error is a status line of its own,
            // the reader ran on into it: the object did not continue, it was cut off.
            let ran_on = (cur.line + 1..=err.line).any(|l| is_status_line(cur.text, l));
            let at_break = e.line() <= 1 || (e.line() == 2 && e.column() == 0);
            if (e.is_syntax() && at_break) || ran_on {
                Err(cur.error_at(from, &truncated))
            } else {
                Err(err)
            }
        }
        None => Err(cur.error_at(from, &truncated)),
    }
}

/// Whether line `line` (1-based) of `text` is on its own a complete status object: a JSON
/// object whose keys are all `SolveStatus` keys, which reads as one.
fn is_status_line(text: &str, line: usize) -> bool {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else {
        return false;
    };
    let l = l.trim();
    if !l.starts_with('{') {
        return false;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(l) else {
        return false;
    };
    map.keys()
        .all(|k| matches!(k.as_str(), "vertexes" | "statuses" | "logs" | "warnings"))
        && serde_json::from_str::<SolveStatus>(l).is_ok()
}

fn read_array(cur: &Cursor<'_>) -> Result<Vec<SolveStatus>, RawJsonError> {
    let start = cur.pos;
    let rest = cur.rest();
    let mut de = serde_json::Deserializer::from_str(rest);
    let list = <Vec<SolveStatus> as serde::Deserialize>::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    list.map_err(|e| cur.error_at(start, &e))
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes the fields of one JSON object, putting commas between them.
struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, empty: true }
    }

    /// Starts field `name` and returns the buffer to write its value to.
    fn key(&mut self, name: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_str(self.out, name);
        self.out.push(':');
        self.out
    }

    fn str(&mut self, name: &str, v: &str) {
        push_str(self.key(name), v);
    }

    fn str_omitempty(&mut self, name: &str, v: &str) {
        if !v.is_empty() {
            self.str(name, v);
        }
    }

    fn int(&mut self, name: &str, v: i64) {
        let out = self.key(name);
        out.push_str(&v.to_string());
    }

    fn int_omitempty(&mut self, name: &str, v: i64) {
        if v != 0 {
            self.int(name, v);
        }
    }

    fn time(&mut self, name: &str, t: Timestamp) {
        push_str(self.key(name), &t.to_rfc3339());
    }

    fn time_opt(&mut self, name: &str, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.time(name, t);
        }
    }

    fn close(self) {
        self.out.push('}');
    }
}

/// Writes `[e0,e1,…]`.
fn push_list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

fn write_status(out: &mut String, s: &SolveStatus) {
    let mut o = Obj::open(out);
    if !s.vertexes.is_empty() {
        push_list(o.key("vertexes"), &s.vertexes, write_vertex);
    }
    if !s.statuses.is_empty() {
        push_list(o.key("statuses"), &s.statuses, write_vertex_status);
    }
    if !s.logs.is_empty() {
        push_list(o.key("logs"), &s.logs, write_log);
    }
    if !s.warnings.is_empty() {
        push_list(o.key("warnings"), &s.warnings, write_warning);
    }
    o.close();
}

fn write_vertex(out: &mut String, v: &Vertex) {
    let mut o = Obj::open(out);
    o.str_omitempty("digest", &v.digest);
    if !v.inputs.is_empty() {
        push_list(o.key("inputs"), &v.inputs, |out, d| push_str(out, d));
    }
    o.str_omitempty("name", &v.name);
    o.time_opt("started", v.started);
    o.time_opt("completed", v.completed);
    if v.cached {
        o.key("cached").push_str("true");
    }
    o.str_omitempty("error", &v.error);
    if let Some(pg) = &v.progress_group {
        write_progress_group(o.key("progressGroup"), pg);
    }
    o.close();
}

fn write_progress_group(out: &mut String, pg: &ProgressGroup) {
    let mut o = Obj::open(out);
    o.str_omitempty("id", &pg.id);
    o.str_omitempty("name", &pg.name);
    if pg.weak {
        o.key("weak").push_str("true");
    }
    o.close();
}

fn write_vertex_status(out: &mut String, s: &VertexStatus) {
    let mut o = Obj::open(out);
    o.str("id", &s.id);
    o.str_omitempty("vertex", &s.vertex);
    o.str_omitempty("name", &s.name);
    o.int_omitempty("total", s.total);
    o.int("current", s.current);
    o.time("timestamp", s.timestamp);
    o.time_opt("started", s.started);
    o.time_opt("completed", s.completed);
    o.close();
}

fn write_log(out: &mut String, l: &VertexLog) {
    let mut o = Obj::open(out);
    o.str_omitempty("vertex", &l.vertex);
    o.int_omitempty("stream", l.stream);
    if l.data.is_empty() {
        o.key("data").push_str("null");
    } else {
        push_base64(o.key("data"), &l.data);
    }
    o.time("timestamp", l.timestamp);
    o.close();
}

fn write_warning(out: &mut String, w: &VertexWarning) {
    let mut o = Obj::open(out);
    o.str_omitempty("vertex", &w.vertex);
    o.int_omitempty("level", w.level);
    if !w.short.is_empty() {
        push_base64(o.key("short"), &w.short);
    }
    if !w.detail.is_empty() {
        push_list(o.key("detail"), &w.detail, |out, d| push_base64(out, d));
    }
    o.str_omitempty("url", &w.url);
    if let Some(v) = &w.source_info {
        let f = Field::Msg(Proto::SourceInfo);
        if !omitted(f, v) {
            write_field(o.key("sourceInfo"), f, v);
        }
    }
    if let Some(v) = &w.range {
        let f = Field::MsgList(Proto::Range);
        if !omitted(f, v) {
            write_field(o.key("range"), f, v);
        }
    }
    o.close();
}

fn push_base64(out: &mut String, b: &[u8]) {
    out.push('"');
    base64::engine::general_purpose::STANDARD.encode_string(b, out);
    out.push('"');
}

/// Appends `s` as a JSON string, escaped as Go's `encoding/json` escapes with HTML escaping on.
pub(crate) fn push_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut plain = 0; // start of the run not yet copied
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '<' => Some("\\u003c"),
            '>' => Some("\\u003e"),
            '&' => Some("\\u0026"),
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            c if (c as u32) < 0x20 => Some(""),
            _ => None,
        };
        let Some(esc) = esc else { continue };
        out.push_str(&s[plain..i]);
        if esc.is_empty() {
            let b = c as u32 as u8;
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(esc);
        }
        plain = i + c.len_utf8();
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Go's shape for the protobuf messages a warning carries (`solver/pb`), kept as JSON values.

/// A protobuf message type reachable from `pb.SourceInfo` / `pb.Range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    SourceInfo,
    Definition,
    OpMetadata,
    ExportCache,
    ProgressGroup,
    LinuxResources,
    Source,
    Locations,
    Location,
    Range,
    Position,
}

/// The Go type of a field (all proto fields are `omitempty`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Str,
    Bytes,
    Bool,
    Int,
    /// A pointer to a message.
    Msg(Proto),
    /// `[][]byte`.
    BytesList,
    /// `[]*message`.
    MsgList(Proto),
    /// `map[string]string`.
    StrMap,
    /// `map[string]bool`.
    BoolMap,
    /// `map[string]*message`.
    MsgMap(Proto),
}

/// The JSON fields of `m`, in Go's struct order.
fn fields(m: Proto) -> &'static [(&'static str, Field)] {
    use Field::*;
    match m {
        Proto::SourceInfo => &[
            ("filename", Str),
            ("data", Bytes),
            ("definition", Msg(Proto::Definition)),
            ("language", Str),
        ],
        Proto::Definition => &[
            ("def", BytesList),
            ("metadata", MsgMap(Proto::OpMetadata)),
            ("Source", Msg(Proto::Source)),
        ],
        Proto::OpMetadata => &[
            ("ignore_cache", Bool),
            ("description", StrMap),
            ("export_cache", Msg(Proto::ExportCache)),
            ("caps", BoolMap),
            ("progress_group", Msg(Proto::ProgressGroup)),
            ("linux_resources", Msg(Proto::LinuxResources)),
        ],
        Proto::ExportCache => &[("Value", Bool)],
        Proto::ProgressGroup => &[("id", Str), ("name", Str), ("weak", Bool)],
        Proto::LinuxResources => &[
            ("memory", Int),
            ("memorySwap", Int),
            ("cpuShares", Int),
            ("cpuPeriod", Int),
            ("cpuQuota", Int),
            ("cpusetCpus", Str),
            ("cpusetMems", Str),
        ],
        Proto::Source => &[
            ("locations", MsgMap(Proto::Locations)),
            ("infos", MsgList(Proto::SourceInfo)),
        ],
        Proto::Locations => &[("locations", MsgList(Proto::Location))],
        Proto::Location => &[("sourceIndex", Int), ("ranges", MsgList(Proto::Range))],
        Proto::Range => &[
            ("start", Msg(Proto::Position)),
            ("end", Msg(Proto::Position)),
        ],
        Proto::Position => &[("line", Int), ("character", Int)],
    }
}

/// Whether Go's `omitempty` leaves a field of type `f` holding (what decodes from) `v` out.
fn omitted(f: Field, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        // A struct pointer to `{}` is not nil; an empty map is empty.
        Value::Object(m) => m.is_empty() && !matches!(f, Field::Msg(_)),
    }
}

/// The zero value Go writes for an element of type `f` that was `null` in the input.
fn zero(f: Field) -> &'static str {
    match f {
        Field::Str => "\"\"",
        Field::Bool => "false",
        Field::Int => "0",
        _ => "null",
    }
}

fn write_field(out: &mut String, f: Field, v: &Value) {
    match (f, v) {
        (_, Value::Null) => out.push_str(zero(f)),
        (Field::Msg(m), Value::Object(map)) => write_msg(out, m, map),
        (Field::BytesList, Value::Array(items)) => {
            push_list(out, items, |out, x| write_field(out, Field::Bytes, x));
        }
        (Field::MsgList(m), Value::Array(items)) => {
            push_list(out, items, |out, x| write_field(out, Field::Msg(m), x));
        }
        (Field::StrMap, Value::Object(map)) => write_map(out, Field::Str, map),
        (Field::BoolMap, Value::Object(map)) => write_map(out, Field::Bool, map),
        (Field::MsgMap(m), Value::Object(map)) => write_map(out, Field::Msg(m), map),
        // A scalar, or a value of another type than Go expects: written as it is.
        _ => write_value(out, v),
    }
}

fn write_msg(out: &mut String, m: Proto, map: &serde_json::Map<String, Value>) {
    let mut o = Obj::open(out);
    for &(name, f) in fields(m) {
        let v = map.get(name).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        });
        if let Some(v) = v {
            if !omitted(f, v) {
                write_field(o.key(name), f, v);
            }
        }
    }
    o.close();
}

fn write_map(out: &mut String, elem: Field, map: &serde_json::Map<String, Value>) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut o = Obj::open(out);
    for k in keys {
        if let Some(v) = map.get(k) {
            write_field(o.key(k), elem, v);
        }
    }
    o.close();
}

/// Any JSON value, with Go's string escaping and sorted object keys.
fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => push_str(out, s),
        Value::Array(items) => push_list(out, items, write_value),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut o = Obj::open(out);
            for k in keys {
                if let Some(v) = map.get(k) {
                    write_value(o.key(k), v);
                }
            }
            o.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s);
        out
    }

    #[test]
    fn go_string_escapes() {
        assert_eq!(esc("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(esc("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(
            esc("\"\\\u{8}\u{c}\n\r\t\u{1}\u{1b}\u{7f}é"),
            "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001b\u{7f}é\""
        );
    }

    #[test]
    fn warning_values_in_go_order() {
        let v: Value = serde_json::from_str(
            r#"{"language":"Dockerfile","data":"RlJPTQ==","filename":"Dockerfile","extra":1,
               "definition":{"Source":{"infos":[]},"def":["AA=="]}}"#,
        )
        .unwrap_or_default();
        let mut out = String::new();
        write_field(&mut out, Field::Msg(Proto::SourceInfo), &v);
        assert_eq!(
            out,
            r#"{"filename":"Dockerfile","data":"RlJPTQ==","definition":{"def":["AA=="],"Source":{}},"language":"Dockerfile"}"#
        );
        let r: Value =
            serde_json::from_str(r#"[{"end":{"line":3},"start":{"line":3,"character":0}}]"#)
                .unwrap_or_default();
        let mut out = String::new();
        write_field(&mut out, Field::MsgList(Proto::Range), &r);
        assert_eq!(out, r#"[{"start":{"line":3},"end":{"line":3}}]"#);
    }
}
