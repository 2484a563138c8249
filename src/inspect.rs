//! Summaries of a loaded [`Graph`]: the text, JSON and Graphviz DOT views of `llbsim inspect`
//! (and the JSON the page receives from `loadDefinition`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::graph::{Graph, OpKind};
use crate::llb::{Capabilities, Digest};

/// The machine-readable view of a graph.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Format identifier (see [`crate::Format::id`]).
    pub format: &'static str,
    /// Human name of the format.
    pub format_name: &'static str,
    /// What the format can and cannot tell.
    pub capabilities: Capabilities,
    /// Vertices in load order (inputs first).
    pub vertices: Vec<VertexSummary>,
    /// The build's target.
    pub target: InputRef,
    /// Vertex count per op kind.
    pub kinds: BTreeMap<&'static str, usize>,
    /// Number of input edges.
    pub edges: usize,
    /// Observations about the input.
    pub notes: Vec<String>,
}

/// One vertex.
#[derive(Clone, Debug, Serialize)]
pub struct VertexSummary {
    /// Digest.
    pub digest: Digest,
    /// Display name.
    pub name: String,
    /// Op kind.
    pub kind: &'static str,
    /// Inputs in order.
    pub inputs: Vec<InputRef>,
    /// The Dockerfile stage the name says it belongs to (`[build 2/3] RUN …` → `build`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// A reference to output `index` of the vertex with `digest`.
#[derive(Clone, Debug, Serialize)]
pub struct InputRef {
    /// Digest.
    pub digest: Digest,
    /// Output index.
    pub index: i64,
    /// For an input of an exec: where it is mounted (none for the rootfs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
}

/// Summarises `graph`.
pub fn summary(graph: &Graph) -> Summary {
    let vertices: Vec<VertexSummary> = graph
        .vertices()
        .iter()
        .map(|v| VertexSummary {
            digest: v.digest.clone(),
            name: v.name.clone(),
            kind: v.kind().as_str(),
            inputs: v
                .inputs
                .iter()
                .enumerate()
                .map(|(pos, i)| InputRef {
                    digest: graph.vertex(i.vertex).digest.clone(),
                    index: i.index,
                    mount: Some(mount_label(v, pos)).filter(|m| !m.is_empty()),
                })
                .collect(),
            stage: stage_of(&v.name),
        })
        .collect();
    let mut kinds = BTreeMap::new();
    for v in graph.vertices() {
        *kinds.entry(v.kind().as_str()).or_insert(0) += 1;
    }
    let t = graph.target();
    Summary {
        format: graph.format.id(),
        format_name: graph.format.name(),
        capabilities: graph.format.capabilities(),
        vertices,
        target: InputRef {
            digest: graph.vertex(t.vertex).digest.clone(),
            index: t.index,
            mount: None,
        },
        kinds,
        edges: graph.edge_count(),
        notes: graph.notes.clone(),
    }
}

/// The stage in a Dockerfile frontend's step name: `[name n/m] …` (or `[name] …` for
/// `[internal]`-style names, which are not stages and give `None`).
pub fn stage_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix('[')?;
    let (inside, _) = rest.split_once(']')?;
    let (stage, count) = inside.rsplit_once(' ')?;
    let (n, m) = count.split_once('/')?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(n) && numeric(m) && !stage.is_empty()).then(|| stage.to_string())
}

/// The text summary printed by `llbsim inspect`.
pub fn text(graph: &Graph) -> String {
    let s = summary(graph);
    let mut out = String::new();
    let _ = writeln!(out, "format:   {} ({})", s.format_name, s.format);
    let _ = writeln!(out, "vertices: {}", s.vertices.len());
    let kinds: Vec<String> = s.kinds.iter().map(|(k, n)| format!("{k}:{n}")).collect();
    let _ = writeln!(out, "kinds:    {}", kinds.join(", "));
    let _ = writeln!(out, "edges:    {}", s.edges);
    let t = graph.vertex(graph.target().vertex);
    let _ = writeln!(
        out,
        "target:   {} output {} ({})",
        t.digest,
        s.target.index,
        one_line(&t.name)
    );
    for n in &s.notes {
        let _ = writeln!(out, "note:     {n}");
    }
    out
}

/// Graphviz DOT in the style of `buildctl debug dump-llb --dot`: one node per vertex labelled
/// with its display name, shaped by kind; edges labelled with the exec mount target.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from("digraph {\n");
    for v in graph.vertices() {
        let shape = match v.kind() {
            OpKind::Source => "ellipse",
            OpKind::Exec => "box",
            OpKind::Build => "box3d",
            OpKind::Merge => "invtriangle",
            OpKind::Diff => "doublecircle",
            OpKind::File => "note",
            OpKind::Passthrough | OpKind::Unknown => "plaintext",
        };
        let _ = writeln!(
            out,
            "  {} [label={} shape=\"{shape}\"];",
            quote(v.digest.as_str()),
            quote(&v.name)
        );
    }
    for v in graph.vertices() {
        for (pos, input) in v.inputs.iter().enumerate() {
            let label = mount_label(v, pos);
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                quote(graph.vertex(input.vertex).digest.as_str()),
                quote(v.digest.as_str()),
                quote(&label)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// For an exec, the `dest` of the last mount reading input `pos`, unless it is the rootfs.
pub fn mount_label(v: &crate::graph::Vertex, pos: usize) -> String {
    if let Some(crate::llb::pb::OpKind::Exec(e)) = &v.op.op {
        if let Some(m) = e.mounts.iter().rev().find(|m| m.input == pos as i64) {
            if m.dest != "/" {
                return m.dest.clone();
            }
        }
    }
    String::new()
}

/// A Go-`%q`-like quoted string: safe for DOT whatever the name holds.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn one_line(s: &str) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 80 {
        let cut: String = line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        line
    }
}

#[cfg(test)]
mod stage_tests {
    use super::stage_of;

    #[test]
    fn stages_from_names() {
        assert_eq!(stage_of("[build 2/3] RUN make").as_deref(), Some("build"));
        assert_eq!(
            stage_of("[linux/amd64 base 1/4] FROM x").as_deref(),
            Some("linux/amd64 base")
        );
        assert_eq!(stage_of("[internal] load build context"), None);
        assert_eq!(stage_of("[a b/c] x"), None);
        assert_eq!(stage_of("docker-image://alpine"), None);
    }
}
