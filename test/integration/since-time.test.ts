import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

/** `?since_time=`: replay from the first entry the server accepted at or after a time, then live. */

let srv: TestServer;
afterEach(() => srv?.stop());

const get = async (path: string) => {
  const res = await fetch(`${srv.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};

/** Publishes `n` events of `type`; returns the server's accept time (ms) of the last one. */
async function publish(n: number, type: string): Promise<number> {
  const res = await postJson(`${srv.url}/api/events`, Array.from({ length: n }, () => ({ type })));
  expect(res.status).toBe(200);
  const last = (await get(`/api/events?since=${res.body.items.at(-1).seq - 1}`)).body.items[0];
  return Date.parse(last.time);
}

/** Waits until the clock has passed `ms`, so what is accepted next is accepted after it. */
async function clockPast(ms: number) {
  while (Date.now() <= ms) await Bun.sleep(1);
}

/** Two runs of events, `old.*` then `new.*`, and the time that separates them (ISO 8601). */
async function twoRuns() {
  const oldAt = await publish(3, "old");
  await clockPast(oldAt);
  const boundary = new Date(oldAt + 1).toISOString();
  await publish(2, "new");
  return boundary;
}

describe("since_time over WebSocket", () => {
  test("an ISO time: hello, the entries accepted from then on, then live frames", async () => {
    srv = startTestServer();
    const boundary = await twoRuns();
    const ws = await connect(srv.ws(`/api/stream?since_time=${boundary}`));
    expect(await ws.next()).toMatchObject({ kind: "hello", seq: 5, resume: { since: 3, since_time: boundary, complete: true } });
    expect((await ws.take(2)).map((f) => [f.seq, f.type])).toEqual([[4, "new"], [5, "new"]]);
    await publish(1, "live");
    expect(await ws.next()).toMatchObject({ kind: "event", seq: 6, type: "live" });
    ws.close();
  });

  test("a relative time: -1h replays the whole history; -0s replays nothing and goes live", async () => {
    srv = startTestServer();
    const last = await publish(4, "old");
    const hour = await connect(srv.ws("/ws?since_time=-1h"));
    expect(await hour.next()).toMatchObject({ kind: "hello", resume: { since: 0, complete: true } });
    expect((await hour.take(4)).map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    hour.close();

    await clockPast(last);
    const now = await connect(srv.ws("/ws?since_time=-0s"));
    expect(await now.next()).toMatchObject({ kind: "hello", seq: 4, resume: { since: 4, complete: true } });
    await publish(1, "live");
    expect(await now.next()).toMatchObject({ kind: "event", seq: 5, type: "live" });
    now.close();
  });

  test("history that no longer reaches back: reset history_exceeded, complete false, then what it holds", async () => {
    srv = startTestServer(["--history-size", "10"]);
    await publish(25, "t");
    const ws = await connect(srv.ws("/ws?since_time=-1h"));
    expect(await ws.next()).toMatchObject({ kind: "hello", seq: 25, resume: { since: 15, complete: false } });
    const reset = await ws.next();
    expect(reset).toMatchObject({ kind: "reset", reason: "history_exceeded", since: 15, next: 16 });
    expect(reset.message).toContain("no longer reaches back to");
    expect((await ws.take(10)).map((f) => f.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
    ws.close();
  });

  test("the log path takes since_time too", async () => {
    srv = startTestServer(["--log-level", "error"]);
    await postJson(`${srv.url}/api/logs`, [{ level: "warn", message: "a" }]);
    const ws = await connect(srv.ws("/ws/logs?since_time=-5m&level=warn"));
    expect(await ws.next()).toMatchObject({ kind: "hello", resume: { since: 0, complete: true } });
    expect(await ws.next()).toMatchObject({ kind: "log", seq: 1, message: "a" });
    ws.close();
  });
});

describe("since_time over Server-Sent Events", () => {
  test("an ISO time and a relative one; Last-Event-ID still wins on reconnect", async () => {
    srv = startTestServer();
    const boundary = await twoRuns();
    const sse = await openEventStream(`${srv.url}/api/events/stream?since_time=${encodeURIComponent(boundary)}`);
    expect(await sse.frame()).toMatchObject({ kind: "hello", resume: { since: 3, complete: true } });
    expect([(await sse.frame()).seq, (await sse.frame()).seq]).toEqual([4, 5]);
    sse.close();

    const all = await openEventStream(`${srv.url}/api/events/stream?since_time=-2d`);
    expect(await all.frame()).toMatchObject({ kind: "hello", resume: { since: 0, complete: true } });
    expect((await all.frame()).seq).toBe(1);
    all.close();

    const again = await openEventStream(`${srv.url}/api/events/stream?since_time=-2d`, { "last-event-id": "4" });
    expect(await again.frame()).toMatchObject({ kind: "hello", resume: { since: 4, complete: true } });
    expect((await again.frame()).seq).toBe(5);
    again.close();
  });

  test("history that no longer reaches back: a reset first", async () => {
    srv = startTestServer(["--history-size", "10"]);
    await publish(25, "t");
    const sse = await openEventStream(`${srv.url}/api/events/stream?since_time=-1h`);
    expect(await sse.frame()).toMatchObject({ kind: "hello", resume: { since: 15, complete: false } });
    expect(await sse.frame()).toMatchObject({ kind: "reset", reason: "history_exceeded", next: 16 });
    expect((await sse.frame()).seq).toBe(16);
    sse.close();
  });
});

describe("since_time over REST history", () => {
  test("GET /api/events?since_time= pages from the first entry at or after the time", async () => {
    srv = startTestServer();
    const boundary = await twoRuns();
    const page = (await get(`/api/events?since_time=${encodeURIComponent(boundary)}`)).body;
    expect(page).toMatchObject({ first: 1, last: 5, next: 5, more: false, complete: true });
    expect(page.items.map((f: any) => f.type)).toEqual(["new", "new"]);
    const limited = (await get("/api/events?since_time=-1h&limit=2")).body;
    expect(limited).toMatchObject({ next: 2, more: true, complete: true });
    expect(limited.items.map((f: any) => f.seq)).toEqual([1, 2]);
    expect((await get("/api/logs?since_time=-15m")).status).toBe(200);
  });

  test("history that no longer reaches back: complete false", async () => {
    srv = startTestServer(["--history-size", "10"]);
    await publish(25, "t");
    const page = (await get("/api/events?since_time=-1h")).body;
    expect(page).toMatchObject({ first: 16, last: 25, complete: false });
    expect(page.items[0].seq).toBe(16);
  });
});

describe("bad since_time values", () => {
  const BAD = ["yesterday", "2026-12-03T10:00:00", "15m", "-15w", "2026-02-30T10:00:00Z"];

  /** The refusal over each way in: status and JSON body. */
  async function refusal(over: "websocket" | "sse" | "http", path: string) {
    if (over === "websocket") return rawConnect(srv.server.port, path);
    const res = await fetch(`${srv.url}${path}`, { headers: over === "sse" ? { accept: "text/event-stream" } : {} });
    return { status: res.status, body: (await res.json()) as any };
  }

  for (const over of ["websocket", "sse", "http"] as const) {
    const base = over === "http" ? "/api/events" : over === "sse" ? "/api/events/stream" : "/ws";
    test(`${over}: 400 invalid_query naming since_time`, async () => {
      srv = startTestServer();
      for (const bad of BAD) {
        const { status, body } = await refusal(over, `${base}?since_time=${encodeURIComponent(bad)}`);
        expect(status).toBe(400);
        expect(body.error).toBe("invalid_query");
        expect(body.issues).toEqual([{ path: "since_time", message: expect.stringContaining("ISO 8601") }]);
      }
    });

    test(`${over}: since with since_time is 400 invalid_query naming both`, async () => {
      srv = startTestServer();
      const { status, body } = await refusal(over, `${base}?since=3&since_time=-15m`);
      expect(status).toBe(400);
      expect(body.error).toBe("invalid_query");
      expect(body.message).toContain("since and since_time cannot be used together");
    });
  }
});
