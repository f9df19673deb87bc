import { afterEach, describe, expect, test } from "bun:test";
import type { Broker, Deliver } from "../../src/hub/broker.ts";
import type { Channel } from "../../src/hub/channels.ts";
import { clockNow, eventDraft, logDraft, type Entry } from "../../src/hub/envelope.ts";

/**
 * The behaviour every Broker promises, run against each setup (single-process over memory or over
 * SQLite with group commit, Redis) by a small test file that supplies a factory. Delivery may be
 * asynchronous (group commit waits for the end of the turn, Redis delivers through the stream reader),
 * so tests await deliveries instead of assuming them.
 */
export interface BrokerFactoryOptions {
  historySize: number;
  /** Entries older than this (ms) are no longer served from history. */
  historyMaxAgeMs?: number;
  deliver: Deliver;
}

/** Creates a fresh, empty broker (its own streams) that is ready to use. */
export type BrokerFactory = (options: BrokerFactoryOptions) => Promise<Broker>;

/** Collects what a broker delivers, per channel, and lets tests await a count. */
export function deliveries() {
  const got: Record<Channel, Entry[]> = { events: [], logs: [] };
  let wake: (() => void) | undefined;
  const deliver: Deliver = (channel, entries) => {
    got[channel].push(...entries);
    wake?.();
  };
  return {
    deliver,
    got,
    /** Resolves once at least `n` entries arrived on `channel`, with all of them. */
    async until(channel: Channel, n: number): Promise<Entry[]> {
      while (got[channel].length < n) await new Promise<void>((resolve) => (wake = resolve));
      return got[channel];
    },
  };
}

const events = (n: number, prefix = "e") => {
  const now = clockNow();
  return Array.from({ length: n }, (_, i) => eventDraft({ type: `${prefix}.${i + 1}`, data: { i: i + 1 } }, now));
};

/** One event draft per time given (ms), accepted then: the clock a draft carries, so no waiting is needed. */
const eventsAt = (times: number[]) => times.map((ms, i) => eventDraft({ type: `t.${i + 1}` }, { ms, iso: new Date(ms).toISOString() }));
/** Events whose ids the publisher chose (the idempotency key), one per id. */
const withIds = (ids: string[], prefix = "k", now = clockNow()) => ids.map((id, i) => eventDraft({ type: `${prefix}.${i + 1}`, id, data: { i: i + 1 } }, now));

