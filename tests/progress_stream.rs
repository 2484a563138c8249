//! A job's `client.SolveStatus` messages made from the event log: vertex records, logs in the
//! message of their instant, the encore last, and buildctl's time reset.
#![cfg(not(target_arch = "wasm32"))]

use llbsim::progress::stream::{reset_time, statuses};
use llbsim::progress::{Timestamp, VIRTUAL_EPOCH};
use llbsim::solver::{CancelAt, JobOptions, Solver, StubOps, Variant, MS};

mod common;
use common::corpus_graph as graph;

#[test]
fn messages_carry_vertices_and_logs_in_time_order() {
    let g = graph("df-dockerfile-frontend");
    let mut s = Solver::new(StubOps::new(Variant::Default), 7);
    let j = s.submit("build", &g, JobOptions::default(), 0);
    s.run();
    let closed = s.outcome(j).map(|o| o.finished).unwrap_or_default();
    let msgs = statuses(s.events(), j, closed);
    assert!(!msgs.is_empty());
    assert!(
        msgs.windows(2).all(|w| w[0].time < w[1].time),
        "one message per instant"
    );
    let logs: usize = msgs.iter().map(|m| m.status.logs.len()).sum();
    assert!(logs > 0, "the default stub's execs write lines");
    for m in &msgs {
        for l in &m.status.logs {
            assert_eq!(l.timestamp, Timestamp::virtual_at(m.time));
            assert!(l.data.ends_with(b"\n"));
            assert!(g
                .vertices()
                .iter()
                .any(|v| v.digest.to_string() == l.vertex));
        }
        assert!(!m.encore, "a finished build has no encore");
    }
    // Every vertex of the definition is registered.
    for v in g.vertices() {
        let d = v.digest.to_string();
        assert!(msgs
            .iter()
            .any(|m| m.status.vertexes.iter().any(|x| x.digest == d)));
    }
}

#[test]
fn the_encore_comes_last() {
    // Two jobs share a long vertex; only job1 is cancelled: its stream ends with the encore.
    let g = graph("synth-chain20");
    let mut ops = StubOps::new(Variant::Plain);
    let long = g.vertices()[g.len() / 2].digest.clone();
    ops.long.insert(long.clone(), 1000 * MS);
    let mut s = Solver::new(ops, 0);
    let _j0 = s.submit("job0", &g, JobOptions::default(), 0);
    let j1 = s.submit(
        "job1",
        &g,
        JobOptions {
            cancel: Some(CancelAt::AfterExecStart(long.clone(), 200 * MS)),
            ..JobOptions::default()
        },
        0,
    );
    s.run();
    let closed = s.outcome(j1).map(|o| o.finished).unwrap_or_default();
    let msgs = statuses(s.events(), j1, closed);
    let last = msgs.last().expect("messages");
    assert!(last.encore);
    assert!(msgs[..msgs.len() - 1].iter().all(|m| !m.encore));
    assert!(last
        .status
        .vertexes
        .iter()
        .any(|v| v.digest == long.to_string() && v.error == "context canceled"));
}

#[test]
fn reset_time_moves_the_first_start_to_the_client_start() {
    let g = graph("synth-chain20");
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    let start = 3000 * MS;
    let j = s.submit("build", &g, JobOptions::default(), start);
    s.run();
    let closed = s.outcome(j).map(|o| o.finished).unwrap_or_default();
    let mut msgs: Vec<_> = statuses(s.events(), j, closed)
        .into_iter()
        .map(|m| m.status)
        .collect();
    let before = msgs.clone();
    let client = VIRTUAL_EPOCH;
    reset_time(&mut msgs, client);
    let first = msgs
        .iter()
        .position(|m| m.vertexes.iter().any(|v| v.started.is_some()))
        .expect("a start");
    let last_started = msgs[first]
        .vertexes
        .iter()
        .rev()
        .find_map(|v| v.started)
        .expect("started");
    assert_eq!(last_started, client);
    let d = before[first]
        .vertexes
        .iter()
        .rev()
        .find_map(|v| v.started)
        .expect("started")
        .since(client);
    assert!(d > 0);
    assert_eq!(
        msgs[..first],
        before[..first],
        "earlier messages are untouched"
    );
    for (a, b) in msgs.iter().zip(&before).skip(first) {
        for (x, y) in a.vertexes.iter().zip(&b.vertexes) {
            assert_eq!(x.completed.map(|t| t.0 + d), y.completed.map(|t| t.0));
        }
    }
}

#[test]
fn sources_report_sub_statuses_like_buildkit() {
    let g = graph("df-dockerfile-frontend");
    let mut s = Solver::new(StubOps::new(Variant::Default), 3);
    let j = s.submit("build", &g, JobOptions::default(), 0);
    s.run();
    let closed = s.outcome(j).map(|o| o.finished).unwrap_or_default();
    let msgs = statuses(s.events(), j, closed);
    let all: Vec<_> = msgs.iter().flat_map(|m| &m.status.statuses).collect();
    let resolves = all
        .iter()
        .filter(|st| st.id.starts_with("resolve docker.io/") && st.completed.is_some())
        .count();
    let images = g
        .vertices()
        .iter()
        .filter(|v| v.name.contains(" FROM docker.io/"))
        .count();
    assert_eq!(resolves, images, "one resolve per image source");
    for m in &msgs {
        let mut ids: Vec<&str> = m.status.statuses.iter().map(|s| s.id.as_str()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "one record per status ID in a message");
        for st in &m.status.statuses {
            assert_eq!(st.timestamp, Timestamp::virtual_at(m.time));
            assert!(st.started.is_some());
            if st.completed.is_some() {
                assert_eq!(st.current, st.total);
            }
        }
    }
    // The plain printer shows them with sizes and "done".
    let client: Vec<_> = msgs.into_iter().map(|m| m.status).collect();
    let text = llbsim::progress::plain::render(&client, llbsim::progress::plain::PassMode::Each);
    assert!(
        text.contains(" resolve docker.io/library/golang:1.26-alpine3.23 "),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("MB / ") && l.ends_with(" done")),
        "{text}"
    );
    // The oracle's stubs report none.
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    let j = s.submit("build", &g, JobOptions::default(), 0);
    s.run();
    let closed = s.outcome(j).map(|o| o.finished).unwrap_or_default();
    assert!(statuses(s.events(), j, closed)
        .iter()
        .all(|m| m.status.statuses.is_empty() && m.status.logs.is_empty()));
}
