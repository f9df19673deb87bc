import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { describeIfInstalled, findProgram } from "../helpers/requires.ts";

describe("tests that need a Debian program", () => {
  const saved = process.env.STREAM_REQUIRE_ALL;
  afterEach(() => {
    if (saved === undefined) delete process.env.STREAM_REQUIRE_ALL;
    else process.env.STREAM_REQUIRE_ALL = saved;
  });

  test("run when the program is installed", () => {
    expect(findProgram("sh")).toBeDefined();
    expect(describeIfInstalled("sh", "shell tests")).toBe(describe);
  });

  test("are skipped with a loud reason when it is missing", () => {
    delete process.env.STREAM_REQUIRE_ALL;
    const warn = spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(describeIfInstalled("no-such-program-here", "imaginary tests")).toBe(describe.skip as typeof describe);
      expect(String(warn.mock.calls[0]?.[0])).toContain("SKIPPING imaginary tests: no-such-program-here not found");
    } finally {
      warn.mockRestore();
    }
  });

  test("fail under STREAM_REQUIRE_ALL=1 when it is missing", () => {
    process.env.STREAM_REQUIRE_ALL = "1";
    expect(() => describeIfInstalled("no-such-program-here", "imaginary tests", "imaginary")).toThrow(
      "STREAM_REQUIRE_ALL=1 but no-such-program-here not found on PATH or at /usr/bin/no-such-program-here (Debian: apt-get install imaginary)",
    );
  });
});
