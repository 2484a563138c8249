//! Cache keys and the in-memory cache manager: BuildKit's `cachekey.go`, `cachemanager.go` and
//! `memorycachestorage.go` (facts §4.7).
//!
//! A root key's ID is `sha256("<cache map digest>@<output>")`. Every other key is a node of a
//! link graph: its storage ID is found by walking links `(input, output, digest, selector)` from
//! its dependencies' IDs, intersected over the inputs, and when nothing matches it gets a fresh ID.
//! BuildKit's fresh IDs are random; here they come from a seeded generator, so runs repeat.
//! Where BuildKit iterates a Go map (random order), this code iterates sorted collections.
//!
//! How a selector enters a key. An op's cache map gives, per input, a selector: a digest of the
//! part of the input the op reads (a mount's or copy's source paths), "" for the whole input.
//! A key's `deps[i]` lists input `i`'s alternatives as [`KeyWithSelector`]s: each of the input's
//! own keys (the keys its edge reported, or the keys its result was saved under) is used under
//! the *consumer's* selector for that input, since the same input key read at another path is
//! another dependency. The selector then becomes part of the [`Link`] from the input key to the
//! consumer's key, so a query or a save under one selector never meets one under another. The
//! content-based key of an input (`ComputeDigestFunc` over its result, made with no vertex and
//! output -1) is the exception: it is used with no selector, because its digest already covers
//! the selected paths. The edge assembles these alternatives in one place,
//! `Solver::dep_keys` (`src/solver/edge/inputs.rs`).

use std::collections::{BTreeMap, BTreeSet};

use crate::llb::Digest;

use super::Time;

mod describe;
mod storage;
pub use describe::{InputKey, KeyInfo};
pub use storage::IdGen;
use storage::Storage;

/// A cache key in the solver's key arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

/// A dependency key with the selector under which the consumer uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyWithSelector {
    /// The dependency's key.
    pub key: KeyId,
    /// Selector digest ("" for none).
    pub selector: String,
}

/// `solver.CacheKey`.
#[derive(Clone, Debug)]
pub struct CacheKey {
    /// `ID`: the root key for keys made by `NewCacheKey`, or a storage ID for query results.
    pub id: String,
    /// The cache map digest of the op.
    pub digest: String,
    /// The vertex the key belongs to (informational).
    pub vtx: Digest,
    /// Output index.
    pub output: i64,
    /// Per input, the alternative keys of that input.
    pub deps: Vec<Vec<KeyWithSelector>>,
    /// The key's storage ID in each cache manager that has computed one (`ids` in BuildKit).
    storage_ids: BTreeMap<ManagerId, String>,
    /// The edge index's IDs for this key.
    pub(crate) index_ids: Vec<String>,
}

impl CacheKey {
    /// The link from input `input`'s key (used with `selector`) to this key.
    pub fn link_from(&self, input: usize, selector: &str) -> Link {
        Link {
            input,
            output: self.output,
            digest: self.digest.clone(),
            selector: selector.to_string(),
        }
    }
}

/// `CacheInfoLink`: an edge of the key graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    /// Input position in the target op.
    pub input: usize,
    /// Output index of the target.
    pub output: i64,
    /// The target op's cache map digest.
    pub digest: String,
    /// Selector of the dependency.
    pub selector: String,
}

/// A cache manager: index 0 ([`MAIN`]) is the solver's own cache; the others are cache sources
/// (imported caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ManagerId(pub u16);

/// The solver's own cache manager (`DefaultCache`).
pub const MAIN: ManagerId = ManagerId(0);

/// `CacheRecord`: a result stored under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRecord {
    /// Result ID.
    pub id: String,
    /// The key it was found under.
    pub key: KeyId,
    /// The manager that holds it.
    pub manager: ManagerId,
    /// When it was saved, on the virtual clock.
    pub created_at: Time,
    /// Lower is preferred among equally new records.
    pub priority: i32,
}

/// `rootKey(dgst, output)`.
pub fn root_key(dgst: &str, output: i64) -> String {
    if let Some(rest) = dgst.strip_prefix("random:") {
        return format!("random:{rest}");
    }
    Digest::of(format!("{dgst}@{output}").as_bytes()).to_string()
}

