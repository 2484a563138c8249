//! The wasm binding: the only module that knows about JavaScript. It converts between JS values
//! and the library's types and does nothing else.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{inspect, load_bytes, Error, LoadOptions};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The crate version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Reads and loads a definition given as bytes (`Uint8Array`) or text (`string`), in any
/// format llbsim reads. Returns the same structure as `llbsim inspect --format json`:
/// `{format, format_name, capabilities, vertices: [{digest, name, kind, inputs: [{digest, index}]}],
///   target: {digest, index}, kinds, edges, notes}`.
///
/// On failure throws an `Error` whose `message` says what and where, with extra properties
/// `kind` (`"parse"` or `"load"`) and `location` (text, possibly empty).
#[wasm_bindgen(js_name = loadDefinition)]
pub fn load_definition(input: JsValue) -> Result<JsValue, JsValue> {
    let bytes = input_bytes(&input)?;
    match load_bytes(&bytes, &LoadOptions::default()) {
        Ok(graph) => {
            let summary = inspect::summary(&graph);
            let ser = serde_wasm_bindgen::Serializer::json_compatible();
            serde::Serialize::serialize(&summary, &ser)
                .map_err(|e| js_sys::Error::new(&e.to_string()).into())
        }
        Err(e) => Err(error_to_js(&e)),
    }
}

fn error_to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let kind = match e {
        Error::Parse(_) => "parse",
        Error::Load(_) => "load",
    };
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &kind.into());
    let _ = js_sys::Reflect::set(&err, &"location".into(), &e.location().into());
    err.into()
}

fn input_bytes(input: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = input.as_string() {
        Ok(s.into_bytes())
    } else if input.is_instance_of::<js_sys::Uint8Array>()
        || input.is_instance_of::<js_sys::ArrayBuffer>()
    {
        Ok(js_sys::Uint8Array::new(input).to_vec())
    } else {
        Err(js_sys::Error::new("expected a string, Uint8Array or ArrayBuffer").into())
    }
}

fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
    let now = perf
        .as_ref()
        .and_then(|p| js_sys::Reflect::get(p, &"now".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match (perf, now) {
        (Some(p), Some(f)) => f.call0(&p).ok().and_then(|v| v.as_f64()).unwrap_or(0.0),
        _ => js_sys::Date::now(),
    }
}

/// Options of [`solve_definition`], from a plain JS object.
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SolveOptions {
    variant: Option<String>,
    seed: u64,
    no_cache: bool,
    fail: Option<String>,
    cancel_at_ms: Option<f64>,
    then_warm: bool,
}

/// Solves a definition on a fresh simulated solver and returns
/// `{jobs: [{name, outcome, rows}], events}`: the rows are `llbsim solve`'s table, the events
/// the full event log (times in virtual nanoseconds). Options: `{variant, seed, noCache, fail
/// (a vertex digest), cancelAtMs, thenWarm}`.
#[wasm_bindgen(js_name = solveDefinition)]
pub fn solve_definition(input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    use crate::progress::summary;
    use crate::solver::{CancelAt, JobOptions, Solver, StubOps, Variant, MS};
    let bytes = input_bytes(&input)?;
    let opts: SolveOptions = if options.is_undefined() || options.is_null() {
        SolveOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|e| js_sys::Error::new(&e.to_string()))?
    };
    let graph = load_bytes(&bytes, &LoadOptions::default()).map_err(|e| error_to_js(&e))?;
    let variant = match opts.variant.as_deref() {
        None => Variant::Default,
        Some(v) => Variant::parse(v)
            .ok_or_else(|| js_sys::Error::new(&format!("unknown variant {v:?}")))?,
    };
    let mut stubs = StubOps::new(variant);
    stubs.seed = opts.seed;
    if let Some(f) = &opts.fail {
        let d = crate::Digest::from_raw(f.clone());
        let msg = crate::session::failure_message(&graph, variant, &d);
        stubs.fail.insert(d, msg);
    }
    let mut solver = Solver::new(stubs, opts.seed);
    let cancel = opts
        .cancel_at_ms
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(|t| CancelAt::Time((t * MS as f64) as u64));
    let job_opts = JobOptions {
        cancel,
        no_cache: opts.no_cache,
        ..JobOptions::default()
    };
    let mut jobs = vec![solver.submit("build", &graph, job_opts, 0)];
    solver.run();
    if opts.then_warm {
        let now = solver.now();
        solver.ops_mut().fail.clear();
        jobs.push(solver.submit("rebuild", &graph, JobOptions::default(), now));
        solver.run();
    }
    let out = serde_json::json!({
        "jobs": jobs.iter().map(|&j| serde_json::json!({
            "name": solver.job_name(j),
            "outcome": solver.outcome(j),
            "rows": summary::rows(&solver, j),
        })).collect::<Vec<_>>(),
        "events": solver.events(),
    });
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&out, &ser).map_err(|e| js_sys::Error::new(&e.to_string()).into())
}

