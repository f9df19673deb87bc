import { afterEach, describe, expect, test } from "bun:test";
import { connect, type TestSocket } from "../helpers/client.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
afterEach(() => srv?.stop());

const seqRange = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Publishes `n` events in batches of `batch`; returns the last seq. */
async function publish(n: number, type = "tick", batch = 100): Promise<number> {
  let last = 0;
  for (let done = 0; done < n; done += batch) {
    const items = Array.from({ length: Math.min(batch, n - done) }, (_, i) => ({ type, data: { i: done + i } }));
    const res = await postJson(`${srv.url}/api/events`, items);
    expect(res.status).toBe(200);
    last = res.body.items.at(-1).seq;
  }
  return last;
}

/** Takes frames until a data frame with seq >= `seq` arrives; returns every frame taken. */
async function takeThrough(ws: TestSocket, seq: number): Promise<any[]> {
  const frames = [];
  for (;;) {
    const f = await ws.next();
    frames.push(f);
    if ((f.kind === "event" || f.kind === "log") && f.seq >= seq) return frames;
  }
}

describe("resume over WebSocket", () => {
  test("a client that reconnects with since gets exactly what it missed, in order, then live frames", async () => {
    srv = startTestServer();
    const first = await connect(srv.ws("/api/stream"));
    const hello = await first.next();
    await publish(1);
    const seen = await first.next();
    first.close();
    await first.closed;

    const last = await publish(500);
    const again = await connect(srv.ws(`/api/stream?since=${seen.seq}&epoch=${hello.epoch}`));
    expect(await again.next()).toMatchObject({ kind: "hello", epoch: hello.epoch, seq: last, resume: { since: 1, complete: true } });
    const missed = await again.take(500);
    expect(missed.map((f) => f.seq)).toEqual(seqRange(2, 501));
    expect(missed.every((f) => f.kind === "event" && f.type === "tick")).toBe(true);

    await publish(1, "after");
    expect(await again.next()).toMatchObject({ kind: "event", seq: 502, type: "after" });
    again.close();
  });

  test("no gap and no duplicate while a publisher keeps publishing during the replay", async () => {
    srv = startTestServer();
    await publish(200);
    const clients: Array<{ since: number; ws: Promise<TestSocket> }> = [];
    // The publisher runs on; clients resume at different points of it, from different seqs.
    const publisher = (async () => {
      for (let i = 0; i < 40; i++) {
        await publish(20, "busy", 20);
        if (i % 8 === 0) {
          const since = i * 5;
          clients.push({ since, ws: connect(srv.ws(`/ws?since=${since}`)) });
        }
      }
    })();
    await publisher;
    const end = 200 + 40 * 20;
    expect(clients).toHaveLength(5);
    for (const { since, ws } of clients) {
      const socket = await ws;
      const frames = await takeThrough(socket, end);
      expect(frames[0]).toMatchObject({ kind: "hello", resume: { since, complete: true } });
      expect(frames.slice(1).map((f) => f.seq)).toEqual(seqRange(since + 1, end));
      socket.close();
    }
  });

  test("since older than the history: a reset saying what is lost, then what the history holds", async () => {
    srv = startTestServer(["--history-size", "100"]);
    await publish(300);
    const ws = await connect(srv.ws("/ws?since=10"));
    expect(await ws.next()).toMatchObject({ kind: "hello", seq: 300, resume: { since: 10, complete: false } });
    const reset = await ws.next();
    expect(reset).toMatchObject({ kind: "reset", reason: "history_exceeded", since: 10, next: 201, lost: { from: 11, to: 200 } });
    expect(reset.message).toContain("--history-size");
    expect((await ws.take(100)).map((f) => f.seq)).toEqual(seqRange(201, 300));
    ws.close();
  });

  test("a wrong epoch: a reset, then the whole current history", async () => {
    srv = startTestServer();
    await publish(3);
    const ws = await connect(srv.ws("/api/stream?since=2&epoch=gone1234"));
    const hello = await ws.next();
    expect(hello).toMatchObject({ kind: "hello", resume: { since: 2, complete: false } });
    expect(await ws.next()).toMatchObject({ kind: "reset", reason: "epoch_changed", epoch: hello.epoch, next: 1 });
    expect((await ws.take(3)).map((f) => f.seq)).toEqual([1, 2, 3]);
    ws.close();
  });

  test("since beyond the stream (a server restarted without --data): a reset, then everything held", async () => {
    srv = startTestServer();
    await publish(2);
    const ws = await connect(srv.ws("/ws?since=9000"));
    await ws.next();
    expect(await ws.next()).toMatchObject({ kind: "reset", reason: "since_ahead", next: 1 });
    expect((await ws.take(2)).map((f) => f.seq)).toEqual([1, 2]);
    ws.close();
  });

  test("since equal to the latest seq: hello says complete, and live frames follow", async () => {
    srv = startTestServer();
    const last = await publish(5);
    const ws = await connect(srv.ws(`/ws?since=${last}`));
    expect(await ws.next()).toMatchObject({ kind: "hello", seq: last, resume: { since: last, complete: true } });
    await publish(1, "live");
    expect(await ws.next()).toMatchObject({ kind: "event", seq: last + 1, type: "live" });
    ws.close();
  });
});