/// One in-memory cache manager: key storage plus the results that exist.
#[derive(Debug, Clone, Default)]
struct Manager {
    /// A name for people (`main`, or the source's name).
    name: String,
    storage: Storage,
    results: BTreeSet<String>,
}

/// What [`Cache::load`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The result ID.
    pub result: String,
    /// The record came from a cache source and was saved into the main cache.
    pub materialized: bool,
}

/// The key arena and the cache managers: the main one and any cache sources. A state whose
/// vertex has cache sources talks to all of them the way `combinedCacheManager` does (facts
/// §4.12); otherwise only to the main one.
#[derive(Debug)]
pub struct Cache {
    keys: Vec<CacheKey>,
    managers: Vec<Manager>,
    ids: IdGen,
}

impl Cache {
    /// An empty cache whose fresh IDs come from `seed`.
    pub fn new(seed: u64) -> Cache {
        Cache {
            keys: Vec::new(),
            managers: vec![Manager {
                name: "main".into(),
                ..Manager::default()
            }],
            ids: IdGen::new(seed),
        }
    }

    /// A fresh random-looking ID (shared with the edge index).
    pub fn new_id(&mut self) -> String {
        self.ids.next_id()
    }

    /// Adds a cache source holding a copy of everything the main cache holds now, as an
    /// imported cache exported with `mode=max` would.
    pub fn snapshot_as_source(&mut self, name: &str) -> ManagerId {
        let mut m = self.managers[MAIN.0 as usize].clone();
        m.name = name.to_string();
        self.managers.push(m);
        ManagerId((self.managers.len() - 1) as u16)
    }

    /// The name of a manager.
    pub fn manager_name(&self, m: ManagerId) -> &str {
        self.managers
            .get(m.0 as usize)
            .map_or("", |m| m.name.as_str())
    }

    fn mgr(&mut self, m: ManagerId) -> &mut Manager {
        let i = (m.0 as usize).min(self.managers.len() - 1);
        &mut self.managers[i]
    }

    /// `NewCacheKey(dgst, vtx, output)`.
    pub fn new_key(&mut self, dgst: &str, vtx: &Digest, output: i64) -> KeyId {
        self.push(CacheKey {
            id: root_key(dgst, output),
            digest: dgst.to_string(),
            vtx: vtx.clone(),
            output,
            deps: Vec::new(),
            storage_ids: BTreeMap::new(),
            index_ids: Vec::new(),
        })
    }

    /// `CacheKey.clone()`: same ID, digest, vtx, output and storage IDs; no deps.
    pub fn clone_key(&mut self, k: KeyId) -> KeyId {
        let mut c = self.key(k).clone();
        c.deps = Vec::new();
        c.index_ids = Vec::new();
        self.push(c)
    }

    fn push(&mut self, k: CacheKey) -> KeyId {
        self.keys.push(k);
        KeyId((self.keys.len() - 1) as u32)
    }

    /// The key with `id`.
    pub fn key(&self, id: KeyId) -> &CacheKey {
        &self.keys[id.0 as usize]
    }

    pub(crate) fn key_mut(&mut self, id: KeyId) -> &mut CacheKey {
        &mut self.keys[id.0 as usize]
    }

    /// Sets a key's dependencies.
    pub fn set_deps(&mut self, k: KeyId, deps: Vec<Vec<KeyWithSelector>>) {
        self.key_mut(k).deps = deps;
    }

    fn new_key_with_id(&mut self, m: ManagerId, id: String, dgst: &str, output: i64) -> KeyId {
        self.push(CacheKey {
            id: id.clone(),
            digest: dgst.to_string(),
            vtx: Digest::default(),
            output,
            deps: Vec::new(),
            storage_ids: BTreeMap::from([(m, id)]),
            index_ids: Vec::new(),
        })
    }

    /// `cacheManager.getID` of the main cache.
    pub fn storage_id(&mut self, k: KeyId) -> String {
        self.storage_id_in(MAIN, k)
    }

