import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { clockNow, eventDraft, sequence } from "../../src/hub/envelope.ts";
import { ERROR_CODES, parseClientFrame } from "../../src/protocol/frames.ts";
import { inputSchemas, TYPE_PATTERN } from "../../src/protocol/inputs.ts";

/**
 * Property-based tests: whatever a client sends, the validators answer (a value or an error) and never
 * throw; what they accept is what the rest of the server relies on.
 */

const LIMITS = { maxBodyBytes: 1 << 20, maxBatch: 50, maxNameLength: 40, maxDepth: 8 };
const schemas = inputSchemas(LIMITS);
const RUNS = { numRuns: 500 };

/** JSON values, including the shapes the validators look at: objects with a `kind`, `type`, `events`. */
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, -1, 1e308, "", "ping", "publish", "x.y"),
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom("kind", "type", "source", "id", "time", "data", "event", "events", "ack", "__proto__", "constructor"), fc.string()), tie("value"), { maxKeys: 6 }),
  ),
})).value;

const validType = fc.stringMatching(/^[A-Za-z0-9_:/-]{1,8}(\.[A-Za-z0-9_:/-]{1,8}){0,3}$/).filter((t) => t.length <= LIMITS.maxNameLength);
const validEvent = fc.record(
  { type: validType, source: fc.string({ minLength: 1, maxLength: LIMITS.maxNameLength }), data: jsonish },
  { requiredKeys: ["type"] },
);

describe("client frame parser", () => {
  test("any text: an answer, never an exception; errors carry a known code and a message", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), jsonish.map((v) => JSON.stringify(v) ?? "")), (text) => {
        const parsed = parseClientFrame(text);
        if (parsed.ok) expect(["ping", "publish"]).toContain(parsed.frame.kind);
        else {
          expect(ERROR_CODES).toContain(parsed.code);
          expect(parsed.message.length).toBeGreaterThan(0);
          expect(parsed.message.length).toBeLessThan(1000);
        }
      }),
      RUNS,
    );
  });

  test("objects with a known kind and arbitrary fields: accepted only in the documented shape", () => {
    fc.assert(
      fc.property(fc.constantFrom("ping", "publish"), fc.dictionary(fc.string(), jsonish, { maxKeys: 4 }), (kind, extra) => {
        const parsed = parseClientFrame(JSON.stringify({ ...extra, kind }));
        if (!parsed.ok) expect(["bad_frame"]).toContain(parsed.code);
        else if (parsed.frame.kind === "ping") expect(parsed.frame.id === undefined || ["string", "number"].includes(typeof parsed.frame.id)).toBe(true);
      }),
      RUNS,
    );
  });

  test("deeply nested JSON is answered, not a stack overflow", () => {
    for (const depth of [1_000, 500_000]) {
      const parsed = parseClientFrame(`{"kind":"publish","event":{"type":"x","data":${"[".repeat(depth)}${"]".repeat(depth)}}}`);
      expect(typeof parsed.ok).toBe("boolean");
    }
  });
});

describe("publish schema", () => {
  test("data and fields nesting past --max-depth are refused before anything serialises them", () => {
    const deep = (n: number): unknown => JSON.parse("[".repeat(n) + "]".repeat(n));
    expect(schemas.EventInput.safeParse({ type: "x", data: deep(LIMITS.maxDepth) }).success).toBe(true);
    const refused = schemas.EventInput.safeParse({ type: "x", data: deep(LIMITS.maxDepth + 1) });
    expect(refused.error?.issues[0]?.message).toContain("nests deeper than 8 levels");
    expect(schemas.EventInput.safeParse({ type: "x", data: deep(500_000) }).success).toBe(false);
    expect(schemas.LogInput.safeParse({ level: "info", message: "m", fields: { a: deep(LIMITS.maxDepth) } }).success).toBe(false);
    expect(schemas.LogInput.safeParse({ level: "info", message: "m", fields: { a: deep(LIMITS.maxDepth - 1) } }).success).toBe(true);
  });

  test("any JSON value: safeParse answers without throwing; what passes respects every limit", () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, validEvent, fc.array(fc.oneof(validEvent, jsonish), { maxLength: 60 })), (body) => {
        const result = schemas.EventPublish.safeParse(body);
        if (!result.success) {
          expect(result.error.issues.length).toBeGreaterThan(0);
          return;
        }
        const items = Array.isArray(result.data) ? result.data : [result.data];
        expect(items.length).toBeGreaterThanOrEqual(1);
        expect(items.length).toBeLessThanOrEqual(LIMITS.maxBatch);
        for (const item of items) {
          expect(item.type).toMatch(TYPE_PATTERN);
          expect(item.type.length).toBeLessThanOrEqual(LIMITS.maxNameLength);
          if (item.source !== undefined) expect(item.source.length).toBeLessThanOrEqual(LIMITS.maxNameLength);
        }
      }),
      RUNS,
    );
  });

  test("every valid event is accepted and its frame is JSON carrying the same fields", () => {
    fc.assert(
      fc.property(validEvent, fc.nat(), (event, seq) => {
        const parsed = schemas.EventInput.safeParse(event);
        expect(parsed.success).toBe(true);
        const entry = sequence(eventDraft(parsed.data!, clockNow()), seq);
        const frame = JSON.parse(entry.frame);
        expect(frame).toMatchObject({ kind: "event", seq, type: event.type });
        expect(frame.data).toEqual(JSON.parse(JSON.stringify(event.data ?? null)));
      }),
      RUNS,
    );
  });

  test("a batch one over --max-batch is refused with a message naming the limit", () => {
    fc.assert(
      fc.property(fc.array(validEvent, { minLength: LIMITS.maxBatch + 1, maxLength: LIMITS.maxBatch + 5 }), (batch) => {
        const result = schemas.EventPublish.safeParse(batch);
        expect(result.success).toBe(false);
        expect(JSON.stringify(result.error!.issues)).toContain(String(LIMITS.maxBatch));
      }),
      { numRuns: 20 },
    );
  });
});
