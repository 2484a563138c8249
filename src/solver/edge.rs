//! The edge state machine (`edge.go`): one edge per (vertex, output). On every dispatch it
//! processes the answers that arrived, answers its requesters, and asks for more: its cache map,
//! its inputs' states, content hashes, a cache load or an exec.
//!
//! States only go up: initial → cache-fast (definition keys known) → cache-slow (content keys
//! known) → complete (result there).

mod inputs;
mod requests;

use super::cache::{best_record, KeyId, KeyWithSelector, ManagerId};
use super::outbox::OutSnapshot;
use super::*;
use inputs::DepKeys;
pub(crate) use inputs::InputTally;

impl Solver {
    fn e(&self, e: EdgeId) -> &EdgeData {
        &self.edges[e.0 as usize]
    }

    fn em(&mut self, e: EdgeId) -> &mut EdgeData {
        &mut self.edges[e.0 as usize]
    }

    fn ignore_cache(&self, e: EdgeId) -> bool {
        self.states[self.e(e).state_id.0 as usize].ignore_cache
    }

    /// The cache sources of the edge's state (empty: the main cache alone).
    fn sources(&self, e: EdgeId) -> Vec<ManagerId> {
        self.states[self.e(e).state_id.0 as usize]
            .cache_sources
            .iter()
            .copied()
            .collect()
    }

    fn vertex_digest(&self, e: EdgeId) -> Digest {
        self.states[self.e(e).state_id.0 as usize].digest.clone()
    }

    fn cm(&self, e: EdgeId) -> Option<&CacheMap> {
        self.e(e)
            .st
            .cache_map
            .map(|c| &self.cache_maps[c.0 as usize])
    }

    fn is_complete(&self, e: EdgeId) -> bool {
        self.e(e).err.is_some() || self.e(e).st.result.is_some()
    }

    fn finish_incoming(&mut self, e: EdgeId, p: PipeId) {
        let mut err = self.e(e).err.clone();
        if self.pipes[p.0 as usize].canceled && err.is_none() {
            err = Some(SimError::canceled());
        }
        self.finalize_pipe(p, Value::Edge(e), err);
    }

    /// `edge.unpark`.
    pub(crate) fn unpark(
        &mut self,
        e: EdgeId,
        incoming: &[PipeId],
        updates: &[PipeId],
        all: &OutSnapshot,
    ) {
        self.process_updates(e, updates);
        let (desired, done) = self.respond_to_incoming(e, incoming, all);
        if done {
            return;
        }
        let mut cache_map_req = false;
        if self.e(e).cache_map_req.is_none()
            && (self.e(e).st.cache_map.is_none() || self.e(e).cache_records.is_empty())
        {
            let index = self.e(e).cache_map_index;
            let p = self.new_func(e, TaskKind::CacheMap { index });
            self.em(e).cache_map_req = Some(p);
            cache_map_req = true;
        }
        if self.e(e).exec_req.is_none() && desired == Status::Complete && self.exec_if_possible(e) {
            return;
        }
        if self.e(e).exec_req.is_none() {
            let added = self.create_input_requests(e, desired.clone(), false);
            if !added && !self.e(e).has_active_outgoing && !cache_map_req {
                self.create_input_requests(e, desired, true);
            }
        }
    }

    pub(crate) fn mark_failed(&mut self, e: EdgeId, err: SimError) {
        self.em(e).err = Some(err);
        if !self.e(e).failed_once {
            self.em(e).failed_once = true;
            self.new_func(e, TaskKind::Postpone);
        }
    }

    fn process_updates(&mut self, e: EdgeId, updates: &[PipeId]) {
        let mut changed = false;
        self.keys_check_pending = false;
        for &u in updates {
            changed = self.process_update(e, u) || changed;
        }
        if std::mem::take(&mut self.keys_check_pending) && self.all_deps_have_keys(e, false) {
            self.em(e).keys_did_change = true;
        }
        if changed {
            self.recalc_current_state(e);
        }
    }

    fn process_update(&mut self, e: EdgeId, u: PipeId) -> bool {
        let completed = self.pipes[u.0 as usize].recv.completed;
        if Some(u) == self.e(e).cache_map_req && completed {
            self.process_cache_map_req(e);
            return true;
        }
        if Some(u) == self.e(e).exec_req && completed {
            self.process_exec_req(e);
            return true;
        }
        if let Some(&dep) = self.e(e).dep_requests.get(&u) {
            return self.process_dep_req(e, dep, u);
        }
        let found = self.e(e).inputs.slow_reqs.get(&u).copied();
        if let Some(i) = found.filter(|&i| self.e(e).deps[i].slow_req == Some(u)) {
            if completed {
                self.process_dep_slow_cache_req(e, i);
                return true;
            }
        }
        false
    }

