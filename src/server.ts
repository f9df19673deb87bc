import type { Server } from "bun";
import { createAccess } from "./access/access.ts";
import { createRefusals, type Refusals } from "./access/counters.ts";
import { createInboundBudget } from "./access/inbound-budget.ts";
import type { Config } from "./config.ts";
import { createLocalBroker } from "./hub/broker-local.ts";
import { dataDirOf, openHistoryStore } from "./hub/history/open.ts";
import { retention } from "./hub/history/store.ts";
import { createRedisBroker } from "./hub/redis/broker.ts";
import { createCheckpoints } from "./hub/checkpoints.ts";
import { createFanout } from "./hub/fanout.ts";
import { createHub, type Hub } from "./hub/hub.ts";
import { createHttp } from "./http/app.ts";
import { unexpectedFailure } from "./http/failure.ts";
import { createShuttingDownAnswer } from "./http/shutting-down.ts";
import { createLogFeed } from "./log/feed.ts";
import type { Logger } from "./log/logger.ts";
import { createMetrics, timeFanout, type Metrics } from "./metrics/metrics.ts";
import { inputSchemas } from "./protocol/inputs.ts";
import { problemResponse } from "./protocol/problem.ts";
import { createInflight } from "./access/inflight.ts";
import { createPublishing } from "./access/publishing.ts";
import { within } from "./hub/within.ts";
import { createAdmission } from "./access/admission.ts";
import { createClients, trustWarning } from "./access/client.ts";
import { createConnections, type Connections } from "./access/connections.ts";
import { createSocketHandlers } from "./ws/connection.ts";
import { attachPubSub } from "./ws/pubsub.ts";
import { createSockets } from "./ws/sockets.ts";
import type { SocketData } from "./ws/socket-data.ts";
import { createSlowConsumerWatchdog } from "./ws/slow-consumers.ts";
import { slowDrainSeconds, socketOptions } from "./ws/transport.ts";
import { createUpgrade } from "./ws/upgrade.ts";

