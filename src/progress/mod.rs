//! The progress stream: what a BuildKit client sees of a solve.
//!
//! * [`status`]: `client.SolveStatus` and its JSON shape.
//! * [`stream`]: a job's stream made from the solver's event log (batches, `vertexStream`,
//!   encore).
//! * [`plain`]: BuildKit's plain progress printer, replayed from a stream.
//! * [`summary`]: per-vertex rows with reasons, for tables and the page.

pub mod plain;
pub mod status;
pub mod stream;
pub mod summary;

pub use status::{SolveStatus, Timestamp, VIRTUAL_EPOCH};
