/**
 * Collects the publish → receive time of every delivery of a measured run (one sample per event per
 * subscriber, preallocated: nothing is allocated per delivery) and summarises them.
 */

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Median over events of each event's first delivery: near zero when the server and the generator were
   * idle as the event went out; an event period or more when one of them was still busy with earlier events.
   */
  firstP50Ms: number;
  samples: number;
}

export interface LatencyRecorder {
  /** Records one delivery of event `n` (deliveries of events outside the measured run are ignored). */
  record(ms: number, n: number): void;
  /** From now on, records the deliveries of events `first` … `first + events - 1` to `subscribers` subscribers. */
  measure(first: number, events: number, subscribers: number): void;
  summary(): LatencySummary;
}

export function latencyRecorder(): LatencyRecorder {
  let first = 0;
  let events = 0; // 0 until `measure`: nothing is recorded during the warm-up
  let samples = new Float64Array(0);
  let firstOf = new Float64Array(0);
  let k = 0;
  return {
    record(ms, n) {
      const e = n - first;
      if (e < 0 || e >= events || k === samples.length) return;
      samples[k++] = ms;
      if (ms < firstOf[e]!) firstOf[e] = ms;
    },
    measure(from, count, subscribers) {
      first = from;
      events = count;
      samples = new Float64Array(count * subscribers);
      firstOf = new Float64Array(count).fill(Infinity);
      k = 0;
    },
    summary() {
      const all = samples.subarray(0, k).sort();
      const firsts = firstOf.filter((x) => x !== Infinity).sort();
      return { p50Ms: quantile(all, 0.5), p99Ms: quantile(all, 0.99), maxMs: all.at(-1) ?? NaN, firstP50Ms: quantile(firsts, 0.5), samples: k };
    },
  };
}

/** The `q` quantile of sorted values (NaN when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
