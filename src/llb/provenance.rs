//! SLSA provenance written by BuildKit with `mode=max`: the build's LLB as `llbDefinition` steps.
//!
//! Accepted shapes: an in-toto statement (`{"predicateType", "predicate"}`), a DSSE envelope
//! around one (`{"payload": base64}`), the predicate alone, or buildx's `{"SLSA": predicate}`.
//! SLSA v0.2 keeps the steps in `predicate.buildConfig`, v1 in
//! `predicate.buildDefinition.internalParameters.buildConfig`.
//!
//! Each step is `{"id": "stepN", "op": <Op without inputs>, "inputs": ["stepK:index"]}`; the
//! last is the terminal. `digestMapping` (digest → step id) gives back the real digests. BuildKit
//! strips `local.unique` and `local.session` from local sources, so those ops cannot be
//! re-digested; their recorded digest is kept. Provenance carries no op metadata, so custom
//! names are lost and vertices show their derived names.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde_json::Value;

use super::json::{self, Ctx, J};
use super::{pb, DefOp, Definition, Digest, Format};
use crate::error::{Location, ParseError};

/// Whether `v` looks like provenance in one of the accepted shapes.
pub fn looks_like(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    [
        "predicate",
        "predicateType",
        "payload",
        "buildConfig",
        "buildDefinition",
        "SLSA",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
}

/// Reads provenance. Returns the SLSA version found and the definition.
pub fn from_value(v: &Value) -> Result<(Format, Definition), ParseError> {
    let err = |format: Format, path: &str, msg: &str| {
        ParseError::new(
            format,
            Location::Json {
                record: None,
                path: path.into(),
            },
            msg,
        )
    };
    // Unwrap envelopes down to the predicate.
    if let Some(payload) = v.get("payload").and_then(Value::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .map_err(|_| {
                err(
                    Format::ProvenanceV1,
                    "$.payload",
                    "DSSE payload is not valid base64",
                )
            })?;
        let inner: Value = serde_json::from_slice(&bytes).map_err(|e| {
            err(
                Format::ProvenanceV1,
                "$.payload",
                &format!("DSSE payload is not JSON: {e}"),
            )
        })?;
        return from_value(&inner);
    }
    if let Some(slsa) = v.get("SLSA") {
        return from_value(slsa);
    }
    let (predicate, base) = match v.get("predicate") {
        Some(p) => (p, "$.predicate"),
        None => (v, "$"),
    };
    let type_says_v1 = v
        .get("predicateType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("provenance/v1"));
    let (format, config_path, config, source_path, source) =
        if predicate.get("buildDefinition").is_some() || type_says_v1 {
            (
                Format::ProvenanceV1,
                format!("{base}.buildDefinition.internalParameters.buildConfig"),
                predicate.pointer("/buildDefinition/internalParameters/buildConfig"),
                format!("{base}.runDetails.metadata.buildkit_metadata.source"),
                predicate.pointer("/runDetails/metadata/buildkit_metadata/source"),
            )
        } else {
            (
                Format::ProvenanceV02,
                format!("{base}.buildConfig"),
                predicate.get("buildConfig"),
                format!("{base}.metadata[\"https://mobyproject.org/buildkit@v1#metadata\"].source"),
                predicate
                    .get("metadata")
                    .and_then(|m| m.get("https://mobyproject.org/buildkit@v1#metadata"))
                    .and_then(|m| m.get("source")),
            )
        };
    let Some(config) = config.filter(|c| !c.is_null()) else {
        return Err(err(
            format,
            &config_path,
            "no buildConfig: this provenance has no llbDefinition (BuildKit includes it only with mode=max)",
        ));
    };
    let ctx = Ctx {
        format,
        record: None,
    };
    let cfg = J::root(config, &config_path, ctx);
    let mapping: BTreeMap<String, String> = cfg.map("digestMapping", |j| j.as_string())?;
    if let Some(bad) = mapping.keys().find(|k| Digest::parse(k).is_none()) {
        return Err(err(
            format,
            &format!("{config_path}.digestMapping[{bad:?}]"),
            "key is not a sha256 digest",
        ));
    }
    let digest_of_step: HashMap<&str, &str> = mapping
        .iter()
        .map(|(d, s)| (s.as_str(), d.as_str()))
        .collect();

    struct Step {
        id: String,
        op: pb::Op,
        inputs: Vec<(String, i64)>,
    }
    let steps = cfg.list("llbDefinition", |j| {
        let id = j.string("id")?;
        let op = j.with("op", json::op)?.unwrap_or_default();
        let inputs = j.list("inputs", |j| {
            let s = j.as_string()?;
            let (step, index) = s
                .rsplit_once(':')
                .and_then(|(st, ix)| Some((st.to_string(), ix.parse::<i64>().ok()?)))
                .ok_or_else(|| j.err(format!("{s:?} is not a \"stepN:index\" reference")))?;
            Ok((step, index))
        })?;
        Ok(Step { id, op, inputs })
    })?;
    if steps.is_empty() {
        return Err(cfg.err("llbDefinition is empty"));
    }

    let mut def = Definition {
        ops: Vec::with_capacity(steps.len()),
        metadata: BTreeMap::new(),
        source: None,
        notes: Vec::new(),
    };
    let mut digests: HashMap<String, Digest> = HashMap::new();
    let mut kept = 0;
    for (i, step) in steps.into_iter().enumerate() {
        let mut op = step.op;
        if !step.inputs.is_empty() {
            let mut inputs = Vec::with_capacity(step.inputs.len());
            for (j, (id, index)) in step.inputs.into_iter().enumerate() {
                let Some(d) = digests.get(&id) else {
                    let path = format!("{config_path}.llbDefinition[{i}].inputs[{j}]");
                    return Err(err(
                        format,
                        &path,
                        &format!("refers to {id:?}, which is not an earlier step"),
                    ));
                };
                inputs.push(pb::Input {
                    digest: d.to_string(),
                    index,
                });
            }
            op.inputs = inputs;
        } else {
            // Older provenance kept the op's own inputs, naming steps instead of digests.
            for input in &mut op.inputs {
                if let Some(d) = digests.get(&input.digest) {
                    input.digest = d.to_string();
                }
            }
        }
        let listed = digest_of_step
            .get(step.id.as_str())
            .map(|&d| Digest::from_raw(d));
        let defop = DefOp::from_decoded(op, listed, &step.id, &mut Vec::new());
        kept += usize::from(defop.pinned);
        digests.insert(step.id, defop.digest.clone());
        def.ops.push(defop);
    }
    if kept > 0 {
        def.notes.push(format!(
            "{kept} op(s) keep their recorded digest: provenance strips local.unique/local.session from local sources"
        ));
    }
    def.notes.push(
        "provenance has no op metadata: custom names, ignore-cache and caps are not known".into(),
    );
    if let Some(src) = source.filter(|s| !s.is_null()) {
        let j = J::root(src, &source_path, ctx);
        let mut locations = BTreeMap::new();
        for (step, locs) in j.map("locations", json::locations)? {
            if let Some(d) = digests.get(&step) {
                locations.insert(d.to_string(), locs);
            }
        }
        let infos = j.list("infos", |j| {
            Ok(pb::SourceInfo {
                filename: j.string("filename")?,
                data: j.bytes("data")?,
                definition: None,
                language: j.string("language")?,
            })
        })?;
        def.source = Some(pb::Source { locations, infos });
    }
    Ok((format, def))
}
