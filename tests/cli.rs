//! The `llbsim inspect` command: outputs, stdin, and errors on stderr with exit code 1.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Stdio};

fn llbsim(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llbsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
