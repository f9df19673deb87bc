import { describe, expect, test } from "bun:test";
import { createRateLimiter } from "../../src/access/rate-limit.ts";

describe("token bucket rate limiter", () => {
  test("allows a burst, then refuses until time refills the bucket, saying how long to wait", () => {
    const rl = createRateLimiter({ ratePerSecond: 10, burst: 3 });
    for (let i = 0; i < 3; i++) expect(rl.take("a", 0).ok).toBe(true);
    const refused = rl.take("a", 0);
    expect(refused).toEqual({ ok: false, retryAfterMs: 100 });
    expect(rl.take("a", 50).ok).toBe(false);
    expect(rl.take("a", 100).ok).toBe(true);
    expect(rl.take("a", 100).ok).toBe(false);
  });

  test("keys are independent", () => {
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 1 });
    expect(rl.take("a", 0).ok).toBe(true);
    expect(rl.take("a", 0).ok).toBe(false);
    expect(rl.take("b", 0).ok).toBe(true);
  });

  test("refill never exceeds the burst, and a clock going backwards refills nothing", () => {
    const rl = createRateLimiter({ ratePerSecond: 1000, burst: 2 });
    expect(rl.take("a", 0).ok).toBe(true);
    expect(rl.take("a", 1_000_000).ok).toBe(true);
    expect(rl.take("a", 1_000_000).ok).toBe(true);
    expect(rl.take("a", 1_000_000).ok).toBe(false);
    expect(rl.take("a", 999_000).ok).toBe(false);
  });

  test("rate 0 disables the limiter", () => {
    const rl = createRateLimiter({ ratePerSecond: 0, burst: 1 });
    for (let i = 0; i < 100; i++) expect(rl.take("a", 0).ok).toBe(true);
    expect(rl.size()).toBe(0);
  });

  test("full buckets are forgotten once the map grows, so idle publishers cost no memory", () => {
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 1, pruneAbove: 100 });
    for (let i = 0; i < 100; i++) rl.take(`k${i}`, 0);
    expect(rl.size()).toBe(100);
    rl.take("late", 10_000);
    expect(rl.size()).toBe(1);
  });
});
