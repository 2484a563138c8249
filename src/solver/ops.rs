//! Stubbed ops: what each vertex's `CacheMap` and `Exec` return, and how long they take on the
//! virtual clock. Nothing runs; the model decides.
//!
//! Three variants:
//! * [`Variant::Plain`] and [`Variant::Content`] are, exactly, the two stub contracts the oracle
//!   traces were recorded with (`../shared/oracle/README.md` §3.2);
//! * [`Variant::Default`] makes a believable build: cache maps are BuildKit's own where they can
//!   be computed offline ([`super::cachemap`]), sources take longer than file ops, execs vary
//!   deterministically with the digest and a seed, execs print a line or two.

use std::collections::BTreeMap;

use crate::graph::OpKind;
use crate::llb::{encode_op, pb, Digest};

use super::cachemap::dedupe_paths;
use super::Time;

/// One millisecond on the virtual clock (which counts nanoseconds).
pub const MS: Time = 1_000_000;

/// The cache map an op returns (`solver.CacheMap`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheMap {
    /// The op's cache digest.
    pub digest: String,
    /// One entry per input.
    pub deps: Vec<CacheMapDep>,
    /// What the digest was computed from, for explaining it.
    pub basis: CacheMapBasis,
}

/// What fed a cache map's digest: which rule, over which bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheMapBasis {
    /// The rule: BuildKit's type string (`buildkit.exec.v0`, `buildkit.file.v0`, …) or the
    /// stub contract's name (`oracle-plain`, `oracle-content`, `stand-in`).
    pub rule: String,
    /// `false` when the digest is not BuildKit's (a stub contract, or a source whose real key
    /// needs a registry or a session): then `stand_in` says why.
    pub exact: bool,
    /// Why the digest is a stand-in ("" when exact).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stand_in: String,
    /// The platform that entered the digest (exec, docker-image), normalized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The op's fields that count, as they were hashed (names as in `ops.proto`).
    pub counted: Vec<String>,
    /// Fields cleared or rewritten before hashing, each with why.
    pub cleared: Vec<String>,
    /// The exact bytes hashed (UTF-8), when they are text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preimage: String,
}

/// One input's entry in a [`CacheMap`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheMapDep {
    /// Selector digest, or "".
    pub selector: String,
    /// Whether a content-based key (`ComputeDigestFunc`) is computed from the input's result.
    pub content: bool,
    /// Whether a `PreprocessFunc` runs on the input's result.
    pub preprocess: bool,
    /// The paths the selector was made of (mount selectors, copy sources, owner files), in the
    /// order they were hashed; the content key covers these (deduplicated).
    pub paths: Vec<String>,
}

/// Which stub contract to follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// A believable build with varied durations and logs.
    #[default]
    Default,
    /// The oracle's `plain` contract: cache digest = vertex digest, no content keys.
    Plain,
    /// The oracle's `content` contract: cache digest ignores inputs; exec and file ops hash
    /// their inputs' results.
    Content,
}

impl Variant {
    /// Parses `default`, `plain` or `content`.
    pub fn parse(s: &str) -> Option<Variant> {
        match s {
            "default" => Some(Variant::Default),
            "plain" => Some(Variant::Plain),
            "content" => Some(Variant::Content),
            _ => None,
        }
    }
}

/// What a vertex is, as the op model sees it.
#[derive(Clone, Debug)]
pub struct OpInfo<'a> {
    /// The vertex digest the solver uses (`v.Digest()`).
    pub digest: &'a Digest,
    /// The op.
    pub op: &'a pb::Op,
}

/// How an exec goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlan {
    /// Time from start to finish when not cancelled.
    pub duration: Time,
    /// The result IDs, or the error message.
    pub outcome: Result<Vec<String>, String>,
    /// Time the op keeps running after its context is cancelled.
    pub cancel_delay: Time,
    /// Lines the op prints (stdout).
    pub logs: Vec<String>,
    /// Sub-statuses it reports while it runs (layer downloads, context transfers).
    pub statuses: Vec<PlannedStatus>,
}

/// A sub-status of a vertex (`client.VertexStatus`), as an op reports it: a task with an ID
/// that starts and completes at offsets from the op's own start, with a byte counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStatus {
    /// The status ID, which the plain printer prints (`resolve docker.io/library/alpine:latest`).
    pub id: String,
    /// Start, from the op's start.
    pub start: Time,
    /// End, from the op's start.
    pub end: Time,
    /// Bytes to move (0: no counter).
    pub total: i64,
}

