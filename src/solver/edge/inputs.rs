//! What an edge knows about its inputs (`dep`s in `edge.go`): the key alternatives each input
//! offers, and the facts over all inputs that the edge's decisions read (how far every input
//! got, whether they all have keys, which phase-2 shortcuts apply).
//!
//! How an input's keys are assembled is decided here once, by [`Solver::dep_keys`]; the cache
//! module's doc says how a selector enters a key.

use super::super::cache::{KeyId, KeyWithSelector};
use super::super::*;

/// Which of an input's keys [`Solver::dep_keys`] gives. Definition keys and result keys are used
/// under the consumer's selector for that input; the content-based key (once computed) always
/// comes with the result keys, with no selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DepKeys {
    /// The keys the input's edge reported (definition keys, before or without a result).
    Definition,
    /// The keys of the input's result, then its content-based key: what a result is saved under
    /// (`commitOptions`) and what a content key is queried with.
    Result,
    /// The result's keys if the input has a result, else its definition keys: a merged key's
    /// inputs (`recalcCurrentState`).
    Current,
    /// The definition keys, then, if the input has a result, the result's keys: the edge index's
    /// key (`currentIndexKey`).
    All,
}

/// What `desiredStateDep` needs to know about all deps at once. BuildKit recomputes these
/// for every dep (quadratic for a wide merge); nothing changes them while the deps are
/// walked, so they are computed once per walk.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DepView {
    pub all_have_matching: bool,
    pub phase1_slow: bool,
    pub phase1_fast: bool,
}

/// Facts over an edge's deps, counted: per fact (a bit of [`Solver::contribution`]), how many
/// deps have it. A dep that changes is marked ([`Solver::dep_mut`]) and recounted alone before
/// the next read, so an update costs what changed, not the number of deps (BuildKit walks every
/// dep on every update: quadratic for a wide merge whose inputs finish one by one).
#[derive(Clone, Debug, Default)]
pub(crate) struct InputTally {
    counts: [u32; BITS],
    /// The cache map the counts were made under (`None`: not counted since the deps were made).
    counted_with: Option<Option<CmId>>,
    /// Deps changed since they were counted.
    count_dirty: Vec<usize>,
    /// Deps changed since the last request walk ([`Solver::create_input_requests`]).
    pub(super) req_dirty: Vec<usize>,
    /// What the last request walk depended on besides its deps.
    pub(super) walked_with: Option<WalkContext>,
    /// The deps' content-key requests, by pipe.
    pub(super) slow_reqs: BTreeMap<PipeId, usize>,
}

/// Everything besides dep `i` itself that the request walk's decision for dep `i` reads
/// (`desiredStateDep`, `createOutgoingRequest`, `computeCacheKeyFromDep`). With the same context,
/// a walk changes nothing for a dep that did not change since the last walk.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WalkContext {
    pub desired: Status,
    pub force: bool,
    pub no_cache_match_possible: bool,
    pub all_deps_completed_cache_fast: bool,
    pub all_deps_completed_cache_slow: bool,
    pub no_keys: bool,
    pub no_records: bool,
    pub cache_map: Option<CmId>,
    pub view: DepView,
}

// The facts a dep contributes to its edge's tally.
const LOW_FAST: u16 = 1 << 0;
const LOW_SLOW: u16 = 1 << 1;
const HIGH_INITIAL: u16 = 1 << 2;
const HIGH_FAST: u16 = 1 << 3;
const NOT_COMPLETED: u16 = 1 << 4;
const NOT_FAST: u16 = 1 << 5;
const NOT_SLOW: u16 = 1 << 6;
const NOT_STATE_SLOW: u16 = 1 << 7;
const LACKS_MATCHING: u16 = 1 << 8;
const LACKS_KEYS: u16 = 1 << 9;
const PHASE1_SLOW: u16 = 1 << 10;
const PHASE1_FAST: u16 = 1 << 11;
const NO_MATCHES: u16 = 1 << 12;
const BITS: usize = 13;

/// The facts over all deps that `recalcCurrentState` derives the edge's state from.
pub(super) struct Aggregates {
    /// The highest state (at most cache-slow) of a dep with no matching keys and no pending
    /// content key.
    pub st_low: Status,
    /// The lowest state of any dep, counting a dep still waiting for its content key as
    /// cache-fast; at most cache-slow.
    pub st_high: Status,
    pub all_fast: bool,
    pub all_slow: bool,
    pub all_state_slow: bool,
    pub all_completed: bool,
}

impl Solver {
    /// The selector under which the edge uses input `dep` ("" for none).
    pub(super) fn selector(&self, e: EdgeId, dep: usize) -> &str {
        self.cm(e)
            .and_then(|c| c.deps.get(dep))
            .map_or("", |d| d.selector.as_str())
    }

