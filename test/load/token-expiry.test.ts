import { describe, expect, test } from "bun:test";
import { connectPastHello } from "../helpers/client.ts";
import { mint, ORDERS, SECRET } from "../helpers/jwt.ts";
import { postJson, useServer } from "../helpers/server.ts";
import { subscribe } from "../../src/client/index.ts";
import { openEventStream } from "../helpers/sse.ts";
import { TOKEN_EXPIRED } from "../../src/protocol/close-codes.ts";

/**
 * A connection lives as long as its token: at `exp` a WebSocket is closed with 4001 and a reason, and a
 * Server-Sent Events stream ends with a comment, unless (WebSocket) a refresh frame brought a valid token
 * that allows the current subscription. Tokens here expire within two seconds (`exp` counts whole
 * seconds); the tests wait for the close itself, never for a time.
 */
const start = useServer();
const SOON = 2;

describe("expiry", () => {
  test("a WebSocket whose token expires is closed with 4001 and a reason saying what to do", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const ws = await connectPastHello(`${s.ws("/ws")}?token=${await mint({ sub: "carol", stream: ORDERS, expiresIn: SOON })}`);
    const closed = await ws.closed;
    expect(closed.code).toBe(TOKEN_EXPIRED);
    expect(closed.reason).toContain("token expired");
    expect(closed.reason).toContain("refresh");
    expect(s.server.refusals.expiredTokens).toBe(1);
    await s.waitForLog((l) => l.msg === "client closed: its token expired" && l.sub === "carol");
  });

  test("a Server-Sent Events stream ends at expiry with a comment saying so", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const sse = await openEventStream(`${s.url}/api/events/stream?token=${await mint({ stream: ORDERS, expiresIn: SOON })}`);
    expect((await sse.frame()).kind).toBe("hello");
    let m = await sse.next();
    while (m.comment === "heartbeat") m = await sse.next();
    expect(m.comment).toStartWith("token expired");
    await expect(sse.next()).rejects.toThrow(/ended/);
  });
});

describe("refresh", () => {
  test("a refresh frame with a valid token keeps the connection open past the old token's expiry", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", "static-publish-token-1"]);
    const old = await mint({ sub: "dave", stream: ORDERS, expiresIn: SOON });
    const refreshed = await connectPastHello(`${s.ws("/ws")}?token=${old}`);
    const witness = await connectPastHello(`${s.ws("/ws")}?token=${old}`);
    refreshed.send({ kind: "refresh", token: await mint({ sub: "dave", stream: ORDERS, expiresIn: 600 }) });
    const answer = await refreshed.next();
    expect(answer).toMatchObject({ kind: "refreshed", sub: "dave", permissions: ORDERS });
    expect(Date.parse(answer.expires) - Date.now()).toBeGreaterThan(500_000);
    // The old token's expiry passes: the witness holding it is closed, the refreshed connection is not.
    expect((await witness.closed).code).toBe(TOKEN_EXPIRED);
    refreshed.send({ kind: "ping", id: "still-here" });
    expect(await refreshed.next()).toEqual({ kind: "pong", id: "still-here" });
    await fetch(`${s.url}/api/events`, { method: "POST", headers: { authorization: "Bearer static-publish-token-1", "content-type": "application/json" }, body: '{"type":"order.late"}' });
    expect((await refreshed.next()).type).toBe("order.late");
    await s.waitForLog((l) => l.msg === "client refreshed its token" && l.sub === "dave");
    refreshed.close();
  });

  test("a refresh the server cannot take is answered with an error frame, and the old expiry still holds", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const ws = await connectPastHello(`${s.ws("/ws")}?types=order.*&token=${await mint({ sub: "erin", stream: ORDERS, expiresIn: SOON })}`);
    const cases: Array<[string, string, RegExp]> = [
      [await mint({ sub: "mallory", stream: ORDERS }), "forbidden", /another sub than "erin"/],
      [await mint({ sub: "erin", stream: { subscribe: { events: ["order.filled"] } } }), "forbidden", /does not allow this connection's subscription \(order\.\*\)/],
      [await mint({ sub: "erin", stream: ORDERS, expiresIn: -5 }), "unauthorized", /expired/],
      ["not-a-token", "unauthorized", /not a well-formed JSON Web Token/],
    ];
    for (const [token, code, message] of cases) {
      ws.send({ kind: "refresh", token });
      const error = await ws.next();
      expect(error).toMatchObject({ kind: "error", code });
      expect(error.message).toMatch(message);
      expect(error.message).toContain("the connection keeps its token");
    }
    ws.send({ kind: "refresh" });
    expect(await ws.next()).toMatchObject({ kind: "error", code: "bad_frame" });
    expect((await ws.closed).code).toBe(TOKEN_EXPIRED);
  });
});

describe("the client's token refresh", () => {
  test("given a function for fresh tokens, the client keeps one connection past each token's expiry and reads on", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const states: string[] = [];
    const sub = subscribe(s.url, { token: () => mint({ sub: "dana", stream: ORDERS, expiresIn: SOON }), onState: (st) => states.push(st.text) });
    const it = sub[Symbol.asyncIterator]();
    await s.waitForLog((l) => l.msg === "client connected");
    // Two refreshes, each at 80 % of a token's life of at most two seconds: the first token has expired by the second.
    await s.waitForLog(() => s.logs.filter((l) => l.msg === "client refreshed its token" && l.sub === "dana").length >= 2);
    const token = await mint({ sub: "dana", stream: ORDERS });
    expect((await postJson(`${s.url}/api/events`, { type: "order.placed", id: "after-expiry" }, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await it.next()).value).toMatchObject({ kind: "event", id: "after-expiry" });
    expect(s.logs.filter((l) => l.msg === "client connected")).toHaveLength(1);
    expect(states).toEqual(["connecting", "live"]);
    expect(s.server.refusals.expiredTokens).toBe(0);
    sub.close();
  });
});
