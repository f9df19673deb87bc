import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { SubscribeRequest } from "../hub/catchup.ts";
import type { Channel } from "../hub/channels.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { controlFrame, parseClientFrame, type ControlFrame } from "../protocol/frames.ts";
import type { InputSchemas } from "../protocol/inputs.ts";
import type { Connections } from "./connections.ts";
import { startDelivery } from "./delivery.ts";
import { createIngest } from "./ingest.ts";

/** What the upgrade attaches to each socket. */
export interface SocketData {
  path: string;
  channel: Channel;
  remote: string;
  /** Filter and resume point, from the upgrade's query string. */
  subscription: SubscribeRequest;
  /** Stops a replay still in progress. */
  stop?: () => void;
}

export interface ConnectionDeps {
  hub: Hub;
  logger: Logger;
  connections: Connections;
  metrics: Recorder;
  schemas: InputSchemas;
}

const MAX_LOGGED_TEXT = 500;

/** The WebSocket lifecycle: the only code that touches `ServerWebSocket`. */
export function createSocketHandlers({ hub, logger, connections, metrics, schemas }: ConnectionDeps): WebSocketHandler<SocketData> {
  const ingest = createIngest({ hub, schemas, logger });
  return {
    open(ws) {
      const { path, remote } = ws.data;
      ws.data.stop = startDelivery(ws, hub, logger, metrics);
      const total = connections.opened(path);
      metrics.connected(path);
      logger.info("client connected", { path, remote, connections: total });
    },

    message(ws, message) {
      const { path, remote } = ws.data;
      if (typeof message !== "string") {
        logger.info("binary frame from client ignored", { path, remote, bytes: message.byteLength });
        reply(ws, { kind: "error", code: "unsupported", message: "binary frames are not supported; send JSON text frames" });
        return;
      }
      // Publishers send many frames: no line per frame at the default level.
      if (logger.enabled("debug")) logger.debug("message from client", { path, remote, text: message.slice(0, MAX_LOGGED_TEXT) });
      const parsed = parseClientFrame(message);
      if (!parsed.ok) {
        reply(ws, { kind: "error", code: parsed.code, message: parsed.message });
        return;
      }
      switch (parsed.frame.kind) {
        case "ping":
          reply(ws, { kind: "pong", ...(parsed.frame.id !== undefined ? { id: parsed.frame.id } : {}) });
          break;
        case "publish":
          void ingest(parsed.frame, ws.data.channel).then((answer) => answer && reply(ws, answer));
          break;
      }
    },

    close(ws, code, reason) {
      const { path, remote } = ws.data;
      ws.data.stop?.();
      const total = connections.closed(path);
      metrics.disconnected(path);
      logger.info("client disconnected", { path, remote, code, reason: reason || undefined, connections: total });
    },
  };
}

function reply(ws: ServerWebSocket<SocketData>, frame: ControlFrame) {
  ws.send(controlFrame(frame));
}
