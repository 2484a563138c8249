//! Feeds arbitrary bytes to llbsim's whole front door: format detection, every reader and the
//! loader. Whatever loads is also summarised in every view, so a graph that loads but confuses
//! `inspect` is caught too. Any panic (or stack overflow, or timeout) is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match llbsim::load_bytes(data, &Default::default()) {
        Ok(graph) => {
            let summary = llbsim::inspect::summary(&graph);
            assert_eq!(summary.vertices.len(), graph.len());
            let _ = llbsim::inspect::dot(&graph);
            let _ = llbsim::inspect::text(&graph);
        }
        Err(e) => {
            // Every error must say something.
            assert!(!e.to_string().is_empty());
        }
    }
});
