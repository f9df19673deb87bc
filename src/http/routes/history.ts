import { createRoute, z } from "@hono/zod-openapi";
import type { Channel } from "../../hub/channels.ts";
import { EventFrame, LogFrame } from "../../protocol/frames.ts";
import { EventHistoryQuery, filterOf, LogHistoryQuery } from "../../protocol/subscription.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { securityOf } from "../security-docs.ts";
import { sendProblem } from "../problem.ts";
import { EVERYTHING, narrow } from "../../access/grant.ts";

const position = {
  epoch: z.string().openapi({ description: "Names this lifetime of the channel's history; resume WebSocket/SSE with it" }),
  first: z.number().int().openapi({ description: "Oldest seq the history holds (0 when empty)" }),
  last: z.number().int().openapi({ description: "The channel's latest seq" }),
  next: z.number().int().openapi({ description: "Pass as `since` to get the following page" }),
  more: z.boolean().openapi({ description: "More matching frames follow `next`" }),
  complete: z.boolean().openapi({ description: "False when frames after `since` (or from `since_time` on) are already gone from history" }),
};

const pageSchema = (channel: Channel) =>
  z.object({ ...position, items: z.array(channel === "events" ? EventFrame : LogFrame) }).openapi(channel === "events" ? "EventHistory" : "LogHistory");

/** GET /api/events and GET /api/logs: pages of history, oldest first, with the stream position. */
export function registerHistory(app: App, { hub }: AppDeps) {
  for (const [channel, query] of [["events", EventHistoryQuery], ["logs", LogHistoryQuery]] as const) {
    const route = createRoute({
      method: "get",
      path: `/api/${channel}`,
      operationId: channel === "events" ? "readEventHistory" : "readLogHistory",
      tags: [channel],
      security: securityOf("get", `/api/${channel}`),
      summary: `Read ${channel === "events" ? "events" : "log lines"} from history`,
      description:
        "Frames the history still holds, oldest first, exactly as subscribers received them. Page through with `since` = the previous " +
        "answer's `next` while `more` is true; `since_time` starts the first page at a time instead. The history keeps the last --history-size entries per channel (and, with --data, survives restarts).",
      request: { query },
      responses: {
        200: { description: "A page of history", content: { "application/json": { schema: pageSchema(channel) } } },
        ...errorResponses("get", `/api/${channel}`, ["invalid_query", "unavailable"]),
      },
    });
    app.openapi(route, async (c) => {
      const q = c.req.valid("query");
      // Only what the token may read: the same narrowing as a subscription's.
      const filter = narrow(c.get("grant") ?? EVERYTHING, channel, filterOf(channel, q));
      if ("error" in filter) return sendProblem(c, filter);
      const start = q.since_time === undefined ? { since: q.since ?? 0, reachesBack: true } : await hub.startAt(channel, q.since_time);
      const page = await hub.readPage(channel, filter, start.since, q.limit);
      // Frames are stored serialised: splice them in rather than parse and re-stringify each one.
      const head = JSON.stringify({
        epoch: page.position.epoch, first: page.firstSeq, last: page.position.seq, next: page.next, more: page.more, complete: page.complete && start.reachesBack,
      });
      const body = `${head.slice(0, -1)},"items":[${page.entries.map((e) => e.frame).join(",")}]}`;
      // The text is the documented schema, but hand-assembled: tell the typed router so.
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } }) as never;
    });
  }
}
