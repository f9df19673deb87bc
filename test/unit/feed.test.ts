import { describe, expect, test } from "bun:test";
import { createLogFeed } from "../../src/log/feed.ts";
import type { LogLine } from "../../src/log/line.ts";

const line = (message: string): LogLine => ({ level: "info", message });

describe("log feed", () => {
  test("lines logged in one turn of the event loop are published as one batch, in order", async () => {
    const batches: string[][] = [];
    const feed = createLogFeed(async (lines) => void batches.push(lines.map((l) => l.message)), 1000);
    const done = [feed.push(line("a")), feed.push(line("b")), feed.push(line("c"))];
    expect(batches).toEqual([]); // not yet: at the end of this turn
    await Promise.all(done);
    await feed.push(line("d"));
    expect(batches).toEqual([["a", "b", "c"], ["d"]]);
  });

  test("a burst larger than the batch limit is split, still in order", async () => {
    const batches: number[] = [];
    const seen: string[] = [];
    const feed = createLogFeed(async (lines) => {
      batches.push(lines.length);
      seen.push(...lines.map((l) => l.message));
    }, 2);
    await Promise.all(["1", "2", "3", "4", "5"].map((m) => feed.push(line(m))));
    expect(batches).toEqual([2, 2, 1]);
    expect(seen).toEqual(["1", "2", "3", "4", "5"]);
  });

  test("a failed publish rejects the lines of that batch; the next batch is tried afresh", async () => {
    let fail = true;
    const feed = createLogFeed(async () => {
      if (fail) throw new Error("store down");
    }, 10);
    await expect(feed.push(line("lost"))).rejects.toThrow("store down");
    fail = false;
    await feed.push(line("kept"));
  });

  test("flush publishes what is queued at once", async () => {
    const seen: string[] = [];
    const feed = createLogFeed(async (lines) => void seen.push(...lines.map((l) => l.message)), 10);
    void feed.push(line("x"));
    await feed.flush();
    expect(seen).toEqual(["x"]);
    await feed.flush();
    expect(seen).toEqual(["x"]);
  });
});
