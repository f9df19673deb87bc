import { afterEach, describe, expect, test } from "bun:test";
import { connectPastHello, type TestSocket } from "../helpers/client.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

/** A connected socket past its hello frame. */
const open = (path: string): Promise<TestSocket> => connectPastHello(srv!.ws(path));

describe("publishing over a WebSocket", () => {
  test("one event with ack: the ack names its seq and every subscriber gets the same event as over HTTP", async () => {
    srv = startTestServer();
    const sub = await open("/api/stream");
    const pub = await open("/ws");
    pub.send({ kind: "publish", event: { type: "order.filled", source: "strategy/alpha", data: { qty: 5 } }, ack: "a1" });
    // The publisher's socket is subscribed too: the event and the ack both arrive there, in either order.
    const frames = await pub.take(2);
    expect(frames.find((f) => f.kind === "ack")).toEqual({ kind: "ack", id: "a1", seqs: [1] });
    const event = await sub.next();
    expect(event).toEqual({
      kind: "event", seq: 1, id: expect.any(String), type: "order.filled", source: "strategy/alpha",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), data: { qty: 5 },
    });
    const res = await postJson(`${srv.url}/api/events`, { type: "order.filled" });
    expect(res.body.items[0].seq).toBe(2);
    expect(await sub.next()).toMatchObject({ seq: 2, source: "api" });
    sub.close();
    pub.close();
  });

  test("a batch gets consecutive seqs, delivered in order; a numeric ack id comes back as a number", async () => {
    srv = startTestServer();
    const sub = await open("/ws");
    const pub = await open("/ws/");
    const events = Array.from({ length: 50 }, (_, i) => ({ type: "tick", data: { i } }));
    pub.send({ kind: "publish", events, ack: 7 });
    expect(await pub.nextMatching((f) => f.kind === "ack")).toEqual({ kind: "ack", id: 7, seqs: Array.from({ length: 50 }, (_, i) => i + 1) });
    const got = await sub.take(50);
    expect(got.map((f) => [f.seq, f.data.i])).toEqual(Array.from({ length: 50 }, (_, i) => [i + 1, i]));
    sub.close();
    pub.close();
  });

  test("without ack nothing comes back: the next answer the publisher sees is its pong", async () => {
    srv = startTestServer();
    const sub = await open("/ws");
    const pub = await open("/ws/logs"); // a publisher that does not receive events itself
    const eventsPub = await open("/api/stream");
    eventsPub.send({ kind: "publish", event: { type: "quiet" } });
    expect(await sub.next()).toMatchObject({ kind: "event", type: "quiet" });
    eventsPub.send({ kind: "ping", id: "after" });
    // Its own event first (it is subscribed), then the pong: no ack in between.
    expect((await eventsPub.next()).type).toBe("quiet");
    expect(await eventsPub.next()).toEqual({ kind: "pong", id: "after" });
    for (const s of [sub, pub, eventsPub]) s.close();
  });

  test("an invalid event gets an error frame naming each field, and nothing of that frame is published", async () => {
    srv = startTestServer();
    const sub = await open("/ws");
    const pub = await open("/ws");
    pub.send({ kind: "publish", events: [{ type: "ok" }, { type: "has space" }, { source: "x" }], ack: "bad" });
    const error = await pub.next();
    expect(error).toMatchObject({ kind: "error", code: "invalid_event", id: "bad" });
    expect(error.issues).toEqual(expect.arrayContaining([
      { path: "events.1.type", message: expect.stringContaining("dot-separated") },
      { path: "events.2.type", message: "type is required" },
    ]));
    expect(error.message).toContain("events.2.type: type is required");

    pub.send({ kind: "publish", event: { type: "t", time: "yesterday" } });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "invalid_event", issues: [{ path: "event.time", message: expect.stringContaining("ISO 8601") }] });
    pub.send({ kind: "publish", event: [{ type: "t" }] });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "invalid_event", issues: [{ path: "event" }] });
    pub.send({ kind: "publish", events: [] });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "invalid_event", message: expect.stringContaining("at least one event") });

    // The first event published after the refusals is seq 1: nothing was stored before it.
    pub.send({ kind: "publish", event: { type: "good" }, ack: 1 });
    expect(await sub.next()).toMatchObject({ kind: "event", seq: 1, type: "good" });
    sub.close();
    pub.close();
  });

  test("malformed publish frames get bad_frame errors and the connection stays open", async () => {
    srv = startTestServer();
    const pub = await open("/ws");
    pub.send({ kind: "publish", ack: 1 });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "bad_frame", id: 1, message: expect.stringContaining('either "event"') });
    pub.send({ kind: "publish", event: { type: "a" }, events: [{ type: "b" }] });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "bad_frame" });
    pub.send({ kind: "publish", event: { type: "a" }, ack: { nested: true } });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "bad_frame", message: expect.stringContaining("ack") });
    pub.send({ kind: "publish", event: { type: "a" }, extra: 1 });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "bad_frame" });
    pub.send({ kind: "nonsense" });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "unsupported", message: expect.stringContaining("publish") });
    pub.send({ kind: "ping" });
    expect(await pub.next()).toEqual({ kind: "pong" });
    pub.close();
  });

  test("the batch limit is the same as over HTTP (--max-batch)", async () => {
    srv = startTestServer(["--max-batch", "3"]);
    const pub = await open("/ws");
    pub.send({ kind: "publish", events: [{ type: "a" }, { type: "b" }, { type: "c" }, { type: "d" }], ack: "big" });
    expect(await pub.next()).toMatchObject({ kind: "error", code: "invalid_event", id: "big", message: expect.stringContaining("at most 3 events") });
    const http = await postJson(`${srv.url}/api/events`, [{ type: "a" }, { type: "b" }, { type: "c" }, { type: "d" }]);
    expect(http.status).toBe(400);
    expect(http.body.message).toContain("at most 3 events");
    pub.close();
  });

  test("publish frames on /ws/logs are refused with a pointer to the event paths", async () => {
    srv = startTestServer();
    const logs = await open("/ws/logs");
    logs.send({ kind: "publish", event: { type: "x" }, ack: "l" });
    expect(await logs.nextMatching((f) => f.kind === "error")).toMatchObject({ code: "unsupported", id: "l", message: expect.stringContaining("/api/stream") });
    logs.close();
  });

  test("at the default log level a publish frame writes no log line", async () => {
    srv = startTestServer(["--log-level", "info"]);
    const pub = await open("/ws");
    const before = srv.logs.length;
    for (let i = 0; i < 20; i++) pub.send({ kind: "publish", event: { type: "quiet", data: { i } } });
    pub.send({ kind: "publish", event: { type: "last" }, ack: "done" });
    await pub.nextMatching((f) => f.kind === "ack");
    expect(srv.logs.slice(before)).toEqual([]);
    pub.close();
  });

  test("the OpenAPI document describes publish and ack frames with the event schema", async () => {
    srv = startTestServer();
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as any;
    const schemas = doc.components.schemas;
    // A $ref, or (to keep the property's own description beside it) an allOf holding the $ref.
    const event = schemas.PublishFrame.properties.event;
    expect(event.$ref ?? event.allOf?.[0]?.$ref).toBe("#/components/schemas/EventInput");
    expect(schemas.PublishFrame.properties.events.items.$ref).toBe("#/components/schemas/EventInput");
    expect(schemas.AckFrame.properties.seqs.type).toBe("array");
    expect(schemas.ErrorFrame.properties.code.enum).toContain("invalid_event");
    expect(JSON.stringify(doc.paths["/ws"])).toContain('\\"kind\\":\\"publish\\"');
  });
});
