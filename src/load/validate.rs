//! Per-op checks made while loading: BuildKit's `opsutils.Validate`, then the load options that
//! can fail (`ValidateEntitlements`, `WithValidateCaps`), in that order.

use super::{caps, LoadOptions};
use crate::error::LoadErrorKind;
use crate::llb::pb;

/// `opsutils.Validate`. Ops without a oneof pass (they fail only when run).
pub(crate) fn validate(op: &pb::Op) -> Result<(), LoadErrorKind> {
    use LoadErrorKind::InvalidOp;
    match &op.op {
        Some(pb::OpKind::Exec(exec)) => {
            let Some(meta) = &exec.meta else {
                return Err(InvalidOp("invalid exec op with no meta"));
            };
            if meta.args.is_empty() {
                return Err(InvalidOp("invalid exec op with no args"));
            }
            if exec.mounts.is_empty() {
                return Err(InvalidOp("invalid exec op with no mounts"));
            }
            if !exec.mounts.iter().any(|m| m.dest == "/") {
                return Err(InvalidOp("invalid exec op with no rootfs"));
            }
        }
        Some(pb::OpKind::File(file)) if file.actions.is_empty() => {
            return Err(InvalidOp("invalid file op with no actions"));
        }
        Some(pb::OpKind::Diff(diff)) if diff.lower.is_none() || diff.upper.is_none() => {
            return Err(InvalidOp("invalid diff op with nil lower or upper input"));
        }
        Some(pb::OpKind::Passthrough(p)) => {
            if p.id.is_empty() {
                return Err(InvalidOp("invalid passthrough op with no id"));
            }
            if p.outputs.is_empty() {
                return Err(InvalidOp("invalid passthrough op with no outputs"));
            }
            let n = op.inputs.len() as i64;
            if let Some(&o) = p.outputs.iter().find(|&&o| o < 0 || (n > 0 && o >= n)) {
                return Err(LoadErrorKind::InvalidPassthroughOutput(o));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The load options that can reject an op, in the bridge's order: entitlements, then caps
/// (checked in sorted order; BuildKit's map order is random).
pub(crate) fn load_options(
    op: &pb::Op,
    metadata: Option<&pb::OpMetadata>,
    opts: &LoadOptions,
) -> Result<(), LoadErrorKind> {
    if let Some(pb::OpKind::Exec(exec)) = &op.op {
        if exec.network == pb::NetMode::Host as i32 && !opts.entitlements.network_host {
            return Err(LoadErrorKind::EntitlementNotAllowed("network.host"));
        }
        if exec.security == pb::SecurityMode::Insecure as i32
            && !opts.entitlements.security_insecure
        {
            return Err(LoadErrorKind::EntitlementNotAllowed("security.insecure"));
        }
    }
    if let Some(md) = metadata {
        if let Some(cap) = md.caps.keys().find(|c| !caps::is_known(c)) {
            return Err(LoadErrorKind::UnknownCapability(cap.clone()));
        }
    }
    Ok(())
}
