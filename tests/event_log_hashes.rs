//! Event-log snapshots: for every corpus definition and a few generated graphs, under the plain,
//! content and default stubs, every oracle phase (in start order and under seeded timing noise)
//! and a cold + warm build with a cache source, the SHA-256 (first 16 hex digits) of the full event log (serialized
//! with serde_json). They must equal the hashes kept in `testdata/event-log-hashes.txt`.
//!
//! The snapshot guards refactors and optimisations of the solver that must not change behaviour.
//! A change that is meant to change what the solver does (an op model, a BuildKit rule) updates
//! the file: `LLBSIM_BLESS=1 cargo test --release --test event_log_hashes`.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::PathBuf;

use llbsim::oracle::{run_phase_with, Races, PHASES};
use llbsim::solver::{Interleaving, JobOptions, Solver, StubOps, Variant};
use llbsim::{llb, load_bytes, testutil, Digest, Graph, LoadOptions};

mod common;

fn hashes_file() -> PathBuf {
    common::testdata().join("event-log-hashes.txt")
}

fn log_hash(s: &Solver) -> String {
    let text = serde_json::to_string(s.events()).expect("the event log serializes");
    // 64 bits of the digest are plenty to tell logs apart and keep the file small.
    Digest::of(text.as_bytes()).to_string()[7..23].to_string()
}

/// (name, definition bytes): the corpus, then generated shapes.
fn definitions() -> Vec<(String, Vec<u8>)> {
    let dir = common::testdata().join("corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the corpus")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".pb").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut out: Vec<(String, Vec<u8>)> = names
        .into_iter()
        .map(|n| {
            let bytes = common::corpus_bytes(&n);
            (n, bytes)
        })
        .collect();
    out.push(("gen-fanin300".into(), testutil::fanin(300)));
    out.push(("gen-chain300".into(), testutil::synth_chain(300)));
    out.push(("gen-lattice12".into(), testutil::lattice(12)));
    out
}

/// Cold, snapshot as a cache source, clear, then a build from the source and a warm one.
fn with_source(g: &Graph, variant: Variant) -> String {
    let mut s = Solver::new(StubOps::new(variant), 0);
    s.submit("cold", g, JobOptions::default(), 0);
    s.run();
    let registry = s.snapshot_cache("registry");
    s.clear_cache();
    let opts = JobOptions {
        cache_from: vec![registry],
        ..JobOptions::default()
    };
    s.submit("from-source", g, opts, s.now());
    s.run();
    s.submit("warm", g, JobOptions::default(), s.now());
    s.run();
    log_hash(&s)
}

fn current() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, bytes) in definitions() {
        let (_, def) = llb::read(&bytes).expect("reads");
        let g = load_bytes(&bytes, &LoadOptions::default()).expect("loads");
        let big = g.len() > 1_500;
        for (vname, variant) in [
            ("plain", Variant::Plain),
            ("content", Variant::Content),
            ("default", Variant::Default),
        ] {
            let interleavings: &[(&str, Interleaving)] = if big {
                &[("start", Interleaving::StartOrder)]
            } else {
                &[
                    ("start", Interleaving::StartOrder),
                    ("seeded7", Interleaving::Seeded(7)),
                ]
            };
            for &(iname, interleaving) in interleavings {
                for phase in PHASES {
                    if big && !matches!(*phase, "b_warm" | "c_mutated" | "e_cancel") {
                        continue;
                    }
                    let races = Races {
                        interleaving,
                        ..Races::default()
                    };
                    let h = match run_phase_with(&def, &g, variant, phase, races) {
                        Ok(run) => log_hash(&run.solver),
                        Err(e) => format!("error: {e}").replace(['\t', '\n'], " "),
                    };
                    out.insert(format!("{name} {vname} {iname} {phase}"), h);
                }
            }
            out.insert(
                format!("{name} {vname} start cache-source"),
                with_source(&g, variant),
            );
        }
    }
    out
}

#[test]
fn event_logs_match_the_snapshot() {
    let now = current();
    let path = hashes_file();
    if std::env::var_os("LLBSIM_BLESS").is_some() {
        let text: String = now.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
        std::fs::write(&path, text).expect("writes the snapshot");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let kept: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('\t')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect();
    let mut diffs = Vec::new();
    for (k, v) in &now {
        match kept.get(k) {
            Some(w) if w == v => {}
            Some(_) => diffs.push(format!("changed: {k}")),
            None => diffs.push(format!("new: {k}")),
        }
    }
    for k in kept.keys().filter(|k| !now.contains_key(*k)) {
        diffs.push(format!("gone: {k}"));
    }
    assert!(
        diffs.is_empty(),
        "{} of {} event logs differ from the snapshot:\n{}",
        diffs.len(),
        now.len(),
        diffs.join("\n")
    );
}
