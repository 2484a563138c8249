//! Properties of the solver on random DAGs (proptest): completion order, warm rebuilds, no-cache
//! rebuilds and cancellation, for the oracle's stub contracts (`plain`, `content`) and a few seeds
//! of the default stubs, in idealised runs and under seeded timing noise.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;

use llbsim::progress::stream::{batches, StreamVertex};
use llbsim::solver::ops::StubOps;
use llbsim::solver::{
    CancelAt, EventKind, Interleaving, JobId, JobOptions, Solver, Time, Variant, DISPATCH_COST,
};
use llbsim::{load_bytes, testutil, Digest, Graph, LoadOptions};

/// The stub setups every property runs under: `(variant, seed)`. Odd seeds also run with a
/// seeded interleaving (timing noise: scheduler time per dispatch, op durations that stray).
const SETUPS: &[(Variant, u64)] = &[
    (Variant::Plain, 0),
    (Variant::Content, 0),
    (Variant::Plain, 1),
    (Variant::Content, 1),
    (Variant::Default, 1),
    (Variant::Default, 2),
    (Variant::Default, 3),
];

fn solver(variant: Variant, seed: u64) -> Solver {
    let ops = StubOps {
        seed,
        ..StubOps::new(variant)
    };
    let mut s = Solver::new(ops, seed);
    if seed % 2 == 1 {
        s.set_interleaving(Interleaving::Seeded(seed));
    }
    s
}

/// A DAG spec for [`testutil::dag`]: 1 to 29 execs (30 ops with the source), each with a short
/// command from a small pool (so identical ops occur) and 1 to 3 inputs among the earlier ops.
fn spec() -> impl Strategy<Value = Vec<(Vec<String>, Vec<usize>)>> {
    let words = prop::sample::select(vec!["true", "make", "go", "build", "test", "echo"]);
    let op = (
        prop::collection::vec(words, 1..3),
        prop::collection::vec(any::<Index>(), 1..=3),
    );
    prop::collection::vec(op, 1..30).prop_map(|ops| {
        ops.into_iter()
            .enumerate()
            .map(|(i, (args, picks))| {
                // Op i + 1 may read ops 0..=i; the first pick is the root, the rest are
                // distinct extra mounts.
                let mut inputs: Vec<usize> = Vec::new();
                for p in picks {
                    let k = p.index(i + 1);
                    if !inputs.contains(&k) {
                        inputs.push(k);
                    }
                }
                (args.into_iter().map(String::from).collect(), inputs)
            })
            .collect()
    })
}

fn graph(spec: &[(Vec<String>, Vec<usize>)]) -> Graph {
    load_bytes(&testutil::dag(spec), &LoadOptions::default()).expect("a generated DAG loads")
}

/// The last record of each vertex in `job`'s stream, encore included.
fn final_view(s: &Solver, job: JobId) -> BTreeMap<Digest, StreamVertex> {
    let closed = s.job_closed(job);
    let mut out = BTreeMap::new();
    for b in batches(s.events(), job, closed) {
        for v in b.vertexes {
            out.insert(v.vertex.digest.clone(), v);
        }
    }
    out
}

/// Digests of the vertices that started executing in `events`.
fn executed(events: &[llbsim::solver::Event]) -> Vec<Digest> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ExecStart { digest, .. } => Some(digest.clone()),
            _ => None,
        })
        .collect()
}

/// One cold solve of `g`; returns the solver and the job.
fn cold(g: &Graph, variant: Variant, seed: u64) -> (Solver, JobId) {
    let mut s = solver(variant, seed);
    let j = s.submit("cold", g, JobOptions::default(), 0);
    s.run();
    (s, j)
}

