import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { skippedOnPurpose } from "../helpers/requires.ts";

/**
 * There is no Docker engine in CI, so the Dockerfile is checked by reading it: its build stage must run
 * every test it can (the Redis tests included) and skip only what it names, and the image must not
 * create an anonymous volume on every `docker run`.
 */

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions per stage, by stage name (or index), continuation lines joined, comments dropped. */
function stages(text: string): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const line of lines) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      current = [];
      out.set(/\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(out.size), current);
    }
    current.push({ keyword: keyword.toUpperCase(), args });
  }
  return out;
}

/** The environment the stage's `bun test` command runs with: its ENV lines before it and the variables set on its own command. */
function testEnvironment(stage: Instruction[]): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage) {
    if (keyword === "ENV") for (const [, k, v] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[k!] = v!.replace(/^"|"$/g, "");
    if (keyword !== "RUN") continue;
    const command = args.split(/&&|;/).map((c) => c.trim()).find((c) => /(^|\s)bun test\b/.test(c));
    if (!command) continue;
    for (const [, k, v] of command.matchAll(/(?:^|\s)(\w+)=("[^"]*"|\S+)(?=\s)/g)) env[k!] = v!.replace(/^"|"$/g, "");
    return env;
  }
  return undefined;
}

describe("the Dockerfile", () => {
  const all = stages(readFileSync(join(import.meta.dir, "..", "..", "Dockerfile"), "utf8"));
  const build = all.get("build") ?? [];
  const image = [...all.values()].at(-1) ?? [];
  const runs = (stage: Instruction[]) => stage.filter((i) => i.keyword === "RUN").map((i) => i.args);

  test("its build stage installs redis-server and nginx, so that the Redis and nginx tests run there", () => {
    for (const program of ["redis-server", "nginx"]) {
      expect(runs(build).some((r) => new RegExp(`apt-get\\b[^&;]*\\binstall\\b[^&;]*\\b${program}\\b`).test(r))).toBe(true);
    }
  });

  test("its build stage installs python3 with websockets and pytest, so that the Python client's tests run there", () => {
    const installs = runs(build).filter((r) => /apt-get\b[^&;]*\binstall\b/.test(r));
    for (const pkg of ["python3", "python3-websockets", "python3-pytest"]) {
      expect(installs.some((r) => new RegExp(`\\s${pkg}(\\s|$)`).test(r))).toBe(true);
    }
  });

  test("its build stage runs bun test with STREAM_REQUIRE_ALL=1 and skips only the tests of Chromium and of the client under Node, by name", () => {
    const env = testEnvironment(build);
    expect(env).toBeDefined();
    expect(env!.STREAM_REQUIRE_ALL).toBe("1");
    expect(skippedOnPurpose(env!)).toEqual(["chromium", "node"]);
  });

  test("declares no VOLUME (each docker run would create an anonymous one); /data exists, owned by the image's user, for -v name:/data", () => {
    expect([...all.values()].flat().filter((i) => i.keyword === "VOLUME")).toEqual([]);
    expect(runs(build).some((r) => /mkdir -p \/data\b/.test(r) && /chown 65532:65532 \/data\b/.test(r))).toBe(true);
    expect(image.some((i) => i.keyword === "COPY" && /--from=build\b/.test(i.args) && /--chown=65532:65532\s+\/data\s+\/data$/.test(i.args))).toBe(true);
    expect(image.find((i) => i.keyword === "USER")?.args).toBe("nonroot"); // uid 65532 in distroless
  });
});
