import { describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

const start = useServer();

describe("connection limits", () => {
  test("--max-connections: one more is refused with 503 and a JSON body; a slot frees on close", async () => {
    const s = start(["--max-connections", "3"]);
    const open = await Promise.all([connect(s.ws("/ws")), connect(s.ws("/api/stream")), connect(s.ws("/ws/logs"))]);
    await Promise.all(open.map((c) => c.next()));
    const refused = await rawConnect(s.server.port, "/ws");
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.body).toMatchObject({ error: "too_many_connections", message: expect.stringContaining("--max-connections") });
    open[0]!.close();
    await s.waitForLog((l) => l.msg === "client disconnected");
    const again = await connect(s.ws("/ws"));
    expect((await again.next()).kind).toBe("hello");
    expect(s.server.refusals.connectionLimit).toBe(1);
    for (const c of [...open.slice(1), again]) c.close();
  });

  test("--max-connections-per-address refuses the address that holds too many", async () => {
    const s = start(["--max-connections-per-address", "2"]);
    const a = await connect(s.ws("/ws"));
    const b = await connect(s.ws("/ws"));
    await Promise.all([a.next(), b.next()]);
    const refused = await rawConnect(s.server.port, "/ws");
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain("127.0.0.1 already holds 2");
    a.close();
    b.close();
  });

  test("handshakes racing past the check are closed with 1013 when they open", async () => {
    const s = start(["--max-connections", "2"]);
    // Ten handshakes at once: all pass the pre-upgrade check together; only two may stay.
    const results = await Promise.all(Array.from({ length: 10 }, () => rawConnect(s.server.port, "/ws")));
    const upgraded = results.filter((r) => r.status === 101);
    const closes = await Promise.all(
      upgraded.map(async (r) => {
        const first = await r.next();
        return first.opcode === OP.close ? first.code : (r.end(), "open");
      }),
    );
    expect(closes.filter((c) => c === "open")).toHaveLength(2);
    for (const c of closes.filter((c) => c !== "open")) expect(c).toBe(1013);
    expect(results.filter((r) => r.status === 503).length + closes.filter((c) => c === 1013).length).toBe(8);
  });
});

describe("Server-Sent Events and connection limits", () => {
  test("an SSE stream counts as a connection: refused with 503 when full, its slot freed when it ends", async () => {
    const s = start(["--max-connections", "2"]);
    const ws = await connect(s.ws("/ws"));
    await ws.next();
    const sse = await openEventStream(`${s.url}/api/events/stream`);
    expect(sse.status).toBe(200);
    expect((await sse.frame()).kind).toBe("hello");

    expect((await rawConnect(s.server.port, "/ws")).status).toBe(503);
    const second = await fetch(`${s.url}/api/logs/stream`, { headers: { accept: "text/event-stream" } });
    expect(second.status).toBe(503);
    expect(((await second.json()) as any).error).toBe("too_many_connections");

    sse.close();
    await s.waitForLog((l) => l.msg === "Server-Sent Events client disconnected");
    const again = await rawConnect(s.server.port, "/ws");
    expect(again.status).toBe(101);
    again.end();
    ws.close();
  });
});

describe("frame and name limits", () => {
  test("a client frame over --max-frame-bytes closes that client with 1009; others are unaffected", async () => {
    const s = start(["--max-frame-bytes", "1024"]);
    const bystander = await connect(s.ws("/ws"));
    await bystander.next();
    const big = await connect(s.ws("/ws"));
    await big.next();
    big.send({ kind: "ping", id: "x".repeat(2000) });
    expect((await big.closed).code).toBe(1009);
    bystander.send({ kind: "ping", id: 1 });
    expect(await bystander.next()).toEqual({ kind: "pong", id: 1 });
    await s.waitForLog((l) => l.msg === "client disconnected");
    expect(s.server.refusals.oversizeFrames).toBe(1);
    expect(s.logs.some((l) => String(l.msg).includes("--max-frame-bytes"))).toBe(true);
    bystander.close();
  });

  test("--max-name-length bounds event type and source", async () => {
    const s = start(["--max-name-length", "8"]);
    expect((await postJson(`${s.url}/api/events`, { type: "a.b.c.d", source: "12345678" })).status).toBe(200);
    const long = await postJson(`${s.url}/api/events`, { type: "abcdefghi" });
    expect(long.status).toBe(400);
    expect(long.body.message).toContain("type must be at most 8 characters");
    const source = await postJson(`${s.url}/api/logs`, { level: "info", message: "m", source: "123456789" });
    expect(source.status).toBe(400);
    expect(source.body.issues).toEqual([{ path: "source", message: "source must be at most 8 characters" }]);
  });
});

