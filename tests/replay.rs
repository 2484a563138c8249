//! Replaying real runs: every oracle stream merged per vertex agrees with the oracle's normalized
//! form, joins its definition by digest, and the plain-text transcripts of the same runs join the
//! definition by name and say the same about every vertex they print.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use serde_json::Value;

use llbsim::progress::rawjson;
use llbsim::progress::replay::{join, read_plain, MatchedBy, Run, VertexState};
use llbsim::{load_bytes, Graph, LoadOptions};

mod common;
use common::testdata;

/// Every (variant, definition, phase) the oracle has a `.rawjson` for.
fn phases() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for variant in ["plain", "content"] {
        let vdir = testdata().join("oracle").join(variant);
        for d in std::fs::read_dir(&vdir).expect("variant dir") {
            let def = d.expect("entry").file_name().to_string_lossy().into_owned();
            for f in std::fs::read_dir(vdir.join(&def)).expect("def dir") {
                let name = f.expect("entry").file_name().to_string_lossy().into_owned();
                if let Some(phase) = name.strip_suffix(".rawjson") {
                    out.push((variant.to_string(), def.clone(), phase.to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

fn phase_file(variant: &str, def: &str, phase: &str, ext: &str) -> PathBuf {
    testdata()
        .join("oracle")
        .join(variant)
        .join(def)
        .join(format!("{phase}.{ext}"))
}

fn graph_for(variant: &str, def: &str, phase: &str) -> Graph {
    let path = if matches!(phase, "c_mutated" | "f_job1") {
        testdata()
            .join("oracle")
            .join(variant)
            .join(def)
            .join("mutated.pb")
    } else {
        testdata().join("corpus").join(format!("{def}.pb"))
    };
    let bytes = std::fs::read(&path).expect("definition");
    load_bytes(&bytes, &LoadOptions::default()).expect("loads")
}

fn run_of(variant: &str, def: &str, phase: &str) -> Run {
    let text = std::fs::read_to_string(phase_file(variant, def, phase, "rawjson")).expect("read");
    Run::new(&rawjson::read(&text).expect("rawjson"))
}

#[test]
fn runs_agree_with_the_normalized_oracle() {
    let all = phases();
    assert!(all.len() >= 68, "{} phases", all.len());
    let mut states = [0usize; 6];
    for (variant, def, phase) in &all {
        let at = format!("{variant}/{def}/{phase}");
        let run = run_of(variant, def, phase);
        let norm: Value = serde_json::from_str(
            &std::fs::read_to_string(phase_file(variant, def, phase, "norm.json")).expect("norm"),
        )
        .expect("norm json");
        let vertices = norm["vertices"].as_object().expect("vertices");
        assert_eq!(run.len(), vertices.len(), "{at}: vertex count");
        for (digest, want) in vertices {
            let v = run
                .get(digest)
                .unwrap_or_else(|| panic!("{at}: {digest} missing"));
            assert_eq!(Some(v.name()), want["name"].as_str(), "{at}: {digest} name");
            assert_eq!(
                Some(v.cached()),
                want["cached"].as_bool(),
                "{at}: {digest} cached"
            );
            assert_eq!(
                Some(v.error()),
                want["error"].as_str(),
                "{at}: {digest} error"
            );
            assert_eq!(
                Some(v.started()),
                want["started"].as_bool(),
                "{at}: {digest} started"
            );
            assert_eq!(
                Some(v.completed()),
                want["completed"].as_bool(),
                "{at}: {digest} completed"
            );
            let inputs: Vec<&str> = want["inputs"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let got: Vec<&str> = v.record.inputs.iter().map(String::as_str).collect();
            assert_eq!(got, inputs, "{at}: {digest} inputs");
            let state = v.state();
            states[state as usize] += 1;
            if want["error"]
                .as_str()
                .is_some_and(|e| e.ends_with("context canceled"))
            {
                assert_eq!(state, VertexState::Canceled, "{at}: {digest}");
            }
        }
        assert!(run.first <= run.last, "{at}: times");
        assert!(run.span() >= 0);
        assert_eq!(run.messages, {
            let text = std::fs::read_to_string(phase_file(variant, def, phase, "rawjson"));
            text.map_or(0, |t| t.lines().count())
        });
    }
    // The oracle covers every end state but `Running`.
    let [pending, running, done, cached, failed, canceled] = states;
    assert!(pending > 0 && done > 0 && cached > 0 && failed > 0 && canceled > 0);
    assert_eq!(running, 0, "a vertex left running");
}

#[test]
fn runs_join_their_definition_by_digest() {
    let mut extra_total = 0;
    for (variant, def, phase) in phases() {
        let at = format!("{variant}/{def}/{phase}");
        let run = run_of(&variant, &def, &phase);
        let graph = graph_for(&variant, &def, &phase);
        let joined = join(&run, &graph);
        assert!(
            joined.missing.is_empty(),
            "{at}: missing {:?}",
            joined.missing
        );
        assert_eq!(joined.matched.len(), graph.len(), "{at}");
        assert_eq!(joined.count(MatchedBy::Digest), graph.len(), "{at}");
        for j in &joined.matched {
            assert_eq!(
                run.vertices[j.run].digest,
                graph.vertex(j.graph).digest.as_str(),
                "{at}"
            );
            assert_eq!(
                run.vertices[j.run].name(),
                graph.vertex(j.graph).name,
                "{at}"
            );
        }
        assert_eq!(joined.extra.len(), run.len() - graph.len(), "{at}");
        extra_total += joined.extra.len();
    }
    // Concurrent jobs in the content variant see each other's vertices (facts: solver merge).
    assert!(extra_total > 0);
}

#[test]
fn a_wrong_definition_does_not_join() {
    let run = run_of("plain", "synth-chain20", "c_mutated");
    // The original definition: the mutated source and everything after it have new digests,
    // but the same names, so they are matched by name.
    let graph = load_bytes(
        &std::fs::read(testdata().join("corpus/synth-chain20.pb")).expect("pb"),
        &LoadOptions::default(),
    )
    .expect("loads");
    let joined = join(&run, &graph);
    assert!(joined.count(MatchedBy::Name) > 0);
    assert!(joined.count(MatchedBy::Digest) < graph.len());
    assert!(joined.missing.is_empty());
    // A definition with other names and digests matches nothing.
    let other = load_bytes(
        &std::fs::read(testdata().join("corpus/synth-fanin16.pb")).expect("pb"),
        &LoadOptions::default(),
    )
    .expect("loads");
    let j = join(&run, &other);
    assert_eq!(j.count(MatchedBy::Digest), 0);
    assert_eq!(j.extra.len() + j.matched.len(), run.len());
}

fn secs(ns: i64) -> String {
    format!("{:.1}", ns as f64 / 1e9)
}

/// The plain transcript of a phase against its rawjson stream, through the graph.
fn check_plain(variant: &str, def: &str, phase: &str, file: &str) -> (usize, usize) {
    let at = format!("{variant}/{def}/{phase}.{file}");
    let text = std::fs::read_to_string(phase_file(variant, def, phase, file)).expect("plain");
    let plain = read_plain(&text).expect("reads");
    assert!(plain.notes.is_empty(), "{at}: {:?}", plain.notes);
    let run = run_of(variant, def, phase);
    let graph = graph_for(variant, def, phase);
    // Every printed vertex is a vertex of the stream that started, in the same end state; and
    // every vertex of the stream that started is printed.
    let mut failed = 0;
    for printed in &plain.vertices {
        let same = run.vertices.iter().any(|real| {
            real.name() == printed.name()
                && real.state() == printed.state()
                && (printed.state() != VertexState::Done
                    || secs(printed.duration()) == secs(real.duration()))
                && (printed.state() != VertexState::Failed || printed.error() == real.error())
        });
        assert!(same, "{at}: {} {:?}", printed.name(), printed.state());
        if printed.state() == VertexState::Failed {
            failed += 1;
        }
    }
    let started = run.vertices.iter().filter(|v| v.started()).count();
    assert_eq!(plain.len(), started, "{at}: printed vertices");

    let by_name = join(&plain, &graph);
    let by_digest = join(&run, &graph);
    assert_eq!(by_name.count(MatchedBy::Digest), 0, "{at}");
    // Concurrent jobs in the content variant print the other job's vertices too, under the same
    // names as their own: joining by name cannot tell them apart.
    if variant == "content" && phase.starts_with('f') {
        return (by_name.matched.len(), failed);
    }
    assert!(by_name.extra.is_empty(), "{at}: extra {:?}", by_name.extra);
    for (g, v) in graph.vertices().iter().enumerate() {
        let id = llbsim::VertexId(g as u32);
        let real = &run.vertices[by_digest.run_of(id).expect("joined by digest")];
        match by_name.run_of(id) {
            Some(p) => {
                let printed = &plain.vertices[p];
                assert_eq!(printed.name(), v.name, "{at}");
                assert_eq!(printed.state(), real.state(), "{at}: {}", v.name);
            }
            // Only vertices that never started are left out of a plain transcript.
            None => assert_eq!(real.state(), VertexState::Pending, "{at}: {}", v.name),
        }
    }
    // One error block per failed vertex, naming it.
    assert_eq!(plain.error_blocks.len(), failed, "{at}");
    for b in &plain.error_blocks {
        assert!(
            plain.vertices.iter().any(|v| v.name() == b.name),
            "{at}: {}",
            b.name
        );
    }
    (by_name.matched.len(), failed)
}

#[test]
fn plain_transcripts_join_by_name() {
    let (matched, failed) = check_plain("plain", "synth-chain20", "a_cold", "plain.txt");
    assert_eq!((matched, failed), (21, 0));
    let text = std::fs::read_to_string(phase_file("plain", "synth-chain20", "a_cold", "plain.txt"))
        .expect("plain");
    let plain = read_plain(&text).expect("reads");
    assert_eq!(plain.len(), 21);
    assert!(plain
        .vertices
        .iter()
        .all(|v| v.state() == VertexState::Done));

    let (matched, failed) = check_plain("plain", "synth-chain20", "d_fail", "plain.txt");
    assert_eq!((matched, failed), (11, 1));
    let text = std::fs::read_to_string(phase_file("plain", "synth-chain20", "d_fail", "plain.txt"))
        .expect("plain");
    let plain = read_plain(&text).expect("reads");
    let bad = plain.get("#11").expect("#11");
    assert_eq!(bad.name(), "echo chain-9");
    assert_eq!(bad.error(), "oracle stub: injected exec failure");
    assert_eq!(plain.error_blocks.len(), 1);
    assert_eq!(plain.error_blocks[0].name, "echo chain-9");

    let (_, failed) = check_plain("plain", "synth-fanin16", "d_fail_longsib", "plain.txt");
    assert_eq!(failed, 1);
}

#[test]
fn every_plain_transcript_agrees_with_its_stream() {
    let mut files = 0;
    for (variant, def, phase) in phases() {
        for ext in ["plain.txt", "plain-each.txt"] {
            if phase_file(&variant, &def, &phase, ext).exists() {
                check_plain(&variant, &def, &phase, ext);
                files += 1;
            }
        }
    }
    assert!(files >= 136, "{files} transcripts");
}

#[test]
fn plain_reader_takes_any_prefix() {
    let text = std::fs::read_to_string(phase_file(
        "plain",
        "df-dockerfile-frontend",
        "e_cancel_shared_job1",
        "plain-each.txt",
    ))
    .expect("plain");
    for cut in (0..text.len())
        .filter(|c| text.is_char_boundary(*c))
        .step_by(3)
    {
        let prefix = &text[..cut];
        match read_plain(prefix) {
            Ok(run) => assert!(!run.is_empty() || prefix.trim().is_empty()),
            Err(e) => assert!(!prefix.contains("\n#") && !prefix.starts_with('#'), "{e}"),
        }
    }
}