    /// Whether the edge computes a content-based key from input `dep`'s result.
    pub(super) fn slow_fn(&self, e: EdgeId, dep: usize) -> bool {
        self.cm(e)
            .and_then(|c| c.deps.get(dep))
            .is_some_and(|d| d.content)
    }

    /// Whether the edge preprocesses input `dep`'s result.
    pub(super) fn pre_fn(&self, e: EdgeId, dep: usize) -> bool {
        self.cm(e)
            .and_then(|c| c.deps.get(dep))
            .is_some_and(|d| d.preprocess)
    }

    fn result_keys(&self, r: Option<ResId>) -> &[KeyId] {
        r.map_or(&[], |r| &self.results[r.0 as usize].keys)
    }

    /// `keys` under `selector`, appended to `out`.
    pub(super) fn push_with_selector(
        out: &mut Vec<KeyWithSelector>,
        keys: &[KeyId],
        selector: &str,
    ) {
        out.extend(keys.iter().map(|&k| KeyWithSelector {
            key: k,
            selector: selector.to_string(),
        }));
    }

    /// Input `i`'s key alternatives, as `which` says: the one place that assembles a dependency
    /// key's inputs.
    pub(super) fn dep_keys(&self, e: EdgeId, i: usize, which: DepKeys) -> Vec<KeyWithSelector> {
        let dep = &self.e(e).deps[i];
        let sel = self.selector(e, i);
        let mut out = Vec::new();
        let (definition, result) = match which {
            DepKeys::Definition => (true, false),
            DepKeys::Result => (false, true),
            DepKeys::Current => (dep.st.result.is_none(), dep.st.result.is_some()),
            DepKeys::All => (true, dep.st.result.is_some()),
        };
        if definition {
            Self::push_with_selector(&mut out, &dep.st.keys, sel);
        }
        if result {
            Self::push_with_selector(&mut out, self.result_keys(dep.st.result), sel);
            if let Some(sk) = dep.slow_key {
                out.push(KeyWithSelector {
                    key: sk,
                    selector: String::new(),
                });
            }
        }
        out
    }

    /// Dep `i`, to change: marks it for recounting and for the next request walk.
    pub(super) fn dep_mut(&mut self, e: EdgeId, i: usize) -> &mut Dep {
        let edge = self.em(e);
        let d = &mut edge.deps[i];
        if !d.count_dirty {
            d.count_dirty = true;
            edge.inputs.count_dirty.push(i);
        }
        if !d.req_dirty {
            d.req_dirty = true;
            edge.inputs.req_dirty.push(i);
        }
        &mut edge.deps[i]
    }

