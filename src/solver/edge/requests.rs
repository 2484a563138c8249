//! An edge's requests: answering the edges that asked it for a state (`respondToIncoming`), and
//! asking its inputs for the states it needs (`createInputRequests`, `desiredStateDep` with the
//! phase-2 shortcuts, content-key requests).

use super::super::outbox::OutSnapshot;
use super::super::*;
use super::inputs::{DepView, WalkContext};
use super::InputTally;

impl Solver {
    /// `skipPhase2SlowCache`.
    pub(super) fn skip_phase2_slow_cache(&self, e: EdgeId, i: usize, v: &DepView) -> bool {
        let d = &self.e(e).deps[i];
        v.phase1_slow && !d.slow_complete && self.slow_fn(e, i) && !d.key_map.is_empty()
    }

    /// `skipPhase2FastCache`.
    pub(super) fn skip_phase2_fast_cache(&self, e: EdgeId, i: usize, v: &DepView) -> bool {
        v.phase1_fast && !self.e(e).deps[i].key_map.is_empty()
    }

    pub(super) fn respond_to_incoming(
        &mut self,
        e: EdgeId,
        incoming: &[PipeId],
        all: &OutSnapshot,
    ) -> (Status, bool) {
        let mut all_can_complete = true;
        let mut desired = self.e(e).st.state.clone();
        let mut all_canceled = true;
        if !self.is_complete(e) {
            for &p in incoming {
                if self.pipes[p.0 as usize].canceled {
                    continue;
                }
                all_canceled = false;
                let Some(r) = self.pipes[p.0 as usize].request.clone() else {
                    continue;
                };
                if desired < r.desired {
                    desired = r.desired.clone();
                    if self.e(e).has_active_outgoing
                        || r.desired == Status::Complete
                        || r.current_keys == self.e(e).st.keys.len()
                    {
                        all_can_complete = false;
                    }
                }
            }
        }
        if !all_canceled
            && self.e(e).st.state < Status::Complete
            && self.e(e).st.keys.is_empty()
            && self.e(e).has_active_outgoing
        {
            all_can_complete = false;
        }
        if all_can_complete && self.e(e).has_active_outgoing {
            for p in self.outgoing_at(e, all) {
                self.cancel_pipe(p);
            }
            let mut leave_open: Option<PipeId> = incoming
                .iter()
                .copied()
                .find(|p| !self.pipes[p.0 as usize].canceled);
            for &p in incoming {
                if leave_open.is_none() || leave_open == Some(p) {
                    leave_open = Some(p);
                    continue;
                }
                self.finish_incoming(e, p);
            }
            return (desired, true);
        }
        if all_can_complete && !self.e(e).has_active_outgoing {
            for &p in incoming {
                self.finish_incoming(e, p);
            }
            return (desired, true);
        }
        for &p in incoming {
            let canceled = self.pipes[p.0 as usize].canceled;
            let Some(r) = self.pipes[p.0 as usize].request.clone() else {
                continue;
            };
            if canceled || (!self.e(e).has_active_outgoing && self.e(e).st.state >= r.desired) {
                self.finish_incoming(e, p);
            } else if !self.is_equal_state(&r.current, &self.e(e).st)
                && !self.requester_is_current(p, e)
            {
                self.update_pipe(p, Value::Edge(e));
            }
        }
        (desired, false)
    }

    /// Whether an update on `p` would tell its requester nothing new: a value it has not read
    /// yet already points at this edge's live state, or what it read matches that state.
    ///
    /// BuildKit compares only with the state the request was made in, so once an edge has moved
    /// on it re-sends an update on every dispatch, and each requester re-dispatches and does the
    /// same up the graph: the cause of its quadratic time on deep chains. The requester's
    /// processing of such an update changes nothing, so it is not sent here.
    pub(super) fn requester_is_current(&self, p: PipeId, e: EdgeId) -> bool {
        let pipe = &self.pipes[p.0 as usize];
        if pipe.sent != pipe.received {
            return true;
        }
        let Some(from) = pipe.from else { return false };
        let Some(&i) = self.e(from).dep_requests.get(&p) else {
            return false;
        };
        self.e(from)
            .deps
            .get(i)
            .is_some_and(|d| self.is_equal_state(&d.st, &self.e(e).st))
    }

