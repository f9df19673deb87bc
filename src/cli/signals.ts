import type { Logger } from "../log/logger.ts";

/**
 * Runs `shutdown` on the first SIGTERM or SIGINT and exits with its code; a second signal exits at
 * once (status 1), for the operator who does not want to wait.
 */
export function exitOnSignals(logger: Logger, shutdown: (signal: string) => Promise<number>) {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`received ${signal} again: exiting now without waiting for clients`);
      process.exit(1);
    }
    stopping = true;
    shutdown(signal).then(
      (code) => process.exit(code),
      (err) => {
        logger.error("shutdown failed; exiting", { error: err });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
