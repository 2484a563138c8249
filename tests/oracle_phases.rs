//! The simulated solver against the real one: for every definition and stub variant the oracle
//! traced, every phase's per-vertex outcome must match what BuildKit's solver reported.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use serde_json::Value;

use llbsim::oracle::{normalize, run_phase_with, FirstJob, Norm, Races};
use llbsim::solver::{Interleaving, Variant};
use llbsim::{load_bytes, LoadOptions};

mod common;
use common::testdata;

fn cases() -> Vec<(Variant, String, String)> {
    common::oracle_cases()
        .into_iter()
        .map(|(vname, name)| {
            let variant = Variant::parse(&vname).expect("an oracle variant");
            (variant, vname, name)
        })
        .collect()
}

fn ours(name: &str, variant: Variant, phase: &str, first: FirstJob) -> Norm {
    raced(
        name,
        variant,
        phase,
        Races {
            first,
            ..Races::default()
        },
    )
}

fn raced(name: &str, variant: Variant, phase: &str, races: Races) -> Norm {
    let (def, g) = common::corpus(name);
    let run = run_phase_with(&def, &g, variant, phase, races)
        .unwrap_or_else(|e| panic!("{name} {phase}: {e}"));
    normalize(&run, phase, variant)
}

/// Differences between our outcome and the oracle's, as readable lines.
fn differences(ours: &Norm, theirs: &Value, fields: &[&str]) -> Vec<String> {
    let mut d = diff(ours, theirs, fields);
    if theirs["result"] != Value::String(ours.result.clone()) {
        d.push(format!(
            "result ours={:?} theirs={}",
            ours.result, theirs["result"]
        ));
    }
    let their_exec: Vec<String> =
        serde_json::from_value(theirs["exec_ran"].clone()).unwrap_or_default();
    let our_exec: Vec<String> = ours.exec_ran.iter().map(|d| d.to_string()).collect();
    if their_exec != our_exec {
        d.push(format!(
            "exec_ran ours={} theirs={}",
            our_exec.len(),
            their_exec.len()
        ));
    }
    d
}

/// Whether a difference is the one BuildKit leaves to chance when two jobs start together: the
/// second job's load takes the solver lock at a moment the simulator cannot see, so a root
/// shared by both jobs may or may not have finished its cache-map interval when the second job
/// attaches. If it has, the state's progress history is replayed to the second job together with
/// a snapshot that already shows the interval, one more completed record (3 instead of 2).
fn is_second_job_race(theirs_v: &Value, field: &str, o: &Value, t: &Value) -> bool {
    let root = theirs_v["inputs"].as_array().is_some_and(|a| a.is_empty());
    let (Some(o), Some(t)) = (o.as_u64(), t.as_u64()) else {
        return false;
    };
    field == "completion_events" && root && o.abs_diff(t) == 1 && o.min(t) == 2
}

/// Differences between our per-vertex fields and the oracle's, as readable lines.
fn diff(ours: &Norm, theirs: &Value, fields: &[&str]) -> Vec<String> {
    let two_jobs = ours.phase.contains("job");
    let mut out = Vec::new();
    let ov = serde_json::to_value(&ours.vertices).expect("json");
    let tv = &theirs["vertices"];
    let names: BTreeMap<String, String> = tv
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["name"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    for (d, t) in tv.as_object().expect("vertices") {
        let Some(o) = ov.get(d) else {
            out.push(format!("missing vertex {} ({})", &d[..19], names[d]));
            continue;
        };
        for f in fields {
            if o[f] != t[f] && !(two_jobs && is_second_job_race(t, f, &o[f], &t[f])) {
                out.push(format!(
                    "{} {:?}: {f} ours={} theirs={}",
                    &d[..19],
                    names[d],
                    o[f],
                    t[f]
                ));
            }
        }
    }
    for d in ov.as_object().expect("vertices").keys() {
        if tv.get(d).is_none() {
            out.push(format!("extra vertex {}", &d[..19]));
        }
    }
    out
}

fn check(phases: &[&str], fields: &[&str]) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (variant, vname, name) in cases() {
        for phase in phases {
            let path = testdata()
                .join("oracle")
                .join(&vname)
                .join(&name)
                .join(format!("{phase}.norm.json"));
            if !path.exists() {
                continue;
            }
            checked += 1;
            let theirs: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            // Two jobs started together race to the solver in BuildKit; the real run must be one
            // of the two orders the simulator can take (the same order for both jobs' streams).
            let orders: &[FirstJob] = if phase.contains("job") {
                &[FirstJob::Job0, FirstJob::Job1]
            } else {
                &[FirstJob::Job0]
            };
            let mut best: Option<Vec<String>> = None;
            for &first in orders {
                let ours = ours(&name, variant, phase, first);
                let d = differences(&ours, &theirs, fields);
                if best.as_ref().is_none_or(|b| d.len() < b.len()) {
                    best = Some(d);
                }
            }
            let d = best.unwrap_or_default();
            if !d.is_empty() {
                failures.push(format!("{vname}/{name}/{phase}:\n    {}", d.join("\n    ")));
            }
        }
    }
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "{} of {checked} phases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const ALL_FIELDS: &[&str] = &[
    "cached",
    "cached_via",
    "started",
    "completed",
    "error",
    "exec_ran",
    "completion_events",
];
const NO_VIA: &[&str] = &[
    "cached",
    "started",
    "completed",
    "error",
    "exec_ran",
    "completion_events",
];

