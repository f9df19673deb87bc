import type { Server } from "bun";
import type { Config } from "./config.ts";
import { createMemoryBroker } from "./hub/broker-memory.ts";
import { createRedisBroker } from "./hub/broker-redis.ts";
import { createFanout } from "./hub/fanout.ts";
import { createHub, type Hub } from "./hub/hub.ts";
import { createApp } from "./http/app.ts";
import { problemResponse } from "./http/problem.ts";
import type { Logger } from "./log/logger.ts";
import { createMetrics, attachMetered, type Metrics } from "./metrics/metrics.ts";
import { inputSchemas } from "./protocol/inputs.ts";
import { parseStreamQuery } from "./protocol/subscription.ts";
import { queryProblem } from "./http/validation.ts";
import { createConnections, type Connections } from "./ws/connections.ts";
import { createSocketHandlers, type SocketData } from "./ws/connection.ts";
import { endpointFor, WS_PATHS } from "./ws/endpoints.ts";

/** A listening server and how to stop it. */
export interface RunningServer {
  url: URL;
  port: number;
  hub: Hub;
  connections: Connections;
  metrics: Metrics;
  /** Resolves once the broker knows where every stream stands (with --redis: once Redis answered). */
  ready: Promise<void>;
  /** Closes every connection and releases the port. */
  stop(): Promise<void>;
}

/** The port is taken: a user-facing failure, not a bug. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** Wires hub, HTTP app and WebSocket handlers into one `Bun.serve`. */
export function startServer(config: Config, logger: Logger): RunningServer {
  const startedAt = Date.now();
  const fanout = createFanout();
  const broker = config.redis
    ? createRedisBroker({ url: config.redis, prefix: config.redisPrefix, historySize: config.historySize, deliver: fanout.deliver, logger })
    : createMemoryBroker({ historySize: config.historySize, deliver: fanout.deliver });
  const hub = createHub(broker, fanout);
  const connections = createConnections();
  const schemas = inputSchemas({ maxBodyBytes: config.maxBodyBytes, maxBatch: config.maxBatch, maxNameLength: 256 });
  const metrics = createMetrics({ hub, connections });
  const app = createApp({ config, hub, logger, connections, schemas, startedAt, metrics });

  let server: Server<SocketData>;
  try {
    server = Bun.serve<SocketData>({
      port: config.port,
      hostname: config.host,
      // Bun's own cap sits above ours so that oversize bodies get our JSON 413, not a bare reset.
      maxRequestBodySize: config.maxBodyBytes + 64 * 1024,
      fetch(req, srv) {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return app.fetch(req, { server: srv });
        const url = new URL(req.url);
        const path = url.pathname;
        const remote = srv.requestIP(req)?.address ?? "unknown";
        const endpoint = endpointFor(path);
        if (!endpoint) {
          logger.warn("WebSocket upgrade refused: no such endpoint", { path, remote });
          return problemResponse(404, "not_found", `no WebSocket endpoint at ${path}; connect to one of ${WS_PATHS.join(", ")}`, {
            path,
            websocketEndpoints: WS_PATHS,
          });
        }
        const query = parseStreamQuery(endpoint.channel, url.searchParams);
        if (!query.ok) {
          const refusal = queryProblem(query.error);
          logger.warn("WebSocket upgrade refused: bad query string", { path, remote, query: url.search.slice(0, 500) });
          return refusal;
        }
        const data: SocketData = { path: endpoint.path, channel: endpoint.channel, remote, subscription: query.request };
        if (srv.upgrade(req, { data })) return undefined;
        logger.warn("WebSocket upgrade failed", { path, remote });
        return problemResponse(400, "bad_upgrade", "the WebSocket handshake was malformed (missing Sec-WebSocket-Key or version?)");
      },
      websocket: createSocketHandlers({ hub, logger, connections, metrics, schemas }),
      error(err) {
        const requestId = crypto.randomUUID();
        logger.error("unexpected error while handling a request", { requestId, error: err });
        return problemResponse(500, "internal_error", `the server failed to handle this request; quote request id ${requestId}`, { requestId });
      },
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EADDRINUSE" || /in use/i.test(String(err))) {
      throw new PortInUseError(`port ${config.port} is already in use on ${config.host}; stop the other process or choose another port with --port`);
    }
    throw err;
  }

  attachMetered(fanout, metrics, { publish: (topic, frame) => server.publish(topic, frame), subscribers: (topic) => server.subscriberCount(topic) });
  logger.feed((line) => hub.publishLogs([line]));

  const url = new URL(`http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`);
  return {
    url,
    port: server.port!,
    hub,
    connections,
    metrics,
    ready: broker.ready(),
    async stop() {
      await server.stop(true);
      await hub.close();
    },
  };
}
