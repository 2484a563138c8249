//! Cache sources (imported caches) and the combined cache manager (facts §4.12): a job with a
//! cache source loads what the source holds, the loaded results are saved into the main cache,
//! and the main cache's record wins when both hold the same one.
#![cfg(not(target_arch = "wasm32"))]

use llbsim::solver::{EventKind, JobId, JobOptions, Reason, Solver, StubOps, Variant};

mod common;
use common::corpus_graph as graph;

/// (executed vertices, loads with their source) of everything logged since event `from`.
fn activity(s: &Solver, from: usize) -> (usize, Vec<Option<String>>) {
    let mut execs = 0;
    let mut loads = Vec::new();
    for ev in &s.events()[from..] {
        match &ev.kind {
            EventKind::ExecStart { .. } => execs += 1,
            EventKind::Load {
                why: Reason::CacheHit { source, .. },
                ..
            } => loads.push(source.clone()),
            _ => {}
        }
    }
    (execs, loads)
}

fn run(s: &mut Solver, g: &llbsim::Graph, opts: JobOptions) -> (JobId, usize, Vec<Option<String>>) {
    let from = s.events().len();
    let start = s.now();
    let j = s.submit("job", g, opts, start);
    s.run();
    let (execs, loads) = activity(s, from);
    (j, execs, loads)
}

#[test]
fn an_imported_cache_is_loaded_and_materialised() {
    for variant in [Variant::Plain, Variant::Content] {
        let g = graph("df-dockerfile-frontend");
        let mut s = Solver::new(StubOps::new(variant), 0);
        let (_, cold, _) = run(&mut s, &g, JobOptions::default());
        assert!(cold > 0);
        let registry = s.snapshot_cache("registry");
        s.clear_cache();

        // With the source: nothing executes; the target is loaded from the source.
        let opts = JobOptions {
            cache_from: vec![registry],
            ..JobOptions::default()
        };
        let (j, execs, loads) = run(&mut s, &g, opts);
        assert_eq!(execs, 0, "{variant:?}: everything comes from the source");
        assert_eq!(loads, vec![Some("registry".to_string())], "{variant:?}");
        assert!(s.outcome(j).is_some_and(|o| o.error.is_none()));

        // What was loaded now lives in the main cache: a job without the source is warm.
        let (_, execs, loads) = run(&mut s, &g, JobOptions::default());
        assert_eq!(execs, 0, "{variant:?}: materialised into the main cache");
        assert_eq!(loads, vec![None], "{variant:?}: loaded from the main cache");
    }
}

#[test]
fn without_the_source_a_cleared_cache_rebuilds_everything() {
    let g = graph("df-dockerfile-frontend");
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    let (_, cold, _) = run(&mut s, &g, JobOptions::default());
    s.snapshot_cache("registry");
    s.clear_cache();
    let (_, again, loads) = run(&mut s, &g, JobOptions::default());
    assert_eq!(again, cold);
    assert!(loads.is_empty());
}

#[test]
fn the_main_cache_wins_when_both_hold_the_record() {
    let g = graph("df-dockerfile-frontend");
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    run(&mut s, &g, JobOptions::default());
    let registry = s.snapshot_cache("registry");
    let opts = JobOptions {
        cache_from: vec![registry],
        ..JobOptions::default()
    };
    let (_, execs, loads) = run(&mut s, &g, opts);
    assert_eq!(execs, 0);
    assert_eq!(loads, vec![None], "main's record gets priority");
}

#[test]
fn a_changed_definition_takes_what_the_source_still_matches() {
    // Build the original, export it, start over with an empty cache, build the mutated
    // definition with the source: the same vertices run as when the cache was local.
    let g = graph("df-dockerfile-frontend");
    let bytes = std::fs::read(format!(
        "{}/testdata/oracle/plain/df-dockerfile-frontend/mutated.pb",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("mutated.pb");
    let m = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");

    let mut local = Solver::new(StubOps::new(Variant::Plain), 0);
    run(&mut local, &g, JobOptions::default());
    let (_, local_execs, _) = run(&mut local, &m, JobOptions::default());

    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    run(&mut s, &g, JobOptions::default());
    let registry = s.snapshot_cache("registry");
    s.clear_cache();
    let opts = JobOptions {
        cache_from: vec![registry],
        ..JobOptions::default()
    };
    let (_, execs, loads) = run(&mut s, &m, opts);
    assert_eq!(execs, local_execs);
    assert!(!loads.is_empty());
    assert!(loads.iter().all(|l| l.as_deref() == Some("registry")));
}
