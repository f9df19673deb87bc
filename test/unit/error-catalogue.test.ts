import { expect, test } from "bun:test";
import { readPage, withTables } from "../helpers/error-tables.ts";
import { CLOSE_CODES } from "../../src/protocol/close-codes.ts";
import { ERRORS, FRAME_ERROR_CODES, type ErrorEntry } from "../../src/protocol/errors.ts";
import { ErrorFrame } from "../../src/protocol/frames.ts";

test("docs/protocol.md's error tables say what the catalogue says (fix: bun run docs:errors --write)", async () => {
  const page = await readPage();
  const lines = page.split("\n");
  const derived = withTables(page).split("\n");
  // The first line that differs, rather than a diff of the whole page.
  const at = derived.findIndex((line, i) => line !== lines[i]);
  const drift = at === -1 ? undefined : { line: at + 1, page: lines[at], catalogue: derived[at], fix: "bun run docs:errors --write" };
  expect(drift).toBeUndefined();
});

test("every code is sent somewhere: as an HTTP answer with an error status, or as an error frame", () => {
  for (const [code, entry] of Object.entries(ERRORS) as [string, ErrorEntry][]) {
    expect({ code, sent: entry.http !== undefined || entry.frame !== undefined }).toEqual({ code, sent: true });
    if (entry.http) expect(entry.http.status).toBeGreaterThanOrEqual(400);
    expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  }
});

test("the error frame's codes are the catalogue's frame codes", () => {
  expect(ErrorFrame.shape.code.options).toEqual([...FRAME_ERROR_CODES]);
});

test("close codes are registry codes or private-use ones named as such, each listed once", () => {
  const codes = CLOSE_CODES.map((c) => c.code);
  expect(new Set(codes).size).toBe(codes.length);
  for (const { code, name } of CLOSE_CODES) {
    if (code >= 4000 && code < 5000) expect(name).toContain("private use");
    else expect(code >= 1000 && code < 1016).toBe(true);
  }
});