/** Registers the contract tests for one broker implementation. */
export function runBrokerContract(name: string, create: BrokerFactory) {
  describe(`Broker contract: ${name}`, () => {
    const open: Broker[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });
    const make = async (historySize = 100, historyMaxAgeMs?: number) => {
      const d = deliveries();
      const broker = await create({ historySize, ...(historyMaxAgeMs ? { historyMaxAgeMs } : {}), deliver: d.deliver });
      open.push(broker);
      return { broker, d };
    };

    test("starts empty: position seq 0 with an epoch, healthy, and an empty history", async () => {
      const { broker } = await make();
      const pos = broker.position("events");
      expect(pos.seq).toBe(0);
      expect(pos.epoch).toMatch(/^\S+$/);
      expect(broker.health()).toEqual({ ok: true });
      const page = await broker.read("events", 0, 10);
      expect(page.entries).toEqual([]);
      expect(page.position).toEqual(pos);
    });

    test("publish assigns consecutive seqs from 1 and returns the frames it stored", async () => {
      const { broker } = await make();
      const first = await broker.publish("events", events(3));
      const second = await broker.publish("events", events(2, "f"));
      expect([...first, ...second].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      const frame = JSON.parse(second[1]!.frame);
      expect(frame).toMatchObject({ kind: "event", seq: 5, type: "f.2", source: "api", data: { i: 2 } });
      expect(frame.id).toMatch(/^[0-9a-f-]{36}$/); // made by the server; an entry's `id` is only one a publisher chose
      expect(second[1]!.id).toBeUndefined();
    });

    test("delivers every stored entry once, in seq order, with the frame publish returned", async () => {
      const { broker, d } = await make();
      const stored = [...(await broker.publish("events", events(3))), ...(await broker.publish("events", events(4, "g")))];
      const got = await d.until("events", 7);
      expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(got.map((e) => e.frame)).toEqual(stored.map((e) => e.frame));
      // Nothing more arrives: a marker published afterwards is the very next delivery.
      await broker.publish("events", events(1, "marker"));
      expect((await d.until("events", 8)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(broker.position("events").seq).toBe(8);
    });

    test("concurrent batches each get a contiguous run of seqs", async () => {
      const { broker, d } = await make();
      const results = await Promise.all([1, 2, 3, 4].map((b) => broker.publish("events", events(25, `b${b}`))));
      for (const batch of results) {
        const seqs = batch.map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      }
      const got = await d.until("events", 100);
      expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    test("channels have independent seqs and deliveries", async () => {
      const { broker, d } = await make();
      await broker.publish("events", events(2));
      const logs = await broker.publish("logs", [logDraft({ level: "warn", message: "disk at 90%" }, clockNow())]);
      expect(logs[0]!.seq).toBe(1);
      expect(JSON.parse((await d.until("logs", 1))[0]!.frame)).toMatchObject({ kind: "log", seq: 1, level: "warn", message: "disk at 90%" });
      await d.until("events", 2);
      expect(broker.position("events").seq).toBe(2);
      expect(broker.position("logs").seq).toBe(1);
      expect(broker.position("logs").epoch).toMatch(/^\S+$/);
    });

    test("read returns entries after `since`, oldest first, at most `limit`, with the position", async () => {
      const { broker, d } = await make();
      const stored = await broker.publish("events", events(10));
      await d.until("events", 10);
      const page = await broker.read("events", 4, 3);
      expect(page.entries.map((e) => e.seq)).toEqual([5, 6, 7]);
      expect(page.entries.map((e) => e.frame)).toEqual(stored.slice(4, 7).map((e) => e.frame));
      expect(page.firstSeq).toBe(1);
      expect(page.position).toEqual({ epoch: broker.position("events").epoch, seq: 10 });
      expect((await broker.read("events", 10, 5)).entries).toEqual([]);
      expect((await broker.read("events", 0, 100)).entries.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    });

    test("every entry is delivered even when a batch is larger than the history", async () => {
      const { broker, d } = await make(10);
      await broker.publish("events", events(300));
      expect((await d.until("events", 300)).map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    });

    test("history no longer serves entries older than the max age", async () => {
      const { broker, d } = await make(100, 60_000);
      // Accepted two minutes ago (the clock a draft carries), then now: no waiting needed.
      const old = new Date(Date.now() - 120_000);
      const stale = Array.from({ length: 3 }, (_, i) => eventDraft({ type: `old.${i}` }, { ms: old.getTime(), iso: old.toISOString() }));
      await broker.publish("events", stale);
      await broker.publish("events", events(2, "fresh"));
      await d.until("events", 5);
      const page = await broker.read("events", 0, 100);
      expect(page.entries.map((e) => e.seq)).toEqual([4, 5]);
      expect(page.firstSeq).toBe(4);
      expect(page.position.seq).toBe(5);
    });

    test("history keeps at least the most recent `historySize` entries and says where it starts", async () => {
      const { broker, d } = await make(10);
      // More than any implementation keeps (the Redis one keeps some slack for lagging readers: see its test).
      for (let i = 0; i < 12; i++) await broker.publish("events", events(100, `h${i}`));
      await d.until("events", 1200);
      const page = await broker.read("events", 0, 10_000);
      expect(page.firstSeq).toBeGreaterThan(1);
      expect(page.entries.length).toBeGreaterThanOrEqual(10);
      expect(page.entries[0]!.seq).toBe(page.firstSeq);
      expect(page.entries.at(-1)!.seq).toBe(1200);
      const seqs = page.entries.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => page.firstSeq + i));
    });

    test("seek finds the first retained entry accepted at or after a time", async () => {
      const { broker, d } = await make();
      const base = Date.now() - 60_000;
      // Two entries share a millisecond: the first of them is where that time starts.
      await broker.publish("events", eventsAt([base, base + 1000, base + 2000, base + 2000, base + 3000]));
      await d.until("events", 5);
      const epoch = broker.position("events").epoch;
      expect(await broker.seek("events", base + 2000)).toEqual({ seq: 3, firstSeq: 1, keptSince: 0, position: { epoch, seq: 5 } });
      expect((await broker.seek("events", base + 1500)).seq).toBe(3);
      expect((await broker.seek("events", base + 3000)).seq).toBe(5);
      expect((await broker.seek("events", base - 3_600_000)).seq).toBe(1);
      // Nothing that late: where live delivery continues.
      expect((await broker.seek("events", base + 3001)).seq).toBe(6);
      expect((await broker.seek("logs", base)).seq).toBe(1);
    });

    test("seek on an empty history: nothing held, the next seq", async () => {
      const { broker } = await make();
      const seek = await broker.seek("events", Date.now() - 60_000);
      expect(seek).toEqual({ seq: 1, firstSeq: 0, keptSince: 0, position: broker.position("events") });
    });

    test("seek counts only what history still holds: evicted entries and entries past the max age are gone", async () => {
      const { broker, d } = await make(100, 60_000);
      const now = Date.now();
      await broker.publish("events", eventsAt([now - 180_000, now - 120_000, now - 10_000, now - 5_000]));
      await d.until("events", 4);
      expect(await broker.seek("events", now - 200_000)).toMatchObject({ seq: 3, firstSeq: 3 });
      expect(await broker.seek("events", now - 7_000)).toMatchObject({ seq: 4, firstSeq: 3 });
      // The max-age cutoff, as of the seek: entries accepted since then are only evicted by size.
      const { keptSince } = await broker.seek("events", now);
      expect(keptSince).toBeGreaterThanOrEqual(now - 60_000);
      expect(keptSince).toBeLessThanOrEqual(Date.now() - 60_000);

      const small = await make(10);
      for (let i = 0; i < 12; i++) await small.broker.publish("events", eventsAt(Array.from({ length: 100 }, () => now - 60_000 + i * 1000)));
      await small.d.until("events", 1200);
      const oldest = await small.broker.seek("events", 0);
      expect(oldest.firstSeq).toBeGreaterThan(1);
      expect(oldest.seq).toBe(oldest.firstSeq);
      // Batch i was accepted at now - 60 s + i s: batch 11 starts at seq 1101, if history still holds it.
      expect((await small.broker.seek("events", now - 60_000 + 11_000)).seq).toBe(Math.max(1101, oldest.firstSeq));
      expect((await small.broker.seek("events", now - 60_000 + 10_500)).seq).toBe(Math.max(1101, oldest.firstSeq));
    });

    test("an id the history holds is a duplicate: not stored or delivered again, answered with the stored entry", async () => {
      const { broker, d } = await make();
      const [a] = await broker.publish("events", withIds(["fill-1", "fill-2"]));
      const again = await broker.publish("events", withIds(["fill-1", "fill-3"], "retry"));
      expect(again.map((e) => [e.seq, e.duplicate])).toEqual([[1, true], [3, undefined]]);
      expect(again[0]!.frame).toBe(a!.frame); // the original, not the retry's data
      expect(JSON.parse(again[1]!.frame)).toMatchObject({ seq: 3, id: "fill-3", type: "retry.2" });
      // Nothing more arrives: a marker published afterwards is the very next delivery.
      await broker.publish("events", events(1, "marker"));
      const got = await d.until("events", 4);
      expect(got.map((e) => [e.seq, e.id])).toEqual([[1, "fill-1"], [2, "fill-2"], [3, "fill-3"], [4, got[3]!.id]]);
      expect((await broker.read("events", 0, 100)).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(broker.position("events").seq).toBe(4);
    });

    test("within a batch each draft is judged in order: a repeated id is stored once", async () => {
      const { broker, d } = await make();
      const out = await broker.publish("events", withIds(["x", "x", "y", "x"]));
      expect(out.map((e) => [e.seq, e.duplicate ?? false])).toEqual([[1, false], [1, true], [2, false], [1, true]]);
      await broker.publish("events", events(1, "marker"));
      expect((await d.until("events", 3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    test("concurrent publishes of one id store it once", async () => {
      const { broker, d } = await make();
      const outs = await Promise.all([1, 2, 3].map((n) => broker.publish("events", withIds(["same"], `p${n}`))));
      expect(outs.map((o) => o[0]!.seq)).toEqual([1, 1, 1]);
      expect(outs.filter((o) => o[0]!.duplicate).length).toBe(2);
      await broker.publish("events", events(1, "marker"));
      expect((await d.until("events", 2)).map((e) => e.seq)).toEqual([1, 2]);
    });

    test("byId answers the entry stored under a chosen id; a server-made id is neither indexed nor a duplicate", async () => {
      const { broker, d } = await make();
      const [chosen, made] = await broker.publish("events", [...withIds(["order-9"]), ...events(1)]);
      await d.until("events", 2);
      expect((await broker.byId("events", "order-9"))?.frame).toBe(chosen!.frame);
      expect(await broker.byId("events", "never-sent")).toBeUndefined();
      // Only ids a publisher chose are idempotency keys: indexing every server-made UUID cost each publish an
      // index write (SQLite) or a sorted-set insert (Redis) for ids that cannot be sent twice by mistake.
      const madeId = JSON.parse(made!.frame).id as string;
      expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await broker.byId("events", madeId)).toBeUndefined();
      expect((await broker.publish("events", withIds([madeId])))[0]).toMatchObject({ seq: 3 });
      expect((await broker.byId("events", madeId))?.seq).toBe(3);
    });

    test("an id is remembered as long as its entry is retained: evicted by size, it is stored anew", async () => {
      const { broker, d } = await make(10);
      await broker.publish("events", withIds(["early"]));
      await d.until("events", 1);
      expect((await broker.byId("events", "early"))?.seq).toBe(1); // known (and, where an index is built on demand, indexed)
      for (let i = 0; i < 12; i++) await broker.publish("events", events(100, `h${i}`));
      await d.until("events", 1201);
      expect(await broker.byId("events", "early")).toBeUndefined();
      const again = await broker.publish("events", withIds(["early"]));
      expect(again[0]!.seq).toBe(1202);
      expect(again[0]!.duplicate).toBeUndefined();
      expect((await broker.byId("events", "early"))?.seq).toBe(1202);
    });

    test("an id is remembered as long as its entry is retained: past the max age, it is stored anew", async () => {
      const { broker, d } = await make(100, 60_000);
      const old = new Date(Date.now() - 120_000);
      await broker.publish("events", withIds(["stale"], "old", { ms: old.getTime(), iso: old.toISOString() }));
      await broker.publish("events", withIds(["fresh"]));
      expect(await broker.byId("events", "stale")).toBeUndefined();
      expect((await broker.byId("events", "fresh"))?.seq).toBe(2);
      const again = await broker.publish("events", withIds(["stale", "fresh"]));
      expect(again.map((e) => [e.seq, e.duplicate ?? false])).toEqual([[3, false], [2, true]]);
      await d.until("events", 3);
    });
  });
}
