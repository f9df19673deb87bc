import { expect, test } from "bun:test";
import { createInboundBudget } from "../../src/access/inbound-budget.ts";

const budget = (framesPerSecond: number, bytesPerSecond: number, burstSeconds = 1, maxFrameBytes = 16) =>
  createInboundBudget({ framesPerSecond, bytesPerSecond, burstSeconds, maxFrameBytes });

test("a burst's worth of frames passes, the next does not, and the allowance refills with time", () => {
  const b = budget(10, 0, 2);
  const a = b.fresh(0);
  for (let i = 0; i < 20; i++) expect(b.spend(a, 1, 0)).toBe(true);
  expect(b.spend(a, 1, 0)).toBe(false);
  const c = b.fresh(0);
  for (let i = 0; i < 20; i++) b.spend(c, 1, 0);
  expect(b.spend(c, 1, 100)).toBe(true); // 100 ms at 10/s bought one frame
  expect(b.spend(c, 1, 100)).toBe(false);
});

test("bytes count separately, and the byte allowance always holds one largest frame", () => {
  const b = budget(0, 100, 1, 1000);
  const a = b.fresh(0);
  expect(b.spend(a, 1000, 0)).toBe(true);
  expect(b.spend(a, 1, 0)).toBe(false);
});

test("a steady client under the rate is never refused, however long it runs", () => {
  const b = budget(100, 1000);
  const a = b.fresh(0);
  for (let t = 0; t < 60_000; t += 20) expect(b.spend(a, 10, t)).toBe(true); // 50 frames/s of 10 bytes
});

test("both rates at 0 switch the budget off; the message names the flags", () => {
  expect(budget(0, 0).enabled).toBe(false);
  const b = budget(2000, 0);
  expect(b.enabled).toBe(true);
  expect(b.describe).toContain("2000 frames");
  expect(b.describe).not.toContain("bytes per");
  expect(b.describe).toContain("--max-inbound-frames");
});
