import { describe, expect, test } from "bun:test";
import { sequence, type Entry } from "../../src/hub/envelope.ts";
import { everything } from "../../src/hub/filter.ts";
import { mergeResume } from "../../src/hub/resume.ts";
import { timeStart } from "../../src/hub/time-start.ts";

const position = { epoch: "e1", seq: 100 };
const T = Date.UTC(2026, 11, 3, 10);
const entry = (seq: number): Entry => sequence({ kind: "event", tail: "}", key: "t", source: "api", time: 0 }, seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));

describe("timeStart", () => {
  test("history holds an entry from before the time: replay from the first one at or after it, complete", () => {
    expect(timeStart(T, { seq: 60, firstSeq: 50, keptSince: 0, position })).toEqual({ since: 59, reachesBack: true });
    // Nothing accepted since then: nothing to replay, nothing missing.
    expect(timeStart(T, { seq: 101, firstSeq: 50, keptSince: 0, position })).toEqual({ since: 100, reachesBack: true });
  });

  test("history starts at seq 1: it reaches back to any time", () => {
    expect(timeStart(T, { seq: 1, firstSeq: 1, keptSince: 0, position })).toEqual({ since: 0, reachesBack: true });
    expect(timeStart(T, { seq: 1, firstSeq: 0, keptSince: 0, position: { epoch: "e1", seq: 0 } })).toEqual({ since: 0, reachesBack: true });
  });

  test("the oldest entry held is already after the time and older ones were evicted: not complete", () => {
    expect(timeStart(T, { seq: 50, firstSeq: 50, keptSince: 0, position })).toEqual({ since: 49, reachesBack: false });
    // Everything evicted or aged out.
    expect(timeStart(T, { seq: 101, firstSeq: 0, keptSince: 0, position })).toEqual({ since: 100, reachesBack: false });
  });

  test("everything aged out: complete from the max-age cutoff on, not before it", () => {
    expect(timeStart(T, { seq: 101, firstSeq: 0, keptSince: T - 1, position })).toEqual({ since: 100, reachesBack: true });
    expect(timeStart(T, { seq: 101, firstSeq: 0, keptSince: T + 1, position })).toEqual({ since: 100, reachesBack: false });
  });
});

describe("a replay by time through the resume merge", () => {
  const all = everything("events");
  const sinceTime = Date.UTC(2026, 11, 3, 10);

  test("reaching back: the entries from the start on, complete, with since and since_time", () => {
    const plan = { since: 59, readFrom: 59, sinceTime };
    const r = mergeResume({ plan, position, history: range(60, 100), live: [], horizon: 100, filter: all });
    expect(r.items.map((i) => ("entry" in i ? i.entry.seq : "reset"))).toEqual(range(60, 100).map((e) => e.seq));
    expect(r).toMatchObject({ complete: true, since: 59, sinceTime });
  });

  test("not reaching back: one history_exceeded reset naming the time, then what history holds", () => {
    const plan = { since: 49, readFrom: 49, sinceTime, reason: "history_exceeded" as const };
    const r = mergeResume({ plan, position, history: range(50, 100), live: [], horizon: 100, filter: all });
    const [first, ...rest] = r.items;
    expect(first).toMatchObject({ gap: { reason: "history_exceeded", next: 50 } });
    expect((first as { gap: any }).gap.lost).toBeUndefined();
    expect((first as { gap: any }).gap.message).toContain("no longer reaches back to 2026-12-03T10:00:00.000Z");
    expect(rest).toHaveLength(51);
    expect(r.complete).toBe(false);
  });

  test("nothing held at all: a reset at the horizon", () => {
    const plan = { since: 100, readFrom: 100, sinceTime, reason: "history_exceeded" as const };
    const r = mergeResume({ plan, position, history: [], live: [], horizon: 100, filter: all });
    expect(r.items).toEqual([{ gap: expect.objectContaining({ reason: "history_exceeded", next: 101 }) }]);
    expect(r.complete).toBe(false);
  });
});
