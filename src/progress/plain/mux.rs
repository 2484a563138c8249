//! The printing half of the plain printer (`textMux` in BuildKit's `progressui`): which vertex a
//! pass prints (completed ones by stop time, the current one, else the busiest), a vertex's
//! header, statuses, logs and `DONE`/`CACHED`/`ERROR` lines, and the error logs at the end.

use super::*;

impl PlainPrinter {
    pub(super) fn done_into(&mut self, out: &mut Vec<u8>) {
        self.pass_into(out);
        self.error_logs(out);
    }

    /// `trace.printErrorLogs`.
    pub(super) fn error_logs(&mut self, out: &mut Vec<u8>) {
        for &idx in &self.vertexes {
            let Some(v) = self.slots.get_mut(idx) else {
                continue;
            };
            if v.rec.error.is_empty() || v.rec.error.ends_with(CANCELED) {
                continue;
            }
            out.extend_from_slice(b"------\n > ");
            out.extend_from_slice(v.rec.name.as_bytes());
            out.extend_from_slice(b":\n");
            for l in &v.logs {
                out.extend_from_slice(l);
                out.push(b'\n');
            }
            if let Some(ring) = &mut v.ring {
                for _ in 0..ring.slots.len() {
                    if let Some(Some(l)) = ring.slots.get(ring.pos) {
                        out.extend_from_slice(l);
                        out.push(b'\n');
                    }
                    ring.advance();
                }
            }
            out.extend_from_slice(b"------\n");
        }
    }

    pub(super) fn pass_into(&mut self, out: &mut Vec<u8>) {
        // Slots by index (an index is unique, so sorting by it alone keeps BuildKit's
        // first-seen order without comparing digests; thousands of vertices can be running).
        let mut completed: Vec<(Option<i64>, usize)> = Vec::new();
        let mut rest: Vec<usize> = Vec::new();
        for &idx in &self.updates {
            let Some(v) = self.slots.get(idx) else {
                continue;
            };
            if v.rec.grouped || v.hidden {
                continue;
            }
            if v.is_completed() {
                completed.push((v.last_stop(), idx));
            } else {
                rest.push(idx);
            }
        }
        let digest_of = |p: &PlainPrinter, idx: usize| -> String {
            p.slots
                .get(idx)
                .map_or(String::new(), |v| v.rec.digest.clone())
        };
        let current = self.current.clone();
        let current_idx = self.by_digest.get(&current).copied();
        let current_completed = completed.iter().any(|c| Some(c.1) == current_idx);
        if current_completed {
            self.print_vertex(&current, out);
        }
        // By stop time; equal stop times in first-seen order.
        completed.sort();
        for &(_, idx) in &completed {
            if Some(idx) != current_idx {
                let dgst = digest_of(self, idx);
                self.print_vertex(&dgst, out);
            }
        }
        if rest.is_empty() {
            if !current.is_empty()
                && self
                    .slot_of(&current)
                    .is_some_and(|v| v.is_started() && !v.is_completed())
            {
                return;
            }
            // "Any open vertex": the one that started first.
            let open = self
                .open
                .first()
                .and_then(|&pos| self.vertexes.get(pos))
                .and_then(|&i| self.slots.get(i))
                .map(|v| v.key.clone());
            if let Some(dgst) = open {
                self.print_vertex(&dgst, out);
            }
            return;
        }
        let current_in_rest = current_idx.is_some_and(|c| rest.contains(&c));
        if current_in_rest {
            self.print_vertex(&current, out);
        }
        if !(current_completed || current.is_empty()) {
            // BuildKit would now switch only on its wall-clock rules, which never fire in a
            // replay.
            return;
        }
        if !current.is_empty() && !current_in_rest {
            if let Some(idx) = current_idx {
                rest.push(idx);
            }
        }
        // The busiest: most updates per tick since it became active; ties to the first seen.
        rest.sort_unstable();
        let now = self.clock + 1;
        let mut best: Option<(f64, usize)> = None;
        for &idx in &rest {
            let Some(v) = self.slots.get(idx) else {
                continue;
            };
            let Some(since) = v.last_block else {
                continue;
            };
            let speed = v.count as f64 / now.saturating_sub(since).max(1) as f64;
            if best.is_none_or(|(s, _)| s < speed) {
                best = Some((speed, idx));
            }
        }
        if let Some((_, idx)) = best {
            let dgst = digest_of(self, idx);
            self.print_vertex(&dgst, out);
        }
    }

