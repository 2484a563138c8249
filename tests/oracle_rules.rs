//! The oracle's scenario rules, checked against what the oracle recorded: the fail vertex, the
//! long vertex, the long sibling, the mutated source, and the mutated definition's digests.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use llbsim::llb::{self, Digest};
use llbsim::oracle;

mod common;
use common::{corpus as graph, oracle_cases as cases, testdata};

fn json(path: PathBuf) -> Value {
    common::read_json(&path)
}

fn extra(variant: &str, name: &str, phase: &str, key: &str) -> Option<String> {
    let path = testdata()
        .join("oracle")
        .join(variant)
        .join(name)
        .join(format!("{phase}.json"));
    if !path.exists() {
        return None;
    }
    json(path)["extra"][key].as_str().map(String::from)
}

#[test]
fn fail_and_long_vertices_match_the_oracle() {
    for (variant, name) in cases() {
        let (_, g) = graph(&name);
        let fail = oracle::fail_vertex(&g).map(|id| g.vertex(id).digest.to_string());
        let want = extra(&variant, &name, "d_fail", "failing_vertex");
        assert!(
            want.is_some(),
            "{variant}/{name}: d_fail.json names its failing vertex"
        );
        assert_eq!(fail, want, "{variant}/{name}: fail vertex");
        assert_eq!(
            fail,
            extra(&variant, &name, "e_cancel", "long_vertex"),
            "{variant}/{name}: long vertex"
        );
    }
}

#[test]
fn long_sibling_matches_the_oracle_or_is_absent_like_it() {
    for (variant, name) in cases() {
        let (_, g) = graph(&name);
        let fail = oracle::fail_vertex(&g).expect("a fail vertex");
        let sibling = oracle::long_sibling(&g, fail).map(|id| g.vertex(id).digest.to_string());
        // The phase was skipped (no file) exactly when there is no sibling.
        assert_eq!(
            sibling,
            extra(&variant, &name, "d_fail_longsib", "long_vertex"),
            "{variant}/{name}"
        );
    }
}

#[test]
fn mutation_reproduces_the_oracle_digests() {
    for (variant, name) in cases() {
        let (def, g) = graph(&name);
        let dir = testdata().join("oracle").join(&variant).join(&name);
        let want = json(dir.join("mutated.digests.json"));
        let source = oracle::mutated_source(&g).expect("a source to mutate");
        let source = &g.vertex(source).digest;
        assert_eq!(
            Some(source.as_str()),
            want["mutated_source"].as_str(),
            "{variant}/{name}"
        );
        let m = oracle::mutate_source(&def, source, oracle::MUTATION_ATTR).expect("mutates");
        let want_map: BTreeMap<Digest, Digest> = want["digest_map_old_to_new"]
            .as_object()
            .expect("map")
            .iter()
            .map(|(k, v)| {
                (
                    Digest::from_raw(k.as_str()),
                    Digest::from_raw(v.as_str().expect("digest")),
                )
            })
            .collect();
        assert_eq!(m.digest_map, want_map, "{variant}/{name}");
        // The ops are byte for byte those of the oracle's mutated.pb.
        let (_, theirs) =
            llb::read(&std::fs::read(dir.join("mutated.pb")).expect("mutated.pb")).expect("reads");
        let ours: Vec<&[u8]> = m
            .definition
            .ops
            .iter()
            .map(|o| o.bytes.as_slice())
            .collect();
        let theirs_ops: Vec<&[u8]> = theirs.ops.iter().map(|o| o.bytes.as_slice()).collect();
        assert_eq!(ours, theirs_ops, "{variant}/{name}");
        assert_eq!(
            m.definition.metadata, theirs.metadata,
            "{variant}/{name}: metadata moved"
        );
    }
}
