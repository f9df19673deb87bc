import { createRoute, z } from "@hono/zod-openapi";
import { CHANNELS } from "../../hub/channels.ts";
import { WS_ENDPOINTS } from "../../protocol/endpoints.ts";
import { VERSION } from "../../version.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { securityOf } from "../security-docs.ts";

const ChannelHealth = z.object({
  seq: z.number().int().openapi({ description: "Last seq published on the channel" }),
  epoch: z.string(),
  subscribers: z.number().int().openapi({ description: "Open WebSocket connections on the channel's paths" }),
});

export const HealthBody = z
  .object({
    status: z.enum(["ok", "degraded"]),
    reason: z.string().optional().openapi({ description: "Why the status is degraded (e.g. Redis unreachable); publishes answer 503 meanwhile" }),
    version: z.string().openapi({ example: "0.1.0" }),
    uptime: z.number().openapi({ description: "Seconds since start", example: 42.5 }),
    connections: z.record(z.string(), z.number().int()).openapi({ example: { "/ws": 1, "/api/stream": 2, "/ws/logs": 0 } }),
    channels: z.object({ events: ChannelHealth, logs: ChannelHealth }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/api/health",
  operationId: "getHealth",
  tags: ["health"],
  security: securityOf("get", "/api/health"),
  summary: "Liveness and readiness",
  responses: {
    200: { description: "The server is up", content: { "application/json": { schema: HealthBody } } },
    ...errorResponses("get", "/api/health", []),
  },
});

/** GET /api/health. */
export function registerHealth(app: App, { hub, connections, startedAt }: AppDeps) {
  app.openapi(route, (c) => {
    const perPath = connections.byPath();
    const channels = Object.fromEntries(
      CHANNELS.map((channel) => {
        const subscribers = WS_ENDPOINTS.filter((e) => e.channel === channel).reduce((n, e) => n + (perPath[e.path] ?? 0), 0);
        return [channel, { ...hub.position(channel), subscribers }];
      }),
    ) as z.infer<typeof HealthBody>["channels"];
    const health = hub.health();
    const status = health.ok ? { status: "ok" as const } : { status: "degraded" as const, reason: health.reason };
    return c.json(
      { ...status, version: VERSION, uptime: (Date.now() - startedAt) / 1000, connections: perPath, channels },
      200,
    );
  });
}
