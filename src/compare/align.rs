//! Aligning definition B to definition A: which vertex of A each vertex of B is, if any.
//!
//! Four passes, each only over what the passes before left unpaired, each deterministic (B in
//! load order, candidates in A's load order):
//! 1. equal digest: the vertex is `unchanged`;
//! 2. equal Dockerfile source location (the `Definition.source` map: file name and line range)
//!    and op kind;
//! 3. equal stage/step prefix of the display name (`[build 2/5]`) and op kind; among several, the
//!    one with the same name, then the same first word after the prefix (`COPY`, `LINK`), then
//!    the first in A's order;
//! 4. graph position: the targets pair (the terminal op consumes both); then, consumers first
//!    (B in reverse load order), an unpaired B input is paired
//!    with the A vertex at the same input slot of its consumer's A pair, if unpaired and of the
//!    same kind.

use std::collections::BTreeMap;

use crate::graph::{Graph, VertexId};

/// How a B vertex was paired with an A vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairedBy {
    /// Equal digests.
    Digest,
    /// Equal Dockerfile source location.
    Location,
    /// Equal stage/step prefix of the name.
    Step,
    /// Same input slot of paired consumers.
    Position,
}

/// The alignment: for each B vertex (by load order) its A vertex and how it was found.
#[derive(Clone, Debug, Default)]
pub struct Alignment {
    /// Indexed like `b.vertices()`.
    pub pair: Vec<Option<(VertexId, PairedBy)>>,
    /// Indexed like `a.vertices()`: whether some B vertex is paired with it.
    pub taken: Vec<bool>,
}

/// The source ranges of a vertex: per file (its index in `Source.infos`), merged line ranges
/// (1-based, inclusive), sorted.
fn ranges(g: &Graph, id: VertexId) -> Vec<(usize, i32, i32)> {
    let Some(src) = g.source.as_ref() else {
        return Vec::new();
    };
    let Some(locs) = src.locations.get(g.vertex(id).llb_digest.as_str()) else {
        return Vec::new();
    };
    let mut all: Vec<(usize, i32, i32)> = Vec::new();
    for l in &locs.locations {
        let Ok(file) = usize::try_from(l.source_index) else {
            continue;
        };
        for r in &l.ranges {
            let start = r.start.as_ref().map(|p| p.line).unwrap_or(0);
            let end = r.end.as_ref().map(|p| p.line).unwrap_or(start).max(start);
            all.push((file, start, end));
        }
    }
    all.sort();
    let mut merged: Vec<(usize, i32, i32)> = Vec::new();
    for r in all {
        match merged.last_mut() {
            Some(m) if m.0 == r.0 && r.1 <= m.2.saturating_add(1) => m.2 = m.2.max(r.2),
            _ => merged.push(r),
        }
    }
    merged
}

/// The source location of a vertex (`Dockerfile:4-5`), or `None` when the definition has no
/// source map entry for it. Also the key of the location pass.
pub fn location(g: &Graph, id: VertexId) -> Option<String> {
    let src = g.source.as_ref()?;
    let parts: Vec<String> = ranges(g, id)
        .into_iter()
        .map(|(f, start, end)| {
            let file = src.infos.get(f).map(|i| i.filename.as_str()).unwrap_or("?");
            if start == end {
                format!("{file}:{start}")
            } else {
                format!("{file}:{start}-{end}")
            }
        })
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(", "))
    }
}

/// The source lines behind a vertex (the Dockerfile text, from the source map's file data).
pub fn source_lines(g: &Graph, id: VertexId) -> Vec<String> {
    let Some(src) = g.source.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (f, start, end) in ranges(g, id) {
        let Some(info) = src.infos.get(f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&info.data);
        let lines: Vec<&str> = text.lines().collect();
        for n in start.max(1)..=end {
            if let Some(l) = usize::try_from(n - 1).ok().and_then(|i| lines.get(i)) {
                out.push((*l).to_string());
            }
        }
    }
    out
}

/// Where variable `var` was last declared (`ENV` or `ARG`) above the vertex's first source line
/// in the same file: `(file:line, text)`. A guess from the Dockerfile's text (the source map
/// does not say which line set a variable), used to point at the line behind an env change.
pub fn declaration(g: &Graph, id: VertexId, var: &str) -> Option<(String, String)> {
    let src = g.source.as_ref()?;
    let (f, start, _) = *ranges(g, id).first()?;
    let info = src.infos.get(f)?;
    let text = String::from_utf8_lossy(&info.data);
    let lines: Vec<&str> = text.lines().collect();
    let above = usize::try_from(start - 1).ok()?.min(lines.len());
    for n in (0..above).rev() {
        let line = lines.get(n)?.trim_start();
        let mut words = line.split_whitespace();
        let Some(inst) = words.next() else {
            continue;
        };
        if !(inst.eq_ignore_ascii_case("ENV") || inst.eq_ignore_ascii_case("ARG")) {
            continue;
        }
        let declares = words.any(|w| w == var || w.split_once('=').is_some_and(|(k, _)| k == var));
        if declares {
            return Some((format!("{}:{}", info.filename, n + 1), line.to_string()));
        }
    }
    None
}

