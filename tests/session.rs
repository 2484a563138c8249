//! Sessions: the named scenarios the page links to, and builds on a kept cache.
#![cfg(not(target_arch = "wasm32"))]

use llbsim::session::{open, BuildOptions, Scenario};
use llbsim::solver::Variant;

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/corpus/{name}.pb",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("pb")
}

fn count(run: &llbsim::session::RunReport, job: usize, action: &str) -> usize {
    run.jobs[job]
        .rows
        .iter()
        .filter(|r| r.action == action)
        .count()
}

#[test]
fn every_scenario_runs_on_every_corpus_definition() {
    for name in [
        "df-dockerfile-frontend",
        "df-buildkit",
        "synth-chain20",
        "synth-fanin16",
    ] {
        for variant in [Variant::Default, Variant::Plain] {
            let mut s = open(&bytes(name), variant, 1).expect("opens");
            for sc in Scenario::ALL {
                let run = s.scenario(sc).expect("runs");
                let jobs = run.jobs.len();
                match sc {
                    Scenario::CancelShared | Scenario::Concurrent => assert_eq!(jobs, 2),
                    _ => assert_eq!(jobs, 1),
                }
                let o = run.jobs[jobs - 1].outcome.clone().expect("finished");
                match sc {
                    Scenario::Cold | Scenario::Warm | Scenario::Mutated | Scenario::Concurrent => {
                        assert_eq!(o.error, None, "{name} {sc:?}")
                    }
                    Scenario::Fail => assert!(o.error.is_some()),
                    Scenario::Cancel | Scenario::CancelShared => {
                        assert_eq!(
                            o.error.as_deref(),
                            Some("context canceled"),
                            "{name} {sc:?}"
                        )
                    }
                }
                if sc == Scenario::Warm {
                    assert_eq!(count(&run, 0, "ran"), 0, "{name}: warm runs nothing");
                }
                if sc == Scenario::CancelShared {
                    let last = run.jobs[1].messages.last().expect("messages");
                    assert!(last.encore, "{name}: job1 ends with the encore");
                    assert_eq!(
                        run.jobs[0].outcome.as_ref().and_then(|o| o.error.clone()),
                        None
                    );
                }
                assert_eq!(run.jobs[0].digests.len(), s.graph().len());
            }
        }
    }
}

#[test]
fn builds_keep_the_cache_and_a_changed_source_reruns_its_descendants() {
    let mut s = open(&bytes("df-dockerfile-frontend"), Variant::Plain, 0).expect("opens");
    let cold = s.build("cold", &BuildOptions::default()).expect("cold");
    let ran = count(&cold, 0, "ran");
    assert!(ran > 0);
    let warm = s.build("warm", &BuildOptions::default()).expect("warm");
    assert_eq!(count(&warm, 0, "ran"), 0);
    let nocache = s
        .build(
            "no cache",
            &BuildOptions {
                no_cache: true,
                ..BuildOptions::default()
            },
        )
        .expect("no cache");
    assert_eq!(count(&nocache, 0, "ran"), s.graph().len());
    // Change a source with consumers: it and its descendants get new digests and run.
    let g = s.graph().clone();
    let src = llbsim::oracle::mutated_source(&g).expect("a source");
    let descendants = g.descendants(src).iter().filter(|b| **b).count();
    let d = g.vertex(src).digest.clone();
    let changed = s
        .build(
            "changed",
            &BuildOptions {
                change_source: Some(d.clone()),
                ..BuildOptions::default()
            },
        )
        .expect("changed");
    assert_eq!(count(&changed, 0, "ran"), descendants + 1);
    assert!(!changed.jobs[0].digests.contains(&d.to_string()));
    // The change is kept: building again is warm.
    let again = s.build("again", &BuildOptions::default()).expect("again");
    assert_eq!(count(&again, 0, "ran"), 0);
    // Clearing the cache makes it cold.
    s.clear_cache();
    let cleared = s
        .build("cleared", &BuildOptions::default())
        .expect("cleared");
    assert_eq!(count(&cleared, 0, "ran"), ran);
    // Not a source: an error that says so.
    let not_source = g.vertex(g.target().vertex).digest.clone();
    let err = s
        .build(
            "bad",
            &BuildOptions {
                change_source: Some(not_source),
                ..BuildOptions::default()
            },
        )
        .expect_err("refused");
    assert!(err.0.contains("is not a source"), "{err}");
}

#[test]
fn scenarios_are_deterministic() {
    let run = |sc| {
        let mut s = open(&bytes("df-buildkit"), Variant::Default, 9).expect("opens");
        serde_json::to_string(&s.scenario(sc).expect("runs")).expect("json")
    };
    for sc in Scenario::ALL {
        assert_eq!(run(sc), run(sc), "{sc:?}");
    }
}

#[test]
fn spans_say_what_each_interval_was() {
    let mut s = open(&bytes("df-dockerfile-frontend"), Variant::Plain, 0).expect("opens");
    let kinds = |run: &llbsim::session::RunReport, k: &str| {
        run.jobs[0].spans.iter().filter(|x| x.kind == k).count()
    };
    let cold = s.scenario(Scenario::Cold).expect("cold");
    assert_eq!(kinds(&cold, "exec"), count(&cold, 0, "ran"));
    let roots = s
        .graph()
        .vertices()
        .iter()
        .filter(|v| v.inputs.is_empty())
        .count();
    assert_eq!(kinds(&cold, "cache-key"), roots);
    assert_eq!(kinds(&cold, "inferred") + kinds(&cold, "load"), 0);
    for sp in &cold.jobs[0].spans {
        assert!(sp.end.is_some_and(|e| e >= sp.start));
    }
    let warm = s.scenario(Scenario::Warm).expect("warm");
    assert_eq!(kinds(&warm, "exec"), 0);
    assert_eq!(kinds(&warm, "load"), count(&warm, 0, "loaded"));
    assert_eq!(kinds(&warm, "inferred"), count(&warm, 0, "skipped"));
    let shared = s.scenario(Scenario::CancelShared).expect("cancel-shared");
    assert!(shared.jobs[1]
        .spans
        .iter()
        .any(|sp| sp.encore && sp.error == "context canceled"));
}

#[test]
fn plain_passes_follow_the_messages_and_show_the_encore() {
    let mut s = open(&bytes("df-dockerfile-frontend"), Variant::Plain, 0).expect("opens");
    let run = s.scenario(Scenario::CancelShared).expect("runs");
    for j in &run.jobs {
        assert_eq!(j.plain.len(), j.messages.len() + 1);
    }
    let text = run.jobs[1].plain.concat();
    let canceled: Vec<&str> = text.lines().filter(|l| l.ends_with(" CANCELED")).collect();
    let encore = run.jobs[1].messages.last().expect("encore");
    assert!(encore.encore);
    assert!(!canceled.is_empty());
    // The encore's vertex is printed CANCELED.
    let name = &encore.status.vertexes[0].name;
    let tag = text
        .lines()
        .find_map(|l| l.strip_suffix(&format!(" {name}")))
        .expect("header");
    assert!(
        canceled.contains(&format!("{tag} CANCELED").as_str()),
        "{text}"
    );
}
