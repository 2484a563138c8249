//! `buildctl debug dump-llb` JSON: one `{"Op": …, "Digest": "sha256:…", "OpMetadata": …}` object
//! per op, in `def` order (terminal last). Objects may be one per line, pretty-printed
//! (`| jq .`), or wrapped in a JSON array.
//!
//! The op bytes are rebuilt with the deterministic encoder. When they reproduce the listed
//! digest (the normal case) the op is exactly what BuildKit hashed; when they do not (dump-llb
//! prints symlink actions as `{}`, and drops fields it does not know), the listed digest is kept.

use serde_json::Value;

use super::json::{self, Ctx, J};
use super::{DefOp, Definition, Digest, Format};
use crate::error::ParseError;

/// Reads a dump-llb stream from already-parsed JSON values.
pub fn from_values(values: &[Value]) -> Result<Definition, ParseError> {
    let mut def = Definition {
        ops: Vec::new(),
        metadata: Default::default(),
        source: None,
        notes: Vec::new(),
    };
    let mut legacy = false;
    for (i, v) in values.iter().enumerate() {
        let ctx = Ctx {
            format: Format::DumpLlb,
            record: Some(i + 1),
        };
        let rec = J::root(v, "$", ctx);
        rec.object()?;
        let Some(op) = rec.with("Op", json::op)? else {
            return Err(rec.err("missing \"Op\": not a dump-llb record"));
        };
        if let Some(Value::Object(o)) = v.get("Op").and_then(|o| o.get("Op")) {
            legacy |= o
                .keys()
                .any(|k| k.starts_with(|c: char| c.is_ascii_uppercase()));
        }
        let listed = rec.with("Digest", |j| {
            let s = j.as_string()?;
            Digest::parse(&s)
                .map(|_| s)
                .ok_or_else(|| j.err("not a sha256 digest (sha256: and 64 hex digits)"))
        })?;
        let listed = listed.map(Digest::from_raw);
        let defop = DefOp::from_decoded(op, listed, &format!("op {i}"), &mut def.notes);
        let digest = defop.digest.clone();
        if let Some(md) = rec.with("OpMetadata", json::op_metadata)? {
            if md != Default::default() {
                def.metadata.insert(digest.clone(), md);
            }
        }
        def.ops.push(defop);
    }
    if legacy {
        def.notes
            .push("older dump-llb key casing (Exec/Source/File…)".into());
    }
    Ok(def)
}
