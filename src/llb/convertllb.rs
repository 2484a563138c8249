//! Dockerfile frontend `--call=convertllb,format=json` output:
//! `{"def": {digest: <protojson Op>}, "metadata": {digest: OpMetadata}, "source": <protojson Source>}`.
//!
//! `def` is a map, so the order of the original definition is gone. The terminal op is the one
//! with no kind that no other op uses; the others are put in load order (inputs first) from it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::json::{self, Ctx, J};
use super::{pb, DefOp, Definition, Digest, Format};
use crate::error::ParseError;

/// Reads convertllb JSON.
pub fn from_value(v: &Value) -> Result<Definition, ParseError> {
    let ctx = Ctx {
        format: Format::ConvertLlb,
        record: None,
    };
    let root = J::root(v, "$", ctx);
    let ops: BTreeMap<String, pb::Op> = root.map("def", json::op)?;
    let metadata = root.map("metadata", json::op_metadata)?;
    let source = root.message("source", json::source)?;
    let mut notes = Vec::new();

    if let Some(bad) = ops.keys().find(|k| Digest::parse(k).is_none()) {
        return Err(ctx.error(
            &format!("$.def[{bad:?}]"),
            "key is not a sha256 digest (sha256: and 64 hex digits)",
        ));
    }
    let used: BTreeSet<&str> = ops
        .values()
        .flat_map(|o| o.inputs.iter().map(|i| i.digest.as_str()))
        .collect();
    let terminals: Vec<&String> = ops
        .iter()
        .filter(|(d, o)| o.op.is_none() && !used.contains(d.as_str()))
        .map(|(d, _)| d)
        .collect();
    let terminal = match terminals.as_slice() {
        [t] => (*t).clone(),
        [] => {
            return Err(
                root.err("no terminal op in \"def\" (an op with only inputs that nothing uses)")
            )
        }
        many => {
            let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            return Err(root.err(format!(
                "several candidate terminal ops in \"def\": {}",
                list.join(", ")
            )));
        }
    };

    // Inputs-first order from the terminal, then any op it does not reach.
    let mut order: Vec<&String> = Vec::with_capacity(ops.len());
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<(&str, usize)> = Vec::new();
    if let Some((k, _)) = ops.get_key_value(&terminal) {
        seen.insert(k);
        stack.push((k, 0));
    }
    while let Some((d, next)) = stack.last_mut() {
        let op = &ops[*d];
        if let Some(input) = op.inputs.get(*next) {
            *next += 1;
            if let Some((k, _)) = ops.get_key_value(&input.digest) {
                if seen.insert(k) {
                    stack.push((k, 0));
                }
            }
            continue;
        }
        if let Some((k, _)) = ops.get_key_value(*d) {
            order.push(k);
        }
        stack.pop();
    }
    order.pop(); // the terminal, appended last below
    let unreachable: Vec<&String> = ops.keys().filter(|k| !seen.contains(k.as_str())).collect();
    order.extend(unreachable);
    order.push(
        ops.get_key_value(&terminal)
            .map(|(k, _)| k)
            .unwrap_or(&terminal),
    );

    let mut def = Definition {
        ops: Vec::with_capacity(order.len()),
        metadata: BTreeMap::new(),
        source,
        notes: Vec::new(),
    };
    for (i, key) in order.into_iter().enumerate() {
        let op = ops[key].clone();
        let defop = DefOp::from_decoded(
            op,
            Some(Digest::from_raw(key.clone())),
            &format!("op {i}"),
            &mut notes,
        );
        def.ops.push(defop);
    }
    for (k, md) in metadata {
        def.metadata.insert(Digest::from_raw(k), md);
    }
    def.notes = notes;
    Ok(def)
}
