// End-to-end test of llbsim's page: the built page (www/ + pkg/) served by e2e/serve.mjs and
// driven in Debian's Chromium by playwright-core.
//
//   bash scripts/build.sh && node --test e2e/
//
// Screenshots (1200x800) go to e2e/screenshots/ (gitignored).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, mkdir } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";


import { launchChromium } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// The repository's copy of the shared corpus (see testdata/README.md).
const CORPUS = new URL("../testdata/corpus/", import.meta.url);
const corpus = (name) => new URL(name, CORPUS);
const SHOTS = fileURLToPath(new URL("screenshots/", import.meta.url));
const VIEWPORT = { width: 1200, height: 800 };

const PAYLOAD = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>";

let server;
let base;
let context;
let closeBrowser;
/** The same wasm the page runs, loaded in Node: what the page must show. */
let loadDefinition;
/** The wasm Session class, in Node: the run reports the page must show. */
let Session;

before(async () => {
  assert.ok(existsSync(new URL("df-hack-lint.json", CORPUS)), "testdata/corpus is present");
  const wasm = await import("../pkg/llbsim.js");
  await wasm.default({ module_or_path: await readFile(new URL("../pkg/llbsim_bg.wasm", import.meta.url)) });
  loadDefinition = wasm.loadDefinition;
  Session = wasm.Session;
  ({ server, url: base } = await startServer(ROOT, 0));
  ({ context, close: closeBrowser } = await launchChromium("llbsim-e2e-", { viewport: VIEWPORT }));
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
  if (server) {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

/** A raw GET (no URL normalisation by the client), resolving to { status, headers, body }. */
function rawGet(path) {
  const { hostname, port } = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ hostname, port, path, method: "GET" }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", fail);
    req.end();
  });
}

/**
 * Opens the page at `/` and waits until it is ready. `problems` collects console errors, page
 * errors, failed requests, HTTP errors and dialogs; every test asserts it stays empty.
 */
