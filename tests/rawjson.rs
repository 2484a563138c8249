//! The rawjson writer and reader: real BuildKit output round-trips byte for byte, keys come in
//! Go's order, Go's escapes are reproduced, and bad input is refused with the right line.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use llbsim::progress::rawjson::{self, RawJsonErrorKind};
use llbsim::progress::status::{ProgressGroup, Vertex, VertexLog, VertexStatus, VertexWarning};
use llbsim::progress::{SolveStatus, Timestamp, VIRTUAL_EPOCH};

fn oracle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/oracle")
}

/// Every `.rawjson` file under `dir`, sorted.
fn rawjson_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rawjson") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_oracle_stream_round_trips_byte_for_byte() {
    let files = rawjson_files(&oracle());
    assert!(files.len() >= 68, "only {} .rawjson files", files.len());
    let mut statuses = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let read = rawjson::read(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(
            read.len(),
            text.lines().filter(|l| !l.trim().is_empty()).count(),
            "{}",
            f.display()
        );
        let written = rawjson::write_all(&read);
        if written != text {
            let (n, (a, b)) = written
                .lines()
                .zip(text.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .unwrap_or((0, ("", "")));
            panic!(
                "{}: line {} differs\nwritten: {a}\noriginal: {b}",
                f.display(),
                n + 1
            );
        }
        statuses += read.len();
    }
    println!("{} files, {statuses} statuses round-trip", files.len());
}

/// Go's field order for each object kind of the stream (facts §5.4).
fn go_order(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "SolveStatus" => &["vertexes", "statuses", "logs", "warnings"],
        "Vertex" => &[
            "digest",
            "inputs",
            "name",
            "started",
            "completed",
            "cached",
            "error",
            "progressGroup",
        ],
        "ProgressGroup" => &["id", "name", "weak"],
        "VertexStatus" => &[
            "id",
            "vertex",
            "name",
            "total",
            "current",
            "timestamp",
            "started",
            "completed",
        ],
        "VertexLog" => &["vertex", "stream", "data", "timestamp"],
        "VertexWarning" => &[
            "vertex",
            "level",
            "short",
            "detail",
            "url",
            "sourceInfo",
            "range",
        ],
        _ => return None,
    })
}

/// A minimal JSON scanner that records, for every object, its kind (from the key it is the value
/// of) and its keys in text order.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
    objects: Vec<(String, Vec<String>)>,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn string(&mut self) -> String {
        assert_eq!(self.s[self.i], b'"');
        self.i += 1;
        let start = self.i;
        while self.s[self.i] != b'"' {
            if self.s[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8_lossy(&self.s[start..self.i - 1]).into_owned()
    }

    fn value(&mut self, kind: &str) {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let slot = self.objects.len();
                self.objects.push((kind.to_string(), Vec::new()));
                loop {
                    self.ws();
                    if self.s[self.i] == b'}' {
                        self.i += 1;
                        break;
                    }
                    if self.s[self.i] == b',' {
                        self.i += 1;
                        self.ws();
                    }
                    let key = self.string();
                    self.objects[slot].1.push(key.clone());
                    self.ws();
                    assert_eq!(self.s[self.i], b':');
                    self.i += 1;
                    let child = match key.as_str() {
                        "vertexes" => "Vertex",
                        "statuses" => "VertexStatus",
                        "logs" => "VertexLog",
                        "warnings" => "VertexWarning",
                        "progressGroup" => "ProgressGroup",
                        _ => "other",
                    };
                    self.value(child);
                }
            }
            b'[' => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.s[self.i] == b']' {
                        self.i += 1;
                        break;
                    }
                    if self.s[self.i] == b',' {
                        self.i += 1;
                    }
                    self.value(kind);
                }
            }
            b'"' => {
                self.string();
            }
            _ => {
                while !matches!(self.s[self.i], b',' | b'}' | b']') {
                    self.i += 1;
                }
            }
        }
    }
}

fn keys_of_line(line: &str) -> Vec<(String, Vec<String>)> {
    let mut scan = Scan {
        s: line.as_bytes(),
        i: 0,
        objects: Vec::new(),
    };
    scan.value("SolveStatus");
    scan.objects
}

