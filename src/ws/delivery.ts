import type { ServerWebSocket } from "bun";
import { replays } from "../hub/catchup.ts";
import type { Checkpoints } from "../hub/checkpoints.ts";
import type { Entry } from "../hub/envelope.ts";
import { filterTopics } from "../hub/filter.ts";
import type { Hub } from "../hub/hub.ts";
import { createOutbox, type Outbox } from "../hub/outbox.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { INTERNAL_ERROR } from "../protocol/close-codes.ts";
import { openingFrames } from "../protocol/opening.ts";
import type { SocketData } from "./socket-data.ts";
import type { SlowConsumerWatchdog } from "./slow-consumers.ts";

export interface DeliveryOptions {
  hub: Hub;
  checkpoints: Checkpoints;
  logger: Logger;
  metrics: Recorder;
  /** Closes a client whose live frames queue past --max-buffered-bytes behind its replay. */
  watchdog: SlowConsumerWatchdog<SocketData>;
}

/**
 * Starts a socket's stream: hello, the replay when resuming, then live frames through Bun's native pub/sub.
 * A replay goes out as fast as the client reads it: frames are sent while Bun's queue for the socket stays
 * under half of --max-buffered-bytes, and the rest follows on `drain` (`ws.data.drain`). Live entries
 * that arrive meanwhile queue behind the replay (in JS, bounded); once the queue is empty the socket
 * subscribes to its native topics in the same tick, so nothing is lost or sent twice at the hand-over.
 * A filtered socket's checkpoint topic is among them, so no checkpoint overtakes a replay still queued.
 * Returns a function that stops it (the socket closed, possibly mid-replay).
 */
export function startDelivery(ws: ServerWebSocket<SocketData>, { hub, checkpoints, logger, metrics, watchdog }: DeliveryOptions): () => void {
  const { channel, path, remote, subscription } = ws.data;
  const { maxBufferedBytes } = watchdog;
  const window = Math.max(1, Math.floor(maxBufferedBytes / 2));
  let outbox: Outbox<string> | undefined;
  let stopped = false;
  let stop: () => void = () => void (stopped = true);

  /**
   * Sends one frame (compressed if the client negotiated permessage-deflate, as live frames are); true while
   * Bun's queue for the socket has room for more. That queue holds what goes on the wire, compressed or not.
   */
  const send = (frame: string) => {
    const status = ws.send(frame, true);
    return status > 0 || (status === -1 && ws.getBufferedAmount() < window);
  };
  const live = () => {
    for (const topic of filterTopics(subscription.filter)) ws.subscribe(topic);
    const checkpointTopic = checkpoints.topicFor(subscription.filter);
    if (checkpointTopic !== undefined) ws.subscribe(checkpointTopic);
  };
  const pump = () => {
    if (!outbox || ws.readyState !== WebSocket.OPEN) return;
    let done = false;
    ws.cork(() => {
      done = outbox!.flush(send);
      if (done) live();
    });
    if (!done) return;
    // Everything queued is out and the topics are held: from here on Bun's pub/sub delivers.
    outbox = undefined;
    ws.data.drain = undefined;
    stop();
  };

  const resuming = replays(subscription);
  stop = hub.subscribe(subscription, {
    start(position, resumed) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frames = openingFrames(channel, path, position, resumed, subscription.resume?.since);
      if (!resuming) {
        ws.cork(() => {
          ws.send(frames[0]!.text, true);
          live();
        });
        return;
      }
      outbox = createOutbox(frames.map((f) => f.text), (text) => text.length);
      ws.data.drain = pump;
      pump();
      if (resumed) {
        metrics.replayed(channel, frames);
        logger.info(resumed.complete ? "client resumed" : "client resumed with a gap (sent reset)", {
          path, remote, since: subscription.resume?.since, replayed: frames.length - 1, seq: position.seq,
        });
      }
    },
    // Only a resuming socket listens in JS, for what arrives during its replay; the others go native at once.
    live: resuming ? (entries: Entry[]) => queueLive(entries) : undefined,
    fail(error) {
      logger.error("could not read history for a resuming client; closing it so it retries", { path, remote, error });
      ws.close(INTERNAL_ERROR, "could not read history; reconnect to retry");
    },
  });
  if (stopped) stop();

  function queueLive(entries: Entry[]) {
    if (!outbox) return;
    const behind = outbox.push(entries.map((e) => e.frame));
    if (behind <= maxBufferedBytes) return;
    outbox = undefined;
    stop();
    watchdog.close(ws, behind);
  }

  return () => stop();
}