    /// `textMux.printVtx`.
    pub(super) fn print_vertex(&mut self, dgst: &str, out: &mut Vec<u8>) {
        let Some(&idx) = self.by_digest.get(dgst) else {
            return;
        };
        if self.slots.get(idx).is_some_and(|v| v.index == 0) {
            self.next_index += 1;
            let n = self.next_index;
            if let Some(v) = self.slots.get_mut(idx) {
                v.index = n;
            }
        }
        if dgst != self.current {
            if !self.current.is_empty() {
                if let Some(&old) = self.by_digest.get(&self.current) {
                    if let Some(old) = self.slots.get_mut(old) {
                        if old.logs_partial {
                            out.push(b'\n');
                        }
                        old.logs_offset = 0;
                        old.count = 0;
                        let _ = writeln_bytes(out, format_args!("#{} ...", old.index));
                    }
                }
            }
            if self.not_first {
                out.push(b'\n');
            } else {
                if let Some(desc) = self.opts.description.as_deref().filter(|d| !d.is_empty()) {
                    let _ = writeln_bytes(out, format_args!("#0 {desc}\n"));
                }
                self.not_first = true;
            }
            if let Some(v) = self.slots.get(idx) {
                let _ = write_bytes(out, format_args!("#{} ", v.index));
                let name = v.rec.name.as_bytes();
                if self.opts.truncate_names && name.len() > NAME_LIMIT {
                    out.extend_from_slice(name.get(..NAME_LIMIT).unwrap_or(name));
                    out.extend_from_slice(b"...");
                } else {
                    out.extend_from_slice(name);
                }
                out.push(b'\n');
            }
        }
        let Some(v) = self.slots.get_mut(idx) else {
            return;
        };
        let n = v.index;

        let mut open_status = false;
        for id in &v.statuses {
            if !v.status_updates.contains(id) {
                continue;
            }
            let Some(s) = v.by_id.get(id) else {
                continue;
            };
            if let Some(&(cur, ts)) = self.last.get(id) {
                if status_throttled(
                    cur,
                    ts,
                    s.current,
                    s.total,
                    s.timestamp.0,
                    s.completed.is_some(),
                ) {
                    continue;
                }
            }
            self.last.insert(id.clone(), (s.current, s.timestamp.0));
            let mut line = format!("#{n} {}", s.id);
            if s.total != 0 {
                let _ = write!(
                    line,
                    " {} / {}",
                    format_bytes(s.current),
                    format_bytes(s.total)
                );
            } else if s.current != 0 {
                let _ = write!(line, " {}", format_bytes(s.current));
            }
            let end = s.completed.unwrap_or(s.timestamp).0;
            if let Some(st) = s.started {
                let diff = seconds(end.saturating_sub(st.0));
                if diff > 0.01 {
                    let _ = write!(line, " {diff:.1}s");
                }
            }
            if s.completed.is_some() {
                line.push_str(" done");
            } else {
                open_status = true;
            }
            line.push('\n');
            out.extend_from_slice(line.as_bytes());
        }
        v.status_updates.clear();

        for w in v.warnings.get(v.warning_idx..).unwrap_or_default() {
            let _ = write_bytes(out, format_args!("#{n} WARN: "));
            out.extend_from_slice(w);
            out.push(b'\n');
        }
        v.warning_idx = v.warnings.len();

        let last = v.logs.len().saturating_sub(1);
        for (i, l) in v.logs.iter().enumerate() {
            let l: &[u8] = if i == 0 && v.logs_offset != 0 {
                let rest = l.get(v.logs_offset..).unwrap_or_default();
                out.extend_from_slice(rest);
                rest
            } else {
                let _ = write_bytes(out, format_args!("#{n} "));
                out.extend_from_slice(l);
                l
            };
            if i != last || !v.logs_partial {
                out.push(b'\n');
            }
            if self.opts.log_ring_size > 0 {
                let ring = v.ring.get_or_insert_with(|| Ring {
                    slots: vec![None; self.opts.log_ring_size],
                    pos: 0,
                });
                ring.set(l);
                if !v.logs_partial {
                    ring.advance();
                }
            }
        }
        if !v.logs.is_empty() {
            if v.logs_partial {
                let keep = v.logs.split_off(last);
                v.logs = keep;
                v.logs_offset = v.logs.first().map_or(0, Vec::len);
            } else {
                v.logs.clear();
                v.logs_offset = 0;
            }
        }

        self.current = dgst.to_string();
        if v.is_completed() && !open_status {
            self.current.clear();
            v.count = 0;
            if v.logs_partial {
                out.push(b'\n');
            }
            if !v.rec.error.is_empty() {
                if v.rec.error.ends_with(CANCELED) {
                    let _ = writeln_bytes(out, format_args!("#{n} CANCELED"));
                } else {
                    let _ = write_bytes(out, format_args!("#{n} ERROR: "));
                    out.extend_from_slice(v.rec.error.as_bytes());
                    out.push(b'\n');
                }
            } else if v.rec.cached {
                let _ = writeln_bytes(out, format_args!("#{n} CACHED"));
            } else {
                let ivals = merge_intervals(&v.intervals);
                if ivals.is_empty() {
                    let _ = writeln_bytes(out, format_args!("#{n} DONE"));
                } else {
                    let mut dt = 0.0f64;
                    for i in &ivals {
                        let stop = i.stop.unwrap_or(i.start);
                        dt += seconds(stop.saturating_sub(i.start));
                    }
                    let _ = writeln_bytes(out, format_args!("#{n} DONE {dt:.1}s"));
                }
            }
        }
        self.updates.remove(&idx);
    }
}
