import type { ServerWebSocket } from "bun";
import { filterTopics } from "../hub/filter.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { openingFrames } from "../protocol/opening.ts";
import type { SocketData } from "./connection.ts";

/**
 * Starts a socket's stream: hello, the replay when resuming, then live frames through Bun's native pub/sub.
 * Until the replay is sent the socket is not subscribed to any topic; the hub buffers live entries for it in JS
 * and, in the same tick as the merge, the replay is sent and the topics subscribed: no gap, no duplicate.
 * Returns a function that stops a replay still in progress (the socket closed).
 */
export function startDelivery(ws: ServerWebSocket<SocketData>, hub: Hub, logger: Logger, metrics: Recorder): () => void {
  const { channel, path, remote, subscription } = ws.data;
  return hub.subscribe(subscription, {
    start(position, resumed) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frames = openingFrames(channel, path, position, resumed, subscription.resume?.since);
      ws.cork(() => {
        for (const frame of frames) ws.send(frame.text);
        for (const topic of filterTopics(subscription.filter)) ws.subscribe(topic);
      });
      if (resumed) {
        metrics.replayed(channel, frames);
        logger.info(resumed.complete ? "client resumed" : "client resumed with a gap (sent reset)", {
          path, remote, since: subscription.resume?.since, replayed: frames.length - 1, seq: position.seq,
        });
      }
    },
    fail(error) {
      logger.error("could not read history for a resuming client; closing it so it retries", { path, remote, error });
      ws.close(1011, "could not read history; reconnect to retry");
    },
  });
}
