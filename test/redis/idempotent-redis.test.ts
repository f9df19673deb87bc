import { expect, test } from "bun:test";
import { redisKeys } from "../../src/hub/redis/keys.ts";
import { ID_TRIM_BATCH } from "../../src/hub/redis/scripts.ts";
import { createRedisBroker } from "../../src/hub/redis/broker.ts";
import { clockNow, eventDraft } from "../../src/hub/envelope.ts";
import { createLogger } from "../../src/log/logger.ts";
import { connect } from "../helpers/client.ts";
import { describeRedis, useCleanup, startRedis, twoInstancesOnRedis, uniquePrefix } from "../helpers/redis.ts";
import { postJson } from "../helpers/server.ts";

/**
 * Idempotent publishing across instances: the id check runs inside the append script, so two instances
 * that receive the same id at the same moment store it once, and both answer with that one seq.
 */
describeRedis("idempotent publishing with --redis", () => {
  const cleanup = useCleanup();

  test("two instances racing the same ids store each once; both answers carry its seq, one says duplicate", async () => {
    const [a, b] = await twoInstancesOnRedis(cleanup);
    const watcher = await connect(b.ws("/ws"));
    expect((await watcher.next()).kind).toBe("hello");

    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      const id = `race-${r}`;
      const [ra, rb] = await Promise.all([
        postJson(`${a.url}/api/events`, { type: "order.filled", id, data: { via: "a" } }),
        postJson(`${b.url}/api/events`, { type: "order.filled", id, data: { via: "b" } }),
      ]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      const [ia, ib] = [ra.body.items[0], rb.body.items[0]];
      expect(ia.seq).toBe(ib.seq);
      expect([ia.duplicate, ib.duplicate].filter(Boolean)).toEqual([true]);
    }
    const page = (await (await fetch(`${a.url}/api/events?limit=1000`)).json()) as { items: Array<{ id: string; seq: number }> };
    expect(page.items.map((f: { id: string }) => f.id)).toEqual(Array.from({ length: rounds }, (_, r) => `race-${r}`));
    expect(page.items.map((f: { seq: number }) => f.seq)).toEqual(Array.from({ length: rounds }, (_, r) => r + 1));
    // Each id reached B's subscriber once: the marker published last is the very next frame after them.
    await postJson(`${a.url}/api/events`, { type: "marker", id: "marker" });
    const seen: string[] = [];
    for (let f = await watcher.next(); f.id !== "marker"; f = await watcher.next()) seen.push(f.id);
    expect(seen).toEqual(Array.from({ length: rounds }, (_, r) => `race-${r}`));
    watcher.close();
  });

  test("the ids set is trimmed with the stream: it holds at most ID_TRIM_BATCH ids (plus a batch) more than the stream", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = uniquePrefix();
    const logger = createLogger({ level: "warn", format: "json", write: () => {} });
    const broker = createRedisBroker({ url: redis.url, prefix, historySize: 10, readerSlack: 100, deliver: () => {}, logger });
    cleanup.push(() => broker.close());
    await broker.ready();
    for (let i = 0; i < 60; i++) {
      const now = clockNow();
      await broker.publish("events", Array.from({ length: 50 }, (_, k) => eventDraft({ type: "t", id: `id-${i}-${k}` }, now)));
    }
    const client = new Bun.RedisClient(redis.url);
    cleanup.push(async () => client.close());
    const keys = redisKeys(prefix, "events");
    const held = Number(await client.send("XLEN", [keys.stream]));
    const remembered = Number(await client.send("ZCARD", [keys.ids]));
    expect(held).toBeLessThan(300);
    expect(remembered).toBeLessThanOrEqual(held + ID_TRIM_BATCH + 50);
    expect(remembered).toBeLessThan(3000);
  });

  test("ids the server made up are neither added to the ids set nor stored in the entry: only chosen ids are keys", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = uniquePrefix();
    const logger = createLogger({ level: "warn", format: "json", write: () => {} });
    const broker = createRedisBroker({ url: redis.url, prefix, historySize: 100, deliver: () => {}, logger });
    cleanup.push(() => broker.close());
    await broker.ready();
    const now = clockNow();
    const [made] = await broker.publish("events", [eventDraft({ type: "t" }, now), eventDraft({ type: "t", id: "mine" }, now)]);
    const client = new Bun.RedisClient(redis.url);
    cleanup.push(async () => client.close());
    const keys = redisKeys(prefix, "events");
    expect(await client.send("ZRANGE", [keys.ids, "0", "-1"])).toEqual(["mine"]);
    const madeId = JSON.parse(made!.frame).id as string;
    expect(await broker.byId("events", madeId)).toBeUndefined();
    expect((await broker.byId("events", "mine"))?.seq).toBe(2);
  });
});
