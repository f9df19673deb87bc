import { describe, expect, test } from "bun:test";
import { clockNow, eventDraft, logDraft, sequence, tailOf } from "../../src/hub/envelope.ts";

describe("envelopes", () => {
  const now = clockNow();

  test("an event frame is JSON with the server's defaults filled in", () => {
    const entry = sequence(eventDraft({ type: "order.filled" }, now), 42);
    expect(JSON.parse(entry.frame)).toEqual({
      kind: "event", seq: 42, id: entry.id!, type: "order.filled", source: "api", time: now.iso, data: null,
    });
    expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
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

  test("an entry keeps the frame, not the draft's tail, and the tail can be read back from it", () => {
    const draft = eventDraft({ type: "a", data: { x: 1 } }, now);
    for (const seq of [1, 9, 10, 123456789]) {
      const entry = sequence(draft, seq);
      expect("tail" in entry).toBe(false);
      expect(tailOf(entry)).toBe(draft.tail);
    }
    const log = logDraft({ level: "error", message: "m" }, now);
    expect(tailOf(sequence(log, 31))).toBe(log.tail);
  });
});
