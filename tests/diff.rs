//! `llbsim diff`: two builds compared. On every rebuild pair in `testdata/rebuilds/` (real
//! Dockerfiles before and after one edit, with what real BuildKit executed on the rebuild), the
//! predicted re-runs equal BuildKit's, root causes follow the rule, and field diffs name the edit.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::llbsim;
use llbsim::compare::{compare, Comparison, Status};
use llbsim::llb::{encode_op, pb};
use llbsim::solver::Variant;
use llbsim::testutil::{definition, exec, image, terminal};
use llbsim::{load_bytes, Digest, Graph, LoadOptions};
use serde_json::Value;

/// Every pair folder (`a.pb`, `b.pb`, `pair.json`), sorted.
fn pairs() -> Vec<PathBuf> {
    let dir = common::testdata().join("rebuilds");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("pair.json").is_file())
        .collect();
    out.sort();
    assert!(out.len() >= 8, "{out:?}");
    out
}

fn graph(path: PathBuf) -> Graph {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    load_bytes(&bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn digests(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("a list of digests")
        .iter()
        .map(|d| d.as_str().expect("a digest").to_string())
        .collect()
}

fn strs(ds: &[Digest]) -> BTreeSet<String> {
    ds.iter().map(|d| d.to_string()).collect()
}

/// The comparison of a pair whose `edit_kind` is `kind` (the first such pair).
fn pair_of_kind(kind: &str) -> Comparison {
    let dir = pairs()
        .into_iter()
        .find(|p| common::read_json(&p.join("pair.json"))["edit_kind"] == kind)
        .unwrap_or_else(|| panic!("no pair with edit_kind {kind}"));
    compare(
        &graph(dir.join("a.pb")),
        &graph(dir.join("b.pb")),
        Variant::Plain,
    )
}

/// The root causes' changes, as `field: old → new` lines.
fn root_changes(c: &Comparison) -> Vec<String> {
    c.vertices
        .iter()
        .filter(|v| v.root_cause)
        .flat_map(|v| v.changes.iter())
        .filter(|ch| ch.field != "custom name")
        .map(|ch| format!("{}: {:?} → {:?}", ch.field, ch.old, ch.new))
        .collect()
}

#[test]
fn every_pair_reruns_what_buildkit_ran_and_root_causes_follow_the_rule() {
    for dir in pairs() {
        let name = dir.display().to_string();
        let pair = common::read_json(&dir.join("pair.json"));
        let c = compare(
            &graph(dir.join("a.pb")),
            &graph(dir.join("b.pb")),
            Variant::Plain,
        );
        let want = digests(&pair["variants"]["plain"]["exec_ran_b"]);
        assert_eq!(strs(&c.reruns), want, "{name}: reruns");
        assert_eq!(
            digests(&pair["exec_ran_b"]),
            want,
            "{name}: top level is plain"
        );
        // What changed or was added is exactly what B has that A has not.
        let not_in_a: BTreeSet<String> = c
            .vertices
            .iter()
            .filter(|v| v.status != Status::Unchanged)
            .map(|v| v.digest.to_string())
            .collect();
        assert_eq!(not_in_a, digests(&pair["changed_ops_b"]), "{name}: changed");
        for v in &c.vertices {
            let inputs_unchanged = graph_inputs_unchanged(&c, &v.digest, &dir);
            match v.status {
                Status::Unchanged => {
                    assert!(
                        !v.root_cause,
                        "{name}: unchanged {} is a root cause",
                        v.name
                    );
                    assert!(
                        v.changes.is_empty() && v.because.is_empty(),
                        "{name}: {}",
                        v.name
                    );
                }
                Status::Changed if inputs_unchanged => {
                    assert!(v.root_cause, "{name}: {} has unchanged inputs", v.name)
                }
                _ => {}
            }
            if v.status != Status::Unchanged && !v.root_cause {
                assert!(
                    !v.because.is_empty(),
                    "{name}: consequence {} of nothing",
                    v.name
                );
            }
        }
        if pair["edit_kind"] == "no-op" {
            assert!(c.root_causes.is_empty(), "{name}: {:?}", c.root_causes);
            assert!(c.reruns.is_empty(), "{name}: {:?}", c.reruns);
        } else {
            assert!(!c.root_causes.is_empty() || c.reruns.is_empty(), "{name}");
        }
    }
}

/// The `content` variant too: the re-runs equal BuildKit's, except for vertices whose execution
/// varied between BuildKit's own runs of the pair (`stability.exec_ran_varies`: a race in
/// BuildKit).
#[test]
fn every_pair_content_variant_matches_up_to_buildkits_races() {
    for dir in pairs() {
        let name = dir.display().to_string();
        let pair = common::read_json(&dir.join("pair.json"));
        let content = &pair["variants"]["content"];
        let c = compare(
            &graph(dir.join("a.pb")),
            &graph(dir.join("b.pb")),
            Variant::Content,
        );
        let want = digests(&content["exec_ran_b"]);
        let racy: BTreeSet<String> = content["stability"]["exec_ran_varies"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let got = strs(&c.reruns);
        let differ: BTreeSet<&String> = want.symmetric_difference(&got).collect();
        assert!(
            differ.iter().all(|d| racy.contains(*d)),
            "{name}: {differ:?}"
        );
    }
}

/// Whether every input of B's vertex `d` is unchanged.
fn graph_inputs_unchanged(c: &Comparison, d: &Digest, dir: &std::path::Path) -> bool {
    let b = graph(dir.join("b.pb"));
    let Some(id) = b.find(d) else {
        return false;
    };
    b.vertex(id).inputs.iter().all(|i| {
        let dig = &b.vertex(i.vertex).digest;
        c.vertices
            .iter()
            .any(|v| &v.digest == dig && v.status == Status::Unchanged)
    })
}

#[test]
fn env_change_names_the_variable() {
    let c = pair_of_kind("env-change");
    let lines = root_changes(&c);
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l.starts_with("env CARGO_TARGET_DIR: "), "{l}");
        assert!(l.contains("/app/target") && l.contains("/app/tgt"), "{l}");
    }
    // The ENV line that set it, found in B's Dockerfile text.
    for ch in c
        .vertices
        .iter()
        .filter(|v| v.root_cause)
        .flat_map(|v| &v.changes)
    {
        let at = ch.declared.as_deref().unwrap_or("");
        assert!(
            at.contains(": ENV ") && at.contains("CARGO_TARGET_DIR=/app/tgt"),
            "{at}"
        );
    }
    // Every consequence is reached by the first root cause, which invalidates all of them.
    let first = c
        .vertices
        .iter()
        .find(|v| v.root_cause)
        .expect("a root cause");
    let changed = c
        .vertices
        .iter()
        .filter(|v| v.status != Status::Unchanged)
        .count();
    assert_eq!(first.invalidates, changed - 1);
}

#[test]
fn run_edit_names_the_args() {
    let lines = root_changes(&pair_of_kind("run-edit"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("args: "), "{lines:?}");
}

#[test]
fn copy_flag_names_the_flag() {
    let c = pair_of_kind("copy-flag");
    let lines = root_changes(&c);
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.starts_with("chmod")
            || l.starts_with("input")
            || l.starts_with("inputs")
            || l.contains("action")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("chmod")), "{lines:?}");
}

