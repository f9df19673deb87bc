import { afterAll, beforeAll } from "bun:test";
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
});
