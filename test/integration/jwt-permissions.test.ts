import { describe, expect, test } from "bun:test";
import { connect, connectPastHello } from "../helpers/client.ts";
import { mint, ORDERS, SECRET } from "../helpers/jwt.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

/**
 * What a JSON Web Token allows decides what its holder receives and may publish: a subscription is
 * narrowed to the token's permissions (WebSocket, Server-Sent Events, history, resume), a publish of a
 * type it may not publish is refused whole with 403 naming the item, and static tokens keep meaning
 * everything on the same server.
 */
const start = useServer();
const PUB = "static-publish-token-1";
const SUB = "static-subscribe-token-1";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const TYPES = ["order.placed", "risk.alert", "order.filled", "strategy.started"];

/** Publishes TYPES in order with the static publish token. */
const publishAll = async (s: TestServer) => {
  const res = await postJson(`${s.url}/api/events`, TYPES.map((type) => ({ type, source: "test" })), bearer(PUB));
  expect(res.status).toBe(200);
};

describe("subscribing with a token for order.*", () => {
  test("two tokens with different permissions on one server get different streams; a static token gets everything", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB, "--subscribe-token", SUB]);
    const orders = await connectPastHello(`${s.ws("/ws")}?token=${await mint({ sub: "alice", stream: ORDERS })}`);
    const risk = await connectPastHello(`${s.ws("/api/stream")}?token=${await mint({ sub: "bob", stream: { subscribe: { events: ["risk.*", "strategy.started"] } } })}`);
    const all = await connectPastHello(`${s.ws("/ws")}?token=${SUB}`);
    await publishAll(s);
    expect((await orders.take(2)).map((f) => f.type)).toEqual(["order.placed", "order.filled"]);
    expect((await risk.take(2)).map((f) => f.type)).toEqual(["risk.alert", "strategy.started"]);
    expect((await all.take(4)).map((f) => f.type)).toEqual(TYPES);
    // The narrowed socket got nothing else: the next frame it sees is the next order event.
    await postJson(`${s.url}/api/events`, [{ type: "risk.more" }, { type: "order.last" }], bearer(PUB));
    expect((await orders.next()).type).toBe("order.last");
    expect(s.logs.find((l) => l.msg === "client connected" && l.sub === "alice")).toBeDefined();
    for (const ws of [orders, risk, all]) ws.close();
  });

  test("types=* is narrowed to order.*; types=order.filled stays as asked; types=payment.* is 403 naming what it may read", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    const token = await mint({ stream: ORDERS });
    const wide = await connectPastHello(`${s.ws("/ws")}?types=*&token=${token}`);
    const narrow = await connectPastHello(`${s.ws("/ws")}?types=order.filled,risk.alert&token=${token}`);
    await publishAll(s);
    expect((await wide.take(2)).map((f) => f.type)).toEqual(["order.placed", "order.filled"]);
    expect((await narrow.next()).type).toBe("order.filled");
    const refused = await rawConnect(s.server.port, `/ws?types=payment.*&token=${token}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: "forbidden", message: expect.stringContaining("may read order.* on events") });
    const logs = await rawConnect(s.server.port, `/ws/logs?token=${token}`);
    expect(logs.status).toBe(403);
    expect(logs.body.message).toContain("may not read the logs channel");
    wide.close();
    narrow.close();
  });

  test("Server-Sent Events, history, resume and by-id hold the same line", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    const token = await mint({ stream: ORDERS });
    const sse = await openEventStream(`${s.url}/api/events/stream?token=${token}`);
    expect(sse.status).toBe(200);
    expect((await sse.frame()).kind).toBe("hello");
    await publishAll(s);
    expect([(await sse.frame()).type, (await sse.frame()).type]).toEqual(["order.placed", "order.filled"]);
    sse.close();

    const history = (await (await fetch(`${s.url}/api/events?types=*`, { headers: bearer(token) })).json()) as any;
    expect(history.items.map((f: any) => f.type)).toEqual(["order.placed", "order.filled"]);
    expect((await fetch(`${s.url}/api/events?types=risk.*`, { headers: bearer(token) })).status).toBe(403);

    const resumed = await connect(`${s.ws("/ws")}?since=0&token=${token}`);
    const [hello, a, b] = await resumed.take(3);
    expect(hello.kind).toBe("hello");
    expect([a.type, b.type]).toEqual(["order.placed", "order.filled"]);
    resumed.close();

    const { body } = await postJson(`${s.url}/api/events`, [{ id: "o-1", type: "order.x" }, { id: "r-1", type: "risk.x" }], bearer(PUB));
    expect(body.accepted).toBe(2);
    expect((await fetch(`${s.url}/api/events/by-id/o-1`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${s.url}/api/events/by-id/r-1`, { headers: bearer(token) })).status).toBe(404);
  });

  test("a token valid for 30 days (past a timer's 24.8-day limit) keeps its WebSocket and Server-Sent Events streams open", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    const token = await mint({ stream: ORDERS, expiresIn: 30 * 86_400 });
    const sse = await openEventStream(`${s.url}/api/events/stream?token=${token}`);
    expect((await sse.frame()).kind).toBe("hello");
    const ws = await connectPastHello(`${s.ws("/ws")}?token=${token}`);
    await publishAll(s);
    // A stream ended at once as "expired" would end before these frames: the reader throws, naming the comment.
    expect([(await sse.frame()).type, (await sse.frame()).type]).toEqual(["order.placed", "order.filled"]);
    expect((await ws.take(2)).map((f) => f.type)).toEqual(["order.placed", "order.filled"]);
    expect(s.logs.find((l) => String(l.msg).includes("token expired"))).toBeUndefined();
    sse.close();
    ws.close();
  });

  test("log permissions: a level and sources narrow /ws/logs and GET /api/logs", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    const token = await mint({ stream: { subscribe: { logs: { level: "warn", sources: ["risk"] } } } });
    const ws = await connectPastHello(`${s.ws("/ws/logs")}?token=${token}`);
    const lines = [
      { level: "error", message: "a", source: "api" },
      { level: "info", message: "b", source: "risk" },
      { level: "error", message: "c", source: "risk" },
    ];
    expect((await postJson(`${s.url}/api/logs`, lines, bearer(PUB))).status).toBe(200);
    expect((await ws.next()).message).toBe("c");
    const page = (await (await fetch(`${s.url}/api/logs?source=risk,api`, { headers: bearer(token) })).json()) as any;
    expect(page.items.map((l: any) => l.message)).toEqual(["c"]);
    ws.close();
  });
});

