// End-to-end test of the vertex panel's cache-key anatomy (www/key-anatomy.js) and its one
// vocabulary of outcomes: the page (www/ + pkg/) served by e2e/serve.mjs, in Debian's Chromium
// via playwright-core. What the panel must show comes from the same wasm Session in Node (the
// run report's `anatomy` and `rows`), never from strings written here.
//
//   bash scripts/build.sh && node --test e2e/anatomy.test.mjs
//
// Screenshots go to e2e/screenshots/ (gitignored).

import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launchChromium } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORPUS = new URL("../testdata/corpus/", import.meta.url);
const corpus = (name) => new URL(name, CORPUS);
const SHOTS = fileURLToPath(new URL("screenshots/", import.meta.url));
const VIEWPORT = { width: 1200, height: 800 };
const DEMO = "df-dockerfile-frontend.pb";
const NEVER = "never ran or loaded";

let server;
let base;
let context;
let closeBrowser;
let Session;

before(async () => {
  const wasm = await import("../pkg/llbsim.js");
  await wasm.default({ module_or_path: await readFile(new URL("../pkg/llbsim_bg.wasm", import.meta.url)) });
  Session = wasm.Session;
  ({ server, url: base } = await startServer(ROOT, 0));
  ({ context, close: closeBrowser } = await launchChromium("llbsim-anatomy-", { viewport: VIEWPORT }));
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
  if (server) {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

/**
 * `s` whose reports carry every job's anatomy: a Session in wasm leaves it out of reports (the
 * page asks `explain` for the vertex it shows), so it is filled in here from `explain`.
 */
function explained(s) {
  const fill = (report) => {
    report.jobs.forEach((j, i) => (j.anatomy = s.explain(i)));
    return report;
  };
  return { scenario: (name) => fill(s.scenario(name)), build: (options) => fill(s.build(options)) };
}

/** A fresh Session on a corpus file, as the page's worker makes it (see `explained`). */
async function session(name, variant = "default") {
  return explained(new Session(new Uint8Array(await readFile(corpus(name))), { variant, seed: 0 }));
}

/** Opens the page with `query`, waits until it is ready and the job on show has played to its end. */
async function openAtEnd(query, job) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.goto(`${base}/www/${query}`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
  await page.waitForSelector("#graph g.node[data-digest]");
  if (job) await atEnd(page, job);
  return { page, problems };
}

async function atEnd(page, job) {
  await page.waitForFunction((n) => document.getElementById("pb-event").textContent === `event ${n} of ${n}`, job.messages.length);
}

/**
 * Selects the vertex's graph node (by keyboard: a long chain's nodes lie outside the graph's
 * view, where a click cannot reach them) and waits until the panel shows its anatomy.
 */
async function selectVertex(page, digest) {
  await page.focus(`#graph g.node[data-digest="${digest}"]`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((d) => document.querySelector("#graph g.node.selected")?.dataset.digest === d && document.querySelector("#detail .anatomy") !== null, digest);
}

/** What the panel shows about the selected vertex. */
function readPanel(page) {
  return page.$eval("#detail", (box) => {
    const q = (s) => box.querySelector(s);
    const t = (s) => q(s)?.textContent ?? null;
    return {
      name: t(".detail-name"),
      text: box.textContent,
      outcome: q(".outcome-words")?.dataset.outcome ?? null,
      outcomeWords: t(".outcome-words strong"),
      why: t(".outcome-why"),
      notes: [...box.querySelectorAll(".explain")].map((e) => e.textContent),
      anatomyOutcome: q(".anatomy")?.dataset.outcome ?? null,
      result: t(".ana-result"),
      record: t(".ana-record"),
      savedBy: t(".ana-saved-by"),
      reason: q(".ana-reason")?.dataset.reason ?? null,
      reasonText: t(".ana-reason"),
      reasonLink: q(".ana-reason .ana-vertex") ? { digest: q(".ana-reason .ana-vertex").dataset.digest, text: t(".ana-reason .ana-vertex") } : null,
      anaOutcome: t(".ana-outcome"),
      rule: t(".ana-rule"),
      inputs: [...box.querySelectorAll(".ana-inputs > li")].map((li) => ({ digest: li.dataset.digest, content: li.querySelector(".ana-content") !== null })),
      keys: [...box.querySelectorAll(".ana-key")].map((k) => k.dataset.key),
      standIn: q(".ana-standin-badge") !== null,
      standInWhy: t(".ana-standin-why"),
      simulated: [...box.querySelectorAll(".ana-simulated li span:not(.sim-tag)")].map((e) => e.textContent),
      simTags: box.querySelectorAll(".sim-tag").length,
    };
  });
}

/** The panel agrees with the report's anatomy entry (and row) for that vertex. */
function assertPanelIs(panel, entry, row) {
  assert.equal(panel.name, entry.name);
  assert.equal(panel.outcome, entry.outcome, `${entry.name}: outcome`);
  assert.equal(panel.anatomyOutcome, entry.outcome);
  assert.equal(panel.outcomeWords, entry.outcome_words, `${entry.name}: the words are the report's`);
  if (row) assert.equal(row.outcome, entry.outcome, `${entry.name}: the row and the anatomy agree`);
  assert.equal(panel.why, entry.why);
  assert.equal(panel.anaOutcome, entry.outcome_words);
  assert.equal(panel.result, entry.query.result);
  assert.equal(panel.reason, entry.query.reason ?? null);
  assert.equal(panel.rule, entry.cache_map.basis.rule);
  assert.deepEqual(panel.inputs, entry.cache_map.deps.map((d) => ({ digest: d.input, content: d.content })));
  assert.deepEqual(panel.keys, entry.keys.map((k) => k.id));
  assert.equal(panel.standIn, entry.cache_map.stand_in);
  if (entry.cache_map.stand_in && entry.cache_map.basis.stand_in) assert.equal(panel.standInWhy, entry.cache_map.basis.stand_in);
  assert.deepEqual(panel.simulated, entry.simulated);
  assert.ok(panel.simTags > 0, "durations and logs carry the simulated tag");
  // One vocabulary: only a vertex that was neither run nor loaded may read "never ran or loaded".
  if (entry.outcome !== "cached-without-running") assert.ok(!panel.text.includes(NEVER), `${entry.name} (${entry.outcome}) must not read “${NEVER}”`);
  for (const n of panel.notes) if (/CACHED retroactively/.test(n) && n.includes(NEVER)) assert.equal(entry.outcome, "cached-without-running");
}

describe("the cache key's anatomy in the vertex panel", () => {
  test("warm rebuild: a loaded vertex shows the hit, its record and the cold build that saved it; every vertex agrees with the report", async () => {
    const job = (await session(DEMO)).scenario("warm").jobs.at(-1);
    const { page, problems } = await openAtEnd("?scenario=warm&t=end", job);
    const rows = new Map(job.rows.map((r) => [r.digest, r]));
    for (const a of job.anatomy) assert.ok(job.digests.includes(a.digest), "anatomy digests are the job's");
    const loaded = job.anatomy.find((a) => a.outcome === "loaded");
    assert.ok(loaded, "the warm rebuild loads something");
    await selectVertex(page, loaded.digest);
    const panel = await readPanel(page);
    assertPanelIs(panel, loaded, rows.get(loaded.digest));
    assert.equal(panel.result, "hit");
    assert.equal(panel.record, loaded.query.record);
    assert.equal(loaded.query.saved_by.job, "cold build");
    assert.match(panel.savedBy, /^cold build at \d+\.\d{3}s$/);
    assert.match(panel.text, /saved by\s*cold build/);
    assert.ok(!panel.text.includes(NEVER));
    await page.locator(".detail-panel").screenshot({ path: join(SHOTS, "anatomy-warm-loaded.png") });

    // The pre-image and the counted fields open; the panel keeps them open while nothing changes.
    await page.click("#detail .ana-preimage summary");
    assert.equal(await page.textContent("#detail .ana-preimage pre"), loaded.cache_map.basis.preimage);

    // Every vertex: the panel is the report's entry; only CACHED-without-running vertices say "never ran or loaded".
    for (const a of job.anatomy) {
      await selectVertex(page, a.digest);
      assertPanelIs(await readPanel(page), a, rows.get(a.digest));
    }
    const skipped = job.anatomy.find((a) => a.outcome === "cached-without-running" && job.messages.some((m) => (m.inferred || []).includes(a.digest)));
    assert.ok(skipped);
    await selectVertex(page, skipped.digest);
    assert.ok((await readPanel(page)).notes.some((n) => n.includes(NEVER)), "a vertex CACHED without running says so");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a source changed: a vertex downstream shows the input-new reason naming that input, and the link selects it", async () => {
    const job = (await session(DEMO)).scenario("mutated").jobs.at(-1);
    const { page, problems } = await openAtEnd("?scenario=mutated&t=end", job);
    const rows = new Map(job.rows.map((r) => [r.digest, r]));
    const entries = job.anatomy.filter((a) => a.query.reason === "input-new");
    assert.ok(entries.length > 0, "something reran because an input was new");
    const entry = entries.at(-1);
    const input = job.anatomy.find((a) => a.digest === entry.query.because_of);
    assert.ok(input, "because_of is a vertex of the job");
    await selectVertex(page, entry.digest);
    const panel = await readPanel(page);
    assertPanelIs(panel, entry, rows.get(entry.digest));
    assert.equal(panel.result, "miss");
    assert.deepEqual(panel.reasonLink, { digest: input.digest, text: input.name });
    assert.ok(panel.reasonText.includes(`input ${input.name} ran in this build`), panel.reasonText);
    await page.locator(".detail-panel").screenshot({ path: join(SHOTS, "anatomy-mutated.png") });
    await page.click("#detail .ana-reason .ana-vertex");
    await page.waitForFunction((d) => document.querySelector("#graph g.node.selected")?.dataset.digest === d, input.digest);
    assert.equal(await page.textContent("#detail .detail-name"), input.name);
    // The source that changed: its key had no record.
    const root = job.anatomy.find((a) => a.cache_map.deps.length === 0 && a.outcome === "ran");
    await selectVertex(page, root.digest);
    assertPanelIs(await readPanel(page), root, rows.get(root.digest));
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("Rebuild without cache: the panel says it ignores the cache", async () => {
    const s = await session(DEMO);
    s.scenario("cold");
    const job = s.build({ label: "rebuild without cache", noCache: true }).jobs.at(-1);
    const { page, problems } = await openAtEnd("?scenario=cold&t=end", null);
    await page.click("#rebuild-nocache");
    await page.waitForFunction(() => /^rebuild without cache/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    await atEnd(page, job);
    const entry = job.anatomy.find((a) => a.query.reason === "ignore-cache" && a.kind === "exec");
    assert.ok(entry, "an exec ignored the cache");
    await selectVertex(page, entry.digest);
    const panel = await readPanel(page);
    assertPanelIs(panel, entry, job.rows.find((r) => r.digest === entry.digest));
    assert.equal(panel.outcome, "ran");
    assert.match(panel.reasonText, /ignores the cache/);
    assert.ok(!panel.text.includes(NEVER));
    await page.locator(".detail-panel").screenshot({ path: join(SHOTS, "anatomy-nocache.png") });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a merged vertex: its anatomy names the other job's vertex that did the work, and the link selects it", async () => {
    // With the page's op model (variant "default") no corpus file's concurrent builds merge an
    // edge any more (a changed pinned image is a new pin, so its key is new). The content
    // variant's concurrent builds do; the page cannot run that variant, so its merged entry is
    // drawn by the page's own module (www/key-anatomy.js) in the page, and read back.
    const page0 = await session(DEMO);
    const defaultReport = page0.scenario("concurrent");
    assert.ok(defaultReport.jobs.every((j) => j.anatomy.every((a) => a.outcome !== "merged")), "the page's variant merges nothing (if it does now, test it on the page itself)");
    const report = (await session(DEMO, "content")).scenario("concurrent");
    const entry = report.jobs[1].anatomy.find((a) => a.outcome === "merged");
    assert.ok(entry, "the content variant's second job has a merged vertex");
    const into = report.jobs[0].anatomy.find((a) => a.digest === entry.query.because_of);
    assert.ok(into, "merged into a vertex of the first job");
    const { page, problems } = await openAtEnd("?scenario=concurrent&t=end", defaultReport.jobs[1]);
    const names = Object.fromEntries(report.jobs.flatMap((j) => j.anatomy.map((a) => [a.digest, a.name])));
    await page.evaluate(async ({ entry, names }) => {
      const { renderAnatomy } = await import("./key-anatomy.js");
      window.__selected = [];
      const box = document.getElementById("detail");
      box.replaceChildren(renderAnatomy(entry, { nameOf: (d) => names[d], select: (d) => window.__selected.push(d) }));
    }, { entry, names });
    const shown = await page.$eval("#detail .anatomy", (a) => ({
      outcome: a.dataset.outcome,
      words: a.querySelector(".ana-outcome").textContent,
      result: a.querySelector(".ana-result").textContent,
      reason: a.querySelector(".ana-reason").dataset.reason,
      link: { digest: a.querySelector(".ana-reason .ana-vertex").dataset.digest, text: a.querySelector(".ana-reason .ana-vertex").textContent },
      key: a.querySelector(".ana-key-box").textContent,
      text: a.textContent,
    }));
    assert.equal(shown.outcome, "merged");
    assert.equal(shown.words, entry.outcome_words);
    assert.equal(shown.result, entry.query.result);
    assert.equal(shown.reason, "merged");
    assert.deepEqual(shown.link, { digest: into.digest, text: into.name });
    assert.ok(!shown.text.includes(NEVER));
    await page.locator(".detail-panel").screenshot({ path: join(SHOTS, "anatomy-merged.png") });
    await page.click("#detail .ana-reason .ana-vertex");
    assert.deepEqual(await page.evaluate(() => window.__selected), [into.digest]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("hostile names reach the anatomy as text; a local source shows its stand-in badge and why", async () => {
    const PAYLOAD = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>";
    const platform = { Architecture: "amd64", OS: "linux" };
    const d1 = `sha256:${"1".repeat(64)}`;
    const d2 = `sha256:${"2".repeat(64)}`;
    const d3 = `sha256:${"3".repeat(64)}`;
    const records = [
      { Op: { Op: { source: { identifier: "docker-image://docker.io/library/alpine:latest" } }, platform, constraints: {} }, Digest: d1, OpMetadata: { description: { "llb.customname": PAYLOAD } } },
      { Op: { Op: { source: { identifier: `local://${PAYLOAD}` } }, platform, constraints: {} }, Digest: d2, OpMetadata: {} },
      {
        Op: { inputs: [{ digest: d1 }, { digest: d2 }], Op: { exec: { meta: { args: ["/bin/sh", "-c", PAYLOAD], cwd: "/" }, mounts: [{ dest: "/" }, { input: 1, dest: "/ctx", readonly: true }] } }, platform, constraints: {} },
        Digest: d3,
        OpMetadata: {},
      },
      { Op: { inputs: [{ digest: d3 }], Op: {} }, OpMetadata: {} },
    ];
    const text = records.map((r) => JSON.stringify(r)).join("\n");
    const job = explained(new Session(text, { variant: "default", seed: 0 })).scenario("cold").jobs[0];
    const { page, problems } = await openAtEnd("", null);
    await page.fill("#paste", text);
    await page.click("#load");
    await page.waitForFunction((d) => document.querySelector(`#graph g.node[data-digest="${d}"]`) !== null, d3);
    await page.click("#pb-end");
    await atEnd(page, job);
    const exec = job.anatomy.find((a) => a.kind === "exec");
    await selectVertex(page, exec.digest);
    assertPanelIs(await readPanel(page), exec, job.rows.find((r) => r.digest === exec.digest));
    assert.ok((await page.textContent("#detail .anatomy")).includes(PAYLOAD), "the payload is shown as text");
    const local = job.anatomy.find((a) => a.cache_map.stand_in);
    assert.ok(local, "a source with a stand-in key");
    await selectVertex(page, local.digest);
    const panel = await readPanel(page);
    assertPanelIs(panel, local, job.rows.find((r) => r.digest === local.digest));
    assert.ok(panel.standIn);
    assert.equal(await page.locator("#detail img, #detail script").count(), 0);
    assert.equal(await page.evaluate(() => typeof window.__pwned), "undefined");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a cancelled build: a canceled vertex shows CANCELED and why", async () => {
    const job = (await session(DEMO)).scenario("cancel").jobs[0];
    const { page, problems } = await openAtEnd("?scenario=cancel&t=end", job);
    const entry = job.anatomy.find((a) => a.outcome === "canceled");
    assert.ok(entry, "something was canceled");
    await selectVertex(page, entry.digest);
    const panel = await readPanel(page);
    const row = job.rows.find((r) => r.digest === entry.digest);
    assertPanelIs(panel, entry, row);
    assert.equal(panel.outcomeWords, "CANCELED");
    assert.equal(row.state, "canceled");
    assert.match(panel.text, /context canceled/);
    assert.ok(panel.notes.some((n) => /^(CANCELED by the solver|Closed by the encore)/.test(n)), panel.notes.join(" | "));
    assert.ok(panel.why.length > 0 && panel.text.includes(panel.why));
    await page.locator(".detail-panel").screenshot({ path: join(SHOTS, "anatomy-cancel.png") });
    // The vertices that never started say so, in the same words.
    const notStarted = job.anatomy.find((a) => a.outcome === "not-started");
    if (notStarted) {
      await selectVertex(page, notStarted.digest);
      assertPanelIs(await readPanel(page), notStarted, job.rows.find((r) => r.digest === notStarted.digest));
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
});
