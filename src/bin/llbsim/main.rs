//! `llbsim`: the command-line face of the library. Thin: parse flags, call the library, print.

mod diff;
mod explain;
mod oracle_cmd;
mod replay_cmd;

use std::io::{Read, Write};
use std::process::ExitCode;

use llbsim::oracle::{self, FirstJob};
use llbsim::progress::stream::client_stream;
use llbsim::progress::{plain, rawjson, summary, SolveStatus};
use llbsim::session::{self, Scenario};
use llbsim::solver::{
    CancelAt, Interleaving, JobId, JobOptions, Solver, StubOps, Time, Variant, MS,
};
use llbsim::{inspect, llb, load, Digest, Entitlements, Graph, LoadOptions};

const USAGE: &str = "\
llbsim: simulate BuildKit's LLB solver

USAGE:
    llbsim inspect [--format text|json|dot] [--allow ENTITLEMENT]... FILE|-
    llbsim solve FILE [--variant default|plain|content] [--seed N] [--no-cache]
                 [--fail SELECTOR] [--cancel-at DURATION] [--then warm|FILE2] [--import-cache]
                 [--jobs FILE2] [--parallelism N] [--scenario NAME] [--interleaving start|N]
                 [--progress plain|rawjson|quiet] [--trace OUT] [--format text|json]
    llbsim oracle FILE --variant plain|content --phase PHASE [--progress plain|rawjson]
                 [--first-job 0|1] [--interleaving start|N] [--write-mutated OUT]
    llbsim replay RUN [--definition FILE] [--progress plain|rawjson|quiet]
    llbsim explain FILE [solve's flags: --then warm|FILE2, --no-cache, --scenario NAME, …]
                 [--vertex SELECTOR] [--format text|json]
    llbsim diff A B [--variant default|plain|content] [--verbose] [--format text|json]

FILE may be a binary pb.Definition (llb.WriteTo, buildctl's input), its base64, a
`buildctl debug dump-llb` JSON stream, SLSA provenance with llbDefinition, or
`--call=convertllb,format=json` output. The format is detected.

solve:
    --fail SELECTOR     make a vertex's exec fail: a digest (or a prefix of its hex), a part of
                        its name, or `auto` (the oracle's rule: the first non-source vertex at
                        half the graph's depth)
    --cancel-at DUR     cancel the build at this virtual time (e.g. 1.5s, 200ms)
    --no-cache          ignore the cache (with --then: in the rebuild)
    --then warm|FILE2   afterwards, build again on the same solver (same definition, or FILE2)
    --import-cache      with --then: the second build starts from an empty local cache and
                        imports the first build's cache as a cache source (as if exported
                        with mode=max to a registry and passed to --import-cache)
    --jobs FILE2        build FILE2 at the same time, as a second job
    --parallelism N     run at most N ops at once (default: unlimited, like BuildKit)
    --format json       print the event log instead of the table (with --scenario: the run
                        report the page plays: jobs, messages, rows, spans, plain text)
    --scenario NAME     a named scenario on a fresh solver: cold warm mutated fail cancel
                        cancel-shared concurrent
    --progress MODE     print the jobs' progress as buildctl does: plain (to stderr; stdout
                        stays empty), rawjson (one client.SolveStatus per line, to stdout) or
                        quiet; a failed build adds `error: failed to solve: …` on stderr
    --trace OUT         append the rawjson stream to OUT (as buildctl --trace)
    --interleaving I    how goroutine timing goes: `start` (the default: an idealised run, the
                        scheduler takes no time, ops take exactly their planned time, of two
                        functions finishing together the one started first wins) or a seed
                        number for a run with timing noise (1 us per dispatch, op durations
                        +0-0.5 ms, shuffled ties), repeatable per seed. It decides, among
                        others, which of two jobs' equal-key vertices owns the merged edge
oracle:
    --write-mutated OUT also write the definition phases c and f mutate to (binary pb, the
                        oracle's mutated.pb) to OUT
    --first-job 0|1     which of the two concurrent jobs (phases e_cancel_shared_*, f_*) gets
                        to the solver first (default 0); in BuildKit this is a race
replay RUN: re-print a recorded rawjson stream or --trace file (plain by default); with
    --definition FILE, list how its vertices join the definition's (by digest, else by name).
    RUN may also be a plain-text progress log (joined by name, best effort)
explain: solve as `solve` would, then show for every vertex of the last build (or the one
    --vertex picks: a digest, a prefix of its hex or a part of its name) how its cache key was
    made: the cache map (BuildKit's rule and what fed it, or a stand-in), each input's key and
    selector, the key, what the cache answered and why, and what the progress stream showed
diff A B: what changed from A to B (aligned by digest, Dockerfile line, step name, position),
    the root causes first with what each invalidates, and what the solver re-runs when B is
    built right after A on the same solver; --verbose lists every changed step
oracle PHASE: a_cold b_warm c_mutated d_fail d_retry d_fail_longsib e_cancel
    e_cancel_slowstop e_cancel_shared_job0 e_cancel_shared_job1 f_job0 f_job1
ENTITLEMENT: network.host, security.insecure (as buildctl --allow).
";

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Dot,
}

#[derive(Default)]
struct Args {
    command: Option<String>,
    file: Option<String>,
    format: Option<OutputFormat>,
    opts: LoadOptions,
    variant: Option<Variant>,
    seed: u64,
    no_cache: bool,
    fail: Option<String>,
    cancel_at: Option<Time>,
    then: Option<String>,
    import_cache: bool,
    jobs: Option<String>,
    phase: Option<String>,
    parallelism: Option<usize>,
    interleaving: Interleaving,
    first_job: FirstJob,
    write_mutated: Option<String>,
    scenario: Option<String>,
    progress: Option<Progress>,
    trace: Option<String>,
    definition: Option<String>,
    vertex: Option<String>,
    file2: Option<String>,
    verbose: bool,
}

/// `--progress`, as buildctl has it (auto and tty print like plain here).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Progress {
    Plain,
    RawJson,
    Quiet,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("llbsim: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn parse() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut a = Args::default();
    let val = |p: &mut lexopt::Parser| -> Result<String, String> {
        p.value()
            .map(|v| v.to_string_lossy().into_owned())
            .map_err(|e| e.to_string())
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => {
                print!("{USAGE}");
                return Ok(None);
            }
            Long("format") | Short('f') => {
                a.format = Some(match val(&mut parser)?.as_str() {
                    "text" => OutputFormat::Text,
                    "json" => OutputFormat::Json,
                    "dot" => OutputFormat::Dot,
                    other => return Err(format!("unknown --format {other:?} (text, json, dot)")),
                });
            }
            Long("allow") => {
                a.opts.entitlements = add_entitlement(a.opts.entitlements, &val(&mut parser)?)?
            }
            Long("variant") => {
                let v = val(&mut parser)?;
                a.variant =
                    Some(Variant::parse(&v).ok_or_else(|| {
                        format!("unknown --variant {v:?} (default, plain, content)")
                    })?);
            }
            Long("seed") => {
                let v = val(&mut parser)?;
                a.seed = v
                    .parse()
                    .map_err(|_| format!("--seed {v:?} is not a number"))?;
            }
            Long("no-cache") => a.no_cache = true,
            Long("fail") => a.fail = Some(val(&mut parser)?),
            Long("cancel-at") => a.cancel_at = Some(parse_duration(&val(&mut parser)?)?),
            Long("then") => a.then = Some(val(&mut parser)?),
            Long("import-cache") => a.import_cache = true,
            Long("jobs") => a.jobs = Some(val(&mut parser)?),
            Long("phase") => a.phase = Some(val(&mut parser)?),
            Long("scenario") => a.scenario = Some(val(&mut parser)?),
            Long("trace") => a.trace = Some(val(&mut parser)?),
            Long("definition") => a.definition = Some(val(&mut parser)?),
            Long("vertex") => a.vertex = Some(val(&mut parser)?),
            Long("verbose") | Short('v') => a.verbose = true,
            Long("progress") => {
                let v = val(&mut parser)?;
                a.progress = Some(match v.as_str() {
                    "plain" | "auto" | "tty" => Progress::Plain,
                    "rawjson" => Progress::RawJson,
                    "quiet" => Progress::Quiet,
                    other => return Err(format!("invalid progress mode {other}")),
                });
            }
            Long("interleaving") => {
                let v = val(&mut parser)?;
                a.interleaving = match v.as_str() {
                    "start" => Interleaving::StartOrder,
                    n => Interleaving::Seeded(n.parse().map_err(|_| {
                        format!("--interleaving {v:?} is neither `start` nor a seed number")
                    })?),
                };
            }
            Long("write-mutated") => a.write_mutated = Some(val(&mut parser)?),
            Long("first-job") => {
                let v = val(&mut parser)?;
                a.first_job = match v.as_str() {
                    "0" | "job0" => FirstJob::Job0,
                    "1" | "job1" => FirstJob::Job1,
                    _ => return Err(format!("--first-job {v:?} is not 0 or 1")),
                };
            }
            Long("parallelism") => {
                let v = val(&mut parser)?;
                a.parallelism = Some(
                    v.parse()
                        .map_err(|_| format!("--parallelism {v:?} is not a number"))?,
                );
            }
            Value(v) if a.command.is_none() => a.command = Some(v.to_string_lossy().into_owned()),
            Value(v) if a.file.is_none() => a.file = Some(v.to_string_lossy().into_owned()),
            Value(v) if a.file2.is_none() => a.file2 = Some(v.to_string_lossy().into_owned()),
            other => return Err(format!("{}\n\n{USAGE}", other.unexpected())),
        }
    }
    Ok(Some(a))
}

fn run() -> Result<(), String> {
    let Some(a) = parse()? else { return Ok(()) };
    let Some(path) = a.file.clone() else {
        return Err(match a.command {
            None => format!("no command given\n\n{USAGE}"),
            Some(c) => format!("{c} needs a FILE (or - for stdin)\n\n{USAGE}"),
        });
    };
    if a.file2.is_some() && a.command.as_deref() != Some("diff") {
        return Err(format!("unexpected second FILE\n\n{USAGE}"));
    }
    let out = match a.command.as_deref() {
        Some("inspect") => cmd_inspect(&a, &path)?,
        Some("solve") => cmd_solve(&a, &path)?,
        Some("oracle") => oracle_cmd::cmd_oracle(&a, &path)?,
        Some("replay") => replay_cmd::cmd_replay(&a, &path)?,
        Some("explain") => explain::cmd_explain(&a, &path)?,
        Some("diff") => diff::cmd_diff(&a, &path)?,
        Some(other) => return Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => return Err(format!("no command given\n\n{USAGE}")),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| e.to_string()),
    }
}