/// Checks every object's keys against Go's order; returns how many keys were checked.
fn check_keys(where_: &str, line: &str) -> usize {
    let mut checked = 0;
    for (kind, keys) in keys_of_line(line) {
        let Some(order) = go_order(&kind) else {
            continue;
        };
        let mut last = None;
        for k in &keys {
            let pos = order
                .iter()
                .position(|o| o == k)
                .unwrap_or_else(|| panic!("{where_}: key {k:?} is not a {kind} key"));
            assert!(
                last.is_none_or(|l| l < pos),
                "{where_}: {kind} keys out of Go's order: {keys:?}"
            );
            last = Some(pos);
            checked += 1;
        }
        for required in ["id", "current", "timestamp", "data"] {
            if order.contains(&required) {
                assert!(
                    keys.iter().any(|k| k == required),
                    "{where_}: {kind} lacks {required}"
                );
            }
        }
    }
    checked
}

#[test]
fn every_key_is_a_go_key_in_go_order() {
    let mut checked = 0;
    for f in rawjson_files(&oracle()) {
        let text = std::fs::read_to_string(&f).expect("read");
        for (n, line) in text.lines().enumerate() {
            checked += check_keys(&format!("{}:{}", f.display(), n + 1), line);
        }
    }
    assert!(checked > 10_000, "only {checked} keys checked");
    // And the writer's own output for the synthetic status.
    assert!(check_keys("synthetic", &rawjson::write_line(&synthetic())) >= 30);
}

#[test]
fn the_scanner_catches_wrong_order() {
    let bad = r#"{"vertexes":[{"name":"x","digest":"sha256:aa"}]}"#;
    let r = std::panic::catch_unwind(|| check_keys("bad", bad));
    assert!(r.is_err());
    let unknown = r#"{"vertexes":[{"digest":"sha256:aa","Name":"x"}]}"#;
    assert!(std::panic::catch_unwind(|| check_keys("unknown", unknown)).is_err());
}

fn at(ns_after_epoch: i64) -> Timestamp {
    Timestamp(VIRTUAL_EPOCH.0 + ns_after_epoch)
}

fn synthetic() -> SolveStatus {
    let d = "sha256:aa".to_string();
    SolveStatus {
        vertexes: vec![Vertex {
            digest: d.clone(),
            inputs: vec!["sha256:bb".into(), "sha256:cc".into()],
            name: "RUN echo <a> && b\u{2028}c\u{2029}".into(),
            started: Some(at(1_500_000_000)),
            completed: Some(at(2_000_000_000)),
            cached: true,
            error: "say \"no\"\tnow\\\u{1b}[0m\u{8}\u{c}\r\n\u{7f}é".into(),
            progress_group: Some(ProgressGroup {
                id: "g1".into(),
                name: "COPY --link".into(),
                weak: true,
            }),
        }],
        statuses: vec![
            VertexStatus {
                id: "sha256:layer".into(),
                vertex: d.clone(),
                name: "extracting".into(),
                total: 3_410_000,
                current: 1000,
                timestamp: at(123_456_789),
                started: Some(at(100_000_000)),
                completed: None,
            },
            VertexStatus {
                id: "resolve x".into(),
                vertex: d.clone(),
                timestamp: at(7),
                completed: Some(at(10)),
                ..VertexStatus::default()
            },
        ],
        logs: vec![
            VertexLog {
                vertex: d.clone(),
                stream: 2,
                data: vec![0, 0xff, b'<', b'\n'],
                timestamp: at(1_000_000),
            },
            VertexLog {
                vertex: d.clone(),
                stream: 0,
                data: Vec::new(),
                timestamp: at(0),
            },
        ],
        warnings: vec![VertexWarning {
            vertex: d,
            level: 1,
            short: b"bad <thing>".to_vec(),
            detail: vec![b"line 1".to_vec(), Vec::new()],
            url: "https://docs.docker.com/go/x?a=1&b=2".into(),
            source_info: Some(serde_json::json!({
                "filename": "Dockerfile", "data": "RlJPTQ==", "language": "Dockerfile"
            })),
            range: Some(
                serde_json::json!([{"start": {"line": 3}, "end": {"line": 3, "character": 5}}]),
            ),
        }],
    }
}

