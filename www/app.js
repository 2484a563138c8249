// llbsim's page: loads definitions (paste, file, drop, samples, ?src=, #def=), lays them out,
// runs scenarios and builds in the simulator worker (www/sim-worker.js), and plays the run
// report back on its virtual clock. The page decides nothing the core computes: states come from
// the status stream (www/playback-state.js), rows, spans and the printer's text from the report.
// A failed load shows an error and leaves the definition on show (and the paste box) as they were.

import { DEMO_BASE64, DEMO_DESCRIPTION, DEMO_FILE } from "./demo.js";
import { GraphView } from "./graph-view.js";
import { LayoutClient } from "./layout-client.js";
import { graphFromSession } from "./llb-graph.js";
import { Playback, criticalPath, formatSeconds, jobEnd, messagesUpTo, plainTail } from "./playback-state.js";
import { outcomeWords } from "./key-anatomy.js";
import { clearError, el, renderSummary, showError } from "./render.js";
import { Timeline } from "./timeline.js";
import { STATE_WORDS, VertexPanel } from "./vertex-panel.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const SCENARIOS = {
  cold: "A cold build: nothing is cached, every step runs.",
  warm: "A warm rebuild on the same cache: the solver loads the final result; everything below it is marked CACHED.",
  mutated: "A source changed after a cold build: only the steps that depend on it run again.",
  fail: "A step fails: the build stops, steps in flight are cancelled, its descendants never start.",
  cancel: "The build is cancelled mid-way: steps in flight are stopped and reported CANCELED (by the solver, or by the encore for vertices still open when the stream closes).",
  "cancel-shared": "Two builds share steps; the second is cancelled while a shared step runs, the first finishes it.",
  concurrent: "Two builds at once, one with a source changed: shared steps run once.",
};
const SPEEDS = [0.25, 1, 4, 16, 100, 1000];

const state = {
  ready: false,
  shown: false,
  generation: 0,
  input: null,
  summary: null,
  graph: null,
  report: null,
  jobIndex: 0,
  job: null,
  playback: null,
  origin: 0,
  end: 0,
  k: 0,
  t: 0,
  playing: false,
  selected: -1,
  critical: [],
  scenario: "cold",
  listRows: [],
};

const sim = new SimClientLazy();
const layoutClient = new LayoutClient();
const graphView = new GraphView($("graph"), { onSelect: (i) => select(i) });
const vertexPanel = new VertexPanel($("detail"), {
  explain: (job, digest) => sim.call("explain", { job, digest }),
  select: (i) => select(i),
  selectDigest: (d) => selectDigest(d),
  runBuild: (op, args, caption) => runBuild(op, args, caption),
  onError: (title, err) => showError(title, err, true),
});
const timeline = new Timeline($("timeline"), {
  onSelect: (d) => {
    const i = state.job ? state.job.digests.indexOf(d) : -1;
    if (i >= 0) select(i);
  },
});

/** The worker is started on first use (so a failed start is reported like any error). */
function SimClientLazy() {
  let client = null;
  return {
    async call(op, args) {
      if (!client) {
        const { SimClient } = await import("./sim-client.js");
        client = new SimClient({ onBusy: (n) => ($("busy").hidden = n === 0) });
      }
      return client.call(op, args);
    },
  };
}

function setStatus(text) {
  $("status").textContent = text;
}

function decodeBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function formatSize(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// --- loading ------------------------------------------------------------------------------------

/**
 * Loads `input` (string or bytes) and runs `scenario` on it. On failure shows the error and
 * changes nothing else. Resolves to true when loaded.
 */
async function openInput(input, source, what, { scenario = state.scenario, t = null, vertex = null } = {}) {
  const gen = ++state.generation;
  setStatus("loading…");
  let summary;
  try {
    ({ summary } = await sim.call("open", { input }));
  } catch (err) {
    if (gen === state.generation) {
      showError(`Could not load ${what}`, err, state.shown);
      setStatus("ready");
    }
    return false;
  }
  if (gen !== state.generation) return false;
  clearError();
  renderSummary(summary, source);
  state.listRows = [...document.querySelectorAll("#vertices li[data-digest]")];
  state.summary = summary;
  state.input = input;
  state.shown = true;
  state.report = null;
  state.job = null;
  pause();
  $("share-note").hidden = true;

  const layoutStatus = $("layout-status");
  const t0 = performance.now();
  layoutStatus.textContent = `laying out ${summary.vertices.length.toLocaleString("en")} vertices…`;
  const layoutPromise = layoutClient
    .layout(graphFromSession(summary), {
      onProgress: (p) => {
        if (gen === state.generation) layoutStatus.textContent = `layout: ${p.phase} (${p.engine}${p.ms !== undefined ? `, ${Math.round(p.ms)} ms` : ""})`;
      },
    })
    .catch((err) => ({ error: err }));
  const runPromise = runScenario(scenario, gen, { draw: false });
  const layout = await layoutPromise;
  if (gen !== state.generation) return false;
  if (layout.error) {
    layoutStatus.textContent = `layout failed: ${layout.error.message}`;
  } else {
    layoutStatus.textContent = `laid out with ${layout.engine}${layout.fallback ? ` (fallback: ${layout.fallback})` : ""} in ${Math.round(performance.now() - t0)} ms`;
    graphView.draw(layout, summary);
  }
  await runPromise;
  if (gen !== state.generation) return false;
  if (state.report) showJob(state.jobIndex, { t, vertex, autoplay: t === null });
  setStatus("ready");
  return true;
}

function showDemo(opts) {
  return openInput(decodeBase64(DEMO_BASE64), `demo: ${DEMO_FILE}, ${DEMO_DESCRIPTION}`, "the demo", opts);
}

function loadPasted() {
  if (!state.ready) return;
  const text = $("paste").value;
  if (text.trim() === "") {
    showError("Nothing to load", new Error("The paste box is empty: paste a definition first."), state.shown);
    return;
  }
  openInput(text, `pasted text (${text.length.toLocaleString("en")} characters)`, "the pasted text");
}

async function loadFile(file) {
  if (!state.ready || !file) return;
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    showError(`Could not read file “${file.name}”`, err, state.shown);
    return;
  }
  await openInput(bytes, `file ${file.name} (${formatSize(file.size)})`, `file “${file.name}”`);
}

