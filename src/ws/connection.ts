import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { Checkpoints } from "../hub/checkpoints.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { INTERNAL_ERROR, MESSAGE_TOO_BIG, POLICY_VIOLATION, TRY_AGAIN_LATER } from "../protocol/close-codes.ts";
import { controlFrame, parseClientFrame, type ControlFrame, type PublishFrame } from "../protocol/frames.ts";
import type { Publishing } from "../access/publishing.ts";
import type { Refusals } from "../access/counters.ts";
import type { InboundBudget } from "../access/inbound-budget.ts";
import type { Admission } from "../access/admission.ts";
import type { Connections } from "../access/connections.ts";
import { startDelivery } from "./delivery.ts";
import type { SocketData } from "./socket-data.ts";
import type { Sockets } from "./sockets.ts";
import { createIngest } from "./ingest.ts";
import type { SlowConsumerWatchdog } from "./slow-consumers.ts";

export interface ConnectionDeps {
  hub: Hub;
  /** Filtered sockets also hold their filter's checkpoint topic. */
  checkpoints: Checkpoints;
  logger: Logger;
  connections: Connections;
  metrics: Recorder;
  /** The publish pipeline, shared with `POST /api/events`. */
  publishing: Publishing;
  admission: Admission;
  /** Every admitted socket (slow-consumer sweeps and shutdown reach them there). */
  sockets: Sockets;
  refusals: Refusals;
  inbound: InboundBudget;
  /** Replies (errors, pongs) count toward --max-buffered-bytes like published frames. */
  watchdog: SlowConsumerWatchdog<SocketData>;
}

/** A frame over maxPayloadLength: the client sees MESSAGE_TOO_BIG; Bun reports it here as 1006 with this reason. */
const isTooBig = (code: number, reason: string) => code === MESSAGE_TOO_BIG || /too big/i.test(reason);

const MAX_LOGGED_TEXT = 500;

/** The WebSocket lifecycle: the only code that touches `ServerWebSocket`. */
export function createSocketHandlers(deps: ConnectionDeps): WebSocketHandler<SocketData> {
  const { hub, checkpoints, logger, connections, metrics, publishing, admission, sockets, refusals, inbound, watchdog } = deps;
  const ingest = createIngest({ publishing, logger });

  /** Sends a control frame; a client that does not read its replies falls behind like any slow consumer. */
  const reply = (ws: ServerWebSocket<SocketData>, frame: ControlFrame) => {
    if (ws.send(controlFrame(frame)) === -1) watchdog.check(ws);
  };

  /**
   * Counts one inbound frame against the client's budget; over it, the client gets one error frame and
   * 1008. Checked before any parsing, so a flood costs a subtraction a frame. Once a socket is closed Bun
   * runs no handler for what it still reads (measured: none of millions of frames), so nothing after it is processed.
   */
  const withinBudget = (ws: ServerWebSocket<SocketData>, bytes: number): boolean => {
    const d = ws.data;
    if (!inbound.enabled || inbound.spend(d.inbound!, bytes, performance.now())) return true;
    refusals.inboundLimit++;
    logger.warn("WebSocket client closed: it sent more than its inbound budget", { path: d.path, remote: d.remote, hint: inbound.describe });
    ws.send(controlFrame({ kind: "error", code: "inbound_limit", message: inbound.describe }));
    // Bun reads and discards until the client answers the close (or 4–16 s pass): kernel copies, no JS.
    ws.close(POLICY_VIOLATION, "inbound limit exceeded: sent too many frames or bytes per second");
    return false;
  };

  /** Publish frames go through the pipeline POST uses, as the publisher the upgrade resolved. */
  const publish = (ws: ServerWebSocket<SocketData>, frame: PublishFrame) => {
    const { channel, publisher } = ws.data;
    void ingest(frame, channel, publisher).then((answer) => {
      metrics.publishFrameAnswered(channel, answer?.kind === "error" ? answer.code : "ok");
      if (answer) reply(ws, answer);
    });
  };

  return {
    open(ws) {
      const { path, remote } = ws.data;
      ws.data.inbound = inbound.fresh(performance.now());
      const refused = admission.opened(remote);
      if (refused) {
        logger.warn("WebSocket connection refused: connection limit reached", { path, remote, reason: refused.message });
        ws.close(TRY_AGAIN_LATER, "too many connections; retry later");
        return;
      }
      ws.data.admitted = true;
      sockets.admit(ws);
      ws.data.stop = startDelivery(ws, { hub, checkpoints, logger, metrics, watchdog });
      const total = connections.opened(path);
      metrics.connected(path);
      logger.info("client connected", { path, remote, connections: total });
    },

    message(ws, message) {
      if (!withinBudget(ws, typeof message === "string" ? message.length : message.byteLength)) return;
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
        // A publish frame that fails its envelope (an unknown key, a bad ack) is a publish outcome all the same.
        if (parsed.kind === "publish") metrics.publishFrameAnswered(ws.data.channel, parsed.code);
        reply(ws, { kind: "error", code: parsed.code, message: parsed.message });
        return;
      }
      switch (parsed.frame.kind) {
        case "ping":
          reply(ws, { kind: "pong", ...(parsed.frame.id !== undefined ? { id: parsed.frame.id } : {}) });
          break;
        case "publish":
          publish(ws, parsed.frame);
          break;
      }
    },

    drain(ws) {
      ws.data.drain?.();
    },

    // Control frames cost work too (Bun answers each ping with a pong): they draw on the same budget.
    ping(ws, data) {
      withinBudget(ws, data.byteLength);
    },
    pong(ws, data) {
      withinBudget(ws, data.byteLength);
    },

    close(ws, code, reason) {
      const { path, remote, admitted } = ws.data;
      if (!admitted) return;
      ws.data.stop?.();
      sockets.release(ws);
      admission.closed(remote);
      const total = connections.closed(path);
      metrics.disconnected(path);
      if (isTooBig(code, reason)) {
        refusals.oversizeFrames++;
        logger.warn("client closed for sending a frame larger than --max-frame-bytes", { path, remote, code });
      }
      logger.info("client disconnected", { path, remote, code, reason: reason || undefined, connections: total });
    },

    error(err, ws) {
      // A throwing handler must not take the process down; log it and drop this client only.
      logger.error("unexpected error on a WebSocket connection; closing it", { path: ws.data.path, remote: ws.data.remote, error: err });
      ws.close(INTERNAL_ERROR, "internal error; reconnect");
    },
  };
}
