//! The loaded build graph: BuildKit's vertices after `llbsolver.Load`, over petgraph.
//!
//! Vertices are stored in load order, which is BuildKit's: depth-first from the target, inputs
//! before the vertex that uses them, so the order is topological. An edge runs from an input to
//! the vertex that consumes it and carries the input's position and output index.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::llb::{pb, Digest, Format};

/// A vertex's position in [`Graph::vertices`] (its load order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct VertexId(pub u32);

impl VertexId {
    /// The index into [`Graph::vertices`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The kind of op a vertex runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// `ExecOp`.
    Exec,
    /// `SourceOp`.
    Source,
    /// `FileOp`.
    File,
    /// `BuildOp`.
    Build,
    /// `MergeOp`.
    Merge,
    /// `DiffOp`.
    Diff,
    /// `PassthroughOp`.
    Passthrough,
    /// No oneof set: loads, fails when run (`no support for <nil>`).
    Unknown,
}

impl OpKind {
    /// The kind of `op`.
    pub fn of(op: &pb::Op) -> OpKind {
        match op.op {
            Some(pb::OpKind::Exec(_)) => OpKind::Exec,
            Some(pb::OpKind::Source(_)) => OpKind::Source,
            Some(pb::OpKind::File(_)) => OpKind::File,
            Some(pb::OpKind::Build(_)) => OpKind::Build,
            Some(pb::OpKind::Merge(_)) => OpKind::Merge,
            Some(pb::OpKind::Diff(_)) => OpKind::Diff,
            Some(pb::OpKind::Passthrough(_)) => OpKind::Passthrough,
            None => OpKind::Unknown,
        }
    }

    /// Lower-case name, as in dump-llb JSON (`exec`, `source`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Exec => "exec",
            OpKind::Source => "source",
            OpKind::File => "file",
            OpKind::Build => "build",
            OpKind::Merge => "merge",
            OpKind::Diff => "diff",
            OpKind::Passthrough => "passthrough",
            OpKind::Unknown => "unknown",
        }
    }
}

/// One input of a vertex: output `index` of `vertex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VertexInput {
    /// The vertex producing the input.
    pub vertex: VertexId,
    /// Which of its outputs.
    pub index: i64,
}

/// A loaded vertex.
#[derive(Clone, Debug, PartialEq)]
pub struct Vertex {
    /// The digest BuildKit uses for the vertex (after re-digesting; equal to the op's digest in
    /// the definition whenever that was canonical).
    pub digest: Digest,
    /// The op's digest as it appeared in the definition (metadata is keyed by it).
    pub llb_digest: Digest,
    /// Position of the op in `Definition.def`.
    pub def_index: usize,
    /// Display name (facts §3): `llb.customname` if present, else derived from the op.
    pub name: String,
    /// The op, with input digests rewritten to loaded digests.
    pub op: pb::Op,
    /// The op's metadata (default when the definition had none for it).
    pub metadata: pb::OpMetadata,
    /// Inputs in `Op.inputs` order.
    pub inputs: Vec<VertexInput>,
}

impl Vertex {
    /// The op kind.
    pub fn kind(&self) -> OpKind {
        OpKind::of(&self.op)
    }
}

/// Which output of which vertex the build produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The target vertex.
    pub vertex: VertexId,
    /// Its output index.
    pub index: i64,
}

/// An edge: input position `input` of the consumer reads output `index` of the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputEdge {
    /// Position in the consumer's `inputs`.
    pub input: usize,
    /// Output index of the producer.
    pub index: i64,
}

/// A loaded build graph.
#[derive(Clone, Debug)]
pub struct Graph {
    vertices: Vec<Vertex>,
    dag: DiGraph<VertexId, InputEdge>,
    target: Target,
    /// The format the definition was read from.
    pub format: Format,
    /// The definition's source map, if it had one.
    pub source: Option<pb::Source>,
    /// Observations about the input (lost fields, kept digests, unreachable ops…).
    pub notes: Vec<String>,
}

