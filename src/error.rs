//! Errors, one type per boundary: [`ParseError`] when bytes are not a definition we can read,
//! [`LoadError`] when BuildKit's loader would reject the definition, and [`Error`] for both.
//!
//! A [`LoadError`]'s `Display` is exactly BuildKit's message (the part after
//! `failed to load LLB: `), so tests and users can compare it with a real daemon's output;
//! where it happened is carried beside it, in [`LoadError::op`].

use std::fmt;

use crate::llb::{Digest, Format};

/// Where in the input something went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Nowhere in particular (the input as a whole).
    Input,
    /// A byte offset in the input.
    Byte(usize),
    /// The `index`-th element of `Definition.def` (0-based), which starts at byte `offset`.
    Op {
        /// Position in `def`.
        index: usize,
        /// Byte offset of the element's bytes in the input, when the input was binary.
        offset: Option<usize>,
    },
    /// A place in a JSON document: the line (for JSON streams) and a path like `$.Op.exec.mounts[0]`.
    Json {
        /// 1-based line of a JSON-lines stream, or the object's ordinal in a concatenated stream.
        record: Option<usize>,
        /// JSONPath-like location.
        path: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Input => f.write_str("input"),
            Location::Byte(o) => write!(f, "byte {o}"),
            Location::Op {
                index,
                offset: Some(o),
            } => write!(f, "op {index} (byte {o})"),
            Location::Op {
                index,
                offset: None,
            } => write!(f, "op {index}"),
            Location::Json {
                record: Some(r),
                path,
            } => write!(f, "object {r}, {path}"),
            Location::Json { record: None, path } => f.write_str(path),
        }
    }
}

/// The input could not be read as any definition format, or as the one it claims to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The format the input was recognised as, if any.
    pub format: Option<Format>,
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub message: String,
    /// When no format matched: each format tried and why it did not fit.
    pub tried: Vec<(Format, String)>,
}

impl ParseError {
    /// An error at `location` in input recognised as `format`.
    pub fn new(format: Format, location: Location, message: impl Into<String>) -> ParseError {
        ParseError {
            format: Some(format),
            location,
            message: message.into(),
            tried: Vec::new(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(format) => write!(
                f,
                "{} at {}: {}",
                format.name(),
                self.location,
                self.message
            )?,
            None if self.location == Location::Input => write!(f, "{}", self.message)?,
            None => write!(f, "at {}: {}", self.location, self.message)?,
        }
        for (format, why) in &self.tried {
            write!(f, "\n  tried {}: {}", format.name(), why)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Why BuildKit's loader (`llbsolver.Load`) rejects a definition. Each variant's message is
/// BuildKit's own, word for word.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// `def` has no elements.
    EmptyDefinition,
    /// An element of `def` is not a valid `Op` protobuf.
    ParseOp(String),
    /// An input has a negative output index.
    NegativeInputIndex {
        /// Position of the input in the op's `inputs`.
        input: usize,
        /// The index found.
        index: i64,
    },
    /// An input names a digest that no op in the definition has.
    MissingInputDigest(Digest),
    /// Fewer than two distinct ops (the terminal op counts).
    TooFewVertexes(usize),
    /// The terminal op has no inputs.
    NoInputsOnLastVertex,
    /// `opsutils.Validate` rejected a reachable op; the message is BuildKit's.
    InvalidOp(&'static str),
    /// A passthrough output is out of range.
    InvalidPassthroughOutput(i64),
    /// A diff side names an input that does not exist.
    InvalidDiffInputIndex(i64),
    /// The op's metadata asks for a capability BuildKit does not know.
    UnknownCapability(String),
    /// The op needs an entitlement (`network.host`, `security.insecure`) that was not granted.
    EntitlementNotAllowed(&'static str),
    /// A string field of the op is not UTF-8 (raised when the op is re-marshalled).
    InvalidUtf8,
    /// The op graph has a cycle. BuildKit cannot meet one (a digest covers its inputs' digests),
    /// but a JSON document can list digests that point in a circle.
    Cycle(Digest),
}

impl fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LoadErrorKind::*;
        match self {
            EmptyDefinition => f.write_str("invalid empty definition"),
            ParseOp(e) => write!(f, "failed to parse llb proto op: {e}"),
            NegativeInputIndex { input, index } => {
                write!(f, "invalid input {input} output index {index}")
            }
            MissingInputDigest(d) => write!(f, "invalid missing input digest {d}"),
            TooFewVertexes(n) => write!(f, "invalid LLB with {n} vertexes"),
            NoInputsOnLastVertex => f.write_str("invalid LLB with no inputs on last vertex"),
            InvalidOp(msg) => f.write_str(msg),
            InvalidPassthroughOutput(o) => write!(f, "invalid passthrough output input index {o}"),
            InvalidDiffInputIndex(n) => write!(f, "invalid diff input index {n}"),
            UnknownCapability(id) => write!(f, "unknown API capability {id}"),
            EntitlementNotAllowed(e) => write!(f, "{e} is not allowed"),
            InvalidUtf8 => f.write_str("string field contains invalid UTF-8"),
            Cycle(d) => write!(f, "invalid LLB: input cycle through {d}"),
        }
    }
}

/// A definition that BuildKit's loader would reject, with the op where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// What went wrong (its `Display` is BuildKit's message).
    pub kind: LoadErrorKind,
    /// The op concerned, when there is one: its position in `def` and its digest.
    pub op: Option<(usize, Digest)>,
}

impl LoadError {
    pub(crate) fn new(kind: LoadErrorKind) -> LoadError {
        LoadError { kind, op: None }
    }

    pub(crate) fn at(kind: LoadErrorKind, index: usize, digest: &Digest) -> LoadError {
        LoadError {
            kind,
            op: Some((index, digest.clone())),
        }
    }

    /// The full message a `buildctl build` user would see.
    pub fn buildctl_message(&self) -> String {
        format!("failed to solve: failed to load LLB: {}", self.kind)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for LoadError {}

/// Anything that can go wrong between bytes and a loaded graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The bytes are not a definition in any format llbsim reads.
    Parse(ParseError),
    /// The definition was read, and BuildKit's loader rejects it.
    Load(LoadError),
}

impl Error {
    /// Where the error happened, in words (empty when nowhere in particular).
    pub fn location(&self) -> String {
        match self {
            Error::Parse(e) => e.location.to_string(),
            Error::Load(LoadError {
                op: Some((i, d)), ..
            }) => format!("op {i} ({d})"),
            Error::Load(_) => String::new(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "cannot read definition: {e}"),
            Error::Load(e) => {
                write!(f, "failed to load LLB: {e}")?;
                if let Some((i, d)) = &e.op {
                    write!(f, " (op {i}, {d})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(e)
    }
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        Error::Load(e)
    }
}