const SYNTHETIC_LINE: &str = concat!(
    r#"{"vertexes":[{"digest":"sha256:aa","inputs":["sha256:bb","sha256:cc"],"#,
    r#""name":"RUN echo \u003ca\u003e \u0026\u0026 b\u2028c\u2029","#,
    r#""started":"2026-01-01T00:00:01.5Z","completed":"2026-01-01T00:00:02Z","cached":true,"#,
    r#""error":"say \"no\"\tnow\\\u001b[0m\b\f\r\n"#,
    "\u{7f}é",
    r#"","progressGroup":{"id":"g1","name":"COPY --link","weak":true}}],"#,
    r#""statuses":[{"id":"sha256:layer","vertex":"sha256:aa","name":"extracting","total":3410000,"#,
    r#""current":1000,"timestamp":"2026-01-01T00:00:00.123456789Z","started":"2026-01-01T00:00:00.1Z"},"#,
    r#"{"id":"resolve x","vertex":"sha256:aa","current":0,"timestamp":"2026-01-01T00:00:00.000000007Z","#,
    r#""completed":"2026-01-01T00:00:00.00000001Z"}],"#,
    r#""logs":[{"vertex":"sha256:aa","stream":2,"data":"AP88Cg==","timestamp":"2026-01-01T00:00:00.001Z"},"#,
    r#"{"vertex":"sha256:aa","data":null,"timestamp":"2026-01-01T00:00:00Z"}],"#,
    r#""warnings":[{"vertex":"sha256:aa","level":1,"short":"YmFkIDx0aGluZz4=","detail":["bGluZSAx",""],"#,
    r#""url":"https://docs.docker.com/go/x?a=1\u0026b=2","#,
    r#""sourceInfo":{"filename":"Dockerfile","data":"RlJPTQ==","language":"Dockerfile"},"#,
    r#""range":[{"start":{"line":3},"end":{"line":3,"character":5}}]}]}"#,
    "\n"
);

#[test]
fn synthetic_status_matches_go_byte_for_byte() {
    let s = synthetic();
    assert_eq!(rawjson::write_line(&s), SYNTHETIC_LINE);
    let back = rawjson::read(SYNTHETIC_LINE).expect("reads");
    assert_eq!(back, vec![s]);
    assert_eq!(rawjson::write_all(&back), SYNTHETIC_LINE);
}

#[test]
fn go_omits_empty_fields() {
    assert_eq!(rawjson::write_line(&SolveStatus::default()), "{}\n");
    let s = SolveStatus {
        statuses: vec![VertexStatus::default()],
        ..SolveStatus::default()
    };
    assert_eq!(
        rawjson::write_line(&s),
        "{\"statuses\":[{\"id\":\"\",\"current\":0,\"timestamp\":\"1970-01-01T00:00:00Z\"}]}\n"
    );
}

#[test]
fn forgiving_reader() {
    let one = r#"{"vertexes":[{"digest":"sha256:aa","name":"a"}]}"#;
    let two =
        r#"{"vertexes":[{"digest":"sha256:bb","name":"b","started":"2026-01-01T01:00:00+01:00"}]}"#;
    let expect = rawjson::read(&format!("{one}\n{two}\n")).expect("reads");
    assert_eq!(expect.len(), 2);
    assert_eq!(expect[1].vertexes[0].started, Some(VIRTUAL_EPOCH));
    let pretty = "\u{feff}{\n  \"vertexes\": [\n    {\"digest\": \"sha256:aa\", \"name\": \"a\"}\n  ]\n}\r\n\r\n";
    let variants = [
        format!("\n\n{one}\r\n\n{two}"),
        format!("{one}{two}"),
        format!("{one} {two}\n"),
        format!("[{one},\n{two}]"),
        format!("{pretty}{two}"),
    ];
    for (i, v) in variants.iter().enumerate() {
        let got = rawjson::read(v).unwrap_or_else(|e| panic!("variant {i}: {e}"));
        assert_eq!(got.len(), 2, "variant {i}");
        assert_eq!(got[1], expect[1], "variant {i}");
    }
    assert_eq!(rawjson::read(""), Ok(Vec::new()));
    assert_eq!(rawjson::read("\n \n"), Ok(Vec::new()));
    // A `--trace` file that two builds appended to is still one stream.
    let trace = format!("{one}\n{two}\n{one}\n");
    assert_eq!(rawjson::read(&trace).map(|v| v.len()), Ok(3));
}