#[test]
fn cold_and_warm_match_the_oracle() {
    check(&["a_cold", "b_warm"], ALL_FIELDS);
}

#[test]
fn mutated_matches_the_oracle() {
    check(&["c_mutated"], NO_VIA);
}

#[test]
fn cancel_matches_the_oracle() {
    check(
        &[
            "e_cancel",
            "e_cancel_slowstop",
            "e_cancel_shared_job0",
            "e_cancel_shared_job1",
        ],
        ALL_FIELDS,
    );
}

#[test]
fn concurrent_jobs_match_the_oracle() {
    check(&["f_job0", "f_job1"], NO_VIA);
}

#[test]
fn failures_match_the_oracle_where_it_is_stable() {
    // Which siblings were in flight when the failure hit depends on timing in BuildKit; what
    // must match: the failed vertex and its error, the build error, and that nothing depending
    // on the failed vertex ever starts.
    let mut checked = 0;
    for (variant, vname, name) in cases() {
        for phase in ["d_fail", "d_fail_longsib"] {
            let path = testdata()
                .join("oracle")
                .join(&vname)
                .join(&name)
                .join(format!("{phase}.norm.json"));
            if !path.exists() {
                continue;
            }
            checked += 1;
            let theirs: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let ours = ours(&name, variant, phase, FirstJob::Job0);
            assert_eq!(
                Value::String(ours.result.clone()),
                theirs["result"],
                "{vname}/{name}/{phase}"
            );
            let failed: Vec<&String> = theirs["vertices"]
                .as_object()
                .expect("vertices")
                .iter()
                .filter(|(_, v)| v["error"] == "oracle stub: injected exec failure")
                .map(|(d, _)| d)
                .collect();
            assert_eq!(failed.len(), 1, "{vname}/{name}/{phase}");
            let ov = serde_json::to_value(&ours.vertices).expect("json");
            assert_eq!(
                ov[failed[0]]["error"], "oracle stub: injected exec failure",
                "{vname}/{name}/{phase}"
            );
            // Descendants of the failed vertex never start, in both.
            let bytes =
                std::fs::read(testdata().join("corpus").join(format!("{name}.pb"))).expect("pb");
            let g = load_bytes(&bytes, &LoadOptions::default()).expect("loads");
            let f = g
                .find(&llbsim::Digest::from_raw(failed[0].as_str()))
                .expect("failed vertex in graph");
            let desc = g.descendants(f);
            for (i, v) in g.vertices().iter().enumerate() {
                if desc[i] {
                    let d = v.digest.as_str();
                    assert_eq!(
                        theirs["vertices"][d]["started"], false,
                        "oracle: {d} started"
                    );
                    assert_eq!(
                        ov[d]["started"], false,
                        "{vname}/{name}/{phase}: {} started",
                        v.name
                    );
                }
            }
        }
    }
    assert!(checked >= 6);
}

/// The retry re-executes the failed vertex and succeeds. Which siblings it also re-executes
/// depends on which were cancelled mid-flight in `d_fail`, which is timing in BuildKit.
#[test]
fn retry_after_failure_reexecutes_the_failed_vertex() {
    let mut checked = 0;
    for (variant, vname, name) in cases() {
        let path = testdata()
            .join("oracle")
            .join(&vname)
            .join(&name)
            .join("d_retry.norm.json");
        let theirs: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let fail: Value = serde_json::from_str(
            &std::fs::read_to_string(
                testdata()
                    .join("oracle")
                    .join(&vname)
                    .join(&name)
                    .join("d_fail.json"),
            )
            .expect("read"),
        )
        .expect("json");
        let failed = fail["extra"]["failing_vertex"]
            .as_str()
            .expect("failing vertex");
        let ours = ours(&name, variant, "d_retry", FirstJob::Job0);
        assert_eq!(ours.result, "ok");
        assert_eq!(theirs["result"], "ok");
        let ov = serde_json::to_value(&ours.vertices).expect("json");
        assert_eq!(ov[failed]["exec_ran"], true, "{vname}/{name}");
        assert_eq!(theirs["vertices"][failed]["exec_ran"], true);
        checked += 1;
    }
    assert_eq!(checked, 6);
}