/// For the wasm benchmark: loads and solves (cold, or warm: a second solve on the same solver,
/// timed alone) and returns `{vertices, load_ms, solve_ms}`.
#[wasm_bindgen(js_name = solveBench)]
pub fn solve_bench(input: &[u8], variant: &str, warm: bool) -> Result<JsValue, JsValue> {
    use crate::solver::{JobOptions, Solver, StubOps, Variant};
    let variant = Variant::parse(variant)
        .ok_or_else(|| js_sys::Error::new(&format!("unknown variant {variant:?}")))?;
    let t0 = now_ms();
    let graph = load_bytes(input, &LoadOptions::default()).map_err(|e| error_to_js(&e))?;
    let t1 = now_ms();
    let mut solver = Solver::new(StubOps::new(variant), 0);
    let mut start = t1;
    if warm {
        solver.submit("cold", &graph, JobOptions::default(), 0);
        solver.run();
        start = now_ms();
    }
    let at = solver.now();
    solver.submit("bench", &graph, JobOptions::default(), at);
    solver.run();
    let t2 = now_ms();
    let out =
        serde_json::json!({"vertices": graph.len(), "load_ms": t1 - t0, "solve_ms": t2 - start});
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&out, &ser).map_err(|e| js_sys::Error::new(&e.to_string()).into())
}

fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsValue> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&ser)
        .map_err(|e| js_sys::Error::new(&e.to_string()).into())
}

fn session_error(e: crate::session::SessionError) -> JsValue {
    js_sys::Error::new(&e.0).into()
}

/// Options of `new Session(input, options)`.
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SessionOptions {
    variant: Option<String>,
    seed: u64,
}

/// Options of `Session.build(options)`.
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BuildOpts {
    label: Option<String>,
    no_cache: bool,
    fail: Option<String>,
    cancel_at_ms: Option<f64>,
    change_source: Option<String>,
}

/// A definition and a simulated solver that keeps its cache between builds: what the page
/// plays. Every build returns a run report `{label, jobs: [{name, start, outcome, digests,
/// messages: [{time, status, inferred?, encore?}], rows}]}`; `status` is a `client.SolveStatus`
/// in buildctl's rawjson shape, times are virtual nanoseconds.
#[wasm_bindgen]
pub struct Session {
    inner: crate::session::Session,
    subscribers: Vec<js_sys::Function>,
}