    fn recalc_current_state(&mut self, e: EdgeId) {
        // New keys: present in every dep's key map, not yet in ours.
        let mut new_keys: BTreeMap<String, KeyId> = BTreeMap::new();
        let none = self.some_dep_has_no_matches(e);
        let edge = self.e(e);
        for (i, dep) in edge.deps.iter().enumerate().take_while(|_| !none) {
            if i == 0 {
                for (id, &k) in &dep.key_map {
                    if !edge.key_map.contains(id) {
                        new_keys.insert(id.clone(), k);
                    }
                }
            } else {
                new_keys.retain(|id, _| dep.key_map.contains_key(id));
            }
            if new_keys.is_empty() {
                break;
            }
        }
        for id in new_keys.keys() {
            self.em(e).key_map.insert(id.clone());
        }
        for (_, r) in new_keys {
            let merged = self.cache.clone_key(r);
            let vtx = self.vertex_digest(e);
            self.cache.key_mut(merged).vtx = vtx;
            let mdeps = (0..self.e(e).deps.len())
                .map(|i| self.dep_keys(e, i, DepKeys::Current))
                .collect();
            self.cache.set_deps(merged, mdeps);
            let sources = self.sources(e);
            // A combined cache refuses a key it has no IDs for; the edge skips that key.
            let Ok(records) = self.cache.records(&sources, merged) else {
                continue;
            };
            for rec in records {
                if !self.e(e).cache_records_loaded.contains(&rec.id) {
                    self.em(e).cache_records.insert(rec.id.clone(), rec);
                }
            }
            self.em(e).st.keys.push(merged);
        }

        if self.e(e).st.cache_map.is_none() {
            return;
        }
        let agg = self.dep_aggregates(e);
        let edge = self.em(e);
        if agg.st_low > edge.st.state {
            edge.st.state = agg.st_low;
        }
        if agg.st_high > edge.st.state {
            edge.st.state = agg.st_high;
        }
        if !edge.cache_map_done && edge.st.keys.is_empty() {
            edge.st.state = Status::Initial;
        }
        let done = edge.cache_map_done;
        edge.all_deps_completed_cache_fast = done && agg.all_fast;
        edge.all_deps_completed_cache_slow = done && agg.all_slow;
        edge.all_deps_state_cache_slow = done && agg.all_state_slow;
        edge.all_deps_completed = done && agg.all_completed;

        if self.e(e).all_deps_state_cache_slow
            && !self.e(e).cache_records.is_empty()
            && self.e(e).st.state == Status::CacheFast
            && self.open_keys_run_out(e)
        {
            self.em(e).st.state = Status::CacheSlow;
        }
    }

    fn process_cache_map_req(&mut self, e: EdgeId) {
        let Some(u) = self.e(e).cache_map_req else {
            return;
        };
        let status = self.pipes[u.0 as usize].recv.clone();
        if let Some(err) = status.err {
            self.em(e).cache_map_req = None;
            if !status.canceled && self.e(e).err.is_none() {
                self.em(e).err = Some(err);
            }
            return;
        }
        let Value::CacheMap(cm, complete) = status.value else {
            return;
        };
        let edge = self.em(e);
        edge.st.cache_map = Some(cm);
        edge.cache_map_done = complete;
        edge.cache_map_index += 1;
        let cm_digest = self.cache_maps[cm.0 as usize].digest.clone();
        let output = self.e(e).index;
        let vtx = self.vertex_digest(e);
        if self.e(e).deps.is_empty() {
            self.em(e).cache_map_digests.push(cm_digest.clone());
            if !self.ignore_cache(e) {
                let sources = self.sources(e);
                let keys = self.cache.query(&sources, &[], 0, &cm_digest, output);
                self.emit(EventKind::CacheQuery {
                    digest: vtx.clone(),
                    hit: !keys.is_empty(),
                });
                for k in keys {
                    self.cache.key_mut(k).vtx = vtx.clone();
                    let Ok(records) = self.cache.records(&sources, k) else {
                        continue;
                    };
                    for r in records {
                        self.em(e).cache_records.insert(r.id.clone(), r);
                    }
                    self.em(e).st.keys.push(k);
                }
            }
            self.em(e).st.state = Status::CacheSlow;
        }
        if self.all_deps_have_keys(e, false) {
            self.em(e).keys_did_change = true;
        }
        for i in 0..self.e(e).deps.len() {
            let keys = self.dep_keys(e, i, DepKeys::Definition);
            self.probe_cache(e, i, &keys);
            self.check_dep_match_possible(e, i);
        }
        if !self.e(e).cache_map_done {
            self.em(e).cache_map_req = None;
        }
    }

