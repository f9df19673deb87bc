import type { ServerWebSocket } from "bun";
import type { Refusals } from "../access/counters.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { TRY_AGAIN_LATER } from "../protocol/close-codes.ts";

/**
 * Finds clients that stopped reading. Fan-out happens in Bun's native pub/sub, so no per-client
 * JavaScript runs on the publish path to notice a full buffer. Instead the watchdog counts the bytes
 * published and, every `maxBufferedBytes / 2` of them, checks each socket's queue: a queue can only grow
 * by what was published, so no client is ever found more than half a limit (plus one frame) past it.
 * No timers, and an idle server does no work. `server.publish`'s return value is not used: it describes
 * one subscriber, not all.
 */
export interface SlowConsumerWatchdog<T> {
  /** Called after each frame is published, with its size. */
  published(bytes: number): void;
  /** Checks every socket now; closes the ones over the limit. */
  sweep(): void;
  /** Checks one socket now (a reply to it was queued, not sent); closes it when over the limit. */
  check(ws: ServerWebSocket<T>): void;
  /** Closes a socket found `behind` bytes behind elsewhere (live frames queued behind its replay). */
  close(ws: ServerWebSocket<T>, behind: number): void;
  /** The limit: --max-buffered-bytes. */
  readonly maxBufferedBytes: number;
  /** The most bytes queued for any one client right now (how far behind the slowest one is). */
  backlog(): number;
}

export interface WatchdogOptions<T extends { path: string; remote: string }> {
  sockets: Set<ServerWebSocket<T>>;
  maxBufferedBytes: number;
  logger: Logger;
  refusals: Refusals;
  metrics: Recorder;
}

/** Creates the watchdog over `sockets`. */
export function createSlowConsumerWatchdog<T extends { path: string; remote: string }>({
  sockets, maxBufferedBytes, logger, refusals, metrics,
}: WatchdogOptions<T>): SlowConsumerWatchdog<T> {
  const every = Math.max(1, Math.floor(maxBufferedBytes / 2));
  let sinceSweep = 0;

  const close = (ws: ServerWebSocket<T>, buffered: number) => {
    sockets.delete(ws);
    refusals.slowConsumers++;
    metrics.slowConsumerClosed(ws.data.path);
    logger.warn("slow client closed: it stopped reading and fell too far behind", {
      path: ws.data.path, remote: ws.data.remote, bufferedBytes: buffered, limit: maxBufferedBytes,
      hint: "the client can reconnect and resume from the last seq it saw",
    });
    // The close frame is queued behind what is buffered: a client that wakes up reads everything, then 1013.
    ws.close(TRY_AGAIN_LATER, `too slow: ${buffered} bytes behind; reconnect and resume from your last seq`);
  };

  const sweep = () => {
    sinceSweep = 0;
    for (const ws of sockets) {
      const buffered = ws.getBufferedAmount();
      if (buffered > maxBufferedBytes) close(ws, buffered);
    }
  };

  return {
    published(bytes) {
      sinceSweep += bytes;
      if (sinceSweep >= every) sweep();
    },
    sweep,
    close,
    maxBufferedBytes,
    check(ws) {
      const buffered = ws.getBufferedAmount();
      if (buffered > maxBufferedBytes && sockets.has(ws)) close(ws, buffered);
    },
    backlog() {
      let most = 0;
      for (const ws of sockets) most = Math.max(most, ws.getBufferedAmount());
      return most;
    },
  };
}
