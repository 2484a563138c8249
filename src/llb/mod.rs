//! What a definition is, and every way a user can hand one to us.
//!
//! Everything here turns bytes into a [`Definition`]: the ops in `def` order (terminal last),
//! each with the bytes its digest covers, plus metadata and the source map. Nothing here applies
//! BuildKit's load rules; that is [`crate::load`]'s job.
//!
//! | format | reader |
//! |---|---|
//! | binary `pb.Definition` (`llb.WriteTo`), or base64 of it | [`binary`] |
//! | `buildctl debug dump-llb` JSON stream, either key casing | [`dumpllb`] |
//! | SLSA provenance `llbDefinition` (v0.2, v1, statement, predicate, DSSE) | [`provenance`] |
//! | `--call=convertllb,format=json` output | [`convertllb`] |
//!
//! [`detect::read`] picks the right one.

use std::collections::BTreeMap;

pub mod binary;
pub mod convertllb;
pub mod detect;
mod digest;
pub mod dumpllb;
mod encode;
mod json;
pub mod pb;
pub mod provenance;
mod unknown;

pub use detect::read;
pub use digest::Digest;
pub use encode::{encode_definition, encode_op};
pub use unknown::has_unknown_fields;

/// The input formats llbsim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Binary `pb.Definition`, as `llb.WriteTo` writes it.
    Protobuf,
    /// The same bytes, base64-encoded.
    ProtobufBase64,
    /// `buildctl debug dump-llb` JSON stream.
    DumpLlb,
    /// SLSA v0.2 provenance (`predicate.buildConfig.llbDefinition`).
    ProvenanceV02,
    /// SLSA v1 provenance (`predicate.buildDefinition.internalParameters.buildConfig`).
    ProvenanceV1,
    /// Dockerfile frontend `--call=convertllb,format=json` output.
    ConvertLlb,
}

impl Format {
    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Protobuf => "binary pb.Definition",
            Format::ProtobufBase64 => "base64 pb.Definition",
            Format::DumpLlb => "dump-llb JSON",
            Format::ProvenanceV02 => "SLSA v0.2 provenance",
            Format::ProvenanceV1 => "SLSA v1 provenance",
            Format::ConvertLlb => "convertllb JSON",
        }
    }

    /// A stable identifier, as used in JSON output.
    pub fn id(self) -> &'static str {
        match self {
            Format::Protobuf => "protobuf",
            Format::ProtobufBase64 => "protobuf-base64",
            Format::DumpLlb => "dump-llb",
            Format::ProvenanceV02 => "provenance-v0.2",
            Format::ProvenanceV1 => "provenance-v1",
            Format::ConvertLlb => "convertllb",
        }
    }

    /// What input in this format can and cannot tell.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Format::Protobuf | Format::ProtobufBase64 => Capabilities {
                exact_bytes: true,
                metadata: true,
                source_map: true,
            },
            Format::DumpLlb => Capabilities {
                exact_bytes: false,
                metadata: true,
                source_map: false,
            },
            Format::ConvertLlb => Capabilities {
                exact_bytes: false,
                metadata: true,
                source_map: true,
            },
            Format::ProvenanceV02 | Format::ProvenanceV1 => Capabilities {
                exact_bytes: false,
                metadata: false,
                source_map: true,
            },
        }
    }
}

/// What a format carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    /// The ops' original bytes (else they are re-encoded from decoded fields, which reproduces the
    /// digest whenever nothing was lost on the way).
    pub exact_bytes: bool,
    /// Per-op metadata: custom names (`llb.customname`), ignore-cache, caps, progress groups.
    pub metadata: bool,
    /// The source map (which Dockerfile lines made which op), when the producer included one.
    pub source_map: bool,
}

/// A decoded definition: BuildKit's `pb.Definition` with each op's bytes and digest at hand.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The ops in `def` order; the last is the terminal op.
    pub ops: Vec<DefOp>,
    /// Metadata by op digest (the digest of the op as it appears in `def`).
    pub metadata: BTreeMap<Digest, pb::OpMetadata>,
    /// The source map, if any.
    pub source: Option<pb::Source>,
    /// Things worth telling the user about the input (lost fields, unreproducible digests…).
    pub notes: Vec<String>,
}

/// One element of `def`.
#[derive(Clone, Debug, PartialEq)]
pub struct DefOp {
    /// The op's digest: sha256 of its bytes in `def` (for JSON input, the digest listed there).
    pub digest: Digest,
    /// The bytes the digest covers: the original bytes for binary input; the deterministic
    /// re-encoding of the decoded op for JSON input.
    pub bytes: Vec<u8>,
    /// The decoded op, or why the bytes are not an `Op` (BuildKit reports that at load time).
    pub op: Result<pb::Op, OpDecodeError>,
    /// Byte offset of the op in a binary input.
    pub offset: Option<usize>,
    /// The digest cannot be recomputed from `bytes` (the input format lost part of the op, such
    /// as a symlink action in dump-llb JSON or `local.unique` in provenance), so the loader
    /// keeps it instead of re-digesting.
    pub pinned: bool,
}

impl DefOp {
    /// An op decoded from a JSON document: its bytes are the canonical re-encoding. `listed` is
    /// the digest the document gives for it, if any; when the re-encoding does not reproduce it
    /// (the format lost part of the op), the listed digest is kept and the op is pinned, and a
    /// note saying so is pushed onto `notes`, naming the op as `what`.
    pub(crate) fn from_decoded(
        op: pb::Op,
        listed: Option<Digest>,
        what: &str,
        notes: &mut Vec<String>,
    ) -> DefOp {
        let bytes = encode_op(&op);
        let computed = Digest::of(&bytes);
        let (digest, pinned) = match listed {
            Some(l) if l != computed => {
                notes.push(format!(
                    "{what}: re-encoding gives {computed}, not the listed {l} (the format lost part \
                     of the op, such as a symlink action or a field llbsim does not know); the \
                     listed digest is kept"
                ));
                (l, true)
            }
            _ => (computed, false),
        };
        DefOp {
            digest,
            bytes,
            op: Ok(op),
            offset: None,
            pinned,
        }
    }
}

/// Why the bytes of one `def` element could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpDecodeError {
    /// Not an `Op` at all (BuildKit: `failed to parse llb proto op: …`).
    Malformed(String),
    /// A string field is not UTF-8. BuildKit's parser does not check that, so the op parses and
    /// fails later, when the loader re-marshals it (`string field contains invalid UTF-8`). The
    /// op's inputs, which the loader needs until then, are kept.
    InvalidUtf8 {
        /// The op's inputs (digests decoded lossily).
        inputs: Vec<pb::Input>,
    },
}

impl Definition {
    /// Metadata for `digest`, if the definition has any.
    pub fn metadata_for(&self, digest: &Digest) -> Option<&pb::OpMetadata> {
        self.metadata.get(digest)
    }

    /// Back to the wire message: each op's bytes as they are, metadata and source map (for
    /// [`encode_definition`], which writes what `llb.Definition.WriteTo` would).
    pub fn to_pb(&self) -> pb::Definition {
        pb::Definition {
            def: self.ops.iter().map(|o| o.bytes.clone()).collect(),
            metadata: self
                .metadata
                .iter()
                .map(|(d, m)| (d.to_string(), m.clone()))
                .collect(),
            source: self.source.clone(),
        }
    }
}

/// The metadata key that overrides a vertex's display name.
pub const CUSTOM_NAME: &str = "llb.customname";
