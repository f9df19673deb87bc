import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { Checkpoints } from "../hub/checkpoints.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { INTERNAL_ERROR, MESSAGE_TOO_BIG, POLICY_VIOLATION, TOKEN_EXPIRED, TRY_AGAIN_LATER } from "../protocol/close-codes.ts";
import { controlFrame, parseClientFrame, type ControlFrame, type PublishFrame } from "../protocol/frames.ts";
import type { Publishing } from "../access/publishing.ts";
import type { Refusals } from "../access/counters.ts";
import type { InboundBudget } from "../access/inbound-budget.ts";
import type { Admission } from "../access/admission.ts";
import type { Connections } from "../access/connections.ts";
import type { Access } from "../access/access.ts";
import { allowsSubscription, describe, holder, MAX_TIMER_MS } from "../access/grant.ts";
import { startDelivery } from "./delivery.ts";
import { redactTokenField } from "../log/redact.ts";
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
  /** Checks the token of a refresh frame. */
  access: Access;
}

/** A frame over maxPayloadLength: the client sees MESSAGE_TOO_BIG; Bun reports it here as 1006 with this reason. */
const isTooBig = (code: number, reason: string) => code === MESSAGE_TOO_BIG || /too big/i.test(reason);

const MAX_LOGGED_TEXT = 500;

/** The WebSocket lifecycle: the only code that touches `ServerWebSocket`. */
export function createSocketHandlers(deps: ConnectionDeps): WebSocketHandler<SocketData> {
  const { hub, checkpoints, logger, connections, metrics, publishing, admission, sockets, refusals, inbound, watchdog, access } = deps;
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

  /**
   * Arms the connection's one expiry timer from its grant: no check per frame, one timer per connection
   * whose token expires (none for static tokens). At expiry the client is closed with TOKEN_EXPIRED.
   */
  const armExpiry = (ws: ServerWebSocket<SocketData>) => {
    clearTimeout(ws.data.expiry);
    const at = ws.data.grant.expiresAt;
    if (at === undefined) return void (ws.data.expiry = undefined);
    ws.data.expiry = setTimeout(() => {
      if (Date.now() < at) return armExpiry(ws);
      const { path, remote, grant } = ws.data;
      refusals.expiredTokens++;
      logger.info("client closed: its token expired", { path, remote, sub: grant.sub });
      ws.close(TOKEN_EXPIRED, "token expired: reconnect with a fresh token, or send a refresh frame before it expires");
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
  };

  /** A refresh frame: a valid token that allows the current subscription replaces the connection's, and its expiry. */
  const refresh = (ws: ServerWebSocket<SocketData>, token: string) => {
    const { path, remote } = ws.data;
    void Promise.resolve(access.connect(token, () => remote, "a refresh frame")).then((checked) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const { channel, subscription, grant: current } = ws.data;
      if (checked.refusal) return reply(ws, { kind: "error", code: checked.refusal.error, message: `refresh refused, the connection keeps its token: ${checked.refusal.message}` });
      const { grant, publisher } = checked;
      let refused: string | undefined;
      if (current.sub !== undefined && grant.sub === undefined) {
        refused = `the new token names no sub (a static token, or a JSON Web Token without one), this connection's is ${JSON.stringify(current.sub)}: connect anew with it`;
      } else if (current.sub !== undefined && grant.sub !== current.sub) refused = `the new token is for another sub than ${JSON.stringify(current.sub)}: connect anew with it`;
      else if (!allowsSubscription(grant, channel, subscription.filter)) {
        refused = `${holder(grant)} does not allow this connection's subscription (${describe(subscription.filter)}): connect anew with it`;
      }
      if (refused) {
        logger.info("token refresh refused", { path, remote, sub: current.sub, reason: refused });
        return reply(ws, { kind: "error", code: "forbidden", message: `refresh refused, the connection keeps its token: ${refused}` });
      }
      ws.data.grant = grant;
      ws.data.publisher = publisher;
      armExpiry(ws);
      const expires = grant.expiresAt === undefined ? undefined : new Date(grant.expiresAt).toISOString();
      logger.info("client refreshed its token", { path, remote, sub: grant.sub, expires });
      reply(ws, { kind: "refreshed", ...(grant.sub !== undefined ? { sub: grant.sub } : {}), ...(expires ? { expires } : {}), ...(grant.permissions ? { permissions: grant.permissions } : {}) });
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
      armExpiry(ws);
      const total = connections.opened(path);
      metrics.connected(path);
      logger.info("client connected", { path, remote, sub: ws.data.grant.sub, connections: total });
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
      if (logger.enabled("debug")) logger.debug("message from client", { path, remote, text: redactTokenField(message).slice(0, MAX_LOGGED_TEXT) });
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
        case "refresh":
          refresh(ws, parsed.frame.token);
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
      clearTimeout(ws.data.expiry);
      ws.data.stop?.();
      sockets.release(ws);
      admission.closed(remote);
      const total = connections.closed(path);
      metrics.disconnected(path);
      if (isTooBig(code, reason)) {
        refusals.oversizeFrames++;
        logger.warn("client closed for sending a frame larger than --max-frame-bytes", { path, remote, code });
      }
      logger.info("client disconnected", { path, remote, sub: ws.data.grant.sub, code, reason: reason || undefined, connections: total });
    },

    error(err, ws) {
      // A throwing handler must not take the process down; log it and drop this client only.
      logger.error("unexpected error on a WebSocket connection; closing it", { path: ws.data.path, remote: ws.data.remote, error: err });
      ws.close(INTERNAL_ERROR, "internal error; reconnect");
    },
  };
}