    fn process_exec_req(&mut self, e: EdgeId) {
        let Some(u) = self.e(e).exec_req else { return };
        let status = self.pipes[u.0 as usize].recv.clone();
        if let Some(err) = status.err {
            self.em(e).exec_req = None;
            if self.e(e).exec_cache_load {
                let loaded: Vec<String> = self.e(e).cache_records_loaded.iter().cloned().collect();
                for k in loaded {
                    self.em(e).cache_records.remove(&k);
                }
            } else if !status.canceled && self.e(e).err.is_none() {
                self.em(e).err = Some(err);
            }
            return;
        }
        let Value::Result(r) = status.value else {
            return;
        };
        self.em(e).st.result = Some(r);
        self.em(e).st.state = Status::Complete;
        if !self.e(e).exec_cache_load && !self.ignore_cache(e) {
            let keys = self.results[r.0 as usize].keys.clone();
            self.em(e).st.keys.extend(keys);
        }
    }

    fn process_dep_req(&mut self, e: EdgeId, dep: usize, u: PipeId) -> bool {
        let status = self.pipes[u.0 as usize].recv.clone();
        if let Some(err) = &status.err {
            if !status.canceled && status.completed && self.e(e).err.is_none() {
                self.em(e).err = Some(err.clone());
            }
        }
        // What the walks read of this dep's request changed.
        self.dep_mut(e, dep);
        let Value::Edge(target) = status.value else {
            return false;
        };
        let state = self.e(target).st.clone();
        let mut changed = false;
        let have = self.e(e).deps[dep].st.keys.len();
        if have < state.keys.len() {
            let new_keys: Vec<KeyId> = state.keys[have..].to_vec();
            if self.e(e).st.cache_map.is_some() {
                let mut keys = Vec::with_capacity(new_keys.len());
                Self::push_with_selector(&mut keys, &new_keys, self.selector(e, dep));
                self.probe_cache(e, dep, &keys);
                self.dep_mut(e, dep).st.keys = state.keys.clone();
                // BuildKit checks "do all deps have keys now" here, per update; keys only grow,
                // so checking once after all of this dispatch's updates gives the same answer.
                self.keys_check_pending = true;
            }
            changed = true;
        }
        if self.e(e).deps[dep].st.state != Status::Complete && state.state == Status::Complete {
            self.em(e).keys_did_change = true;
        }
        let recheck = state.state != self.e(e).deps[dep].st.state;
        self.dep_mut(e, dep).st = state;
        if recheck && self.e(e).st.cache_map.is_some() {
            self.check_dep_match_possible(e, dep);
            changed = true;
        }
        changed
    }

    fn process_dep_slow_cache_req(&mut self, e: EdgeId, i: usize) {
        let Some(u) = self.e(e).deps[i].slow_req else {
            return;
        };
        let status = self.pipes[u.0 as usize].recv.clone();
        if let Some(err) = status.err {
            self.dep_mut(e, i).slow_req = None;
            if !status.canceled && self.e(e).err.is_none() {
                self.em(e).err = Some(err);
            }
            return;
        }
        if self.e(e).deps[i].slow_complete {
            return;
        }
        if let Value::Digest(dgst) = status.value {
            if self.slow_fn(e, i) && !dgst.is_empty() {
                let k = self.cache.new_key(&dgst, &Digest::default(), -1);
                self.dep_mut(e, i).slow_key = Some(k);
                let slow = KeyWithSelector {
                    key: k,
                    selector: String::new(),
                };
                let found = self.probe_cache(e, i, std::slice::from_ref(&slow));
                self.dep_mut(e, i).slow_found = found;
                if let Some(cm) = self.cm(e).map(|c| c.digest.clone()) {
                    // The result's keys and, last, the content key just made.
                    let keys = self.dep_keys(e, i, DepKeys::Result);
                    let output = self.e(e).index;
                    let sources = self.sources(e);
                    self.cache.query(&sources, &keys, i, &cm, output);
                }
            }
        }
        self.dep_mut(e, i).slow_complete = true;
        self.em(e).keys_did_change = true;
        self.check_dep_match_possible(e, i);
    }