fn read_definition(path: &str, opts: &LoadOptions) -> Result<(llb::Definition, Graph), String> {
    let bytes = read_input(path)?;
    let (format, def) =
        llb::read(&bytes).map_err(|e| format!("{path}: {}", llbsim::Error::Parse(e)))?;
    let graph =
        load(&def, format, opts).map_err(|e| format!("{path}: {}", llbsim::Error::Load(e)))?;
    Ok((def, graph))
}

fn cmd_inspect(a: &Args, path: &str) -> Result<String, String> {
    let (_, graph) = read_definition(path, &a.opts)?;
    Ok(match a.format.unwrap_or(OutputFormat::Text) {
        OutputFormat::Text => inspect::text(&graph),
        OutputFormat::Dot => inspect::dot(&graph),
        OutputFormat::Json => json(&inspect::summary(&graph))?,
    })
}

/// A solve the CLI ran: the solver, every job, and the jobs of the last build.
struct Solved {
    solver: Solver,
    jobs: Vec<JobId>,
    last: Vec<JobId>,
}

/// Runs what `solve`'s flags ask for (without `--scenario`): the build of FILE (beside `--jobs
/// FILE2`), then `--then warm|FILE2` on the same solver.
fn run_solve(a: &Args, path: &str) -> Result<Solved, String> {
    let (_, graph) = read_definition(path, &a.opts)?;
    let mut stubs = StubOps::new(a.variant.unwrap_or_default());
    stubs.seed = a.seed;
    if let Some(sel) = &a.fail {
        let d = select(&graph, sel, "--fail")?;
        let msg = session::failure_message(&graph, a.variant.unwrap_or_default(), &d);
        stubs.fail.insert(d, msg);
    }
    let mut solver = Solver::new(stubs, a.seed);
    solver.set_parallelism(a.parallelism);
    solver.set_interleaving(a.interleaving);
    let opts = JobOptions {
        cancel: a.cancel_at.map(CancelAt::Time),
        // With --then, --no-cache is the rebuild's: a first build on an empty cache has none.
        no_cache: a.no_cache && a.then.is_none(),
        ..JobOptions::default()
    };
    let mut jobs: Vec<JobId> = vec![solver.submit(path, &graph, opts, 0)];
    if let Some(other) = &a.jobs {
        let (_, g2) = read_definition(other, &a.opts)?;
        jobs.push(solver.submit(other, &g2, JobOptions::default(), 0));
    }
    solver.run();
    let mut last = jobs.clone();
    if let Some(then) = &a.then {
        let g2 = if then == "warm" {
            graph.clone()
        } else {
            read_definition(then, &a.opts)?.1
        };
        let now = solver.now();
        solver.ops_mut().fail.clear();
        let mut opts = JobOptions {
            no_cache: a.no_cache,
            ..JobOptions::default()
        };
        if a.import_cache {
            opts.cache_from.push(solver.snapshot_cache("registry"));
            solver.clear_cache();
        }
        let j = solver.submit(then, &g2, opts, now);
        jobs.push(j);
        last = vec![j];
        solver.run();
    }
    Ok(Solved { solver, jobs, last })
}

