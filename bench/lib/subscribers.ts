import { leadingSeq, openRawWs, trailingCounter, trailingSendTime, type RawWs } from "./raw-ws.ts";

/**
 * A crowd of raw WebSocket subscribers that check what they receive: the server's `seq` must go up by
 * exactly one per event (a jump counts as lost, a step back as reordered), and at the end each
 * subscriber must have received every event the generator published.
 */

export interface Subscriber {
  ws: RawWs;
  /** Events received. */
  count: number;
  /** Last server seq seen (-1 before the first event). */
  lastSeq: number;
  /** Events skipped by a jump in seq. */
  gaps: number;
  reordered: number;
}

export interface CrowdOptions {
  host: string;
  port: number;
  path: string;
  size: number;
  /** Connections being opened at once. */
  concurrency?: number;
  /** Called with the generator's counter of every event any subscriber receives; keep it cheap. */
  onCounter?: (n: number, index: number) => void;
  /**
   * Called for every event that carries its send time (a paced publisher's) with the publish → receive
   * time in ms: from the send time in the frame to the arrival of the TCP read holding it (see `OnFrame`).
   */
  onLatency?: (ms: number, n: number, index: number) => void;
  /**
   * Offer permessage-deflate, as browsers do. Only the first subscriber (the sentinel, which acks)
   * inflates what it gets and checks every seq; the others count compressed frames as they come (after the
   * hello, every frame on an unfiltered stream is an event), so that the generator's inflating does not
   * become what is measured. Missing events still show: each must end with every event published.
   */
  deflate?: boolean;
}

export interface Crowd {
  subs: Subscriber[];
  /** Resolves once every subscriber received its first frame (the server's hello): all are subscribed. */
  ready: Promise<void>;
  deliveries(): number;
  /** Bytes received by all subscribers after their handshakes (frame headers included). */
  bytes(): number;
  /** Events missing: jumps in seq, plus events not received out of `expected` per subscriber. */
  lost(expected: number): number;
  reordered(): number;
  /** Resolves when every subscriber has received `count` events (or rejects after `timeoutMs`). */
  allReceived(count: number, timeoutMs: number): Promise<void>;
  /** Resolves once every connection has closed (see `settle` in generator.ts). */
  closed(): Promise<void>;
  close(): void;
}

/** Opens `size` subscribers, `concurrency` handshakes at a time. */
export async function openCrowd({ host, port, path, size, concurrency = 200, onCounter, onLatency, deflate }: CrowdOptions): Promise<Crowd> {
  const subs: Subscriber[] = [];
  let greeted = 0;
  let onGreeted: (() => void) | undefined;
  let waiter: { count: number; resolve: () => void } | undefined;
  let behind = 0; // subscribers that have not reached waiter.count

  const open = async (index: number) => {
    const sub: Subscriber = { ws: undefined as unknown as RawWs, count: 0, lastSeq: -1, gaps: 0, reordered: 0 };
    let greetedThis = false;
    sub.ws = await openRawWs({
      host, port, path, deflate, inflate: deflate && index === 0,
      onFrame(buf, start, end, arrivedMs, compressed) {
        if (!greetedThis) {
          greetedThis = true;
          if (++greeted === size) onGreeted?.();
          return;
        }
        if (compressed) {
          if (++sub.count === waiter?.count && --behind === 0) waiter.resolve();
          return;
        }
        const seq = leadingSeq(buf, start, end);
        if (seq < 0) return;
        if (sub.lastSeq >= 0) {
          if (seq <= sub.lastSeq) sub.reordered++;
          else sub.gaps += seq - sub.lastSeq - 1;
        }
        if (seq > sub.lastSeq) sub.lastSeq = seq;
        if (++sub.count === waiter?.count && --behind === 0) waiter.resolve();
        if (onCounter || onLatency) {
          const n = trailingCounter(buf, start, end);
          onCounter?.(n, index);
          onLatency?.(arrivedMs - trailingSendTime(buf, start, end), n, index);
        }
      },
    });
    subs[index] = sub;
  };

  for (let i = 0; i < size; i += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, size - i) }, (_, j) => open(i + j)));
  }
  const ready = greeted === size ? Promise.resolve() : new Promise<void>((r) => (onGreeted = r));

  return {
    subs,
    ready,
    deliveries: () => subs.reduce((a, s) => a + s.count, 0),
    bytes: () => subs.reduce((a, s) => a + s.ws.bytes(), 0),
    lost: (expected) => subs.reduce((a, s) => a + s.gaps + Math.max(0, expected - s.count), 0),
    reordered: () => subs.reduce((a, s) => a + s.reordered, 0),
    allReceived(count, timeoutMs) {
      behind = subs.filter((s) => s.count < count).length;
      if (behind === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`${subs.filter((s) => s.count < count).length} of ${size} subscribers did not receive all ${count} events within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = { count, resolve: () => { clearTimeout(timer); waiter = undefined; resolve(); } };
      });
    },
    closed: () => Promise.all(subs.map((s) => s.ws.closed)).then(() => undefined),
    close() {
      for (const s of subs) s.ws.close();
    },
  };
}