/// Figures the oracle's README reports for df-buildkit, a definition whose traces are not in
/// `testdata/oracle`: the simulator must reproduce them too.
#[test]
fn df_buildkit_matches_the_figures_the_oracle_reports() {
    let count = |n: &Norm, via: &str| {
        n.vertices
            .values()
            .filter(|v| v.cached_via == Some(via))
            .count()
    };
    let warm = ours("df-buildkit", Variant::Plain, "b_warm", FirstJob::Job0);
    assert_eq!(
        (
            warm.exec_ran.len(),
            count(&warm, "load"),
            count(&warm, "inferred")
        ),
        (0, 1, 51)
    );
    assert_eq!(
        warm.vertices
            .values()
            .filter(|v| !v.cached && v.started)
            .count(),
        7,
        "sources stay cached=false"
    );
    let mutated = ours("df-buildkit", Variant::Content, "c_mutated", FirstJob::Job0);
    assert_eq!(
        (
            mutated.exec_ran.len(),
            count(&mutated, "load"),
            count(&mutated, "inferred")
        ),
        (1, 1, 51)
    );
    let f1 = ours("df-buildkit", Variant::Content, "f_job1", FirstJob::Job0);
    assert_eq!(
        f1.vertices.len(),
        79,
        "job1's stream shows the merged-in vertices of job0"
    );
}

/// The phases the oracle calls stable do not hang on how goroutine races go: under any order of
/// the functions that finish at the same instant, every one of them still matches BuildKit in
/// every field. (The concurrent phases do depend on it; see the next test.)
#[test]
fn stable_phases_do_not_depend_on_the_interleaving() {
    let phases = [
        "a_cold",
        "b_warm",
        "c_mutated",
        "e_cancel",
        "e_cancel_slowstop",
    ];
    let mut failures = Vec::new();
    for (variant, vname, name) in cases() {
        for phase in phases {
            let start = raced(&name, variant, phase, Races::default());
            for seed in 1..=8 {
                let races = Races {
                    interleaving: Interleaving::Seeded(seed),
                    ..Races::default()
                };
                let other = raced(&name, variant, phase, races);
                // Orders (start, completion) are one linearization and may differ.
                if (&other.vertices, &other.exec_ran, &other.result)
                    != (&start.vertices, &start.exec_ran, &start.result)
                {
                    failures.push(format!("{vname}/{name}/{phase} with seed {seed}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "differ: {failures:?}");
}

/// In the content variant two concurrent jobs merge vertices with equal cache keys, and which
/// job's vertex owns each merged edge is a race. BuildKit's own solver, run 100 times on
/// synth-lattice6 with the oracle's stubs, gave one owner for the whole grid in under half the
/// runs and mixed owners cell by cell in the rest (the oracle's README reports such a run: job0
/// showing 5 inferred-cached vertices). Start order never mixes; seeded interleavings do, and
/// every run still executes each op once and succeeds.
#[test]
fn concurrent_merges_mix_directions_under_timing_noise() {
    let start = raced(
        "synth-lattice6",
        Variant::Content,
        "f_job0",
        Races::default(),
    );
    let inferred = |n: &Norm| n.vertices.values().filter(|v| v.cached).count();
    assert_eq!(inferred(&start), 0, "start order: one owner for everything");
    let mut mixed = 0;
    for seed in 0..8 {
        let races = Races {
            interleaving: Interleaving::Seeded(seed),
            ..Races::default()
        };
        let n = raced("synth-lattice6", Variant::Content, "f_job0", races);
        assert_eq!(n.result, "ok", "seed {seed}");
        assert_eq!(n.exec_ran.len(), start.exec_ran.len(), "seed {seed}");
        if inferred(&n) > 0 {
            mixed += 1;
            // What the stream marks cached was never started by this job: its own vertex was
            // merged into the other job's, and a consumer it still owns started.
            for v in n.vertices.values().filter(|v| v.cached) {
                assert_eq!(v.cached_via, Some("inferred"), "seed {seed}: {}", v.name);
            }
        }
    }
    assert!(mixed > 0, "no seed mixed the merge directions");
}
