// What a job's status stream shows at a point of its playback: the one place the page derives a
// vertex's state from the stream. Pure (no DOM): runs in the page and in Node (e2e/playback-state.test.mjs
// compares it with the run report the core computes).
//
// A job is a RunReport job (src/session.rs): { start, outcome, digests, messages: [{ time,
// status, inferred?, encore? }], rows, spans, plain? }. Times are virtual nanoseconds.
//
// A vertex's state after the first k messages comes from its latest vertex record among them:
//   no record                     → not shown yet (state "pending", seen false)
//   completed, error "…context canceled" → canceled
//   completed, other error        → error
//   completed, cached             → cached
//   completed                     → done
//   started, not completed        → running, or computing when that interval is the root's
//                                   cache-key computation (a "cache-key" span starts then)
//   registered, never started     → pending

/** Every state a vertex element's data-state can hold. */
export const STATES = ["pending", "computing", "running", "done", "cached", "error", "canceled"];

const EPOCH_S = Date.UTC(2026, 0, 1) / 1000;

/**
 * Virtual nanoseconds of an RFC 3339 timestamp of the stream ("2026-01-01T00:00:01.5Z"), exact
 * to the nanosecond (Date.parse keeps milliseconds only). null for null/undefined.
 */
export function virtualNs(ts) {
  if (ts === null || ts === undefined) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(String(ts));
  if (!m) return null;
  const whole = Date.parse(`${m[1]}${m[3] === "Z" ? "Z" : m[3]}`) / 1000;
  const frac = m[2] ? Number(m[2].padEnd(9, "0")) : 0;
  return (whole - EPOCH_S) * 1e9 + frac;
}

/** The state a vertex record shows; `cacheKeyStarts`: start times (ns) of its cache-key spans. */
export function recordState(rec, cacheKeyStarts) {
  if (!rec) return "pending";
  if (rec.completed) {
    const err = rec.error || "";
    if (err !== "") return err.endsWith("context canceled") ? "canceled" : "error";
    return rec.cached ? "cached" : "done";
  }
  if (rec.started) {
    const start = virtualNs(rec.started);
    return cacheKeyStarts && cacheKeyStarts.has(start) ? "computing" : "running";
  }
  return "pending";
}

/** The number of messages a job's stream has delivered by virtual time t (binary search). */
export function messagesUpTo(job, t) {
  const ms = job.messages;
  let lo = 0;
  let hi = ms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms[mid].time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** When the job's playback ends: its outcome's finish, or its last message. */
export function jobEnd(job) {
  const last = job.messages.length ? job.messages[job.messages.length - 1].time : job.start;
  const fin = job.outcome && typeof job.outcome.finished === "number" ? job.outcome.finished : last;
  return Math.max(fin, last, job.start);
}

/**
 * Incremental playback of one job: seek(k) applies the first k messages and says which vertices
 * changed. Forward moves apply only the new messages; backward moves replay from the start.
 */
export class Playback {
  constructor(job) {
    this.job = job;
    /** digest → Set of cache-key span starts (ns). */
    this.cacheKeyStarts = new Map();
    for (const sp of job.spans || []) {
      if (sp.kind !== "cache-key") continue;
      if (!this.cacheKeyStarts.has(sp.digest)) this.cacheKeyStarts.set(sp.digest, new Set());
      this.cacheKeyStarts.get(sp.digest).add(sp.start);
    }
    this.reset();
  }

  reset() {
    this.k = 0;
    /** digest → { rec, msg } (msg: index of the message that carried the latest record) */
    this.latest = new Map();
  }

  /** Applies messages until k have been applied; returns the Set of digests whose record changed. */
  seek(k) {
    const n = this.job.messages.length;
    k = Math.max(0, Math.min(n, k));
    const changed = new Set();
    if (k < this.k) {
      for (const d of this.latest.keys()) changed.add(d);
      this.reset();
    }
    for (let i = this.k; i < k; i++) {
      for (const rec of this.job.messages[i].status.vertexes || []) {
        this.latest.set(rec.digest, { rec, msg: i });
        changed.add(rec.digest);
      }
    }
    this.k = k;
    return changed;
  }

  /** The state of `digest` now (see the top of this file). */
  state(digest) {
    const l = this.latest.get(digest);
    return recordState(l && l.rec, this.cacheKeyStarts.get(digest));
  }

  /** Whether the stream has mentioned `digest` yet. */
  seen(digest) {
    return this.latest.has(digest);
  }

  /** Whether the latest record of `digest` was marked CACHED retroactively (vertexStream). */
  inferred(digest) {
    const l = this.latest.get(digest);
    const inf = l && this.job.messages[l.msg].inferred;
    return Boolean(inf && inf.includes(digest));
  }

  /** Whether the latest record of `digest` came from the encore (still open when the stream closed). */
  encore(digest) {
    const l = this.latest.get(digest);
    return Boolean(l && this.job.messages[l.msg].encore);
  }

  /** The latest vertex record of `digest` (or undefined). */
  record(digest) {
    return this.latest.get(digest)?.rec;
  }

  /** { state: count } over `digests` (the job's vertices). */
  counts(digests = this.job.digests) {
    const out = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const d of digests) out[this.state(d)]++;
    return out;
  }

  /**
   * The first k' > k (or n) at which some vertex's state, inferred or encore mark changes: the
   * "next vertex change" step.
   */
  nextChange(k = this.k) {
    const n = this.job.messages.length;
    const probe = new Playback(this.job);
    probe.seek(k);
    const before = new Map();
    for (let i = k; i < n; i++) {
      const recs = this.job.messages[i].status.vertexes || [];
      for (const r of recs) if (!before.has(r.digest)) before.set(r.digest, probe.view(r.digest));
      probe.seek(i + 1);
      for (const r of recs) if (probe.view(r.digest) !== before.get(r.digest)) return i + 1;
      before.clear();
    }
    return n;
  }

  /** State, seen, inferred and encore of a vertex as one comparable string. */
  view(digest) {
    return `${this.state(digest)}|${this.seen(digest)}|${this.inferred(digest)}|${this.encore(digest)}`;
  }
}

