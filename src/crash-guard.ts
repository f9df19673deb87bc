import type { Logger } from "./log/logger.ts";

/**
 * The last line of defence: Bun exits on an unhandled rejection or an uncaught exception, which would drop
 * every client for one failed callback. Each is logged as the bug it is, and the server keeps serving.
 * Errors expected in operation (bad input, Redis down) never get here: they are answered where they happen.
 */
export function guardProcess(logger: Logger): void {
  process.on("unhandledRejection", (reason) => {
    logger.error("unexpected error (unhandled rejection): this is a bug, please report it; the server keeps running", { error: reason });
  });
  process.on("uncaughtException", (err) => {
    logger.error("unexpected error (uncaught exception): this is a bug, please report it; the server keeps running", { error: err });
  });
}