    pub(super) fn is_equal_state(&self, a: &EdgeState, b: &EdgeState) -> bool {
        a.state == b.state
            && a.result == b.result
            && a.cache_map == b.cache_map
            && a.keys.len() == b.keys.len()
    }

    /// `edge.createInputRequests`. BuildKit walks every dep; a dep that did not change since the
    /// last walk, under the same [`WalkContext`], would get the request it already has (or none)
    /// and no content-key request, so only the changed deps are walked then (in dep order).
    pub(super) fn create_input_requests(
        &mut self,
        e: EdgeId,
        desired: Status,
        force: bool,
    ) -> bool {
        self.ensure_deps_initialized(e);
        let mut added = false;
        let view = self.dep_view(e);
        let edge = self.e(e);
        let context = WalkContext {
            desired: desired.clone(),
            force,
            no_cache_match_possible: edge.no_cache_match_possible,
            all_deps_completed_cache_fast: edge.all_deps_completed_cache_fast,
            all_deps_completed_cache_slow: edge.all_deps_completed_cache_slow,
            no_keys: edge.st.keys.is_empty(),
            no_records: edge.cache_records.is_empty(),
            cache_map: edge.st.cache_map,
            view: view.clone(),
        };
        let same = edge.inputs.walked_with.as_ref() == Some(&context);
        let edge = self.em(e);
        let mut todo = std::mem::take(&mut edge.inputs.req_dirty);
        for &i in &todo {
            edge.deps[i].req_dirty = false;
        }
        if same {
            todo.sort_unstable();
            #[cfg(debug_assertions)]
            self.check_unwalked_deps(e, &todo, &desired, force, &view);
        } else {
            todo = (0..edge.deps.len()).collect();
        }
        self.em(e).inputs.walked_with = Some(context);
        for i in todo {
            let want = self.desired_state_dep(e, i, &desired, force, &view);
            if self.e(e).deps[i].st.state < want {
                added = self.create_outgoing_request(e, i, want) || added;
            }
            added = self.compute_cache_key_from_dep(e, i) || added;
        }
        added
    }

    /// Debug builds: the deps a request walk skips would indeed get nothing new.
    #[cfg(debug_assertions)]
    pub(super) fn check_unwalked_deps(
        &self,
        e: EdgeId,
        walked: &[usize],
        desired: &Status,
        force: bool,
        view: &DepView,
    ) {
        for i in (0..self.e(e).deps.len()).filter(|i| walked.binary_search(i).is_err()) {
            let want = self.desired_state_dep(e, i, desired, force, view);
            let d = &self.e(e).deps[i];
            let has_request = d.req.is_some_and(|r| {
                let pipe = &self.pipes[r.0 as usize];
                !pipe.recv.completed && pipe.request.as_ref().map(|q| &q.desired) == Some(&want)
            });
            assert!(d.st.state >= want || has_request, "dep {i} skipped");
            let content = d.st.state == Status::Complete
                && d.slow_req.is_none()
                && self.e(e).st.cache_map.is_some()
                && (self.pre_fn(e, i) || self.slow_fn(e, i))
                && d.st.result.is_some();
            assert!(!content, "dep {i} skipped with a content key to compute");
        }
    }

    pub(super) fn ensure_deps_initialized(&mut self, e: EdgeId) {
        if self.e(e).deps_init {
            return;
        }
        let n = self.states[self.e(e).state_id.0 as usize].inputs.len();
        let edge = self.em(e);
        edge.deps_init = true;
        edge.dep_requests.clear();
        edge.deps = vec![Dep::default(); n];
        edge.inputs = InputTally::default();
    }

