import type { Logger } from "../log/logger.ts";
import { problem, problemResponse } from "../protocol/problem.ts";
import { logAnswer } from "./access-log.ts";
import { corsHeaders, corsOrigins } from "./cors.ts";

const MESSAGE = "the server is shutting down and accepts no more requests; retry (on another instance)";
const SHUTTING_DOWN = problem("shutting_down", MESSAGE, { headers: { "retry-after": "1", connection: "close" } });

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
    logAnswer(logger, req.method, new URL(req.url).pathname, 503, MESSAGE);
    return problemResponse(SHUTTING_DOWN, corsHeaders(origins, req.headers.get("origin")));
  };
}
