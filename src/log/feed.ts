import type { LogLine } from "./line.ts";

/** The logger's way onto the `logs` channel, batched. */
export interface LogFeed {
  /** Queues a line; resolves once the batch holding it is published (rejects if that failed). */
  push(line: LogLine): Promise<void>;
  /** Publishes what is queued now (before the hub closes). */
  flush(): Promise<void>;
}

/**
 * Puts the server's own log lines on the `logs` channel as one publish per turn of the event loop rather
 * than one per line: a burst of connects is then one history transaction (one fsync with --data, one
 * script with Redis), not hundreds. Order and seqs are unchanged; lines arrive at most one turn later.
 */
export function createLogFeed(publish: (lines: LogLine[]) => Promise<unknown>, maxBatch: number): LogFeed {
  let queue: LogLine[] = [];
  let pending: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    const lines = queue;
    const done = pending;
    queue = [];
    pending = undefined;
    if (lines.length === 0) return;
    try {
      for (let i = 0; i < lines.length; i += maxBatch) await publish(lines.slice(i, i + maxBatch));
      done?.resolve();
    } catch (err) {
      done?.reject(err);
    }
  };

  return {
    push(line) {
      queue.push(line);
      pending ??= Promise.withResolvers<void>();
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return pending.promise;
    },
    flush,
  };
}
