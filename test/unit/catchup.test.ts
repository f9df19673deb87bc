import { describe, expect, test } from "bun:test";
import { createLocalBroker } from "../../src/hub/broker-local.ts";
import { clockNow, eventDraft, type Entry } from "../../src/hub/envelope.ts";
import { createFanout } from "../../src/hub/fanout.ts";
import { eventFilter, everything } from "../../src/hub/filter.ts";
import { createHub } from "../../src/hub/hub.ts";
import type { Resumed } from "../../src/hub/resume.ts";

/** A hub on the single-process broker (memory store), with the frames its native topics would carry recorded per topic. */
function setup(historySize = 10_000) {
  const fanout = createFanout();
  const broker = createLocalBroker({ historySize, deliver: fanout.deliver });
  const hub = createHub(broker, fanout);
  const topics = new Map<string, number[]>();
  fanout.attach({
    subscribers: () => 1,
    publish(topic, frame) {
      const list = topics.get(topic) ?? [];
      list.push(JSON.parse(frame).seq);
      topics.set(topic, list);
    },
  });
  const publish = (n: number, type = "tick") => broker.publish("events", Array.from({ length: n }, () => eventDraft({ type }, clockNow())));
  return { hub, fanout, publish, topics };
}

describe("subscribe (catch-up then live)", () => {
  test("a resuming JS subscriber gets every seq once, in order, while a publisher keeps going", async () => {
    const { hub, publish } = setup();
    await publish(300);
    const got: number[] = [];
    let started!: Resumed | undefined;
    const done = Promise.withResolvers<void>();
    const stop = hub.subscribe({ channel: "events", filter: everything("events"), resume: { since: 100 } }, {
      start(_position, resumed) {
        started = resumed;
        for (const item of resumed!.items) if ("entry" in item) got.push(item.entry.seq);
      },
      live(entries: Entry[]) {
        for (const e of entries) got.push(e.seq);
        if (got.at(-1)! >= 800) done.resolve();
      },
      fail: done.reject,
    });
    // Publish concurrently with the replay: each await lets the catch-up make progress in between.
    for (let i = 0; i < 50; i++) await publish(10);
    await done.promise;
    stop();
    expect(started!.complete).toBe(true);
    expect(got).toEqual(Array.from({ length: 700 }, (_, i) => 101 + i));
  });

  test("the hand-over point: nothing up to start's seq is left to live delivery, nothing after it is replayed", async () => {
    const { hub, fanout, publish } = setup();
    await publish(20);
    const seen: string[] = [];
    const started = Promise.withResolvers<number>();
    hub.subscribe({ channel: "events", filter: everything("events"), resume: { since: 5 } }, {
      start(position, resumed) {
        seen.push(...resumed!.items.map((i) => ("entry" in i ? `r${i.entry.seq}` : "gap")));
        started.resolve(position.seq);
      },
      fail: started.reject,
    });
    const racing = publish(3); // delivered while the history read is pending
    const horizon = await started.promise;
    await racing;
    expect(horizon).toBe(fanout.delivered("events")!);
    expect(seen).toEqual(Array.from({ length: horizon - 5 }, (_, i) => `r${6 + i}`));
  });

  test("a slow history read (an async broker): entries published meanwhile come from the live buffer, once each", async () => {
    const fanout = createFanout();
    const memory = createLocalBroker({ deliver: fanout.deliver });
    const gate = Promise.withResolvers<void>();
    // The history snapshot is taken at once; the answer arrives only after more publishes, as over a network.
    const broker = { ...memory, read: async (c: "events" | "logs", since: number, limit: number) => {
      const snapshot = await memory.read(c, since, limit);
      await gate.promise;
      return snapshot;
    } };
    const hub = createHub(broker, fanout);
    const draft = () => eventDraft({ type: "x" }, clockNow());
    await memory.publish("events", Array.from({ length: 30 }, draft));
    const got: number[] = [];
    const done = Promise.withResolvers<void>();
    hub.subscribe({ channel: "events", filter: everything("events"), resume: { since: 10 } }, {
      start(_p, resumed) {
        expect(resumed!.complete).toBe(true);
        for (const item of resumed!.items) if ("entry" in item) got.push(item.entry.seq);
        if (got.at(-1)! >= 60) done.resolve();
      },
      live(entries) {
        for (const e of entries) got.push(e.seq);
        if (got.at(-1)! >= 60) done.resolve();
      },
      fail: done.reject,
    });
    await memory.publish("events", Array.from({ length: 20 }, draft)); // 31..50 while the read is pending
    gate.resolve();
    await Promise.resolve();
    await memory.publish("events", Array.from({ length: 10 }, draft)); // 51..60, live or buffered
    await done.promise;
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => 11 + i));
  });

  test("history too short: the start says so with a gap, and live entries still follow", async () => {
    const { hub, publish } = setup(10);
    await publish(50);
    const started = Promise.withResolvers<Resumed>();
    hub.subscribe({ channel: "events", filter: eventFilter(["tick"]), resume: { since: 3 } }, {
      start: (_p, r) => started.resolve(r!),
      fail: started.reject,
    });
    const r = await started.promise;
    expect(r.complete).toBe(false);
    expect(r.items[0]).toMatchObject({ gap: { reason: "history_exceeded", lost: { from: 4, to: 40 }, next: 41 } });
    expect(r.items.slice(1).map((i) => ("entry" in i ? i.entry.seq : 0))).toEqual(Array.from({ length: 10 }, (_, i) => 41 + i));
  });

  test("a read failure reaches fail(), and the listener is gone", async () => {
    const fanout = createFanout();
    const broker = { ...createLocalBroker({ deliver: fanout.deliver }), read: async () => Promise.reject(new Error("disk on fire")) };
    const hub = createHub(broker, fanout);
    const failed = Promise.withResolvers<unknown>();
    let started = false;
    hub.subscribe({ channel: "events", filter: everything("events"), resume: { since: 0 } }, {
      start: () => (started = true),
      live: () => (started = true),
      fail: failed.resolve,
    });
    expect(String(await failed.promise)).toContain("disk on fire");
    await broker.publish("events", [eventDraft({ type: "x" }, clockNow())]);
    expect(started).toBe(false);
  });

  test("native fan-out publishes each entry to its filter topics", async () => {
    const { publish, topics } = setup();
    await publish(2, "order.filled");
    await publish(1, "risk");
    expect(topics.get("events")).toEqual([1, 2, 3]);
    expect(topics.get("events:prefix:order.")).toEqual([1, 2]);
    expect(topics.get("events:type:risk")).toEqual([3]);
  });
});
