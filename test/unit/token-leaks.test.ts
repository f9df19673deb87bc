import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { configuredTokens, newTokenLeaks, watchForTokens } from "../helpers/token-leaks.ts";

/** The after-each guard of test/setup.ts: what it finds, so that a leak cannot slip past it unnoticed. */
describe("the configured-token guard", () => {
  test("knows every token however it was given: repeated flags, --flag=value, metrics token", () => {
    const config = loadConfig(["--publish-token", "pub-token-1", "--publish-token=pub-token-2", "--subscribe-token=sub-token-1", "--metrics-token", "metrics-1"]);
    expect(configuredTokens(config)).toEqual(["pub-token-1", "pub-token-2", "sub-token-1", "metrics-1"]);
    expect(configuredTokens(loadConfig([]))).toEqual([]);
  });

  test("knows the --redis URL's password, decoded as Redis gets it", () => {
    expect(configuredTokens(loadConfig(["--redis", "redis://user:p%40ss-word-1@localhost:6379/2"]))).toEqual(["p@ss-word-1"]);
    expect(configuredTokens(loadConfig(["--redis", "redis://localhost:6379"]))).toEqual([]);
  });

  test("finds a token in a line as written or JSON-escaped, each line once", () => {
    const lines = [
      ['{"msg":"ok"}', '{"query":"?token=pub-token-1"}'],
      [JSON.stringify({ header: 'Bearer q"uo\\te-1' })],
      [],
    ];
    watchForTokens(["pub-token-1", 'q"uo\\te-1'], () => lines.shift() ?? []);
    expect(newTokenLeaks()).toEqual(['pub-token-1 in {"query":"?token=pub-token-1"}']);
    expect(newTokenLeaks()).toEqual([`q"uo\\te-1 in ${JSON.stringify({ header: 'Bearer q"uo\\te-1' })}`]);
    expect(newTokenLeaks()).toEqual([]);
  });
});
