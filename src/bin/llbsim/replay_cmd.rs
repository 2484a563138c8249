//! `llbsim replay`: a recorded stream re-printed, or joined to a definition.

use llbsim::progress::{plain, rawjson, replay};

use super::{one_line, read_definition, read_input, Args, Progress};

/// `replay RUN`: re-prints a recorded stream (rawjson or a `--trace` file) in `--progress`
/// mode (plain by default), or with `--definition FILE` shows how its vertices join the graph.
pub(crate) fn cmd_replay(a: &Args, path: &str) -> Result<String, String> {
    let bytes = read_input(path)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))?;
    // A plain-text progress log (`#1 name` …) is read on a best-effort basis: it can be
    // joined to a definition by name, not re-printed.
    let plain_text = text.trim_start().starts_with('#');
    let (msgs, run) = if plain_text {
        let run = replay::read_plain(&text).map_err(|e| format!("{path}: {e}"))?;
        if a.definition.is_none() {
            return Err(format!(
                "{path} is a plain-text progress log: give --definition FILE to join it by name"
            ));
        }
        (Vec::new(), run)
    } else {
        let msgs = rawjson::read(&text).map_err(|e| format!("{path}: {e}"))?;
        let run = replay::Run::new(&msgs);
        (msgs, run)
    };
    if let Some(def) = &a.definition {
        let (_, graph) = read_definition(def, &a.opts)?;
        let joined = replay::join(&run, &graph);
        let mut out = format!(
            "{} of {} vertices matched ({} by digest, {} by name); {} in the run only\n",
            joined.matched.len(),
            graph.len(),
            joined.count(replay::MatchedBy::Digest),
            joined.count(replay::MatchedBy::Name),
            joined.extra.len()
        );
        for m in &joined.matched {
            let v = graph.vertex(m.graph);
            let rv = run.vertices.get(m.run);
            let state = rv.map_or("?".to_string(), |r| {
                format!("{:?}", r.state()).to_lowercase()
            });
            let dur = rv.map_or(0.0, |r| r.duration() as f64 / 1e9);
            out.push_str(&format!(
                "{:<10} {:>8.3}s  {} {}\n",
                state,
                dur,
                v.digest.short(),
                one_line(&v.name)
            ));
        }
        if a.progress.is_none() || plain_text {
            return Ok(out);
        }
        eprint!("{out}");
    }
    match a.progress.unwrap_or(Progress::Plain) {
        Progress::Plain => Ok(plain::render(&msgs, plain::PassMode::Each)),
        Progress::RawJson => Ok(rawjson::write_all(&msgs)),
        Progress::Quiet => Ok(String::new()),
    }
}
