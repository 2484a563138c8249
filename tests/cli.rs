//! The `llbsim inspect` command: outputs, stdin, and errors on stderr with exit code 1.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::llbsim;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");

#[test]
fn text_summary() {
    let (code, out, err) = llbsim(&["inspect", &format!("{CORPUS}/df-hack-lint.pb")], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("format:   binary pb.Definition (protobuf)"),
        "{out}"
    );
    assert!(out.contains("vertices: 24"), "{out}");
    assert!(
        out.contains("kinds:    exec:6, file:8, merge:6, source:4"),
        "{out}"
    );
    assert!(out.contains("edges:    29"), "{out}");
    assert!(out.contains("target:   sha256:"), "{out}");
}

#[test]
fn json_from_stdin_matches_the_documented_shape() {
    let bytes = std::fs::read(format!("{CORPUS}/df-dockerfile-frontend.json")).expect("read");
    let (code, out, err) = llbsim(&["inspect", "--format", "json", "-"], Some(&bytes));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["format"], "dump-llb");
    let vertices = v["vertices"].as_array().expect("vertices");
    assert_eq!(vertices.len(), 10);
    for vx in vertices {
        assert!(vx["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")));
        assert!(vx["name"].is_string() && vx["kind"].is_string());
        for i in vx["inputs"].as_array().expect("inputs") {
            assert!(i["digest"].is_string() && i["index"].is_i64());
        }
    }
    assert!(v["target"]["digest"].is_string() && v["target"]["index"].is_i64());
}

#[test]
fn dot_output() {
    let (code, out, _) = llbsim(
        &[
            "inspect",
            "--format",
            "dot",
            &format!("{CORPUS}/synth-lattice6.pb"),
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph {\n") && out.ends_with("}\n"));
    assert_eq!(out.matches(" -> ").count(), 61);
    assert!(
        out.contains("[label=\"/left\"]"),
        "lattice cells mount their left neighbour at /left"
    );
    assert!(out.contains("shape=\"ellipse\""));
}

#[test]
fn errors_go_to_stderr_with_exit_code_1() {
    let (code, out, err) = llbsim(&["inspect", "-"], Some(b""));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("failed to load LLB: invalid empty definition"),
        "{err}"
    );
    let (code, _, err) = llbsim(&["inspect", "/nonexistent/file.pb"], None);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/file.pb"), "{err}");
    let (code, _, err) = llbsim(&["inspect", "--format", "yaml", "x"], None);
    assert_eq!(code, 1);
    assert!(err.contains("unknown --format"), "{err}");
}

#[test]
fn solve_prints_a_table_and_then_a_warm_rebuild() {
    let (code, out, err) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/df-dockerfile-frontend.pb"),
            "--then",
            "warm",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let jobs: Vec<&str> = out.split("\n\n").filter(|s| !s.trim().is_empty()).collect();
    assert_eq!(jobs.len(), 2, "{out}");
    assert_eq!(
        jobs[0].matches("\ndone       ran").count(),
        10,
        "cold: everything runs\n{}",
        jobs[0]
    );
    assert_eq!(
        jobs[1].matches(" ran ").count(),
        0,
        "warm: nothing runs\n{}",
        jobs[1]
    );
    assert!(jobs[1].contains("cached     loaded"), "{}", jobs[1]);
    assert!(jobs[1].contains("cached     skipped"), "{}", jobs[1]);
}

#[test]
fn import_cache_loads_from_the_first_builds_cache() {
    let (code, out, err) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/df-dockerfile-frontend.pb"),
            "--then",
            "warm",
            "--import-cache",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let events = v["events"].as_array().cloned().unwrap_or_default();
    let from_registry = events
        .iter()
        .filter(|e| e["event"] == "load" && e["why"]["source"] == "registry")
        .count();
    assert_eq!(
        from_registry, 1,
        "the target is loaded from the imported cache"
    );
    let second_job_execs = events.iter().filter(|e| e["event"] == "exec_start").count();
    assert_eq!(second_job_execs, 10, "only the cold build's 10 execs");
}

#[test]
fn solve_with_a_failure_and_a_cancel() {
    let (code, out, _) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/synth-chain20.pb"),
            "--fail",
            "chain-9",
            "--variant",
            "plain",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("error: failed to solve: oracle stub: injected exec failure"),
        "{out}"
    );
    assert!(
        out.contains("pending    none"),
        "descendants never start\n{out}"
    );
    let (_, out, _) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/synth-chain20.pb"),
            "--cancel-at",
            "12ms",
            "--variant",
            "plain",
        ],
        None,
    );
    assert!(
        out.contains("error: failed to solve: context canceled"),
        "{out}"
    );
    assert!(out.contains("canceled"), "{out}");
    let (code, _, err) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/synth-chain20.pb"),
            "--fail",
            "echo",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("matches 20 vertices"), "{err}");
}

