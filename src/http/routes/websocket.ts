import { createRoute, z } from "@hono/zod-openapi";
import type { Channel } from "../../hub/channels.ts";
import type { InputSchemas } from "../../protocol/inputs.ts";
import { AckFrame, CheckpointFrame, ErrorFrame, EventFrame, HelloFrame, LogFrame, PingFrame, PongFrame, publishFrameDoc, RefreshedFrame, RefreshFrame, ResetFrame } from "../../protocol/frames.ts";
import { problem } from "../../protocol/problem.ts";
import { LastEventIdHeader, streamQuery } from "../../protocol/subscription.ts";
import { WS_ENDPOINTS, WS_PATHS } from "../../protocol/endpoints.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { securityOf } from "../security-docs.ts";
import { sendProblem } from "../problem.ts";
import { serveEventStream, SSE_DOC, wantsEventStream } from "./stream.ts";

const FRAMES_DOC = [
  "Connect with a WebSocket client (e.g. `wscat -c ws://HOST/api/stream`). Every frame is one JSON object with a `kind`:",
  "",
  "- `hello` (first frame): channel, path, epoch, latest seq, server version; `resume: {since, complete}` when resuming",
  "- `event` `{kind, seq, id, type, source, time, data}` on the event paths; `log` `{kind, seq, time, level, message, source, fields}` on `/ws/logs`",
  '- send `{"kind":"ping"}` to get `{"kind":"pong"}`; anything else gets an `error` frame (`bad_json`, `unsupported`) and the connection stays open',
  '- publish on `/ws` or `/api/stream` without an HTTP request per event: `{"kind":"publish","event":{…}}` or `{"kind":"publish","events":[…]}` ' +
    '(the same schema and batch limit as `POST /api/events`); add `"ack": ID` to get `{"kind":"ack","id":ID,"seqs":[…]}` back ' +
    '(plus `"duplicates":[indexes]` when some events\' `id` was already held: those were not stored again, their seqs are the stored ones). ' +
    'Invalid events get `{"kind":"error","code":"invalid_event","issues":[{path,message}],"id":ID}` and nothing of that frame is published',
  "",
  "- `reset` `{reason, message, epoch, since, next, lost?}` when resuming and something after `since` is gone",
  '- with a JSON Web Token: the connection is closed with `4001` when the token expires, unless the client sent `{"kind":"refresh","token":"…"}` ' +
    "with a valid token of the same `sub` that allows the current subscription (answered with `refreshed`); what it receives is what it asked for " +
    "and what the token allows (see the `StreamPermissions` schema)",
  "- `checkpoint` `{kind, seq}` to filtered subscribers only, when the channel moved on without a match for `--checkpoint-ms` (5 s): " +
    "a position, not an event; resume with `since` = the latest `seq` of an event or checkpoint",
  "",
  "Resume with `?since=<last seq seen>&epoch=<epoch of that seq>`: every frame after `since` that the history holds comes first,",
  "in order, then live frames, with no gap and no duplicate. Filter with `?types=order.*,strategy.started` (event paths) or",
  "`?level=warn&source=risk-engine` (`/ws/logs`); a bad query answers the upgrade with 400.",
  "",
  "A plain HTTP GET with `Accept: text/event-stream` gets the same frames as Server-Sent Events:",
  SSE_DOC,
  "",
  "Any other plain HTTP GET (no `Upgrade: websocket`) gets 426 with this hint.",
].join("\n");

/** The frames the server sends on a channel's WebSocket (its data frame, and the control frames). */
const SERVER_FRAMES = {
  events: z.discriminatedUnion("kind", [HelloFrame, EventFrame, ResetFrame, CheckpointFrame, PongFrame, ErrorFrame, AckFrame, RefreshedFrame]),
  logs: z.discriminatedUnion("kind", [HelloFrame, LogFrame, ResetFrame, CheckpointFrame, PongFrame, ErrorFrame, RefreshedFrame]),
};

/** The frames a client may send on each channel's WebSocket: publish frames only where events are. */
function clientFrames(schemas: InputSchemas): Record<Channel, z.ZodType> {
  return { events: z.discriminatedUnion("kind", [PingFrame, publishFrameDoc(schemas), RefreshFrame]), logs: z.discriminatedUnion("kind", [PingFrame, RefreshFrame]) };
}

/** `connect` + the path in PascalCase: `/api/stream` → `connectApiStream`. */
const operationIdOf = (path: string) => `connect${path.split("/").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("")}`;

/** Documents the WebSocket paths and answers plain GETs on them with 426 and a hint. */
export function registerWebSocketPaths(app: App, deps: AppDeps) {
  // Built once: the document has one PublishFrame, and every path that takes it refers to it.
  const CLIENT_FRAMES = clientFrames(deps.schemas);
  for (const endpoint of WS_ENDPOINTS) {
    const route = createRoute({
      method: "get",
      path: endpoint.path,
      operationId: operationIdOf(endpoint.path),
      tags: ["websocket"],
      security: securityOf("get", endpoint.path),
      summary: `WebSocket: ${endpoint.description} (channel ${endpoint.channel})`,
      description: FRAMES_DOC,
      request: { query: streamQuery(endpoint.channel), headers: LastEventIdHeader },
      responses: {
        101: {
          description: "Switching Protocols: the connection is a WebSocket; each frame the server sends is one of these JSON objects",
          content: { "application/json": { schema: SERVER_FRAMES[endpoint.channel] } },
        },
        200: { description: "With `Accept: text/event-stream`: the frames as Server-Sent Events", content: { "text/event-stream": { schema: z.string() } } },
        // The upgrade's refusals, the plain GET's 426, and Server-Sent Events' header and connection limits.
        ...errorResponses("get", endpoint.path, ["invalid_query", "invalid_header", "bad_upgrade", "forbidden_origin", "upgrade_required", "too_many_connections"]),
      },
    });
    // Documented below with the frames a client sends; served without them: they are no HTTP body to validate.
    app.openAPIRegistry.registerPath({
      ...route,
      request: {
        ...route.request,
        body: {
          description: "Not an HTTP body: the frames a client may send once the WebSocket is open, one JSON object per text frame",
          content: { "application/json": { schema: CLIENT_FRAMES[endpoint.channel] } },
        },
      },
    });
    app.openapi({ ...route, hide: true }, (c) => {
      if (wantsEventStream(c)) return serveEventStream(c, deps, endpoint.channel, c.req.valid("query"), c.req.valid("header")["last-event-id"]);
      const host = c.req.header("host") ?? "localhost:8000";
      return sendProblem(c, problem("upgrade_required",
        `${endpoint.path} is a WebSocket endpoint: connect with a WebSocket client, e.g. wscat -c ws://${host}${endpoint.path}, ` +
          `or ask for Server-Sent Events: curl -N -H 'Accept: text/event-stream' http://${host}${endpoint.path}`,
        { details: { websocketEndpoints: WS_PATHS } },
      ));
    });
  }
}
