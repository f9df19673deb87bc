import { createRoute, z } from "@hono/zod-openapi";
import { AckFrame, ErrorFrame, EventFrame, HelloFrame, LogFrame, PingFrame, PongFrame, publishFrameDoc, ResetFrame } from "../../protocol/frames.ts";
import { problem } from "../../protocol/problem.ts";
import { LastEventIdHeader, streamQuery } from "../../protocol/subscription.ts";
import { WS_ENDPOINTS, WS_PATHS } from "../../protocol/endpoints.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { sendProblem } from "../problem.ts";
import { serveEventStream, SSE_DOC, wantsEventStream } from "./stream.ts";

const FRAMES_DOC = [
  "Connect with a WebSocket client (e.g. `wscat -c ws://HOST/api/stream`). Every frame is one JSON object with a `kind`:",
  "",
  "- `hello` (first frame): channel, path, epoch, latest seq, server version; `resume: {since, complete}` when resuming",
  "- `event` `{kind, seq, id, type, source, time, data}` on the event paths; `log` `{kind, seq, time, level, message, source, fields}` on `/ws/logs`",
  '- send `{"kind":"ping"}` to get `{"kind":"pong"}`; anything else gets an `error` frame (`bad_json`, `unsupported`) and the connection stays open',
  '- publish on `/ws` or `/api/stream` without an HTTP request per event: `{"kind":"publish","event":{…}}` or `{"kind":"publish","events":[…]}` ' +
    '(the same schema and batch limit as `POST /api/events`); add `"ack": ID` to get `{"kind":"ack","id":ID,"seqs":[…]}` back. ' +
    'Invalid events get `{"kind":"error","code":"invalid_event","issues":[{path,message}],"id":ID}` and nothing of that frame is published',
  "",
  "- `reset` `{reason, message, epoch, since, next, lost?}` when resuming and something after `since` is gone",
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

/** Documents the WebSocket paths and answers plain GETs on them with 426 and a hint. */
export function registerWebSocketPaths(app: App, deps: AppDeps) {
  for (const endpoint of WS_ENDPOINTS) {
    const route = createRoute({
      method: "get",
      path: endpoint.path,
      tags: ["websocket"],
      summary: `WebSocket: ${endpoint.description} (channel ${endpoint.channel})`,
      description: FRAMES_DOC,
      request: { query: streamQuery(endpoint.channel), headers: LastEventIdHeader },
      responses: {
        101: {
          description: `Switching Protocols: frames follow (${endpoint.channel === "events" ? "hello, event" : "hello, log"}, pong, error)`,
          content: { "application/json": { schema: endpoint.channel === "events" ? EventFrame : LogFrame } },
        },
        200: { description: "With `Accept: text/event-stream`: the frames as Server-Sent Events", content: { "text/event-stream": { schema: z.string() } } },
        // The upgrade's refusals, the plain GET's 426, and Server-Sent Events' header and connection limits.
        ...errorResponses("get", endpoint.path, ["invalid_query", "invalid_header", "bad_upgrade", "forbidden_origin", "upgrade_required", "too_many_connections"]),
      },
    });
    app.openapi(route, (c) => {
      if (wantsEventStream(c)) return serveEventStream(c, deps, endpoint.channel, c.req.valid("query"), c.req.valid("header")["last-event-id"]);
      const host = c.req.header("host") ?? "localhost:8000";
      return sendProblem(c, problem("upgrade_required",
        `${endpoint.path} is a WebSocket endpoint: connect with a WebSocket client, e.g. wscat -c ws://${host}${endpoint.path}, ` +
          `or ask for Server-Sent Events: curl -N -H 'Accept: text/event-stream' http://${host}${endpoint.path}`,
        { details: { websocketEndpoints: WS_PATHS } },
      ));
    });
  }
  const PublishFrame = publishFrameDoc(deps.schemas);
  for (const [name, schema] of Object.entries({ HelloFrame, EventFrame, LogFrame, ResetFrame, PingFrame, PongFrame, ErrorFrame, PublishFrame, AckFrame })) {
    app.openAPIRegistry.register(name, schema);
  }
}
