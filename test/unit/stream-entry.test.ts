import { describe, expect, test } from "bun:test";
import { clockNow, draftTail, eventDraft, logDraft, sequence } from "../../src/hub/envelope.ts";
import { decodeEntry, entryValues } from "../../src/hub/redis/stream-entry.ts";

/** The fields the publish script writes for a draft: the epoch, then time, the id when chosen, and `d`. */
function written(draft: ReturnType<typeof eventDraft>, epoch = "ep0ch") {
  const [time, id, d] = entryValues(draft, draftTail(draft));
  return ["e", epoch, "m", time, ...(id ? ["i", id] : []), "d", d];
}

describe("Redis stream entries", () => {
  const now = clockNow();

  test.each([
    ["a plain event", eventDraft({ type: "order.filled", data: { qty: 5 } }, now)],
    ["a source with spaces, digits and a NUL", eventDraft({ type: "a.b", source: "desk 7 \u0000 12 x", data: [1, " 2 "] }, now)],
    ["a source of emoji and a lone surrogate", eventDraft({ type: "t", source: "📈 \ud800 é", data: "x y" }, now)],
    ["an id the publisher chose", eventDraft({ type: "t", id: "fill 7731", source: "s", data: null }, now)],
    ["a CloudEvent with attributes", eventDraft({ type: "t", source: "/src", attributes: { subject: "o 1", traceid: 3 }, data: 1 }, now)],
    ["a key with a space and digits (not a valid type today; the layout does not rely on it)", { ...eventDraft({ type: "t", data: 1 }, now), key: "a 12 b" }],
    ["an empty source", { ...eventDraft({ type: "t", data: 1 }, now), source: "" }],
    ["a log line", logDraft({ level: "warn", message: "risk at 90 %", source: "risk engine", fields: { a: 1 } }, now)],
  ])("%s comes back as the same entry and frame", (_name, draft) => {
    const { entry, epoch } = decodeEntry(["42-0", written(draft)]);
    expect(epoch).toBe("ep0ch");
    expect(entry).toEqual(sequence({ ...draft, body: undefined, tail: draftTail(draft) }, 42));
    expect(JSON.parse(entry.frame)).toMatchObject({ seq: 42 });
  });

  test("a server-made id writes no id field: only publisher-chosen ids are idempotency keys", () => {
    expect(written(eventDraft({ type: "t" }, now))).not.toContain("i");
    expect(written(eventDraft({ type: "t", id: "mine" }, now))).toEqual(expect.arrayContaining(["i", "mine"]));
  });

  test("an entry of the layout before (a field per column) is still read", () => {
    const tail = ',"id":"fill-1","type":"order.filled","source":"desk 7","time":"2026-12-03T10:00:00.000Z","data":{"qty":5}}';
    const { entry, epoch } = decodeEntry(["7-0", ["e", "old", "k", "event", "t", tail, "y", "order.filled", "s", "desk 7", "m", "1796300000000", "i", "fill-1"]]);
    expect(epoch).toBe("old");
    expect(entry).toEqual({ kind: "event", key: "order.filled", source: "desk 7", time: 1796300000000, id: "fill-1", seq: 7, frame: `{"kind":"event","seq":7${tail}` });
    const log = decodeEntry(["8-0", ["e", "old", "k", "log", "t", ',"time":"x","level":"info","message":"m","source":"s","fields":{}}', "y", "info", "s", "s", "m", "5", "i", ""]]);
    expect(log.entry).toMatchObject({ kind: "log", key: "info", source: "s", seq: 8 });
    expect(log.entry.id).toBeUndefined();
  });
});
