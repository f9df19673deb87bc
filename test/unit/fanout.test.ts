import { describe, expect, test } from "bun:test";
import { clockNow, eventDraft, sequence } from "../../src/hub/envelope.ts";
import { createFanout } from "../../src/hub/fanout.ts";

describe("fan-out", () => {
  const entry = (seq: number, type: string) => sequence(eventDraft({ type }, clockNow()), seq);

  test("each entry goes to its channel and filter topics that have subscribers, in order, with their counts", () => {
    const held = new Map([["events", 3], ["events:type:a.x", 1], ["events:prefix:b.", 2]]);
    const asked: string[] = [];
    const sent: Array<[string, number, number]> = [];
    const fanout = createFanout();
    fanout.attach({
      subscribers(topic) {
        asked.push(topic);
        return held.get(topic) ?? 0;
      },
      publish: (topic, frame, _channel, subscribers) => sent.push([topic, JSON.parse(frame).seq, subscribers]),
    });
    fanout.deliver("events", [entry(1, "a.x"), entry(2, "a.x"), entry(3, "b.y"), entry(4, "a.x")]);
    expect(sent).toEqual([
      ["events", 1, 3], ["events:type:a.x", 1, 1],
      ["events", 2, 3], ["events:type:a.x", 2, 1],
      ["events", 3, 3], ["events:prefix:b.", 3, 2],
      ["events", 4, 3], ["events:type:a.x", 4, 1],
    ]);
    // Counts are read once per run of same-typed entries, not once per entry.
    expect(asked.filter((t) => t === "events:type:a.x")).toHaveLength(2);
    expect(asked.filter((t) => t === "events:type:b.y")).toHaveLength(1);
  });

  test("the next delivery reads the counts again: a socket that subscribed in between gets the frame", () => {
    let subscribed = 0;
    const sent: number[] = [];
    const fanout = createFanout();
    fanout.attach({ subscribers: (topic) => (topic === "events" ? subscribed : 0), publish: (_t, frame) => sent.push(JSON.parse(frame).seq) });
    fanout.deliver("events", [entry(1, "t")]);
    subscribed = 1;
    fanout.deliver("events", [entry(2, "t")]);
    expect(sent).toEqual([2]);
  });

  test("a listener that throws does not keep the batch from the listeners after it, and is reported", () => {
    const reported: unknown[] = [];
    const fanout = createFanout((err) => reported.push(err));
    const got: number[] = [];
    fanout.listen("events", () => {
      throw new Error("broken listener");
    });
    fanout.listen("events", (entries) => got.push(...entries.map((e) => e.seq)));
    fanout.deliver("events", [entry(1, "t"), entry(2, "t")]);
    expect(got).toEqual([1, 2]);
    expect(reported).toEqual([new Error("broken listener")]);
    expect(fanout.delivered("events")).toBe(2);
  });

  test("without a reporter the error is thrown, once every listener had the batch", () => {
    const fanout = createFanout();
    const got: number[] = [];
    fanout.listen("events", () => {
      throw new Error("broken listener");
    });
    fanout.listen("events", (entries) => got.push(...entries.map((e) => e.seq)));
    expect(() => fanout.deliver("events", [entry(1, "t")])).toThrow("broken listener");
    expect(got).toEqual([1]);
  });
});