    pub(super) fn desired_state_dep(
        &self,
        e: EdgeId,
        i: usize,
        desired: &Status,
        force: bool,
        view: &DepView,
    ) -> Status {
        let edge = self.e(e);
        let dep = &edge.deps[i];
        if edge.no_cache_match_possible || force {
            return Status::Complete;
        }
        if dep.st.state == Status::Initial && *desired > dep.st.state {
            return Status::CacheFast;
        }
        if dep.st.state == Status::CacheFast && *desired > dep.st.state {
            if ((edge.all_deps_completed_cache_fast && edge.st.keys.is_empty())
                || dep.key_map.is_empty()
                || view.all_have_matching)
                && !self.skip_phase2_fast_cache(e, i, view)
                && edge.st.cache_map.is_some()
            {
                return Status::CacheSlow;
            }
            return dep.st.state.clone();
        }
        if edge.st.cache_map.is_some()
            && dep.st.state == Status::CacheSlow
            && *desired == Status::Complete
        {
            if (dep.key_map.is_empty()
                || edge.all_deps_completed_cache_slow
                || (!self.skip_phase2_fast_cache(e, i, view) && self.slow_fn(e, i)))
                && edge.cache_records.is_empty()
                && (dep.key_map.is_empty() || !self.skip_phase2_slow_cache(e, i, view))
            {
                return Status::Complete;
            }
            return dep.st.state.clone();
        }
        if edge.st.cache_map.is_some()
            && dep.st.state == Status::CacheSlow
            && self.slow_fn(e, i)
            && *desired == Status::CacheSlow
        {
            if dep.key_map.is_empty() || !self.skip_phase2_slow_cache(e, i, view) {
                return Status::Complete;
            }
            return dep.st.state.clone();
        }
        dep.st.state.clone()
    }

    pub(super) fn create_outgoing_request(&mut self, e: EdgeId, i: usize, want: Status) -> bool {
        if let Some(req) = self.e(e).deps[i].req {
            if !self.pipes[req.0 as usize].recv.completed {
                if self.pipes[req.0 as usize]
                    .request
                    .as_ref()
                    .map(|r| &r.desired)
                    == Some(&want)
                {
                    return false;
                }
                self.cancel_pipe(req);
            }
        }
        let s = self.e(e).state_id;
        let (d, index) = self.states[s.0 as usize].inputs[i].clone();
        let request = EdgeRequest {
            desired: want,
            current: self.e(e).deps[i].st.clone(),
            current_keys: self.e(e).deps[i].st.keys.len(),
        };
        let p = match self.input_edge(&d, index) {
            Some(target) => self.new_pipe(target, Some(e), request),
            None => {
                let name = self.states[s.0 as usize].name.clone();
                let msg = format!(
                    "failed to get edge: inconsistent graph state in edge {name} {d} {index}"
                );
                self.new_func(e, TaskKind::Fail(SimError::new(msg)))
            }
        };
        self.em(e).dep_requests.insert(p, i);
        self.dep_mut(e, i).req = Some(p);
        true
    }

    pub(super) fn compute_cache_key_from_dep(&mut self, e: EdgeId, i: usize) -> bool {
        let dep = &self.e(e).deps[i];
        if dep.st.state != Status::Complete
            || dep.slow_req.is_some()
            || self.e(e).st.cache_map.is_none()
        {
            return false;
        }
        if !self.pre_fn(e, i) && !self.slow_fn(e, i) {
            return false;
        }
        let Some(result) = dep.st.result else {
            return false;
        };
        let p = self.new_func(e, TaskKind::Slow { dep: i, result });
        self.dep_mut(e, i).slow_req = Some(p);
        self.em(e).inputs.slow_reqs.insert(p, i);
        true
    }
}