fn cmd_solve(a: &Args, path: &str) -> Result<String, String> {
    if let Some(name) = &a.scenario {
        return cmd_scenario(a, path, name);
    }
    let Solved { solver, jobs, .. } = run_solve(a, path)?;
    if a.progress.is_some() || a.trace.is_some() {
        let streams: Vec<JobStream> = jobs.iter().map(|&j| job_stream(&solver, j)).collect();
        if let Some(out) = progress_output(a, &streams)? {
            return Ok(out);
        }
    }
    if a.format == Some(OutputFormat::Json) {
        let outcomes: Vec<_> = jobs
            .iter()
            .map(|&j| serde_json::json!({"job": j, "name": solver.job_name(j), "outcome": solver.outcome(j)}))
            .collect();
        return json(&serde_json::json!({"jobs": outcomes, "events": solver.events()}));
    }
    let mut out = String::new();
    for &j in &jobs {
        out.push_str(&table(&solver, j));
    }
    Ok(out)
}

/// A job's name, its stream as buildctl shows it, and its build error.
type JobStream = (String, Vec<SolveStatus>, Option<String>);

/// [`JobStream`] of a job the solver has run.
fn job_stream(solver: &Solver, job: JobId) -> JobStream {
    let outcome = solver.outcome(job);
    let closed = solver.job_closed(job);
    let start = solver.job_started(job).unwrap_or(0);
    (
        solver.job_name(job).to_string(),
        client_stream(solver.events(), job, start, closed),
        outcome.and_then(|o| o.error.clone()),
    )
}

