//! What happens when something is due on the virtual clock: jobs start and finish, and the
//! functions an edge runs asynchronously (cache map, exec, cache load, content hash, postpone)
//! run with `sharedOp`'s flight control, report sub-statuses and logs, and are cancelled. Port of
//! the `sharedOp` half of `jobs.go` and the goroutines an op runs on.

use super::ops::OpInfo;
use super::*;

impl Solver {
    // ---------------------------------------------------------------------------------------
    // Jobs

    pub(crate) fn fire(&mut self, ev: Timed) {
        match ev {
            Timed::Task(t) => self.complete_task(t),
            Timed::Flight(f, generation) => {
                if self.flights[f.0 as usize].generation == generation {
                    self.complete_flight(f);
                }
            }
            Timed::Waiter(t) => {
                if !self.tasks[t.0 as usize].done {
                    self.finish_task(t, Value::None, Some(SimError::canceled()));
                }
            }
            Timed::Cancel(job) => {
                let data = &self.jobs[job.0 as usize];
                if data.outcome.is_none() {
                    if let Some(p) = data.build_pipe {
                        self.emit(EventKind::JobCancel { job });
                        self.cancel_pipe(p);
                    }
                }
            }
            Timed::Start(job) => self.start_job(job),
            Timed::Log(f, i) => self.print_log(f, i),
            Timed::Status(f, i, end) => self.report_status(f, i, end),
        }
    }

    /// Schedules a flight's sub-statuses (before its end, so the last one lands first).
    pub(super) fn schedule_statuses(&mut self, f: FlightId, statuses: Vec<ops::PlannedStatus>) {
        for (i, st) in statuses.iter().enumerate() {
            self.at(self.now + st.start, Timed::Status(f, i, false));
            self.at(self.now + st.end, Timed::Status(f, i, true));
        }
        self.flights[f.0 as usize].statuses = statuses;
    }

    /// Sub-status `i` of a running flight starts or completes, in the streams of the jobs
    /// attached to its state.
    pub(super) fn report_status(&mut self, f: FlightId, i: usize, end: bool) {
        let flight = &self.flights[f.0 as usize];
        if flight.canceled || flight.done {
            return;
        }
        let Some(st) = flight.statuses.get(i).cloned() else {
            return;
        };
        let began = flight.began;
        let s = flight.state;
        self.emit_to_attached_jobs(s, |job, digest| EventKind::Status {
            job,
            digest,
            id: st.id.clone(),
            current: if end { st.total } else { 0 },
            total: st.total,
            started: began + st.start,
            completed: end.then_some(began + st.end),
        });
    }

    /// Emits `event(job, digest)` for every open job attached to state `s` (progress that is not
    /// a vertex record: it is not replayed to late writers and does not follow merges).
    pub(super) fn emit_to_attached_jobs(
        &mut self,
        s: StateId,
        event: impl Fn(JobId, Digest) -> EventKind,
    ) {
        let digest = self.states[s.0 as usize].digest.clone();
        let attached: Vec<JobId> = self.states[s.0 as usize].attached.iter().copied().collect();
        for j in attached {
            if !self.jobs[j.0 as usize].closed {
                self.emit(event(j, digest.clone()));
            }
        }
    }

    /// Line `i` of a running exec's output goes to the jobs attached to its state (not to
    /// states merged into it).
    pub(super) fn print_log(&mut self, f: FlightId, i: usize) {
        let flight = &self.flights[f.0 as usize];
        if flight.canceled || flight.done {
            return;
        }
        let Some(line) = flight.plan.as_ref().and_then(|p| p.logs.get(i)).cloned() else {
            return;
        };
        let s = flight.state;
        self.emit_to_attached_jobs(s, |job, digest| EventKind::Log {
            job,
            digest,
            line: line.clone(),
        });
    }

