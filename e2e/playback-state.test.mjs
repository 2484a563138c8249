// Unit tests of www/playback-state.js (the page's one derivation of vertex states from the
// status stream), in Node against the run reports of the same wasm core the page runs.
//
//   bash scripts/build.sh && node --test e2e/playback-state.test.mjs
//
// The CLI (`llbsim solve FILE --scenario NAME --format json`) and the wasm Session print the same
// run report; the last test checks the page's derivation against the CLI's rows.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";

import { Playback, STATES, criticalPath, jobEnd, messagesUpTo, plainTail, plainText, recordState, statesAfter, virtualNs } from "../www/playback-state.js";

const CORPUS = new URL("../testdata/corpus/", import.meta.url);
let Session;

before(async () => {
  const wasm = await import("../pkg/llbsim.js");
  await wasm.default({ module_or_path: await readFile(new URL("../pkg/llbsim_bg.wasm", import.meta.url)) });
  Session = wasm.Session;
});

const FILES = ["df-dockerfile-frontend.pb", "df-hack-lint.pb", "synth-fanin16.pb", "synth-chain20.pb", "synth-lattice6.pb"];

async function run(file, scenario) {
  const s = new Session(new Uint8Array(await readFile(new URL(file, CORPUS))), { variant: "default", seed: 0 });
  const graph0 = s.graph();
  const report = s.scenario(scenario);
  return { report, graph: s.graph(), graph0 };
}