/** A listening server and how to stop it. */
export interface RunningServer {
  url: URL;
  port: number;
  hub: Hub;
  connections: Connections;
  metrics: Metrics;
  /** Resolves once the broker knows where every stream stands (with --redis: once Redis answered). */
  ready: Promise<void>;
  /** What the guards refused or cut off, by reason. */
  refusals: Refusals;
  /** The most bytes queued for any one WebSocket client right now. */
  backlog(): number;
  /** Closes every connection at once and releases the port. */
  stop(): Promise<void>;
  /**
   * Graceful stop: answer every new request 503 shutting_down while publishes in flight finish and reach
   * their subscribers, close every WebSocket with 1001, end event streams, then stop listening; give up
   * waiting after `timeoutMs`.
   */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * How long a shutting-down server still listens once its publishes are drained. A request a client sent
 * on a kept-alive connection before it learnt of the shutdown still arrives and gets its 503; closing
 * at once would reset that connection under it, and resets were what clients saw.
 */
const LISTEN_GRACE_MS = 100;

/** The port is taken: a user-facing failure, not a bug. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** Wires hub, HTTP app and WebSocket handlers into one `Bun.serve`. */
export function startServer(config: Config, logger: Logger): RunningServer {
  const startedAt = Date.now();
  const fanout = createFanout((error) =>
    logger.error("a delivery listener failed (a bug: please report it with this line); its subscriber may have missed these entries, the others and the publisher were not affected", { error }),
  );
  const sockets = createSockets();
  const broker = config.redis
    ? createRedisBroker({
        url: config.redis, prefix: config.redisPrefix, timeoutMs: config.redisTimeoutMs, ...retention(config), deliver: fanout.deliver, logger,
        onRecreated: (channel, epoch) => sockets.recreated(channel, epoch),
      })
    : createLocalBroker({
        deliver: fanout.deliver,
        store: openHistoryStore(retention(config), dataDirOf(config)),
        groupCommit: config.data !== undefined, // one fsync per turn of the event loop, not per request
      });
  const hub = createHub(broker, fanout);
  const checkpoints = createCheckpoints(fanout, config.checkpointMs);
  const connections = createConnections();
  const schemas = inputSchemas(config);
  const refusals = createRefusals();
  const metrics = createMetrics({ hub, connections, refusals });
  const access = createAccess(config, refusals, logger);
  const admission = createAdmission(config, refusals);
  const clients = createClients(config.trustedProxy);
  const inflight = createInflight();
  const watchdog = createSlowConsumerWatchdog({
    sockets: sockets.all, maxBufferedBytes: config.maxBufferedBytes, drainSeconds: slowDrainSeconds(config), logger, refusals, metrics,
  });
  const publishing = createPublishing({ hub, schemas, access, inflight, logger });
  const http = createHttp({ config, hub, checkpoints, logger, connections, schemas, startedAt, metrics, access, inflight, publishing, admission, clients });
  const upgrade = createUpgrade({ access, admission, clients, logger });
  const inbound = createInboundBudget({
    framesPerSecond: config.maxInboundFrames, bytesPerSecond: config.maxInboundBytes, burstSeconds: config.inboundBurst, maxFrameBytes: config.maxFrameBytes,
  });
  const shuttingDown = createShuttingDownAnswer(logger, config.corsOrigin);

  let server: Server<SocketData>;
  try {
    server = Bun.serve<SocketData>({
      port: config.port,
      hostname: config.host,
      // Bun's own cap sits far above ours so that oversize bodies get our JSON 413 (the body-limit middleware
      // answers from Content-Length, or stops reading a chunked body at the limit), not a bare 413 from Bun.
      maxRequestBodySize: Math.max(config.maxBodyBytes * 16, 1 << 30),
      fetch(req, srv) {
        if (inflight.draining) return shuttingDown(req);
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return http(req, srv);
        return upgrade(req, srv);
      },
      websocket: {
        ...socketOptions(config),
        ...createSocketHandlers({ hub, checkpoints, logger, connections, metrics, publishing, admission, sockets, refusals, inbound, watchdog, access }),
      },
      error(err) {
        return problemResponse(unexpectedFailure(err, logger));
      },
    });
  } catch (err) {
    void hub.close(); // release the history database (--data) for whoever runs next
    const code = (err as { code?: string }).code;
    if (code === "EADDRINUSE" || /in use/i.test(String(err))) {
      throw new PortInUseError(`port ${config.port} is already in use on ${config.host}; stop the other process or choose another port with --port`);
    }
    throw err;
  }

  attachPubSub(fanout, checkpoints, server, metrics, watchdog);
  timeFanout(fanout, metrics);
  const warning = access.warning();
  if (warning) logger.warn(warning);
  const trust = trustWarning(config.trustedProxy);
  if (trust) logger.warn(trust);
  const feed = createLogFeed(async (lines) => hub.publishLogs(lines), config.maxBatch);
  logger.feed(feed.push);

  const url = new URL(`http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`);
  return {
    url,
    port: server.port!,
    hub,
    connections,
    metrics,
    ready: broker.ready(),
    refusals,
    backlog: () => watchdog.backlog(),
    async stop() {
      checkpoints.close();
      await server.stop(true);
      await feed.flush();
      await hub.close();
    },
    async shutdown(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const left = () => deadline - Date.now();
      // Still listening while draining: each new request is answered 503 (see fetch), none is reset.
      if (!(await within(inflight.drain(), left()))) logger.warn("shutdown: gave up waiting for publishes in flight");
      logger.info("closing WebSocket connections", { connections: sockets.goingAway() });
      inflight.close();
      checkpoints.close();
      await Bun.sleep(Math.max(0, Math.min(LISTEN_GRACE_MS, left())));
      const stopped = server.stop(false); // stop listening; requests in flight still complete
      if (!(await within(stopped, left()))) {
        logger.warn("shutdown: clients did not close in time; cutting them off", { timeoutMs });
        await server.stop(true);
      }
      await feed.flush();
      await hub.close();
    },
  };
}
