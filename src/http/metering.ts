import type { MiddlewareHandler } from "hono";
import type { Channel } from "../hub/channels.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { PUBLISH_PATHS } from "./routes/publish.ts";

const CHANNEL_OF_PATH = new Map(Object.entries(PUBLISH_PATHS).map(([channel, path]) => [path, channel as Channel]));

/**
 * Counts publish requests by the status they were answered with. Registered first, so it also sees
 * the answers of middleware that refuses early (413 body too large, 415 not JSON, 401 no token).
 */
export function meterPublishes(recorder: Recorder): MiddlewareHandler {
  return async function meterPublish(c, next) {
    await next();
    const channel = c.req.method === "POST" ? CHANNEL_OF_PATH.get(c.req.path) : undefined;
    if (channel) recorder.publishAnswered(channel, c.res.status);
  };
}
