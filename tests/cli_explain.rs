//! `llbsim explain`: the JSON contract, the text tree, `--vertex`, and errors.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::llbsim;
use serde_json::Value;

fn corpus(name: &str) -> String {
    common::testdata()
        .join("corpus")
        .join(format!("{name}.pb"))
        .to_string_lossy()
        .into_owned()
}

/// The field names of `--format json` are a contract: every vertex has them, with BuildKit's
/// cache maps for exec and file ops (compared with `testdata/cachemaps/`).
#[test]
fn json_contract_and_buildkits_cache_maps() {
    let file = corpus("df-hack-lint");
    let (code, out, err) = llbsim(
        &["explain", &file, "--then", "warm", "--format", "json"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let want = common::read_json(&common::testdata().join("cachemaps/df-hack-lint.json"));
    let vertices = doc["vertices"].as_array().expect("vertices");
    assert!(!vertices.is_empty());
    let mut exact = 0;
    for v in vertices {
        for f in [
            "digest",
            "name",
            "kind",
            "cache_map",
            "keys",
            "query",
            "outcome",
            "why",
        ] {
            assert!(v.get(f).is_some(), "{f} missing in {v}");
        }
        let cm = &v["cache_map"];
        assert!(
            cm["digest"].is_string() && cm["stand_in"].is_boolean(),
            "{cm}"
        );
        for d in cm["deps"].as_array().expect("deps") {
            for f in ["selector", "content", "preprocess", "paths"] {
                assert!(d.get(f).is_some(), "{f} missing in {d}");
            }
        }
        let digest = v["digest"].as_str().expect("digest");
        if matches!(v["kind"].as_str(), Some("exec" | "file")) {
            let w = &want["ops"][digest];
            assert_eq!(cm["digest"], w["cachemap_digest"], "{digest}");
            let got: Vec<(&Value, &Value, &Value)> = cm["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .map(|d| (&d["selector"], &d["content"], &d["preprocess"]))
                .collect();
            let w: Vec<(&Value, &Value, &Value)> = w["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .map(|d| (&d["selector"], &d["content"], &d["preprocess"]))
                .collect();
            assert_eq!(got, w, "{digest}");
            exact += 1;
        }
        // Warm: nothing ran.
        assert_ne!(v["outcome"], "ran", "{v}");
    }
    assert!(exact >= 3, "{exact}");
}

#[test]
fn text_tree_and_vertex_selection() {
    let file = corpus("df-hack-shfmt");
    let (code, out, err) = llbsim(
        &["explain", &file, "--then", "warm", "--vertex", "validate"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("[validate 1/1] RUN"), "{out}");
    assert_eq!(out.matches("\n\n").count(), 1, "one vertex: {out}");
    for part in [
        "outcome    loaded from the cache",
        "cache map  sha256:",
        "buildkit.exec.v0",
        "input 1",
        "key        ",
        "query      hit: record",
    ] {
        assert!(out.contains(part), "{part} in {out}");
    }
    let (code, out, err) = llbsim(&["explain", &file, "--vertex", "no such step"], None);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("--vertex \"no such step\" matches no vertex"),
        "{err}"
    );
}

#[test]
fn scenarios_and_stand_ins_say_so() {
    let file = corpus("df-hack-shfmt");
    let (code, out, err) = llbsim(
        &[
            "explain",
            &file,
            "--scenario",
            "mutated",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let vertices = doc["vertices"].as_array().expect("vertices");
    // The local context's key needs the client session: a stand-in, and it says so.
    let local = vertices
        .iter()
        .find(|v| v["name"] == "[internal] load build context")
        .expect("context");
    assert_eq!(local["cache_map"]["stand_in"], true);
    assert!(
        local["simulated"][0]
            .as_str()
            .is_some_and(|s| s.contains("stand-in")),
        "{local}"
    );
    // The re-pinned image ran; the step on it ran because it did.
    let ran: Vec<&Value> = vertices.iter().filter(|v| v["outcome"] == "ran").collect();
    assert!(
        ran.iter().any(|v| v["query"]["reason"] == "input-new"),
        "{out}"
    );
    let (code, _, err) = llbsim(&["explain", &file, "--scenario", "nope"], None);
    assert_eq!(code, 1);
    assert!(err.contains("unknown scenario"), "{err}");
}
