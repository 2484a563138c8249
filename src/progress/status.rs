//! `client.SolveStatus`: what a BuildKit client receives from a job's `Status` stream, with the
//! JSON shape `buildctl build --progress=rawjson` prints (keys in Go's field order, empty fields
//! left out the way Go's `omitempty` leaves them out).
//!
//! Digests are kept as strings: a real stream can carry IDs that are not `sha256:` digests
//! (progress groups, other frontends), and a reader must not refuse them.

use serde::{Deserialize, Serialize};

/// A point in time: nanoseconds since the Unix epoch, UTC. Written as Go's `time.Time` writes
/// itself in JSON (RFC 3339, nanoseconds with trailing zeros trimmed, `Z`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Where the virtual clock's zero lies when a simulated stream is written with real times:
/// 2026-01-01T00:00:00Z. Fixed, so the same solve always writes the same bytes.
pub const VIRTUAL_EPOCH: Timestamp = Timestamp(1_767_225_600_000_000_000);

impl Timestamp {
    /// The timestamp `nanos` nanoseconds after [`VIRTUAL_EPOCH`].
    pub fn virtual_at(nanos: u64) -> Timestamp {
        let nanos = i64::try_from(nanos).unwrap_or(i64::MAX);
        Timestamp(VIRTUAL_EPOCH.0.saturating_add(nanos))
    }

    /// Nanoseconds from `earlier` to `self` (negative when `self` is earlier).
    pub fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Parses an RFC 3339 time (any offset; converted to UTC).
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))?;
        let n = t.unix_timestamp_nanos();
        i64::try_from(n)
            .map(Timestamp)
            .map_err(|_| format!("{s:?} is out of range"))
    }

    /// Go's `time.RFC3339Nano` in UTC: `2026-01-01T10:00:00.41Z` (no fraction when it is zero).
    pub fn to_rfc3339(self) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let ns = t.nanosecond();
        if ns != 0 {
            let frac = format!("{ns:09}");
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// One message of the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SolveStatus {
    /// Vertex records.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub vertexes: Vec<Vertex>,
    /// Sub-statuses (`resolve …`, `extracting …`, transfers).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub statuses: Vec<VertexStatus>,
    /// Log chunks.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub logs: Vec<VertexLog>,
    /// Build warnings.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub warnings: Vec<VertexWarning>,
}

impl SolveStatus {
    /// True when the message carries nothing.
    pub fn is_empty(&self) -> bool {
        self.vertexes.is_empty()
            && self.statuses.is_empty()
            && self.logs.is_empty()
            && self.warnings.is_empty()
    }
}

/// `client.Vertex`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Vertex {
    /// The vertex digest.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Its inputs' digests.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub inputs: Vec<String>,
    /// Display name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Start of the current interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// End of the current interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Timestamp>,
    /// Reported as a cache hit.
    #[serde(skip_serializing_if = "is_false")]
    pub cached: bool,
    /// Error text ("" for none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// Progress group (COPY --link and friends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_group: Option<ProgressGroup>,
}

/// `pb.ProgressGroup`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressGroup {
    /// Group ID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Group name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// A weak member does not reveal the group.
    #[serde(skip_serializing_if = "is_false")]
    pub weak: bool,
}

/// `client.VertexStatus`: one sub-task of a vertex with a counter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VertexStatus {
    /// Status ID (also what the plain printer prints).
    pub id: String,
    /// The vertex it belongs to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vertex: String,
    /// Display name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Total units (bytes), 0 when unknown.
    #[serde(skip_serializing_if = "is_zero")]
    pub total: i64,
    /// Units done.
    pub current: i64,
    /// When this record was written.
    pub timestamp: Timestamp,
    /// Start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// End.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Timestamp>,
}

/// `client.VertexLog`: a chunk of a vertex's output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VertexLog {
    /// The vertex.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vertex: String,
    /// 1 = stdout, 2 = stderr (0 is left out).
    #[serde(skip_serializing_if = "is_zero")]
    pub stream: i64,
    /// The bytes, base64 in JSON.
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
    /// When it was written.
    pub timestamp: Timestamp,
}

/// `client.VertexWarning`. Source info and ranges are kept as JSON values: llbsim only
/// passes them through.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VertexWarning {
    /// The vertex.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vertex: String,
    /// Level.
    #[serde(skip_serializing_if = "is_zero")]
    pub level: i64,
    /// Short message (base64 in JSON).
    #[serde(skip_serializing_if = "Vec::is_empty", with = "base64_bytes")]
    pub short: Vec<u8>,
    /// Detail lines (base64 each in JSON).
    #[serde(skip_serializing_if = "Vec::is_empty", with = "base64_list")]
    pub detail: Vec<Vec<u8>>,
    /// Documentation link.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// `pb.SourceInfo`, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_info: Option<serde_json::Value>,
    /// `[]*pb.Range`, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<serde_json::Value>,
}

impl Eq for VertexWarning {}

/// Go writes a nil slice as `null`; read it as empty.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

mod base64_list {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            b.iter()
                .map(|x| base64::engine::general_purpose::STANDARD.encode(x)),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let v = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
        v.iter()
            .map(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_format() {
        assert_eq!(VIRTUAL_EPOCH.to_rfc3339(), "2026-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::virtual_at(36_000_410_000_000).to_rfc3339(),
            "2026-01-01T10:00:00.41Z"
        );
        let t = Timestamp::parse("2026-11-21T08:32:15.811593598Z");
        assert_eq!(
            t.map(Timestamp::to_rfc3339).as_deref(),
            Ok("2026-11-21T08:32:15.811593598Z")
        );
        let off = Timestamp::parse("2026-01-01T01:00:00+01:00");
        assert_eq!(off, Ok(VIRTUAL_EPOCH));
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn omitempty() {
        let v = Vertex {
            digest: "sha256:aa".into(),
            name: "x".into(),
            ..Vertex::default()
        };
        let s = SolveStatus {
            vertexes: vec![v],
            ..SolveStatus::default()
        };
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(json, r#"{"vertexes":[{"digest":"sha256:aa","name":"x"}]}"#);
        let log = VertexLog {
            vertex: "d".into(),
            stream: 1,
            data: b"hi\n".to_vec(),
            timestamp: VIRTUAL_EPOCH,
        };
        let json = serde_json::to_string(&log).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"vertex":"d","stream":1,"data":"aGkK","timestamp":"2026-01-01T00:00:00Z"}"#
        );
    }
}
