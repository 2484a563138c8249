//! Every definition in the shared corpus loads, from its `.pb` and from its `.json`, to the same
//! vertices; re-encoding every dump-llb op reproduces the digest dump-llb printed for it.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use llbsim::llb::{self, encode_op, Format};
use llbsim::{load_bytes, LoadOptions};

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    assert!(dir.is_dir(), "corpus not found at {}", dir.display());
    dir
}

/// `name -> ops (incl. terminal)` from the corpus README's table./
fn readme_op_counts() -> BTreeMap<String, usize> {
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).expect("README");
    let mut out = BTreeMap::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 4 {
            if let Ok(n) = cells[3].parse::<usize>() {
                out.insert(cells[1].to_string(), n);
            }
        }
    }
    out
}

fn names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".pb"))
                .map(String::from)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn corpus_table_covers_every_file() {
    let counts = readme_op_counts();
    assert_eq!(counts.len(), 21, "{counts:?}");
    assert_eq!(names(), counts.keys().cloned().collect::<Vec<_>>());
}

#[test]
fn every_definition_loads_from_pb_and_json_alike() {
    let counts = readme_op_counts();
    for name in names() {
        let pb = std::fs::read(corpus_dir().join(format!("{name}.pb"))).expect("pb");
        let json = std::fs::read(corpus_dir().join(format!("{name}.json"))).expect("json");
        let g_pb =
            load_bytes(&pb, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}.pb: {e}"));
        let g_json = load_bytes(&json, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}.json: {e}"));
        assert_eq!(g_pb.format, Format::Protobuf);
        assert_eq!(g_json.format, Format::DumpLlb);
        assert_eq!(g_pb.len(), counts[&name] - 1, "{name}: vertices = ops - 1");
        let set = |g: &llbsim::Graph| {
            g.vertices()
                .iter()
                .map(|v| {
                    (
                        v.digest.clone(),
                        v.name.clone(),
                        v.kind(),
                        v.inputs
                            .iter()
                            .map(|i| (g.vertex(i.vertex).digest.clone(), i.index))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(set(&g_pb), set(&g_json), "{name}: pb and json differ");
        assert_eq!(g_pb.target(), g_json.target());
        assert!(g_pb.notes.is_empty(), "{name}.pb: {:?}", g_pb.notes);
        assert!(g_json.notes.is_empty(), "{name}.json: {:?}", g_json.notes);
        // The loader keeps canonical digests: every vertex digest is an op digest of the file.
        let (_, def) = llb::read(&pb).expect("pb reads");
        for v in g_pb.vertices() {
            assert_eq!(v.digest, v.llb_digest, "{name}: {} was re-digested", v.name);
            assert!(def.ops.iter().any(|o| o.digest == v.digest));
        }
    }
}

#[test]
fn reencoding_every_json_op_reproduces_its_digest_and_bytes() {
    for name in names() {
        let text =
            std::fs::read_to_string(corpus_dir().join(format!("{name}.json"))).expect("json");
        let (_, from_pb) =
            llb::read(&std::fs::read(corpus_dir().join(format!("{name}.pb"))).expect("pb"))
                .expect("pb");
        let (format, def) = llb::read(text.as_bytes()).expect("json");
        assert_eq!(format, Format::DumpLlb);
        assert_eq!(def.ops.len(), text.lines().count(), "{name}");
        for ((op, line), pb_op) in def.ops.iter().zip(text.lines()).zip(&from_pb.ops) {
            let listed: serde_json::Value = serde_json::from_str(line).expect("line");
            let listed = listed["Digest"].as_str().expect("Digest");
            let decoded = op.op.as_ref().expect("decoded");
            let bytes = encode_op(decoded);
            assert_eq!(
                llb::Digest::of(&bytes).as_str(),
                listed,
                "{name}: op {listed}"
            );
            assert_eq!(
                bytes, pb_op.bytes,
                "{name}: op {listed} bytes differ from the .pb"
            );
            assert!(!op.pinned);
        }
    }
}

#[test]
fn custom_names_and_metadata_survive() {
    let pb = std::fs::read(corpus_dir().join("df-hack-lint.pb")).expect("pb");
    let g = load_bytes(&pb, &LoadOptions::default()).expect("loads");
    let first = &g.vertices()[0];
    assert!(
        first
            .name
            .starts_with("[golang-base 1/1] FROM docker.io/library/golang:"),
        "{}",
        first.name
    );
    assert_eq!(first.metadata.caps.get("source.image"), Some(&true));
    assert!(
        g.source.as_ref().is_some_and(|s| !s.infos.is_empty()),
        "the Dockerfile source map is kept"
    );
}

/// The shared corpus may grow after `testdata/corpus` was copied from it: when it is present
/// (it is beside the repository on the team's machines), every definition there must load too.
#[test]
fn the_shared_corpus_if_present_loads_too() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        eprintln!(
            "note: {} not present; testdata/corpus was checked above",
            shared.display()
        );
        return;
    };
    let mut n = 0;
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        if matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("pb") | Some("json")
        ) {
            let bytes = std::fs::read(&path).expect("read");
            load_bytes(&bytes, &LoadOptions::default())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            n += 1;
        }
    }
    assert!(
        n >= 42,
        "expected at least the 42 files copied into testdata/corpus, found {n}"
    );
}
