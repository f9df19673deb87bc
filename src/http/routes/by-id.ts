import { createRoute, z } from "@hono/zod-openapi";
import { EventFrame } from "../../protocol/frames.ts";
import { problem } from "../../protocol/problem.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { sendProblem } from "../problem.ts";
import { securityOf } from "../security-docs.ts";
import { everything, matches } from "../../hub/filter.ts";

const PATH = "/api/events/by-id/{id}";
/** The path as requests spell it, for the access policy (the role does not depend on the id). */
const CONCRETE = "/api/events/by-id/x";

const params = z.object({
  id: z.string().min(1).max(200).openapi({ param: { name: "id", in: "path" }, description: "The event's `id`, as the publisher chose it" }),
});

/**
 * GET /api/events/by-id/{id}: settles "was it stored?" for a publisher whose answer got lost, without
 * publishing again. Answers the frame exactly as subscribers got it, for as long as history retains it.
 */
export function registerById(app: App, { hub }: AppDeps) {
  const route = createRoute({
    method: "get",
    path: PATH,
    operationId: "readEventById",
    tags: ["events"],
    security: securityOf("get", CONCRETE),
    summary: "Read one stored event by its id",
    description:
      "The event frame stored under this `id`, exactly as subscribers received it. An id is known for as long as its event is in " +
      "history (the last --history-size events, none older than --history-max-age); after that, and for an id never stored, 404. " +
      "Only ids the publisher chose are looked up: an event published without an `id` got a UUID from the server, which is not " +
      "remembered (404 here, and publishing it again stores it again).",
    request: { params },
    responses: {
      200: { description: "The stored event", content: { "application/json": { schema: EventFrame } } },
      ...errorResponses("get", CONCRETE, ["not_found", "unavailable"]),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const entry = await hub.byId("events", id);
    // An event the token may not read is answered as unknown: its existence is not the reader's to learn.
    const grant = c.get("grant");
    const readable = grant ? grant.read.events : everything("events");
    if (!entry || !readable || !matches(readable, entry)) {
      return sendProblem(c, problem("not_found", `no event with id ${JSON.stringify(id)} in history: never stored, or no longer retained`, { details: { id } }));
    }
    // Stored serialised: the text subscribers got, sent as is.
    return new Response(entry.frame, { status: 200, headers: { "content-type": "application/json" } }) as never;
  });
}
