//! `fileOp.CacheMap` (`solver/llbsolver/ops/file.go`): each action's struct as Go JSON (copy
//! sources reduced to their base name), base64 inside an outer JSON, plus the action indexes
//! unless they follow the usual chain; selectors per input from copy sources and owner files.

use std::collections::{BTreeMap, BTreeSet};

use super::gojson::{Obj, J};
use super::{pbjson, sha256_hex, Built};
use crate::llb::pb;
use crate::solver::ops::{CacheMapBasis, CacheMapDep};

/// BuildKit's `fileCacheType`.
pub const RULE: &str = "buildkit.file.v0";

pub(super) fn cache_map(op: &pb::Op, f: &pb::FileOp) -> Result<Built, String> {
    let num_inputs = op.inputs.len();
    let mut selectors: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut invalid: BTreeSet<i64> = BTreeSet::new();
    let mut actions = Vec::with_capacity(f.actions.len());
    let mut indexes = Vec::with_capacity(f.actions.len());
    let mut counted = Vec::new();
    let mut cleared = Vec::new();

    for (i, a) in f.actions.iter().enumerate() {
        if a.input != -1 {
            invalid.insert(a.input);
        }
        let json = match &a.action {
            Some(pb::FileActionKind::Mkdir(m)) => {
                counted.push(format!("actions[{i}] mkdir {}", m.path));
                owner_selectors(m.owner.as_ref(), &mut selectors);
                Some(pbjson::mkdir(m))
            }
            Some(pb::FileActionKind::Mkfile(m)) => {
                counted.push(format!("actions[{i}] mkfile {}", m.path));
                owner_selectors(m.owner.as_ref(), &mut selectors);
                Some(pbjson::mkfile(m))
            }
            Some(pb::FileActionKind::Symlink(s)) => {
                counted.push(format!(
                    "actions[{i}] symlink {} -> {}",
                    s.newpath, s.oldpath
                ));
                Some(pbjson::symlink(s))
            }
            Some(pb::FileActionKind::Rm(r)) => {
                counted.push(format!("actions[{i}] rm {}", r.path));
                Some(pbjson::rm(r))
            }
            Some(pb::FileActionKind::Copy(c)) => {
                let mut c = c.clone();
                owner_selectors(c.owner.as_ref(), &mut selectors);
                let from_input = a.secondary_input != -1
                    && usize::try_from(a.secondary_input).map_or(true, |s| s < num_inputs);
                if from_input {
                    selectors
                        .entry(a.secondary_input)
                        .or_default()
                        .push(c.src.clone());
                    let base = go_base(&c.src);
                    if base != c.src {
                        cleared.push(format!(
                            "actions[{i}].src {:?} -> {base:?} (the source path goes to input \
                             {}'s selector; only its base name stays)",
                            c.src, a.secondary_input
                        ));
                    }
                    c.src = base;
                }
                counted.push(format!("actions[{i}] copy {} -> {}", c.src, c.dest));
                Some(pbjson::copy(&c))
            }
            None => {
                counted.push(format!("actions[{i}] (no action: null)"));
                None
            }
        };
        actions.push(match json {
            Some(j) => J::Bytes(j.to_go_json()),
            None => J::Null,
        });
        indexes.push([a.input, a.secondary_input, a.output]);
    }

    let mut outer = Obj::new()
        .put("Type", J::str(RULE))
        .put("Actions", J::Arr(actions));
    if is_default_indexes(&indexes) {
        cleared.push(
            "indexes (the usual chain of inputs and outputs is left out, as older BuildKit did)"
                .into(),
        );
    } else {
        let rows = indexes
            .iter()
            .map(|r| J::Arr(r.iter().map(|&n| J::Int(n)).collect()))
            .collect();
        outer = outer.arr("indexes", rows);
        counted.push("indexes".into());
    }
    let preimage = outer.done().to_go_json();

    let mut deps: Vec<CacheMapDep> = (0..num_inputs)
        .map(|_| CacheMapDep {
            preprocess: true,
            ..CacheMapDep::default()
        })
        .collect();
    for (idx, paths) in selectors {
        let dep = usize::try_from(idx)
            .ok()
            .and_then(|i| deps.get_mut(i))
            .ok_or_else(|| {
                format!("invalid input index {idx} in file op with {num_inputs} inputs")
            })?;
        if invalid.contains(&idx) {
            continue;
        }
        let mut paths = paths;
        paths.sort();
        paths.reverse(); // BuildKit hashes them in descending order
        dep.selector = sha256_hex(paths.join("\0").as_bytes());
        dep.content = true;
        dep.paths = paths;
    }

    Ok(Built {
        digest: sha256_hex(&preimage),
        deps,
        basis: CacheMapBasis {
            rule: RULE.into(),
            exact: true,
            counted,
            cleared,
            ..CacheMapBasis::default()
        },
        preimage,
    })
}

/// `processOwner`: an owner given by name needs the input's `/etc/passwd` or `/etc/group`. A
/// negative input stops it (BuildKit returns an error there that its caller ignores).
fn owner_selectors(owner: Option<&pb::ChownOpt>, selectors: &mut BTreeMap<i64, Vec<String>>) {
    let Some(o) = owner else { return };
    for (who, file) in [(&o.user, "/etc/passwd"), (&o.group, "/etc/group")] {
        if let Some(pb::UserOpt {
            user: Some(pb::UserOptKind::ByName(n)),
        }) = who
        {
            if n.input < 0 {
                return;
            }
            selectors.entry(n.input).or_default().push(file.into());
        }
    }
}

/// `isDefaultIndexes`: first action on input 0, each later one on the previous action, copies
/// from input 1 or nothing, and only the last action produces output 0.
fn is_default_indexes(idx: &[[i64; 3]]) -> bool {
    if idx.is_empty() {
        return false;
    }
    let n = idx.len() as i64;
    idx.iter()
        .enumerate()
        .all(|(i, &[input, secondary, output])| {
            let i = i as i64;
            let want_input = if i == 0 { 0 } else { n + i - 1 };
            let want_output = if i == n - 1 { 0 } else { -1 };
            input == want_input && (secondary == -1 || secondary == 1) && output == want_output
        })
}

/// Go's `path.Base`.
pub fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_like_go() {
        assert_eq!(go_base("/src/"), "src");
        assert_eq!(go_base("a/b.txt"), "b.txt");
        assert_eq!(go_base(""), ".");
        assert_eq!(go_base("///"), "/");
        assert_eq!(go_base("x"), "x");
    }

    #[test]
    fn default_indexes() {
        assert!(is_default_indexes(&[[0, -1, 0]]));
        assert!(is_default_indexes(&[[0, 1, -1], [2, -1, 0]]));
        assert!(!is_default_indexes(&[[0, 1, -1], [1, -1, 0]]));
        assert!(!is_default_indexes(&[[-1, 0, 0]]));
        assert!(!is_default_indexes(&[[0, 2, 0]]));
        assert!(!is_default_indexes(&[]));
    }
}