describe("playback-state", () => {
  test("virtualNs reads the stream's timestamps to the nanosecond", () => {
    assert.equal(virtualNs("2026-01-01T00:00:00Z"), 0);
    assert.equal(virtualNs("2026-01-01T00:00:01.5Z"), 1.5e9);
    assert.equal(virtualNs("2026-01-01T00:01:00.000000007Z"), 60e9 + 7);
    assert.equal(virtualNs(null), null);
  });

  test("recordState follows the rules", () => {
    const t = "2026-01-01T00:00:01Z";
    assert.equal(recordState(undefined), "pending");
    assert.equal(recordState({ digest: "d" }), "pending");
    assert.equal(recordState({ started: t }), "running");
    assert.equal(recordState({ started: t }, new Set([1e9])), "computing");
    assert.equal(recordState({ started: t, completed: t }), "done");
    assert.equal(recordState({ started: t, completed: t, cached: true }), "cached");
    assert.equal(recordState({ started: t, completed: t, error: "exit code: 1" }), "error");
    assert.equal(recordState({ started: t, completed: t, error: "failed: context canceled" }), "canceled");
  });

  for (const scenario of ["cold", "warm", "mutated", "fail", "cancel", "cancel-shared", "concurrent"]) {
    test(`at the end of "${scenario}", every vertex's state is what the report's rows say`, async () => {
      for (const file of FILES) {
        let r;
        try {
          r = await run(file, scenario);
        } catch (err) {
          // A definition without a step to fail or a source to change has no such scenario.
          assert.match(String(err.message), /has no/, `${file} ${scenario}`);
          continue;
        }
        for (const job of r.report.jobs) {
          const states = statesAfter(job, job.messages.length);
          for (const row of job.rows) {
            assert.ok(STATES.includes(states[row.digest]), `${file} ${scenario} ${job.name}`);
            assert.equal(states[row.digest], row.state, `${file} ${scenario} ${job.name} ${row.name}`);
          }
          // Before the first message nothing has started.
          const p = new Playback(job);
          assert.deepEqual(p.counts().pending, job.digests.length);
          assert.equal(messagesUpTo(job, job.start - 1), 0);
          assert.equal(messagesUpTo(job, jobEnd(job)), job.messages.length);
        }
      }
    });
  }

  test("cancel: the canceled vertices are exactly those the encore or a cancel error reports", async () => {
    const { report } = await run("df-dockerfile-frontend.pb", "cancel");
    const job = report.jobs[0];
    // The encore (vertices still open when the stream closed) may be empty: here the solver
    // reports the cancelled exec itself.
    const encore = job.messages.find((m) => m.encore) || { status: { vertexes: [] } };
    const p = new Playback(job);
    p.seek(job.messages.length);
    const canceled = job.digests.filter((d) => p.state(d) === "canceled").sort();
    const fromStream = new Set();
    for (const m of job.messages) for (const v of m.status.vertexes || []) if (v.completed && /context canceled$/.test(v.error || "")) fromStream.add(v.digest);
    assert.deepEqual(canceled, [...fromStream].filter((d) => p.state(d) === "canceled").sort());
    assert.ok(canceled.length > 0);
    for (const v of encore.status.vertexes) assert.equal(p.state(v.digest), "canceled");
    for (const v of encore.status.vertexes) assert.equal(p.encore(v.digest), true);
  });

  test("warm: inferred vertices are marked; moving back replays from the start", async () => {
    const { report } = await run("df-dockerfile-frontend.pb", "warm");
    const job = report.jobs[0];
    const p = new Playback(job);
    p.seek(job.messages.length);
    const inferred = job.digests.filter((d) => p.inferred(d));
    assert.ok(inferred.length > 0, "a warm rebuild marks vertices CACHED retroactively");
    for (const d of inferred) assert.equal(p.state(d), "cached");
    const changed = p.seek(0);
    assert.ok(changed.size > 0);
    assert.equal(p.counts().pending, job.digests.length);
    assert.equal(p.nextChange(0) >= 1, true);
  });

  test("the critical path ends at the target and follows edges", async () => {
    const { report, graph } = await run("df-dockerfile-frontend.pb", "cold");
    const job = report.jobs[0];
    const path = criticalPath(graph, job);
    assert.equal(path[path.length - 1], job.digests[graph.vertices.findIndex((v) => v.digest === graph.target.digest)]);
    for (let i = 1; i < path.length; i++) {
      const v = graph.vertices[job.digests.indexOf(path[i])];
      const prev = graph.vertices[job.digests.indexOf(path[i - 1])];
      assert.ok(v.inputs.some((inp) => inp.digest === prev.digest), "consecutive path vertices are joined by an edge");
    }
  });

  test("plainText: absent without `plain`, else the printer's text up to k and done() at the end", () => {
    const job = { messages: [{}, {}], plain: ["a\n", "b\n", "done\n"] };
    assert.equal(plainText({ messages: [] }, 0, true), null);
    assert.equal(plainText(job, 1, false), "a\n");
    assert.equal(plainText(job, 2, false), "a\nb\n");
    assert.equal(plainText(job, 2, true), "a\nb\ndone\n");
    assert.deepEqual(plainTail(job, 2, true, 7), { text: "b\ndone\n", omitted: 2 });
    assert.deepEqual(plainTail(job, 2, true, 1), { text: "done\n", omitted: 4 });
    assert.deepEqual(plainTail(job, 2, false, Infinity), { text: "a\nb\n", omitted: 0 });
  });

  test("the page's states at the end equal what `llbsim solve --scenario` reports", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    execFileSync("cargo", ["build", "-q", "--bin", "llbsim"], { cwd: root, stdio: "inherit" });
    const bin = fileURLToPath(new URL("../target/debug/llbsim", import.meta.url));
    for (const scenario of ["cold", "warm", "mutated", "fail", "cancel", "cancel-shared", "concurrent"]) {
      const file = fileURLToPath(new URL("df-dockerfile-frontend.pb", CORPUS));
      const cli = JSON.parse(execFileSync(bin, ["solve", file, "--scenario", scenario, "--format", "json"], { encoding: "utf8" }));
      const { report } = await run("df-dockerfile-frontend.pb", scenario);
      assert.equal(cli.jobs.length, report.jobs.length);
      report.jobs.forEach((job, i) => {
        const states = statesAfter(job, job.messages.length);
        const counts = (rows) => rows.reduce((m, r) => ((m[r.state] = (m[r.state] || 0) + 1), m), {});
        assert.deepEqual(counts(cli.jobs[i].rows), counts(job.rows), `${scenario} ${job.name}`);
        for (const row of cli.jobs[i].rows) assert.equal(states[row.digest], row.state, `${scenario} ${job.name} ${row.name}`);
        assert.deepEqual(cli.jobs[i].plain, job.plain, `${scenario}: the same plain text`);
      });
    }
  });
});
