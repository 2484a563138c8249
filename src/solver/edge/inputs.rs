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
pub(super) struct DepView {
    pub all_have_matching: bool,
    pub phase1_slow: bool,
    pub phase1_fast: bool,
}

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

    /// `edge.allDepsHaveKeys`: every dep has keys (`matching`: keys found in the cache for this
    /// edge), a content key or a result.
    pub(super) fn all_deps_have_keys(&self, e: EdgeId, matching: bool) -> bool {
        if self.e(e).st.cache_map.is_none() {
            return false;
        }
        self.e(e).deps.iter().all(|d| {
            let none = if matching {
                d.key_map.is_empty()
            } else {
                d.st.keys.is_empty()
            };
            !(none && d.slow_key.is_none() && d.st.result.is_none())
        })
    }

    /// See [`DepView`].
    pub(super) fn dep_view(&self, e: EdgeId) -> DepView {
        let deps = &self.e(e).deps;
        let has_cm = self.e(e).st.cache_map.is_some();
        DepView {
            all_have_matching: self.all_deps_have_keys(e, true),
            phase1_slow: deps.iter().enumerate().any(|(j, d)| {
                ((!d.slow_complete && self.slow_fn(e, j)) || d.st.state < Status::CacheSlow)
                    && d.key_map.is_empty()
            }),
            phase1_fast: deps.iter().enumerate().any(|(j, d)| {
                !has_cm
                    || (d.key_map.is_empty()
                        && ((!d.slow_complete && self.slow_fn(e, j))
                            || (d.st.state < Status::Complete && !self.slow_fn(e, j))))
            }),
        }
    }

    /// See [`Aggregates`]. The edge has a cache map.
    pub(super) fn dep_aggregates(&self, e: EdgeId) -> Aggregates {
        let mut a = Aggregates {
            st_low: Status::Initial,
            st_high: Status::CacheSlow,
            all_fast: true,
            all_slow: true,
            all_state_slow: true,
            all_completed: true,
        };
        for (i, dep) in self.e(e).deps.iter().enumerate() {
            let slow = self.slow_fn(e, i);
            let pre = self.pre_fn(e, i);
            let in_slow_phase = dep.st.state == Status::CacheSlow
                || (dep.st.state == Status::Complete && !dep.slow_complete);
            let slow_cache_incomplete = slow && in_slow_phase;
            let slow_incomplete = (slow || pre) && in_slow_phase;
            if dep.st.state > a.st_low && dep.key_map.is_empty() && !slow_incomplete {
                a.st_low = dep.st.state.clone().min(Status::CacheSlow);
            }
            let mut effective = dep.st.state.clone();
            if (dep.st.state == Status::CacheSlow || dep.st.state == Status::Complete)
                && slow_cache_incomplete
            {
                effective = Status::CacheFast;
            }
            if effective < a.st_high {
                a.st_high = effective;
            }
            if slow_incomplete || dep.st.state < Status::Complete {
                a.all_completed = false;
            }
            if dep.st.state < Status::CacheFast {
                a.all_fast = false;
            }
            if slow_cache_incomplete || dep.st.state < Status::CacheSlow {
                a.all_slow = false;
            }
            if dep.st.state < Status::CacheSlow && dep.key_map.is_empty() {
                a.all_state_slow = false;
            }
        }
        a
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
