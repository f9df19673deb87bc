import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Access } from "../access/access.ts";
import type { Grant } from "../access/grant.ts";
import type { Server } from "bun";
import type { Config } from "../config.ts";
import type { Checkpoints } from "../hub/checkpoints.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { InputSchemas } from "../protocol/inputs.ts";
import type { Inflight } from "../access/inflight.ts";
import type { Publishing } from "../access/publishing.ts";
import type { Admission } from "../access/admission.ts";
import type { Clients } from "../access/client.ts";
import type { Connections } from "../access/connections.ts";

/** Per-request values the middleware sets. */
export type AppEnv = {
  /** `grant`: what the request's credential allows (set by the access guard on every route). */
  Variables: { problem?: string; grant?: Grant };
  /** Bun's server, when the app is served by it (absent under `app.request()` in tests). */
  Bindings: { server?: Server<unknown> } | undefined;
};

/** The Hono app type every route module registers on. */
export type App = OpenAPIHono<AppEnv>;

/** The settings the HTTP routes read. */
export type HttpSettings = Pick<Config, "corsOrigin" | "maxBodyBytes" | "maxBatch" | "metricsToken" | "sseHeartbeatMs" | "maxBufferedBytes">;

/** What routes need from the rest of the server; passed in, never imported as globals. */
export interface AppDeps {
  config: HttpSettings;
  hub: Hub;
  /** Filtered Server-Sent Events streams get their checkpoints from its ticks. */
  checkpoints: Checkpoints;
  logger: Logger;
  connections: Connections;
  schemas: InputSchemas;
  metrics: Metrics;
  /** Process start, ms since the Unix epoch. */
  startedAt: number;
  /** Tokens, origins and the publish rate. */
  access: Access;
  /** Publishes in flight, for graceful shutdown. */
  inflight: Inflight;
  /** The publish pipeline, shared with WebSocket publish frames. */
  publishing: Publishing;
  /** Connection limits, shared by WebSockets and Server-Sent Events streams. */
  admission: Admission;
  /** Who the client is (its address, behind a trusted proxy the forwarded one). */
  clients: Clients;
}