impl Graph {
    /// Builds a graph from vertices in load order. Each vertex's inputs must come earlier.
    pub(crate) fn new(
        vertices: Vec<Vertex>,
        target: Target,
        format: Format,
        source: Option<pb::Source>,
        notes: Vec<String>,
    ) -> Graph {
        let mut dag = DiGraph::with_capacity(vertices.len(), vertices.len());
        for i in 0..vertices.len() {
            dag.add_node(VertexId(i as u32));
        }
        for (i, v) in vertices.iter().enumerate() {
            for (pos, input) in v.inputs.iter().enumerate() {
                dag.add_edge(
                    NodeIndex::new(input.vertex.index()),
                    NodeIndex::new(i),
                    InputEdge {
                        input: pos,
                        index: input.index,
                    },
                );
            }
        }
        Graph {
            vertices,
            dag,
            target,
            format,
            source,
            notes,
        }
    }

    /// All vertices in load order (topological: inputs first).
    pub fn vertices(&self) -> &[Vertex] {
        &self.vertices
    }

    /// The vertex with `id`.
    pub fn vertex(&self, id: VertexId) -> &Vertex {
        &self.vertices[id.index()]
    }

    /// Number of vertices.
    pub fn len(&self) -> usize {
        self.vertices.len()
    }

    /// Whether the graph has no vertices (a loaded graph always has at least one).
    pub fn is_empty(&self) -> bool {
        self.vertices.is_empty()
    }

    /// The build's target.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The vertex with `digest`, if any.
    pub fn find(&self, digest: &Digest) -> Option<VertexId> {
        self.vertices
            .iter()
            .position(|v| &v.digest == digest)
            .map(|i| VertexId(i as u32))
    }

    /// Number of input edges in the graph.
    pub fn edge_count(&self) -> usize {
        self.dag.edge_count()
    }

    /// The vertices that use `id` as an input, each once, in load order.
    pub fn consumers(&self, id: VertexId) -> Vec<VertexId> {
        let mut out: Vec<VertexId> = self
            .dag
            .neighbors_directed(NodeIndex::new(id.index()), Direction::Outgoing)
            .map(|n| self.dag[n])
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Each vertex's depth: 0 for a vertex without inputs, else one more than its deepest input
    /// (the longest path from a root). Indexed like [`Graph::vertices`].
    pub fn depths(&self) -> Vec<usize> {
        let mut depth = vec![0usize; self.vertices.len()];
        // Load order is topological, so inputs are done before their consumers.
        for (i, v) in self.vertices.iter().enumerate() {
            depth[i] = v
                .inputs
                .iter()
                .map(|inp| depth[inp.vertex.index()] + 1)
                .max()
                .unwrap_or(0);
        }
        depth
    }

    /// Whether each vertex is a transitive input of `id` (`id` itself excluded).
    pub fn ancestors(&self, id: VertexId) -> Vec<bool> {
        let mut seen = vec![false; self.vertices.len()];
        let mut stack: Vec<VertexId> = self.vertex(id).inputs.iter().map(|i| i.vertex).collect();
        while let Some(v) = stack.pop() {
            if !std::mem::replace(&mut seen[v.index()], true) {
                stack.extend(self.vertex(v).inputs.iter().map(|i| i.vertex));
            }
        }
        seen
    }

    /// Whether each vertex transitively uses `id` (`id` itself excluded).
    pub fn descendants(&self, id: VertexId) -> Vec<bool> {
        let mut seen = vec![false; self.vertices.len()];
        // Consumers come after their inputs in load order: one forward sweep suffices.
        for (i, v) in self.vertices.iter().enumerate().skip(id.index() + 1) {
            seen[i] = v
                .inputs
                .iter()
                .any(|inp| inp.vertex == id || seen[inp.vertex.index()]);
        }
        seen
    }

    /// The underlying petgraph (edges run from input to consumer).
    pub fn dag(&self) -> &DiGraph<VertexId, InputEdge> {
        &self.dag
    }
}
