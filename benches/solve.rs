//! Load and solve benchmarks (criterion): the corpus's synthetic graphs and generated chains,
//! fan-ins and lattices of about 1,000 and 10,000 vertices, with the oracle's `plain` stubs (and
//! the default stubs where said) and seed 0.
//!
//! * `load/<graph>`: `llbsim::load_bytes` on the binary definition;
//! * `cold/<graph>`: one job on a fresh solver (submit + run);
//! * `cold-default/<graph>`: the same with the default stubs (`Variant::Default`), for the
//!   generated fan-ins, chain and lattice of about 1,000 vertices and the fan-in of 10,000;
//! * `warm/<graph>`: a second job on a solver that has just built the graph (only the second
//!   job is measured).
//!
//! Every benchmark reports a throughput in vertices, so per-vertex cost is `1 / thrpt`;
//! `node bench/criterion-table.mjs` prints the table (ms per solve, µs per vertex, 10k/1k ratio).
//!
//! `cargo bench --bench solve` runs everything (several minutes; more on a busy machine);
//! `cargo bench --bench solve -- 'cold/lattice'` runs a subset.

#[cfg(not(target_arch = "wasm32"))]
mod benches {
    use std::path::Path;
    use std::time::Duration;

    use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};

    use llbsim::solver::ops::StubOps;
    use llbsim::solver::{JobOptions, Solver, Variant};
    use llbsim::{load_bytes, testutil, Graph, LoadOptions};

    /// A graph to measure: its name (shape-size), the definition's bytes, the loaded graph.
    pub struct Case {
        name: String,
        bytes: Vec<u8>,
        graph: Graph,
    }

    impl Case {
        fn new(name: String, bytes: Vec<u8>) -> Case {
            let graph = load_bytes(&bytes, &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
            Case { name, bytes, graph }
        }

        fn big(&self) -> bool {
            self.graph.len() > 5_000
        }
    }

    pub fn cases() -> Vec<Case> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
        let mut out = Vec::new();
        for name in [
            "synth-chain20",
            "synth-chain2000",
            "synth-fanin16",
            "synth-fanin1000",
            "synth-lattice6",
            "synth-lattice64",
        ] {
            let bytes = std::fs::read(dir.join(format!("{name}.pb")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push(Case::new(name.to_string(), bytes));
        }
        // Generated: ~1,000 and ~10,000 vertices per shape.
        for (label, n) in [("1k", 1_000), ("10k", 10_000)] {
            out.push(Case::new(
                format!("chain-{label}"),
                testutil::synth_chain(n),
            ));
            out.push(Case::new(format!("fanin-{label}"), testutil::fanin(n)));
        }
        for (label, k) in [("1k", 32), ("10k", 100)] {
            out.push(Case::new(format!("lattice-{label}"), testutil::lattice(k)));
        }
        out
    }

    fn solver() -> Solver {
        solver_with(Variant::Plain)
    }

    fn solver_with(variant: Variant) -> Solver {
        Solver::new(StubOps::new(variant), 0)
    }

    /// Builds `g` once on `s` and checks it succeeded.
    fn build(s: &mut Solver, g: &Graph) {
        let j = s.submit("bench", g, JobOptions::default(), s.now());
        s.run();
        let o = s.outcome(j).expect("the job returned");
        assert!(o.error.is_none(), "the build failed: {:?}", o.error);
    }

    /// Short runs: 10 samples; graphs of 10,000 vertices take one iteration per sample.
    fn configure(
        g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        c: &Case,
    ) {
        g.throughput(Throughput::Elements(c.graph.len() as u64));
        g.sample_size(10);
        if c.big() {
            g.sampling_mode(SamplingMode::Flat);
            g.warm_up_time(Duration::from_millis(1));
            g.measurement_time(Duration::from_secs(1));
        } else {
            g.sampling_mode(SamplingMode::Auto);
            g.warm_up_time(Duration::from_millis(300));
            g.measurement_time(Duration::from_secs(2));
        }
    }

    pub fn load(cr: &mut Criterion, cases: &[Case]) {
        let mut g = cr.benchmark_group("load");
        for c in cases {
            configure(&mut g, c);
            g.bench_with_input(BenchmarkId::from_parameter(&c.name), c, |b, c| {
                b.iter(|| load_bytes(&c.bytes, &LoadOptions::default()).expect("loads"))
            });
        }
        g.finish();
    }

    pub fn cold(cr: &mut Criterion, cases: &[Case]) {
        let mut g = cr.benchmark_group("cold");
        for c in cases {
            configure(&mut g, c);
            g.bench_with_input(BenchmarkId::from_parameter(&c.name), c, |b, c| {
                b.iter_batched(
                    solver,
                    |mut s| {
                        build(&mut s, &c.graph);
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }

    /// The generated graphs solved cold with the default (believable) stubs, whose cache maps
    /// give an exec's inputs content-based keys and selectors: next to `cold/<graph>`, the cost
    /// of the slow-cache path (a wide merge's inputs each get a content key).
    pub fn cold_default(cr: &mut Criterion, cases: &[Case]) {
        let mut g = cr.benchmark_group("cold-default");
        let generated = ["fanin-1k", "fanin-10k", "chain-1k", "lattice-1k"];
        for c in cases
            .iter()
            .filter(|c| generated.contains(&c.name.as_str()))
        {
            configure(&mut g, c);
            g.bench_with_input(BenchmarkId::from_parameter(&c.name), c, |b, c| {
                b.iter_batched(
                    || solver_with(Variant::Default),
                    |mut s| {
                        build(&mut s, &c.graph);
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }

    pub fn warm(cr: &mut Criterion, cases: &[Case]) {
        let mut g = cr.benchmark_group("warm");
        for c in cases {
            configure(&mut g, c);
            g.bench_with_input(BenchmarkId::from_parameter(&c.name), c, |b, c| {
                b.iter_batched(
                    || {
                        let mut s = solver();
                        build(&mut s, &c.graph);
                        s
                    },
                    |mut s| {
                        build(&mut s, &c.graph);
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let cases = benches::cases();
    let mut c = criterion::Criterion::default().configure_from_args();
    benches::load(&mut c, &cases);
    benches::cold(&mut c, &cases);
    benches::cold_default(&mut c, &cases);
    benches::warm(&mut c, &cases);
    c.final_summary();
}

#[cfg(target_arch = "wasm32")]
fn main() {}