describe("filters", () => {
  const mix = ["order.placed", "order.filled", "strategy.started", "strategy.stopped", "risk.alert", "order.fill.partial"];

  test("types filter applies to replayed and live events; overlapping patterns deliver each once", async () => {
    srv = startTestServer();
    await postJson(`${srv.url}/api/events`, mix.map((type) => ({ type })));
    const q = "types=order.*,order.filled,strategy.started";
    const resumed = await connect(srv.ws(`/ws?since=0&${q}`));
    const live = await connect(srv.ws(`/api/stream?${q}`));
    await live.next();
    const replay = await takeThrough(resumed, 6);
    expect(replay.slice(1).map((f) => f.type)).toEqual(["order.placed", "order.filled", "strategy.started", "order.fill.partial"]);

    await postJson(`${srv.url}/api/events`, mix.map((type) => ({ type })));
    await postJson(`${srv.url}/api/events`, { type: "order.marker" });
    for (const ws of [resumed, live]) {
      const frames = await takeThrough(ws, 13);
      expect(frames.map((f) => `${f.seq}:${f.type}`)).toEqual([
        "7:order.placed", "8:order.filled", "9:strategy.started", "12:order.fill.partial", "13:order.marker",
      ]);
      ws.close();
    }
  });

  test("log filters: level and above, from the given sources, replayed and live", async () => {
    srv = startTestServer();
    const lines = [
      { level: "info", message: "a", source: "risk" },
      { level: "warn", message: "b", source: "risk" },
      { level: "error", message: "c", source: "api" },
      { level: "error", message: "d", source: "risk" },
    ];
    await postJson(`${srv.url}/api/logs`, lines);
    const ws = await connect(srv.ws("/ws/logs?since=0&level=warn&source=risk"));
    expect(await ws.next()).toMatchObject({ kind: "hello", channel: "logs", resume: { complete: true } });
    expect((await ws.take(2)).map((f) => f.message)).toEqual(["b", "d"]);
    await postJson(`${srv.url}/api/logs`, [...lines, { level: "warn", message: "end", source: "risk" }]);
    expect((await ws.take(3)).map((f) => f.message)).toEqual(["b", "d", "end"]);
    ws.close();
  });

  test.each([
    ["/ws?since=abc", "since", "since must be a whole number"],
    ["/ws?since=-1", "since", "since must be a whole number"],
    ["/ws?types=order*", "types.0", 'type pattern "order*" is not valid'],
    ["/api/stream?since=1&epoch=a%2Fb", "epoch", "epoch must be the epoch from a hello frame"],
    ["/ws/logs?level=loud", "level", "level must be one of debug, info, warn, error"],
  ])("a bad query on upgrade (%s): 400 naming the parameter, no upgrade", async (path, field, message) => {
    srv = startTestServer();
    const res = await rawConnect(srv.server.port, path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_query", issues: [{ path: field, message: expect.stringContaining(message) }] });
    expect(srv.logs.some((l) => l.msg === "WebSocket upgrade refused: bad query string")).toBe(true);
  });
});
