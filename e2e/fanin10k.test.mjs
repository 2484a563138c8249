// End-to-end: the page takes a 10,000-input merge (a fan-in of 10,000 execs, bench/graphs.mjs)
// from the file picker, solves it in its worker, lays it out, plays the cold build to the end,
// and explains the merge's key. Before the solver assembled dependency keys in one place and
// kept its facts over inputs as counts, this build never finished on the page.
//
//   bash scripts/build.sh && node --test e2e/fanin10k.test.mjs

import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { fanin } from "../bench/graphs.mjs";
import { launchChromium } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const N = 10000;

let server;
let base;
let context;
let closeBrowser;
let file;

before(async () => {
  file = join(await mkdtemp(join(tmpdir(), "llbsim-fanin-")), "fanin10k.pb");
  await writeFile(file, fanin(N));
  ({ server, url: base } = await startServer(ROOT, 0));
  ({ context, close: closeBrowser } = await launchChromium("llbsim-fanin-", { viewport: { width: 1280, height: 900 } }));
});

after(async () => {
  await closeBrowser?.();
  if (server) {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

test(`a fan-in of ${N} execs plays to the end, and its merge explains its key`, { timeout: 600000 }, async () => {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${base}/www/`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
  const t0 = Date.now();
  await page.setInputFiles("#file", file);
  await page.waitForFunction((n) => document.querySelectorAll("#graph g.node").length === n, N + 2, { timeout: 300000 });
  const drawn = Date.now() - t0;
  await page.selectOption("#pb-speed", "1000");
  await page.click("#pb-end");
  await page.waitForFunction(() => /The build finished/.test(document.getElementById("caption").textContent), null, { timeout: 300000 });
  const done = await page.locator('#graph g.node[data-state="done"]').count();
  assert.equal(done, N + 2, "every vertex done");
  // The merge (the target) explains its key: BuildKit's merge rule, one input per exec.
  const merge = await page.$eval("#graph g.node[data-digest]:last-of-type", (g) => g.dataset.digest);
  await page.evaluate((d) => document.querySelector(`#graph g.node[data-digest="${d}"]`)?.dispatchEvent(new MouseEvent("click", { bubbles: true })), merge);
  await page.waitForSelector("#detail .anatomy", { timeout: 120000 });
  const text = await page.textContent("#detail .anatomy");
  assert.match(text, /buildkit\.(merge|exec)\.v0/);
  console.log(`fan-in ${N}: drawn after ${drawn} ms, played to the end after ${Date.now() - t0} ms`);
  assert.deepEqual(problems, []);
  await page.close();
});