    /// `cacheManager.getID` of manager `m`.
    fn storage_id_in(&mut self, m: ManagerId, k: KeyId) -> String {
        if let Some(id) = self.key(k).storage_ids.get(&m) {
            return id.clone();
        }
        let id = if self.key(k).deps.is_empty() {
            self.key(k).id.clone()
        } else {
            self.id_from_deps(m, k)
        };
        self.key_mut(k).storage_ids.insert(m, id.clone());
        id
    }

    /// `getIDFromDeps`: follow links from each dependency; the first input's targets, narrowed by
    /// each alternative of every further input; any survivor, else a fresh ID.
    fn id_from_deps(&mut self, m: ManagerId, k: KeyId) -> String {
        let key = self.key(k).clone();
        let mut matches: BTreeSet<String> = BTreeSet::new();
        for (i, deps) in key.deps.iter().enumerate() {
            if i == 0 || !matches.is_empty() {
                for ck in deps {
                    let link = key.link_from(i, &ck.selector);
                    let from = self.storage_id_in(m, ck.key);
                    let found = self.mgr(m).storage.walk_links(&from, &link);
                    if i == 0 {
                        matches.extend(found);
                    } else {
                        let m2: BTreeSet<String> = found.into_iter().collect();
                        matches.retain(|id| m2.contains(id));
                    }
                }
            }
        }
        match matches.into_iter().next() {
            Some(id) => id,
            None => self.new_id(),
        }
    }

    /// `Query(deps, input, dgst, output)` on the main cache plus `sources` (a combined query
    /// when there are any: keys unioned by ID, the main cache's key preferred, in ID order).
    pub fn query(
        &mut self,
        sources: &[ManagerId],
        deps: &[KeyWithSelector],
        input: usize,
        dgst: &str,
        output: i64,
    ) -> Vec<KeyId> {
        if sources.is_empty() {
            return self.query_in(MAIN, deps, input, dgst, output);
        }
        let mut by_id: BTreeMap<String, KeyId> = BTreeMap::new();
        for &m in std::iter::once(&MAIN).chain(sources) {
            for k in self.query_in(m, deps, input, dgst, output) {
                let id = self.key(k).id.clone();
                if m == MAIN || !by_id.contains_key(&id) {
                    by_id.insert(id, k);
                }
            }
        }
        by_id.into_values().collect()
    }

    /// One manager's `Query`.
    fn query_in(
        &mut self,
        m: ManagerId,
        deps: &[KeyWithSelector],
        input: usize,
        dgst: &str,
        output: i64,
    ) -> Vec<KeyId> {
        // Per dependency: its storage ID, the link it is queried over, the targets found.
        let mut per_dep: Vec<(String, Link, BTreeSet<String>)> = Vec::with_capacity(deps.len());
        let mut all: BTreeSet<String> = BTreeSet::new();
        for d in deps {
            let link = Link {
                input,
                output,
                digest: dgst.to_string(),
                selector: d.selector.clone(),
            };
            let from = self.storage_id_in(m, d.key);
            let found: BTreeSet<String> = self
                .mgr(m)
                .storage
                .walk_links(&from, &link)
                .into_iter()
                .collect();
            all.extend(found.iter().cloned());
            per_dep.push((from, link, found));
        }
        // Every dependency that lacks a link to a found target gets one.
        for id in &all {
            for (from, link, found) in &per_dep {
                if !found.contains(id) {
                    self.mgr(m).storage.add_link(from, link.clone(), id);
                }
            }
        }
        if deps.is_empty() {
            let root = root_key(dgst, output);
            if !self.mgr(m).storage.exists(&root) {
                return Vec::new();
            }
            return vec![self.new_key_with_id(m, root, dgst, output)];
        }
        all.into_iter()
            .map(|id| self.new_key_with_id(m, id, dgst, output))
            .collect()
    }