/// The stub ops, with their scenario controls.
#[derive(Clone, Debug, Default)]
pub struct StubOps {
    /// The contract.
    pub variant: Variant,
    /// Seed for the default variant's durations.
    pub seed: u64,
    /// Vertices whose exec fails, with the message.
    pub fail: BTreeMap<Digest, String>,
    /// Vertices whose exec takes this long instead.
    pub long: BTreeMap<Digest, Time>,
    /// How long a cancelled op keeps running (the oracle's `e_cancel_slowstop`: 300 ms).
    pub cancel_delay: Time,
}

/// The oracle's injected failure message.
pub const INJECTED_FAILURE: &str = "oracle stub: injected exec failure";

impl StubOps {
    /// Stubs following `variant`.
    pub fn new(variant: Variant) -> StubOps {
        StubOps {
            variant,
            ..StubOps::default()
        }
    }

    /// `Op.CacheMap` (always `done`).
    pub fn cache_map(&self, v: &OpInfo<'_>) -> CacheMap {
        let n = v.op.inputs.len();
        match self.variant {
            Variant::Plain => CacheMap {
                digest: v.digest.to_string(),
                deps: vec![CacheMapDep::default(); n],
                basis: CacheMapBasis {
                    rule: "oracle-plain".into(),
                    stand_in: "the oracle's plain contract: the cache digest is the vertex digest"
                        .into(),
                    ..CacheMapBasis::default()
                },
            },
            Variant::Default => super::cachemap::cache_map(v.op),
            Variant::Content => {
                let mut body = v.op.clone();
                body.inputs.clear();
                let mut bytes = b"oracle-cachemap:".to_vec();
                bytes.extend(encode_op(&body));
                let hashed = matches!(OpKind::of(v.op), OpKind::Exec | OpKind::File);
                let deps = (0..n).map(|_| CacheMapDep {
                    content: hashed,
                    ..CacheMapDep::default()
                });
                CacheMap {
                    basis: CacheMapBasis {
                        rule: "oracle-content".into(),
                        stand_in:
                            "the oracle's content contract: a hash of the op without its inputs"
                                .into(),
                        ..CacheMapBasis::default()
                    },
                    digest: Digest::of(&bytes).to_string(),
                    deps: if hashed {
                        deps.collect()
                    } else {
                        vec![CacheMapDep::default(); n]
                    },
                }
            }
        }
    }

