//! An edge's outgoing pipes (`edge.out` in BuildKit's scheduler), kept so that a dispatch costs
//! what arrived, not how many requests the edge has open.
//!
//! BuildKit's `dispatch` calls `Receive` on every outgoing pipe and then keeps those not yet
//! completed: for a merge of n inputs whose answers arrive one by one, n dispatches of n pipes.
//! Here each pipe that is sent on is noted for the edge it reports to ([`Solver::on_send`]), and
//! a dispatch receives only those, in the order the pipes were added, which is the order
//! BuildKit's walk would meet them; completed pipes leave the list lazily. What the edge
//! receives, in what order, and whether it still has open requests, are the same.

use super::{EdgeId, PipeId, Solver};

/// One edge's outgoing pipes.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// The pipes in the order they were added; some may have completed (`done` of them).
    list: Vec<PipeId>,
    /// How many pipes of `list` have completed.
    done: usize,
    /// Pipes sent on since the edge last received them (repeats, and pipes that have since
    /// moved to another edge, are sorted out when received).
    sent: Vec<PipeId>,
}

/// What the outgoing list was when a dispatch began (BuildKit's `e.out` snapshot), to rebuild
/// it if the edge cancels everything it asked for.
pub(crate) struct OutSnapshot {
    len: usize,
    completed_now: Vec<PipeId>,
}

impl Solver {
    /// Adds `p` to `e`'s outgoing pipes, after every pipe already there.
    pub(crate) fn push_outgoing(&mut self, e: EdgeId, p: PipeId) {
        self.out_seq += 1;
        self.pipes[p.0 as usize].out_seq = self.out_seq;
        self.outgoing.entry(e).or_default().list.push(p);
    }

    /// Notes that `p`, an outgoing pipe of `e`, was sent on.
    pub(crate) fn note_sent(&mut self, e: EdgeId, p: PipeId) {
        self.outgoing.entry(e).or_default().sent.push(p);
    }

    /// Receives what arrived on `e`'s open outgoing pipes, in list order: the pipes that had an
    /// update, whether some outgoing pipe is still open, and the snapshot for [`Self::outgoing_at`].
    pub(crate) fn receive_outgoing(&mut self, e: EdgeId) -> (Vec<PipeId>, bool, OutSnapshot) {
        let ob = self.outgoing.entry(e).or_default();
        let len = ob.list.len();
        let mut sent = std::mem::take(&mut ob.sent);
        sent.retain(|p| {
            let pipe = &self.pipes[p.0 as usize];
            pipe.from == Some(e) && !pipe.recv.completed && pipe.sent != pipe.received
        });
        sent.sort_unstable_by_key(|p| self.pipes[p.0 as usize].out_seq);
        sent.dedup();
        let mut updates = Vec::with_capacity(sent.len());
        let mut completed_now = Vec::new();
        for p in sent {
            if self.receive(p) {
                updates.push(p);
            }
            if self.pipes[p.0 as usize].recv.completed {
                completed_now.push(p);
            }
        }
        let ob = self.outgoing.entry(e).or_default();
        ob.done += completed_now.len();
        let active = ob.list.len() > ob.done;
        (updates, active, OutSnapshot { len, completed_now })
    }

    /// `e`'s outgoing pipes as they were when the dispatch of `snap` began.
    pub(crate) fn outgoing_at(&self, e: EdgeId, snap: &OutSnapshot) -> Vec<PipeId> {
        let Some(ob) = self.outgoing.get(&e) else {
            return Vec::new();
        };
        ob.list[..snap.len.min(ob.list.len())]
            .iter()
            .copied()
            .filter(|p| !self.pipes[p.0 as usize].recv.completed || snap.completed_now.contains(p))
            .collect()
    }

    /// After a dispatch: drops completed pipes from the list when they are many; whether `e`
    /// still has an open outgoing pipe.
    pub(crate) fn settle_outgoing(&mut self, e: EdgeId) -> bool {
        let Some(ob) = self.outgoing.get_mut(&e) else {
            return false;
        };
        if ob.done > 0 && ob.done * 2 >= ob.list.len() {
            let pipes = &self.pipes;
            ob.list.retain(|p| !pipes[p.0 as usize].recv.completed);
            ob.done = 0;
        }
        ob.list.len() > ob.done
    }

    /// Takes `src`'s open outgoing pipes and the sends not yet received on them (for a merge).
    pub(crate) fn take_outgoing(&mut self, src: EdgeId) -> (Vec<PipeId>, Vec<PipeId>) {
        let Some(ob) = self.outgoing.remove(&src) else {
            return (Vec::new(), Vec::new());
        };
        let open = ob
            .list
            .into_iter()
            .filter(|p| !self.pipes[p.0 as usize].recv.completed)
            .collect();
        (open, ob.sent)
    }
}
