import { spawn } from "bun";
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { buildBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";
import { connect, type TestSocket } from "../helpers/client.ts";
import { describeRedis, freePort, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { health, postJson } from "../helpers/server.ts";

/** Several compiled executables on one Redis behave as one server. */
describeRedis("several instances on one Redis", () => {
  let redis: RedisServer;
  const running: BinaryServer[] = [];
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    await buildBinary();
    redis = await startRedis({ persistent: true });
  }, 120_000);
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.close();
    await Promise.all(running.splice(0).map((s) => s.kill()));
  });
  afterAll(() => redis?.stop());

  /** Starts `n` instances sharing one fresh key prefix (no publish rate limit: the load comes from one address). */
  const instances = async (n: number) => {
    const prefix = uniquePrefix();
    const started = await Promise.all(Array.from({ length: n }, () => startBinary(["--redis", redis.url, "--redis-prefix", prefix, "--publish-rate", "0"])));
    running.push(...started);
    return started;
  };
  const subscribe = async (srv: BinaryServer, path = "/ws") => {
    const ws = await connect(`ws://127.0.0.1:${srv.port}${path}`);
    sockets.push(ws);
    expect((await ws.next()).kind).toBe("hello");
    return ws;
  };
  const publish = (srv: BinaryServer, body: unknown) => postJson(`${srv.url}/api/events`, body);

  test("an event published on A reaches subscribers on B and C as the identical frame with the same seq", async () => {
    const [a, b, c] = await instances(3);
    const subs = [await subscribe(b!), await subscribe(c!, "/api/stream"), await subscribe(a!)];
    const res = await publish(a!, { type: "order.filled", source: "strategy/alpha", data: { qty: 5 } });
    expect(res.status).toBe(200);
    const frames = await Promise.all(subs.map((ws) => ws.next()));
    for (const f of frames) expect(f).toMatchObject({ kind: "event", seq: res.body.items[0].seq, id: res.body.items[0].id, type: "order.filled" });
    const raw = subs.map((ws) => ws.raw[1]);
    expect(new Set(raw).size).toBe(1);
    // Every instance reports the same position.
    const positions = await Promise.all([a, b, c].map(async (s) => (await health(s!)).channels.events));
    expect(new Set(positions.map((p: any) => `${p.epoch}/${p.seq}`)).size).toBe(1);
    // REST history on C reads the shared stream: the same frame.
    const history = (await (await fetch(`${c!.url}/api/events?since=0`)).json()) as any;
    expect(JSON.stringify(history.items[0])).toBe(raw[0]!);
  }, 60_000);

  test("an instance waiting for Redis at start logs what it waits for and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const proc = spawn([await buildBinary(), "--port", "0", "--host", "127.0.0.1", "--redis", `redis://127.0.0.1:${port}`], {
      stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    let out = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk, { stream: true });
      if (/waiting for Redis at redis:\/\/127\.0\.0\.1:\d+ .*retrying in/.test(out)) break;
    }
    expect(out).not.toContain("listening on");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  }, 60_000);

  test("5,000 events published alternately to A and B reach every subscriber of every instance in one order, with no gap", async () => {
    const [a, b] = await instances(2);
    const subs = [await subscribe(a!), await subscribe(a!, "/api/stream"), await subscribe(b!), await subscribe(b!, "/api/stream")];
    const TOTAL = 5000;
    const acked = new Map<number, string>(); // seq → id
    let next = 0;
    // Four publishers at a time, each alternating between A and B.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < TOTAL) {
          const i = next++;
          const res = await publish(i % 2 === 0 ? a! : b!, { type: "tick", data: { i } });
          expect(res.status).toBe(200);
          acked.set(res.body.items[0].seq, res.body.items[0].id);
        }
      }),
    );
    expect([...acked.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    const received = await Promise.all(subs.map((ws) => ws.take(TOTAL)));
    for (const frames of received) {
      expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(frames.every((f) => acked.get(f.seq) === f.id)).toBe(true);
    }
    // Byte-identical streams on both instances.
    expect(subs[2]!.raw.slice(1, TOTAL + 1)).toEqual(subs[0]!.raw.slice(1, TOTAL + 1));
  }, 180_000);

  test("a client resumes on B after A, the instance it was on, is killed: exactly what it missed, then live", async () => {
    const [a, b] = await instances(2);
    const onA = await connect(`ws://127.0.0.1:${a!.port}/api/stream`);
    sockets.push(onA);
    const hello = await onA.next();
    for (let i = 1; i <= 3; i++) expect((await publish(a!, { type: `seen.${i}` })).status).toBe(200);
    const seen = await onA.take(3);
    expect(seen.map((f) => f.seq)).toEqual([1, 2, 3]);

    await a!.kill("SIGKILL");
    await onA.closed;
    const missed = await publish(b!, [{ type: "missed.1" }, { type: "missed.2" }]);
    expect(missed.status).toBe(200);

    const resumed = await connect(`ws://127.0.0.1:${b!.port}/api/stream?since=3&epoch=${hello.epoch}`);
    sockets.push(resumed);
    expect(await resumed.next()).toMatchObject({ kind: "hello", epoch: hello.epoch, seq: 5, resume: { since: 3, complete: true } });
    expect((await resumed.take(2)).map((f) => [f.seq, f.type, f.id])).toEqual([
      [4, "missed.1", missed.body.items[0].id], [5, "missed.2", missed.body.items[1].id],
    ]);
    expect((await publish(b!, { type: "live" })).status).toBe(200);
    expect(await resumed.next()).toMatchObject({ kind: "event", seq: 6, type: "live" });
  }, 60_000);

  test("Redis killed and restarted mid-stream (AOF): publishes during the outage get 503, every acknowledged event arrives once, in order", async () => {
    const [a, b] = await instances(2);
    const subs = [await subscribe(a!), await subscribe(b!)];
    const acked: { seq: number; id: string }[] = [];
    let refused = 0;
    let killed = false;
    let restarted = false;
    let i = 0;
    // Publish alternately until 200 events were acknowledged after the restart.
    for (let afterRestart = 0; afterRestart < 200; i++) {
      if (acked.length === 300 && !killed) {
        killed = true;
        await redis.kill();
      }
      if (killed && !restarted && refused >= 20) {
        restarted = true;
        await redis.restart();
      }
      const res = await publish(i % 2 === 0 ? a! : b!, { type: "tick", data: { i } });
      if (res.status === 200) {
        acked.push(res.body.items[0]);
        if (restarted) afterRestart++;
      } else {
        expect(res.status).toBe(503);
        expect(res.body.error).toBe("unavailable");
        if (++refused > 10_000) throw new Error("the instances did not accept publishes again after Redis came back");
      }
    }
    expect(refused).toBeGreaterThanOrEqual(20);
    const last = acked.at(-1)!.seq;
    for (const ws of subs) {
      const frames = await ws.nextMatching((f) => f.seq === last).then(() => ws.raw.slice(1).map((r) => JSON.parse(r)));
      const seqs = frames.map((f) => f.seq);
      // In order, no duplicate, no gap; every acknowledged event among them with its id.
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => k + 1));
      const byId = new Map(frames.map((f) => [f.seq, f.id]));
      for (const { seq, id } of acked) expect(byId.get(seq)).toBe(id);
    }
  }, 180_000);
});