    pub(super) fn start_job(&mut self, job: JobId) {
        self.jobs[job.0 as usize].started = Some(self.now);
        self.jobs[job.0 as usize].first_event = self.log_len();
        if let Some(CancelAt::Time(t)) = self.jobs[job.0 as usize].options.cancel.clone() {
            self.at(t.max(self.now), Timed::Cancel(job));
        }
        let Some(target) = self.load_job(job) else {
            let now = self.now;
            self.jobs[job.0 as usize].outcome = Some(JobOutcome {
                result: None,
                error: Some("invalid target".into()),
                finished: now,
            });
            return;
        };
        let index = self.jobs[job.0 as usize]
            .graph_target
            .as_ref()
            .map(|t| t.1)
            .unwrap_or(0);
        let e = self.state_edge(target, index);
        let p = self.new_pipe(
            e,
            None,
            EdgeRequest {
                desired: Status::Complete,
                current: EdgeState::default(),
                current_keys: 0,
            },
        );
        self.pipes[p.0 as usize].build_job = Some(job);
        self.jobs[job.0 as usize].build_pipe = Some(p);
    }

    /// The build returned: close the job's progress, then discard it.
    pub(super) fn finish_job(&mut self, job: JobId, p: PipeId) {
        if self.jobs[job.0 as usize].outcome.is_some() {
            return;
        }
        let status = self.pipes[p.0 as usize].recv.clone();
        let (result, error) = match (&status.err, &status.value) {
            (Some(e), _) => (None, Some(e.message.clone())),
            (None, Value::Edge(e)) => {
                let res = self.edges[e.0 as usize].st.result;
                self.jobs[job.0 as usize].result = res;
                (res.map(|r| self.results[r.0 as usize].id.clone()), None)
            }
            _ => (None, None),
        };
        let now = self.now;
        self.emit(EventKind::JobDone {
            job,
            error: error.clone(),
        });
        self.jobs[job.0 as usize].outcome = Some(JobOutcome {
            result,
            error,
            finished: now,
        });
        self.jobs[job.0 as usize].closed = true;
        self.discard(job);
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: the functions behind function pipes.

    pub(super) fn start_task(&mut self, t: TaskId) {
        let task = self.tasks[t.0 as usize].clone();
        let Some(e) = task.edge else { return };
        let s = self.edges[e.0 as usize].state_id;
        match task.kind {
            TaskKind::Postpone | TaskKind::Fail(_) | TaskKind::Slow { .. } => {
                self.at(self.now, Timed::Task(t))
            }
            TaskKind::Load { .. } => {
                let pid = self.notify_started(s, true);
                self.tasks[t.0 as usize].flight = None;
                self.load_progress.insert(t, pid);
                self.at(self.now, Timed::Task(t));
            }
            TaskKind::CacheMap { index } => {
                let st = &self.states[s.0 as usize];
                if (st.cache_done && !st.cache_res.is_empty())
                    || index < st.cache_res.len()
                    || st.cache_err.is_some()
                {
                    self.at(self.now, Timed::Task(t));
                    return;
                }
                let f = match st.flight_cache_map.get(&index) {
                    Some(&f) => f,
                    None => {
                        let f = self.new_flight(s, FlightKind::CacheMap(index));
                        self.states[s.0 as usize].flight_cache_map.insert(index, f);
                        if self.states[s.0 as usize].inputs.is_empty() {
                            let pid = self.notify_started(s, false);
                            self.flights[f.0 as usize].progress = Some(pid);
                        }
                        let info_op = self.states[s.0 as usize].op.clone();
                        let digest = self.states[s.0 as usize].digest.clone();
                        let info = OpInfo {
                            digest: &digest,
                            op: &info_op,
                        };
                        let cm = self.ops.cache_map(&info);
                        let dur = self.ops.cache_map_duration(&info);
                        let statuses = self.ops.cache_map_statuses(&info);
                        self.cache_maps.push(cm);
                        self.flights[f.0 as usize].cache_map =
                            Some(CmId((self.cache_maps.len() - 1) as u32));
                        self.schedule_statuses(f, statuses);
                        self.at(self.now + dur, Timed::Flight(f, 0));
                        f
                    }
                };
                self.join_flight(f, t);
            }
            TaskKind::Exec { ref why, .. } => {
                if self.states[s.0 as usize].exec_done {
                    self.at(self.now, Timed::Task(t));
                    return;
                }
                let f = match self.states[s.0 as usize].flight_exec {
                    Some(f) => f,
                    None => {
                        let f = self.new_flight(s, FlightKind::Exec);
                        self.states[s.0 as usize].flight_exec = Some(f);
                        self.flights[f.0 as usize].why = Some(why.clone());
                        if self
                            .parallelism
                            .is_some_and(|max| self.running_execs >= max)
                        {
                            // `op.Acquire` waits for a slot before anything is reported.
                            self.exec_waiting.push_back(f);
                        } else {
                            self.begin_exec(f);
                        }
                        f
                    }
                };
                self.join_flight(f, t);
            }
        }
    }

    /// An exec flight gets its slot: report the start, plan the op, schedule its end.
    pub(super) fn begin_exec(&mut self, f: FlightId) {
        self.running_execs += 1;
        let s = self.flights[f.0 as usize].state;
        let why = self.flights[f.0 as usize]
            .why
            .clone()
            .unwrap_or(Reason::CacheMiss);
        let digest = self.states[s.0 as usize].digest.clone();
        self.emit(EventKind::ExecStart {
            digest: digest.clone(),
            why,
        });
        let pid = self.notify_started(s, false);
        self.flights[f.0 as usize].progress = Some(pid);
        let op = self.states[s.0 as usize].op.clone();
        let plan = self.ops.exec(&OpInfo {
            digest: &digest,
            op: &op,
        });
        self.flights[f.0 as usize].began = self.now;
        self.schedule_statuses(f, plan.statuses.clone());
        self.at(self.now + plan.duration, Timed::Flight(f, 0));
        // Its lines come out while it runs, spread evenly over its duration.
        let n = plan.logs.len() as u64;
        for i in 0..plan.logs.len() {
            let at = plan.duration.saturating_mul(i as u64 + 1) / (n + 1);
            self.at(self.now + at, Timed::Log(f, i));
        }
        self.flights[f.0 as usize].plan = Some(plan);
        // Scenario hook: cancel a job some time after this exec starts.
        for j in 0..self.jobs.len() {
            if let Some(CancelAt::AfterExecStart(d, delay)) = &self.jobs[j].options.cancel {
                if *d == digest && self.jobs[j].outcome.is_none() {
                    let when = self.now + delay;
                    self.at(when, Timed::Cancel(JobId(j as u32)));
                }
            }
        }
    }

    pub(super) fn new_flight(&mut self, s: StateId, kind: FlightKind) -> FlightId {
        self.flights.push(Flight {
            state: s,
            kind,
            waiters: Vec::new(),
            canceled: false,
            done: false,
            progress: None,
            plan: None,
            cache_map: None,
            generation: 0,
            why: None,
            statuses: Vec::new(),
            began: self.now,
        });
        FlightId((self.flights.len() - 1) as u32)
    }

    pub(super) fn join_flight(&mut self, f: FlightId, t: TaskId) {
        self.flights[f.0 as usize].waiters.push(t);
        self.tasks[t.0 as usize].flight = Some(f);
    }

    /// The task's context is cancelled (its pipe's receiver cancelled the request).
    pub(super) fn cancel_task(&mut self, t: TaskId) {
        if self.tasks[t.0 as usize].done || self.tasks[t.0 as usize].canceled {
            return;
        }
        self.tasks[t.0 as usize].canceled = true;
        let Some(f) = self.tasks[t.0 as usize].flight else {
            return;
        };
        let all = self.flights[f.0 as usize]
            .waiters
            .iter()
            .all(|w| self.tasks[w.0 as usize].canceled || self.tasks[w.0 as usize].done);
        if !all {
            // This waiter gives up at once; the others keep the work going.
            self.at(self.now, Timed::Waiter(t));
            return;
        }
        // Every waiter is gone: the shared context is cancelled and the op stops.
        let flight = &mut self.flights[f.0 as usize];
        if flight.canceled || flight.done {
            return;
        }
        flight.canceled = true;
        if let Some(pos) = self.exec_waiting.iter().position(|&w| w == f) {
            // Cancelled while waiting for a slot: it never started.
            self.exec_waiting.remove(pos);
            self.flights[f.0 as usize].generation += 1;
            let generation = self.flights[f.0 as usize].generation;
            self.at(self.now, Timed::Flight(f, generation));
            return;
        }
        let flight = &mut self.flights[f.0 as usize];
        if flight.kind == FlightKind::Exec {
            let delay = flight.plan.as_ref().map(|p| p.cancel_delay).unwrap_or(0);
            flight.generation += 1;
            let generation = flight.generation;
            self.at(self.now + delay, Timed::Flight(f, generation));
        }
    }

    /// A flight's work ends: memoise (unless cancelled), close the progress interval, answer the
    /// waiters.
    pub(super) fn complete_flight(&mut self, f: FlightId) {
        let flight = self.flights[f.0 as usize].clone();
        if flight.done {
            return;
        }
        self.flights[f.0 as usize].done = true;
        let s = flight.state;
        match flight.kind {
            FlightKind::CacheMap(index) => {
                self.states[s.0 as usize].flight_cache_map.remove(&index);
                if let Some(cm) = flight.cache_map {
                    self.states[s.0 as usize].cache_res.push(cm);
                    self.states[s.0 as usize].cache_done = true;
                    let digest = self.states[s.0 as usize].digest.clone();
                    let cache_digest = self.cache_maps[cm.0 as usize].digest.clone();
                    self.emit(EventKind::CacheMap {
                        digest,
                        cache_digest,
                    });
                }
                if let Some(pid) = flight.progress {
                    self.notify_completed(s, pid, None, false);
                }
            }
            FlightKind::Exec => {
                self.states[s.0 as usize].flight_exec = None;
                if flight.progress.is_some() {
                    // It held a slot: pass it on.
                    self.running_execs = self.running_execs.saturating_sub(1);
                    if let Some(next) = self.exec_waiting.pop_front() {
                        self.begin_exec(next);
                    }
                }
                let plan = flight.plan.clone();
                let err = if flight.canceled {
                    Some(SimError::canceled().wrap("context canceled"))
                } else {
                    match plan.as_ref().map(|p| &p.outcome) {
                        Some(Ok(ids)) => {
                            self.states[s.0 as usize].exec_res = Some(ids.clone());
                            None
                        }
                        Some(Err(msg)) => Some(SimError::new(msg.clone())),
                        None => Some(SimError::new("no plan")),
                    }
                };
                if !flight.canceled {
                    self.states[s.0 as usize].exec_done = true;
                    self.states[s.0 as usize].exec_err = err.clone();
                }
                let digest = self.states[s.0 as usize].digest.clone();
                if let Some(pid) = flight.progress {
                    self.emit(EventKind::ExecEnd {
                        digest,
                        error: err.as_ref().map(|e| e.message.clone()),
                    });
                    self.notify_completed(s, pid, err.as_ref(), false);
                }
            }
        }
        for w in flight.waiters {
            if !self.tasks[w.0 as usize].done {
                self.complete_task(w);
            }
        }
    }

    /// A task finishes: compute its answer from the state's memo (or its own work) and finalize
    /// its pipe.
    pub(super) fn complete_task(&mut self, t: TaskId) {
        if self.tasks[t.0 as usize].done {
            return;
        }
        let task = self.tasks[t.0 as usize].clone();
        let Some(e) = task.edge else { return };
        let s = self.edges[e.0 as usize].state_id;
        match task.kind {
            TaskKind::Postpone => self.finish_task(t, Value::None, None),
            TaskKind::Fail(err) => self.finish_task(t, Value::None, Some(err)),
            TaskKind::CacheMap { index } => {
                let st = &self.states[s.0 as usize];
                if let Some(err) = st.cache_err.clone() {
                    self.finish_task(t, Value::None, Some(err.wrap("failed to load cache key")));
                } else if let Some(&cm) = st.cache_res.get(index) {
                    let done = st.cache_done;
                    self.finish_task(t, Value::CacheMap(cm, done), None);
                } else {
                    // The flight was cancelled before it produced anything.
                    self.finish_task(
                        t,
                        Value::None,
                        Some(SimError::canceled().wrap("failed to load cache key")),
                    );
                }
            }
            TaskKind::Exec { commit_keys, .. } => {
                let st = &self.states[s.0 as usize];
                let flight_canceled = task
                    .flight
                    .is_some_and(|f| self.flights[f.0 as usize].canceled);
                if flight_canceled {
                    let err = SimError::canceled().wrap("context canceled");
                    self.finish_task(t, Value::None, Some(err));
                    return;
                }
                if let Some(err) = st.exec_err.clone() {
                    self.finish_task(t, Value::None, Some(err));
                    return;
                }
                let Some(ids) = st.exec_res.clone() else {
                    self.finish_task(t, Value::None, Some(SimError::canceled()));
                    return;
                };
                let index = self.edges[e.0 as usize].index;
                let Some(res_id) = usize::try_from(index)
                    .ok()
                    .and_then(|i| ids.get(i))
                    .cloned()
                else {
                    let msg = format!(
                        "invalid response from exec need {index} index but {} results received",
                        ids.len()
                    );
                    self.finish_task(t, Value::None, Some(SimError::new(msg)));
                    return;
                };
                let now = self.now;
                let digest = self.states[s.0 as usize].digest.clone();
                for &k in &commit_keys {
                    self.cache.save(k, &res_id, now);
                    let key = self.cache.describe(k);
                    self.emit(EventKind::KeySaved {
                        digest: digest.clone(),
                        record: res_id.clone(),
                        key,
                    });
                }
                self.results.push(CachedResult {
                    id: res_id,
                    keys: commit_keys,
                });
                let r = ResId((self.results.len() - 1) as u32);
                self.finish_task(t, Value::Result(r), None);
            }
            TaskKind::Load { record } => {
                let pid = self.load_progress.remove(&t);
                let loaded = self.cache.load(&record);
                let err = loaded.as_ref().err().map(|m| SimError::new(m.clone()));
                if let Some(pid) = pid {
                    self.notify_completed(s, pid, err.as_ref(), true);
                }
                match loaded {
                    Ok(loaded) => {
                        let digest = self.states[s.0 as usize].digest.clone();
                        let source = loaded
                            .materialized
                            .then(|| self.cache.manager_name(record.manager).to_string());
                        let key = self.cache.describe(record.key);
                        self.emit(EventKind::Load {
                            digest,
                            why: Reason::CacheHit {
                                record: record.id.clone(),
                                source,
                            },
                            key,
                        });
                        self.results.push(CachedResult {
                            id: loaded.result,
                            keys: vec![record.key],
                        });
                        let r = ResId((self.results.len() - 1) as u32);
                        self.finish_task(t, Value::Result(r), None);
                    }
                    Err(m) => self.finish_task(
                        t,
                        Value::None,
                        Some(SimError::new(m).wrap("failed to load cache")),
                    ),
                }
            }
            TaskKind::Slow { dep, result } => {
                let cm_dep = self.edges[e.0 as usize]
                    .st
                    .cache_map
                    .and_then(|cm| self.cache_maps[cm.0 as usize].deps.get(dep));
                let has_fn = cm_dep.is_some_and(|d| d.content);
                let value = if has_fn {
                    let memo = self.states[s.0 as usize].slow_res.get(&dep).cloned();
                    let d = memo.unwrap_or_else(|| {
                        self.ops
                            .content_digest(&self.results[result.0 as usize].id, cm_dep)
                    });
                    self.states[s.0 as usize].slow_res.insert(dep, d.clone());
                    d
                } else {
                    String::new()
                };
                self.finish_task(t, Value::Digest(value), None);
            }
        }
    }

    pub(crate) fn finish_task(&mut self, t: TaskId, value: Value, err: Option<SimError>) {
        self.tasks[t.0 as usize].done = true;
        let p = self.tasks[t.0 as usize].pipe;
        self.finalize_pipe(p, value, err);
    }
}
