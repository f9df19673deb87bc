import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { allowsSubscription, EVERYTHING, grantOf, narrow } from "../../src/access/grant.ts";
import { entryTopics } from "../../src/hub/channels.ts";
import { sequence, type Entry } from "../../src/hub/envelope.ts";
import { covers, eventFilter, filterTopics, intersect, logFilter, matches, type Filter } from "../../src/hub/filter.ts";
import { LOG_LEVELS } from "../../src/log/level.ts";

/**
 * A token's permissions narrow a subscription to what both allow, as a filter that native topics
 * serve: checked against the JS rule (`matches`) and against the topics an entry is published to.
 */
const event = (type: string): Entry => sequence({ kind: "event", tail: "}", key: type, source: "api", time: 0 }, 1);
const log = (level: string, source: string): Entry => sequence({ kind: "log", tail: "}", key: level, source, time: 0 }, 1);
/** Whether a socket holding the filter's topics gets the entry, and how many times. */
const deliveries = (filter: Filter, e: Entry) => {
  const topics = new Set(filterTopics(filter));
  return entryTopics(filter.channel, e).filter((t) => topics.has(t)).length;
};

const word = fc.constantFrom("order", "fill", "risk", "a", "b");
const type = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join("."));
const pattern = fc.oneof(type, type.map((t) => `${t}.*`), fc.constant("*"));
const patterns = fc.array(pattern, { minLength: 1, maxLength: 4 });

describe("intersect", () => {
  test("an event passes the intersection exactly when it passes both filters, and its topics deliver it once", () => {
    fc.assert(
      fc.property(patterns, patterns, type, (a, b, t) => {
        const both = intersect(eventFilter(a), eventFilter(b));
        const want = matches(eventFilter(a), event(t)) && matches(eventFilter(b), event(t));
        expect(both !== undefined && matches(both, event(t))).toBe(want);
        if (both) expect(deliveries(both, event(t))).toBe(want ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });

  test("log lines: the higher level and the common sources", () => {
    const level = fc.constantFrom(...LOG_LEVELS);
    const sources = fc.option(fc.uniqueArray(fc.constantFrom("risk", "api", "db"), { minLength: 1, maxLength: 3 }), { nil: undefined });
    fc.assert(
      fc.property(level, sources, level, sources, level, fc.constantFrom("risk", "api", "db"), (la, sa, lb, sb, l, s) => {
        const a = logFilter(la, sa);
        const b = logFilter(lb, sb);
        const both = intersect(a, b);
        const want = matches(a, log(l, s)) && matches(b, log(l, s));
        expect(both !== undefined && matches(both, log(l, s))).toBe(want);
        if (both) expect(deliveries(both, log(l, s))).toBe(want ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });

  test("examples", () => {
    expect(intersect(eventFilter(["*"]), eventFilter(["order.*"]))).toEqual(eventFilter(["order.*"]));
    expect(intersect(eventFilter(["order.filled", "risk.alert"]), eventFilter(["order.*"]))).toEqual(eventFilter(["order.filled"]));
    expect(intersect(eventFilter(["order.*"]), eventFilter(["order.fill.*"]))).toEqual(eventFilter(["order.fill.*"]));
    expect(intersect(eventFilter(["payment.*"]), eventFilter(["order.*"]))).toBeUndefined();
    expect(intersect(logFilter("debug", ["api"]), logFilter("warn", ["api", "db"]))).toEqual(logFilter("warn", ["api"]));
    expect(intersect(logFilter("debug", ["api"]), logFilter("warn", ["db"]))).toBeUndefined();
  });

  test("covers: a filter covers another when it lets through all the other does", () => {
    expect(covers(eventFilter(["order.*"]), eventFilter(["order.filled"]))).toBe(true);
    expect(covers(eventFilter(["order.*"]), eventFilter(["order.*"]))).toBe(true);
    expect(covers(eventFilter(["order.filled"]), eventFilter(["order.*"]))).toBe(false);
    expect(covers(eventFilter(["*"]), eventFilter(["a", "b.*"]))).toBe(true);
    expect(covers(logFilter("warn"), logFilter("error", ["api"]))).toBe(true);
    expect(covers(logFilter("error"), logFilter("warn"))).toBe(false);
  });
});

describe("grants", () => {
  const orders = grantOf({ subscribe: { events: ["order.*"] }, publish: { events: ["order.*"] } }, "alice", Date.now() + 60_000);

  test("asking for more is narrowed to what the token allows", () => {
    expect(narrow(orders, "events", eventFilter([]))).toEqual(eventFilter(["order.*"]));
    expect(narrow(orders, "events", eventFilter(["order.filled", "risk.alert"]))).toEqual(eventFilter(["order.filled"]));
  });

  test("asking for nothing it allows, or a channel it may not read, is a 403 naming what it may read", () => {
    const none = narrow(orders, "events", eventFilter(["payment.*"]));
    expect(none).toMatchObject({ status: 403, error: "forbidden" });
    expect((none as { message: string }).message).toContain('the token of "alice" may read order.* on events');
    expect(narrow(orders, "logs", logFilter())).toMatchObject({ status: 403, message: expect.stringContaining("may not read the logs channel") });
  });

  test("a static token (or an open server) reads everything as asked", () => {
    expect(narrow(EVERYTHING, "events", eventFilter(["a.*"]))).toEqual(eventFilter(["a.*"]));
    expect(allowsSubscription(EVERYTHING, "logs", logFilter())).toBe(true);
  });

  test("a refreshed token must allow the whole current subscription", () => {
    expect(allowsSubscription(orders, "events", eventFilter(["order.filled"]))).toBe(true);
    expect(allowsSubscription(orders, "events", eventFilter(["*"]))).toBe(false);
    expect(allowsSubscription(orders, "logs", logFilter())).toBe(false);
  });
});