describe("refreshing a connection's token", () => {
  test("a static token, another sub, an expired token, an exp past any date or one allowing less than the subscription is refused, saying why; the connection keeps its token", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    const ws = await connectPastHello(`${s.ws("/ws")}?token=${await mint({ sub: "alice", stream: ORDERS })}`);
    const refresh = async (token: string) => {
      ws.send(JSON.stringify({ kind: "refresh", token }));
      const answer = await ws.next();
      expect(answer.kind).toBe("error");
      expect(answer.message).toStartWith("refresh refused, the connection keeps its token: ");
      expect(answer.message).not.toContain(token);
      return answer;
    };
    expect((await refresh(PUB)).message).toContain("the new token names no sub (a static token, or a JSON Web Token without one)");
    expect((await refresh(await mint({ sub: "bob", stream: ORDERS }))).message).toContain('another sub than "alice"');
    const expired = await refresh(await mint({ sub: "alice", stream: ORDERS, expiresIn: -10 }));
    expect([expired.code, expired.message]).toEqual(["unauthorized", expect.stringContaining("the token has expired")]);
    const farOff = await refresh(await mint({ sub: "alice", stream: ORDERS, expiresIn: 1e13 }));
    expect([farOff.code, farOff.message]).toEqual(["unauthorized", expect.stringContaining("exp")]);
    const narrower = await refresh(await mint({ sub: "alice", stream: { subscribe: { events: ["order.filled"] } } }));
    expect([narrower.code, narrower.message]).toEqual(["forbidden", expect.stringContaining("does not allow this connection's subscription (order.*)")]);
    // Still reading with its first token.
    await publishAll(s);
    expect((await ws.take(2)).map((f) => f.type)).toEqual(["order.placed", "order.filled"]);
    ws.close();
  });
});

describe("publishing with a token", () => {
  test("a batch with one type it may not publish is 403 naming 1.type, and nothing of it is stored", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const token = await mint({ sub: "alice", stream: ORDERS });
    const refused = await postJson(`${s.url}/api/events`, [{ type: "order.placed" }, { type: "risk.alert" }], bearer(token));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: "forbidden", issues: [{ path: "1.type", message: expect.stringContaining('may not publish type "risk.alert"') }] });
    const history = (await (await fetch(`${s.url}/api/events`, { headers: bearer(token) })).json()) as any;
    expect(history.last).toBe(0);
    const ok = await postJson(`${s.url}/api/events`, { type: "order.placed" }, bearer(token));
    expect(ok.status).toBe(200);
    expect(s.logs.find((l) => l.msg === "published" && l.sub === "alice")).toBeDefined();
    expect(s.logs.find((l) => l.msg === "publish refused: type not allowed by the token" && l.sub === "alice")).toBeDefined();
  });

  test("over a WebSocket: the same refusal as an error frame naming events.1.type, nothing stored", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const token = await mint({ stream: ORDERS });
    const ws = await connectPastHello(`${s.ws("/ws")}?token=${token}`);
    ws.send({ kind: "publish", ack: 1, events: [{ type: "order.placed" }, { type: "risk.alert" }] });
    const error = await ws.next();
    expect(error).toMatchObject({ kind: "error", code: "forbidden", id: 1, issues: [{ path: "events.1.type" }] });
    ws.send({ kind: "publish", ack: 2, event: { type: "order.filled" } });
    // The order event arrives as seq 1: the refused batch took no seq.
    const [first, second] = await ws.take(2);
    expect([first.kind, second.kind].sort()).toEqual(["ack", "event"]);
    expect([first, second].find((f) => f.kind === "event").seq).toBe(1);
    ws.close();
  });

  test("a token with no publish permission, and one without logs: 403 before the body is read", async () => {
    const s = start(["--jwt-secret", SECRET]);
    const reader = await mint({ stream: { subscribe: { events: ["*"] } } });
    const res = await postJson(`${s.url}/api/events`, { type: "order.placed" }, bearer(reader));
    expect(res.status).toBe(403);
    expect(res.body.message).toContain("may not publish on the events channel");
    const logs = await postJson(`${s.url}/api/logs`, { level: "info", message: "x" }, bearer(await mint({ stream: ORDERS })));
    expect(logs.status).toBe(403);
    const ok = await postJson(`${s.url}/api/logs`, { level: "info", message: "x" }, bearer(await mint({ stream: { publish: { logs: true } } })));
    expect(ok.status).toBe(200);
  });

  test("a static publish token still publishes anything beside JSON Web Tokens", async () => {
    const s = start(["--jwt-secret", SECRET, "--publish-token", PUB]);
    expect((await postJson(`${s.url}/api/events`, { type: "payment.done" }, bearer(PUB))).status).toBe(200);
    expect((await postJson(`${s.url}/api/events`, { type: "payment.done" }, bearer("wrong-token-123"))).status).toBe(401);
  });
});