    /// What dep `i` adds to the tally now.
    fn contribution(&self, e: EdgeId, i: usize) -> u16 {
        let d = &self.e(e).deps[i];
        let st = &d.st.state;
        let slow = self.slow_fn(e, i);
        let pre = self.pre_fn(e, i);
        let no_matches = d.key_map.is_empty();
        let in_slow_phase =
            *st == Status::CacheSlow || (*st == Status::Complete && !d.slow_complete);
        let slow_cache_incomplete = slow && in_slow_phase;
        let slow_incomplete = (slow || pre) && in_slow_phase;
        let no_other = d.slow_key.is_none() && d.st.result.is_none();
        let effective = if *st >= Status::CacheSlow && slow_cache_incomplete {
            Status::CacheFast
        } else {
            st.clone()
        };
        let bits = [
            (
                no_matches && !slow_incomplete && *st == Status::CacheFast,
                LOW_FAST,
            ),
            (
                no_matches && !slow_incomplete && *st >= Status::CacheSlow,
                LOW_SLOW,
            ),
            (effective == Status::Initial, HIGH_INITIAL),
            (effective == Status::CacheFast, HIGH_FAST),
            (slow_incomplete || *st < Status::Complete, NOT_COMPLETED),
            (*st < Status::CacheFast, NOT_FAST),
            (slow_cache_incomplete || *st < Status::CacheSlow, NOT_SLOW),
            (*st < Status::CacheSlow && no_matches, NOT_STATE_SLOW),
            (no_matches && no_other, LACKS_MATCHING),
            (d.st.keys.is_empty() && no_other, LACKS_KEYS),
            (
                ((!d.slow_complete && slow) || *st < Status::CacheSlow) && no_matches,
                PHASE1_SLOW,
            ),
            (
                no_matches && ((!d.slow_complete && slow) || (*st < Status::Complete && !slow)),
                PHASE1_FAST,
            ),
            (no_matches, NO_MATCHES),
        ];
        bits.iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit)
    }

    /// Brings the edge's tally up to date: the deps changed since they were counted, or all of
    /// them when the cache map (which says which deps have content keys) changed.
    fn tally(&mut self, e: EdgeId) {
        let cm = self.e(e).st.cache_map;
        let todo: Vec<usize> = if self.e(e).inputs.counted_with != Some(cm) {
            let edge = self.em(e);
            edge.inputs.counts = [0; BITS];
            edge.inputs.counted_with = Some(cm);
            edge.inputs.count_dirty.clear();
            for d in &mut edge.deps {
                d.counted = 0;
            }
            (0..edge.deps.len()).collect()
        } else {
            std::mem::take(&mut self.em(e).inputs.count_dirty)
        };
        for i in todo {
            let new = self.contribution(e, i);
            let edge = self.em(e);
            let d = &mut edge.deps[i];
            let old = std::mem::replace(&mut d.counted, new);
            d.count_dirty = false;
            for (b, count) in edge.inputs.counts.iter_mut().enumerate() {
                let bit = 1 << b;
                if old & bit != 0 {
                    *count -= 1;
                }
                if new & bit != 0 {
                    *count += 1;
                }
            }
        }
        #[cfg(debug_assertions)]
        {
            let mut fresh = [0u32; BITS];
            for i in 0..self.e(e).deps.len() {
                let c = self.contribution(e, i);
                for (b, count) in fresh.iter_mut().enumerate() {
                    *count += u32::from(c & (1 << b) != 0);
                }
            }
            debug_assert_eq!(fresh, self.e(e).inputs.counts, "stale input tally");
        }
    }

    /// How many deps have `bit`, as of the last [`Solver::tally`].
    fn count(&self, e: EdgeId, bit: u16) -> u32 {
        self.e(e).inputs.counts[bit.trailing_zeros() as usize]
    }

    /// `edge.allDepsHaveKeys`: every dep has keys (`matching`: keys found in the cache for this
    /// edge), a content key or a result.
    pub(super) fn all_deps_have_keys(&mut self, e: EdgeId, matching: bool) -> bool {
        if self.e(e).st.cache_map.is_none() {
            return false;
        }
        self.tally(e);
        self.count(e, if matching { LACKS_MATCHING } else { LACKS_KEYS }) == 0
    }

    /// Whether some dep has no matching keys: then no key is in every dep's key map.
    pub(super) fn some_dep_has_no_matches(&mut self, e: EdgeId) -> bool {
        self.tally(e);
        self.count(e, NO_MATCHES) > 0
    }

    /// See [`DepView`].
    pub(super) fn dep_view(&mut self, e: EdgeId) -> DepView {
        let has_cm = self.e(e).st.cache_map.is_some();
        let all_have_matching = self.all_deps_have_keys(e, true);
        self.tally(e);
        DepView {
            all_have_matching,
            phase1_slow: self.count(e, PHASE1_SLOW) > 0,
            phase1_fast: (!has_cm && !self.e(e).deps.is_empty()) || self.count(e, PHASE1_FAST) > 0,
        }
    }

    /// See [`Aggregates`].
    pub(super) fn dep_aggregates(&mut self, e: EdgeId) -> Aggregates {
        self.tally(e);
        let any = |bit| self.count(e, bit) > 0;
        let st_low = if any(LOW_SLOW) {
            Status::CacheSlow
        } else if any(LOW_FAST) {
            Status::CacheFast
        } else {
            Status::Initial
        };
        let st_high = if any(HIGH_INITIAL) {
            Status::Initial
        } else if any(HIGH_FAST) {
            Status::CacheFast
        } else {
            Status::CacheSlow
        };
        Aggregates {
            st_low,
            st_high,
            all_fast: !any(NOT_FAST),
            all_slow: !any(NOT_SLOW),
            all_state_slow: !any(NOT_STATE_SLOW),
            all_completed: !any(NOT_COMPLETED),
        }
    }

    /// Whether, walking the deps that wait for no content key, the keys they have matched and
    /// this edge has not yet merged run out (BuildKit's `openKeys` walk: an intersection that
    /// restarts from the next dep's keys once it is empty). Then no merged key can come from the
    /// cache-fast keys any more and the edge moves on to cache-slow.
    pub(super) fn open_keys_run_out(&self, e: EdgeId) -> bool {
        let edge = self.e(e);
        let mut open_keys: Option<BTreeSet<&String>> = None;
        for (i, dep) in edge.deps.iter().enumerate() {
            let slow_incomplete = self.slow_fn(e, i)
                && (dep.st.state == Status::CacheSlow
                    || (dep.st.state == Status::Complete && !dep.slow_complete));
            if slow_incomplete {
                continue;
            }
            let open_dep: BTreeSet<&String> = dep
                .key_map
                .keys()
                .filter(|k| !edge.key_map.contains(*k))
                .collect();
            let next = match open_keys.take() {
                Some(prev) if !prev.is_empty() => prev.intersection(&open_dep).copied().collect(),
                _ => open_dep,
            };
            if next.is_empty() {
                return true;
            }
            open_keys = Some(next);
        }
        false
    }
}
