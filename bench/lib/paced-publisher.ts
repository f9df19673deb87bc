/**
 * A publisher on a fixed schedule, in its own thread: event k of a run goes out at start + k / rate,
 * whatever the subscribers in the main thread are busy with (1,000 of them receiving keep its event loop
 * busy most of the time, and a publisher sharing that loop sent late, then in bursts). Each event carries
 * its send time (`eventJson`'s `sentUs`, on the shared clock), so every delivery's latency is read from
 * its own frame. The thread body is `paced-publisher-worker.ts`.
 */
import { clockOffset } from "./clock.ts";

/** Main thread → worker. */
export type PacedCommand =
  | { kind: "open"; host: string; port: number; path: string; rate: number }
  | { kind: "clock" }
  | { kind: "adopt-clock"; offsetMs: number }
  | { kind: "run"; ms: number };

/** Worker → main thread. */
export type PacedReply =
  | { kind: "opened" }
  | { kind: "clock"; now: number }
  | { kind: "adopted" }
  | { kind: "ran"; sent: number; lateP99Ms: number }
  | { kind: "failed"; message: string };

/** How many events a run of `ms` milliseconds at `rate` events/s publishes. */
export const eventsIn = (ms: number, rate: number) => Math.round((ms * rate) / 1000);

export interface PacedPublisher {
  /** Publishes `rate × ms / 1000` events on schedule, then resolves. Can be called again; numbering goes on. */
  run(ms: number): Promise<void>;
  /** Events sent so far (they are numbered 0, 1, 2…). */
  sent(): number;
  /** Frames sent (one event each) and failures (none: a WebSocket send cannot fail here), as `Publisher` reports them. */
  stats(): { sends: number; failures: number };
  /** How late the last run's sends were against their schedule, 99th percentile, ms. */
  lateP99Ms(): number;
  close(): void;
}

/** Starts the worker and opens its WebSocket to `ws://host:port/path`. */
export async function openPacedPublisher(o: { host: string; port: number; path: string; rate: number }): Promise<PacedPublisher> {
  const worker = new Worker(new URL("./paced-publisher-worker.ts", import.meta.url).href);
  let sent = 0;
  let late = NaN;
  const ask = (command: PacedCommand) =>
    new Promise<PacedReply>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<PacedReply>) => (e.data.kind === "failed" ? reject(new Error(`paced publisher: ${e.data.message}`)) : resolve(e.data));
      worker.onerror = (e) => reject(new Error(`paced publisher: ${e.message}`));
      worker.postMessage(command);
    });
  try {
    // Send times are stamped on the main thread's clock (see clock.ts), so latencies compare like with like.
    const offsetMs = await clockOffset(async () => {
      const reply = await ask({ kind: "clock" });
      return reply.kind === "clock" ? reply.now : NaN;
    });
    await ask({ kind: "adopt-clock", offsetMs });
    await ask({ kind: "open", ...o });
  } catch (err) {
    worker.terminate();
    throw err;
  }
  return {
    async run(ms) {
      const reply = await ask({ kind: "run", ms });
      if (reply.kind === "ran") {
        sent = reply.sent;
        late = reply.lateP99Ms;
      }
    },
    sent: () => sent,
    stats: () => ({ sends: sent, failures: 0 }),
    lateP99Ms: () => late,
    close: () => worker.terminate(),
  };
}
