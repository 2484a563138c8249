//! The scenario rules of the oracle traces (`../shared/oracle/README.md` §3.2): which vertex
//! fails, which one runs long, which unrelated one runs beside it, which source changes, and the
//! changed definition itself. Deterministic functions of the loaded graph, so a simulated run can
//! be compared with what real BuildKit reported for the same definition.

use std::collections::BTreeMap;

use crate::graph::{Graph, OpKind, VertexId};
use crate::llb::{encode_op, pb, DefOp, Definition, Digest};

/// The attribute the oracle adds to the mutated source.
pub const MUTATION_ATTR: (&str, &str) = ("oracle.mutated", "1");

/// The fail vertex (and the long vertex of the cancel phases): the first non-source vertex in
/// definition order whose depth is `ceil(max depth / 2)`.
pub fn fail_vertex(graph: &Graph) -> Option<VertexId> {
    let depths = graph.depths();
    let max = depths.iter().copied().max()?;
    let want = max.div_ceil(2);
    (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| graph.vertex(id).kind() != OpKind::Source && depths[id.index()] == want)
        .min_by_key(|&id| graph.vertex(id).def_index)
}

/// The long sibling of `d_fail_longsib`: a non-source vertex that is neither an ancestor nor a
/// descendant of `fail`; the lowest depth wins, then the earliest in definition order.
pub fn long_sibling(graph: &Graph, fail: VertexId) -> Option<VertexId> {
    let depths = graph.depths();
    let ancestors = graph.ancestors(fail);
    let descendants = graph.descendants(fail);
    (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| {
            id != fail
                && graph.vertex(id).kind() != OpKind::Source
                && !ancestors[id.index()]
                && !descendants[id.index()]
        })
        .min_by_key(|&id| (depths[id.index()], graph.vertex(id).def_index))
}

/// The source the mutated phases change: among source vertices with at least one descendant,
/// sorted by (descendant count, digest), the one at index `len / 2`.
pub fn mutated_source(graph: &Graph) -> Option<VertexId> {
    let mut sources: Vec<(usize, &Digest, VertexId)> = (0..graph.len())
        .map(|i| VertexId(i as u32))
        .filter(|&id| graph.vertex(id).kind() == OpKind::Source)
        .map(|id| {
            let n = graph.descendants(id).iter().filter(|&&d| d).count();
            (n, &graph.vertex(id).digest, id)
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    sources.sort();
    sources.get(sources.len() / 2).map(|&(_, _, id)| id)
}

/// A definition with one source changed.
#[derive(Clone, Debug)]
pub struct Mutation {
    /// The new definition (ops re-encoded, metadata and source locations moved to new digests).
    pub definition: Definition,
    /// Old digest → new digest, for every op whose digest changed.
    pub digest_map: BTreeMap<Digest, Digest>,
}

/// Adds `attr` to the source op with `digest` and re-digests every op in definition order
/// (each op's inputs are rewritten to their new digests first). `None` when an op of `def` did
/// not decode or `digest` is not a source op of it.
pub fn mutate_source(def: &Definition, digest: &Digest, attr: (&str, &str)) -> Option<Mutation> {
    let mut digest_map: BTreeMap<Digest, Digest> = BTreeMap::new();
    let mut ops = Vec::with_capacity(def.ops.len());
    let mut found = false;
    for d in &def.ops {
        let mut op: pb::Op = d.op.as_ref().ok()?.clone();
        for input in &mut op.inputs {
            if let Some(new) = digest_map.get(&Digest::from_raw(input.digest.clone())) {
                input.digest = new.to_string();
            }
        }
        if &d.digest == digest {
            let Some(pb::OpKind::Source(src)) = &mut op.op else {
                return None;
            };
            src.attrs.insert(attr.0.to_string(), attr.1.to_string());
            found = true;
        }
        let bytes = encode_op(&op);
        let new = Digest::of(&bytes);
        if new != d.digest {
            digest_map.insert(d.digest.clone(), new.clone());
        }
        ops.push(DefOp {
            digest: new,
            bytes,
            op: Ok(op),
            offset: None,
            pinned: false,
        });
    }
    if !found {
        return None;
    }
    let moved = |k: &Digest| digest_map.get(k).cloned().unwrap_or_else(|| k.clone());
    let metadata = def
        .metadata
        .iter()
        .map(|(k, v)| (moved(k), v.clone()))
        .collect();
    let source = def.source.clone().map(|mut s| {
        s.locations = s
            .locations
            .into_iter()
            .map(|(k, v)| (moved(&Digest::from_raw(k)).to_string(), v))
            .collect();
        s
    });
    let definition = Definition {
        ops,
        metadata,
        source,
        notes: def.notes.clone(),
    };
    Some(Mutation {
        definition,
        digest_map,
    })
}