#[wasm_bindgen]
impl Session {
    /// Loads `input` (bytes or text, any format) for a session. `options`: `{variant:
    /// "default"|"plain"|"content", seed}`. Throws like `loadDefinition`.
    #[wasm_bindgen(constructor)]
    pub fn new(input: JsValue, options: JsValue) -> Result<Session, JsValue> {
        let bytes = input_bytes(&input)?;
        let opts: SessionOptions = if options.is_undefined() || options.is_null() {
            SessionOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| js_sys::Error::new(&e.to_string()))?
        };
        let variant = match opts.variant.as_deref() {
            None => crate::solver::Variant::Default,
            Some(v) => crate::solver::Variant::parse(v)
                .ok_or_else(|| js_sys::Error::new(&format!("unknown variant {v:?}")))?,
        };
        let mut inner =
            crate::session::open(&bytes, variant, opts.seed).map_err(|e| error_to_js(&e))?;
        // Reports stay lean; the page asks `explain` for the vertex it shows.
        inner.set_report_anatomy(false);
        Ok(Session {
            inner,
            subscribers: Vec::new(),
        })
    }

    /// The session's graph, as `loadDefinition` returns it (vertices with `stage`, inputs with
    /// `mount`).
    pub fn graph(&self) -> Result<JsValue, JsValue> {
        to_js(&inspect::summary(self.inner.graph()))
    }

    /// The scenario names, in menu order.
    pub fn scenarios() -> Vec<String> {
        crate::session::Scenario::ALL
            .iter()
            .map(|s| s.name().to_string())
            .collect()
    }

    /// Calls `callback(jobName, message)` for every status message of every later build, in
    /// stream order, as each job's stream is produced.
    pub fn subscribe(&mut self, callback: js_sys::Function) {
        self.subscribers.push(callback);
    }

    fn deliver(&self, run: &crate::session::RunReport) -> Result<JsValue, JsValue> {
        for job in &run.jobs {
            for m in &job.messages {
                let msg = to_js(m)?;
                for f in &self.subscribers {
                    f.call2(&JsValue::NULL, &JsValue::from_str(&job.name), &msg)?;
                }
            }
        }
        to_js(run)
    }

    /// Runs a named scenario on a fresh solver (`cold`, `warm`, `mutated`, `fail`, `cancel`,
    /// `cancel-shared`, `concurrent`) and returns the run to show.
    pub fn scenario(&mut self, name: &str) -> Result<JsValue, JsValue> {
        let s = crate::session::Scenario::parse(name)
            .ok_or_else(|| js_sys::Error::new(&format!("unknown scenario {name:?}")))?;
        let run = self.inner.scenario(s).map_err(session_error)?;
        self.deliver(&run)
    }

    /// Builds again on the same solver and cache. `options`: `{label, noCache, fail (digest),
    /// cancelAtMs (after the build starts), changeSource (digest of a source)}`.
    pub fn build(&mut self, options: JsValue) -> Result<JsValue, JsValue> {
        let o: BuildOpts = if options.is_undefined() || options.is_null() {
            BuildOpts::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| js_sys::Error::new(&e.to_string()))?
        };
        let opts = crate::session::BuildOptions {
            no_cache: o.no_cache,
            fail: o.fail.map(crate::Digest::from_raw),
            cancel_after: o
                .cancel_at_ms
                .filter(|t| t.is_finite() && *t >= 0.0)
                .map(|t| (t * crate::solver::MS as f64) as u64),
            change_source: o.change_source.map(crate::Digest::from_raw),
        };
        let label = o.label.unwrap_or_else(|| "build".into());
        let run = self.inner.build(&label, &opts).map_err(session_error)?;
        self.deliver(&run)
    }

    /// The anatomy of a vertex's cache key in job `job` (its index in the last report) of the
    /// last run: `{digest, name, kind, cache_map, keys, query, outcome, outcome_words, why,
    /// simulated}` (see `llbsim explain --format json`); every vertex's when `digest` is
    /// undefined. Throws when there is no such job or vertex.
    pub fn explain(&self, job: usize, digest: Option<String>) -> Result<JsValue, JsValue> {
        let d = digest.map(crate::Digest::from_raw);
        let all = self.inner.explain(job, d.as_ref()).map_err(session_error)?;
        match d {
            Some(_) => to_js(&all.first()),
            None => to_js(&all),
        }
    }

    /// Drops every cached result.
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&mut self) {
        self.inner.clear_cache();
    }
}
