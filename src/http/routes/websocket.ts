import { createRoute } from "@hono/zod-openapi";
import { AckFrame, ErrorFrame, EventFrame, HelloFrame, LogFrame, PingFrame, PongFrame, publishFrameDoc } from "../../protocol/frames.ts";
import type { InputSchemas } from "../../protocol/inputs.ts";
import { WS_ENDPOINTS, WS_PATHS } from "../../ws/endpoints.ts";
import type { App } from "../deps.ts";
import { problem, problemResponseDoc } from "../problem.ts";

const FRAMES_DOC = [
  "Connect with a WebSocket client (e.g. `wscat -c ws://HOST/api/stream`). Every frame is one JSON object with a `kind`:",
  "",
  "- `hello` (first frame): channel, path, epoch, latest seq, server version",
  "- `event` `{kind, seq, id, type, source, time, data}` on the event paths; `log` `{kind, seq, time, level, message, source, fields}` on `/ws/logs`",
  '- send `{"kind":"ping"}` to get `{"kind":"pong"}`; anything else gets an `error` frame (`bad_json`, `unsupported`) and the connection stays open',
  '- publish on `/ws` or `/api/stream` without an HTTP request per event: `{"kind":"publish","event":{…}}` or `{"kind":"publish","events":[…]}` ' +
    '(the same schema and batch limit as `POST /api/events`); add `"ack": ID` to get `{"kind":"ack","id":ID,"seqs":[…]}` back. ' +
    'Invalid events get `{"kind":"error","code":"invalid_event","issues":[{path,message}],"id":ID}` and nothing of that frame is published',
  "",
  "A plain HTTP GET (no `Upgrade: websocket`) gets 426 with this hint.",
].join("\n");

/** Documents the WebSocket paths and answers plain GETs on them with 426 and a hint. */
export function registerWebSocketPaths(app: App, schemas: InputSchemas) {
  for (const endpoint of WS_ENDPOINTS) {
    const route = createRoute({
      method: "get",
      path: endpoint.path,
      tags: ["websocket"],
      summary: `WebSocket: ${endpoint.description} (channel ${endpoint.channel})`,
      description: FRAMES_DOC,
      responses: {
        101: {
          description: `Switching Protocols: frames follow (${endpoint.channel === "events" ? "hello, event" : "hello, log"}, pong, error)`,
          content: { "application/json": { schema: endpoint.channel === "events" ? EventFrame : LogFrame } },
        },
        426: problemResponseDoc("A plain HTTP request on a WebSocket path"),
      },
    });
    app.openapi(route, (c) =>
      problem(c, 426, "upgrade_required", `${endpoint.path} is a WebSocket endpoint: connect with a WebSocket client, e.g. wscat -c ws://${c.req.header("host") ?? "localhost:8000"}${endpoint.path}`, {
        websocketEndpoints: WS_PATHS,
      }),
    );
  }
  const PublishFrame = publishFrameDoc(schemas);
  for (const [name, schema] of Object.entries({ HelloFrame, EventFrame, LogFrame, PingFrame, PongFrame, ErrorFrame, PublishFrame, AckFrame })) {
    app.openAPIRegistry.register(name, schema);
  }
}