/// Prints (plain, to stderr) or returns (rawjson) the jobs' streams and appends them to the
/// `--trace` file, as buildctl does. `None`: no `--progress`, the caller prints its own output.
fn progress_output(a: &Args, streams: &[JobStream]) -> Result<Option<String>, String> {
    if let Some(path) = &a.trace {
        let mut text = String::new();
        for (_, msgs, _) in streams {
            text.push_str(&rawjson::write_all(msgs));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{path}: {e}"))?;
        f.write_all(text.as_bytes())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let Some(mode) = a.progress else {
        return Ok(None);
    };
    let mut out = String::new();
    for (name, msgs, error) in streams {
        match mode {
            Progress::RawJson => out.push_str(&rawjson::write_all(msgs)),
            Progress::Plain => {
                if streams.len() > 1 {
                    eprintln!("# job {name}");
                }
                eprint!("{}", plain::render(msgs, plain::PassMode::Each));
                if let Some(e) = error {
                    eprintln!("error: failed to solve: {e}");
                }
                if streams.len() > 1 {
                    eprintln!();
                }
            }
            Progress::Quiet => {}
        }
        if mode != Progress::Plain {
            if let Some(e) = error {
                eprintln!("error: failed to solve: {e}");
            }
        }
    }
    Ok(Some(out))
}

/// Runs scenario `name` on a fresh session of FILE with the flags' variant, seed and
/// interleaving (`solve --scenario`, `explain --scenario`).
fn run_scenario(a: &Args, path: &str, name: &str) -> Result<session::RunReport, String> {
    let scenario = Scenario::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        format!("unknown scenario {name:?} (one of {})", names.join(", "))
    })?;
    let bytes = read_input(path)?;
    let mut session = session::open(&bytes, a.variant.unwrap_or_default(), a.seed)
        .map_err(|e| format!("{path}: {e}"))?;
    session.set_interleaving(a.interleaving);
    session.scenario(scenario).map_err(|e| e.to_string())
}

