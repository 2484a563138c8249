//! `llbsim explain`: the anatomy of every vertex's cache key in the last build.

use super::{json, run_scenario, run_solve, Args, OutputFormat};
use llbsim::explain::{self, VertexAnatomy};

/// One job's anatomy, by job name.
#[derive(serde::Serialize)]
struct JobAnatomy {
    job: String,
    vertices: Vec<VertexAnatomy>,
}

/// Solves as `solve` would (or runs `--scenario`), then explains the last build's jobs.
pub(crate) fn cmd_explain(a: &Args, path: &str) -> Result<String, String> {
    let mut jobs: Vec<JobAnatomy> = match &a.scenario {
        Some(name) => run_scenario(a, path, name)?
            .jobs
            .into_iter()
            .map(|j| JobAnatomy {
                job: j.name,
                vertices: j.anatomy,
            })
            .collect(),
        None => {
            let solved = run_solve(a, path)?;
            solved
                .last
                .iter()
                .map(|&j| JobAnatomy {
                    job: solved.solver.job_name(j).to_string(),
                    vertices: explain::explain(&solved.solver, j),
                })
                .collect()
        }
    };
    if let Some(sel) = &a.vertex {
        let mut any = false;
        for j in &mut jobs {
            j.vertices.retain(|v| matches(v, sel));
            any |= !j.vertices.is_empty();
        }
        if !any {
            return Err(format!("--vertex {sel:?} matches no vertex"));
        }
    }
    if a.format == Some(OutputFormat::Json) {
        let Some(last) = jobs.last() else {
            return json(&serde_json::json!({ "vertices": [] }));
        };
        let mut doc = serde_json::json!({ "job": last.job, "vertices": last.vertices });
        if jobs.len() > 1 {
            doc["jobs"] = serde_json::to_value(&jobs).map_err(|e| e.to_string())?;
        }
        return json(&doc);
    }
    let mut out = String::new();
    for j in &jobs {
        if jobs.len() > 1 {
            out.push_str(&format!("job {}\n\n", j.job));
        }
        out.push_str(&explain::render(&j.vertices));
    }
    Ok(out)
}

/// A vertex by digest, a prefix of its hex, or a part of its name.
fn matches(v: &VertexAnatomy, sel: &str) -> bool {
    let hex = sel.strip_prefix("sha256:").unwrap_or(sel);
    let vh = v.digest.as_str().strip_prefix("sha256:").unwrap_or("");
    (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && vh.starts_with(hex))
        || v.name.contains(sel)
}
