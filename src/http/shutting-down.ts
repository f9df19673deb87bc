import type { Logger } from "../log/logger.ts";
import { problemResponse } from "../protocol/problem.ts";
import { SHUTTING_DOWN } from "../protocol/refusals.ts";
import { logAnswer } from "./access-log.ts";
import { corsHeaders, corsOrigins } from "./cors.ts";


/**
 * The answer to every request that reaches the server while it shuts down: publishes, WebSocket
 * upgrades, event streams and the rest alike. The server keeps listening until the publishes in flight
 * are delivered, so that a client gets this documented answer rather than a connection reset;
 * `Connection: close` keeps the client off a connection that is about to go, and `Retry-After` says
 * when to try again (by then on another instance, or on this one restarted).
 */
export function createShuttingDownAnswer(logger: Logger, corsOrigin: readonly string[]): (req: Request) => Response {
  const origins = corsOrigins(corsOrigin);
  return function shuttingDown(req) {
    logAnswer(logger, req.method, new URL(req.url).pathname, 503, SHUTTING_DOWN.message);
    return problemResponse(SHUTTING_DOWN, corsHeaders(origins, req.headers.get("origin")));
  };
}