    /// The sub-statuses of computing `v`'s cache map: an image source resolves its reference.
    pub fn cache_map_statuses(&self, v: &OpInfo<'_>) -> Vec<PlannedStatus> {
        let dur = self.cache_map_duration(v);
        match (&v.op.op, self.variant) {
            (Some(pb::OpKind::Source(src)), Variant::Default) if dur > 0 => {
                match src.identifier.strip_prefix("docker-image://") {
                    Some(r) => vec![PlannedStatus {
                        id: format!("resolve {}", r.split('@').next().unwrap_or(r)),
                        start: 0,
                        end: dur,
                        total: 0,
                    }],
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// The sub-statuses of executing a source: an image downloads and extracts a layer, a local
    /// source transfers its context.
    fn exec_statuses(&self, v: &OpInfo<'_>, duration: Time) -> Vec<PlannedStatus> {
        let Some(pb::OpKind::Source(src)) = &v.op.op else {
            return Vec::new();
        };
        let size = 1_000 + self.spread(v.digest, 80_000_000) as i64;
        if src.identifier.starts_with("docker-image://") {
            let layer = Digest::of(format!("layer:{}", v.digest).as_bytes());
            let split = duration * 7 / 10;
            vec![
                PlannedStatus {
                    id: layer.to_string(),
                    start: 0,
                    end: split,
                    total: size,
                },
                PlannedStatus {
                    id: format!("extracting {layer}"),
                    start: split,
                    end: duration,
                    total: 0,
                },
            ]
        } else if let Some(name) = src.identifier.strip_prefix("local://") {
            vec![PlannedStatus {
                id: format!("transferring {name}:"),
                start: 0,
                end: duration,
                total: size / 1000,
            }]
        } else {
            Vec::new()
        }
    }

    /// How long computing the cache map takes.
    pub fn cache_map_duration(&self, v: &OpInfo<'_>) -> Time {
        match (self.variant, OpKind::of(v.op)) {
            // Resolving an image or listing a context takes a moment in a real build.
            (Variant::Default, OpKind::Source) => (50 + self.spread(v.digest, 150)) * MS,
            _ => 0,
        }
    }

    /// The content digest of a result (`ComputeDigestFunc`) for cache-map entry `dep`.
    ///
    /// The oracle's contracts hash the result ID alone. The default model stands in for
    /// BuildKit's content checksum over the dep's selected paths: the same result and the same
    /// (deduplicated) paths give the same checksum.
    pub fn content_digest(&self, result_id: &str, dep: Option<&CacheMapDep>) -> String {
        match self.variant {
            Variant::Plain | Variant::Content => {
                Digest::of(format!("oracle-content:{result_id}").as_bytes()).to_string()
            }
            Variant::Default => {
                let paths = dep.map(|d| dedupe_paths(&d.paths)).unwrap_or_default();
                let mut text = format!("llbsim-content:{result_id}");
                for p in &paths {
                    text.push('\0');
                    text.push_str(p);
                }
                Digest::of(text.as_bytes()).to_string()
            }
        }
    }

    /// Number of outputs an exec of `op` produces.
    pub fn num_outputs(op: &pb::Op) -> usize {
        let n = match &op.op {
            Some(pb::OpKind::Exec(e)) => e.mounts.iter().filter(|m| m.output >= 0).count(),
            Some(pb::OpKind::File(f)) => f.actions.iter().filter(|a| a.output >= 0).count(),
            _ => 1,
        };
        n.max(1)
    }

    /// `Op.Exec`.
    pub fn exec(&self, v: &OpInfo<'_>) -> ExecPlan {
        let n = StubOps::num_outputs(v.op);
        let ids: Vec<String> = match (&v.op.op, self.variant) {
            (Some(pb::OpKind::Source(s)), Variant::Content) => (0..n)
                .map(|i| format!("src:{}#{i}", s.identifier))
                .collect(),
            _ => (0..n).map(|i| format!("{}#{i}", v.digest)).collect(),
        };
        let base = match self.variant {
            Variant::Plain | Variant::Content => 5 * MS,
            Variant::Default => self.default_duration(v),
        };
        let duration = self.long.get(v.digest).copied().unwrap_or(base);
        let outcome = match self.fail.get(v.digest) {
            Some(msg) => Err(msg.clone()),
            None => Ok(ids),
        };
        let logs = match (self.variant, &v.op.op) {
            (Variant::Default, Some(pb::OpKind::Exec(e))) => {
                let cmd = e
                    .meta
                    .as_ref()
                    .map(|m| m.args.join(" "))
                    .unwrap_or_default();
                let mut lines = vec![format!("+ {}", truncate(&cmd, 100))];
                if self.spread(v.digest, 2) == 1 {
                    lines.push("done".to_string());
                }
                lines
            }
            _ => Vec::new(),
        };
        let statuses = match self.variant {
            Variant::Default => self.exec_statuses(v, duration),
            _ => Vec::new(),
        };
        ExecPlan {
            duration,
            outcome,
            cancel_delay: self.cancel_delay,
            logs,
            statuses,
        }
    }

    fn default_duration(&self, v: &OpInfo<'_>) -> Time {
        let (lo, spread) = match OpKind::of(v.op) {
            OpKind::Source => (400, 1600),
            OpKind::Exec => (300, 4700),
            OpKind::File => (20, 180),
            OpKind::Merge | OpKind::Diff | OpKind::Passthrough => (5, 25),
            OpKind::Build | OpKind::Unknown => (100, 400),
        };
        (lo + self.spread(v.digest, spread)) * MS
    }

    /// A number in `0..n` fixed by the digest and the seed.
    fn spread(&self, digest: &Digest, n: u64) -> u64 {
        let h = Digest::of(format!("{}:{}", self.seed, digest).as_bytes());
        let hex = h.as_str().strip_prefix("sha256:").unwrap_or(h.as_str());
        let x = u64::from_str_radix(hex.get(..15).unwrap_or("0"), 16).unwrap_or(0);
        if n == 0 {
            0
        } else {
            x % n
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n).collect();
        format!("{cut}…")
    }
}
