import { describe, expect, test } from "bun:test";
import { createAccess } from "../../src/access/access.ts";
import { createRefusals } from "../../src/access/counters.ts";
import { loadConfig } from "../../src/config.ts";

/** Whose budget a publish is counted against (--publish-rate): the key the limiter buckets by. */
describe("publisher key", () => {
  const keyOf = async (flags: string[], url: string, init: RequestInit = {}) => {
    const access = createAccess(loadConfig(flags), createRefusals());
    return (await access.identify(new Request(url, init), new URL(url), () => "10.0.0.7")).key();
  };
  const post = (token: string) => ({ method: "POST", headers: { authorization: `Bearer ${token}` } });
  const TOKENS = ["--publish-token", "pub-token-1", "--publish-token", "pub-token-2"];

  test("a configured publish token is named by its position, never by its text", async () => {
    expect(await keyOf(TOKENS, "http://x/api/events", post("pub-token-1"))).toBe("publish token #1");
    expect(await keyOf(TOKENS, "http://x/api/events", post("pub-token-2"))).toBe("publish token #2");
    // A WebSocket upgrade (a GET) may carry it as ?token=.
    expect(await keyOf(TOKENS, "http://x/ws?token=pub-token-2")).toBe("publish token #2");
  });

  test("a token the server does not know, or none, counts as the address", async () => {
    expect(await keyOf([], "http://x/api/events", post("made-up-1"))).toBe("address 10.0.0.7");
    expect(await keyOf([], "http://x/ws?token=made-up-2")).toBe("address 10.0.0.7");
    expect(await keyOf(TOKENS, "http://x/ws?token=made-up-3")).toBe("address 10.0.0.7");
    expect(await keyOf(["--subscribe-token", "sub-token-1"], "http://x/ws?token=sub-token-1")).toBe("address 10.0.0.7");
    expect(await keyOf(TOKENS, "http://x/api/events", { method: "POST" })).toBe("address 10.0.0.7");
  });
});
