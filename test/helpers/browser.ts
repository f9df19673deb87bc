import { describe } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/**
 * Browser tests drive Debian's Chromium through playwright-core (no browser download). When it is not
 * installed they are skipped with a loud reason — except under STREAM_REQUIRE_ALL=1 (CI), where that fails.
 */
const CHROMIUM = "/usr/bin/chromium";

/** Where tests leave screenshots (git-ignored). */
export const OUTPUT_DIR = join(import.meta.dir, "..", "..", "test-output");

function chromiumAvailable(): boolean {
  if (Bun.file(CHROMIUM).size > 0) return true;
  const reason = `${CHROMIUM} not found (Debian: apt-get install chromium)`;
  if (process.env.STREAM_REQUIRE_ALL === "1") throw new Error(`STREAM_REQUIRE_ALL=1 but ${reason}`);
  console.warn(`\n*** SKIPPING browser tests: ${reason} ***\n`);
  return false;
}

/** `describe`, or `describe.skip` with a loud reason when Chromium is missing. */
export const describeBrowser: typeof describe = (chromiumAvailable() ? describe : describe.skip) as typeof describe;

/** A headless Chromium with a fresh profile; `close()` also removes the profile. */
export async function launchBrowser(): Promise<BrowserContext & { dispose(): Promise<void> }> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "stream-console-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return Object.assign(context, {
    async dispose() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  });
}
