import { expect, test } from "bun:test";
import { parseSinceTime } from "../../src/protocol/since-time.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

test("relative times count back from now in seconds, minutes, hours or days", () => {
  expect(parseSinceTime("-30s", NOW)).toBe(NOW - 30_000);
  expect(parseSinceTime("-15m", NOW)).toBe(NOW - 15 * 60_000);
  expect(parseSinceTime("-2h", NOW)).toBe(NOW - 2 * 3_600_000);
  expect(parseSinceTime("-7d", NOW)).toBe(NOW - 7 * 86_400_000);
  expect(parseSinceTime("-0s", NOW)).toBe(NOW);
});

test("ISO 8601 date-times with an offset name that instant", () => {
  expect(parseSinceTime("2026-12-03T10:00:00Z", NOW)).toBe(Date.UTC(2026, 11, 3, 10));
  expect(parseSinceTime("2026-12-03T11:00:00+01:00", NOW)).toBe(Date.UTC(2026, 11, 3, 10));
  expect(parseSinceTime("2026-12-03T10:00Z", NOW)).toBe(Date.UTC(2026, 11, 3, 10));
  expect(parseSinceTime("2026-12-03T10:00:00.250Z", NOW)).toBe(Date.UTC(2026, 11, 3, 10) + 250);
});

test("anything else is refused: no offset, impossible dates, future relatives, other units, numbers", () => {
  for (const bad of [
    "", "2026-12-03T10:00:00", "2026-12-03", "2026-02-30T10:00:00Z", "2026-13-03T10:00:00Z", "2026-12-03T25:00:00Z",
    "15m", "+15m", "-15", "-15w", "-1.5h", "-m", "1796292000000", "yesterday", " -15m",
  ]) {
    expect(parseSinceTime(bad, NOW)).toBeUndefined();
  }
});
