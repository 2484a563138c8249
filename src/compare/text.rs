//! A comparison as text for a terminal: root causes first (as `bb explain`), every changed step
//! when verbose.

use super::fields::CUSTOM_NAME;
use super::{Change, Comparison, Status, VertexDiff};
use crate::llb::Digest;

fn short(d: &Digest) -> &str {
    let hex = d.as_str().strip_prefix("sha256:").unwrap_or(d.as_str());
    hex.get(..12).unwrap_or(hex)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn change_words(c: &Change) -> String {
    let words = match (&c.old, &c.new) {
        (Some(o), Some(n)) => format!("{} {} → {}", c.field, show(o), show(n)),
        (None, Some(n)) => format!("{} added: {}", c.field, show(n)),
        (Some(o), None) => format!("{} removed (was {})", c.field, show(o)),
        (None, None) => c.field.clone(),
    };
    match &c.declared {
        Some(d) => format!("{words} (set at {})", clip(d, 80)),
        None => words,
    }
}

fn show(s: &str) -> String {
    if s.is_empty() {
        "(empty)".into()
    } else {
        clip(&s.replace('\n', "⏎"), 100)
    }
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 more step".into()
    } else {
        format!("{n} more steps")
    }
}

fn rebuild_words(v: &VertexDiff) -> String {
    let mut s = v.outcome.words().to_string();
    if v.content_dependent {
        s.push_str(" (unless its input's content came out identical)");
    }
    s
}

/// The comparison as text; `verbose` adds every changed or added step and the removed ones.
pub fn render(c: &Comparison, verbose: bool) -> String {
    let count = |s: Status| c.vertices.iter().filter(|v| v.status == s).count();
    let mut out = format!(
        "{} root cause(s); {} changed, {} added, {} removed, {} unchanged; \
         the rebuild runs {}, loads {}, {} CACHED without running (variant {})\n",
        c.root_causes.len(),
        count(Status::Changed),
        count(Status::Added),
        c.removed.len(),
        count(Status::Unchanged),
        c.reruns.len(),
        c.loaded.len(),
        c.cached.len(),
        serde_json::to_value(c.variant)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
    );
    for v in c.vertices.iter().filter(|v| v.root_cause) {
        let what: Vec<String> = if v.status == Status::Added {
            vec!["new step".into()]
        } else {
            let own: Vec<&Change> = v
                .changes
                .iter()
                .filter(|c| c.field != CUSTOM_NAME)
                .collect();
            own.into_iter().map(change_words).collect()
        };
        out.push_str(&format!(
            "\n{} {} — {}; invalidates {}\n",
            short(&v.digest),
            clip(&v.name, 90),
            what.join("; "),
            steps(v.invalidates)
        ));
        if let Some(l) = &v.location {
            out.push_str(&format!("    at {l}\n"));
        }
        for l in &v.lines {
            out.push_str(&format!("    │ {}\n", clip(l, 110)));
        }
        out.push_str(&format!("    rebuild: {}\n", rebuild_words(v)));
    }
    if !verbose {
        return out;
    }
    out.push_str("\nevery changed step:\n");
    for v in c.vertices.iter().filter(|v| v.status != Status::Unchanged) {
        let status = match (v.status, v.root_cause) {
            (_, true) => "root cause",
            (Status::Added, false) => "added",
            _ => "changed",
        };
        out.push_str(&format!(
            "  {} {:<10} {}\n",
            short(&v.digest),
            status,
            clip(&v.name, 90)
        ));
        for ch in &v.changes {
            out.push_str(&format!("      {}\n", change_words(ch)));
        }
        if !v.because.is_empty() && !v.root_cause {
            let names: Vec<&str> = v.because.iter().map(short).collect();
            out.push_str(&format!("      because of {}\n", names.join(", ")));
        }
        out.push_str(&format!("      rebuild: {}\n", rebuild_words(v)));
    }
    for (d, n) in c.removed.iter().zip(&c.removed_names) {
        out.push_str(&format!(
            "  {} {:<10} {}\n",
            short(d),
            "removed",
            clip(n, 90)
        ));
    }
    out
}
