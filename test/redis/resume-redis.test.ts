import { expect, test } from "bun:test";
import { connect, type TestSocket } from "../helpers/client.ts";
import { describeRedis, useCleanup, startRedis, twoInstancesOnRedis, uniquePrefix } from "../helpers/redis.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

/**
 * Resume on the Redis broker, where reading history is a real network round trip: events published while a
 * resuming client's history read is in flight must reach it through the live buffer, once each, in order.
 * (With the single-process broker the read is synchronous, so this window hardly exists; here it does.)
 */
describeRedis("resume with --redis under a concurrent publisher", () => {
  const cleanup = useCleanup();

  test("clients resuming on B while A publishes get every seq once, in order, then live", async () => {
    const [a, b] = await twoInstancesOnRedis(cleanup);
    const publish = async (n: number) => {
      const res = await postJson(`${a.url}/api/events`, Array.from({ length: n }, (_, i) => ({ type: "busy", data: { i } })));
      expect(res.status).toBe(200);
    };
    await publish(1000);
    await publish(1000);
    await publish(1000);

    // A publisher runs on its own while clients resume from early seqs: each client's history read
    // (thousands of entries from Redis) overlaps many publishes delivered to B meanwhile.
    let published = 3000;
    const publisher = (async () => {
      for (let i = 0; i < 60; i++) {
        await publish(20);
        published += 20;
      }
    })();
    const clients: Array<{ since: number; ws: Promise<TestSocket> }> = [];
    for (let i = 0; i < 6; i++) {
      const since = i * 100;
      clients.push({ since, ws: connect(b.ws(`/ws?since=${since}`)) });
      await clients.at(-1)!.ws;
    }
    await publisher;
    const end = published;
    for (const { since, ws } of clients) {
      const socket = await ws;
      const frames = [await socket.next()];
      while (frames.at(-1)!.seq !== end || frames.length === 1) frames.push(await socket.next());
      expect(frames[0]).toMatchObject({ kind: "hello", resume: { since, complete: true } });
      expect(frames.slice(1).map((f) => f.seq)).toEqual(Array.from({ length: end - since }, (_, k) => since + 1 + k));
      socket.close();
    }
  }, 60_000);

  test("since_time on B starts at the first entry A stored at or after the time, over WebSocket and REST", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = uniquePrefix();
    const [a, b] = [0, 1].map(() => {
      const srv = startTestServer(["--redis", redis.url, "--redis-prefix", prefix]);
      cleanup.push(() => srv.stop());
      return srv;
    }) as [TestServer, TestServer];
    await Promise.all([a.server.ready, b.server.ready]);
    const publish = async (type: string) => (await postJson(`${a.url}/api/events`, [{ type }, { type }])).body.items.at(-1).seq as number;
    const last = await publish("old");
    const stored = (await (await fetch(`${a.url}/api/events?since=${last - 1}`)).json()) as any;
    const oldAt = Date.parse(stored.items[0].time);
    while (Date.now() <= oldAt) await Bun.sleep(1);
    await publish("new");
    const boundary = new Date(oldAt + 1).toISOString();

    const ws = await connect(b.ws(`/ws?since_time=${boundary}`));
    expect(await ws.next()).toMatchObject({ kind: "hello", resume: { since: 2, complete: true } });
    expect((await ws.take(2)).map((f) => [f.seq, f.type])).toEqual([[3, "new"], [4, "new"]]);
    ws.close();
    const page = (await (await fetch(`${b.url}/api/events?since_time=${encodeURIComponent(boundary)}`)).json()) as any;
    expect(page).toMatchObject({ complete: true, items: [{ seq: 3 }, { seq: 4 }] });
  });
});
