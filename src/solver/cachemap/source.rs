//! `SourceOp.CacheMap` (`solver/llbsolver/ops/source.go`): `sha256("buildkit.source.v0:" +
//! key)`, where the key comes from the source. Only one key is computable offline: the index-0
//! key of a docker image pinned by digest (`mainManifestKey` in
//! `source/containerimage/pull.go`). Every other source gets a deterministic stand-in.

use super::gojson::{Obj, J};
use super::{platform, sha256_hex, Built};
use crate::llb::{encode_op, pb};
use crate::solver::ops::CacheMapBasis;

/// BuildKit's `sourceCacheType`.
pub const RULE: &str = "buildkit.source.v0";

const ATTR_LAYER_LIMIT: &str = "image.layerlimit";
const ATTR_CHECKSUM: &str = "image.checksum";

pub(super) fn cache_map(op: &pb::Op, s: &pb::SourceOp) -> Built {
    match image_key(op, s) {
        Some(Ok(key)) => {
            let preimage = format!("{RULE}:{}", key.manifest_key).into_bytes();
            Built {
                digest: sha256_hex(&preimage),
                deps: Vec::new(),
                basis: CacheMapBasis {
                    rule: RULE.into(),
                    exact: true,
                    platform: Some(key.platform),
                    counted: key.counted,
                    ..CacheMapBasis::default()
                },
                preimage,
            }
        }
        Some(Err(why)) => stand_in(op, &why),
        None => {
            let scheme = s.identifier.split_once("://").map_or("", |(s, _)| s);
            let why = match scheme {
                "docker-image" => "needs a registry: an image reference not pinned by digest \
                                   resolves to a manifest only there"
                    .to_string(),
                "git" => "needs the git remote: the key is the commit the ref resolves to".into(),
                "local" => "needs the client session: the key is the session's shared key for \
                            the directory"
                    .into(),
                "http" | "https" => {
                    "needs the network: the key comes from the downloaded content".into()
                }
                "oci-layout" => "needs the client session: the key comes from the client's \
                                 OCI layout store"
                    .into(),
                other => format!("source scheme {other:?} is not modelled"),
            };
            stand_in(op, &why)
        }
    }
}

/// A deterministic digest over the op's bytes, marked as not BuildKit's.
pub(super) fn stand_in(op: &pb::Op, why: &str) -> Built {
    let mut preimage = b"llbsim-stand-in:".to_vec();
    preimage.extend(encode_op(op));
    Built {
        digest: sha256_hex(&preimage),
        deps: vec![Default::default(); op.inputs.len()],
        basis: CacheMapBasis {
            rule: "stand-in".into(),
            exact: false,
            stand_in: why.to_string(),
            ..CacheMapBasis::default()
        },
        preimage: Vec::new(),
    }
}

/// The index-0 key of a pinned docker image.
pub struct ImageKey {
    /// `mainManifestKey`: `sha256:<hex>` of `manifest_json`.
    pub manifest_key: String,
    /// The JSON it hashes.
    pub manifest_json: String,
    /// The normalized platform, `os/arch[/variant]`.
    pub platform: String,
    /// What went in, for the basis.
    pub counted: Vec<String>,
}

/// `Some` for a `docker-image://` source pinned by digest: its index-0 key, or why the source
/// would fail. `None` for anything else.
pub fn image_key(op: &pb::Op, s: &pb::SourceOp) -> Option<Result<ImageKey, String>> {
    let reference = s.identifier.strip_prefix("docker-image://")?;
    let (_, pin) = reference.rsplit_once('@')?;
    Some(pinned_key(op, s, pin))
}

fn pinned_key(op: &pb::Op, s: &pb::SourceOp, pin: &str) -> Result<ImageKey, String> {
    let hex = pin
        .strip_prefix("sha256:")
        .filter(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        .ok_or_else(|| format!("the pinned digest {pin:?} does not parse"))?;
    let pin = format!("sha256:{hex}");
    let mut counted = vec![format!("pin {pin}")];
    let limit = match s.attrs.get(ATTR_LAYER_LIMIT) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n > 0 => {
                counted.push(format!("layer limit {n}"));
                Some(n)
            }
            _ => return Err(format!("the source would fail: invalid layer limit {v}")),
        },
    };
    if let Some(sum) = s.attrs.get(ATTR_CHECKSUM) {
        if *sum != pin {
            return Err(format!(
                "the source would fail: image digest {pin} does not match expected checksum {sum}"
            ));
        }
        counted.push(format!("checksum {sum} (matches the pin)"));
    }
    let p = platform::runtime_platform(op);
    let mut json = Obj::new()
        .put("Digest", J::str(&pin))
        .put("OS", J::str(&p.os))
        .put("Arch", J::str(&p.architecture))
        .s("Variant", &p.variant)
        .s("OSVersion", &p.os_version)
        .ss("OSFeatures", &p.os_features);
    if let Some(n) = limit {
        json = json.put("Limit", J::Int(n));
    }
    let manifest_json = json.done().to_go_string();
    let manifest_key = sha256_hex(manifest_json.as_bytes());
    counted.push(format!(
        "manifest key {manifest_key} = sha256({manifest_json})"
    ));
    Ok(ImageKey {
        manifest_key,
        manifest_json,
        platform: platform::display(&p),
        counted,
    })
}
