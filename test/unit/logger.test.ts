import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import type { LogLine } from "../../src/log/line.ts";

describe("logger", () => {
  test("fields keep every key, __proto__ included, on stdout and on the logs channel", () => {
    const lines: string[] = [];
    const fed: LogLine[] = [];
    const logger = createLogger({ level: "info", format: "json", write: (line) => lines.push(line) });
    logger.feed((line) => fed.push(line));
    logger.info("m", JSON.parse(`{"__proto__":{"x":1},"keep":2,"err":null}`));
    logger.info("failed", { error: new Error("boom"), gone: undefined });

    expect(lines[0]).toContain(`"__proto__":{"x":1},"keep":2,"err":null`);
    expect(JSON.stringify(fed[0]!.fields)).toBe(`{"__proto__":{"x":1},"keep":2,"err":null}`);
    // What plain() is for: errors become their message, undefined fields are left out.
    expect(JSON.stringify(fed[1]!.fields)).toBe(`{"error":"boom"}`);
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: "failed", error: "boom" });
  });
});
