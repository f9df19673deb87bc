import { describeIfInstalled } from "./requires.ts";

export { launchBrowser, OUTPUT_DIR } from "./chromium.ts";

/** `describe` when Debian's Chromium is installed (playwright-core drives it), else a loud skip. */
export const describeBrowser = describeIfInstalled("chromium", "browser tests");