describe("publish rate", () => {
  test("past --publish-burst a publisher gets 429 with Retry-After; another token is not affected", async () => {
    const s = start(["--publish-rate", "1", "--publish-burst", "3", "--publish-token", "token-one-1", "--publish-token", "token-two-2"]);
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    for (let i = 0; i < 3; i++) expect((await postJson(`${s.url}/api/events`, { type: "x" }, as("token-one-1"))).status).toBe(200);
    const limited = await postJson(`${s.url}/api/events`, { type: "x" }, as("token-one-1"));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ error: "rate_limited", retryAfter: expect.any(Number), message: expect.stringContaining("--publish-rate".slice(2, 9)) });
    expect((await postJson(`${s.url}/api/events`, { type: "x" }, as("token-two-2"))).status).toBe(200);
    expect(s.server.refusals.rateLimited).toBe(1);
  });

  test("made-up bearer tokens on an open server are no identity: they share their address's budget", async () => {
    const s = start(["--publish-rate", "10", "--publish-burst", "20"]);
    const began = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => (await postJson(`${s.url}/api/events`, { type: "x" }, { authorization: `Bearer made-up-${crypto.randomUUID()}` })).status),
    );
    const seconds = (performance.now() - began) / 1000;
    const accepted = statuses.filter((status) => status === 200).length;
    // The burst, plus what the rate refilled while the requests ran (a slow machine takes longer).
    expect(accepted).toBeLessThanOrEqual(20 + Math.ceil(seconds * 10));
    expect(statuses.filter((status) => status === 429).length).toBe(300 - accepted);
  });

  test("WebSockets with invented ?token= share their address's budget, with HTTP too", async () => {
    const s = start(["--publish-rate", "1", "--publish-burst", "2"]);
    const sockets = await Promise.all(["invented-1", "invented-2", "invented-3"].map((token) => connect(`${s.ws("/ws")}?token=${token}`)));
    await Promise.all(sockets.map((ws) => ws.next()));
    const answers = [];
    for (const ws of sockets) {
      ws.send({ kind: "publish", event: { type: "x" }, ack: 1 });
      answers.push(await ws.nextMatching((f) => f.kind === "ack" || f.kind === "error"));
    }
    expect(answers.map((a) => a.kind === "ack" || a.code)).toEqual([true, true, "rate_limited"]);
    expect((await postJson(`${s.url}/api/events`, { type: "x" }, { authorization: "Bearer invented-4" })).status).toBe(429);
    for (const ws of sockets) ws.close();
  });

  test("without tokens the limit applies per address, and rate 0 turns it off", async () => {
    const s = start(["--publish-rate", "1", "--publish-burst", "1"]);
    expect((await postJson(`${s.url}/api/logs`, { level: "info", message: "a" })).status).toBe(200);
    expect((await postJson(`${s.url}/api/logs`, { level: "info", message: "b" })).status).toBe(429);
    await s.stop();
    const off = start(["--publish-rate", "0", "--publish-burst", "1"]);
    for (let i = 0; i < 20; i++) expect((await postJson(`${off.url}/api/logs`, { level: "info", message: "c" })).status).toBe(200);
  });
});
