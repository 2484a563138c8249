//! The plain progress printer against real BuildKit: the oracle's `.plain.txt` /
//! `.plain-each.txt` goldens (made by BuildKit's own `progressui` from each `.rawjson`), the
//! hand-made transcripts of the facts brief (§5.7), and the printer's rules one by one.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use llbsim::progress::plain::{
    format_bytes, format_log_time, render, render_passes, status_throttled, PassMode, PlainOptions,
    PlainPrinter,
};
use llbsim::progress::status::{ProgressGroup, Vertex, VertexLog, VertexStatus, VertexWarning};
use llbsim::progress::{SolveStatus, Timestamp, VIRTUAL_EPOCH};

// ---------------------------------------------------------------------------------------------
// Goldens
// ---------------------------------------------------------------------------------------------

fn oracle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("oracle")
}

/// Every `<variant>/<def>/<phase>` that has a `.rawjson`, sorted.
fn phases() -> Vec<String> {
    let mut out = Vec::new();
    for variant in ["content", "plain"] {
        let vdir = oracle().join(variant);
        let Ok(defs) = std::fs::read_dir(&vdir) else {
            continue;
        };
        for d in defs.flatten() {
            let Ok(files) = std::fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if let Some(phase) = name.strip_suffix(".rawjson") {
                    out.push(format!(
                        "{variant}/{}/{phase}",
                        d.file_name().to_string_lossy()
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

fn read_stream(phase: &str) -> Vec<SolveStatus> {
    let text = std::fs::read_to_string(oracle().join(format!("{phase}.rawjson")))
        .unwrap_or_else(|e| panic!("{phase}.rawjson: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<SolveStatus>(l).unwrap_or_else(|e| panic!("{phase}: {e}")))
        .collect()
}

/// `plain_determinism.tsv`: (file, mode) → distinct outputs in 30 runs of real BuildKit.
fn determinism() -> BTreeMap<(String, String), u32> {
    let text = std::fs::read_to_string(oracle().join("plain_determinism.tsv")).expect("tsv");
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        if let [file, mode, _, _, distinct, ..] = f.as_slice() {
            let phase = file.trim_end_matches(".rawjson").to_string();
            out.insert((phase, mode.to_string()), distinct.parse().unwrap_or(0));
        }
    }
    out
}

/// Our output split into print passes (the error summary is its own last "pass"), plus, for
/// each pass, how many stream messages had been read when it was printed.
fn our_passes(statuses: &[SolveStatus], mode: PassMode) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let final_pass = match mode {
        PassMode::Each => {
            let passes = render_passes(statuses);
            let n = passes.len();
            for (i, p) in passes.into_iter().enumerate() {
                if i + 1 < n {
                    out.push((p, i + 1));
                } else {
                    out.push((p, statuses.len()));
                }
            }
            out.pop().map(|(p, _)| p).unwrap_or_default()
        }
        PassMode::FirstThenDone => {
            let mut p = PlainPrinter::new(PlainOptions::default());
            for (i, s) in statuses.iter().enumerate() {
                p.update(s);
                if i == 0 {
                    out.push((p.print_pass(), 1));
                }
            }
            p.done()
        }
    };
    // done() = a refresh, then the summary; the summary is the first line that is `------`
    // (block lines all start with `#` and blocks are separated by empty lines).
    let lines: Vec<&str> = final_pass.split_inclusive('\n').collect();
    let cut = lines
        .iter()
        .position(|l| *l == "------\n")
        .unwrap_or(lines.len());
    out.push((lines[..cut].concat(), statuses.len()));
    out.push((lines[cut..].concat(), statuses.len()));
    out
}

/// For each pass: vertex name → stop time of its latest interval after the first `upto`
/// messages, when that name belongs to one digest (or all its digests agree).
fn stop_times(statuses: &[SolveStatus], upto: usize) -> BTreeMap<String, Option<i64>> {
    let mut by_digest: BTreeMap<&str, (&str, Option<i64>)> = BTreeMap::new();
    for s in statuses.iter().take(upto) {
        for v in &s.vertexes {
            if v.started.is_none() {
                continue;
            }
            let e = by_digest.entry(&v.digest).or_insert((&v.name, None));
            e.0 = &v.name;
            if let Some(c) = v.completed {
                e.1 = Some(e.1.map_or(c.0, |x: i64| x.max(c.0)));
            }
        }
    }
    let mut out: BTreeMap<String, Option<i64>> = BTreeMap::new();
    for (name, stop) in by_digest.values() {
        match out.get(*name) {
            Some(prev) if *prev != *stop => {
                out.insert(name.to_string(), None);
            }
            _ => {
                out.insert(name.to_string(), *stop);
            }
        }
    }
    out
}

/// `#12 rest` → (12, rest).
fn label(line: &str) -> Option<(u64, &str)> {
    let body = line.strip_prefix('#')?;
    let sp = body.find(' ')?;
    let n = body[..sp].parse().ok()?;
    Some((n, &body[sp + 1..]))
}

fn is_closing(rest: &str) -> bool {
    rest == "CACHED"
        || rest == "CANCELED"
        || rest == "DONE"
        || rest.starts_with("ERROR: ")
        || (rest.starts_with("DONE ") && rest.ends_with('s'))
}

/// The normalization for the nondeterminism BuildKit documents (oracle README):
///
/// 1. The text is cut into the passes our printer made, by line counts. A pass prints the same
///    lines whatever order ties come out in and whatever `#N` they get, so the golden's passes
///    have the same lengths if it differs from ours only in those ways (otherwise the
///    comparison fails anyway).
/// 2. Inside one pass, the lines after the first empty line are blocks separated by empty
///    lines. A block is *closed* when it is a header `#N <name>` whose last line closes the
///    vertex (`DONE…`, `CACHED`, `CANCELED`, `ERROR: …`) and whose lines all carry the same
///    `#N`. A maximal run of adjacent closed blocks whose vertices have the same known stop
///    time (from the stream, up to that pass) is sorted by its text with `#N` masked: that is
///    exactly the set of blocks BuildKit's unstable sort may permute.
/// 3. Then `#N` is renumbered by first appearance over the whole text (numbers are given at
///    first print, so a permutation renumbers the vertices involved).
///
/// The summary "pass" (`------` blocks) is never reordered: its order (first start) is fixed.
fn normalize(text: &str, passes: &[(String, usize)], statuses: &[SolveStatus]) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut at = 0usize;
    let mut out: Vec<String> = Vec::new();
    let last = passes.len().saturating_sub(1);
    for (pi, (pass, upto)) in passes.iter().enumerate() {
        let n = if pi == last {
            lines.len().saturating_sub(at)
        } else {
            pass.split_inclusive('\n').count()
        };
        let end = (at + n).min(lines.len());
        let chunk = &lines[at..end];
        at = end;
        if pi == last {
            out.extend(chunk.iter().map(|l| l.to_string()));
            continue;
        }
        let stops = stop_times(statuses, *upto);
        // Prefix up to and including the first empty line, then blocks.
        let first_blank = chunk.iter().position(|l| *l == "\n");
        let Some(fb) = first_blank else {
            out.extend(chunk.iter().map(|l| l.to_string()));
            continue;
        };
        out.extend(chunk[..=fb].iter().map(|l| l.to_string()));
        let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
        for l in &chunk[fb + 1..] {
            if *l == "\n" {
                blocks.push(Vec::new());
            } else if let Some(b) = blocks.last_mut() {
                b.push(l);
            }
        }
        let key = |b: &Vec<&str>| -> Option<i64> {
            let (n, name) = label(b.first()?.trim_end_matches('\n'))?;
            let (_, close) = label(b.last()?.trim_end_matches('\n'))?;
            if b.len() < 2 || !is_closing(close) {
                return None;
            }
            if !b
                .iter()
                .all(|l| label(l.trim_end_matches('\n')).map(|x| x.0) == Some(n))
            {
                return None;
            }
            stops.get(name).copied().flatten()
        };
        let mask = |b: &Vec<&str>| -> String {
            b.iter()
                .map(|l| match label(l) {
                    Some((_, rest)) => format!("#{rest}"),
                    None => l.to_string(),
                })
                .collect()
        };
        let mut i = 0;
        while i < blocks.len() {
            let k = key(&blocks[i]);
            let mut j = i + 1;
            if k.is_some() {
                while j < blocks.len() && key(&blocks[j]) == k {
                    j += 1;
                }
                blocks[i..j].sort_by_key(|b| mask(b));
            }
            i = j;
        }
        for (bi, b) in blocks.iter().enumerate() {
            if bi > 0 {
                out.push("\n".to_string());
            }
            out.extend(b.iter().map(|l| l.to_string()));
        }
    }
    out.extend(lines[at..].iter().map(|l| l.to_string()));
    // Renumber by first appearance.
    let mut numbers: BTreeMap<u64, u64> = BTreeMap::new();
    let mut text = String::new();
    for l in out {
        match label(&l) {
            Some((n, rest)) if n > 0 => {
                let next = numbers.len() as u64 + 1;
                let m = *numbers.entry(n).or_insert(next);
                text.push_str(&format!("#{m} {rest}"));
            }
            _ => text.push_str(&l),
        }
    }
    text
}

#[test]
fn oracle_goldens() {
    let det = determinism();
    let all = phases();
    assert!(all.len() >= 60, "oracle phases found: {}", all.len());
    let (mut exact, mut normalized, mut failures) = (0, 0, Vec::new());
    for phase in &all {
        let statuses = read_stream(phase);
        for (mode, suffix, det_mode) in [
            (PassMode::Each, "plain-each.txt", "plain-each"),
            (PassMode::FirstThenDone, "plain.txt", "plain"),
        ] {
            let golden = std::fs::read_to_string(oracle().join(format!("{phase}.{suffix}")))
                .unwrap_or_else(|e| panic!("{phase}.{suffix}: {e}"));
            let ours = render(&statuses, mode);
            let passes = our_passes(&statuses, mode);
            assert_eq!(
                passes.iter().map(|p| p.0.as_str()).collect::<String>(),
                ours,
                "{phase} {suffix}: passes do not add up to render()"
            );
            let distinct = det
                .get(&(phase.clone(), det_mode.to_string()))
                .copied()
                .unwrap_or(0);
            if ours == golden {
                exact += 1;
                continue;
            }
            if distinct == 1 {
                failures.push(format!(
                    "{phase}.{suffix} (deterministic in BuildKit) differs:\n--- ours\n{ours}--- golden\n{golden}"
                ));
                continue;
            }
            let (a, b) = (
                normalize(&ours, &passes, &statuses),
                normalize(&golden, &passes, &statuses),
            );
            if a == b {
                normalized += 1;
            } else {
                failures.push(format!(
                    "{phase}.{suffix} differs after normalization:\n--- ours\n{a}--- golden\n{b}"
                ));
            }
        }
    }
    eprintln!(
        "plain goldens: {} total, {exact} exact, {normalized} equal after normalization, {} differ",
        all.len() * 2,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Hand-made streams
// ---------------------------------------------------------------------------------------------

/// 2026-01-01T10:00:00Z plus `ms` milliseconds.
fn t(ms: i64) -> Timestamp {
    Timestamp(VIRTUAL_EPOCH.0 + 36_000_000_000_000 + ms * 1_000_000)
}

/// A vertex as first announced (not started).
fn load(digest: &str, name: &str) -> Vertex {
    Vertex {
        digest: digest.into(),
        name: name.into(),
        ..Vertex::default()
    }
}

/// A vertex record started at `start` ms and, when `stop` is given, completed then.
fn rec(digest: &str, name: &str, start: i64, stop: Option<i64>) -> Vertex {
    Vertex {
        digest: digest.into(),
        name: name.into(),
        started: Some(t(start)),
        completed: stop.map(t),
        ..Vertex::default()
    }
}

fn cached(mut v: Vertex) -> Vertex {
    v.cached = true;
    v
}

fn failed(mut v: Vertex, error: &str) -> Vertex {
    v.error = error.into();
    v
}

fn msg(vertexes: Vec<Vertex>) -> SolveStatus {
    SolveStatus {
        vertexes,
        ..SolveStatus::default()
    }
}

/// A sub-status of `vertex` written at `ts` ms.
fn status(vertex: &str, id: &str, ts: i64, start: i64, stop: Option<i64>) -> VertexStatus {
    VertexStatus {
        id: id.into(),
        vertex: vertex.into(),
        name: id.into(),
        timestamp: t(ts),
        started: Some(t(start)),
        completed: stop.map(t),
        ..VertexStatus::default()
    }
}

fn log(vertex: &str, ts: i64, data: &str) -> VertexLog {
    VertexLog {
        vertex: vertex.into(),
        stream: 1,
        data: data.as_bytes().to_vec(),
        timestamp: t(ts),
    }
}

const A: &str = "sha256:aa";
const B: &str = "sha256:bb";
const C: &str = "sha256:cc";
const D: &str = "sha256:dd";
const ALPINE: &str = "docker-image://docker.io/library/alpine:latest";
const RESOLVE: &str = "resolve docker.io/library/alpine:latest";
const LAYER: &str = "sha256:4abcf2066143a9e1c8e8c6a1b0a7c3e8f0e2a8c5d1e3f7a9b2c4d6e8f0a1b3c5";

/// The §4.13 diamond announced: A ← B, A ← C, (B, C) ← D.
fn announce(b: &str, c: &str, d: &str) -> SolveStatus {
    msg(vec![load(A, ALPINE), load(B, b), load(C, c), load(D, d)])
}

/// A's root cache map (an interval of its own, with the resolve status).
fn resolve_a(start: i64, stop: i64) -> SolveStatus {
    SolveStatus {
        vertexes: vec![rec(A, ALPINE, start, Some(stop))],
        statuses: vec![status(A, RESOLVE, stop, start + 10, Some(stop))],
        ..SolveStatus::default()
    }
}

/// Facts §5.7, cold build with B slower than C, one print pass per message.
#[test]
fn transcript_cold() {
    let (b, c, d) = (
        "sh -c sleep 1; echo b > /b",
        "sh -c echo c > /c",
        "sh -c cat /b /c/c",
    );
    let mut layer = status(A, LAYER, 700, 500, Some(700));
    layer.current = 3_410_000;
    layer.total = 3_410_000;
    let extracting = status(A, &format!("extracting {LAYER}"), 800, 700, Some(800));
    let stream = vec![
        announce(b, c, d),
        resolve_a(100, 400),
        // A executes: a second interval, so its header comes again and DONE adds both.
        SolveStatus {
            vertexes: vec![rec(A, ALPINE, 500, Some(900))],
            statuses: vec![layer, extracting],
            ..SolveStatus::default()
        },
        msg(vec![rec(B, b, 1000, None)]),
        msg(vec![rec(C, c, 1000, Some(1100))]),
        msg(vec![rec(B, b, 1000, Some(2000))]),
        SolveStatus {
            vertexes: vec![rec(D, d, 2000, None)],
            logs: vec![log(D, 2043, "b\n"), log(D, 2044, "c\n")],
            ..SolveStatus::default()
        },
        msg(vec![rec(D, d, 2000, Some(2100))]),
    ];
    let expected = format!(
        "#1 {ALPINE}
#1 {RESOLVE} 0.3s done
#1 DONE 0.3s

#1 {ALPINE}
#1 {LAYER} 3.41MB / 3.41MB 0.2s done
#1 extracting {LAYER} 0.1s done
#1 DONE 0.7s

#2 sh -c sleep 1; echo b > /b
#2 ...

#3 sh -c echo c > /c
#3 DONE 0.1s

#2 sh -c sleep 1; echo b > /b
#2 DONE 1.0s

#4 sh -c cat /b /c/c
#4 0.043 b
#4 0.044 c
#4 DONE 0.1s
"
    );
    assert_eq!(render(&stream, PassMode::Each), expected);
}

/// Facts §5.7, warm build: D loads from the cache, and `vertexStream` marks B and C cached at
/// D's start. B and C stop at the same instant; the facts call their order arbitrary, and this
/// printer's tie-break (first seen in the stream) puts B first.
#[test]
fn transcript_warm() {
    let (b, c, d) = (
        "sh -c echo b > /b",
        "sh -c echo c > /c",
        "sh -c cat /b /c/c",
    );
    let stream = vec![
        announce(b, c, d),
        resolve_a(100, 200),
        msg(vec![
            cached(rec(C, c, 300, Some(300))),
            cached(rec(B, b, 300, Some(300))),
            cached(rec(D, d, 300, Some(350))),
        ]),
    ];
    let expected = format!(
        "#1 {ALPINE}
#1 {RESOLVE} 0.1s done
#1 DONE 0.1s

#2 sh -c echo b > /b
#2 CACHED

#3 sh -c echo c > /c
#3 CACHED

#4 sh -c cat /b /c/c
#4 CACHED
"
    );
    assert_eq!(render(&stream, PassMode::Each), expected);
    // With one pass at the end the tie-break decides the same way.
    assert_eq!(render(&stream, PassMode::FirstThenDone), expected);
}

/// Facts §5.7, failure: B prints `oops` and exits 3 while C runs; C is cancelled (not in the
/// summary), D never starts (never printed). The facts leave out A's block; it is here.
#[test]
fn transcript_failure() {
    let (b, c, d) = (
        "sh -c echo oops; exit 3",
        "sh -c sleep 10",
        "sh -c cat /b /c/c",
    );
    let err = "process \"sh -c echo oops; exit 3\" did not complete successfully: exit code: 3";
    let stream = vec![
        announce(b, c, d),
        resolve_a(100, 200),
        SolveStatus {
            vertexes: vec![rec(B, b, 1000, None)],
            logs: vec![log(B, 1021, "oops\n")],
            ..SolveStatus::default()
        },
        msg(vec![
            failed(rec(B, b, 1000, Some(1030)), err),
            rec(C, c, 1010, None),
        ]),
        // The encore closes C.
        msg(vec![failed(
            rec(C, c, 1010, Some(1500)),
            "context canceled",
        )]),
    ];
    let expected = format!(
        "#1 {ALPINE}
#1 {RESOLVE} 0.1s done
#1 DONE 0.1s

#2 sh -c echo oops; exit 3
#2 0.021 oops
#2 ERROR: {err}

#3 sh -c sleep 10
#3 CANCELED
------
 > sh -c echo oops; exit 3:
0.021 oops
------
"
    );
    assert_eq!(render(&stream, PassMode::Each), expected);
}

/// A cancelled build: two vertices running, one in the middle of a line of output, when the
/// encore closes both with `context canceled`. No summary block for cancelled vertices.
#[test]
fn transcript_cancel() {
    let (b, c, d) = (
        "sh -c wget -q big.iso",
        "sh -c sleep 10",
        "sh -c cat /b /c/c",
    );
    let stream = vec![
        announce(b, c, d),
        resolve_a(100, 200),
        msg(vec![rec(B, b, 1000, None)]),
        SolveStatus {
            logs: vec![log(B, 1500, "downloading")],
            ..SolveStatus::default()
        },
        msg(vec![rec(C, c, 1600, None)]),
        msg(vec![
            failed(rec(B, b, 1000, Some(3000)), "context canceled"),
            failed(rec(C, c, 1600, Some(3000)), "context canceled"),
        ]),
    ];
    let expected = format!(
        "#1 {ALPINE}
#1 {RESOLVE} 0.1s done
#1 DONE 0.1s

#2 sh -c wget -q big.iso
#2 0.500 downloading
#2 CANCELED

#3 sh -c sleep 10
#3 CANCELED
"
    );
    assert_eq!(render(&stream, PassMode::Each), expected);
    // With one pass after the first message, all of it comes at the end, by stop time (equal:
    // first seen first).
    assert_eq!(render(&stream, PassMode::FirstThenDone), expected);
}