/// `solve --scenario NAME`: a named scenario of the page, on a fresh session.
fn cmd_scenario(a: &Args, path: &str, name: &str) -> Result<String, String> {
    let run = run_scenario(a, path, name)?;
    if a.progress.is_some() || a.trace.is_some() {
        let streams: Vec<JobStream> = run
            .jobs
            .iter()
            .map(|j| {
                let error = j.outcome.as_ref().and_then(|o| o.error.clone());
                (j.name.clone(), j.client_messages(), error)
            })
            .collect();
        if let Some(out) = progress_output(a, &streams)? {
            return Ok(out);
        }
    }
    if a.format == Some(OutputFormat::Json) {
        return json(&run);
    }
    let mut out = format!("{}\n\n", run.label);
    for j in &run.jobs {
        out.push_str(&format!("job {}\n", j.name));
        out.push_str(&rows_table(&j.rows));
        match j.outcome.as_ref().and_then(|o| o.error.as_ref()) {
            Some(e) => out.push_str(&format!("error: failed to solve: {e}\n")),
            None => out.push_str("done\n"),
        }
        out.push('\n');
    }
    Ok(out)
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(90)
        .collect()
}

fn rows_table(rows: &[summary::VertexRow]) -> String {
    let mut out = format!(
        "{:<10} {:<9} {:>9}  {}\n",
        "STATE", "ACTION", "DURATION", "VERTEX"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<10} {:<9} {:>8.3}s  {} {}\n",
            r.state,
            r.action,
            r.duration as f64 / 1e9,
            r.digest.short(),
            one_line(&r.name)
        ));
    }
    out
}

fn table(solver: &Solver, job: JobId) -> String {
    let mut out = format!("job {} ({})\n", job.0, solver.job_name(job));
    out.push_str(&rows_table(&summary::rows(solver, job)));
    match solver.outcome(job) {
        Some(o) => match &o.error {
            Some(e) => out.push_str(&format!("error: failed to solve: {e}\n")),
            None => {
                let took = o
                    .finished
                    .saturating_sub(solver.job_started(job).unwrap_or(0));
                out.push_str(&format!("done in {:.3}s\n", took as f64 / 1e9));
            }
        },
        None => out.push_str("not finished\n"),
    }
    out.push('\n');
    out
}

/// A vertex by digest, digest prefix, name fragment, or `auto`; `flag` names the option in errors.
fn select(graph: &Graph, sel: &str, flag: &str) -> Result<Digest, String> {
    if sel == "auto" {
        return oracle::fail_vertex(graph)
            .map(|v| graph.vertex(v).digest.clone())
            .ok_or_else(|| "no vertex to fail".to_string());
    }
    let hex = sel.strip_prefix("sha256:").unwrap_or(sel);
    let matches: Vec<&llbsim::Vertex> = graph
        .vertices()
        .iter()
        .filter(|v| {
            let vh = v.digest.as_str().strip_prefix("sha256:").unwrap_or("");
            (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && vh.starts_with(hex))
                || v.name.contains(sel)
        })
        .collect();
    match matches.as_slice() {
        [v] => Ok(v.digest.clone()),
        [] => Err(format!("{flag} {sel:?} matches no vertex")),
        many => {
            let list: Vec<String> = many
                .iter()
                .take(8)
                .map(|v| format!("  {} {}", v.digest.short(), v.name))
                .collect();
            Err(format!(
                "{flag} {sel:?} matches {} vertices; be more specific:\n{}",
                many.len(),
                list.join("\n")
            ))
        }
    }
}

fn parse_duration(s: &str) -> Result<Time, String> {
    let bad = || format!("{s:?} is not a duration (like 1.5s or 200ms)");
    let (num, unit) = if let Some(n) = s.strip_suffix("ms") {
        (n, MS as f64)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0 * MS as f64)
    } else {
        (s, 1000.0 * MS as f64)
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(bad());
    }
    Ok((v * unit) as Time)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, String> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

fn add_entitlement(mut e: Entitlements, name: &str) -> Result<Entitlements, String> {
    match name {
        "network.host" => e.network_host = true,
        "security.insecure" => e.security_insecure = true,
        other => {
            return Err(format!(
                "unknown entitlement {other:?} (network.host, security.insecure)"
            ))
        }
    }
    Ok(e)
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading stdin: {e}"))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(bytes)
}