/** Fetches a same-origin URL and loads it. */
async function loadUrl(src, opts) {
  let url;
  try {
    url = new URL(src, location.href);
    if (url.origin !== location.origin) throw new Error(`only same-origin definitions can be loaded (${url.origin} is not ${location.origin})`);
    const res = await fetch(url, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`HTTP ${res.status} for ${url.pathname}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return await openInput(bytes, `${url.pathname.split("/").pop()} (${formatSize(bytes.length)}, from ${url.pathname})`, `“${url.pathname}”`, opts);
  } catch (err) {
    showError(`Could not fetch ${src}`, err, state.shown);
    return false;
  }
}

// --- sharing by URL -----------------------------------------------------------------------------

function toBytes(input) {
  return typeof input === "string" ? new TextEncoder().encode(input) : input;
}

async function pipeThrough(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function base64url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function share() {
  if (!state.input) return;
  const packed = await pipeThrough(toBytes(state.input), new CompressionStream("deflate-raw"));
  const hash = `#def=${base64url(packed)}`;
  history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
  const note = $("share-note");
  note.textContent = `The page address now holds the definition (${hash.length.toLocaleString("en")} characters, deflate-compressed); copy it from the address bar.`;
  note.hidden = false;
  navigator.clipboard?.writeText(location.href).catch(() => {});
}

async function fromHash(hash, opts) {
  try {
    const b64 = hash.slice(5).replace(/-/g, "+").replace(/_/g, "/");
    const bytes = await pipeThrough(decodeBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), new DecompressionStream("deflate-raw"));
    return await openInput(bytes, `shared link (${formatSize(bytes.length)})`, "the shared link", opts);
  } catch (err) {
    showError("Could not read the shared link", err, state.shown);
    return false;
  }
}

// --- runs ---------------------------------------------------------------------------------------

async function runScenario(name, gen = state.generation, { draw = true } = {}) {
  state.scenario = name;
  $("scenario").value = name;
  try {
    const { report, graph } = await sim.call("scenario", { name });
    if (gen !== state.generation) return;
    acceptReport(report, graph, SCENARIOS[name]);
    if (draw) showJob(state.jobIndex, { autoplay: true });
  } catch (err) {
    if (gen === state.generation) showError(`Could not run the scenario “${name}”`, err, true);
  }
}

async function runBuild(op, args, caption) {
  if (!state.report) return;
  const gen = state.generation;
  pause();
  try {
    const { report, graph } = await sim.call(op, args);
    if (gen !== state.generation) return;
    clearError();
    acceptReport(report, graph, caption);
    showJob(state.jobIndex, { autoplay: true, vertex: state.selected >= 0 ? state.selected : null });
  } catch (err) {
    showError("Could not build", err, true);
  }
}

function acceptReport(report, graph, caption) {
  state.report = report;
  state.graph = graph;
  state.caption = caption;
  state.jobIndex = report.jobs.length - 1;
  state.origin = Math.min(...report.jobs.map((j) => j.start));
  const tabs = $("jobs");
  tabs.replaceChildren(
    ...(report.jobs.length > 1
      ? report.jobs.map((j, i) => {
          const b = el("button", { text: j.name, attrs: { type: "button", role: "tab", "data-job": String(i) } });
          b.addEventListener("click", () => showJob(i, { t: state.t }));
          return b;
        })
      : []),
  );
  $("cancel-now").disabled = report.jobs.length > 1;
}

/** Shows job i of the report: digests, timeline, critical path; then seeks to t (ns since origin, or "end"). */
function showJob(i, { t = null, vertex = null, autoplay = false } = {}) {
  const job = state.report.jobs[i];
  state.jobIndex = i;
  state.job = job;
  for (const b of $("jobs").children) b.setAttribute("aria-selected", String(Number(b.dataset.job) === i));
  graphView.setDigests(job.digests);
  state.playback = new Playback(job);
  state.indexOf = new Map(job.digests.map((d, idx) => [d, idx]));
  state.k = -1;
  for (const d of job.digests) graphView.update(d, "pending", false, false, false);
  state.end = jobEnd(job);
  state.critical = criticalPath(state.graph, job);
  graphView.setCritical(state.critical);
  const nameOf = new Map(job.digests.map((d, idx) => [d, state.graph.vertices[idx]?.name]));
  timeline.draw(job, (d) => nameOf.get(d), state.critical, state.origin);
  const scrub = $("pb-scrub");
  scrub.max = String(Math.max(1, Math.round((state.end - state.origin) / 1e6)));
  // Default speed: the fastest real-time multiple needed to play the run in about 12 s.
  const wantSpeed = (state.end - state.origin) / 1e9 / 12;
  const speed = SPEEDS.find((s) => s >= wantSpeed) ?? SPEEDS[SPEEDS.length - 1];
  $("pb-speed").value = String(speed);
  if (vertex !== null) select(vertex, false);
  else if (state.selected >= job.digests.length) state.selected = -1;
  if (t === "end") seekTime(state.end);
  else if (typeof t === "number") seekTime(state.origin + t);
  else seekTime(state.origin);
  if (autoplay) play();
}

// --- playback -----------------------------------------------------------------------------------

function seekTime(t) {
  t = Math.max(state.origin, Math.min(state.end, t));
  // t = 0 (the run's start) is the moment before its first message, also when the first
  // messages come at that same instant: the scrubber's start shows nothing started.
  render(t <= state.origin ? 0 : messagesUpTo(state.job, t), t);
}

function seekMessage(k) {
  const n = state.job.messages.length;
  k = Math.max(0, Math.min(n, k));
  const t = k === 0 ? state.origin : state.job.messages[k - 1].time;
  render(k, k === n ? Math.max(t, state.end) : t);
}

function render(k, t) {
  const job = state.job;
  const p = state.playback;
  const kChanged = k !== state.k;
  state.t = t;
  if (kChanged) {
    const changed = p.seek(k);
    state.k = k;
    graphView.showChanges(p, changed);
    if (changed.size < 64) {
      for (const d of changed) {
        const i = state.indexOf.get(d);
        const row = i !== undefined ? state.listRows[i] : null;
        if (row) row.setAttribute("data-state", p.state(d));
      }
    }
    if (changed.size >= 64) state.listRows.forEach((row, i) => row.setAttribute("data-state", p.state(job.digests[i])));
    renderCounts();
    renderCaption();
    renderLog();
    renderDetail();
  }
  const atEnd = k === job.messages.length && t >= state.end;
  if (atEnd !== state.atEnd) {
    state.atEnd = atEnd;
    renderLog();
  }
  $("pb-time").textContent = `${formatSeconds(t - state.origin)} / ${formatSeconds(state.end - state.origin)}`;
  $("pb-scrub").value = String(Math.round((t - state.origin) / 1e6));
  $("pb-event").textContent = `event ${k} of ${job.messages.length}`;
  timeline.at(t);
  if (atEnd && state.playing) pause();
}


function renderCounts() {
  const c = state.playback.counts();
  $("counts-now").replaceChildren(
    ...Object.entries(c)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => el("span", { cls: "count-chip", text: `${STATE_WORDS[s]} ${n}`, attrs: { "data-state": s, "data-count": String(n) } })),
  );
}

