import { describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { health, postJson, useServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

const start = useServer();

describe("Server-Sent Events", () => {
  test("GET /api/events/stream: hello, then live events with id = seq", async () => {
    const srv = start();
    const stream = await openEventStream(`${srv.url}/api/events/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    expect(await stream.frame()).toMatchObject({ kind: "hello", channel: "events", path: "/api/events/stream", seq: 0 });
    await postJson(`${srv.url}/api/events`, [{ type: "order.filled", data: { qty: 5 } }, { type: "risk" }]);
    expect(await stream.frame()).toMatchObject({ _id: "1", kind: "event", seq: 1, type: "order.filled", data: { qty: 5 } });
    expect(await stream.frame()).toMatchObject({ _id: "2", seq: 2, type: "risk" });
    stream.close();
  });

  test("Last-Event-ID resumes after that seq (and wins over ?since), with the filter applied", async () => {
    const srv = start();
    await postJson(`${srv.url}/api/events`, Array.from({ length: 10 }, (_, i) => ({ type: i % 2 ? "order.placed" : "risk.alert", data: { i } })));
    const stream = await openEventStream(`${srv.url}/api/events/stream?since=1&types=order.*`, { "last-event-id": "4" });
    expect(await stream.frame()).toMatchObject({ kind: "hello", seq: 10, resume: { since: 4, complete: true } });
    const replay = [await stream.frame(), await stream.frame(), await stream.frame()];
    expect(replay.map((f) => f._id)).toEqual(["6", "8", "10"]);
    await postJson(`${srv.url}/api/events`, [{ type: "risk.alert" }, { type: "order.filled" }]);
    expect(await stream.frame()).toMatchObject({ _id: "12", type: "order.filled" });
    stream.close();
  });

  test("GET /api/stream with Accept: text/event-stream streams; history gone → reset frame", async () => {
    const srv = start(["--history-size", "5"]);
    await postJson(`${srv.url}/api/events`, Array.from({ length: 20 }, () => ({ type: "t" })));
    const stream = await openEventStream(`${srv.url}/api/stream?since=2`);
    expect(stream.status).toBe(200);
    expect(await stream.frame()).toMatchObject({ kind: "hello", path: "/api/stream", resume: { since: 2, complete: false } });
    expect(await stream.frame()).toMatchObject({ kind: "reset", reason: "history_exceeded", next: 16, lost: { from: 3, to: 15 } });
    expect((await stream.frame())._id).toBe("16");
    stream.close();
    const plain = await fetch(`${srv.url}/api/stream`);
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as any).message).toContain("Accept: text/event-stream");
  });

  test("EventSource-style: ?epoch= in the URL, Last-Event-ID on reconnect; a recreated stream gets a reset", async () => {
    const srv = start();
    await postJson(`${srv.url}/api/events`, [{ type: "a" }, { type: "b" }]);
    const fresh = await openEventStream(`${srv.url}/api/events/stream?epoch=old12345`); // first connect: no resume point yet
    expect(await fresh.frame()).toMatchObject({ kind: "hello", seq: 2 });
    await postJson(`${srv.url}/api/events`, { type: "live" });
    expect(await fresh.frame()).toMatchObject({ _id: "3", type: "live" }); // nothing was replayed before it
    fresh.close();
    const again = await openEventStream(`${srv.url}/api/events/stream?epoch=old12345`, { "last-event-id": "2" });
    const hello = await again.frame();
    expect(hello).toMatchObject({ kind: "hello", resume: { since: 2, complete: false } });
    expect(await again.frame()).toMatchObject({ kind: "reset", reason: "epoch_changed", epoch: hello.epoch, next: 1 });
    expect((await again.frame())._id).toBe("1");
    again.close();
  });

  test("GET /api/logs/stream: level and source filters", async () => {
    const srv = start();
    const stream = await openEventStream(`${srv.url}/api/logs/stream?level=warn&source=risk`);
    expect(await stream.frame()).toMatchObject({ kind: "hello", channel: "logs" });
    await postJson(`${srv.url}/api/logs`, [
      { level: "info", message: "quiet", source: "risk" },
      { level: "error", message: "other", source: "api" },
      { level: "warn", message: "loud", source: "risk" },
    ]);
    expect(await stream.frame()).toMatchObject({ kind: "log", level: "warn", message: "loud", source: "risk" });
    stream.close();
  });

  test("an idle stream gets a heartbeat comment", async () => {
    const srv = start(["--sse-heartbeat-ms", "100"]);
    const stream = await openEventStream(`${srv.url}/api/events/stream`);
    expect((await stream.next()).data).toContain('"hello"');
    expect(await stream.next()).toEqual({ comment: "heartbeat" });
    stream.close();
  });

  test("a client that goes away is let go: logged, and no longer counted", async () => {
    const srv = start();
    const logs = await connect(srv.ws("/ws/logs"));
    await logs.next();
    const stream = await openEventStream(`${srv.url}/api/events/stream`);
    await stream.frame();
    await logs.nextMatching((f) => f.message === "Server-Sent Events client connected");
    stream.close();
    const gone = await logs.nextMatching((f) => f.message === "Server-Sent Events client disconnected");
    expect(gone.fields).toMatchObject({ path: "/api/events/stream", connections: 1 }); // the /ws/logs socket
    expect((await health(srv)).connections["/api/events/stream"]).toBe(0);
    logs.close();
  });

  test.each([
    ["/api/events/stream?since=-3", {}, "invalid_query", "since"],
    ["/api/events/stream?types=a,,b*", {}, "invalid_query", "types.1"],
    ["/api/logs/stream?level=verbose", {}, "invalid_query", "level"],
    ["/api/logs/stream?epoch=a/b", {}, "invalid_query", "epoch"],
    ["/api/events/stream", { "last-event-id": "yesterday" }, "invalid_header", "last-event-id"],
    ["/api/stream?since=abc", {}, "invalid_query", "since"],
  ])("bad input %s → 400 naming it", async (path, headers, error, field) => {
    const srv = start();
    const res = await fetch(`${srv.url}${path}`, { headers: { accept: "text/event-stream", ...headers } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error, issues: [expect.objectContaining({ path: field })] });
  });
});
