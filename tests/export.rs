//! Cache export modes, as data: `max` carries every non-root result, `min` only the final one.
#![cfg(not(target_arch = "wasm32"))]

use llbsim::solver::{ExportMode, JobOptions, Solver, StubOps, Variant};

fn solved(name: &str) -> (Solver, llbsim::solver::JobId, llbsim::Graph) {
    let bytes = std::fs::read(format!(
        "{}/testdata/corpus/{name}.pb",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("pb");
    let g = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    let j = s.submit("build", &g, JobOptions::default(), 0);
    s.run();
    (s, j, g)
}

#[test]
fn max_exports_every_non_root_result_min_only_the_final_one() {
    let (mut s, j, g) = solved("df-dockerfile-frontend");
    let roots = g.vertices().iter().filter(|v| v.inputs.is_empty()).count();
    let max = s.cache_export(j, ExportMode::Max, false);
    let min = s.cache_export(j, ExportMode::Min, false);
    // The key chain reaches every vertex, in both modes.
    let vertices = |e: &[llbsim::solver::ExportedKey]| {
        let mut v: Vec<String> = e.iter().map(|k| k.vertex.to_string()).collect();
        v.sort();
        v.dedup();
        v.len()
    };
    assert_eq!(vertices(&max), g.len());
    assert_eq!(vertices(&min), g.len());
    assert_eq!(
        max.iter().filter(|k| k.result.is_some()).count(),
        g.len() - roots
    );
    let with_result: Vec<_> = min.iter().filter(|k| k.result.is_some()).collect();
    assert_eq!(with_result.len(), 1);
    assert_eq!(
        with_result[0].vertex,
        g.vertex(g.target().vertex).digest,
        "min exports the final result"
    );
    // Roots carry their result only when asked.
    let max_roots = s.cache_export(j, ExportMode::Max, true);
    assert_eq!(
        max_roots.iter().filter(|k| k.result.is_some()).count(),
        g.len()
    );
}

#[test]
fn export_cache_false_keeps_a_vertex_out() {
    // A merge of 16 execs; mark one exec `export_cache: false` through its metadata.
    let text = std::fs::read_to_string(format!(
        "{}/testdata/corpus/synth-fanin16.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("json");
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    lines[1]["OpMetadata"]["export_cache"] = serde_json::json!({"Value": false});
    let opted_out = lines[1]["Digest"].as_str().expect("digest").to_string();
    let doc: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    let g = llbsim::load_bytes(doc.as_bytes(), &Default::default()).expect("loads");
    let mut s = Solver::new(StubOps::new(Variant::Plain), 0);
    let j = s.submit("build", &g, JobOptions::default(), 0);
    s.run();
    let max = s.cache_export(j, ExportMode::Max, false);
    let k = max
        .iter()
        .find(|k| k.vertex.as_str() == opted_out)
        .expect("its key is still in the chain");
    assert_eq!(k.result, None);
    assert_eq!(
        max.iter().filter(|k| k.result.is_some()).count(),
        g.len() - 2,
        "all but the source and the opted-out exec"
    );
}