    /// `Records(key)`. Without sources: the main cache's records (computing the key's ID).
    /// With sources (combined): only the managers the key already has an ID in, records unioned
    /// by ID, the main cache's winning with priority 1; a key with no IDs at all is an error.
    pub fn records(&mut self, sources: &[ManagerId], k: KeyId) -> Result<Vec<CacheRecord>, String> {
        if sources.is_empty() {
            return Ok(self.records_in(MAIN, k));
        }
        let managers: Vec<ManagerId> = self.key(k).storage_ids.keys().copied().collect();
        if managers.is_empty() {
            return Err("no results".into());
        }
        let mut by_id: BTreeMap<String, CacheRecord> = BTreeMap::new();
        for m in managers {
            for mut rec in self.records_in(m, k) {
                if m == MAIN || !by_id.contains_key(&rec.id) {
                    if m == MAIN {
                        rec.priority = 1;
                    }
                    by_id.insert(rec.id.clone(), rec);
                }
            }
        }
        Ok(by_id.into_values().collect())
    }

    /// One manager's `Records`: results stored under the key that still exist.
    fn records_in(&mut self, m: ManagerId, k: KeyId) -> Vec<CacheRecord> {
        let id = self.storage_id_in(m, k);
        let mut out = Vec::new();
        let mgr = self.mgr(m);
        for (r, created_at) in mgr.storage.results(&id) {
            if mgr.results.contains(&r) {
                out.push(CacheRecord {
                    id: r,
                    key: k,
                    manager: m,
                    created_at,
                    priority: 0,
                });
            } else {
                mgr.storage.release(&r);
            }
        }
        out
    }

    /// `Load(record)` through the record's own manager. A record from a cache source is then
    /// saved into the main cache (the imported cache is materialised locally).
    pub fn load(&mut self, rec: &CacheRecord) -> Result<Loaded, String> {
        let m = rec.manager;
        let id = self.storage_id_in(m, rec.key);
        let mgr = self.mgr(m);
        let known = mgr
            .storage
            .by_id
            .get(&id)
            .is_some_and(|k| k.results.contains_key(&rec.id));
        if !known {
            return Err(format!("no such key {id}: not found"));
        }
        if !mgr.results.contains(&rec.id) {
            return Err("not found".into());
        }
        let materialized = m != MAIN;
        if materialized {
            self.save(rec.key, &rec.id, rec.created_at);
        }
        Ok(Loaded {
            result: rec.id.clone(),
            materialized,
        })
    }

    /// `Save(key, result, createdAt)`, always into the main cache.
    pub fn save(&mut self, k: KeyId, result: &str, now: Time) -> CacheRecord {
        let id = self.storage_id(k);
        let main = self.mgr(MAIN);
        main.results.insert(result.to_string());
        main.storage.add_result(&id, result, now);
        self.ensure_persistent_key(k);
        CacheRecord {
            id: result.to_string(),
            key: k,
            manager: MAIN,
            created_at: now,
            priority: 0,
        }
    }

    fn ensure_persistent_key(&mut self, k: KeyId) {
        let mut stack = vec![k];
        let mut seen = BTreeSet::new();
        while let Some(k) = stack.pop() {
            if !seen.insert(k) {
                continue;
            }
            let key = self.key(k).clone();
            let id = self.storage_id(k);
            for (i, deps) in key.deps.iter().enumerate() {
                for ck in deps {
                    let link = key.link_from(i, &ck.selector);
                    let ck_id = self.storage_id(ck.key);
                    let storage = &mut self.mgr(MAIN).storage;
                    if !storage.has_link(&ck_id, &link, &id) {
                        stack.push(ck.key);
                        storage.add_link(&ck_id, link, &id);
                    }
                }
            }
        }
    }

    /// Drops every stored key and result of the main cache ("clear cache"); cache sources stay.
    pub fn clear(&mut self) {
        let main = self.mgr(MAIN);
        main.storage = Storage::default();
        main.results.clear();
    }

    /// Number of results stored in the main cache.
    pub fn result_count(&self) -> usize {
        self.managers[MAIN.0 as usize].results.len()
    }

    /// Releases one result of the main cache (and prunes keys left empty).
    pub fn release(&mut self, result: &str) {
        let main = self.mgr(MAIN);
        main.results.remove(result);
        main.storage.release(result);
    }
}

