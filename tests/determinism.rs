//! The solver is deterministic: the same definition, scenario and seed give a byte-identical
//! event log (serialized with serde_json), run after run. And the check can fail: another seed
//! for the default stubs changes their durations, so the log changes.
#![cfg(not(target_arch = "wasm32"))]

use llbsim::solver::ops::StubOps;
use llbsim::solver::{CancelAt, EventKind, Interleaving, JobOptions, Solver, Variant, MS};
use llbsim::{Graph, OpKind};

mod common;
use common::corpus_graph as corpus;

/// A solver with the default (believable) stubs, `seed` fixing both their durations and the
/// solver's random IDs.
fn solver(seed: u64) -> Solver {
    let ops = StubOps {
        seed,
        ..StubOps::new(Variant::Default)
    };
    Solver::new(ops, seed)
}

fn log(s: &Solver) -> String {
    serde_json::to_string(s.events()).expect("the event log serializes")
}

/// A cold build of df-buildkit, then a warm one on the same solver.
fn cold_warm(seed: u64) -> String {
    let g = corpus("df-buildkit");
    let mut s = solver(seed);
    let cold = s.submit("cold", &g, JobOptions::default(), 0);
    s.run();
    let warm = s.submit("warm", &g, JobOptions::default(), s.now());
    s.run();
    for j in [cold, warm] {
        let o = s.outcome(j).expect("the job returned");
        assert_eq!(o.error, None, "{}", s.job_name(j));
    }
    log(&s)
}

/// The exec vertex halfway down df-buildkit (depth nearest half the maximum; the first in load
/// order on a tie).
fn mid_exec(g: &Graph) -> llbsim::Digest {
    let depths = g.depths();
    let half = depths.iter().copied().max().unwrap_or(0).div_ceil(2);
    g.vertices()
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind() == OpKind::Exec)
        .min_by_key(|(i, _)| depths[*i].abs_diff(half))
        .map(|(_, v)| v.digest.clone())
        .expect("df-buildkit has execs")
}

/// df-buildkit cancelled 200 ms after a mid-graph exec starts.
fn cancel(seed: u64) -> String {
    let g = corpus("df-buildkit");
    let mut s = solver(seed);
    let opts = JobOptions {
        cancel: Some(CancelAt::AfterExecStart(mid_exec(&g), 200 * MS)),
        ..JobOptions::default()
    };
    let j = s.submit("cancel", &g, opts, 0);
    s.run();
    let o = s.outcome(j).expect("the job returned");
    assert_eq!(o.error.as_deref(), Some("context canceled"));
    log(&s)
}

/// df-buildkit and df-buildkit-binaries (which share most of their vertices) at the same time.
fn concurrent(seed: u64) -> String {
    let a = corpus("df-buildkit");
    let b = corpus("df-buildkit-binaries");
    let mut s = solver(seed);
    let ja = s.submit("buildkit", &a, JobOptions::default(), 0);
    let jb = s.submit("binaries", &b, JobOptions::default(), 0);
    s.run();
    for j in [ja, jb] {
        let o = s.outcome(j).expect("the job returned");
        assert_eq!(o.error, None, "{}", s.job_name(j));
    }
    log(&s)
}

fn assert_repeats(name: &str, run: fn(u64) -> String) {
    let first = run(7);
    let second = run(7);
    assert!(first.len() > 2, "{name}: an empty log proves nothing");
    assert!(
        first == second,
        "{name}: two runs with seed 7 gave different logs (first difference at byte {})",
        first
            .bytes()
            .zip(second.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(first.len().min(second.len()))
    );
}

#[test]
fn cold_then_warm_repeats() {
    assert_repeats("cold+warm", cold_warm);
}

#[test]
fn cancel_repeats() {
    assert_repeats("cancel", cancel);
}

#[test]
fn concurrent_jobs_repeat() {
    assert_repeats("concurrent", concurrent);
}

/// Two concurrent content-variant jobs whose merges are decided by races, under a seeded
/// interleaving.
fn raced_merges(seed: u64) -> String {
    let a = corpus("df-buildkit");
    let b = corpus("df-buildkit-binaries");
    let mut s = Solver::new(StubOps::new(Variant::Content), 0);
    s.set_interleaving(Interleaving::Seeded(seed));
    s.submit("buildkit", &a, JobOptions::default(), 0);
    s.submit("binaries", &b, JobOptions::default(), 0);
    s.run();
    log(&s)
}

#[test]
fn a_seeded_interleaving_repeats() {
    assert_repeats("interleaving", raced_merges);
}

#[test]
fn another_seed_changes_durations() {
    let a = cold_warm(7);
    let b = cold_warm(8);
    assert_ne!(a, b, "seeds 7 and 8 gave the same log");
    // Not just IDs: the exec intervals themselves move.
    let exec_times = |seed: u64| {
        let g = corpus("df-buildkit");
        let mut s = solver(seed);
        s.submit("cold", &g, JobOptions::default(), 0);
        s.run();
        s.events()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ExecEnd { .. }))
            .map(|e| e.time)
            .collect::<Vec<_>>()
    };
    assert_ne!(exec_times(7), exec_times(8));
}
