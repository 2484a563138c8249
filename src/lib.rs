//! # llbsim: BuildKit's LLB solver, simulated
//!
//! BuildKit turns a build into an LLB *definition*: protobuf-encoded ops, each addressed by the
//! sha256 of its bytes. llbsim reads such definitions in every form a user can paste, loads them
//! with BuildKit's own rules, and (in later stages) solves them the way BuildKit's solver does.
//!
//! Data flows one way:
//!
//! ```text
//! bytes ──llb::read──▶ llb::Definition ──load::load──▶ Graph ──▶ solver ──▶ progress ──▶ view
//! ```
//!
//! * [`llb`]: what a definition is; decoders for binary protobuf, base64, `dump-llb` JSON,
//!   SLSA provenance and `convertllb` JSON; the digest-exact encoder.
//! * [`load`]: BuildKit's `llbsolver.Load`: re-digesting, validation, names.
//! * [`graph`]: the loaded vertices and their edges.
//! * [`inspect`]: summaries of a graph for people (text, DOT) and programs (JSON).
//!
//! ```
//! let bytes = std::fs::read("tests/data/alpine.pb").unwrap_or_default();
//! # let bytes = llbsim::testutil::alpine_definition();
//! let graph = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");
//! assert_eq!(graph.len(), 1);
//! assert_eq!(graph.vertices()[0].name, "docker-image://docker.io/library/alpine:latest");
//! ```

#![deny(missing_docs)]

pub mod compare;
pub mod error;
pub mod explain;
pub mod graph;
pub mod inspect;
pub mod llb;
pub mod load;
pub mod oracle;
pub mod progress;
pub mod session;
pub mod solver;
#[doc(hidden)]
pub mod testutil;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, LoadError, LoadErrorKind, Location, ParseError};
pub use graph::{Graph, OpKind, Target, Vertex, VertexId, VertexInput};
pub use llb::{Definition, Digest, Format};
pub use load::{load, Entitlements, LoadOptions};

/// Reads `bytes` in whatever format they are and loads them: the whole path from a file to a
/// [`Graph`].
pub fn load_bytes(bytes: &[u8], opts: &LoadOptions) -> Result<Graph, Error> {
    let (format, def) = llb::read(bytes)?;
    Ok(load::load(&def, format, opts)?)
}
