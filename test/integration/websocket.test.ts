import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { health, postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeEach(() => {
  srv = startTestServer();
});
afterEach(() => srv.stop());

describe("WebSocket endpoints", () => {
  test("hello is the first frame, naming channel, position and version", async () => {
    const ws = await connect(srv.ws("/api/stream"));
    const hello = await ws.next();
    expect(hello).toMatchObject({ kind: "hello", channel: "events", path: "/api/stream", seq: 0, version: expect.any(String) });
    expect(hello.epoch).toMatch(/^\w+$/);
    const logs = await connect(srv.ws("/ws/logs"));
    expect(await logs.next()).toMatchObject({ kind: "hello", channel: "logs", path: "/ws/logs" });
    ws.close();
    logs.close();
  });

  test("the same event arrives byte-identical on /ws and /api/stream, and not on /ws/logs", async () => {
    const a = await connect(srv.ws("/ws"));
    const b = await connect(srv.ws("/api/stream"));
    const logs = await connect(srv.ws("/ws/logs"));
    await Promise.all([a.next(), b.next(), logs.next()]);

    const res = await postJson(`${srv.url}/api/events`, { type: "order.filled", source: "strategy/alpha", data: { qty: 5 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, items: [{ seq: 1, id: expect.any(String) }] });

    const ea = await a.next();
    await b.next();
    expect(a.raw[1]).toBe(b.raw[1]!);
    expect(ea).toEqual({
      kind: "event", seq: 1, id: res.body.items[0].id, type: "order.filled", source: "strategy/alpha",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), data: { qty: 5 },
    });

    // The logs socket sees log lines only: publish a log as a marker and check nothing of kind event came first.
    await postJson(`${srv.url}/api/logs`, { level: "info", message: "marker" });
    const marker = await logs.nextMatching((f) => f.message === "marker" || f.kind === "event");
    expect(marker.kind).toBe("log");
    expect(logs.raw.some((r) => JSON.parse(r).kind === "event")).toBe(false);
    for (const s of [a, b, logs]) s.close();
  });

  test("seq increases by one across a batch and across requests", async () => {
    const ws = await connect(srv.ws("/ws"));
    await ws.next();
    const batch = Array.from({ length: 50 }, (_, i) => ({ type: "tick", data: { i } }));
    const r1 = await postJson(`${srv.url}/api/events`, batch);
    const r2 = await postJson(`${srv.url}/api/events`, { type: "tick", data: { i: 50 } });
    expect(r1.body.items.map((x: any) => x.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(r2.body.items[0].seq).toBe(51);
    const frames = await ws.take(51);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(frames.map((f) => f.data.i)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    ws.close();
  });

  test("two hundred clients all receive every event of a burst, in order", async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, (_, i) => connect(srv.ws(i % 2 ? "/ws" : "/api/stream"))));
    await Promise.all(clients.map((c) => c.next()));
    const burst = Array.from({ length: 100 }, (_, i) => ({ type: "burst", data: { i } }));
    await postJson(`${srv.url}/api/events`, burst.slice(0, 50));
    await postJson(`${srv.url}/api/events`, burst.slice(50));
    const received = await Promise.all(clients.map((c) => c.take(100)));
    for (const frames of received) expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    clients.forEach((c) => c.close());
  });

  test("ping gets pong (echoing the id); bad frames get error frames and the connection stays open", async () => {
    const ws = await connect(srv.ws("/ws"));
    await ws.next();
    ws.send({ kind: "ping", id: 7 });
    expect(await ws.next()).toEqual({ kind: "pong", id: 7 });
    ws.send("hello there");
    expect(await ws.next()).toMatchObject({ kind: "error", code: "bad_json" });
    ws.send({ kind: "subscribe-to-everything" });
    expect(await ws.next()).toMatchObject({ kind: "error", code: "unsupported", message: expect.stringContaining("subscribe-to-everything") });
    ws.send([1, 2, 3]);
    expect(await ws.next()).toMatchObject({ kind: "error", code: "unsupported" });
    ws.ws.send(new Uint8Array([1, 2, 3]));
    expect(await ws.next()).toMatchObject({ kind: "error", code: "unsupported", message: expect.stringContaining("binary") });
    ws.send({ kind: "ping" });
    expect(await ws.next()).toEqual({ kind: "pong" });
    expect(ws.ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  test("client messages, connects and disconnects are logged and reach /ws/logs", async () => {
    const logs = await connect(srv.ws("/ws/logs"));
    await logs.next();
    const ws = await connect(srv.ws("/api/stream"));
    const connected = await logs.nextMatching((f) => f.message === "client connected" && f.fields.path === "/api/stream");
    expect(connected).toMatchObject({ kind: "log", level: "info", source: "stream-server", fields: { remote: "127.0.0.1", connections: 2 } });
    ws.send("not json at all");
    const said = await logs.nextMatching((f) => f.message === "message from client");
    expect(said.fields).toMatchObject({ path: "/api/stream", text: "not json at all" });
    ws.close();
    await logs.nextMatching((f) => f.message === "client disconnected" && f.fields.path === "/api/stream");
    expect(srv.logs.some((l) => l.msg === "client connected" && l.path === "/api/stream")).toBe(true);
    logs.close();
  });

  test("a log posted to /api/logs arrives on /ws/logs with its fields", async () => {
    const logs = await connect(srv.ws("/ws/logs"));
    await logs.next();
    const res = await postJson(`${srv.url}/api/logs`, { level: "warn", message: "risk limit at 90%", source: "risk", fields: { used: 0.9 } });
    expect(res.status).toBe(200);
    const line = await logs.nextMatching((f) => f.source === "risk");
    expect(line).toMatchObject({ kind: "log", seq: res.body.items[0].seq, level: "warn", message: "risk limit at 90%", fields: { used: 0.9 } });
    logs.close();
  });

  test("health counts connections per path and channel subscribers", async () => {
    const a = await connect(srv.ws("/ws"));
    const b = await connect(srv.ws("/api/stream"));
    await Promise.all([a.next(), b.next()]);
    await postJson(`${srv.url}/api/events`, [{ type: "x" }, { type: "y" }]);
    const h = await health(srv);
    expect(h).toMatchObject({
      status: "ok",
      connections: { "/ws": 1, "/api/stream": 1, "/ws/logs": 0 },
      channels: { events: { seq: 2, subscribers: 2 }, logs: { subscribers: 0 } },
    });
    expect(h.uptime).toBeGreaterThanOrEqual(0);
    a.close();
    b.close();
  });
});
