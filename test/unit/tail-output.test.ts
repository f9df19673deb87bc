import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCursorFile, CursorFileError, readCursor } from "../../src/cli/cursor-file.ts";
import { createLineFormat, resetLine } from "../../src/cli/tail-format.ts";

const ev = (seq: number, type: string, source: string, data: unknown) => ({ kind: "event" as const, seq, id: "x", type, source, time: "2026-12-03T10:00:00.000Z", data });

describe("tail's terminal lines", () => {
  test("columns: time, seq, type, source, data; later lines align to the widest seen", () => {
    const format = createLineFormat(false);
    const a = format(ev(7, "order.filled", "strategy/alpha", { qty: 5 }));
    const b = format(ev(8, "tick", "feed", null));
    expect(a).toMatch(/^\d\d:\d\d:\d\d\.000  #7    order\.filled  strategy\/alpha  \{"qty":5\}$/);
    expect(b.indexOf("feed")).toBe(a.indexOf("strategy/alpha"));
    expect(b.endsWith("feed            ")).toBe(true);
  });

  test("log lines show the level (coloured on a terminal) and their fields", () => {
    const line = { kind: "log" as const, seq: 3, time: "x", level: "error" as const, message: "disk full", source: "db", fields: { free: 0 } };
    expect(createLineFormat(false)(line)).toContain('error  db          disk full  {"free":0}');
    expect(createLineFormat(true)(line)).toContain("\x1b[31merror\x1b[0m");
  });

  test("a reset line says what was lost and where the stream goes on", () => {
    const text = resetLine({ kind: "reset", reason: "history_exceeded", message: "history holds 16–20", epoch: "e1", since: 1, next: 16, lost: { from: 2, to: 15 } });
    expect(text).toBe("reset (history_exceeded): history holds 16–20 — seqs 2–15 are lost; the stream continues at seq 16 (epoch e1)");
  });
});

describe("cursor files", () => {
  const dir = mkdtempSync(join(tmpdir(), "stream-cursor-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a missing file is no position; a written one reads back; no temporary file is left", () => {
    const path = join(dir, "a.cursor");
    expect(readCursor(path)).toBeUndefined();
    const cursor = createCursorFile(path);
    cursor.write({ epoch: "e1", seq: 41 });
    expect(readCursor(path)).toEqual({ epoch: "e1", seq: 41 });
    cursor.stage({ epoch: "e1", seq: 42 });
    expect(readCursor(path)).toEqual({ epoch: "e1", seq: 41 }); // staged is not saved until committed
    cursor.commit();
    expect(readCursor(path)).toEqual({ epoch: "e1", seq: 42 });
    expect(readdirSync(dir)).toEqual(["a.cursor"]);
  });

  test("a file that holds no position is named, with what to do", () => {
    const path = join(dir, "bad.cursor");
    writeFileSync(path, "seq=41");
    expect(() => readCursor(path)).toThrow(CursorFileError);
    expect(() => readCursor(path)).toThrow(`the cursor file ${path} does not hold {"epoch":"…","seq":N} (it holds "seq=41"); delete it to start from now`);
  });
});