#[test]
fn solve_json_is_the_event_log() {
    let (code, out, _) = llbsim(
        &[
            "solve",
            &format!("{CORPUS}/synth-fanin16.pb"),
            "--format",
            "json",
            "--seed",
            "3",
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let events = v["events"].as_array().expect("events");
    assert_eq!(
        events.iter().filter(|e| e["event"] == "exec_start").count(),
        18
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["time"].as_u64() <= w[1]["time"].as_u64()),
        "events in time order"
    );
    assert_eq!(v["jobs"][0]["outcome"]["error"], serde_json::Value::Null);
}

#[test]
fn oracle_prints_the_normalized_schema() {
    let (code, out, err) = llbsim(
        &[
            "oracle",
            &format!("{CORPUS}/df-dockerfile-frontend.pb"),
            "--variant",
            "plain",
            "--phase",
            "b_warm",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let ours: serde_json::Value = serde_json::from_str(&out).expect("json");
    let theirs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/oracle/plain/df-dockerfile-frontend/b_warm.norm.json"
        ))
        .expect("oracle"),
    )
    .expect("json");
    for (d, v) in theirs["vertices"].as_object().expect("vertices") {
        for f in [
            "cached",
            "cached_via",
            "started",
            "completed",
            "error",
            "exec_ran",
            "completion_events",
            "name",
            "inputs",
        ] {
            assert_eq!(ours["vertices"][d][f], v[f], "{d} {f}");
        }
    }
    assert_eq!(ours["result"], theirs["result"]);
    assert_eq!(ours["exec_ran"], theirs["exec_ran"]);
}

#[test]
fn parallelism_limits_how_many_ops_run_at_once() {
    // 16 independent 5 ms execs: unlimited they overlap, four at a time they take four rounds.
    let took = |extra: &[&str]| -> f64 {
        let mut args = vec![
            "solve",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/corpus/synth-fanin16.pb"
            ),
            "--variant",
            "plain",
        ];
        args.extend_from_slice(extra);
        let (code, out, _) = llbsim(&args, None);
        assert_eq!(code, 0);
        let line = out
            .lines()
            .find(|l| l.starts_with("done in "))
            .expect("done line");
        line.trim_start_matches("done in ")
            .trim_end_matches('s')
            .parse()
            .expect("seconds")
    };
    let free = took(&[]);
    let four = took(&["--parallelism", "4"]);
    assert!(
        (free - 0.015).abs() < 1e-9,
        "source, 16 parallel execs, merge: {free}"
    );
    assert!(
        (four - 0.030).abs() < 1e-9,
        "source, 4 rounds of 4, merge: {four}"
    );
}

