//! The scheduler loop: request pipes between edges, dispatch, and edge merging. Port of
//! `scheduler.go` and `internal/pipe`. What happens when something is due on the virtual clock
//! (the functions an edge runs, jobs starting and finishing) is in [`super::tasks`].

use super::*;

impl Solver {
    /// `scheduler.signal`: queue an edge for dispatch (once).
    pub(crate) fn signal(&mut self, e: EdgeId) {
        if self.queued.insert(e) {
            self.queue.push_back(e);
        }
    }

    /// `scheduler.newPipe`: a request from `from` (or from a job's build) to `target`.
    pub(crate) fn new_pipe(
        &mut self,
        target: EdgeId,
        from: Option<EdgeId>,
        req: EdgeRequest,
    ) -> PipeId {
        let p = PipeId(self.pipes.len() as u32);
        self.pipes.push(PipeData {
            target: Some(target),
            from,
            request: Some(req),
            canceled: false,
            send: PipeStatus::default(),
            sent: 0,
            recv: PipeStatus::default(),
            received: 0,
            task: None,
            build_job: None,
            out_seq: 0,
        });
        self.signal(target);
        if let Some(f) = from {
            self.push_outgoing(f, p);
        }
        self.incoming.entry(target).or_default().push(p);
        p
    }

    /// `scheduler.newRequestWithFunc`: `from` runs `kind` asynchronously.
    pub(crate) fn new_func(&mut self, from: EdgeId, kind: TaskKind) -> PipeId {
        let p = PipeId(self.pipes.len() as u32);
        let t = TaskId(self.tasks.len() as u32);
        self.pipes.push(PipeData {
            target: None,
            from: Some(from),
            request: None,
            canceled: false,
            send: PipeStatus::default(),
            sent: 0,
            recv: PipeStatus::default(),
            received: 0,
            task: Some(t),
            build_job: None,
            out_seq: 0,
        });
        self.tasks.push(Task {
            pipe: p,
            edge: Some(from),
            kind,
            canceled: false,
            done: false,
            flight: None,
        });
        self.push_outgoing(from, p);
        self.start_task(t);
        p
    }

    /// `Receiver.Receive`: whether a new value arrived since the last call.
    pub(crate) fn receive(&mut self, p: PipeId) -> bool {
        let pipe = &mut self.pipes[p.0 as usize];
        if pipe.sent == pipe.received {
            return false;
        }
        pipe.recv = pipe.send.clone();
        pipe.received = pipe.sent;
        true
    }

    /// `Sender.Update`: a partial answer.
    pub(crate) fn update_pipe(&mut self, p: PipeId, value: Value) {
        let pipe = &mut self.pipes[p.0 as usize];
        pipe.send.value = value;
        pipe.sent += 1;
        self.on_send(p);
    }

    /// `Sender.Finalize`: the answer.
    pub(crate) fn finalize_pipe(&mut self, p: PipeId, value: Value, err: Option<SimError>) {
        let pipe = &mut self.pipes[p.0 as usize];
        if pipe.send.completed {
            return;
        }
        pipe.send.canceled = err.as_ref().is_some_and(|e| e.canceled) && pipe.canceled;
        pipe.send.value = value;
        pipe.send.err = err;
        pipe.send.completed = true;
        pipe.sent += 1;
        self.on_send(p);
    }

    fn on_send(&mut self, p: PipeId) {
        let pipe = &self.pipes[p.0 as usize];
        if let Some(from) = pipe.from {
            self.note_sent(from, p);
            self.signal(from);
        } else if let Some(job) = pipe.build_job {
            self.receive(p);
            if self.pipes[p.0 as usize].recv.completed {
                self.finish_job(job, p);
            }
        }
    }

    /// `Receiver.Cancel`.
    pub(crate) fn cancel_pipe(&mut self, p: PipeId) {
        let pipe = &mut self.pipes[p.0 as usize];
        if pipe.canceled {
            return;
        }
        pipe.canceled = true;
        if let Some(t) = pipe.task {
            self.cancel_task(t);
        } else if let Some(target) = pipe.target {
            self.signal(target);
        }
    }

