//! The oracle's real streams, replayed through our plain printer, against our own simulated
//! stream of the same phase, also printed: the same vertices come out with the same outcomes.
//!
//! What is masked, and why: `DONE x.ys` durations (real ops took real time); the `#N` numbers
//! (given in print order, which follows completion order, and vertices completing at the same
//! moment are printed in random order by BuildKit); and how often a block is reprinted with the
//! same outcome (a repeated record in another batch reprints the block; batch boundaries are
//! timing). Per vertex, the sequence of distinct outcome lines (`DONE`, `CACHED`, `ERROR: …`,
//! `CANCELED`) must be equal. For the `d_*` phases, where which siblings were in flight when the
//! failure hit is timing (oracle README), only the failed vertex's line and the set of printed
//! vertices must agree.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use llbsim::progress::{plain, rawjson, stream::client_stream, SolveStatus};
use llbsim::solver::Variant;

fn root() -> String {
    format!("{}/testdata", env!("CARGO_MANIFEST_DIR"))
}

/// Vertex name → the distinct outcome lines printed for it, in order.
fn outcomes(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut header_next = true;
    for line in text.lines() {
        if line.is_empty() {
            header_next = true;
            continue;
        }
        let Some((tag, rest)) = line.split_once(' ') else {
            continue;
        };
        if !tag.starts_with('#') || tag == "#0" {
            header_next = false;
            continue;
        }
        if header_next {
            names
                .entry(tag.to_string())
                .or_insert_with(|| rest.to_string());
            header_next = false;
            let name = names.get(tag).cloned().unwrap_or_default();
            out.entry(name).or_default();
            continue;
        }
        let outcome = if rest.starts_with("DONE") {
            "DONE".to_string()
        } else if rest == "CACHED" || rest == "CANCELED" || rest.starts_with("ERROR: ") {
            rest.to_string()
        } else {
            continue;
        };
        let name = names.get(tag).cloned().unwrap_or_default();
        let seq = out.entry(name).or_default();
        if seq.last() != Some(&outcome) {
            seq.push(outcome);
        }
    }
    out
}

fn simulated(variant: &str, def: &str, phase: &str) -> Vec<SolveStatus> {
    let bytes = std::fs::read(format!("{}/corpus/{def}.pb", root())).expect("pb");
    let (f, d) = llbsim::llb::read(&bytes).expect("reads");
    let g = llbsim::load::load(&d, f, &Default::default()).expect("loads");
    let v = Variant::parse(variant).expect("variant");
    let run = llbsim::oracle::run_phase(&d, &g, v, phase).expect("runs");
    let s = &run.solver;
    let closed = s.job_closed(run.job);
    let start = s.job_started(run.job).unwrap_or(run.start);
    client_stream(s.events(), run.job, start, closed)
}

#[test]
fn replayed_and_simulated_streams_print_the_same_outcomes() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for variant in ["plain", "content"] {
        for def in ["df-dockerfile-frontend", "synth-chain20", "synth-fanin16"] {
            for phase in llbsim::oracle::PHASES {
                let path = format!("{}/oracle/{variant}/{def}/{phase}.rawjson", root());
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue; // phases the oracle skipped (no long sibling in a chain)
                };
                let real = rawjson::read(&text).expect("oracle rawjson reads");
                let sim = simulated(variant, def, phase);
                let a = outcomes(&plain::render(&real, plain::PassMode::Each));
                let b = outcomes(&plain::render(&sim, plain::PassMode::Each));
                assert!(!a.is_empty());
                checked += 1;
                let ok = if phase.starts_with("d_") {
                    let failed = |m: &BTreeMap<String, Vec<String>>| -> BTreeSet<(String, String)> {
                        m.iter()
                            .flat_map(|(n, s)| {
                                s.iter()
                                    .filter(|l| l.starts_with("ERROR: "))
                                    .map(move |l| (n.clone(), l.clone()))
                            })
                            .collect()
                    };
                    let keys = |m: &BTreeMap<String, Vec<String>>| -> BTreeSet<String> {
                        m.keys().cloned().collect()
                    };
                    failed(&a) == failed(&b) && keys(&a) == keys(&b)
                } else {
                    a == b
                };
                if !ok {
                    failures.push(format!(
                        "{variant}/{def}/{phase}:\n real {a:?}\n  sim {b:?}"
                    ));
                }
            }
        }
    }
    assert_eq!(checked, 68, "every oracle phase was compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
