//! `llbsim diff A B`: two builds compared, root causes first.

use llbsim::compare;

use super::{json, read_definition, Args, OutputFormat};

/// Loads A and B (each format detected on its own), compares them and predicts the rebuild.
pub(crate) fn cmd_diff(a: &Args, path: &str) -> Result<String, String> {
    let Some(path_b) = &a.file2 else {
        return Err("diff needs two definitions: llbsim diff A B".into());
    };
    let (_, ga) = read_definition(path, &a.opts)?;
    let (_, gb) = read_definition(path_b, &a.opts)?;
    let c = compare::compare(&ga, &gb, a.variant.unwrap_or_default());
    match a.format {
        Some(OutputFormat::Json) => json(&c),
        Some(OutputFormat::Dot) => Err("diff prints text or json".into()),
        _ => Ok(compare::render(&c, a.verbose)),
    }
}
