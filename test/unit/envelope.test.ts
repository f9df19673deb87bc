import { describe, expect, test } from "bun:test";
import { clockNow, draftTail, eventDraft, eventIdOf, logDraft, sequence, tailOf } from "../../src/hub/envelope.ts";

describe("envelopes", () => {
  const now = clockNow();

  test("an event frame is JSON with the server's defaults filled in", () => {
    const draft = eventDraft({ type: "order.filled" }, now);
    const entry = sequence(draft, 42);
    const id = eventIdOf(draft)!;
    expect(JSON.parse(entry.frame)).toEqual({ kind: "event", seq: 42, id, type: "order.filled", source: "api", time: now.iso, data: null });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // A server-made id is no idempotency key: the entry carries only an id the publisher chose.
    expect(entry.id).toBeUndefined();
    expect(sequence(eventDraft({ type: "t", id: "mine" }, now), 1).id).toBe("mine");
  });

  test("what the publisher sent is escaped, whatever characters it holds", () => {
    const tricky = 'quote " backslash \\ newline \n unicode ✓ \u2028';
    const input = { type: "t.x", source: tricky, id: tricky, time: "2026-01-02T03:04:05+01:00", data: { s: tricky, n: [1, null] } };
    const entry = sequence(eventDraft(input, now), 1);
    expect(JSON.parse(entry.frame)).toEqual({ kind: "event", seq: 1, ...input });
    const log = sequence(logDraft({ level: "warn", message: tricky, source: tricky, fields: { k: tricky } }, now), 7);
    expect(JSON.parse(log.frame)).toEqual({ kind: "log", seq: 7, time: now.iso, level: "warn", message: tricky, source: tricky, fields: { k: tricky } });
    expect(JSON.parse(sequence(logDraft({ level: "info", message: "m" }, now), 8).frame).fields).toEqual({});
  });

  test("an entry keeps the frame, not the draft's body, and the tail can be read back from it", () => {
    const draft = eventDraft({ type: "a", data: { x: 1 } }, now);
    const tail = draftTail(draft);
    expect(tail).toBe(`,"id":"${eventIdOf(draft)}","type":"a","source":"api","time":"${now.iso}","data":{"x":1}}`);
    for (const seq of [1, 9, 10, 123456789]) {
      const entry = sequence(draft, seq);
      expect("body" in entry).toBe(false);
      expect(tailOf(entry)).toBe(tail);
    }
    const log = logDraft({ level: "error", message: "m" }, now);
    expect(tailOf(sequence(log, 31))).toBe(draftTail(log));
  });

  test("a draft read back as a tail gives the same frame as the fresh one", () => {
    const fresh = eventDraft({ type: "a.b", source: "s", data: [1, "two"] }, now);
    const { kind, key, source, time, id } = fresh;
    const stored = { kind, key, source, time, id, tail: draftTail(fresh) };
    expect(sequence(stored, 77).frame).toBe(sequence(fresh, 77).frame);
  });
});
