import { afterEach, setDefaultTimeout } from "bun:test";
import { newErrorLogs } from "./helpers/server.ts";
import { newTokenLeaks } from "./helpers/token-leaks.ts";

// Bun 1.4 ignores `timeout` in bunfig.toml; a preload is what sets the default for every test file.
// Integration tests start servers, browsers and redis-server on a busy 2-core machine: give them room.
setDefaultTimeout(30_000);

/**
 * A test fails if its server logged an unexpected error or one of its configured tokens, or the
 * process saw an unhandled rejection while it ran, even when every assertion passed.
 */
const unhandled: unknown[] = [];
process.on("unhandledRejection", (reason) => void unhandled.push(reason));

afterEach(() => {
  const errors = newErrorLogs();
  const leaks = newTokenLeaks();
  const rejections = unhandled.splice(0);
  if (rejections.length > 0) throw new Error(`unhandled rejection during the test: ${rejections.map(String).join("; ")}`);
  if (leaks.length > 0) throw new Error(`the server wrote a configured token to its output: ${leaks.join("\n")}`);
  if (errors.length > 0) throw new Error(`the server logged unexpected errors: ${errors.map((l) => JSON.stringify(l)).join("\n")}`);
});
