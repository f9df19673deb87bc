import { describe, expect, test } from "bun:test";
import { sequence, type Entry } from "../../src/hub/envelope.ts";
import { createRing } from "../../src/hub/history/ring.ts";

const entry = (seq: number, time = 0): Entry => sequence({ kind: "event", tail: "}", key: "t", source: "s", time }, seq);
const seqs = (entries: Entry[]) => entries.map((e) => e.seq);

describe("history ring", () => {
  test("keeps at most its capacity, evicting the oldest first", () => {
    const h = createRing(3);
    for (let s = 1; s <= 5; s++) h.append(entry(s));
    expect(h.size()).toBe(3);
    expect(seqs(h.after(0))).toEqual([3, 4, 5]);
    expect([h.firstSeq(), h.lastSeq()]).toEqual([3, 5]);
  });

  test("finds entries after a seq, with a limit, across the wrap-around", () => {
    const h = createRing(4);
    for (let s = 1; s <= 10; s++) h.append(entry(s));
    expect(seqs(h.after(7))).toEqual([8, 9, 10]);
    expect(seqs(h.after(6, 2))).toEqual([7, 8]);
    expect(seqs(h.after(2))).toEqual([7, 8, 9, 10]);
    expect(h.after(10)).toEqual([]);
    expect(h.after(99)).toEqual([]);
  });

  test("empty history answers with nothing", () => {
    const h = createRing(2);
    expect(h.after(0)).toEqual([]);
    expect(h.firstSeq()).toBeUndefined();
    expect(h.lastSeq()).toBeUndefined();
  });

  test("drops entries past the max age only when told the time", () => {
    const h = createRing(10, 1000);
    for (let s = 1; s <= 5; s++) h.append(entry(s, s * 500));
    expect(h.size()).toBe(5);
    h.expire(3000); // keeps time >= 2000: seqs 4 and 5
    expect(seqs(h.after(0))).toEqual([4, 5]);
    h.expire(1_000_000);
    expect(h.size()).toBe(0);
    h.append(entry(6, 1_000_000));
    expect(seqs(h.after(0))).toEqual([6]);
  });

  test("refuses a capacity that is not a positive integer", () => {
    expect(() => createRing(0)).toThrow(RangeError);
    expect(() => createRing(1.5)).toThrow(RangeError);
  });
});