async function openPage(query = "") {
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.goto(`${base}/www/${query}`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
  return { page, problems, dialogs };
}

/** Waits until the list shows `count` vertices and the badge names `format`. */
async function waitForLoaded(page, count, format) {
  await page.waitForFunction(
    ([n, f]) =>
      document.querySelectorAll("#vertices [data-digest]").length === n &&
      document.getElementById("format")?.textContent === f,
    [count, format],
  );
}

const digests = (page) =>
  page.$$eval("#vertices [data-digest]", (els) => els.map((e) => e.getAttribute("data-digest")));

/** Checks that the list shows `summary` (from loadDefinition) row by row. */
async function assertListShows(page, summary) {
  const rows = await page.$$eval("#vertices [data-digest]", (els) =>
    els.map((e) => ({
      digest: e.getAttribute("data-digest"),
      kind: e.getAttribute("data-kind"),
      name: e.querySelector(".vertex-name").textContent,
      digestText: e.querySelector(".digest").textContent,
      inputs: [...e.querySelectorAll(".input-ref")].map((a) => a.textContent),
      target: e.classList.contains("is-target"),
    })),
  );
  const rowOf = new Map(summary.vertices.map((v, i) => [v.digest, i + 1]));
  assert.deepEqual(
    rows,
    summary.vertices.map((v) => ({
      digest: v.digest,
      kind: v.kind,
      name: v.name,
      digestText: v.digest.slice(7, 19),
      inputs: v.inputs.map((i) => `#${rowOf.get(i.digest)}${i.index ? ` (output ${i.index})` : ""}`),
      target: v.digest === summary.target.digest,
    })),
  );
  assert.equal(rows.filter((r) => r.target).length, 1, "one target");
  const counts = await page.textContent("#counts");
  assert.ok(counts.includes(`${summary.vertices.length} vertices`), counts);
  assert.ok(counts.includes(`${summary.edges} edge`), counts);
  for (const [kind, n] of Object.entries(summary.kinds)) assert.ok(counts.includes(`${kind} ${n}`), counts);
}

describe("llbsim page", () => {
  test("the server sends the wasm as application/wasm, with nosniff, and stays inside ROOT", async () => {
    const wasm = await rawGet("/pkg/llbsim_bg.wasm");
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers["content-type"], "application/wasm");
    assert.equal(wasm.headers["x-content-type-options"], "nosniff");
    assert.deepEqual([...wasm.body.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], "wasm magic");

    const js = await rawGet("/pkg/llbsim.js");
    assert.equal(js.status, 200);
    assert.match(js.headers["content-type"], /^text\/javascript/);

    const root = await rawGet("/");
    assert.ok([301, 302, 307, 308].includes(root.status), `/ answers ${root.status}`);
    assert.equal(root.headers.location, "/www/");
    const index = await rawGet("/www/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"], /^text\/html/);
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    assert.match(index.body.toString(), /http-equiv="Content-Security-Policy"/);

    for (const path of [
      "/www/..%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/..%5c..%5cetc%5cpasswd",
      "/../../../../etc/passwd",
      "/.git/config",
      "/www/%00index.html",
    ]) {
      const res = await rawGet(path);
      assert.ok(res.status === 404 || res.status === 400, `${path} answers ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /root:/, path);
    }
  });

  test("the embedded demo is the corpus file, byte for byte", async () => {
    const { DEMO_BASE64, DEMO_FILE } = await import("../www/demo.js");
    assert.equal(DEMO_FILE, "df-dockerfile-frontend.pb");
    assert.deepEqual(Buffer.from(DEMO_BASE64, "base64"), await readFile(corpus(DEMO_FILE)));
  });

  test("the page opens on the demo: 10 vertices from a binary pb.Definition", async () => {
    const { page, problems, dialogs } = await openPage();
    await waitForLoaded(page, 10, "binary pb.Definition");
    assert.ok(page.url().startsWith(`${base}/`), page.url());

    // Row by row what loadDefinition gives for the demo's file: name, kind, short digest,
    // inputs by row number, the target marked.
    const demo = loadDefinition(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))));
    await assertListShows(page, demo);
    for (const d of await digests(page)) assert.match(d, /^sha256:[0-9a-f]{64}$/);
    const first = await page.textContent("#vertices [data-digest]:first-child .vertex-name");
    assert.ok(first.startsWith("[base 1/4] FROM docker.io/library/golang"), first);
    assert.equal(await page.getAttribute("#vertices .is-target", "data-digest"), demo.target.digest);

    // Capabilities: a binary definition can tell everything.
    const caps = await page.textContent("#caps");
    assert.match(caps, /can tell.*exact bytes.*metadata \(custom names\).*source map/s);
    assert.doesNotMatch(caps, /cannot tell/);
    assert.match(await page.textContent("#counts"), /10 vertices.*3 kinds: exec 4 ?file 3 ?source 3/s);
    assert.equal(await page.isHidden("#error"), true);
    assert.match(await page.textContent("#version"), /^llbsim \d+\.\d+\.\d+/);

    await page.screenshot({ path: join(SHOTS, "demo.png") });
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("pasted dump-llb JSON, a picked file and a dropped file all load", async () => {
    const { page, problems, dialogs } = await openPage();
    await waitForLoaded(page, 10, "binary pb.Definition");

    const lint = await readFile(corpus("df-hack-lint.json"), "utf8");
    await page.fill("#paste", lint);
    await page.click("#load");
    await waitForLoaded(page, 24, "dump-llb JSON");
    await assertListShows(page, loadDefinition(lint));
    assert.match(await page.textContent("#caps"), /cannot tell.*exact bytes.*source map/s);
    assert.equal(await page.isHidden("#error"), true);
    await page.screenshot({ path: join(SHOTS, "pasted.png") });

    await page.setInputFiles("#file", fileURLToPath(corpus("synth-fanin16.pb")));
    await waitForLoaded(page, 18, "binary pb.Definition");
    await assertListShows(page, loadDefinition(await readFile(corpus("synth-fanin16.pb"))));
    assert.match(await page.textContent("#source"), /synth-fanin16\.pb/);
    // The merge (the target) reads all 16 execs.
    const target = page.locator("#vertices .is-target");
    assert.equal(await target.getAttribute("data-kind"), "merge");
    assert.equal(await target.locator(".input-ref").count(), 16);
    // The paste box keeps what was pasted.
    assert.equal(await page.inputValue("#paste"), lint);

    // Drag and drop a file onto the page.
    const chain = (await readFile(corpus("synth-chain20.pb"))).toString("base64");
    const dataTransfer = await page.evaluateHandle((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "synth-chain20.pb", { type: "application/octet-stream" }));
      return dt;
    }, chain);
    await page.dispatchEvent("body", "dragenter", { dataTransfer });
    await page.dispatchEvent("body", "dragover", { dataTransfer });
    await page.dispatchEvent("body", "drop", { dataTransfer });
    await waitForLoaded(page, 21, "binary pb.Definition");
    assert.match(await page.textContent("#source"), /synth-chain20\.pb/);
    assert.equal(await page.evaluate(() => document.body.classList.contains("dragging")), false);

    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("invalid input shows an error and keeps the list, the badge and the paste box", async () => {
    const { page, problems, dialogs } = await openPage();
    await page.setInputFiles("#file", fileURLToPath(corpus("synth-fanin16.pb")));
    await waitForLoaded(page, 18, "binary pb.Definition");
    const before = await digests(page);
    const summaryBefore = await page.textContent(".summary-panel");

    await page.fill("#paste", "this is not llb");
    await page.click("#load");
    await page.waitForSelector("#error", { state: "visible" });
    const first = await page.textContent("#error-message");
    assert.match(first, /not an LLB definition/);
    assert.equal(await page.getAttribute("#error", "role"), "alert");
    assert.deepEqual(await digests(page), before);
    assert.equal(await page.textContent(".summary-panel"), summaryBefore);
    assert.equal(await page.inputValue("#paste"), "this is not llb");

    await page.fill("#paste", '{"Op":');
    await page.click("#load");
    await page.waitForFunction(
      (prev) => document.getElementById("error-message").textContent !== prev,
      first,
    );
    assert.equal(await page.isVisible("#error"), true);
    assert.match(await page.textContent("#error-message"), /JSON/);
    assert.match(await page.textContent("#error-location"), /line 1/);
    assert.deepEqual(await digests(page), before);
    assert.equal(await page.textContent("#format"), "binary pb.Definition");
    assert.equal(await page.textContent(".summary-panel"), summaryBefore);
    assert.equal(await page.inputValue("#paste"), '{"Op":');
    await page.screenshot({ path: join(SHOTS, "error.png") });

    // The next good load clears the error.
    await page.click("#demo");
    await waitForLoaded(page, 10, "binary pb.Definition");
    await page.waitForSelector("#error", { state: "hidden" });

    // Page errors are expected to be none: a failed load is reported on the page, not thrown.
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("dark colour scheme and a narrow window: no sideways scrolling", async () => {
    const { page, problems } = await openPage();
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 360, height: 740 });
    await waitForLoaded(page, 10, "binary pb.Definition");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 120, `dark background, got ${bg}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
    await page.screenshot({ path: join(SHOTS, "narrow-dark.png") });
    await page.locator("#vertices .is-target").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "narrow-dark-list.png") });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("hostile names, digests and notes are shown as text, never as markup", async () => {
    const { page, problems, dialogs } = await openPage();
    const platform = { Architecture: "amd64", OS: "linux" };
    // Listed digests that do not match the ops are kept (with a note), so inputs can refer to them.
    const d1 = `sha256:${"1".repeat(64)}`;
    const d2 = `sha256:${"2".repeat(64)}`;
    const d3 = `sha256:${"3".repeat(64)}`;
    const records = [
      {
        Op: { Op: { source: { identifier: "docker-image://docker.io/library/alpine:latest" } }, platform, constraints: {} },
        Digest: d1,
        OpMetadata: { description: { "llb.customname": PAYLOAD } },
      },
      {
        Op: { Op: { source: { identifier: `local://${PAYLOAD}` } }, platform, constraints: {} },
        Digest: d2,
        OpMetadata: {},
      },
      {
        Op: {
          inputs: [{ digest: d1 }, { digest: d2 }],
          Op: {
            exec: {
              meta: { args: ["/bin/sh", "-c", PAYLOAD], cwd: "/" },
              mounts: [{ dest: "/" }, { input: 1, dest: "/ctx", readonly: true }],
            },
          },
          platform,
          constraints: {},
        },
        Digest: d3,
        OpMetadata: {},
      },
      { Op: { inputs: [{ digest: d3 }], Op: {} }, OpMetadata: {} },
    ];
    const text = records.map((r) => JSON.stringify(r)).join("\n");
    await page.fill("#paste", text);
    await page.click("#load");
    await waitForLoaded(page, 3, "dump-llb JSON");

    const names = await page.$$eval("#vertices .vertex-name", (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, [PAYLOAD, `local://${PAYLOAD}`, `/bin/sh -c ${PAYLOAD}`]);
    assert.deepEqual(await digests(page), [d1, d2, d3]);
    assert.ok((await page.textContent("#vertices")).includes(PAYLOAD));

    // A listed digest that is not a sha256 is refused; the error quotes it as text.
    const hostileDigest = records.map((r, i) => JSON.stringify(i === 1 ? { ...r, Digest: `sha256:${PAYLOAD}` } : r)).join("\n");
    await page.fill("#paste", hostileDigest);
    await page.click("#load");
    await page.waitForSelector("#error", { state: "visible" });
    assert.match(await page.textContent("#error"), /\$\.Digest/);
    assert.deepEqual(await digests(page), [d1, d2, d3], "the previous list is kept");

    // The graph draws the same names as SVG text.
    await page.waitForFunction((d) => document.querySelector(`#graph g.node[data-digest="${d}"]`) !== null, d3);
    const svgText = await page.$$eval("#graph g.node title", (els) => els.map((e) => e.textContent).join("\n"));
    assert.ok(svgText.includes(PAYLOAD), "the payload is SVG text");
    await page.click(`#graph g.node[data-digest="${d1}"]`);
    assert.equal(await page.textContent("#detail .detail-name"), PAYLOAD);
    assert.equal(await page.locator("#graph img, #graph script, #graph foreignObject, #detail img, #detail script, #timeline img").count(), 0);
    assert.equal(await page.locator("#vertices img, #vertices script, #error img, #error script").count(), 0);
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("script").count(), 1, "only the page's own module script");
    assert.equal(await page.evaluate(() => typeof window.__pwned), "undefined");
    assert.deepEqual(dialogs, []);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("the demo plays to the end; the states on screen are the report's rows", async () => {
    const { page, problems, dialogs } = await openPage();
    await waitForLoaded(page, 10, "binary pb.Definition");
    await page.waitForSelector("#graph g.node[data-digest]");
    assert.match(await page.textContent("#caption"), /cold build/);
    // It starts playing by itself; make it fast and wait for the end.
    await page.selectOption("#pb-speed", "1000");
    await page.waitForFunction(() => /The build finished/.test(document.getElementById("caption").textContent), null, { timeout: 30000 });
    const report = new Session(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))), { variant: "default", seed: 0 }).scenario("cold");
    await assertStatesMatchRows(page, report.jobs[0]);
    assert.equal(await page.locator("#graph g.node").count(), 10);
    // Stage groups and edge labels (mount targets) are drawn.
    assert.ok((await page.locator("#graph .stage").count()) >= 2, "stages are grouped");
    assert.ok((await page.$$eval("#graph .edge-label", (els) => els.map((e) => e.textContent))).some((t) => t.startsWith("/")), "a mount target labels an edge");
    // The timeline has a critical path; the log shows the printer's text (when the core has it).
    assert.ok((await page.locator("#timeline .bar.critical").count()) > 0);
    if ((await page.getAttribute("#log", "data-plain")) === "present") assert.match(await page.textContent("#log"), /DONE|CACHED/);
    await page.screenshot({ path: join(SHOTS, "play-end.png") });
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.click("#zoom-fit");
    await page.click("#graph g.node[data-kind=exec]");
    await page.screenshot({ path: fileURLToPath(new URL("../docs/screenshot.png", import.meta.url)) });
    // Clicking a vertex shows what happened to it and why.
    await page.click("#graph g.node[data-kind=exec]");
    assert.match(await page.textContent("#detail"), /why/);
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("scenario=cancel: the canceled nodes are exactly what the stream cancels; Cancel build now", async () => {
    const { page, problems, dialogs } = await openPage("?scenario=cancel&t=end");
    await page.waitForSelector("#graph g.node[data-digest]");
    const report = new Session(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))), { variant: "default", seed: 0 }).scenario("cancel");
    const job = report.jobs[0];
    await page.waitForFunction((n) => document.getElementById("pb-event").textContent === `event ${n} of ${n}`, job.messages.length);
    const canceledInStream = streamCanceled(job);
    assert.ok(canceledInStream.length > 0);
    assert.deepEqual((await shownWithState(page, "canceled")).sort(), canceledInStream.sort());
    // The encore batch (vertices still open when the stream closed) may be empty: the solver
    // reports the cancelled exec itself. Those it has are marked.
    const encore = job.messages.find((m) => m.encore) || { status: { vertexes: [] } };
    assert.deepEqual((await page.$$eval("#graph g.node[data-encore]", (els) => els.map((e) => e.dataset.digest))).sort(), encore.status.vertexes.map((v) => v.digest).sort());
    await assertStatesMatchRows(page, job);
    // The log panel is BuildKit's plain printer: every canceled vertex's block ends CANCELED.
    assert.equal(await page.getAttribute("#log", "data-plain"), "present");
    const log = await page.textContent("#log");
    const names = new Map(job.messages.flatMap((m) => m.status.vertexes || []).map((v) => [v.digest, v.name]));
    for (const d of canceledInStream) {
      const tag = log.split("\n").map((l) => /^(#\d+) (.*)$/.exec(l)).find((m) => m && m[2] === names.get(d));
      assert.ok(tag, `a block for ${names.get(d)}`);
      assert.ok(log.includes(`${tag[1]} CANCELED`), `${names.get(d)} is printed CANCELED`);
    }
    await page.click(`#graph g.node[data-digest="${canceledInStream[0]}"]`);
    assert.match(await page.textContent("#detail"), /CANCELED/);
    assert.match(await page.textContent("#detail"), /context canceled/);
    await page.screenshot({ path: join(SHOTS, "cancel.png") });

    // The button: a cold build of the demo, cancelled at 40% of its time.
    await page.selectOption("#scenario", "cold");
    await page.waitForFunction(() => /^cold build/.test(document.getElementById("caption").textContent));
    await page.click("#pb-home");
    const max = Number(await page.getAttribute("#pb-scrub", "max"));
    await page.$eval("#pb-scrub", (e, v) => {
      e.value = String(v);
      e.dispatchEvent(new Event("input", { bubbles: true }));
    }, Math.round(max * 0.4));
    await page.click("#cancel-now");
    await page.waitForFunction(() => /cancelled at/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    const s = new Session(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))), { variant: "default", seed: 0 });
    const again = s.build({ label: "x", cancelAtMs: Math.round(max * 0.4) });
    await assertStatesMatchRows(page, again.jobs[0]);
    assert.deepEqual((await shownWithState(page, "canceled")).sort(), streamCanceled(again.jobs[0]).sort());
    assert.ok(streamCanceled(again.jobs[0]).length > 0, "something was cancelled");
    await page.screenshot({ path: join(SHOTS, "cancel-now.png") });
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("scenario=warm: the cached vertices the report says; back at t=0 nothing has started", async () => {
    const { page, problems, dialogs } = await openPage("?scenario=warm&t=end");
    await page.waitForSelector("#graph g.node[data-digest]");
    const report = new Session(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))), { variant: "default", seed: 0 }).scenario("warm");
    const job = report.jobs[0];
    await page.waitForFunction((n) => document.getElementById("pb-event").textContent === `event ${n} of ${n}`, job.messages.length);
    await assertStatesMatchRows(page, job);
    const cached = job.rows.filter((r) => r.state === "cached").map((r) => r.digest).sort();
    assert.ok(cached.length > 0);
    assert.deepEqual((await shownWithState(page, "cached")).sort(), cached);
    const inferred = new Set(job.messages.flatMap((m) => m.inferred || []));
    assert.deepEqual((await page.$$eval("#graph g.node[data-inferred]", (els) => els.map((e) => e.dataset.digest))).sort(), [...inferred].sort());
    await page.click("#graph g.node[data-inferred]");
    assert.match(await page.textContent("#detail"), /CACHED retroactively/);
    await page.screenshot({ path: join(SHOTS, "warm.png") });

    // Scrub back to 0: nothing has started.
    await page.$eval("#pb-scrub", (e) => {
      e.value = "0";
      e.dispatchEvent(new Event("input", { bubbles: true }));
    });
    assert.equal(await page.locator('#graph g.node[data-state="pending"][data-seen="0"]').count(), job.digests.length);
    // Keyboard: → steps one event, End goes to the end.
    await page.click("#caption");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.textContent("#pb-event"), `event 1 of ${job.messages.length}`);
    await page.keyboard.press("End");
    await assertStatesMatchRows(page, job);
    await page.keyboard.press("Home");
    assert.equal(await page.textContent("#pb-event"), `event 0 of ${job.messages.length}`);
    await page.screenshot({ path: join(SHOTS, "warm-t0.png") });
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("garbage keeps the previous graph; rebuild is warm; a shared link reloads the definition", async () => {
    const { page, problems, dialogs } = await openPage("?src=/testdata/corpus/synth-fanin16.pb&t=end");
    await page.waitForFunction(() => document.querySelectorAll("#graph g.node").length === 18);
    const graphBefore = await page.$$eval("#graph g.node", (els) => els.map((e) => e.dataset.digest));
    await page.fill("#paste", "garbage garbage");
    await page.click("#load");
    await page.waitForSelector("#error", { state: "visible" });
    assert.deepEqual(await page.$$eval("#graph g.node", (els) => els.map((e) => e.dataset.digest)), graphBefore);
    assert.equal(await page.inputValue("#paste"), "garbage garbage");

    await page.click("#rebuild");
    await page.waitForFunction(() => /^rebuild/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    assert.ok((await page.locator('#graph g.node[data-state="cached"]').count()) > 0, "a rebuild on the same cache is warm");
    await page.click("#rebuild-nocache");
    await page.waitForFunction(() => /^rebuild without cache/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    assert.equal(await page.locator('#graph g.node[data-state="cached"]').count(), 0);

    // Change this source (warm: only what depends on it runs again), then fail a step.
    const sourceBefore = await page.getAttribute("#graph g.node[data-kind=source]", "data-digest");
    await page.click("#graph g.node[data-kind=source]");
    await page.click("#change-source");
    await page.waitForFunction(() => /^a source changed/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    assert.notEqual(await page.getAttribute("#graph g.node[data-kind=source]", "data-digest"), sourceBefore, "the changed source has a new digest");
    assert.ok((await page.locator('#graph g.node[data-state="done"]').count()) > 0);
    await page.click("#graph g.node[data-kind=exec]");
    await page.click("#fail-step");
    await page.waitForFunction(() => /^this step fails/.test(document.getElementById("caption").textContent));
    await page.click("#pb-end");
    assert.equal(await page.locator('#graph g.node[data-state="error"]').count(), 1);
    await page.click("#clear-cache");
    await page.waitForFunction(() => /cache is now empty/.test(document.getElementById("caption").textContent));

    await page.click("#share");
    await page.waitForFunction(() => location.hash.startsWith("#def="));
    const shared = page.url().replace(/\?[^#]*/, "");
    const other = await context.newPage();
    await other.goto(shared);
    await other.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
    await other.waitForFunction(() => document.querySelectorAll("#graph g.node").length === 18);
    assert.match(await other.textContent("#source"), /shared link/);
    await other.close();

    // embed=1: only the graph and the playback bar.
    await page.goto(`${base}/www/?embed=1&scenario=fail&t=end`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
    assert.equal(await page.isVisible("#paste"), false);
    assert.equal(await page.isVisible("#graph"), true);
    assert.equal(await page.isVisible("#pb-play"), true);
    assert.ok((await page.locator('#graph g.node[data-state="error"]').count()) === 1, "one failed step");
    await page.screenshot({ path: join(SHOTS, "embed-fail.png") });
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("the timeline redraws to a new width and keeps its cursor", async () => {
    const { page, problems } = await openPage("?scenario=cold&t=end");
    await page.waitForSelector("#timeline svg.gantt");
    const width = () => page.$eval("#timeline svg.gantt", (el) => Number(el.getAttribute("width")));
    const bars = () => page.$$eval("#timeline svg.gantt rect.bar", (els) => els.length);
    const before = { w: await width(), n: await bars() };
    const cursorAtEnd = () =>
      page.$eval("#timeline svg.gantt", (svg) => {
        const c = svg.querySelector(".gantt-cursor");
        return Number(c.getAttribute("x1")) > Number(svg.getAttribute("width")) * 0.9;
      });
    assert.ok(await cursorAtEnd());
    await page.setViewportSize({ width: 700, height: 900 });
    await page.waitForFunction((w) => Number(document.querySelector("#timeline svg.gantt")?.getAttribute("width")) !== w, before.w);
    assert.notEqual(await width(), before.w);
    assert.equal(await bars(), before.n, "the same bars, redrawn");
    assert.ok(await cursorAtEnd(), "the cursor is still at the end");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("vertex= selects a vertex; t= seeks; the graph is drawn in the dark scheme too", async () => {
    const demo = loadDefinition(new Uint8Array(await readFile(corpus("df-dockerfile-frontend.pb"))));
    const v = demo.vertices[3];
    const { page, problems, dialogs } = await openPage(`?scenario=cold&t=1&vertex=${encodeURIComponent(v.digest)}`);
    await page.waitForFunction(() => document.querySelector("#detail .detail-name") !== null);
    assert.equal(await page.textContent("#detail .detail-name"), v.name);
    assert.equal(await page.getAttribute("#graph g.node.selected", "data-digest"), v.digest);
    assert.match(await page.textContent("#pb-time"), /^1\.000s/);
    assert.equal(await page.textContent("#pb-play"), "▶︎", "paused at t");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.locator("#graph").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "dark-graph.png") });
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  test("2,000 vertices lay out and play", async () => {
    const { page, problems } = await openPage("?src=/testdata/corpus/synth-chain2000.pb");
    await page.waitForFunction(() => document.querySelectorAll("#graph g.node").length === 2001, null, { timeout: 60000 });
    await page.selectOption("#pb-speed", "1000");
    await page.waitForFunction(() => /The build finished/.test(document.getElementById("caption").textContent), null, { timeout: 60000 });
    assert.equal(await page.locator('#graph g.node[data-state="done"]').count() + (await page.locator('#graph g.node[data-state="cached"]').count()), 2001);
    await page.screenshot({ path: join(SHOTS, "chain2000.png") });
    assert.deepEqual(problems, []);
    await page.close();
  });
});

/** Digests whose last record in the stream is completed with a "context canceled" error. */
function streamCanceled(job) {
  const last = new Map();
  for (const m of job.messages) for (const v of m.status.vertexes || []) last.set(v.digest, v);
  return [...last.values()].filter((v) => v.completed && /context canceled$/.test(v.error || "")).map((v) => v.digest);
}

async function shownWithState(page, st) {
  return page.$$eval(`#graph g.node[data-state="${st}"]`, (els) => els.map((e) => e.dataset.digest));
}

/** Every graph node's data-state equals its row's state; the on-screen counts agree. */
async function assertStatesMatchRows(page, job) {
  const shown = Object.fromEntries(await page.$$eval("#graph g.node", (els) => els.map((e) => [e.dataset.digest, e.dataset.state])));
  for (const row of job.rows) assert.equal(shown[row.digest], row.state, `${row.name}: shown ${shown[row.digest]}, row ${row.state}`);
  for (const st of ["cached", "done", "error", "canceled"]) {
    assert.equal(Object.values(shown).filter((s) => s === st).length, job.rows.filter((r) => r.state === st).length, st);
  }
}