/// (text, expected line, expected kind, a word the message must contain)
fn bad_inputs() -> Vec<(String, usize, RawJsonErrorKind, &'static str)> {
    let good = r#"{"vertexes":[{"digest":"sha256:aa","name":"a"}]}"#;
    let truncated = r#"{"vertexes":[{"digest":"sha256:aa","name":"a"},"#;
    let truncated_in_string = r#"{"vertexes":[{"digest":"sha2"#;
    let wrong_type = r#"{"vertexes":[{"digest":"sha256:aa","cached":"yes"}]}"#;
    let bad_time = r#"{"vertexes":[{"digest":"sha256:aa","started":"yesterday"}]}"#;
    let bad_base64 =
        r#"{"logs":[{"vertex":"sha256:aa","data":"!!","timestamp":"2026-01-01T00:00:00Z"}]}"#;
    let not_json = "#1 [internal] load build definition";
    vec![
        (
            format!("{good}\n{truncated}\n{good}\n"),
            2,
            RawJsonErrorKind::Truncated,
            "EOF",
        ),
        (
            format!("{good}\n\n{truncated_in_string}\n\n{good}\n"),
            3,
            RawJsonErrorKind::Truncated,
            "truncated",
        ),
        (
            format!("{good}\n{good}\n{truncated}"),
            3,
            RawJsonErrorKind::Truncated,
            "incomplete",
        ),
        (
            format!("{good}\n{good}\n{wrong_type}\n"),
            3,
            RawJsonErrorKind::Value,
            "invalid type",
        ),
        (
            format!("{good}\n{bad_time}\n"),
            2,
            RawJsonErrorKind::Value,
            "RFC 3339",
        ),
        (
            format!("{good}\n{good}\n{good}\n{bad_base64}\n{good}\n"),
            4,
            RawJsonErrorKind::Value,
            "base64",
        ),
        (
            format!("{good}\n{not_json}\n"),
            2,
            RawJsonErrorKind::Syntax,
            "plain progress",
        ),
        (
            "{\n  \"vertexes\": [\n    {\"digest\": 5}\n  ]\n}\n".to_string(),
            3,
            RawJsonErrorKind::Value,
            "invalid type",
        ),
    ]
}

#[test]
fn errors_name_the_line() {
    for (i, (text, line, kind, word)) in bad_inputs().into_iter().enumerate() {
        let err = rawjson::read(&text).expect_err("must fail");
        assert_eq!(
            (err.line, err.kind),
            (line, kind),
            "case {i}: {err} ({err:?})"
        );
        assert!(err.column >= 1);
        let shown = err.to_string();
        assert!(shown.contains(&format!("line {line}")), "case {i}: {shown}");
        assert!(shown.contains(word), "case {i}: {shown}");
        let as_dyn: &dyn std::error::Error = &err;
        assert!(!as_dyn.to_string().is_empty());
    }
}

#[test]
fn column_points_into_the_line() {
    let text = "{}\n{\"vertexes\":[{\"digest\":\"sha256:aa\",\"started\":\"nope\"}]}\n";
    let err = rawjson::read(text).expect_err("must fail");
    assert_eq!(err.line, 2);
    // serde_json reports the position just after the bad string.
    assert_eq!(
        err.column,
        text.lines()
            .nth(1)
            .map_or(0, |l| l.find("nope").unwrap_or(0) + 6)
    );
}

#[test]
fn a_line_cut_anywhere_is_blamed() {
    let path = oracle().join("plain/df-dockerfile-frontend/a_cold.rawjson");
    let text = std::fs::read_to_string(path).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let victim = lines[2];
    let mut cuts = 0;
    for cut in (1..victim.len()).filter(|c| victim.is_char_boundary(*c)) {
        let mut t = String::new();
        for (i, l) in lines.iter().enumerate() {
            t.push_str(if i == 2 { &victim[..cut] } else { l });
            t.push('\n');
        }
        let err = rawjson::read(&t).expect_err("a cut line must fail");
        assert_eq!(err.line, 3, "cut at {cut}: {err}");
        assert!(err.column <= cut + 2, "cut at {cut}: {err}");
        cuts += 1;
    }
    assert!(cuts > 100);
}
