import { describe, expect, test } from "bun:test";
import { sequence, type Entry } from "../../src/hub/envelope.ts";
import { eventFilter, everything } from "../../src/hub/filter.ts";
import { mergeResume, planResume, type Resumed } from "../../src/hub/resume.ts";

const entry = (seq: number, type = "t"): Entry => sequence({ kind: "event", tail: "}", key: type, source: "api", time: 0 }, seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
const position = { epoch: "e1", seq: 100 };
/** Items as a compact list: seqs for entries, "reset:<reason>:<next>" for gaps. */
const shape = (r: Resumed) => r.items.map((i) => ("entry" in i ? i.entry.seq : `reset:${i.gap.reason}:${i.gap.next}`));

describe("planResume", () => {
  test("same epoch and a since within the stream: replay after since", () => {
    const a = planResume({ since: 40, epoch: "e1" }, position);
    const b = planResume({ since: 100 }, position);
    expect([a.readFrom, a.reason, b.readFrom, b.reason]).toEqual([40, undefined, 100, undefined]);
  });
  test("another epoch, or a since beyond the stream: replay the whole current history", () => {
    expect(planResume({ since: 40, epoch: "old" }, position)).toMatchObject({ readFrom: 0, reason: "epoch_changed" });
    expect(planResume({ since: 101 }, position)).toMatchObject({ readFrom: 0, reason: "since_ahead" });
  });
});

describe("mergeResume", () => {
  const plan = planResume({ since: 10 }, position);
  const all = everything("events");

  test("history and an overlapping live buffer give each seq once, in order", () => {
    const r = mergeResume({ plan, position, history: range(11, 20), live: range(18, 25), horizon: 25, filter: all });
    expect(shape(r)).toEqual(range(11, 25).map((e) => e.seq));
    expect(r).toMatchObject({ complete: true, seq: 25 });
  });

  test("entries past the horizon are left to live delivery; entries at or before since are not replayed", () => {
    const r = mergeResume({ plan, position, history: range(5, 30), live: [], horizon: 22, filter: all });
    expect(shape(r)).toEqual(range(11, 22).map((e) => e.seq));
  });

  test("history that no longer reaches back gives one reset naming what is lost, then the rest", () => {
    const r = mergeResume({ plan, position, history: range(50, 60), live: [], horizon: 60, filter: all });
    expect(shape(r)).toEqual(["reset:history_exceeded:50", ...range(50, 60).map((e) => e.seq)]);
    const gap = (r.items[0] as { gap: any }).gap;
    expect(gap.lost).toEqual({ from: 11, to: 49 });
    expect(gap.message).toContain("seq 11–49 (39) are no longer in history");
    expect(r.complete).toBe(false);
  });

  test("nothing held at all but the stream moved on: a reset up to the horizon", () => {
    const r = mergeResume({ plan, position, history: [], live: [], horizon: 30, filter: all });
    expect(shape(r)).toEqual(["reset:history_exceeded:31"]);
    expect((r.items[0] as { gap: any }).gap.lost).toEqual({ from: 11, to: 30 });
  });

  test("a hole between history and the live buffer is reported where it is", () => {
    const r = mergeResume({ plan, position, history: range(11, 12), live: range(15, 16), horizon: 16, filter: all });
    expect(shape(r)).toEqual([11, 12, "reset:history_exceeded:15", 15, 16]);
  });

  test("caught up already: nothing to send, complete", () => {
    const r = mergeResume({ plan: planResume({ since: 100 }, position), position, history: [], live: [], horizon: 100, filter: all });
    expect(r).toEqual({ items: [], complete: true, seq: 100, since: 100 });
  });

  test("a changed epoch resets, then replays the whole current history", () => {
    const p = planResume({ since: 500, epoch: "gone" }, position);
    const r = mergeResume({ plan: p, position, history: range(1, 3), live: [], horizon: 3, filter: all });
    expect(shape(r)).toEqual(["reset:epoch_changed:1", 1, 2, 3]);
    expect((r.items[0] as { gap: any }).gap.message).toContain("epoch gone is gone, now e1");
    const empty = mergeResume({ plan: p, position, history: [], live: [], horizon: 0, filter: all });
    expect(shape(empty)).toEqual(["reset:epoch_changed:1"]);
  });

  test("a since ahead of the stream resets and replays from the start, naming evicted seqs", () => {
    const p = planResume({ since: 5000 }, position);
    const r = mergeResume({ plan: p, position, history: range(90, 100), live: [], horizon: 100, filter: all });
    expect(shape(r)[0]).toBe("reset:since_ahead:90");
    expect((r.items[0] as { gap: any }).gap.lost).toEqual({ from: 1, to: 89 });
  });

  test("the filter applies to replayed entries; filtered-out seqs are not gaps", () => {
    const history = [entry(11, "order.placed"), entry(12, "risk.alert"), entry(13, "order.filled")];
    const r = mergeResume({ plan, position, history, live: [entry(14, "risk.alert"), entry(15, "order.x")], horizon: 15, filter: eventFilter(["order.*"]) });
    expect(shape(r)).toEqual([11, 13, 15]);
    expect(r.complete).toBe(true);
  });
});