    /// `scheduler.dispatch`.
    pub(crate) fn dispatch(&mut self, e: EdgeId) {
        let inc: Vec<PipeId> = self.incoming.get(&e).cloned().unwrap_or_default();
        let (updates, active, out) = self.receive_outgoing(e);
        self.edges[e.0 as usize].has_active_outgoing = active;

        self.unpark(e, &inc, &updates, &out);

        let open_in: Vec<PipeId> = self
            .incoming
            .get(&e)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|p| !self.pipes[p.0 as usize].send.completed)
                    .collect()
            })
            .unwrap_or_default();
        if open_in.is_empty() {
            self.incoming.remove(&e);
        } else {
            self.incoming.insert(e, open_in.clone());
        }
        let open_out = self.settle_outgoing(e);

        if self.edges[e.0 as usize].keys_did_change {
            if let Some(k) = self.current_index_key(e) {
                if let Some(orig) = self.index_load_or_store(k, e) {
                    if !self.is_dep(e, orig) && !self.is_dep(orig, e) {
                        let (mut dest, mut src) = (orig, e);
                        if self.has_owner(orig, e) {
                            std::mem::swap(&mut dest, &mut src);
                        }
                        if self.merge_to(dest, src) {
                            self.set_edge(src, dest);
                        }
                    }
                }
            }
            self.edges[e.0 as usize].keys_did_change = false;
        }

        if !open_in.is_empty() && !open_out {
            self.mark_failed(e, SimError::new("buildkit scheduler error: return leaving incoming open. Please report this with BUILDKIT_SCHEDULER_DEBUG=1"));
        }
        if open_in.is_empty() && open_out {
            self.mark_failed(e, SimError::new("buildkit scheduler error: return leaving outgoing open. Please report this with BUILDKIT_SCHEDULER_DEBUG=1"));
        }
    }

    /// `scheduler.mergeTo`.
    fn merge_to(&mut self, target: EdgeId, src: EdgeId) -> bool {
        let t_ignore = self.states[self.edges[target.0 as usize].state_id.0 as usize].ignore_cache;
        let s_ignore = self.states[self.edges[src.0 as usize].state_id.0 as usize].ignore_cache;
        if !t_ignore && s_ignore {
            return false;
        }
        for p in self.incoming.remove(&src).unwrap_or_default() {
            self.pipes[p.0 as usize].target = Some(target);
            self.incoming.entry(target).or_default().push(p);
        }
        let (open, sent) = self.take_outgoing(src);
        for p in sent {
            self.note_sent(target, p);
        }
        for p in open {
            self.pipes[p.0 as usize].from = Some(target);
            self.push_outgoing(target, p);
            self.cancel_pipe(p);
        }
        self.signal(target);
        let from = self.states[self.edges[src.0 as usize].state_id.0 as usize]
            .digest
            .clone();
        let into = self.states[self.edges[target.0 as usize].state_id.0 as usize]
            .digest
            .clone();
        self.emit(EventKind::Merge { from, into });
        true
    }

    /// `Solver.setEdge`: `src`'s state hands its output over to `target`.
    fn set_edge(&mut self, src: EdgeId, target: EdgeId) {
        let s = self.edges[src.0 as usize].state_id;
        let index = self.edges[src.0 as usize].index;
        let t_state = self.edges[target.0 as usize].state_id;
        if !self.states[s.0 as usize].alive {
            return;
        }
        let e = match self.states[s.0 as usize].edges.get(&index) {
            Some(&e) => {
                let e = self.owner_of(e);
                if e == target {
                    return;
                }
                e
            }
            None => {
                let e = self.new_edge(s, index);
                self.states[s.0 as usize].edges.insert(index, e);
                e
            }
        };
        // takeOwnership
        let extra = self.edges[e.0 as usize].releaser_count + 1;
        self.edges[target.0 as usize].releaser_count += extra;
        self.edges[e.0 as usize].owner = Some(target);
        self.index.release(e);
        if self.states[t_state.0 as usize].alive {
            let mut memo = BTreeSet::new();
            self.add_jobs(t_state, s, &mut memo);
            self.add_writer(t_state, Writer::State(s));
        }
    }

    /// `state.addJobs`: `target` and its inputs (and the edges they were merged into) get the
    /// jobs of `src`.
    fn add_jobs(&mut self, target: StateId, src: StateId, memo: &mut BTreeSet<StateId>) {
        if !memo.insert(target) {
            return;
        }
        let jobs: Vec<JobId> = self.states[src.0 as usize].jobs.iter().copied().collect();
        self.states[target.0 as usize].jobs.extend(jobs);
        let inputs = self.states[target.0 as usize].inputs.clone();
        for (d, index) in inputs {
            let Some(&is) = self.actives.get(&d) else {
                continue;
            };
            self.add_jobs(is, src, memo);
            let merged = self.state_edge(is, index);
            let ms = self.edges[merged.0 as usize].state_id;
            if self.states[ms.0 as usize].digest != d {
                self.add_jobs(ms, src, memo);
            }
        }
    }

    /// `Solver.hasOwner(target, owner)`: whether `target`'s state has edges owned, through
    /// merges, by `owner`'s vertex.
    fn has_owner(&self, target: EdgeId, owner: EdgeId) -> bool {
        let owner_digest = &self.states[self.edges[owner.0 as usize].state_id.0 as usize].digest;
        let st = self.edges[target.0 as usize].state_id;
        let mut owners: Vec<EdgeId> = self.states[st.0 as usize]
            .edges
            .values()
            .filter_map(|&e| self.edges[e.0 as usize].owner)
            .collect();
        let mut guard = 0;
        while !owners.is_empty() && guard < self.edges.len() + 1 {
            guard += 1;
            let mut next = Vec::new();
            for e in owners {
                let st = self.edges[e.0 as usize].state_id;
                if &self.states[st.0 as usize].digest == owner_digest {
                    return true;
                }
                next.extend(
                    self.states[st.0 as usize]
                        .edges
                        .values()
                        .filter_map(|&e| self.edges[e.0 as usize].owner),
                );
            }
            owners = next;
        }
        false
    }

    /// `isDep`: whether `a`'s vertex is `b`'s vertex or depends on it.
    pub(crate) fn is_dep(&self, a: EdgeId, b: EdgeId) -> bool {
        let target = &self.states[self.edges[b.0 as usize].state_id.0 as usize].digest;
        let start = &self.states[self.edges[a.0 as usize].state_id.0 as usize].digest;
        let mut stack = vec![start.clone()];
        let mut seen = BTreeSet::new();
        while let Some(d) = stack.pop() {
            if &d == target {
                return true;
            }
            if !seen.insert(d.clone()) {
                continue;
            }
            if let Some(&s) = self.actives.get(&d) {
                stack.extend(
                    self.states[s.0 as usize]
                        .inputs
                        .iter()
                        .map(|(d, _)| d.clone()),
                );
            }
        }
        false
    }
}
