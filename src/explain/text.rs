//! The anatomy of keys as text for a terminal: a small tree per vertex.

use std::fmt::Write;

use super::VertexAnatomy;

/// How many characters of a digest to show (`sha256:` and 12 hex digits).
const SHORT: usize = 19;

fn short(d: &str) -> &str {
    d.get(..SHORT).unwrap_or(d)
}

/// `vertices` as a tree per vertex:
///
/// ```text
/// RUN go build …  [exec sha256:0a1b2c3d4e5f]
///   outcome   ran: input … ran in this build, so its key is new …
///   cache map sha256:…  buildkit.exec.v0 linux/amd64
///     counts  meta.args, meta.env, …
///     cleared mounts[0].selector (…)
///   input 0   sha256:… «name» selector sha256:… /src  content-hashed
///   key       sha256:… (root) | <id> ← input 0: <id> sel …
///   query     hit: record … key … saved by …
/// ```
pub fn render(vertices: &[VertexAnatomy]) -> String {
    let mut out = String::new();
    for v in vertices {
        let name = if v.name.is_empty() {
            "(no name)"
        } else {
            &v.name
        };
        let _ = writeln!(out, "{name}  [{} {}]", v.kind, short(v.digest.as_str()));
        let _ = writeln!(out, "  outcome    {}: {}", v.outcome_words, v.why);
        let cm = &v.cache_map;
        let mut head = format!("  cache map  {}  {}", short(&cm.digest), cm.basis.rule);
        if let Some(p) = &cm.basis.platform {
            let _ = write!(head, " {p}");
        }
        if cm.stand_in && cm.basis.rule != "stand-in" {
            head.push_str("  (stand-in)");
        }
        if !cm.computed {
            head.push_str("  (not computed in this build)");
        }
        let _ = writeln!(out, "{head}");
        if !cm.basis.counted.is_empty() {
            let _ = writeln!(out, "    counts   {}", cm.basis.counted.join(", "));
        }
        for c in &cm.basis.cleared {
            let _ = writeln!(out, "    cleared  {c}");
        }
        for (i, d) in cm.deps.iter().enumerate() {
            let mut line = format!("  input {i:<4} {}", short(d.input.as_str()));
            if !d.name.is_empty() {
                let _ = write!(line, " «{}»", d.name);
            }
            if d.output != 0 {
                let _ = write!(line, " output {}", d.output);
            }
            if !d.selector.is_empty() {
                let _ = write!(
                    line,
                    "  selector {} {}",
                    short(&d.selector),
                    d.paths.join(" ")
                );
            }
            if d.content {
                line.push_str("  content-hashed");
            }
            let _ = writeln!(out, "{line}");
        }
        for k in &v.keys {
            if k.root {
                let _ = writeln!(
                    out,
                    "  key        {} = sha256(cache map digest@{})",
                    short(&k.id),
                    k.output
                );
                continue;
            }
            let _ = writeln!(out, "  key        {}", short(&k.id));
            for (i, alts) in k.inputs.iter().enumerate() {
                for a in alts {
                    let what = if a.content { "content key" } else { "key" };
                    let sel = if a.selector.is_empty() {
                        String::new()
                    } else {
                        format!(" under selector {}", short(&a.selector))
                    };
                    let _ = writeln!(out, "    ← input {i} {what} {}{sel}", short(&a.id));
                }
            }
        }
        let q = &v.query;
        let mut line = format!("  query      {}", q.result);
        if let Some(r) = &q.record {
            let _ = write!(line, ": record {r}");
        }
        if let Some(s) = &q.source {
            let _ = write!(line, " from cache source {s}");
        }
        if let Some(sb) = &q.saved_by {
            let _ = write!(line, " saved by {} at {:.3}s", sb.job, sb.time as f64 / 1e9);
        }
        if let Some(r) = q.reason {
            let _ = write!(line, " ({r})");
        }
        let _ = writeln!(out, "{line}");
        for s in &v.simulated {
            let _ = writeln!(out, "  simulated  {s}");
        }
        out.push('\n');
    }
    out
}
