//! The in-memory `CacheKeyStorage` of one cache manager (BuildKit's `memorycachestorage.go`):
//! keys with their results and links, and the deterministic ID generator that stands in for
//! BuildKit's random IDs.

use std::collections::{BTreeMap, BTreeSet};

use super::Link;
use crate::solver::Time;

#[derive(Default, Debug, Clone)]
pub(super) struct StoredKey {
    pub(super) results: BTreeMap<String, Time>,
    pub(super) links: BTreeMap<Link, BTreeSet<String>>,
    pub(super) backlinks: BTreeSet<String>,
}

/// The in-memory `CacheKeyStorage`.
#[derive(Default, Debug, Clone)]
pub(super) struct Storage {
    pub(super) by_id: BTreeMap<String, StoredKey>,
    pub(super) by_result: BTreeMap<String, BTreeSet<String>>,
}

impl Storage {
    pub(super) fn exists(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|k| !k.links.is_empty() || !k.results.is_empty())
    }

    pub(super) fn add_result(&mut self, id: &str, result: &str, created_at: Time) {
        self.by_id
            .entry(id.to_string())
            .or_default()
            .results
            .insert(result.to_string(), created_at);
        self.by_result
            .entry(result.to_string())
            .or_default()
            .insert(id.to_string());
    }

    pub(super) fn add_link(&mut self, id: &str, link: Link, target: &str) {
        self.by_id
            .entry(target.to_string())
            .or_default()
            .backlinks
            .insert(id.to_string());
        self.by_id
            .entry(id.to_string())
            .or_default()
            .links
            .entry(link)
            .or_default()
            .insert(target.to_string());
    }

    pub(super) fn has_link(&self, id: &str, link: &Link, target: &str) -> bool {
        self.by_id
            .get(id)
            .and_then(|k| k.links.get(link))
            .is_some_and(|t| t.contains(target))
    }

    pub(super) fn walk_links(&self, id: &str, link: &Link) -> Vec<String> {
        self.by_id
            .get(id)
            .and_then(|k| k.links.get(link))
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn results(&self, id: &str) -> Vec<(String, Time)> {
        self.by_id
            .get(id)
            .map(|k| k.results.iter().map(|(r, t)| (r.clone(), *t)).collect())
            .unwrap_or_default()
    }

    /// Removes a result from every key, pruning keys left with nothing, upwards.
    pub(super) fn release(&mut self, result: &str) {
        let Some(ids) = self.by_result.remove(result) else {
            return;
        };
        for id in ids {
            if let Some(k) = self.by_id.get_mut(&id) {
                k.results.remove(result);
            }
            self.empty_branch_with_parents(&id);
        }
    }

    pub(super) fn empty_branch_with_parents(&mut self, id: &str) {
        let mut stack = vec![id.to_string()];
        while let Some(id) = stack.pop() {
            let Some(k) = self.by_id.get(&id) else {
                continue;
            };
            if !k.results.is_empty() || !k.links.is_empty() {
                continue;
            }
            let parents: Vec<String> = k.backlinks.iter().cloned().collect();
            for p in parents {
                if let Some(pk) = self.by_id.get_mut(&p) {
                    pk.links.retain(|_, targets| {
                        targets.remove(&id);
                        !targets.is_empty()
                    });
                    stack.push(p);
                }
            }
            self.by_id.remove(&id);
        }
    }
}

/// Deterministic stand-in for `identity.NewID()`: 25 base-36 characters from a seeded stream.
#[derive(Debug)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> IdGen {
        IdGen {
            state: seed ^ 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// The next ID.
    pub fn next_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut out = String::with_capacity(25);
        let mut word = 0u64;
        for i in 0..25 {
            if i % 12 == 0 {
                // splitmix64: the next state, finalised.
                word = crate::solver::mix64(self.state);
                self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            }
            out.push(ALPHABET[(word % 36) as usize] as char);
            word /= 36;
        }
        out
    }
}
