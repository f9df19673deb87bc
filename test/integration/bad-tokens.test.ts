import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { keyPair, mint, ORDERS, SECRET, unsigned } from "../helpers/jwt.ts";
import { watchMinted } from "../helpers/token-leaks.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { useServer, type TestServer } from "../helpers/server.ts";

/**
 * A token that is expired, not yet valid, wrongly signed, unsigned (`alg: none`), for an unknown kid or
 * malformed gets 401 with a reason in the body, the same over every way in: a REST read, a
 * Server-Sent Events stream, a WebSocket upgrade and a publish. The server logs the reason and the
 * token's sub when it can read one, never the token (test/setup.ts fails a test whose server wrote it).
 */
const start = useServer();

type Way = { name: string; status: (s: TestServer, token: string) => Promise<{ status: number; body: any; headers: Headers | Record<string, string> }> };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const fetched = async (res: Response) => ({ status: res.status, body: await res.json(), headers: res.headers });

const WAYS: Way[] = [
  { name: "GET /api/events (history)", status: async (s, t) => fetched(await fetch(`${s.url}/api/events`, { headers: bearer(t) })) },
  { name: "GET /api/events/stream (SSE, ?token=)", status: async (s, t) => fetched(await fetch(`${s.url}/api/events/stream?token=${t}`, { headers: { accept: "text/event-stream" } })) },
  { name: "WebSocket upgrade on /ws (?token=)", status: (s, t) => rawConnect(s.server.port, `/ws?token=${t}`) },
  { name: "WebSocket upgrade on /ws/logs (header)", status: (s, t) => rawConnect(s.server.port, "/ws/logs", bearer(t)) },
  {
    name: "POST /api/events",
    status: async (s, t) => fetched(await fetch(`${s.url}/api/events`, { method: "POST", headers: { ...bearer(t), "content-type": "application/json" }, body: '{"type":"order.x"}' })),
  },
];

/** A token signed with SECRET whose payload is `payload` (with an exp five minutes ahead unless it has one), for claims `mint` cannot spell. */
const signed = async (payload: Record<string, unknown>) =>
  watchMinted(await new SignJWT({ exp: Math.floor(Date.now() / 1000) + 300, ...payload }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET)));
const OTHER_SECRET = new TextEncoder().encode("another-secret-0123456789-abcdefghij");
const everything = { subscribe: { events: ["*"], logs: {} }, publish: { events: ["*"] } };

/** Each bad token, the reason the body names, and the sub the log line names (when readable). */
const BAD: Array<[string, () => Promise<string> | string, string, string | undefined]> = [
  ["expired", () => mint({ sub: "exp-user", stream: everything, expiresIn: -5 }), "expired", "exp-user"],
  ["not yet valid", () => mint({ sub: "nbf-user", stream: everything, notBefore: 600 }), "not_yet_valid", "nbf-user"],
  ["wrongly signed", () => mint({ sub: "forger", stream: everything, key: OTHER_SECRET }), "bad_signature", "forger"],
  ["alg none", () => unsigned({ sub: "none-user", stream: everything }), "alg_not_allowed", "none-user"],
  ["malformed", () => "this.is.not-a-token", "malformed", undefined],
  // RFC 7519: sub is a string. Another kind would key the publish rate as "sub [object Object]" for every such token.
  ["a sub that is not a string", () => signed({ sub: { name: "alice" }, stream: everything }), "bad_claims", undefined],
  // Past the last date a clock can name (year 275760): a refresh to it once threw while writing its expiry.
  ["an exp past any date", () => signed({ sub: "far-user", stream: everything, exp: 1e13 }), "bad_claims", "far-user"],
];

describe("a bad token is 401 with its reason, over HTTP, Server-Sent Events and the WebSocket upgrade", () => {
  for (const [what, token, reason, sub] of BAD) {
    test(what, async () => {
      const s = start(["--jwt-secret", SECRET]);
      const t = await token();
      for (const way of WAYS) {
        const answer = await way.status(s, t);
        expect({ way: way.name, status: answer.status, error: answer.body.error, reason: answer.body.reason }).toEqual({ way: way.name, status: 401, error: "unauthorized", reason });
        expect(answer.body.message).not.toContain(t);
      }
      const logged = s.logs.filter((l) => l.msg === "token refused");
      expect(logged).toHaveLength(WAYS.length);
      for (const line of logged) expect({ level: line.level, reason: line.reason, sub: line.sub }).toEqual({ level: "warn", reason, sub });
      expect(s.server.refusals.invalidTokens).toBe(WAYS.length);
    });
  }

  test("an unknown kid (--jwks): 401 unknown_kid", async () => {
    const known = await keyPair("ES256", "known");
    const { privateKey } = await keyPair("ES256", "stranger");
    const dir = `${import.meta.dir}/../../test-output`;
    await Bun.write(`${dir}/bad-tokens-jwks.json`, JSON.stringify({ keys: [known.jwk] }));
    const s = start(["--jwks", `${dir}/bad-tokens-jwks.json`]);
    const t = await mint({ alg: "ES256", kid: "stranger", key: privateKey, stream: everything, sub: "rotated" });
    for (const way of WAYS) {
      const answer = await way.status(s, t);
      expect({ way: way.name, status: answer.status, reason: answer.body.reason }).toEqual({ way: way.name, status: 401, reason: "unknown_kid" });
    }
    // The known key still works, and verifies: a stranger's kid changed nothing.
    const ok = await fetch(`${s.url}/api/events`, { headers: bearer(await mint({ alg: "ES256", kid: "known", key: known.privateKey, stream: ORDERS })) });
    expect(ok.status).toBe(200);
  });

  test("the 401 says how to authenticate (WWW-Authenticate names invalid_token), and never which part of a signature failed", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const res = await fetch(`${s.url}/api/events`, { headers: bearer(await mint({ key: OTHER_SECRET })) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const body = (await res.json()) as any;
    expect(body.message).toStartWith("the token's signature does not verify with the server's keys");
  });

  test("no token at all, with only JWT keys configured: 401 naming both kinds of token", async () => {
    const s = start(["--jwt-secret", SECRET]);
    for (const path of ["/api/events", "/api/logs"]) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).message).toContain("JSON Web Token");
    }
    expect((await rawConnect(s.server.port, "/ws")).status).toBe(401);
  });
});
