import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clockNow, eventDraft, sequence, type Entry } from "../../src/hub/envelope.ts";
import { createMemoryStore } from "../../src/hub/history/memory.ts";
import type { HistoryStore, Retention } from "../../src/hub/history/store.ts";
import { Database } from "bun:sqlite";
import { DATA_FILE, DataDirError, openSqliteStore } from "../../src/hub/history/sqlite.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "stream-history-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const entry = (seq: number, time = 1000, kind: "event" | "log" = "event"): Entry =>
  sequence({ kind, tail: `,"n":${seq}}`, key: kind === "event" ? "order.filled" : "warn", source: "api", time, ...(kind === "event" ? { id: `id-${seq}` } : {}) }, seq);
const range = (from: number, to: number, time = 1000) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, time));

const stores: Array<[string, (r: Retention) => HistoryStore]> = [
  ["memory", (r) => createMemoryStore(r)],
  ["sqlite", (r) => openSqliteStore({ ...r, dir: tempDir(), sync: "normal" })],
];

describe.each(stores)("%s history store", (_name, open) => {
  test("starts at seq 0 with an epoch per channel, and appends keep the seq", () => {
    const store = open({ historySize: 100 });
    const events = store.load("events");
    expect(events.seq).toBe(0);
    expect(events.epoch).toMatch(/^\w+$/);
    expect(store.load("logs").epoch).not.toBe(events.epoch);
    store.append("events", range(1, 3));
    expect(store.read("events", 0, 10, 2000)).toEqual({ entries: range(1, 3), firstSeq: 1 });
    expect(store.read("logs", 0, 10, 2000)).toEqual({ entries: [], firstSeq: 0 });
    store.close();
  });

  test("reads after a seq with a limit; entries come back byte-identical", () => {
    const store = open({ historySize: 100 });
    store.load("events");
    store.append("events", range(1, 10));
    const { entries } = store.read("events", 4, 3, 2000);
    expect(entries.map((e) => e.frame)).toEqual(range(5, 7).map((e) => e.frame));
    expect(entries[0]).toMatchObject({ id: "id-5", key: "order.filled", source: "api", kind: "event" });
    store.close();
  });

  test("keeps the last historySize entries", () => {
    const store = open({ historySize: 5 });
    store.load("events");
    store.append("events", range(1, 4));
    store.append("events", range(5, 12));
    const { entries, firstSeq } = store.read("events", 0, 100, 2000);
    expect(entries.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(firstSeq).toBe(8);
    store.close();
  });

  test("drops entries older than the max age", () => {
    const store = open({ historySize: 100, historyMaxAgeMs: 1000 });
    store.load("events");
    store.append("events", [entry(1, 1000), entry(2, 5000), entry(3, 9000)]);
    const { entries, firstSeq } = store.read("events", 0, 100, 9500);
    expect(entries.map((e) => e.seq)).toEqual([3]);
    expect(firstSeq).toBe(3);
    store.close();
  });
});

describe("sqlite history store on disk", () => {
  test("a reopened store has the same epoch, seq and entries", () => {
    const dir = tempDir();
    const a = openSqliteStore({ dir, sync: "full", historySize: 100 });
    const epoch = a.load("events").epoch;
    a.append("events", range(1, 7));
    a.close();
    const b = openSqliteStore({ dir, sync: "full", historySize: 100 });
    expect(b.load("events")).toEqual({ epoch, seq: 7 });
    expect(b.read("events", 5, 10, 2000).entries.map((e) => e.frame)).toEqual(range(6, 7).map((e) => e.frame));
    b.close();
  });

  test("the seq survives even when every entry was evicted", () => {
    const dir = tempDir();
    const a = openSqliteStore({ dir, sync: "normal", historySize: 100, historyMaxAgeMs: 1 });
    a.load("logs");
    a.append("logs", [entry(1, 0, "log")]);
    a.close();
    const b = openSqliteStore({ dir, sync: "normal", historySize: 100, historyMaxAgeMs: 1 });
    expect(b.load("logs").seq).toBe(1);
    expect(b.read("logs", 0, 10, Date.now()).entries).toEqual([]);
    b.close();
  });

  test("age pruning of one channel is not held back by publishing on the other", () => {
    const dir = tempDir();
    const store = openSqliteStore({ dir, sync: "normal", historySize: 100, historyMaxAgeMs: 1000 });
    store.load("events");
    store.load("logs");
    store.append("logs", [entry(1, 0, "log")]);
    store.append("events", [entry(1, 5000)]); // prunes events
    store.append("logs", [entry(2, 5500, "log")]); // must prune logs too, though events just did
    store.close();
    const db = new Database(join(dir, DATA_FILE), { readonly: true });
    const logs = db.query<{ seq: number }, []>("SELECT seq FROM entries WHERE channel = 'logs' ORDER BY seq").all();
    db.close();
    expect(logs.map((r) => r.seq)).toEqual([2]);
  });

  test("a smaller --history-size on restart applies at once", () => {
    const dir = tempDir();
    const a = openSqliteStore({ dir, sync: "normal", historySize: 100 });
    a.load("events");
    a.append("events", range(1, 50));
    a.close();
    const b = openSqliteStore({ dir, sync: "normal", historySize: 10 });
    b.load("events");
    expect(b.read("events", 0, 100, 2000).firstSeq).toBe(41);
    b.close();
  });

  test("a second store on the same directory is refused, naming the reason", () => {
    const dir = tempDir();
    const a = openSqliteStore({ dir, sync: "normal", historySize: 100 });
    expect(() => openSqliteStore({ dir, sync: "normal", historySize: 100 })).toThrow(/in use by another stream-server/);
    a.close();
    openSqliteStore({ dir, sync: "normal", historySize: 100 }).close();
  });

  test("only chosen ids go into the id column; a file whose rows hold server-made ids (written before) still works", () => {
    const dir = tempDir();
    // Before December 2026 every event's id went into the column, server-made UUIDs included.
    const a = openSqliteStore({ dir, sync: "normal", historySize: 100 });
    a.load("events");
    a.append("events", [entry(1), entry(2)]);
    a.close();
    const b = openSqliteStore({ dir, sync: "normal", historySize: 100 });
    expect(b.load("events").seq).toBe(2);
    const made = sequence(eventDraft({ type: "t" }, clockNow()), 3);
    const chosen = sequence(eventDraft({ type: "t", id: "mine" }, clockNow()), 4);
    b.append("events", [made, chosen]);
    expect(b.byId("events", "id-1", 0)?.seq).toBe(1);
    expect(b.byId("events", "mine", 0)?.seq).toBe(4);
    expect(b.read("events", 0, 10, 0).entries.map((e) => e.frame)).toEqual([entry(1).frame, entry(2).frame, made.frame, chosen.frame]);
    b.close();
    const db = new Database(join(dir, DATA_FILE), { readonly: true });
    expect(db.query("SELECT seq, id FROM entries WHERE channel = 'events' ORDER BY seq").all()).toEqual([
      { seq: 1, id: "id-1" }, { seq: 2, id: "id-2" }, { seq: 3, id: null }, { seq: 4, id: "mine" },
    ]);
    db.close();
  });

  test("a --data path that is a file is refused with a clear error", () => {
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "x");
    expect(() => openSqliteStore({ dir: file, sync: "normal", historySize: 100 })).toThrow(DataDirError);
    expect(() => openSqliteStore({ dir: file, sync: "normal", historySize: 100 })).toThrow(/--data/);
  });
});
