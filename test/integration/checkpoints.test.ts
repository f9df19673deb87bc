import { expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

const start = useServer();
/** Small, so a test waits a tenth of a second for a checkpoint, not the default 5 s. */
const FAST = ["--checkpoint-ms", "100"];

/** Publishes events of these types, one request; returns their seqs. */
async function publish(srv: TestServer, ...types: string[]): Promise<number[]> {
  const res = await postJson(`${srv.url}/api/events`, types.map((type) => ({ type })));
  expect(res.status).toBe(200);
  return res.body.items.map((i: { seq: number }) => i.seq);
}

/** Proves a negative: nothing may arrive within a few intervals (the only waits that are not on a frame). */
const quietFor = (ms: number) => Bun.sleep(ms);

test("a filtered WebSocket subscriber gets a checkpoint at the channel's head once the channel moved on without a match", async () => {
  const srv = start(FAST);
  const ws = await connect(srv.ws("/ws?types=order.*"));
  expect((await ws.next()).kind).toBe("hello");
  const [placed] = await publish(srv, "order.placed");
  const seqs = await publish(srv, "tick", "tick", "tick");
  expect(await ws.next()).toMatchObject({ kind: "event", seq: placed, type: "order.placed" });
  expect(await ws.next()).toEqual({ kind: "checkpoint", seq: seqs.at(-1) });
});

test("resuming from a checkpoint replays exactly the later matching events, with no reset, where the last match is out of history", async () => {
  const srv = start([...FAST, "--history-size", "3"]);
  const ws = await connect(srv.ws("/ws?types=order.*"));
  const hello = await ws.next();
  const [placed] = await publish(srv, "order.placed");
  const ticks = await publish(srv, "tick", "tick", "tick", "tick");
  expect((await ws.next()).seq).toBe(placed);
  const checkpoint = await ws.next();
  expect(checkpoint).toEqual({ kind: "checkpoint", seq: ticks.at(-1) });
  ws.close();
  await ws.closed;

  const [filled, , last] = await publish(srv, "order.filled", "tick", "order.done"); // history: exactly these three
  const resumed = await connect(srv.ws(`/ws?types=order.*&since=${checkpoint.seq}&epoch=${hello.epoch}`));
  expect(await resumed.next()).toMatchObject({ kind: "hello", resume: { since: checkpoint.seq, complete: true } });
  expect(await resumed.take(2)).toMatchObject([{ kind: "event", seq: filled }, { kind: "event", seq: last }]);

  // Without the checkpoint, the last match (seq 1) is out of the 3-entry history: the client would be told of a loss.
  const stale = await connect(srv.ws(`/ws?types=order.*&since=${placed}&epoch=${hello.epoch}`));
  expect(await stale.next()).toMatchObject({ kind: "hello", resume: { complete: false } });
  expect(await stale.next()).toMatchObject({ kind: "reset", reason: "history_exceeded" });
});

test("unfiltered subscribers get no checkpoints", async () => {
  const srv = start(FAST);
  const all = await connect(srv.ws("/ws"));
  const filtered = await connect(srv.ws("/ws?types=order.*"));
  await all.next();
  await filtered.next();
  const ticks = await publish(srv, "tick", "tick");
  expect(await filtered.next()).toEqual({ kind: "checkpoint", seq: ticks.at(-1) });
  const [marker] = await publish(srv, "marker");
  const frames = await all.take(3);
  expect(frames.map((f) => [f.kind, f.seq])).toEqual([["event", ticks[0]], ["event", ticks[1]], ["event", marker]]);
});

test("no checkpoint when nothing moved, and one per quiet interval, not one per event", async () => {
  const srv = start(["--checkpoint-ms", "50"]);
  await publish(srv, "tick", "tick"); // before it connects: its hello already says where the channel stands
  const ws = await connect(srv.ws("/ws?types=order.*"));
  await ws.next();
  await quietFor(250);
  expect(ws.raw.length).toBe(1);
  const began = performance.now();
  for (let i = 0; i < 20; i++) await publish(srv, "tick");
  const intervals = (performance.now() - began) / 50;
  const checkpoint = await ws.next();
  expect(checkpoint.kind).toBe("checkpoint");
  await quietFor(250);
  // Twenty events give a checkpoint per interval at most (not one each), then none once the channel stopped.
  const checkpoints = ws.raw.slice(1).map((text) => JSON.parse(text));
  expect(checkpoints.every((f) => f.kind === "checkpoint")).toBe(true);
  expect(checkpoints.length).toBeLessThanOrEqual(Math.ceil(intervals) + 1);
  expect(checkpoints.at(-1)).toEqual({ kind: "checkpoint", seq: 22 });
});

test("a filter that keeps matching gets no checkpoint", async () => {
  const srv = start(["--checkpoint-ms", "50"]);
  const ws = await connect(srv.ws("/ws?types=order.*"));
  await ws.next();
  const [seq] = await publish(srv, "order.placed");
  await ws.next();
  await quietFor(200);
  const [after] = await publish(srv, "order.filled");
  expect(await ws.next()).toMatchObject({ kind: "event", seq: after });
  expect(after).toBe(seq! + 1);
});

test("--checkpoint-ms 0 turns checkpoints off", async () => {
  const srv = start(["--checkpoint-ms", "0"]);
  const ws = await connect(srv.ws("/ws?types=order.*"));
  await ws.next();
  await publish(srv, "tick", "tick");
  await quietFor(250);
  const [placed] = await publish(srv, "order.placed");
  expect(await ws.next()).toMatchObject({ kind: "event", seq: placed });
});

test("a filtered log subscriber gets checkpoints too", async () => {
  const srv = start([...FAST, "--log-level", "debug"]);
  const ws = await connect(srv.ws("/ws/logs?level=error"));
  await ws.next();
  const res = await postJson(`${srv.url}/api/logs`, [{ level: "info", message: "calm", source: "t" }]);
  expect(res.status).toBe(200);
  const checkpoint = await ws.nextMatching((f) => f.kind !== "log");
  expect(checkpoint.kind).toBe("checkpoint");
  expect(checkpoint.seq).toBeGreaterThanOrEqual(res.body.items[0].seq);
});

test("a filtered Server-Sent Events stream gets the checkpoint with its id, so Last-Event-ID moves, and resumes from it", async () => {
  const srv = start(FAST);
  const stream = await openEventStream(`${srv.url}/api/events/stream?types=order.*`);
  const hello = await stream.frame();
  const [placed] = await publish(srv, "order.placed");
  const ticks = await publish(srv, "tick", "tick");
  expect(await stream.frame()).toMatchObject({ kind: "event", seq: placed, _id: String(placed) });
  expect(await stream.frame()).toEqual({ kind: "checkpoint", seq: ticks.at(-1), _id: String(ticks.at(-1)) });
  stream.close();

  const [, filled] = await publish(srv, "tick", "order.filled");
  const resumed = await openEventStream(`${srv.url}/api/events/stream?types=order.*&epoch=${hello.epoch}`, { "last-event-id": String(ticks.at(-1)) });
  expect(await resumed.frame()).toMatchObject({ kind: "hello", resume: { since: ticks.at(-1), complete: true } });
  expect(await resumed.frame()).toMatchObject({ kind: "event", seq: filled });
  resumed.close();
});

test("an unfiltered Server-Sent Events stream gets no checkpoint", async () => {
  const srv = start(FAST);
  const stream = await openEventStream(`${srv.url}/api/events/stream`);
  await stream.frame();
  await publish(srv, "tick");
  await quietFor(250);
  const [marker] = await publish(srv, "marker");
  const frames = [await stream.frame(), await stream.frame()];
  expect(frames.map((f) => f.kind)).toEqual(["event", "event"]);
  expect(frames[1].seq).toBe(marker);
  stream.close();
});

test("the OpenAPI document lists the checkpoint frame among the server's frames on every stream path", async () => {
  const srv = start();
  const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as any;
  expect(doc.components.schemas.CheckpointFrame.properties.kind.enum).toEqual(["checkpoint"]);
  for (const path of ["/ws", "/api/stream", "/ws/logs"]) {
    const frames = JSON.stringify(doc.paths[path].get.responses["101"]);
    expect(frames).toContain("#/components/schemas/CheckpointFrame");
  }
});

test("a checkpoint never overtakes an event: positions only grow through a replay, publishes during it, and live frames", async () => {
  const srv = start(["--checkpoint-ms", "10"]);
  const types = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? "order.placed" : "tick"));
  for (let i = 0; i < types.length; i += 500) await publish(srv, ...types.slice(i, i + 500));
  const ws = await connect(srv.ws("/ws?types=order.*,marker&since=0"));
  let last = 0;
  for (let i = 0; i < 20; i++) last = (await publish(srv, "tick", "order.filled", "tick", "tick")).at(-1)!;
  let position = 0;
  let checkpoints = 0;
  /** Takes frames, checking that positions only grow, until `done` says stop. */
  const readUntil = async (done: (frame: any) => boolean) => {
    for (;;) {
      const frame = await ws.next();
      if (frame.kind === "hello") continue;
      if (frame.kind === "checkpoint") {
        expect(frame.seq).toBeGreaterThanOrEqual(position);
        checkpoints++;
      } else expect(frame.seq).toBeGreaterThan(position);
      position = frame.seq;
      if (done(frame)) return;
    }
  };
  await readUntil((f) => f.kind === "checkpoint" && f.seq === last); // the quiet after the last match
  const [marker] = await publish(srv, "marker");
  await readUntil((f) => f.seq === marker);
  expect(checkpoints).toBeGreaterThan(0);
});