fn check_cold(g: &Graph, variant: Variant, seed: u64) -> Result<(), TestCaseError> {
    let (s, j) = cold(g, variant, seed);
    let o = s.outcome(j).expect("the job returned");
    prop_assert_eq!(&o.error, &None, "{:?}/{}: cold solve failed", variant, seed);
    let view = final_view(&s, j);
    for v in g.vertices() {
        let r = view.get(&v.digest);
        prop_assert!(r.is_some(), "{} never reported", v.name);
        let r = r.expect("checked");
        prop_assert!(r.vertex.completed.is_some(), "{} did not complete", v.name);
        prop_assert_eq!(&r.vertex.error, "", "{} failed", v.name);
        if r.vertex.cached {
            continue;
        }
        let done = r.vertex.completed.expect("checked");
        for inp in &v.inputs {
            let iv = g.vertex(inp.vertex);
            let ir = &view[&iv.digest];
            if ir.inferred {
                continue;
            }
            let idone = ir.vertex.completed.expect("every vertex completed");
            prop_assert!(
                idone <= done,
                "{:?}/{}: {} completed at {} before its input {} at {}",
                variant,
                seed,
                v.name,
                done,
                iv.name,
                idone
            );
        }
    }
    Ok(())
}

fn check_warm_and_no_cache(g: &Graph, variant: Variant, seed: u64) -> Result<(), TestCaseError> {
    let (mut s, j0) = cold(g, variant, seed);
    prop_assert_eq!(&s.outcome(j0).expect("returned").error, &None);

    // Warm: the same graph again executes nothing.
    let mark = s.events().len();
    let j1 = s.submit("warm", g, JobOptions::default(), s.now());
    s.run();
    prop_assert_eq!(&s.outcome(j1).expect("returned").error, &None);
    let ran = executed(&s.events()[mark..]);
    prop_assert!(
        ran.is_empty(),
        "{:?}/{}: the warm rebuild executed {:?}",
        variant,
        seed,
        ran
    );

    // --no-cache on the same solver: every vertex executes again, under its own digest (no
    // job holds the plain digest active any more, so there is no "-ignorecache" alternative).
    let mark = s.events().len();
    let opts = JobOptions {
        no_cache: true,
        ..JobOptions::default()
    };
    let j2 = s.submit("no-cache", g, opts, s.now());
    s.run();
    prop_assert_eq!(&s.outcome(j2).expect("returned").error, &None);
    let ran = executed(&s.events()[mark..]);
    for v in g.vertices() {
        prop_assert!(
            ran.contains(&v.digest),
            "{:?}/{}: --no-cache did not execute {}",
            variant,
            seed,
            v.name
        );
    }
    Ok(())
}

