//! Cache keys described for people ([`KeyInfo`]): what `llbsim explain` and the event log show.

use super::{root_key, Cache, KeyId, MAIN};

/// A cache key as a person reads it: its ID and what it was made of. Taken from what the solver
/// computed (no ID is computed just to show it, so describing a key never changes a solve).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// The key's ID in the local cache: for a root, `sha256("<cache map digest>@<output>")`; for
    /// any other key, the storage ID found by following links from its inputs' keys (a fresh ID
    /// when no link matched).
    pub id: String,
    /// A root key (no inputs): its ID is computed from the cache map digest alone.
    pub root: bool,
    /// The op's cache map digest.
    pub digest: String,
    /// The output index.
    pub output: i64,
    /// Per input of the op, the input's alternative keys this key was made from.
    pub inputs: Vec<Vec<InputKey>>,
}

/// One input key of a [`KeyInfo`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputKey {
    /// The input key's ID.
    pub id: String,
    /// The vertex the input key belongs to ("" for a content-based key, which belongs to none).
    pub vertex: String,
    /// The selector digest it is used under ("" for none).
    pub selector: String,
    /// A content-based key: the digest of the input's files (under the selector's paths), not of
    /// how they were made.
    pub content: bool,
}

impl Cache {
    /// The ID a key has in the main cache, as far as it has been computed: the storage ID if the
    /// solver computed one, else the key's own ID.
    fn known_id(&self, k: KeyId) -> String {
        let key = self.key(k);
        key.storage_ids
            .get(&MAIN)
            .cloned()
            .unwrap_or_else(|| key.id.clone())
    }

    /// `k` described (see [`KeyInfo`]).
    pub fn describe(&self, k: KeyId) -> KeyInfo {
        let key = self.key(k);
        let inputs = key
            .deps
            .iter()
            .map(|alts| {
                alts.iter()
                    .map(|ks| {
                        let dep = self.key(ks.key);
                        let content = dep.vtx.as_str().is_empty() && dep.output == -1;
                        InputKey {
                            id: self.known_id(ks.key),
                            vertex: dep.vtx.to_string(),
                            selector: ks.selector.clone(),
                            content,
                        }
                    })
                    .collect()
            })
            .collect();
        KeyInfo {
            id: self.known_id(k),
            root: key.deps.is_empty() && key.id == root_key(&key.digest, key.output),
            digest: key.digest.clone(),
            output: key.output,
            inputs,
        }
    }
}