/** What the latest event did, in words. */
function renderCaption() {
  const job = state.job;
  const k = state.k;
  const lead = `${state.report.label}${state.report.jobs.length > 1 ? ` — ${job.name}` : ""}. ${state.caption || ""}`;
  let now = "Press play (space) or step (→) through the event stream.";
  if (k > 0) {
    const m = job.messages[k - 1];
    const p = state.playback;
    const tally = {};
    for (const v of m.status.vertexes || []) {
      const s = p.inferred(v.digest) ? "CACHED retroactively" : STATE_WORDS[p.state(v.digest)] || p.state(v.digest);
      tally[s] = (tally[s] || 0) + 1;
    }
    const parts = Object.entries(tally).map(([s, n]) => `${n} ${s}`);
    const logs = (m.status.logs || []).length;
    if (logs) parts.push(`${logs} log line${logs === 1 ? "" : "s"}`);
    now = `At ${formatSeconds(m.time - state.origin)}: ${m.encore ? "the stream closed; the encore reports " : ""}${parts.join(", ") || "an empty update"}.`;
  }
  if (k === job.messages.length) {
    const o = job.outcome || {};
    now += o.error ? ` The build ended with an error: ${o.error}.` : " The build finished.";
    // What happened to the vertices, in the report's words (the scenario's blurb is only the plan).
    const tally = new Map();
    for (const r of job.rows) tally.set(r.outcome, (tally.get(r.outcome) || 0) + 1);
    if (tally.size) now += ` In the end (vertices per outcome): ${[...tally].map(([o, n]) => `${outcomeWords(o)} ${n}`).join(", ")}.`;
    const p = state.playback;
    const canceled = job.digests.filter((d) => p.state(d) === "canceled");
    if (canceled.length) {
      const byEncore = canceled.filter((d) => p.encore(d)).length;
      now += ` ${canceled.length} CANCELED: ${canceled.length - byEncore} reported by the solver as it stopped them, ${byEncore} by the encore (still open when the stream closed).`;
    }
  }
  $("caption").replaceChildren(el("strong", { text: lead }), " ", el("span", { text: now }));
}

/** The log panel shows at most this much of the printer's text: its tail. */
const LOG_TAIL_CHARS = 200000;

