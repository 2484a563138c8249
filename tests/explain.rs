//! `explain`: the anatomy of every vertex's key after a solve. Its cache maps are BuildKit's
//! (checked against `testdata/cachemaps/` through the anatomy itself), and each kind of build
//! explains itself: cold, warm, a changed source, no cache, a merged vertex of a concurrent job, a
//! cancelled build.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use llbsim::explain::{explain, VertexAnatomy};
use llbsim::progress::summary::{rows, Outcome};
use llbsim::session::{self, Scenario};
use llbsim::solver::{JobOptions, Solver, StubOps, Variant};
use llbsim::Graph;

fn cold(graph: &Graph) -> (Solver, Vec<VertexAnatomy>) {
    let mut s = Solver::new(StubOps::new(Variant::Default), 0);
    let j = s.submit("cold build", graph, JobOptions::default(), 0);
    s.run();
    let a = explain(&s, j);
    (s, a)
}

/// The anatomy's cache maps are BuildKit's, for every exec, file, merge, diff and build vertex
/// of every corpus definition: digest, and per input the selector and the content and
/// preprocess flags.
#[test]
fn anatomy_cache_maps_are_buildkits_for_the_whole_corpus() {
    let dir = common::testdata().join("cachemaps");
    let mut checked = 0;
    for name in [
        "df-buildkit",
        "df-dockerfile-frontend",
        "df-hack-lint",
        "ex-nested-llb",
    ]
    .into_iter()
    .chain(
        corpus_names()
            .iter()
            .map(String::as_str)
            .filter(|n| !n.contains("2000")),
    ) {
        let want = common::read_json(&dir.join(format!("{name}.json")));
        let (_, anatomy) = cold(&common::corpus_graph(name));
        assert!(!anatomy.is_empty(), "{name}");
        for v in &anatomy {
            let w = &want["ops"][v.digest.as_str()];
            if !matches!(v.kind, "exec" | "file" | "merge" | "diff" | "build") {
                continue;
            }
            assert_eq!(w["kind"], v.kind, "{name} {}", v.digest);
            assert_eq!(
                w["cachemap_digest"],
                v.cache_map.digest.as_str(),
                "{name} {}",
                v.name
            );
            assert!(
                !v.cache_map.stand_in && v.cache_map.basis.exact,
                "{name} {}",
                v.name
            );
            let deps = w["deps"].as_array().expect("deps");
            assert_eq!(deps.len(), v.cache_map.deps.len(), "{name} {}", v.name);
            for (d, got) in deps.iter().zip(&v.cache_map.deps) {
                assert_eq!(d["selector"], got.selector.as_str(), "{name} {}", v.name);
                assert_eq!(d["content"], got.content, "{name} {}", v.name);
                assert_eq!(d["preprocess"], got.preprocess, "{name} {}", v.name);
                assert_eq!(
                    got.selector.is_empty(),
                    got.paths.is_empty(),
                    "{name} {}",
                    v.name
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked}");
}

fn corpus_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(common::testdata().join("corpus"))
        .expect("corpus")
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".pb").map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// A cold build: every vertex ran (or, for a source nothing needed, only resolved its key);
/// a root's key is `sha256(digest@0)`; every other ran vertex was saved under a key made from
/// one key per input; misses say why (a root: no record; otherwise an input ran).
#[test]
fn cold_build_every_miss_has_its_reason() {
    let (_, a) = cold(&common::corpus_graph("df-dockerfile-frontend"));
    for v in &a {
        assert!(
            matches!(v.outcome, Outcome::Ran | Outcome::Resolved),
            "{}: {:?}",
            v.name,
            v.outcome
        );
        if v.outcome != Outcome::Ran {
            continue;
        }
        assert_eq!(v.query.result, "miss", "{}", v.name);
        let key = v
            .keys
            .first()
            .unwrap_or_else(|| panic!("{} has no key", v.name));
        assert_eq!(key.digest, v.cache_map.digest);
        if v.cache_map.deps.is_empty() {
            assert!(key.root);
            assert_eq!(v.query.reason, Some("no-record"));
        } else {
            assert!(!key.root);
            assert_eq!(key.inputs.len(), v.cache_map.deps.len(), "{}", v.name);
            for (alts, dep) in key.inputs.iter().zip(&v.cache_map.deps) {
                assert!(
                    alts.iter()
                        .any(|k| !k.content && k.selector == dep.selector),
                    "{}",
                    v.name
                );
                assert_eq!(alts.iter().any(|k| k.content), dep.content, "{}", v.name);
            }
            assert_eq!(v.query.reason, Some("input-new"), "{}", v.name);
            let because = v.query.because_of.as_ref().expect("because_of");
            assert!(
                v.cache_map.deps.iter().any(|d| &d.input == because),
                "{}",
                v.name
            );
        }
    }
}

fn scenario(name: &str, variant: Variant, s: Scenario) -> session::RunReport {
    let mut sess = session::open(&common::corpus_bytes(name), variant, 0).expect("opens");
    sess.scenario(s).expect("runs")
}

/// A warm rebuild: nothing runs; what loads names its record, the key it matched (the one the
/// cold build saved it under) and the cold build as the one that saved it.
#[test]
fn warm_rebuild_loads_records_the_cold_build_saved() {
    let mut sess = session::open(
        &common::corpus_bytes("df-dockerfile-frontend"),
        Variant::Default,
        0,
    )
    .expect("opens");
    let cold = sess.build("cold build", &Default::default()).expect("cold");
    let warm = sess
        .build("warm rebuild", &Default::default())
        .expect("warm");
    let saved: BTreeMap<&str, &str> = cold.jobs[0]
        .anatomy
        .iter()
        .flat_map(|v| {
            v.keys
                .iter()
                .map(move |k| (k.id.as_str(), v.digest.as_str()))
        })
        .collect();
    let mut loaded = 0;
    for v in &warm.jobs[0].anatomy {
        assert_ne!(v.outcome, Outcome::Ran, "{}", v.name);
        if v.outcome == Outcome::Loaded {
            loaded += 1;
            assert_eq!(v.query.result, "hit");
            let key = v.query.key.as_deref().expect("key");
            assert_eq!(
                saved.get(key),
                Some(&v.digest.as_str()),
                "{}: key {key}",
                v.name
            );
            let by = v.query.saved_by.as_ref().expect("saved_by");
            assert_eq!(by.job, "cold build");
            assert_eq!(by.vertex, v.digest);
        }
        if v.outcome == Outcome::CachedWithoutRunning {
            assert_eq!(v.query.reason, Some("consumer-cached"));
            assert!(!v.why.contains("loaded from"), "{}", v.why);
        }
    }
    assert!(loaded >= 1);
    // One vocabulary: each row's outcome is the anatomy's.
    for (r, v) in warm.jobs[0].rows.iter().zip(&warm.jobs[0].anatomy) {
        let same = warm.jobs[0].anatomy.iter().find(|a| a.digest == r.digest);
        assert_eq!(
            same.map(|a| a.outcome),
            Some(r.outcome),
            "{} / {}",
            r.name,
            v.name
        );
    }
}

/// A changed source: it runs (no record under its new root key), the steps reading it run
/// because it ran, the steps that do not depend on it do not run.
#[test]
fn a_changed_source_explains_the_cascade() {
    let run = scenario(
        "df-dockerfile-frontend",
        Variant::Default,
        Scenario::Mutated,
    );
    let a = &run.jobs[0].anatomy;
    let ran: Vec<&VertexAnatomy> = a.iter().filter(|v| v.outcome == Outcome::Ran).collect();
    assert!(!ran.is_empty() && ran.len() < a.len());
    let roots: Vec<_> = ran.iter().filter(|v| v.cache_map.deps.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one changed source");
    assert_eq!(roots[0].query.reason, Some("no-record"));
    for v in ran.iter().filter(|v| !v.cache_map.deps.is_empty()) {
        assert_eq!(v.query.reason, Some("input-new"), "{}", v.name);
        let because = v.query.because_of.as_ref().expect("because_of");
        assert!(
            ran.iter().any(|r| &r.digest == because),
            "{}: {because}",
            v.name
        );
        assert!(v.why.contains("ran in this build"), "{}", v.why);
    }
}

/// `--no-cache`: every vertex that ran says it ignores the cache.
#[test]
fn no_cache_rebuild_says_it_ignores_the_cache() {
    let mut sess =
        session::open(&common::corpus_bytes("df-hack-shfmt"), Variant::Default, 0).expect("opens");
    sess.build("cold build", &Default::default()).expect("cold");
    let opts = session::BuildOptions {
        no_cache: true,
        ..Default::default()
    };
    let run = sess
        .build("rebuild without cache", &opts)
        .expect("no cache");
    let a = &run.jobs[0].anatomy;
    assert!(a.iter().all(|v| v.outcome == Outcome::Ran), "{a:#?}");
    for v in a {
        assert_eq!(v.query.reason, Some("ignore-cache"), "{}", v.name);
        assert!(v.why.contains("ignores the cache"));
    }
}

/// Two concurrent jobs whose vertices reach equal keys (content variant): the job that loses a
/// merge explains that vertex as merged into the other job's, by name and job.
#[test]
fn a_merged_vertex_names_the_vertex_that_did_the_work() {
    let run = scenario("synth-lattice6", Variant::Content, Scenario::Concurrent);
    let merged: Vec<&VertexAnatomy> = run
        .jobs
        .iter()
        .flat_map(|j| &j.anatomy)
        .filter(|v| v.outcome == Outcome::Merged)
        .collect();
    assert!(!merged.is_empty());
    for v in merged {
        assert_eq!(v.query.reason, Some("merged"));
        let into = v.query.because_of.as_ref().expect("because_of");
        assert_ne!(into, &v.digest);
        assert!(v.why.contains("of job job"), "{}", v.why);
        let other = run
            .jobs
            .iter()
            .flat_map(|j| &j.anatomy)
            .find(|a| &a.digest == into);
        assert!(other.is_some_and(|o| o.outcome == Outcome::Ran), "{into}");
    }
}

/// A cancelled build: what was in flight is CANCELED and says the build was cancelled; the
/// outcome agrees with the rows.
#[test]
fn a_cancelled_build_explains_its_canceled_vertices() {
    let run = scenario("df-dockerfile-frontend", Variant::Default, Scenario::Cancel);
    let job = &run.jobs[0];
    let canceled: Vec<_> = job
        .anatomy
        .iter()
        .filter(|v| v.outcome == Outcome::Canceled)
        .collect();
    assert!(!canceled.is_empty());
    for v in &canceled {
        assert!(v.why.contains("cancelled"), "{}", v.why);
        let row = job.rows.iter().find(|r| r.digest == v.digest).expect("row");
        assert_eq!(row.state, "canceled");
    }
}

/// The rows' outcomes and actions never contradict each other.
#[test]
fn outcomes_and_actions_agree() {
    for s in [
        Scenario::Cold,
        Scenario::Warm,
        Scenario::Mutated,
        Scenario::Cancel,
        Scenario::Fail,
    ] {
        let run = scenario("df-dockerfile-frontend", Variant::Default, s);
        for r in &run.jobs[0].rows {
            let ok = match r.outcome {
                Outcome::Ran => r.action == "ran",
                Outcome::Loaded => r.action == "loaded",
                Outcome::CachedWithoutRunning => r.action == "skipped" && r.state == "cached",
                Outcome::Resolved => r.action == "resolved",
                Outcome::Merged => r.action == "merged",
                Outcome::Failed => r.state == "error",
                Outcome::Canceled => r.state == "canceled",
                Outcome::NotStarted => r.state == "pending",
            };
            assert!(
                ok,
                "{s:?} {}: {:?} vs {} {}",
                r.name, r.outcome, r.state, r.action
            );
        }
    }
    let g = common::corpus_graph("df-hack-shfmt");
    let (s, _) = cold(&g);
    assert!(!rows(&s, llbsim::solver::JobId(0)).is_empty());
}
