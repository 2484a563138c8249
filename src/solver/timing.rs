//! Time on the virtual clock and the races BuildKit leaves to Go's scheduler: how an event is
//! scheduled ([`Solver::at`]), the idealised and the seeded interleavings, and the loop that
//! charges scheduler time per dispatch.

use super::{Due, EdgeId, FlightKind, Solver, StateId, TaskKind, Time, Timed};

/// How goroutine timing is modelled: the races BuildKit leaves to the Go scheduler.
///
/// BuildKit runs cache maps, execs, cache loads and content hashes on goroutines, and its
/// scheduler is one loop that dispatches one edge at a time. Which of two functions finishing
/// together the scheduler hears of first, and what else is already waiting in its queue when it
/// does, is decided by timing that differs from run to run. It decides things a user can see:
/// which of two vertices with equal cache keys becomes the owner when their edges merge (the
/// other job's vertex is then never started, or is marked cached by the progress stream), and
/// which siblings are in flight when a step fails. Measured on BuildKit's own solver (the
/// oracle's content stubs, two jobs started together, 100 runs each), the owner is one job for
/// the whole graph in most runs of chains and fan-ins and in under half the runs of
/// synth-lattice6, whose other runs mix directions cell by cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interleaving {
    /// An idealised run: the scheduler takes no time, every op takes exactly its planned
    /// duration, and of two functions finishing at the same instant the one started first
    /// finishes first (job starts keep submission order). Merges then always go the way the
    /// first merge went.
    #[default]
    StartOrder,
    /// A run with timing noise drawn from this seed (the same seed gives the same run): each
    /// dispatch takes the scheduler [`DISPATCH_COST`] and functions that finish meanwhile queue
    /// behind it, each op's duration strays by up to [`EXEC_JITTER`] and each instantaneous
    /// function by up to [`TASK_JITTER`], and ties at one instant come in a pseudo-random
    /// order. On synth-lattice6 about half the seeds mix merge directions, as about half of
    /// BuildKit's runs do; chains and fan-ins keep one owner (BuildKit mixes 3 and 13 runs in
    /// 100 there).
    Seeded(u64),
}

/// What one dispatch costs the scheduler under [`Interleaving::Seeded`], in virtual ns.
pub const DISPATCH_COST: Time = 1_000;
/// The most an op's duration strays from its plan under [`Interleaving::Seeded`], in virtual ns
/// (a 5 ms sleep in Go on a busy 2-core machine ends up to about half a millisecond late).
pub const EXEC_JITTER: Time = 500_000;
/// The most a function with no planned duration (a content hash, a cache map) strays under
/// [`Interleaving::Seeded`], in virtual ns.
pub const TASK_JITTER: Time = 20_000;

/// FNV-1a over `bytes`: a stable 64-bit name for a digest.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's step from state `z`: a well-spread, deterministic 64-bit mix (also the cache's
/// ID generator).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Solver {
    /// The loop under [`Interleaving::Seeded`]: each dispatch takes the scheduler
    /// [`DISPATCH_COST`], and whatever finishes meanwhile happens before the next dispatch (an
    /// edge already queued then sees that news when its turn comes, as in BuildKit).
    pub(super) fn run_busy(&mut self) {
        loop {
            while let Some(std::cmp::Reverse(next)) = self.timed.peek() {
                if next.time > self.now {
                    break;
                }
                let Some(std::cmp::Reverse(next)) = self.timed.pop() else {
                    break;
                };
                self.fire(next.what);
            }
            if let Some(e) = self.queue.pop_front() {
                self.queued.remove(&e);
                self.dispatch(e);
                self.now += DISPATCH_COST;
                continue;
            }
            let Some(std::cmp::Reverse(next)) = self.timed.pop() else {
                break;
            };
            self.now = self.now.max(next.time);
            self.fire(next.what);
        }
    }

    /// Schedules `ev` at `t`. At one instant, job starts come after everything else that is
    /// due: a job submitted beside a running one loads once the running one's instantaneous work
    /// (its roots' cache maps) is done, as a second goroutine would arrive a moment later.
    /// Among the rest, the [`Interleaving`] orders what goroutines would race for.
    pub(crate) fn at(&mut self, mut t: Time, ev: Timed) {
        self.seq += 1;
        let class = u8::from(matches!(ev, Timed::Start(_)));
        let mut race = 0;
        if let Interleaving::Seeded(seed) = self.interleaving {
            if let Some(who) = self.noise_key(&ev) {
                let noise = mix64(seed ^ who);
                race = mix64(noise);
                match ev {
                    Timed::Flight(..) if t > self.now => t += noise % EXEC_JITTER,
                    Timed::Task(_) => t += noise % TASK_JITTER,
                    _ => {}
                }
            }
        }
        self.timed.push(std::cmp::Reverse(Due {
            time: t,
            class,
            race,
            seq: self.seq,
            what: ev,
        }));
    }

    /// Under a seeded interleaving, what a timed event's noise is drawn for: the function and
    /// the vertex it works on (not the order it was scheduled in, so one op strays the same way
    /// whatever else happened before it). `None` for events that are not goroutines finishing.
    fn noise_key(&self, ev: &Timed) -> Option<u64> {
        let vertex = |s: StateId| fnv1a(self.states[s.0 as usize].digest.as_str().as_bytes());
        let edge = |e: Option<EdgeId>| {
            e.map_or(0, |e| {
                let data = &self.edges[e.0 as usize];
                vertex(data.state_id) ^ mix64(data.index as u64)
            })
        };
        Some(match *ev {
            Timed::Flight(f, generation) => {
                let flight = &self.flights[f.0 as usize];
                let kind = match flight.kind {
                    FlightKind::CacheMap(i) => 1 + i as u64,
                    FlightKind::Exec => 0,
                };
                vertex(flight.state) ^ mix64(kind ^ generation << 32)
            }
            Timed::Task(task) | Timed::Waiter(task) => {
                let data = &self.tasks[task.0 as usize];
                let kind = match &data.kind {
                    TaskKind::CacheMap { index } => 0x100 + *index as u64,
                    TaskKind::Exec { .. } => 0x200,
                    TaskKind::Load { .. } => 0x300,
                    TaskKind::Slow { dep, .. } => 0x400 + *dep as u64,
                    TaskKind::Postpone => 0x500,
                    TaskKind::Fail(_) => 0x600,
                };
                let waiter = u64::from(matches!(ev, Timed::Waiter(_)));
                edge(data.edge) ^ mix64(kind ^ waiter << 20)
            }
            Timed::Start(job) => mix64(0x7000 + u64::from(job.0)),
            Timed::Cancel(_) | Timed::Log(..) | Timed::Status(..) => return None,
        })
    }
}