#[test]
fn from_pin_names_the_image_pin() {
    let lines = root_changes(&pair_of_kind("from-pin"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("image pin: Some(\"sha256:"),
        "{lines:?}"
    );
}

#[test]
fn build_arg_shows_through_env() {
    // A build arg reaches a RUN as an environment variable: the field that changed is that env.
    let lines: Vec<String> = pairs()
        .into_iter()
        .filter(|p| common::read_json(&p.join("pair.json"))["edit_kind"] == "build-arg")
        .flat_map(|p| {
            root_changes(&compare(
                &graph(p.join("a.pb")),
                &graph(p.join("b.pb")),
                Variant::Plain,
            ))
        })
        .collect();
    assert!(lines.iter().any(|l| l.starts_with("env ")), "{lines:?}");
}

fn cache_exec(base: &Digest, id: &str, sharing: i32) -> pb::Op {
    let mut op = exec(base, &["sh", "-c", "make"]);
    if let Some(pb::OpKind::Exec(e)) = &mut op.op {
        e.mounts.push(pb::Mount {
            input: -1,
            dest: "/root/.cache".into(),
            output: -1,
            mount_type: pb::MountType::Cache as i32,
            cache_opt: Some(pb::CacheOpt {
                id: id.into(),
                sharing,
            }),
            ..Default::default()
        });
    }
    op
}

/// Base image, an exec with a cache mount, and an exec after it.
fn with_cache(id: &str, sharing: i32) -> Graph {
    let base = image("alpine:latest");
    let bd = Digest::of(&encode_op(&base));
    let build = cache_exec(&bd, id, sharing);
    let d1 = Digest::of(&encode_op(&build));
    let test = exec(&d1, &["sh", "-c", "make test"]);
    let d2 = Digest::of(&encode_op(&test));
    load_bytes(
        &definition(&[base, build, test, terminal(&d2)]),
        &LoadOptions::default(),
    )
    .expect("loads")
}

#[test]
fn mount_changes_are_per_field_and_cascade() {
    let a = with_cache("go-cache", pb::CacheSharingOpt::Shared as i32);
    let b = with_cache("go-build", pb::CacheSharingOpt::Locked as i32);
    let c = compare(&a, &b, Variant::Plain);
    let lines = root_changes(&c);
    assert_eq!(
        lines,
        [
            "mount /root/.cache cache id: Some(\"go-cache\") → Some(\"go-build\")",
            "mount /root/.cache sharing: Some(\"shared\") → Some(\"locked\")",
        ]
    );
    assert_eq!(c.root_causes.len(), 1);
    let last = c.vertices.last().expect("vertices");
    assert_eq!(last.status, Status::Changed);
    assert!(!last.root_cause && last.changes.is_empty());
    assert_eq!(last.because, c.root_causes);
    assert_eq!(c.reruns.len(), 2);
}

#[test]
fn added_step_on_an_unchanged_base_is_a_root_cause_and_its_consumer_follows() {
    let base = image("alpine:latest");
    let bd = Digest::of(&encode_op(&base));
    let last_a = exec(&bd, &["sh", "-c", "make"]);
    let la = Digest::of(&encode_op(&last_a));
    let a = load_bytes(
        &definition(&[base.clone(), last_a, terminal(&la)]),
        &LoadOptions::default(),
    )
    .expect("loads");
    let added = exec(&bd, &["sh", "-c", "apk add make"]);
    let ad = Digest::of(&encode_op(&added));
    let last_b = exec(&ad, &["sh", "-c", "make"]);
    let lb = Digest::of(&encode_op(&last_b));
    let b = load_bytes(
        &definition(&[base, added, last_b, terminal(&lb)]),
        &LoadOptions::default(),
    )
    .expect("loads");
    let c = compare(&a, &b, Variant::Plain);
    let statuses: Vec<(Status, bool)> = c
        .vertices
        .iter()
        .map(|v| (v.status, v.root_cause))
        .collect();
    // The RUN make of B pairs with A's by graph position or name; the new step is a root cause.
    assert!(statuses.contains(&(Status::Added, true)), "{statuses:?}");
    assert_eq!(c.root_causes.len(), 1, "{statuses:?}");
    assert!(c.removed.is_empty() || c.removed.len() == 1);
}

/// `--format json` is a contract: these keys, these types, on every vertex.
#[test]
fn cli_json_contract() {
    let dir = pairs()
        .into_iter()
        .find(|p| common::read_json(&p.join("pair.json"))["edit_kind"] == "env-change")
        .expect("an env-change pair");
    let (a, b) = (dir.join("a.pb"), dir.join("b.pb"));
    let args = [
        "diff",
        a.to_str().expect("path"),
        b.to_str().expect("path"),
        "--variant",
        "plain",
        "--format",
        "json",
    ];
    let (code, out, err) = llbsim(&args, None);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let vertices = doc["vertices"].as_array().expect("vertices");
    assert!(!vertices.is_empty());
    for v in vertices {
        assert!(
            v["digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:")),
            "{v}"
        );
        assert!(v["name"].is_string(), "{v}");
        let status = v["status"].as_str().expect("status");
        assert!(["unchanged", "changed", "added"].contains(&status), "{v}");
        assert_eq!(v["was"].is_null(), status == "added", "{v}");
        assert!(
            v["root_cause"].is_boolean() && v["reruns"].is_boolean(),
            "{v}"
        );
        for ch in v["changes"].as_array().expect("changes") {
            assert!(ch["field"].is_string() && ch.get("old").is_some() && ch.get("new").is_some());
        }
        assert!(v["because"].is_array(), "{v}");
    }
    for key in ["removed", "root_causes", "reruns"] {
        assert!(doc[key].is_array(), "{key}");
    }
    let pair = common::read_json(&dir.join("pair.json"));
    assert_eq!(digests(&doc["reruns"]), digests(&pair["exec_ran_b"]));
    // Text: root causes first, with the change and what it invalidates.
    let (code, text, err) = llbsim(&args[..5], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("env CARGO_TARGET_DIR /app/target → /app/tgt (set at ")
            && text.contains("; invalidates "),
        "{text}"
    );
    let (code, _, err) = llbsim(&args[..2], None);
    assert_ne!(code, 0);
    assert!(err.contains("two definitions"), "{err}");
}