#[test]
fn progress_modes_follow_buildctl() {
    let file = format!("{CORPUS}/synth-chain20.pb");
    // rawjson: one SolveStatus per line on stdout, read back by our reader.
    let (code, out, _) = llbsim(
        &[
            "solve",
            &file,
            "--variant",
            "plain",
            "--progress",
            "rawjson",
        ],
        None,
    );
    assert_eq!(code, 0);
    let msgs = llbsim::progress::rawjson::read(&out).expect("rawjson reads");
    assert!(msgs.len() > 2);
    assert!(out
        .lines()
        .all(|l| l.starts_with("{\"vertexes\":") || l.starts_with("{\"logs\":")));
    // plain: on stderr, stdout stays clean.
    let (code, out, err) = llbsim(
        &["solve", &file, "--variant", "plain", "--progress=plain"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(out, "");
    assert!(
        err.starts_with("#1 docker-image://docker.io/library/busybox:latest\n"),
        "{err}"
    );
    assert_eq!(err.matches(" DONE ").count(), 21, "{err}");
    // A bad mode is refused with buildctl's words.
    let (code, _, err) = llbsim(&["solve", &file, "--progress", "fancy"], None);
    assert_eq!(code, 1);
    assert!(err.contains("invalid progress mode fancy"), "{err}");
}

#[test]
fn trace_appends_rawjson_and_replay_reprints_it() {
    let dir = std::env::temp_dir().join(format!("llbsim-trace-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let trace = dir.join("trace.jsonl");
    let _ = std::fs::remove_file(&trace);
    let file = format!("{CORPUS}/synth-chain20.pb");
    let t = trace.to_string_lossy().to_string();
    let (code, table, _) = llbsim(&["solve", &file, "--variant", "plain", "--trace", &t], None);
    assert_eq!(code, 0);
    assert!(
        table.contains("STATE"),
        "no --progress: the table on stdout"
    );
    let (code, replayed, _) = llbsim(&["replay", &t], None);
    assert_eq!(code, 0);
    let (_, _, direct) = llbsim(
        &["solve", &file, "--variant", "plain", "--progress", "plain"],
        None,
    );
    assert_eq!(
        replayed, direct,
        "replaying the trace prints what the solve printed"
    );
    let (code, joined, _) = llbsim(&["replay", &t, "--definition", &file], None);
    assert_eq!(code, 0);
    assert!(
        joined.starts_with("21 of 21 vertices matched (21 by digest, 0 by name)"),
        "{joined}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scenarios_print_tables_or_the_run_report() {
    let file = format!("{CORPUS}/df-dockerfile-frontend.pb");
    let (code, out, err) = llbsim(
        &["solve", &file, "--scenario", "warm", "--format", "json"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["label"], "warm rebuild");
    let rows = v["jobs"][0]["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["action"] != "ran"));
    let (code, out, _) = llbsim(&["solve", &file, "--scenario", "cancel-shared"], None);
    assert_eq!(code, 0);
    assert!(
        out.contains("job job0") && out.contains("job job1"),
        "{out}"
    );
    assert!(
        out.contains("error: failed to solve: context canceled"),
        "{out}"
    );
    let (code, _, err) = llbsim(&["solve", &file, "--scenario", "lukewarm"], None);
    assert_eq!(code, 1);
    assert!(err.contains("unknown scenario \"lukewarm\""), "{err}");
}

#[test]
fn oracle_progress_prints_the_simulated_stream() {
    let file = format!("{CORPUS}/synth-chain20.pb");
    let (code, out, err) = llbsim(
        &[
            "oracle",
            &file,
            "--variant",
            "plain",
            "--phase",
            "d_fail",
            "--progress",
            "rawjson",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let msgs = llbsim::progress::rawjson::read(&out).expect("reads");
    let failed: Vec<_> = msgs
        .iter()
        .flat_map(|m| &m.vertexes)
        .filter(|v| v.error == llbsim::solver::ops::INJECTED_FAILURE)
        .collect();
    assert!(!failed.is_empty());
    assert!(
        err.contains("error: failed to solve: oracle stub: injected exec failure"),
        "{err}"
    );
}

#[test]
fn replay_joins_a_plain_text_log_by_name() {
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/oracle/plain/synth-chain20/d_fail.plain.txt"
    );
    let def = format!("{CORPUS}/synth-chain20.pb");
    let (code, out, err) = llbsim(&["replay", log, "--definition", &def], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("11 of 21 vertices matched (0 by digest, 11 by name)"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("failed") && l.contains("echo chain-9")),
        "{out}"
    );
    let (code, _, err) = llbsim(&["replay", log], None);
    assert_eq!(code, 1);
    assert!(err.contains("plain-text progress log"), "{err}");
}

/// In synth-chain20's content-variant trace job1 won the race to the solver: with
/// `--first-job 1` the CLI reproduces that run, with the default it gives the other outcome.
#[test]
fn oracle_first_job_picks_who_wins_the_race() {
    let run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "oracle",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/corpus/synth-chain20.pb"
            ),
            "--variant",
            "content",
            "--phase",
            "f_job0",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = llbsim(&args, None);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).expect("json")
    };
    let theirs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/oracle/content/synth-chain20/f_job0.norm.json"
        ))
        .expect("oracle"),
    )
    .expect("json");
    let same = |ours: &serde_json::Value| {
        theirs["vertices"]
            .as_object()
            .expect("vertices")
            .iter()
            .all(|(d, v)| {
                ["cached", "started", "completed", "error", "exec_ran"]
                    .iter()
                    .all(|f| ours["vertices"][d][f] == v[*f])
            })
    };
    assert!(same(&run(&["--first-job", "1"])));
    assert!(!same(&run(&[])));
    // A seeded interleaving is accepted and repeatable; nonsense is refused.
    let a = run(&["--interleaving", "3"]);
    assert_eq!(a, run(&["--interleaving", "3"]));
    let (code, _, err) = llbsim(
        &[
            "solve",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/corpus/synth-chain20.pb"
            ),
            "--interleaving",
            "soon",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("--interleaving \"soon\""), "{err}");
}

/// `oracle --write-mutated` writes the definition phases c and f build: the same graph as the
/// oracle's own mutated.pb (its metadata may be in another order, so compare the loaded graphs).
#[test]
fn oracle_writes_the_mutated_definition() {
    let dir = std::env::temp_dir().join(format!("llbsim-mutated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("mutated.pb");
    let out_s = out.to_string_lossy().into_owned();
    let (code, _, err) = llbsim(
        &[
            "oracle",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/corpus/synth-fanin16.pb"
            ),
            "--variant",
            "plain",
            "--phase",
            "a_cold",
            "--write-mutated",
            &out_s,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let summary = |path: &str| {
        let (code, out, err) = llbsim(&["inspect", "--format", "json", path], None);
        assert_eq!(code, 0, "{err}");
        out
    };
    assert_eq!(
        summary(&out_s),
        summary(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/oracle/plain/synth-fanin16/mutated.pb"
        ))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