function renderLog() {
  const tail = plainTail(state.job, state.k, state.atEnd, LOG_TAIL_CHARS);
  const log = $("log");
  if (tail === null) {
    log.textContent = "";
    log.append(el("span", { cls: "subtle", text: "This build of the core does not include the plain printer's text (run report field `plain`)." }));
    log.dataset.plain = "absent";
    return;
  }
  log.dataset.plain = "present";
  log.textContent = tail.omitted ? `… ${tail.omitted.toLocaleString("en")} earlier characters (llbsim solve --progress plain prints them all)\n${tail.text}` : tail.text;
  log.scrollTop = log.scrollHeight;
}

let raf = 0;
let last = 0;
function frame(now) {
  if (!state.playing) return;
  const dt = Math.min(now - last, 100);
  last = now;
  const speed = Number($("pb-speed").value) || 1;
  const t = state.t + dt * 1e6 * speed;
  seekTime(t);
  if (state.playing) raf = requestAnimationFrame(frame);
}

function play() {
  if (!state.job) return;
  if (state.k === state.job.messages.length && state.t >= state.end) seekTime(state.origin);
  state.playing = true;
  $("pb-play").textContent = "❚❚";
  $("pb-play").setAttribute("aria-label", "Pause (space)");
  last = performance.now();
  cancelAnimationFrame(raf);
  raf = requestAnimationFrame(frame);
}

function pause() {
  state.playing = false;
  cancelAnimationFrame(raf);
  $("pb-play").textContent = "▶︎";
  $("pb-play").setAttribute("aria-label", "Play (space)");
}

// --- the selected vertex ------------------------------------------------------------------------

function select(i, scroll = true) {
  if (!state.job || i < 0 || i >= state.job.digests.length) return;
  state.selected = i;
  graphView.select(state.job.digests[i]);
  renderDetail();
  if (scroll && matchMedia("(max-width: 820px)").matches) $("detail").scrollIntoView({ block: "nearest" });
}

function renderDetail() {
  if (!state.job || state.selected < 0) return;
  vertexPanel.render(state);
}

/** Selects a vertex by digest: in the job on show, else in the first job of the report that has it. */
function selectDigest(digest) {
  const i = state.job ? state.job.digests.indexOf(digest) : -1;
  if (i >= 0) return select(i);
  const j = state.report.jobs.findIndex((job) => job.digests.includes(digest));
  if (j >= 0) showJob(j, { t: state.t - state.origin, vertex: state.report.jobs[j].digests.indexOf(digest) });
}

// --- wiring -------------------------------------------------------------------------------------

