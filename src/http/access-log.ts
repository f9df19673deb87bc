import type { Logger } from "../log/logger.ts";

/**
 * The access log, one rule for every HTTP answer: failures at error and refusals at warn, each with
 * what was tried, why and by whom; successes only at debug, so the default level writes no line per
 * publish. `remote` (the client's address) is asked only for a line that is written.
 */
export function logAnswer(logger: Logger, method: string, path: string, status: number, problem?: string, remote?: () => string): void {
  if (status >= 500) logger.error("request failed", { method, path, status, remote: remote?.(), error: problem });
  else if (status >= 400) logger.warn("request refused", { method, path, status, remote: remote?.(), error: problem });
  else if (logger.enabled("debug")) logger.debug("request", { method, path, status, remote: remote?.() });
}
