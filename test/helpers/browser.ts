import { describe } from "bun:test";
import { CHROMIUM } from "./chromium.ts";

export { launchBrowser, OUTPUT_DIR } from "./chromium.ts";

/**
 * Browser tests drive Debian's Chromium through playwright-core. When it is not installed they are
 * skipped with a loud reason — except under STREAM_REQUIRE_ALL=1 (CI), where that fails.
 */
function chromiumAvailable(): boolean {
  if (Bun.file(CHROMIUM).size > 0) return true;
  const reason = `${CHROMIUM} not found (Debian: apt-get install chromium)`;
  if (process.env.STREAM_REQUIRE_ALL === "1") throw new Error(`STREAM_REQUIRE_ALL=1 but ${reason}`);
  console.warn(`\n*** SKIPPING browser tests: ${reason} ***\n`);
  return false;
}

/** `describe`, or `describe.skip` with a loud reason when Chromium is missing. */
export const describeBrowser: typeof describe = (chromiumAvailable() ? describe : describe.skip) as typeof describe;
