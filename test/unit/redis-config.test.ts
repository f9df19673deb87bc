import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { redisKeys } from "../../src/hub/redis/keys.ts";
import { redactUrl } from "../../src/hub/redis/link.ts";

describe("--redis settings", () => {
  test("unset by default: the single-process broker; STREAM_REDIS_URL and STREAM_REDIS_PREFIX set them, flags win", () => {
    expect(loadConfig([], {})).toMatchObject({ redis: undefined, redisPrefix: "stream:" });
    const env = { STREAM_REDIS_URL: "redis://cache:6379/2", STREAM_REDIS_PREFIX: "prod:" };
    expect(loadConfig([], env)).toMatchObject({ redis: "redis://cache:6379/2", redisPrefix: "prod:" });
    expect(loadConfig(["--redis", "rediss://user:pw@cache:6380", "--redis-prefix", "eu:"], env)).toMatchObject({
      redis: "rediss://user:pw@cache:6380",
      redisPrefix: "eu:",
    });
  });

  test("a bad URL from the environment names the variable", () => {
    expect(() => loadConfig([], { STREAM_REDIS_URL: "http://cache:6379" })).toThrow(/STREAM_REDIS_URL \(environment\) expects a Redis URL/);
  });

  test("--redis with --data is refused: the history would live in two places", () => {
    expect(() => loadConfig(["--redis", "redis://localhost:6379", "--data", "/tmp/x"])).toThrow(/--data and --redis cannot be combined/);
  });
});

test("every Redis key is built under the prefix, one channel's keys in one cluster slot", () => {
  expect(redisKeys("stream:", "events")).toEqual({ stream: "stream:{events}:stream", seq: "stream:{events}:seq", epoch: "stream:{events}:epoch", ids: "stream:{events}:ids" });
  expect(redisKeys("eu:", "logs").stream).toBe("eu:{logs}:stream");
});

test("Redis URLs are shown without their password", () => {
  expect(redactUrl("redis://user:secret@cache:6379/0")).toBe("redis://user:***@cache:6379/0");
  expect(redactUrl("redis://cache:6379")).toBe("redis://cache:6379");
  expect(redactUrl("redis://:secret@cache:6379")).not.toContain("secret");
});