    /// `edge.probeCache`: asks the cache for this edge's keys reached from `keys` of dep `i`.
    fn probe_cache(&mut self, e: EdgeId, i: usize, keys: &[KeyWithSelector]) -> bool {
        if keys.is_empty() || self.ignore_cache(e) {
            return false;
        }
        let Some(cm) = self.cm(e).map(|c| c.digest.clone()) else {
            return false;
        };
        let output = self.e(e).index;
        let sources = self.sources(e);
        let found_keys = self.cache.query(&sources, keys, i, &cm, output);
        let vtx = self.vertex_digest(e);
        self.emit(EventKind::CacheQuery {
            digest: vtx.clone(),
            hit: !found_keys.is_empty(),
        });
        let mut found = false;
        for k in found_keys {
            self.cache.key_mut(k).vtx = vtx.clone();
            let id = self.cache.key(k).id.clone();
            if !self.e(e).deps[i].key_map.contains_key(&id) {
                self.dep_mut(e, i).key_map.insert(id, k);
                found = true;
            }
        }
        found
    }

    fn check_dep_match_possible(&mut self, e: EdgeId, i: usize) {
        let has_slow = self.slow_fn(e, i);
        let d = &self.e(e).deps[i];
        let cond = (!d.slow_found && d.slow_complete && has_slow)
            || (!has_slow && d.st.state >= Status::CacheSlow);
        if !self.e(e).no_cache_match_possible && cond && d.key_map.is_empty() {
            self.em(e).no_cache_match_possible = true;
        }
    }

    /// `edge.currentIndexKey`: the key the edge index files this edge under, once every input
    /// has keys or a result.
    pub(crate) fn current_index_key(&mut self, e: EdgeId) -> Option<KeyId> {
        let cm = self.cm(e)?.digest.clone();
        let n = self.e(e).deps.len();
        if self
            .e(e)
            .deps
            .iter()
            .any(|d| d.st.keys.is_empty() && d.st.result.is_none())
        {
            return None;
        }
        let keys = (0..n).map(|i| self.dep_keys(e, i, DepKeys::All)).collect();
        let vtx = self.vertex_digest(e);
        let output = self.e(e).index;
        let k = self.cache.new_key(&cm, &vtx, output);
        self.cache.set_deps(k, keys);
        Some(k)
    }

    fn exec_if_possible(&mut self, e: EdgeId) -> bool {
        if !self.e(e).cache_records.is_empty() {
            if self.e(e).keys_did_change {
                self.new_func(e, TaskKind::Postpone);
                return true;
            }
            let records: Vec<_> = self.e(e).cache_records.values().cloned().collect();
            let Some(rec) = best_record(&records).cloned() else {
                return false;
            };
            self.em(e).cache_records_loaded.insert(rec.id.clone());
            let p = self.new_func(e, TaskKind::Load { record: rec });
            let edge = self.em(e);
            edge.exec_req = Some(p);
            edge.exec_cache_load = true;
            let reqs: Vec<PipeId> = self.e(e).dep_requests.keys().copied().collect();
            for r in reqs {
                self.cancel_pipe(r);
            }
            return true;
        }
        if self.e(e).all_deps_completed {
            if self.e(e).keys_did_change {
                self.new_func(e, TaskKind::Postpone);
                return true;
            }
            let commit_keys = self.commit_options(e);
            let why = if self.ignore_cache(e) {
                Reason::IgnoreCache
            } else {
                Reason::CacheMiss
            };
            let p = self.new_func(e, TaskKind::Exec { commit_keys, why });
            let edge = self.em(e);
            edge.exec_req = Some(p);
            edge.exec_cache_load = false;
            return true;
        }
        false
    }

    /// `edge.commitOptions`: the keys the exec's result is saved under.
    fn commit_options(&mut self, e: EdgeId) -> Vec<KeyId> {
        let vtx = self.vertex_digest(e);
        let output = self.e(e).index;
        if self.e(e).deps.is_empty() {
            let digests = self.e(e).cache_map_digests.clone();
            return digests
                .iter()
                .map(|d| self.cache.new_key(d, &vtx, output))
                .collect();
        }
        let Some(cm) = self.cm(e).map(|c| c.digest.clone()) else {
            return Vec::new();
        };
        let k = self.cache.new_key(&cm, &vtx, output);
        let inputs = (0..self.e(e).deps.len())
            .map(|i| self.dep_keys(e, i, DepKeys::Result))
            .collect();
        self.cache.set_deps(k, inputs);
        vec![k]
    }
}