/// With BuildKit's real cache maps, a consequence that reads a re-run input only through a
/// content-based key re-runs "unless its input's content came out identical"; a root cause never.
#[test]
fn default_variant_marks_content_dependent_reruns() {
    let mut seen = 0;
    for dir in pairs() {
        let (a, b) = (graph(dir.join("a.pb")), graph(dir.join("b.pb")));
        let c = compare(&a, &b, Variant::Default);
        for v in c.vertices.iter().filter(|v| v.content_dependent) {
            assert!(
                v.reruns && !v.root_cause && v.status == Status::Changed,
                "{}",
                v.name
            );
            seen += 1;
        }
        let plain = compare(&a, &b, Variant::Plain);
        assert!(plain.vertices.iter().all(|v| !v.content_dependent));
    }
    assert!(seen > 0, "no content-dependent re-run in any pair");
}

#[test]
fn deterministic() {
    for dir in pairs() {
        let (a, b) = (graph(dir.join("a.pb")), graph(dir.join("b.pb")));
        assert_eq!(
            compare(&a, &b, Variant::Default),
            compare(&a, &b, Variant::Default)
        );
    }
}

/// A new base under an unchanged RUN: the source pairs by graph position (same consumer, same
/// slot) and is the root cause, with the image named; the RUN is its consequence.
#[test]
fn new_base_pairs_by_position() {
    let one = |img: &str| {
        let base = image(img);
        let bd = Digest::of(&encode_op(&base));
        let run = exec(&bd, &["sh", "-c", "make"]);
        let rd = Digest::of(&encode_op(&run));
        load_bytes(
            &definition(&[base, run, terminal(&rd)]),
            &LoadOptions::default(),
        )
        .expect("loads")
    };
    let c = compare(
        &one("alpine:latest"),
        &one("busybox:latest"),
        Variant::Plain,
    );
    assert!(c.removed.is_empty(), "{:?}", c.removed);
    assert_eq!(
        root_changes(&c),
        ["image: Some(\"docker.io/library/alpine:latest\") → Some(\"docker.io/library/busybox:latest\")"]
    );
    let run = c.vertices.last().expect("vertices");
    assert!(run.status == Status::Changed && !run.root_cause && run.because == c.root_causes);
    assert_eq!(c.reruns.len(), 2);
}

/// A and B are each detected on their own: the same definition as binary and as dump-llb JSON
/// is the same build (nothing changed, nothing re-runs).
#[test]
fn cli_formats_detected_separately() {
    let corpus = common::testdata().join("corpus");
    let (a, b) = (
        corpus.join("df-hack-lint.pb"),
        corpus.join("df-hack-lint.json"),
    );
    let (code, out, err) = llbsim(
        &[
            "diff",
            a.to_str().expect("path"),
            b.to_str().expect("path"),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["root_causes"], serde_json::json!([]));
    assert_eq!(doc["reruns"], serde_json::json!([]));
    assert_eq!(doc["removed"], serde_json::json!([]));
    let vertices = doc["vertices"].as_array().expect("vertices");
    assert!(vertices.iter().all(|v| v["status"] == "unchanged"));
}