/** The state of every job vertex once the first k messages are applied: { digest: state }. */
export function statesAfter(job, k) {
  const p = new Playback(job);
  p.seek(k);
  return Object.fromEntries(job.digests.map((d) => [d, p.state(d)]));
}

/**
 * The progress log BuildKit's plain printer shows after k messages: plain[0..k] concatenated, and
 * its final done() text (plain[n]) once the playback is at the end. null when the report has no
 * `plain` (an older core).
 */
export function plainText(job, k, atEnd) {
  return plainTail(job, k, atEnd, Infinity)?.text ?? null;
}

/**
 * The last `maxChars` or so of `plainText` (whole pieces, at least the last one), and how many
 * characters came before it: `{ text, omitted }`. A 10,000-vertex build prints megabytes; the
 * log panel shows the tail without joining the rest on every playback step.
 */
export function plainTail(job, k, atEnd, maxChars) {
  if (!Array.isArray(job.plain)) return null;
  const n = job.messages.length;
  const pieces = job.plain.slice(0, Math.min(k, n));
  if (atEnd && job.plain.length > n) pieces.push(job.plain[n]);
  let i = pieces.length;
  let size = 0;
  while (i > 0 && (size === 0 || size + pieces[i - 1].length <= maxChars)) size += pieces[--i].length;
  let omitted = 0;
  for (let j = 0; j < i; j++) omitted += pieces[j].length;
  return { text: pieces.slice(i).join(""), omitted };
}

/** Decodes base64 (the logs' `data`) to text. */
export function decodeBase64Text(b64) {
  const bin = atob(String(b64 || ""));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** A vertex's log lines among the first k messages: [{ time (ns), stream, text }]. */
export function vertexLogs(job, digest, k) {
  const out = [];
  for (let i = 0; i < Math.min(k, job.messages.length); i++) {
    for (const l of job.messages[i].status.logs || []) {
      if (l.vertex === digest) out.push({ time: virtualNs(l.timestamp), stream: l.stream, text: decodeBase64Text(l.data) });
    }
  }
  return out;
}

/**
 * The critical path of a job: the chain of vertices through the graph's edges, ending at the
 * target, whose spans add up to the longest time (span end null: until the job ended; inferred
 * spans have no length). `graph` is the session graph summary (vertices inputs-first, aligned
 * with job.digests). Returns the job digests on the path, target last.
 */
export function criticalPath(graph, job) {
  const n = graph.vertices.length;
  const indexOf = new Map(graph.vertices.map((v, i) => [v.digest, i]));
  const jobIndex = new Map(job.digests.map((d, i) => [d, i]));
  const end = jobEnd(job);
  const weight = new Float64Array(n);
  const lastEnd = new Float64Array(n);
  for (const sp of job.spans || []) {
    const i = jobIndex.get(sp.digest);
    if (i === undefined) continue;
    const e = sp.end === null || sp.end === undefined ? end : sp.end;
    weight[i] += Math.max(0, e - sp.start);
    lastEnd[i] = Math.max(lastEnd[i], e);
  }
  const best = new Float64Array(n);
  const prev = new Int32Array(n).fill(-1);
  // Vertices come inputs first (BuildKit's load order), so one pass in order is a DP over a
  // topological order. Ties go to the input that finished last (the one the vertex waited for).
  for (let i = 0; i < n; i++) {
    let b = -1;
    for (const input of graph.vertices[i].inputs) {
      const j = indexOf.get(input.digest);
      if (j === undefined || j >= i) continue;
      if (b < 0 || best[j] > best[b] || (best[j] === best[b] && lastEnd[j] > lastEnd[b])) b = j;
    }
    best[i] = weight[i] + (b >= 0 ? best[b] : 0);
    prev[i] = b;
  }
  const target = indexOf.get(graph.target && graph.target.digest);
  if (target === undefined) return [];
  const path = [];
  for (let i = target; i >= 0; i = prev[i]) path.push(job.digests[i]);
  return path.reverse();
}

/** Seconds, three decimals: "1.234s". */
export function formatSeconds(ns) {
  return `${(ns / 1e9).toFixed(3)}s`;
}
