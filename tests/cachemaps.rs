//! `solver::cachemap` against BuildKit's own `CacheMap` results (`testdata/cachemaps/`, computed
//! offline by BuildKit's code at 73ed6825c): every op of every corpus definition and of both
//! sides of every rebuild pair. Exec, file, merge, diff and build ops: the digest and each dep's
//! selector, content and preprocess flags. Docker images pinned by digest: the index-0 manifest
//! key and cache-map digest. Other sources must be marked as stand-ins.
//!
//! On a mismatch, if the shared pre-images are beside the repository
//! (`../shared/cachemaps/preimages/`), the failure shows BuildKit's pre-image next to ours.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use llbsim::solver::cachemap::{cache_map, image_key};
use llbsim::{llb, load_bytes, LoadOptions};
use serde_json::Value;

fn cachemap_files() -> Vec<PathBuf> {
    let dir = common::testdata().join("cachemaps");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

/// `corpus/<name>.pb` or `rebuilds/<pair>/<a|b>.pb`, relative to `testdata/`.
fn definition_bytes(source_file: &str) -> Vec<u8> {
    let path = common::testdata().join(source_file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shared_preimage(definition: &str, op: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/cachemaps/preimages")
        .join(format!("{definition}.json"));
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["ops"][op]["cachemap_preimage"]
        .as_str()
        .map(str::to_string)
}

#[derive(Default, Debug)]
struct Tally {
    exact: BTreeMap<String, usize>,
    pinned: usize,
    stand_ins: usize,
    mismatches: Vec<String>,
}

fn check_file(path: &Path, tally: &mut Tally) {
    let want = common::read_json(path);
    let name = want["definition"].as_str().expect("definition").to_string();
    let source_file = want["source_file"].as_str().expect("source_file");
    let bytes = definition_bytes(source_file);
    let graph = load_bytes(&bytes, &LoadOptions::default()).expect("loads");
    let (_, def) = llb::read(&bytes).expect("reads");
    assert_eq!(
        def.ops.len(),
        want["num_def_ops"].as_u64().expect("n") as usize
    );
    let ops = want["ops"].as_object().expect("ops");
    let mut seen = 0;
    for v in graph.vertices() {
        let key = v.digest.to_string();
        let Some(w) = ops.get(&key) else {
            tally
                .mismatches
                .push(format!("{name}: vertex {key} not in the data"));
            continue;
        };
        seen += 1;
        let kind = w["kind"].as_str().expect("kind");
        let got = cache_map(&v.op);
        if kind == "source" {
            let ck = &w["offline_cachekey"];
            if ck["computed"].as_bool() == Some(true) {
                tally.pinned += 1;
                let Some(pb_src) = (match &v.op.op {
                    Some(llb::pb::OpKind::Source(s)) => Some(s),
                    _ => None,
                }) else {
                    panic!("{name}: {key} is not a source")
                };
                let k = image_key(&v.op, pb_src).and_then(Result::ok);
                let mk = k.as_ref().map(|k| k.manifest_key.as_str());
                if mk != ck["manifest_key"].as_str()
                    || Some(got.digest.as_str()) != ck["cachemap_digest"].as_str()
                    || !got.basis.exact
                    || Some(got.basis.platform.as_deref().unwrap_or("")) != ck["platform"].as_str()
                {
                    tally.mismatches.push(format!(
                        "{name}: pinned image {key}: got key {mk:?} digest {} (json {:?}), want {}",
                        got.digest,
                        k.as_ref().map(|k| &k.manifest_json),
                        ck
                    ));
                }
            } else if got.basis.exact || got.basis.stand_in.is_empty() {
                tally
                    .mismatches
                    .push(format!("{name}: source {key} should be a stand-in"));
            } else {
                tally.stand_ins += 1;
            }
            continue;
        }
        *tally.exact.entry(kind.to_string()).or_default() += 1;
        let want_deps: Vec<(String, bool, bool)> = w["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .map(|d| {
                (
                    d["selector"].as_str().unwrap_or("").to_string(),
                    d["content"].as_bool().unwrap_or(false),
                    d["preprocess"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        let got_deps: Vec<(String, bool, bool)> = got
            .deps
            .iter()
            .map(|d| (d.selector.clone(), d.content, d.preprocess))
            .collect();
        let digest_ok = Some(got.digest.as_str()) == w["cachemap_digest"].as_str();
        if !digest_ok || got_deps != want_deps || !got.basis.exact {
            let theirs = shared_preimage(&name, &key).unwrap_or_default();
            tally.mismatches.push(format!(
                "{name}: {kind} {key}\n  digest got {} want {}\n  deps got {got_deps:?}\n  \
                 deps want {want_deps:?}\n  ours   {}\n  theirs {theirs}",
                got.digest, w["cachemap_digest"], got.basis.preimage
            ));
        }
        if let Some(p) = w["platform"].as_str() {
            if got.basis.platform.as_deref() != Some(p) {
                tally.mismatches.push(format!(
                    "{name}: {key}: platform {:?}, want {p}",
                    got.basis.platform
                ));
            }
        }
    }
    assert_eq!(seen, ops.len(), "{name}: every op of the data is a vertex");
}

#[test]
fn every_op_matches_buildkit() {
    let files = cachemap_files();
    assert!(files.len() >= 39, "{} cache-map files", files.len());
    let mut tally = Tally::default();
    for f in &files {
        check_file(f, &mut tally);
    }
    let shown: Vec<&String> = tally.mismatches.iter().take(8).collect();
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        tally.mismatches.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every kind of the data was checked, pinned images too.
    for kind in ["exec", "file", "merge", "build"] {
        assert!(tally.exact.get(kind).copied().unwrap_or(0) > 0, "{tally:?}");
    }
    assert!(tally.pinned > 0 && tally.stand_ins > 0, "{tally:?}");
    eprintln!("checked: {tally:?}");
}

/// Two sides of a `from-pin` pair: ops below the re-pinned image change digest but keep their
/// cache map (cache maps never include input digests).
#[test]
fn repinned_image_keeps_downstream_cache_maps() {
    let dir = common::testdata().join("rebuilds/rich-rust-cache--from-pin");
    let maps = |side: &str| {
        let bytes = std::fs::read(dir.join(format!("{side}.pb"))).expect("pb");
        let g = load_bytes(&bytes, &LoadOptions::default()).expect("loads");
        g.vertices()
            .iter()
            .filter(|v| matches!(v.op.op, Some(llb::pb::OpKind::Exec(_))))
            .map(|v| (v.digest.to_string(), cache_map(&v.op).digest))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (maps("a"), maps("b"));
    let new_ops = b.keys().filter(|k| !a.contains_key(*k)).count();
    let a_cms: std::collections::BTreeSet<&String> = a.values().collect();
    let kept = b
        .iter()
        .filter(|(k, cm)| !a.contains_key(*k) && a_cms.contains(cm))
        .count();
    assert!(
        new_ops > 0 && kept > 0,
        "new {new_ops}, same cache map {kept}"
    );
}
