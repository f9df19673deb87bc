import { describe, expect, test } from "bun:test";
import { entryTopics } from "../../src/hub/channels.ts";
import { sequence, type Entry } from "../../src/hub/envelope.ts";
import { eventFilter, everything, filterTopics, logFilter, matches, type Filter } from "../../src/hub/filter.ts";

const event = (type: string, seq = 1): Entry => sequence({ kind: "event", tail: "}", key: type, source: "api", time: 0 }, seq);
const log = (level: string, source: string): Entry => sequence({ kind: "log", tail: "}", key: level, source, time: 0 }, 1);

/** How many of the filter's topics the entry is published to: must be 1 when it matches, 0 when not. */
const deliveries = (filter: Filter, e: Entry) => {
  const topics = new Set(filterTopics(filter));
  return entryTopics(filter.channel, e).filter((t) => topics.has(t)).length;
};

describe("topics and filters", () => {
  test("an event is published to its channel, its exact type and each dot-prefix", () => {
    expect(entryTopics("events", event("order.fill.partial"))).toEqual([
      "events", "events:type:order.fill.partial", "events:prefix:order.", "events:prefix:order.fill.",
    ]);
    expect(entryTopics("events", event("heartbeat"))).toEqual(["events", "events:type:heartbeat"]);
  });

  test("a log line is published to its channel, its level and its level+source", () => {
    expect(entryTopics("logs", log("warn", "risk"))).toEqual(["logs", "logs:level:warn", "logs:level:warn:source:risk"]);
  });

  test("patterns covered by another are dropped, so topics never overlap", () => {
    expect(eventFilter(["order.filled", "order.*", "order.fill.*", "strategy.started", "order.*"])).toEqual({
      channel: "events", all: false, prefixes: ["order."], exact: ["strategy.started"],
    });
    expect(eventFilter(["a.*", "*"])).toEqual({ channel: "events", all: true });
    expect(filterTopics(eventFilter([]))).toEqual(["events"]);
  });

  test("every entry reaches a filtered subscriber exactly once when it matches, never otherwise", () => {
    const filters = [
      eventFilter(["order.*", "order.filled", "order.fill.*", "strategy.started"]),
      eventFilter(["order.fill.*", "risk"]),
      everything("events"),
    ];
    const types = ["order.filled", "order.fill.partial", "order", "orders.x", "strategy.started", "strategy.stopped", "risk", "risk.alert"];
    for (const f of filters) {
      for (const t of types) expect([t, deliveries(f, event(t))]).toEqual([t, matches(f, event(t)) ? 1 : 0]);
    }
    expect(matches(filters[0]!, event("order"))).toBe(false); // order.* means "starts with order."
    expect(matches(filters[0]!, event("order.x.y"))).toBe(true);
  });

  test("log filters: a level and above, optionally from some sources", () => {
    const filters = [logFilter("warn"), logFilter("info", ["risk", "api"]), logFilter(), everything("logs")];
    for (const f of filters) {
      for (const level of ["debug", "info", "warn", "error"]) {
        for (const source of ["risk", "api", "other"]) {
          const e = log(level, source);
          expect(deliveries(f, e)).toBe(matches(f, e) ? 1 : 0);
        }
      }
    }
    expect(filterTopics(logFilter("warn"))).toEqual(["logs:level:warn", "logs:level:error"]);
    expect(filterTopics(logFilter())).toEqual(["logs"]);
    expect(matches(logFilter("warn", ["risk"]), log("error", "risk"))).toBe(true);
    expect(matches(logFilter("warn", ["risk"]), log("info", "risk"))).toBe(false);
    expect(matches(logFilter("warn", ["risk"]), log("error", "api"))).toBe(false);
  });
});
