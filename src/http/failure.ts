import { BrokerUnavailableError, unstoredOutcome } from "../hub/unavailable.ts";
import type { Logger } from "../log/logger.ts";
import { problem, type Problem } from "../protocol/problem.ts";
import { storeUnavailable } from "../protocol/refusals.ts";

/**
 * What an exception in a request becomes: 503 with Retry-After when the store is unreachable (the
 * client should retry), else the 500 of `unexpectedFailure`.
 */
export function failureAnswer(err: unknown, method: string, path: string, logger: Logger): Problem {
  if (err instanceof BrokerUnavailableError) {
    const outcome = method === "GET" ? "the history cannot be read, retry shortly" : unstoredOutcome(err);
    return storeUnavailable(err.message, outcome);
  }
  return unexpectedFailure(err, logger, { method, path });
}

/**
 * The 500 for a bug, wherever it surfaced (a route, or Bun's last-resort handler, which knows no
 * request): logged with a request id that the answer carries too, to match reports to log lines.
 */
export function unexpectedFailure(err: unknown, logger: Logger, where: { method?: string; path?: string } = {}): Problem<"internal_error"> {
  const requestId = crypto.randomUUID();
  logger.error("unexpected error while handling a request", { ...where, requestId, error: err });
  return problem("internal_error", `the server failed to handle this request; quote request id ${requestId} when reporting it`, { details: { requestId } });
}
