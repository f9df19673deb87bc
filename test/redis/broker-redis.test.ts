import { afterAll, beforeAll, expect, test } from "bun:test";
import { clockNow, eventDraft } from "../../src/hub/envelope.ts";
import type { Entry } from "../../src/hub/envelope.ts";
import { createRedisBroker } from "../../src/hub/redis/broker.ts";
import { createLogger } from "../../src/log/logger.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { runBrokerContract } from "../contract/broker.contract.ts";

describeRedis("Redis broker", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  const logger = createLogger({ level: "warn", format: "json", write: () => {} });
  // Each broker gets its own key prefix: fresh, empty streams on the shared redis-server. The slack is
  // small so that the history test's 1,200 entries overflow it.
  runBrokerContract("redis", async (options) => {
    const broker = createRedisBroker({ ...options, url: redis.url, prefix: uniquePrefix(), readerSlack: 500, logger });
    await broker.ready();
    return broker;
  });

  test("publishes made in one turn take two script calls (the first at once, the rest together behind it), judged in order: a later caller's repeated id is a duplicate", async () => {
    const delivered: Entry[] = [];
    const threeDelivered = Promise.withResolvers<void>();
    const deliver = (_c: unknown, entries: Entry[]) => {
      delivered.push(...entries);
      if (delivered.length >= 3) threeDelivered.resolve();
    };
    const broker = createRedisBroker({ url: redis.url, prefix: uniquePrefix(), historySize: 100, logger, deliver });
    await broker.ready();
    const client = new Bun.RedisClient(redis.url);
    const scriptCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(String(await client.send("INFO", ["commandstats"])))?.[1] ?? 0);
    const before = await scriptCalls();
    const now = clockNow();
    const answers = await Promise.all([
      broker.publish("events", [eventDraft({ type: "a", id: "same-id" }, now)]),
      broker.publish("events", [eventDraft({ type: "b" }, now), eventDraft({ type: "c" }, now)]),
      broker.publish("events", [eventDraft({ type: "d", id: "same-id" }, now)]),
    ]);
    expect(await scriptCalls()).toBe(before + 2);
    expect(answers.map((a) => a.map((e) => [e.seq, e.key, e.duplicate ?? false]))).toEqual([
      [[1, "a", false]], [[2, "b", false], [3, "c", false]], [[1, "a", true]],
    ]);
    await threeDelivered.promise;
    expect(delivered.map((e) => e.seq)).toEqual([1, 2, 3]);
    client.close();
    await broker.close();
  });
});
