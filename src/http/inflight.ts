import type { MiddlewareHandler } from "hono";
import type { Inflight } from "../shutdown.ts";
import { problem } from "./problem.ts";

/** Tracks a publish request so shutdown waits for it; refuses new ones once the server is draining. */
export function trackPublish(inflight: Inflight): MiddlewareHandler {
  return async function trackPublish(c, next) {
    if (inflight.draining) {
      c.header("retry-after", "1");
      return problem(c, 503, "shutting_down", "the server is shutting down and accepts no more publishes; retry (on another instance)");
    }
    const done = inflight.begin();
    try {
      await next();
    } finally {
      done();
    }
  };
}
