import type { ServerWebSocket } from "bun";
import type { Refusals } from "../access/counters.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { TRY_AGAIN_LATER } from "../protocol/close-codes.ts";

/** How often a slow client's queue is looked at: its close frame follows its last frame within this. */
const DRAIN_CHECK_MS = 200;

/**
 * Finds clients that stopped reading. Fan-out happens in Bun's native pub/sub, so no per-client
 * JavaScript runs on the publish path to notice a full buffer. Instead the watchdog counts the bytes
 * published and, every `maxBufferedBytes / 2` of them, checks each socket's queue: a queue can only grow
 * by what was published, so no client is ever found more than half a limit (plus one frame) past it.
 * No timer on the publish path, and an idle server does no work. `server.publish`'s return value is not
 * used: it describes one subscriber, not all.
 *
 * A client found too slow is unsubscribed and paused (its queue stops growing; what it sends is left unread,
 * as after a close), and closed with 1013 only once it has read everything queued. `ws.close()` at once
 * would break the promise that it reads every frame, then the close: Bun force-closes a socket whose close
 * frame is still queued after 4 s (`--idle-timeout` 0–15), 8 s (16–31) or 16 s (32 and up), up to 4 s
 * sooner on a busy server (its timers tick every 4 s), and drops the queue; Bun has no option for it.
 * Measured on Bun 1.4.4: `bun bench/close-grace.ts close 60`. The bound stays: pausing also suspends
 * Bun's idle timeout, so a client that reads nothing of its queue for `drainSeconds` is cut off (1006)
 * here. One timer runs while such a client is pending, none otherwise.
 */
export interface SlowConsumerWatchdog<T> {
  /** Called after each frame is published, with its size. */
  published(bytes: number): void;
  /** Checks every socket now; stops feeding the ones over the limit, to close each once it has read its queue. */
  sweep(): void;
  /** Checks one socket now (a reply to it was queued, not sent), as `sweep` does. */
  check(ws: ServerWebSocket<T>): void;
  /** Treats a socket found `behind` bytes behind elsewhere (live frames queued behind its replay) as `sweep` does. */
  close(ws: ServerWebSocket<T>, behind: number): void;
  /** The limit: --max-buffered-bytes. */
  readonly maxBufferedBytes: number;
  /** The most bytes queued for any one client right now (how far behind the slowest one is). */
  backlog(): number;
  /** Closes the slow clients that have read their queue, cuts off those that read nothing for too long (every 200 ms). */
  settle(now: number): void;
  /** How many slow clients are still reading their queue before their close. */
  pending(): number;
}

export interface WatchdogOptions<T extends SlowConsumerData> {
  sockets: ReadonlySet<ServerWebSocket<T>>;
  maxBufferedBytes: number;
  /** How long a slow client may read nothing of its queue before it is cut off. */
  drainSeconds: number;
  logger: Logger;
  refusals: Refusals;
  metrics: Recorder;
}

/** What the watchdog reads from a socket's data: who it is, and how to stop a replay still in progress. */
export interface SlowConsumerData {
  path: string;
  remote: string;
  stop?: () => void;
}

/** A slow client reading its queue: its close reason, what it had left at the last look, and until when. */
interface Pending {
  reason: string;
  left: number;
  deadline: number;
}

/** Creates the watchdog over `sockets`. */
export function createSlowConsumerWatchdog<T extends SlowConsumerData>({
  sockets, maxBufferedBytes, drainSeconds, logger, refusals, metrics,
}: WatchdogOptions<T>): SlowConsumerWatchdog<T> {
  const every = Math.max(1, Math.floor(maxBufferedBytes / 2));
  const drainMs = drainSeconds * 1000;
  const pending = new Map<ServerWebSocket<T>, Pending>();
  let timer: Timer | undefined;
  let sinceSweep = 0;

  const settle = (now: number) => {
    for (const [ws, p] of pending) {
      const left = ws.getBufferedAmount();
      if (ws.readyState !== WebSocket.OPEN) pending.delete(ws); // gone meanwhile: it left, shutdown, stream recreated
      else if (left === 0) {
        pending.delete(ws);
        ws.close(TRY_AGAIN_LATER, p.reason); // nothing queued: the close frame goes out now, after every frame
      } else if (left < p.left) {
        p.left = left; // it reads: it gets the time to read the rest
        p.deadline = now + drainMs;
      } else if (now >= p.deadline) {
        pending.delete(ws);
        logger.warn("slow client cut off: it read nothing of its queue for drainSeconds", {
          path: ws.data.path, remote: ws.data.remote, bufferedBytes: left, drainSeconds,
          hint: "what it received is contiguous; it can reconnect and resume from the last seq it saw",
        });
        ws.terminate(); // frees the queue now; the client sees 1006
      }
    }
    if (pending.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  // It stays in `sockets` (shutdown and recreated streams still reach it) until it really closes.
  const stopFeeding = (ws: ServerWebSocket<T>, buffered: number) => {
    refusals.slowConsumers++;
    metrics.slowConsumerClosed(ws.data.path);
    logger.warn("slow client closed: it stopped reading and fell too far behind", {
      path: ws.data.path, remote: ws.data.remote, bufferedBytes: buffered, limit: maxBufferedBytes, drainSeconds,
      hint: "it gets what is queued, then 1013; it can reconnect and resume from the last seq it saw",
    });
    // No new frames for it, a replay included, so its queue only shrinks from here; nothing more read from it.
    ws.data.stop?.();
    for (const topic of ws.subscriptions) ws.unsubscribe(topic);
    ws.pause();
    const reason = `too slow: ${buffered} bytes behind; reconnect and resume from your last seq`;
    pending.set(ws, { reason, left: buffered, deadline: performance.now() + drainMs });
    timer ??= setInterval(() => settle(performance.now()), DRAIN_CHECK_MS);
    timer.unref(); // the sockets keep a running server alive; this alone must not keep a stopped one
  };

  const sweep = () => {
    sinceSweep = 0;
    for (const ws of sockets) {
      const buffered = ws.getBufferedAmount();
      if (buffered > maxBufferedBytes && !pending.has(ws)) stopFeeding(ws, buffered);
    }
  };

  return {
    published(bytes) {
      sinceSweep += bytes;
      if (sinceSweep >= every) sweep();
    },
    sweep,
    close(ws, behind) {
      if (!pending.has(ws)) stopFeeding(ws, behind);
    },
    maxBufferedBytes,
    check(ws) {
      const buffered = ws.getBufferedAmount();
      if (buffered > maxBufferedBytes && sockets.has(ws) && !pending.has(ws)) stopFeeding(ws, buffered);
    },
    backlog() {
      let most = 0;
      for (const ws of sockets) most = Math.max(most, ws.getBufferedAmount());
      return most;
    },
    settle,
    pending: () => pending.size,
  };
}
