/**
 * Token buckets, one per key (which configured token a publisher holds, or its address). Pure: time
 * comes in as `now` (ms), so tests drive the clock. A key whose bucket has refilled completely is
 * forgotten, which keeps the map as small as the set of currently busy publishers.
 */
export interface RateLimiter {
  /** False when the rate is 0: every `take` succeeds, and callers may skip working out the key. */
  readonly enabled: boolean;
  /** Takes `cost` from `key`'s bucket at time `now`; when empty, says how long until it would succeed. */
  take(key: string, now: number, cost?: number): { ok: true } | { ok: false; retryAfterMs: number };
  /** Buckets currently held (for tests and metrics). */
  size(): number;
}

export interface RateLimitOptions {
  /** Refill per second; 0 disables the limiter. */
  ratePerSecond: number;
  /** Bucket capacity: how much may be taken at once. */
  burst: number;
  /** Forget full buckets once the map holds this many keys. */
  pruneAbove?: number;
}

/** Creates a limiter; with `ratePerSecond` 0 every `take` succeeds. */
export function createRateLimiter({ ratePerSecond, burst, pruneAbove = 10_000 }: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, { level: number; at: number }>();
  const perMs = ratePerSecond / 1000;
  const enabled = ratePerSecond > 0;

  const refill = (b: { level: number; at: number }, now: number) => {
    if (now > b.at) {
      b.level = Math.min(burst, b.level + (now - b.at) * perMs);
      b.at = now;
    }
  };

  const prune = (now: number) => {
    for (const [key, b] of buckets) {
      refill(b, now);
      if (b.level >= burst) buckets.delete(key);
    }
  };

  return {
    enabled,
    take(key, now, cost = 1) {
      if (!enabled) return { ok: true };
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= pruneAbove) prune(now);
        b = { level: burst, at: now };
        buckets.set(key, b);
      }
      refill(b, now);
      if (b.level >= cost) {
        b.level -= cost;
        return { ok: true };
      }
      // A cost larger than the bucket can never succeed; say when a full bucket would be there.
      const missing = Math.min(cost, burst) - b.level;
      return { ok: false, retryAfterMs: Math.ceil(missing / perMs) };
    },
    size: () => buckets.size,
  };
}
