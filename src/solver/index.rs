//! The edge index (`index.go`): finds a different active edge with an equal cache key, so that
//! two vertices with different digests but the same cache key run once.

use std::collections::{BTreeMap, BTreeSet};

use super::cache::{root_key, KeyId, Link};
use super::{EdgeId, Solver};

#[derive(Debug, Default)]
struct Item {
    edge: Option<EdgeId>,
    links: BTreeMap<Link, BTreeSet<String>>,
    deps: BTreeSet<String>,
}

/// Index items by ID, and the IDs each edge is filed under.
#[derive(Debug, Default)]
pub(crate) struct EdgeIndex {
    items: BTreeMap<String, Item>,
    back_refs: BTreeMap<EdgeId, BTreeSet<String>>,
    /// For each `(link target, item)`, the item's links that point at the target. BuildKit scans every
    /// link of an item to drop one target (quadratic for a vertex with many consumers); this
    /// reverse map finds them directly. Same end state.
    pointing_at: BTreeMap<(String, String), BTreeSet<Link>>,
}

impl EdgeIndex {
    /// `edgeIndex.Release`.
    pub(crate) fn release(&mut self, e: EdgeId) {
        for id in self.back_refs.remove(&e).unwrap_or_default() {
            self.release_edge(&id);
        }
    }

    fn release_edge(&mut self, id: &str) {
        let Some(item) = self.items.get_mut(id) else {
            return;
        };
        item.edge = None;
        if item.links.is_empty() {
            let deps: Vec<String> = item.deps.iter().cloned().collect();
            self.items.remove(id);
            for d in deps {
                self.release_link(&d, id);
            }
        }
    }

    fn release_link(&mut self, id: &str, target: &str) {
        let mut stack = vec![(id.to_string(), target.to_string())];
        while let Some((id, target)) = stack.pop() {
            let links = self
                .pointing_at
                .remove(&(target.clone(), id.clone()))
                .unwrap_or_default();
            let Some(item) = self.items.get_mut(&id) else {
                continue;
            };
            for link in links {
                if let Some(targets) = item.links.get_mut(&link) {
                    targets.remove(&target);
                    if targets.is_empty() {
                        item.links.remove(&link);
                    }
                }
            }
            if item.edge.is_none() && item.links.is_empty() {
                let deps: Vec<String> = item.deps.iter().cloned().collect();
                self.items.remove(&id);
                for d in deps {
                    stack.push((d, id.clone()));
                }
            }
        }
    }

    /// Adds `target` under `link` of item `id` (which must exist).
    fn link(&mut self, id: &str, link: Link, target: &str) {
        if let Some(item) = self.items.get_mut(id) {
            item.links
                .entry(link.clone())
                .or_default()
                .insert(target.to_string());
            self.pointing_at
                .entry((target.to_string(), id.to_string()))
                .or_default()
                .insert(link);
        }
    }
}

impl Solver {
    /// `edgeIndex.LoadOrStore`: another edge with an equal key, or files `e` under `k`.
    pub(crate) fn index_load_or_store(&mut self, k: KeyId, e: EdgeId) -> Option<EdgeId> {
        let ids = self.index_matches(k);
        let mut old: Option<(String, EdgeId)> = None;
        for id in &ids {
            if let Some(item) = self.index.items.get(id) {
                if let Some(edge) = item.edge {
                    if edge != e {
                        old = Some((id.clone(), edge));
                    }
                }
            }
        }
        let ignore = |s: &Solver, e: EdgeId| {
            s.states[s.edges[e.0 as usize].state_id.0 as usize].ignore_cache
        };
        if let Some((old_id, old_edge)) = old {
            if ignore(self, old_edge) || !ignore(self, e) {
                self.enforce_linked(&old_id, k);
                return Some(old_edge);
            }
        }
        let id = match ids.first() {
            Some(id) => id.clone(),
            None => self.cache.new_id(),
        };
        self.enforce_linked(&id, k);
        if let Some(item) = self.index.items.get_mut(&id) {
            item.edge = Some(e);
        }
        self.index.back_refs.entry(e).or_default().insert(id);
        None
    }

    fn enforce_linked(&mut self, id: &str, k: KeyId) {
        self.index.items.entry(id.to_string()).or_default();
        let key = self.cache.key(k).clone();
        for (i, dd) in key.deps.iter().enumerate() {
            for d in dd {
                self.enforce_index_id(d.key);
                let link = key.link_from(i, &d.selector);
                let ck_ids = self.cache.key(d.key).index_ids.clone();
                for ck_id in ck_ids {
                    if self.index.items.contains_key(&ck_id) {
                        self.index.link(&ck_id, link.clone(), id);
                        if let Some(main) = self.index.items.get_mut(id) {
                            main.deps.insert(ck_id);
                        }
                    }
                }
            }
        }
    }

    fn enforce_index_id(&mut self, k: KeyId) {
        if !self.cache.key(k).index_ids.is_empty() {
            return;
        }
        let matches = self.index_matches(k);
        let ids = if matches.is_empty() {
            vec![self.cache.new_id()]
        } else {
            matches
        };
        self.cache.key_mut(k).index_ids = ids.clone();
        for id in ids {
            self.enforce_linked(&id, k);
        }
    }

    fn index_matches(&mut self, k: KeyId) -> Vec<String> {
        let key = self.cache.key(k).clone();
        if key.deps.is_empty() {
            return vec![root_key(&key.digest, key.output)];
        }
        for dd in &key.deps {
            for d in dd {
                self.enforce_index_id(d.key);
            }
        }
        let mut matches: BTreeSet<String> = BTreeSet::new();
        for (i, dd) in key.deps.iter().enumerate() {
            let links_of = |s: &Solver, d: &super::cache::KeyWithSelector| -> Vec<(String, Link)> {
                let link = key.link_from(i, &d.selector);
                s.cache
                    .key(d.key)
                    .index_ids
                    .iter()
                    .map(|id| (id.clone(), link.clone()))
                    .collect()
            };
            if i == 0 {
                for d in dd {
                    for (ck_id, link) in links_of(self, d) {
                        if let Some(set) = self
                            .index
                            .items
                            .get(&ck_id)
                            .and_then(|it| it.links.get(&link))
                        {
                            matches.extend(set.iter().cloned());
                        }
                    }
                }
                continue;
            }
            if matches.is_empty() {
                break;
            }
            let candidates: Vec<String> = matches.iter().cloned().collect();
            for m in candidates {
                let found = dd.iter().any(|d| {
                    links_of(self, d).iter().any(|(ck_id, link)| {
                        self.index
                            .items
                            .get(ck_id)
                            .and_then(|it| it.links.get(link))
                            .is_some_and(|set| set.contains(&m))
                    })
                });
                if !found {
                    matches.remove(&m);
                }
            }
        }
        matches.into_iter().collect()
    }
}
