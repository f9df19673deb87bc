import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { describeIf, describeIfInstalled, findProgram, skippedOnPurpose } from "../helpers/requires.ts";

describe("tests that need a Debian program", () => {
  const saved = { STREAM_REQUIRE_ALL: process.env.STREAM_REQUIRE_ALL, STREAM_SKIP: process.env.STREAM_SKIP };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
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
      "STREAM_REQUIRE_ALL=1 but no-such-program-here not found on PATH, in /usr/bin or in /usr/sbin (Debian: apt-get install imaginary)",
    );
  });

  test("are skipped on purpose, loudly, when STREAM_SKIP names the program, even under STREAM_REQUIRE_ALL=1", () => {
    process.env.STREAM_REQUIRE_ALL = "1";
    process.env.STREAM_SKIP = "sh, no-such-program-here";
    const warn = spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(describeIfInstalled("sh", "shell tests")).toBe(describe.skip as typeof describe); // installed, and skipped all the same
      expect(String(warn.mock.calls[0]?.[0])).toContain("SKIPPING shell tests on purpose: STREAM_SKIP=sh, no-such-program-here names sh");
      expect(describeIfInstalled("no-such-program-here", "imaginary tests")).toBe(describe.skip as typeof describe); // missing: no failure, it was chosen
      expect(String(warn.mock.calls[1]?.[0])).toContain("SKIPPING imaginary tests on purpose");
    } finally {
      warn.mockRestore();
    }
  });

  test("a need finer than a program on PATH (python3 with its modules) is skipped or failed with its own reason", () => {
    delete process.env.STREAM_REQUIRE_ALL;
    const warn = spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(describeIf("python3", () => true, "python tests", "no python3 imports websockets")).toBe(describe);
      expect(describeIf("python3", () => false, "python tests", "no python3 imports websockets")).toBe(describe.skip as typeof describe);
      expect(String(warn.mock.calls[0]?.[0])).toContain("SKIPPING python tests: no python3 imports websockets");
      process.env.STREAM_REQUIRE_ALL = "1";
      expect(() => describeIf("python3", () => false, "python tests", "no python3 imports websockets")).toThrow(
        "STREAM_REQUIRE_ALL=1 but no python3 imports websockets",
      );
      process.env.STREAM_SKIP = "python3";
      expect(describeIf("python3", () => false, "python tests", "no python3 imports websockets")).toBe(describe.skip as typeof describe);
    } finally {
      warn.mockRestore();
    }
  });

  test("STREAM_SKIP lists programs separated by commas or spaces", () => {
    expect(skippedOnPurpose({ STREAM_SKIP: "chromium,redis-server firefox-esr" })).toEqual(["chromium", "redis-server", "firefox-esr"]);
    expect(skippedOnPurpose({})).toEqual([]);
  });
});
