import { RedisClient } from "bun";
import { expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { eventually } from "../helpers/eventually.ts";
import { describeRedis, useCleanup, freePort, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { health, postJson, startTestServer, type TestServer } from "../helpers/server.ts";

/**
 * With --redis, Redis restarts and outages must never lose an acknowledged event, never acknowledge an
 * unstored one, and never drop WebSocket clients.
 */
describeRedis("--redis when Redis fails", () => {
  const cleanup = useCleanup();
  const redisServer = async (persistent: boolean) => {
    const redis = await startRedis({ persistent });
    cleanup.push(() => redis.stop());
    return redis;
  };
  const server = async (redis: RedisServer | string, extra: string[] = []) => {
    const url = typeof redis === "string" ? redis : redis.url;
    const srv = startTestServer(["--redis", url, "--redis-prefix", uniquePrefix(), ...extra]);
    cleanup.push(() => srv.stop());
    return srv;
  };
  const publish = (srv: TestServer, type: string) => postJson(`${srv.url}/api/events`, { type });

  test("while Redis is down: POST gets 503 JSON, health is degraded with the reason, subscribers stay connected", async () => {
    const redis = await redisServer(true);
    const srv = await server(redis);
    await srv.server.ready;
    expect(await health(srv)).toMatchObject({ status: "ok" });
    const ws = await connect(srv.ws("/ws"));
    expect((await ws.next()).kind).toBe("hello");

    await redis.kill();
    const refused = await publish(srv, "during.outage");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body).toMatchObject({ error: "unavailable" });
    expect(refused.body.message).toContain(`Redis at ${redis.url}`);
    expect(refused.body.message).toContain("nothing was stored");
    const h = await health(srv);
    expect(h.status).toBe("degraded");
    expect(h.reason).toContain(`Redis at ${redis.url}`);
    expect(srv.logs.some((l) => l.level === "warn" && String(l.msg).includes("lost the publish connection to Redis"))).toBe(true);
    const history = await fetch(`${srv.url}/api/events?since=0`);
    expect(history.status).toBe(503);
    expect(((await history.json()) as any).message).toContain("the history cannot be read");
    const metrics = await fetch(`${srv.url}/metrics`);
    expect(metrics.status).toBe(200); // still scrapeable during the outage
    expect(await metrics.text()).toContain("stream_connections");

    await redis.restart();
    const accepted = await eventually(async () => {
      const res = await publish(srv, "after.outage");
      return res.status === 200 && res.body;
    }, "a publish to succeed once Redis is back");
    // Healthy again once both connections (publish and stream reader) are back.
    await eventually(async () => (await health(srv)).status === "ok", "health to be ok again");
    // The socket never closed, and the first frame after hello is the event stored after the outage.
    expect(await ws.next()).toMatchObject({ kind: "event", type: "after.outage", seq: accepted.items[0].seq });
    expect(accepted.items[0].seq).toBe(1);
    ws.close();
  }, 60_000);

  test("while Redis is stalled: 503 after --redis-timeout-ms saying it may be stored, then 503 at once, until Redis answers", async () => {
    const redis = await redisServer(false);
    const srv = await server(redis, ["--redis-timeout-ms", "300"]);
    await srv.server.ready;
    const ws = await connect(srv.ws("/ws"));
    expect((await ws.next()).kind).toBe("hello");

    process.kill(redis.pid(), "SIGSTOP"); // the connection stays open; nothing answers
    let paused = true;
    cleanup.push(async () => void (paused && process.kill(redis.pid(), "SIGCONT")));

    const sent = await publish(srv, "sent.while.stalled");
    expect(sent.status).toBe(503);
    expect(sent.headers.get("retry-after")).toBe("1");
    expect(sent.body).toMatchObject({ error: "unavailable" });
    expect(sent.body.message).toContain(`Redis at ${redis.url} did not answer within 300 ms`);
    expect(sent.body.message).toContain("may have been stored");
    expect(srv.logs.some((l) => l.level === "warn" && String(l.msg).includes("did not answer within 300 ms on the publish connection"))).toBe(true);

    // Not sent at all: refused at once, and it says nothing was stored.
    const refused = await publish(srv, "refused.while.stalled");
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain("has not answered since");
    expect(refused.body.message).toContain("nothing was stored");
    const h = (await health(srv)) as { status: string; reason: string };
    expect(h.status).toBe("degraded");
    expect(h.reason).toContain("did not answer within 300 ms");
    const history = await fetch(`${srv.url}/api/events?since=0`);
    expect(history.status).toBe(503);

    process.kill(redis.pid(), "SIGCONT");
    paused = false;
    await eventually(async () => (await health(srv)).status === "ok", "health to be ok once Redis answers");
    const after = await publish(srv, "after.stall");
    expect(after.status).toBe(200);
    // Redis did run the timed-out publish: that is why its answer said "may have been stored".
    // The refused one never reached Redis.
    expect(await ws.next()).toMatchObject({ kind: "event", type: "sent.while.stalled", seq: 1 });
    expect(await ws.next()).toMatchObject({ kind: "event", type: "after.stall", seq: after.body.items[0].seq });
    expect(after.body.items[0].seq).toBe(2);
    ws.close();
  }, 30_000);

  test("after a restart with persistence every instance continues from the last id it delivered: no loss, no duplicate", async () => {
    const redis = await redisServer(true);
    const prefix = uniquePrefix();
    const a = startTestServer(["--redis", redis.url, "--redis-prefix", prefix]);
    const b = startTestServer(["--redis", redis.url, "--redis-prefix", prefix]);
    cleanup.push(() => a.stop(), () => b.stop());
    await Promise.all([a.server.ready, b.server.ready]);
    const onB = await connect(b.ws("/api/stream"));
    expect((await onB.next()).kind).toBe("hello");

    for (let i = 1; i <= 3; i++) expect((await publish(a, `before.${i}`)).status).toBe(200);
    await redis.kill();
    expect((await publish(a, "lost")).status).toBe(503);
    await redis.restart();
    await eventually(async () => (await publish(a, "after.1")).status === 200, "a publish to succeed once Redis is back");
    expect((await publish(a, "after.2")).status).toBe(200);

    const frames = await onB.take(5);
    expect(frames.map((f) => [f.seq, f.type])).toEqual([
      [1, "before.1"], [2, "before.2"], [3, "before.3"], [4, "after.1"], [5, "after.2"],
    ]);
    expect(b.server.hub.position("events").seq).toBe(5);
    onB.close();
  }, 60_000);

  test("Redis lost its data (restart without persistence): a new epoch, subscribers closed to resume, a reset for the old epoch", async () => {
    const redis = await redisServer(false);
    const srv = await server(redis);
    await srv.server.ready;
    expect((await publish(srv, "old")).status).toBe(200);
    const before = await eventually(async () => {
      const h = await health(srv);
      return h.channels.events.seq === 1 && h.channels.events;
    }, "the event to be delivered");
    const live = await connect(srv.ws("/ws"));
    expect((await live.next()).kind).toBe("hello");
    const logs = await connect(srv.ws("/ws/logs"));
    expect((await logs.next()).kind).toBe("hello");

    await redis.kill();
    await redis.restart();
    const res = await eventually(async () => {
      const r = await publish(srv, "new");
      return r.status === 200 && r;
    }, "a publish to succeed once Redis is back");
    expect(res.body.items[0].seq).toBe(1);
    const after = await eventually(async () => {
      const h = await health(srv);
      return h.channels.events.epoch !== before.epoch && h.channels.events.seq === 1 && h.channels.events;
    }, "the new epoch to show in health");
    expect(after.epoch).not.toBe(before.epoch);
    // A connected subscriber is closed rather than silently shown seqs that start again at 1 ...
    const closed = await live.closed;
    expect(closed.code).toBe(1012);
    expect(closed.reason).toContain("the events stream was recreated");
    expect(live.raw.some((r) => JSON.parse(r).kind === "event")).toBe(false);
    expect((await logs.closed).code).toBe(1012);
    // ... and, resuming from the lost epoch like any client that reconnects, is told so, then gets the new stream.
    const ws = await connect(srv.ws(`/ws?since=1&epoch=${before.epoch}`));
    expect(await ws.next()).toMatchObject({ kind: "hello", epoch: after.epoch, resume: { since: 1, complete: false } });
    expect(await ws.next()).toMatchObject({ kind: "reset", reason: "epoch_changed", epoch: after.epoch, next: 1 });
    expect(await ws.next()).toMatchObject({ kind: "event", seq: 1, type: "new" });
    ws.close();
    expect(srv.logs.some((l) => l.level === "warn" && String(l.msg).includes("Redis lost the events stream"))).toBe(true);
  }, 60_000);

  test("Redis emptied under a running instance (FLUSHALL, no reconnect): noticed while idle, subscribers closed to resume", async () => {
    const redis = await redisServer(false);
    const srv = await server(redis);
    await srv.server.ready;
    expect((await publish(srv, "old")).status).toBe(200);
    const live = await connect(srv.ws("/ws"));
    const hello = await live.next();
    const client = new RedisClient(redis.url);
    await client.send("FLUSHALL", []);
    client.close();
    expect((await live.closed).code).toBe(1012);
    const again = await connect(srv.ws(`/ws?since=1&epoch=${hello.epoch}`));
    expect(await again.next()).toMatchObject({ kind: "hello", resume: { since: 1, complete: false } });
    expect(await again.next()).toMatchObject({ kind: "reset", reason: "epoch_changed" });
    const res = await publish(srv, "new");
    expect(res.body.items[0].seq).toBe(1);
    expect(await again.next()).toMatchObject({ kind: "event", seq: 1, type: "new" });
    again.close();
  }, 60_000);

  test("an instance that starts while Redis is down waits, says what for, and serves once Redis is up", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const srv = await server(url);
    let ready = false;
    void srv.server.ready.then(() => (ready = true));

    const h = await health(srv);
    expect(h.status).toBe("degraded");
    expect(h.reason).toContain(`Redis at ${url}`);
    expect((await publish(srv, "too.early")).status).toBe(503);
    // A subscriber may connect meanwhile: it stays connected and gets its hello once Redis answered.
    const early = await connect(srv.ws("/ws"));
    await srv.waitForLog((l) => l.level === "warn" && /waiting for Redis at .*retrying in/.test(String(l.msg))); // a log line naming what it waits for
    expect(ready).toBe(false);
    expect(early.raw).toEqual([]); // no hello while the position is unknown

    const redis = await startRedis({ port });
    cleanup.push(() => redis.stop());
    await srv.server.ready;
    const hello = await early.next();
    expect(hello).toMatchObject({ kind: "hello", seq: 0 });
    expect(hello.epoch).toMatch(/^\S+$/);
    const res = await publish(srv, "on.time");
    expect(res.status).toBe(200);
    expect((await health(srv)).status).toBe("ok");
    expect(await early.next()).toMatchObject({ kind: "event", seq: res.body.items[0].seq, type: "on.time" });
    early.close();
  }, 60_000);

  test("--redis with a malformed URL is refused at startup, naming the flag", async () => {
    const { loadConfig } = await import("../../src/config.ts");
    expect(() => loadConfig(["--redis", "localhost:6379"])).toThrow(/--redis expects a Redis URL such as redis:\/\/localhost:6379/);
    expect(() => loadConfig(["--redis-prefix", "has space"])).toThrow(/--redis-prefix expects 1 to 200 characters without spaces/);
  });
});
