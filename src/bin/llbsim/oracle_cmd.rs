//! `llbsim oracle`: one of the oracle's scenarios, in its normalized schema.

use llbsim::solver::Variant;
use llbsim::{llb, oracle};

use super::{job_stream, json, progress_output, read_definition, Args};

/// `oracle FILE --variant plain|content --phase PHASE`: runs the phase and prints it normalized (or
/// its stream with `--progress`).
pub(crate) fn cmd_oracle(a: &Args, path: &str) -> Result<String, String> {
    let (def, graph) = read_definition(path, &a.opts)?;
    let variant = match a.variant {
        Some(v @ (Variant::Plain | Variant::Content)) => v,
        _ => return Err("oracle needs --variant plain or --variant content".into()),
    };
    let Some(phase) = &a.phase else {
        return Err(format!(
            "oracle needs --phase (one of {})",
            oracle::PHASES.join(", ")
        ));
    };
    if let Some(out) = &a.write_mutated {
        let m = oracle::mutated_definition(&def, &graph).map_err(|e| e.to_string())?;
        std::fs::write(out, llb::encode_definition(&m.definition.to_pb()))
            .map_err(|e| format!("{out}: {e}"))?;
    }
    let races = oracle::Races {
        first: a.first_job,
        interleaving: a.interleaving,
    };
    let run =
        oracle::run_phase_with(&def, &graph, variant, phase, races).map_err(|e| e.to_string())?;
    if a.progress.is_some() || a.trace.is_some() {
        let streams = vec![job_stream(&run.solver, run.job)];
        if let Some(out) = progress_output(a, &streams)? {
            return Ok(out);
        }
    }
    json(&oracle::normalize(&run, phase, variant))
}