/// `getBestResult`: newest first, then lower priority; stable.
pub fn best_record(records: &[CacheRecord]) -> Option<&CacheRecord> {
    let mut sorted: Vec<&CacheRecord> = records.iter().collect();
    sorted.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(a.priority.cmp(&b.priority))
    });
    sorted.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_key_is_sha256_of_digest_at_output() {
        let d = "sha256:abc";
        assert_eq!(root_key(d, 0), Digest::of(b"sha256:abc@0").to_string());
        assert_eq!(root_key("random:xyz", 1), "random:xyz");
    }

    #[test]
    fn save_then_query_finds_the_dependent_key() {
        let mut c = Cache::new(1);
        let vtx = Digest::of(b"v");
        let a = c.new_key("cmA", &vtx, 0);
        c.save(a, "resA", 1);
        // Root query finds A.
        let found = c.query(&[], &[], 0, "cmA", 0);
        assert_eq!(found.len(), 1);
        assert_eq!(c.records(&[], found[0]).unwrap_or_default().len(), 1);
        // B depends on A.
        let b = c.new_key("cmB", &vtx, 0);
        c.set_deps(
            b,
            vec![vec![KeyWithSelector {
                key: a,
                selector: "sel".into(),
            }]],
        );
        c.save(b, "resB", 2);
        let hits = c.query(
            &[],
            &[KeyWithSelector {
                key: found[0],
                selector: "sel".into(),
            }],
            0,
            "cmB",
            0,
        );
        assert_eq!(hits.len(), 1);
        let recs = c.records(&[], hits[0]).unwrap_or_default();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].id, "resB");
        // A different selector misses.
        assert!(c
            .query(
                &[],
                &[KeyWithSelector {
                    key: found[0],
                    selector: "other".into()
                }],
                0,
                "cmB",
                0
            )
            .is_empty());
    }

    #[test]
    fn combined_records_need_an_id_and_prefer_main() {
        let mut c = Cache::new(3);
        let vtx = Digest::of(b"v");
        let a = c.new_key("cmA", &vtx, 0);
        c.save(a, "resA", 1);
        let src = c.snapshot_as_source("registry");
        // A fresh key has no IDs yet: a combined cache has nothing to ask.
        let fresh = c.new_key("cmA", &vtx, 0);
        assert_eq!(c.records(&[src], fresh), Err("no results".to_string()));
        // Both hold the root key: the query keeps main's key, so main's record, priority 1.
        let found = c.query(&[src], &[], 0, "cmA", 0);
        assert_eq!(found.len(), 1);
        let recs = c.records(&[src], found[0]).unwrap_or_default();
        assert_eq!(recs.len(), 1);
        assert_eq!((recs[0].manager, recs[0].priority), (MAIN, 1));
        // Only the source holds it: its record, loaded and saved into main.
        c.clear();
        let found = c.query(&[src], &[], 0, "cmA", 0);
        let recs = c.records(&[src], found[0]).unwrap_or_default();
        assert_eq!((recs[0].manager, recs[0].priority), (src, 0));
        let loaded = c.load(&recs[0]);
        assert_eq!(
            loaded,
            Ok(Loaded {
                result: "resA".into(),
                materialized: true
            })
        );
        assert_eq!(c.result_count(), 1);
        assert_eq!(c.query(&[], &[], 0, "cmA", 0).len(), 1);
    }

    #[test]
    fn ids_are_deterministic_base36() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let x = a.next_id();
        assert_eq!(x, b.next_id());
        assert_eq!(x.len(), 25);
        assert!(x
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_ne!(x, a.next_id());
    }

    #[test]
    fn best_record_is_newest_then_lowest_priority() {
        let k = KeyId(0);
        let r = |id: &str, t, p| CacheRecord {
            id: id.into(),
            key: k,
            manager: MAIN,
            created_at: t,
            priority: p,
        };
        let recs = [r("old", 1, 0), r("new1", 5, 1), r("new0", 5, 0)];
        assert_eq!(best_record(&recs).map(|r| r.id.as_str()), Some("new0"));
    }
}
