//! What a cache export of a job's result would contain (`exporter.ExportTo`, facts §4.11), as
//! data: every key of the result's key chain, with the result it would carry.
//!
//! The in-memory cache has no layers, so no record "already has a remote"; an exporter that may
//! compute remotes (every mode but remote-only) is assumed able to, as a worker would. Hence:
//! `max` exports the result of every non-root key (and of roots with `export_roots`); `min`
//! exports the final result only, because once it has a remote the walk into its dependencies
//! switches to remote-only and they have none. Keys whose vertex says `export_cache: false`
//! carry no result in either mode. The dependency links are exported either way.

use std::collections::BTreeMap;

use crate::llb::Digest;

use super::cache::{best_record, root_key, KeyId};
use super::{JobId, Solver};

/// `CacheExportMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportMode {
    /// Export the final result (and dependencies that already have remotes: none here).
    Min,
    /// Export every non-root vertex's result.
    Max,
}

/// One key of an export.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportedKey {
    /// The vertex the key belongs to.
    pub vertex: Digest,
    /// The key as exporters write it: `rootKey(cache digest, output)`.
    pub key: String,
    /// The result exported under it, if any.
    pub result: Option<String>,
    /// Per input, the keys (as in `key`) it links from.
    pub deps: Vec<Vec<String>>,
}

impl Solver {
    /// What exporting `job`'s result in `mode` would write, target first, each key once.
    pub fn cache_export(
        &mut self,
        job: JobId,
        mode: ExportMode,
        export_roots: bool,
    ) -> Vec<ExportedKey> {
        let Some(r) = self.jobs.get(job.0 as usize).and_then(|j| j.result) else {
            return Vec::new();
        };
        let overrides: BTreeMap<Digest, Option<bool>> = self.jobs[job.0 as usize]
            .vertices
            .iter()
            .map(|v| (v.digest.clone(), v.export_cache))
            .collect();
        let mut out = Vec::new();
        let mut seen: BTreeMap<KeyId, ()> = BTreeMap::new();
        // (key, still in min mode): in min mode, once a key gets a remote, the walk into its
        // dependencies continues as remote-only.
        let min = mode == ExportMode::Min;
        let mut stack: Vec<(KeyId, bool)> = self.results[r.0 as usize]
            .keys
            .iter()
            .rev()
            .map(|&k| (k, min))
            .collect();
        while let Some((k, min_active)) = stack.pop() {
            if seen.insert(k, ()).is_some() {
                continue;
            }
            let key = self.cache.key(k).clone();
            let add_record = overrides.get(&key.vtx).copied().flatten().unwrap_or(true);
            let export_record = export_roots || !key.deps.is_empty();
            let may_compute = mode == ExportMode::Max || min_active;
            let result = if export_record && add_record && may_compute {
                let records = self.cache.records(&[], k).unwrap_or_default();
                best_record(&records).map(|r| r.id.clone())
            } else {
                None
            };
            let still_min = min_active && result.is_none();
            let deps = key
                .deps
                .iter()
                .map(|alts| {
                    alts.iter()
                        .map(|a| {
                            let d = self.cache.key(a.key);
                            root_key(&d.digest, d.output)
                        })
                        .collect()
                })
                .collect();
            out.push(ExportedKey {
                vertex: key.vtx.clone(),
                key: root_key(&key.digest, key.output),
                result,
                deps,
            });
            for alts in key.deps.iter().rev() {
                for a in alts.iter().rev() {
                    stack.push((a.key, still_min));
                }
            }
        }
        out
    }
}
