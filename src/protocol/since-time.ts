/**
 * The spelling of `?since_time=`: an ISO 8601 date-time with an offset (`2026-12-03T10:00:00Z`,
 * `2026-12-03T11:00:00+01:00`) or a time relative to now (`-15m`: s, m, h or d). Pure: `now` is passed in.
 */

/** What a bad value is told: the accepted spellings, each with an example. */
export const SINCE_TIME_HINT =
  "since_time must be an ISO 8601 date-time with an offset (e.g. 2026-12-03T10:00:00Z) or a time before now (-30s, -15m, -2h, -7d)";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

// A time without an offset would be read in the server's zone, which the client cannot see: refused.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const RELATIVE = /^-(\d{1,9})([smhd])$/;

/** The time (ms since the Unix epoch) a `since_time` value names, or undefined when it is not one. */
export function parseSinceTime(text: string, now: number): number | undefined {
  const relative = RELATIVE.exec(text);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  if (!ISO.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  // Bun's Date.parse rolls an impossible day over (Feb 30 → Mar 2): insist that the calendar date exists.
  const [, month, day] = /^\d{4}-(\d{2})-(\d{2})/.exec(text)!;
  const calendar = new Date(Date.UTC(Number(text.slice(0, 4)), Number(month) - 1, Number(day)));
  return calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day) ? ms : undefined;
}
