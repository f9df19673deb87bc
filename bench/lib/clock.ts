/**
 * The one clock latency is measured on. `performance.now()` counts from each thread's or process's own
 * start; adding `performance.timeOrigin` makes readings comparable between the publisher's thread and the
 * subscribers' (and between processes on one machine: a round trip between two Bun processes agrees
 * within ~0.1 ms).
 */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/** `sharedNow()` in whole microseconds, as a publisher writes its send time into an event (exact: < 2^53). */
export function sharedMicros(): number {
  return Math.round(sharedNow() * 1000);
}