fn check_cancel(g: &Graph, variant: Variant, seed: u64, frac: f64) -> Result<(), TestCaseError> {
    let (s, j) = cold(g, variant, seed);
    let finish = s.outcome(j).expect("returned").finished;
    // Anywhere from the start to a little after the uncancelled build returned.
    let at = ((finish as f64) * frac * 1.1) as Time;
    let mut s = solver(variant, seed);
    let opts = JobOptions {
        cancel: Some(CancelAt::Time(at)),
        ..JobOptions::default()
    };
    let j = s.submit("cancel", g, opts, 0);
    s.run();
    let o = s.outcome(j).expect("a cancelled job returns");
    for (d, r) in final_view(&s, j) {
        prop_assert!(
            !(r.vertex.started.is_some() && r.vertex.completed.is_none()),
            "{:?}/{}: cancel at {}: {} ({}) is left running",
            variant,
            seed,
            at,
            r.vertex.name,
            d
        );
    }
    // Nothing starts executing after the cancel. Under timing noise the scheduler needs time to
    // hear of it: edges already queued when it lands are still served, one dispatch each.
    let heard = if seed % 2 == 1 {
        at + DISPATCH_COST * 4 * (g.len() as Time + 1)
    } else {
        at
    };
    let late: Vec<&str> = s
        .events()
        .iter()
        .filter(|e| e.time > heard)
        .filter_map(|e| match &e.kind {
            EventKind::ExecStart { digest, .. } => Some(digest.as_str()),
            _ => None,
        })
        .collect();
    prop_assert!(
        late.is_empty(),
        "{:?}/{}: cancel at {}: {:?} started later",
        variant,
        seed,
        at,
        late
    );
    if at < finish {
        prop_assert_eq!(
            o.error.as_deref(),
            Some("context canceled"),
            "{:?}/{}: cancel at {} (build takes {})",
            variant,
            seed,
            at,
            finish
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn cold_solve_completes_inputs_first(spec in spec()) {
        let g = graph(&spec);
        for &(variant, seed) in SETUPS {
            check_cold(&g, variant, seed)?;
        }
    }

    #[test]
    fn warm_rebuild_runs_nothing_and_no_cache_runs_everything(spec in spec()) {
        let g = graph(&spec);
        for &(variant, seed) in SETUPS {
            check_warm_and_no_cache(&g, variant, seed)?;
        }
    }

    #[test]
    fn cancel_leaves_nothing_running(spec in spec(), frac in 0.0f64..1.0) {
        let g = graph(&spec);
        for &(variant, seed) in SETUPS {
            check_cancel(&g, variant, seed, frac)?;
        }
    }
}

/// The generated-graph builders the benchmarks use reproduce the corpus's synthetic graphs
/// exactly (the target's digest covers the whole graph).
#[test]
fn builders_match_the_corpus() {
    let corpus = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/corpus")
            .join(format!("{name}.pb"));
        load_bytes(
            &std::fs::read(path).expect("corpus file"),
            &LoadOptions::default(),
        )
        .expect("loads")
    };
    let target = |g: &Graph| g.vertex(g.target().vertex).digest.clone();
    for (name, built) in [
        ("synth-chain20", testutil::synth_chain(20)),
        ("synth-chain2000", testutil::synth_chain(2000)),
        ("synth-fanin16", testutil::fanin(16)),
        ("synth-lattice6", testutil::lattice(6)),
        ("synth-lattice64", testutil::lattice(64)),
        ("synth-fanin1000", testutil::fanin(1000)),
    ] {
        let ours = load_bytes(&built, &LoadOptions::default()).expect("loads");
        let theirs = corpus(name);
        assert_eq!(ours.len(), theirs.len(), "{name}");
        assert_eq!(target(&ours), target(&theirs), "{name}");
    }
}

/// The DAG builder: mounts follow inputs, unreachable ops are dropped, and solving works.
#[test]
fn dag_builder_shapes() {
    let w = |s: &str| vec![s.to_string()];
    // 0 = busybox; 1 and 2 on 0; 3 on 1 with 2 at /in1; 4 on 0 (no inputs given); 5 on 3 with
    // 4 at /in1.
    let spec = vec![
        (w("a"), vec![0]),
        (w("b"), vec![0]),
        (w("c"), vec![1, 2]),
        (w("d"), vec![]),
        (w("e"), vec![3, 4]),
    ];
    let g = graph(&spec);
    assert_eq!(g.len(), 6);
    let t = g.vertex(g.target().vertex);
    assert_eq!(t.inputs.len(), 2);
    let Some(llbsim::llb::pb::OpKind::Exec(e)) = &t.op.op else {
        panic!("the target is an exec");
    };
    let dests: Vec<&str> = e.mounts.iter().map(|m| m.dest.as_str()).collect();
    assert_eq!(dests, ["/", "/in1"]);
    assert!(e.mounts[1].readonly && e.mounts[1].output == -1 && e.mounts[1].input == 1);
    // An op the last one does not reach is not loaded.
    let spec = vec![(w("a"), vec![0]), (w("b"), vec![0])];
    assert_eq!(graph(&spec).len(), 2);
    for &(variant, seed) in SETUPS {
        check_cold(&g, variant, seed).expect("cold");
    }
}

/// A warm rebuild of a deep chain infers every vertex cached in one cascade; the stream, the
/// summary and the normalized form must not recurse (a 20,000-deep cascade on a 256 KiB stack).
#[test]
fn deep_warm_cascade_needs_no_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let bytes = llbsim::testutil::chain(20_000);
            let g = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");
            let mut s = llbsim::solver::Solver::new(
                llbsim::solver::StubOps::new(llbsim::solver::Variant::Plain),
                0,
            );
            s.submit("cold", &g, Default::default(), 0);
            s.run();
            let now = s.now();
            let warm = s.submit("warm", &g, Default::default(), now);
            s.run();
            let rows = llbsim::progress::summary::rows(&s, warm);
            assert_eq!(
                rows.iter().filter(|r| r.action == "skipped").count(),
                19_999
            );
            assert_eq!(rows.iter().filter(|r| r.action == "loaded").count(), 1);
        })
        .expect("thread");
    handle.join().expect("no stack overflow");
}
