//! What the integration tests share: where the test data lives and how to read it.
//! (`tests/common/` is a module, not a test crate of its own; each test uses part of it.)
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use llbsim::{llb, load_bytes, Graph, LoadOptions};

/// `testdata/`: copies of the shared corpus and of the oracle's traces.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The bytes of corpus definition `name` (`testdata/corpus/<name>.pb`).
pub fn corpus_bytes(name: &str) -> Vec<u8> {
    let path = testdata().join("corpus").join(format!("{name}.pb"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Corpus definition `name`, loaded.
pub fn corpus_graph(name: &str) -> Graph {
    load_bytes(&corpus_bytes(name), &LoadOptions::default()).expect("a corpus file loads")
}

/// Corpus definition `name`, as read (for mutations) and loaded.
pub fn corpus(name: &str) -> (llb::Definition, Graph) {
    let bytes = corpus_bytes(name);
    let (_, def) = llb::read(&bytes).expect("a corpus file reads");
    let graph = load_bytes(&bytes, &LoadOptions::default()).expect("a corpus file loads");
    (def, graph)
}

/// Every (stub variant, definition) the oracle traced, sorted.
pub fn oracle_cases() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for variant in ["plain", "content"] {
        let dir = testdata().join("oracle").join(variant);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            out.push((variant.to_string(), name));
        }
    }
    out.sort();
    assert!(out.len() >= 6, "{out:?}");
    out
}

/// A JSON file, parsed.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the `llbsim` binary with `args` (and `stdin`): exit code, stdout, stderr.
pub fn llbsim(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
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