/// The `[stage n/m]` prefix of a display name, if it has one.
pub fn step_prefix(name: &str) -> Option<&str> {
    if !name.starts_with('[') {
        return None;
    }
    let end = name.find(']')?;
    Some(&name[..=end])
}

/// The first word after the step prefix (`RUN`, `COPY`, `LINK`, `FROM`).
fn first_word(name: &str) -> &str {
    let rest = match step_prefix(name) {
        Some(p) => &name[p.len()..],
        None => name,
    };
    rest.split_whitespace().next().unwrap_or("")
}

/// Aligns `b` to `a`.
pub fn align(a: &Graph, b: &Graph) -> Alignment {
    let mut al = Alignment {
        pair: vec![None; b.len()],
        taken: vec![false; a.len()],
    };
    // 1. digests.
    for (i, v) in b.vertices().iter().enumerate() {
        if let Some(ai) = a.find(&v.digest) {
            al.pair[i] = Some((ai, PairedBy::Digest));
            al.taken[ai.index()] = true;
        }
    }
    // 2. source locations (only when the location is unique among A's unpaired vertices).
    let mut by_loc: BTreeMap<(String, &'static str), Vec<VertexId>> = BTreeMap::new();
    for (i, v) in a.vertices().iter().enumerate() {
        let id = VertexId(i as u32);
        if al.taken[i] {
            continue;
        }
        if let Some(l) = location(a, id) {
            by_loc.entry((l, v.kind().as_str())).or_default().push(id);
        }
    }
    for (i, v) in b.vertices().iter().enumerate() {
        if al.pair[i].is_some() {
            continue;
        }
        let Some(l) = location(b, VertexId(i as u32)) else {
            continue;
        };
        let Some(cands) = by_loc.get(&(l, v.kind().as_str())) else {
            continue;
        };
        let free: Vec<VertexId> = cands
            .iter()
            .copied()
            .filter(|c| !al.taken[c.index()])
            .collect();
        let pick = match free.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => best_by_name(a, many, &v.name),
        };
        if let Some(ai) = pick {
            al.pair[i] = Some((ai, PairedBy::Location));
            al.taken[ai.index()] = true;
        }
    }
    // 3. stage/step prefix and kind.
    let mut by_step: BTreeMap<(&str, &'static str), Vec<VertexId>> = BTreeMap::new();
    for (j, w) in a.vertices().iter().enumerate() {
        if let Some(p) = step_prefix(&w.name) {
            if !al.taken[j] {
                by_step
                    .entry((p, w.kind().as_str()))
                    .or_default()
                    .push(VertexId(j as u32));
            }
        }
    }
    for (i, v) in b.vertices().iter().enumerate() {
        if al.pair[i].is_some() {
            continue;
        }
        let Some(prefix) = step_prefix(&v.name) else {
            continue;
        };
        let free: Vec<VertexId> = by_step
            .get(&(prefix, v.kind().as_str()))
            .map(|c| c.iter().copied().filter(|c| !al.taken[c.index()]).collect())
            .unwrap_or_default();
        if let Some(ai) = best_by_name(a, &free, &v.name) {
            al.pair[i] = Some((ai, PairedBy::Step));
            al.taken[ai.index()] = true;
        }
    }
    // 4. graph position: the targets (both consumed by the terminal op), then consumers first.
    let (ta, tb) = (a.target().vertex, b.target().vertex);
    if al.pair[tb.index()].is_none()
        && !al.taken[ta.index()]
        && a.vertex(ta).kind() == b.vertex(tb).kind()
    {
        al.pair[tb.index()] = Some((ta, PairedBy::Position));
        al.taken[ta.index()] = true;
    }
    for i in (0..b.len()).rev() {
        let Some((ai, _)) = al.pair[i] else {
            continue;
        };
        let bv = b.vertex(VertexId(i as u32));
        let av = a.vertex(ai);
        for (slot, input) in bv.inputs.iter().enumerate() {
            let bi = input.vertex.index();
            if al.pair[bi].is_some() {
                continue;
            }
            let Some(ain) = av.inputs.get(slot) else {
                continue;
            };
            let aj = ain.vertex.index();
            if al.taken[aj] || a.vertex(ain.vertex).kind() != b.vertex(input.vertex).kind() {
                continue;
            }
            al.pair[bi] = Some((ain.vertex, PairedBy::Position));
            al.taken[aj] = true;
        }
    }
    al
}

/// Among candidates, the one named `name`, else the one with the same first word, else the
/// first.
fn best_by_name(a: &Graph, cands: &[VertexId], name: &str) -> Option<VertexId> {
    cands
        .iter()
        .copied()
        .find(|c| a.vertex(*c).name == name)
        .or_else(|| {
            cands
                .iter()
                .copied()
                .find(|c| first_word(&a.vertex(*c).name) == first_word(name))
        })
        .or_else(|| cands.first().copied())
}