function wire() {
  $("load").addEventListener("click", loadPasted);
  $("paste").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      loadPasted();
    }
  });
  $("file").addEventListener("change", (e) => {
    const input = e.currentTarget;
    loadFile(input.files && input.files[0]).finally(() => (input.value = ""));
  });
  $("demo").addEventListener("click", () => state.ready && showDemo());
  $("sample").addEventListener("change", (e) => {
    const name = e.currentTarget.value;
    e.currentTarget.value = "";
    if (name === "demo") showDemo();
    else if (name) loadUrl(`../testdata/corpus/${name}`);
  });
  $("share").addEventListener("click", () => share().catch((err) => showError("Could not make a link", err, true)));
  $("error-close").addEventListener("click", clearError);
  $("vertices").addEventListener("click", (e) => {
    const name = e.target instanceof Element && e.target.closest(".vertex-name");
    if (name && !window.getSelection()?.toString()) name.classList.toggle("expanded");
  });

  $("scenario").addEventListener("change", (e) => {
    pause();
    runScenario(e.currentTarget.value);
  });
  $("rebuild").addEventListener("click", () => runBuild("build", { options: { label: "rebuild" } }, "Built again on the same solver and cache."));
  $("rebuild-nocache").addEventListener("click", () => runBuild("build", { options: { label: "rebuild without cache", noCache: true } }, "Built again ignoring the cache (--no-cache): every step runs."));
  $("clear-cache").addEventListener("click", async () => {
    await sim.call("clearCache").catch((err) => showError("Could not clear the cache", err, true));
    $("caption").append(" The cache is now empty: the next rebuild runs everything.");
  });
  $("cancel-now").addEventListener("click", () => {
    if (!state.job) return;
    const atMs = Math.max(0, (state.t - state.job.start) / 1e6);
    runBuild("cancelNow", { atMs }, `The same build again, cancelled at ${formatSeconds(state.t - state.job.start)} after it started: steps in flight are reported CANCELED, by the solver or by the encore.`);
  });

  $("pb-play").addEventListener("click", () => (state.playing ? pause() : play()));
  $("pb-home").addEventListener("click", () => state.job && (pause(), seekMessage(0)));
  $("pb-end").addEventListener("click", () => state.job && (pause(), seekTime(state.end)));
  $("pb-back").addEventListener("click", () => state.job && (pause(), seekMessage(state.k - 1)));
  $("pb-step").addEventListener("click", () => state.job && (pause(), seekMessage(state.k + 1)));
  $("pb-next").addEventListener("click", () => state.job && (pause(), seekMessage(state.playback.nextChange(state.k))));
  $("pb-scrub").addEventListener("input", (e) => {
    if (!state.job) return;
    pause();
    seekTime(state.origin + Number(e.currentTarget.value) * 1e6);
  });
  $("zoom-in").addEventListener("click", () => graphView.zoom(0.8));
  $("zoom-out").addEventListener("click", () => graphView.zoom(1.25));
  $("zoom-fit").addEventListener("click", () => graphView.fit());

  document.addEventListener("keydown", (e) => {
    if (!state.job || e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = e.target instanceof Element ? e.target.tagName : "";
    if (["TEXTAREA", "INPUT", "SELECT"].includes(tag)) return;
    const keys = {
      " ": () => (state.playing ? pause() : play()),
      ArrowLeft: () => (pause(), seekMessage(state.k - 1)),
      ArrowRight: () => (pause(), seekMessage(e.shiftKey ? state.playback.nextChange(state.k) : state.k + 1)),
      Home: () => (pause(), seekMessage(0)),
      End: () => (pause(), seekTime(state.end)),
    };
    if (tag === "BUTTON" && e.key === " ") return; // a focused button's own space
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  });

  // Drag and drop of files anywhere on the page. Dragged text is left to the browser.
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  const setDragging = (on) => document.body.classList.toggle("dragging", on);
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    setDragging(true);
  });
  window.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = state.ready ? "copy" : "none";
  });
  window.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  window.addEventListener("drop", (e) => {
    depth = 0;
    setDragging(false);
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || files.length === 0) return;
    e.preventDefault();
    loadFile(files[0]);
  });
}

/** ?t= : seconds since the run started, or "end". */
function parseT(v) {
  if (v === null) return null;
  if (v === "end") return "end";
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1e9 : null;
}

async function main() {
  if (params.get("embed") === "1") document.body.classList.add("embed");
  wire();
  let version;
  try {
    ({ version } = await sim.call("version"));
  } catch (err) {
    setStatus("failed to start");
    showError("Could not start llbsim's WebAssembly module", err, false);
    return;
  }
  state.ready = true;
  $("version").textContent = `llbsim ${version}`;
  for (const id of ["load", "file", "demo", "sample", "share", "scenario", "rebuild", "rebuild-nocache", "cancel-now", "clear-cache"]) $(id).disabled = false;
  const scenario = params.get("scenario");
  const opts = { scenario: Object.hasOwn(SCENARIOS, scenario || "") ? scenario : "cold", t: parseT(params.get("t")), vertex: null };
  const vertex = params.get("vertex");
  if (location.hash.startsWith("#def=")) await fromHash(location.hash, opts);
  else if (params.get("src")) await loadUrl(params.get("src"), opts);
  if (!state.shown) await showDemo(opts);
  if (vertex && state.job) {
    const i = state.job.digests.indexOf(vertex);
    if (i >= 0) select(i);
  }
  document.body.classList.add("is-ready");
  setStatus("ready");
}

main();
