/**
 * The one clock latency is measured on: the main thread's `performance.now()`, in ms since its
 * `performance.timeOrigin`. Another thread's `performance.now()` counts from that thread's own start, and
 * `performance.timeOrigin` (the wall clock at that start) cannot line the two up: where the wall clock is
 * being slewed it runs apart from the monotonic one (seen on a 2-core machine here on 2026-12-03: 5 ms per
 * second, so a thread started 150 s after its process read ~0.75 s off, and latencies came out negative).
 * So a thread that stamps times (the paced publisher) measures its offset from the main thread once, by
 * round trips (`calibrateAgainst`), and adds it: both clocks are monotonic, so the offset stays put.
 */
let offsetMs = performance.timeOrigin;

export function sharedNow(): number {
  return offsetMs + performance.now();
}

/** `sharedNow()` in whole microseconds, as a publisher writes its send time into an event (exact: < 2^53). */
export function sharedMicros(): number {
  return Math.round(sharedNow() * 1000);
}

/** In a worker thread: from now on, `sharedNow()` is this thread's `performance.now()` plus `ms` (see `clockOffset`). */
export function adoptClockOffset(ms: number) {
  offsetMs = ms;
}

/**
 * On the main thread: the offset that turns a worker's `performance.now()` into `sharedNow()`. `probe`
 * asks the worker for its `performance.now()`; of `rounds` round trips, the shortest bounds the error
 * (half of it: tens of µs for a postMessage round trip).
 */
export async function clockOffset(probe: () => Promise<number>, rounds = 20): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < rounds; i++) {
    const before = sharedNow();
    const theirs = await probe();
    const after = sharedNow();
    if (after - before < best.rtt) best = { rtt: after - before, offset: (before + after) / 2 - theirs };
  }
  return best.offset;
}
