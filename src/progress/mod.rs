//! The progress stream: what a BuildKit client sees of a solve.
//!
//! * [`status`]: `client.SolveStatus` and its JSON shape.
//! * [`rawjson`]: the `--progress=rawjson` / `--trace` text: Go-exact writer, forgiving reader.
//! * [`replay`]: a real run merged per vertex, and joined to a definition's graph.
//! * [`stream`]: a job's stream made from the solver's event log (batches, `vertexStream`,
//!   encore).
//! * [`plain`]: BuildKit's plain progress printer, replayed from a stream.
//! * [`summary`]: per-vertex rows with reasons, for tables and the page.

pub mod plain;
pub mod rawjson;
pub mod replay;
pub mod status;
pub mod stream;
pub mod summary;

pub use status::{SolveStatus, Timestamp, VIRTUAL_EPOCH};
