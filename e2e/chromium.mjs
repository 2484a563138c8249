// Debian's Chromium (/usr/bin/chromium), headless, through playwright-core: the one place the
// tests and benchmarks start a browser. Never downloads one.
//
//   const { context, close } = await launchChromium("llbsim-e2e-", { viewport });
//   … context.newPage() …
//   await close(); // closes the browser and removes its profile directory

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

/** Flags for a quiet, offline, container-friendly headless Chromium. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/**
 * Starts Chromium with a fresh profile in a temporary directory named after `prefix`.
 * `options` go to playwright's launchPersistentContext (viewport, colorScheme, …).
 */
export async function launchChromium(prefix, options = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
  const close = async () => {
    await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  };
  return { context, userDataDir, close };
}
