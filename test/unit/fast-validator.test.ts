import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { z } from "zod";
import { ClientFrame } from "../../src/protocol/frames.ts";
import { compile, fastSafeParse } from "../../src/protocol/fast-validator.ts";
import { inputSchemas } from "../../src/protocol/inputs.ts";

/**
 * The fast path may only say "valid" where zod says so too, and return what zod would: whatever it
 * accepts is used without zod ever seeing it. Small limits put the boundaries within the generators' reach.
 */

const LIMITS = { maxBodyBytes: 1 << 20, maxBatch: 3, maxNameLength: 6, maxDepth: 3 };
const schemas = inputSchemas(LIMITS);
const RUNS = { numRuns: 3000 };

const word = fc.oneof(fc.stringMatching(/^[a-z.:/_ *-]{0,8}$/), fc.constantFrom("", "a", "a.b", "a..b", ".a", "a b", "abcdef", "abcdefg", "x*", "é"));
const time = fc.constantFrom("2026-11-27T05:00:00Z", "2026-11-27T05:00:00.123+01:00", "2026-02-30T00:00:00Z", "2026-11-27", "yesterday", "");
/** JSON values nesting around the depth limit. */
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    fc.constantFrom(null, true, 0, 1.5, "s"),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "__proto__"), tie("value"), { maxKeys: 2 }),
  ),
})).value;
/** Anything a field might hold: right or wrong type. */
const anyField = fc.oneof(word, time, json, fc.integer(), fc.constant(undefined));
/** Mostly a plausible value, sometimes anything: most values come close to valid, many are. */
const mostly = (plausible: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: plausible, weight: 6 }, { arbitrary: anyField, weight: 1 });
const name = fc.oneof(fc.stringMatching(/^[a-z]{1,3}(\.[a-z]{1,2})?$/), word);
/** Objects of the given fields (each present or not), now and then with a key no schema knows. */
const objectOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.tuple(fc.constantFrom("extra", "__proto__", "kind"), anyField), { freq: 6 }))
    .map(([value, extra]) => (extra ? { ...value, [extra[0]]: extra[1] } : value));

const event = objectOf({ type: mostly(name), source: mostly(name), id: mostly(word), time: mostly(time), data: json });
const logLine = objectOf({
  level: mostly(fc.constantFrom("debug", "info", "warn", "error", "fatal", "")),
  message: mostly(word),
  source: mostly(name),
  fields: mostly(fc.dictionary(fc.constantFrom("a", "b", "__proto__", "constructor"), json, { maxKeys: 3 })),
  time: mostly(time),
});
/** Batches mostly of sound items, so that whole batches pass often enough. */
const batchOf = (item: fc.Arbitrary<unknown>, sound: fc.Arbitrary<unknown>) =>
  fc.oneof(fc.array(fc.oneof({ arbitrary: sound, weight: 12 }, { arbitrary: item, weight: 1 }), { maxLength: 5 }), item);
const soundEvent = fc.record({ type: name, data: json }, { requiredKeys: ["type"] });
const soundLogLine = fc.record({ level: fc.constantFrom("info", "warn"), message: word, fields: fc.dictionary(fc.constantFrom("a", "b"), json, { maxKeys: 2 }) }, { requiredKeys: ["level", "message"] });
const frame = fc.oneof(
  objectOf({ kind: mostly(fc.constant("ping")), id: mostly(fc.oneof(word, fc.integer(), json)) }),
  objectOf({
    kind: mostly(fc.constantFrom("publish", "pong", "")),
    event: mostly(event),
    events: mostly(batchOf(event, soundEvent)),
    ack: mostly(fc.oneof(word, fc.integer(), fc.constant("x".repeat(201)), json)),
  }),
);

/** Asserts the fast path agrees with zod on every accepted value; returns how many it accepted. */
function agreesWithZod(schema: z.ZodType, values: fc.Arbitrary<unknown>): number {
  const accepts = compile(schema as never);
  expect(accepts).toBeFunction();
  let accepted = 0;
  fc.assert(
    fc.property(values, (value) => {
      if (!accepts!(value)) return;
      accepted++;
      const byZod = schema.safeParse(value);
      expect(byZod.success).toBe(true);
      expect(byZod.data).toStrictEqual(value as never);
    }),
    RUNS,
  );
  return accepted;
}

describe("fast validator", () => {
  const cases: Array<[string, z.ZodType, fc.Arbitrary<unknown>]> = [
    ["EventInput", schemas.EventInput, event],
    ["EventBatch", schemas.EventBatch, batchOf(event, soundEvent)],
    ["LogInput", schemas.LogInput, logLine],
    ["LogBatch", schemas.LogBatch, batchOf(logLine, soundLogLine)],
    ["ClientFrame", ClientFrame, frame],
  ];
  for (const [name, schema, values] of cases) {
    test(`${name}: accepts only what zod accepts, unchanged`, () => {
      // The generators must reach valid values too, or the property says nothing.
      expect(agreesWithZod(schema, values)).toBeGreaterThan(20);
    });
  }

  test("a value zod refuses gets zod's own issues", () => {
    const parse = fastSafeParse(schemas.EventBatch);
    const value = [{ type: "ok" }, { type: "a b", extra: 1 }];
    const fast = parse(value);
    expect(fast.success).toBe(false);
    expect(fast.error!.issues).toEqual(schemas.EventBatch.safeParse(value).error!.issues);
  });

  test("a valid event passes with the very value sent (no copy)", () => {
    const value = { type: "a.b", data: { qty: 5 } };
    const parsed = fastSafeParse(schemas.EventInput)(value);
    expect(parsed.success && parsed.data).toBe(value);
  });

  test("a __proto__ key in log fields is kept, by the fast path and by zod alike (as in event data)", () => {
    const text = `{"level":"info","message":"m","fields":{"__proto__":{"x":1},"keep":2}}`;
    const fast = fastSafeParse(schemas.LogInput)(JSON.parse(text));
    const byZod = schemas.LogInput.safeParse(JSON.parse(text));
    for (const parsed of [fast, byZod]) {
      expect(parsed.success).toBe(true);
      expect(JSON.stringify(parsed.data)).toBe(text);
    }
    const batch = `[${text},${text}]`;
    expect(JSON.stringify(fastSafeParse(schemas.LogBatch)(JSON.parse(batch)).data)).toBe(batch);
  });

  test("z.custom compiles to its own predicate", () => {
    const even = z.custom<number>((v) => typeof v === "number" && v % 2 === 0);
    const accepts = compile(even as never)!;
    expect([accepts(2), accepts(3), accepts("2")]).toEqual([true, false, false]);
  });

  test("schema features it does not know are left to zod", () => {
    const transforming = [
      z.string().trim(),
      z.object({ n: z.coerce.number() }),
      z.string().url(),
      z.number().int(),
      z.looseObject({ a: z.string() }),
      z.object({ a: z.string() }).superRefine(() => {}),
      z.string().default("x"),
      z.object({ constructor: z.string() }),
    ];
    for (const schema of transforming) expect(compile(schema as never)).toBeUndefined();
    const trim = fastSafeParse(z.string().trim());
    expect(trim(" a ")).toEqual({ success: true, data: "a" });
  });
});
