//! BuildKit's real `CacheMap`, per op kind, for everything computable offline: exec, file,
//! merge, diff, build and passthrough ops exactly, and the index-0 key of a docker image pinned
//! by digest. Other sources (which need a registry, a session or the network) and unknown op
//! kinds get a deterministic stand-in marked `exact: false`.
//!
//! The rules follow `solver/llbsolver/ops/*.go` at BuildKit `73ed6825c`; the formulas and the
//! ground truth they were checked against are in `../shared/cachemaps/README.md` (copies in
//! `testdata/cachemaps/`).

mod exec;
mod file;
pub mod gojson;
pub mod pbjson;
pub mod platform;
mod source;

use self::gojson::{Obj, J};
use super::ops::{CacheMap, CacheMapBasis, CacheMapDep};
use crate::llb::pb;

pub use exec::dedupe_paths;
pub use source::{image_key, ImageKey};

/// What a rule computed, before it becomes a [`CacheMap`].
pub(crate) struct Built {
    digest: String,
    deps: Vec<CacheMapDep>,
    basis: CacheMapBasis,
    preimage: Vec<u8>,
}

/// `sha256:<hex>` of `b` (`digest.FromBytes`).
fn sha256_hex(b: &[u8]) -> String {
    crate::llb::Digest::of(b).to_string()
}

/// `op.CacheMap(ctx, nil, 0)` for `op` as loaded (the platform is normalized here, as
/// `NormalizeRuntimePlatforms` does at load). When BuildKit's `CacheMap` would return an error,
/// the result is a stand-in whose `stand_in` gives the error.
pub fn cache_map(op: &pb::Op) -> CacheMap {
    let built = match &op.op {
        Some(pb::OpKind::Exec(e)) => exec::cache_map(op, e),
        Some(pb::OpKind::File(f)) => file::cache_map(op, f),
        Some(pb::OpKind::Merge(m)) => Ok(merge(op, m)),
        Some(pb::OpKind::Diff(d)) => diff(op, d),
        Some(pb::OpKind::Build(b)) => Ok(wrapped(
            op,
            "buildkit.build.v0",
            "Exec",
            pbjson::build_op(b),
        )),
        Some(pb::OpKind::Passthrough(p)) => Ok(wrapped(
            op,
            "buildkit.passthrough.v0",
            "Passthrough",
            pbjson::passthrough_op(p),
        )),
        Some(pb::OpKind::Source(s)) => Ok(source::cache_map(op, s)),
        None => Ok(source::stand_in(
            op,
            "the op kind is not known to this model",
        )),
    };
    let built = built.unwrap_or_else(|why| {
        source::stand_in(op, &format!("BuildKit's CacheMap fails here: {why}"))
    });
    let Built {
        digest,
        deps,
        mut basis,
        preimage,
    } = built;
    basis.preimage = String::from_utf8_lossy(&preimage).into_owned();
    CacheMap {
        digest,
        deps,
        basis,
    }
}

/// `{"Type":<rule>,<field>:<op>}` with one empty dep per vertex input (build, passthrough).
fn wrapped(op: &pb::Op, rule: &str, field: &str, body: J) -> Built {
    let preimage = Obj::new()
        .put("Type", J::str(rule))
        .put(field, body)
        .done()
        .to_go_json();
    Built {
        digest: sha256_hex(&preimage),
        deps: vec![CacheMapDep::default(); op.inputs.len()],
        basis: exact_basis(rule, vec![format!("the whole op ({field})")]),
        preimage,
    }
}

fn exact_basis(rule: &str, counted: Vec<String>) -> CacheMapBasis {
    CacheMapBasis {
        rule: rule.into(),
        exact: true,
        counted,
        ..CacheMapBasis::default()
    }
}

/// `mergeOp.CacheMap`: one empty dep per merge input (not per vertex input).
fn merge(_op: &pb::Op, m: &pb::MergeOp) -> Built {
    let rule = "buildkit.merge.v0";
    let preimage = Obj::new()
        .put("Type", J::str(rule))
        .put("Merge", pbjson::merge_op(m))
        .done()
        .to_go_json();
    Built {
        digest: sha256_hex(&preimage),
        deps: vec![CacheMapDep::default(); m.inputs.len()],
        basis: exact_basis(rule, vec![format!("inputs ({} layers)", m.inputs.len())]),
        preimage,
    }
}

/// `diffOp.CacheMap`: one empty dep for each of lower and upper that is not scratch.
fn diff(_op: &pb::Op, d: &pb::DiffOp) -> Result<Built, String> {
    let rule = "buildkit.diff.v0";
    let (Some(lower), Some(upper)) = (&d.lower, &d.upper) else {
        return Err("the diff op lacks lower or upper (BuildKit would dereference nil)".into());
    };
    let preimage = Obj::new()
        .put("Type", J::str(rule))
        .put("Diff", pbjson::diff_op(d))
        .done()
        .to_go_json();
    let n = [lower.input, upper.input]
        .iter()
        .filter(|&&i| i != -1)
        .count();
    Ok(Built {
        digest: sha256_hex(&preimage),
        deps: vec![CacheMapDep::default(); n],
        basis: exact_basis(
            rule,
            vec![
                format!("lower (input {})", lower.input),
                format!("upper (input {})", upper.input),
            ],
        ),
        preimage,
    })
}
