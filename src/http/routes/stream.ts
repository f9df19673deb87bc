import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Channel } from "../../hub/channels.ts";
import { EventStreamQuery, LastEventIdHeader, LogStreamQuery, subscribeRequest } from "../../protocol/subscription.ts";
import type { App, AppDeps, AppEnv } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { securityOf } from "../security-docs.ts";
import { sendProblem } from "../problem.ts";
import { eventStream } from "../sse.ts";
import { EVERYTHING, narrow } from "../../access/grant.ts";

export const SSE_DOC = [
  "Server-Sent Events (`curl -N`, `EventSource`): the same frames as the WebSocket paths, one per `data:` line —",
  "`hello` first, then (when resuming) the missed frames with a `reset` wherever something is missing, then live frames.",
  "Data frames carry `id: <seq>`, so an `EventSource` that reconnects resumes by itself through `Last-Event-ID`;",
  "a filtered stream's `checkpoint` frames carry it too, so its `Last-Event-ID` keeps up with the channel.",
  "A comment line (`: heartbeat`) every 15 s (`--sse-heartbeat-ms`) keeps proxies from closing an idle stream.",
  "A stream opened with a JSON Web Token ends when the token expires, with a comment saying so: reconnect with a fresh token.",
].join("\n");

/** True when the request asks for Server-Sent Events. */
export function wantsEventStream(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("text/event-stream");
}

/** Starts an SSE response for a request whose query and Last-Event-ID header the route validated. */
export function serveEventStream(c: Context<AppEnv>, deps: AppDeps, channel: Channel, query: EventStreamQuery | LogStreamQuery, lastEventId?: number) {
  const asked = subscribeRequest(channel, query, lastEventId);
  // What the token allows narrows the filter once; the stream then matches entries against it as always.
  const grant = c.get("grant") ?? EVERYTHING;
  const filter = narrow(grant, channel, asked.filter);
  if ("error" in filter) return sendProblem(c, filter);
  const request = { ...asked, filter };
  const server = c.env?.server;
  const remote = deps.clients.address(c.req.raw, server);
  // An SSE stream holds a connection as a WebSocket does: the same --max-connections limits apply.
  const refused = deps.admission.opened(remote);
  if (refused) return sendProblem(c, refused);
  // Bun closes connections idle for 10 s; the heartbeat keeps this one busy, and ending it is the client's call.
  server?.timeout(c.req.raw, 0);
  return eventStream({
    hub: deps.hub,
    checkpoints: deps.checkpoints,
    logger: deps.logger,
    connections: deps.connections,
    metrics: deps.metrics,
    request,
    path: c.req.path,
    remote,
    heartbeatMs: deps.config.sseHeartbeatMs,
    maxBufferedBytes: deps.config.maxBufferedBytes,
    signal: c.req.raw.signal,
    closing: deps.inflight.closing,
    ...(grant.expiresAt !== undefined ? { expiresAt: grant.expiresAt } : {}),
    ...(grant.sub !== undefined ? { sub: grant.sub } : {}),
    onEnd: () => deps.admission.closed(remote),
  });
}

/** GET /api/events/stream and GET /api/logs/stream. */
export function registerStreams(app: App, deps: AppDeps) {
  for (const [channel, query] of [["events", EventStreamQuery], ["logs", LogStreamQuery]] as const) {
    const route = createRoute({
      method: "get",
      path: `/api/${channel}/stream`,
      operationId: channel === "events" ? "streamEvents" : "streamLogs",
      tags: [channel],
      security: securityOf("get", `/api/${channel}/stream`),
      summary: `Stream ${channel === "events" ? "events" : "log lines"} as Server-Sent Events`,
      description: SSE_DOC,
      request: { query, headers: LastEventIdHeader },
      responses: {
        200: { description: "An endless text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
        ...errorResponses("get", `/api/${channel}/stream`, ["invalid_query", "invalid_header", "too_many_connections"]),
      },
    });
    app.openapi(route, (c) => serveEventStream(c, deps, channel, c.req.valid("query"), c.req.valid("header")["last-event-id"]));
  }
}
