import { afterAll, beforeAll, test } from "bun:test";
import { publishAndRead, QUIET } from "../integration/log-fields.case.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { useServer } from "../helpers/server.ts";

describeRedis("log fields with a __proto__ key, Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  const start = useServer();

  test("Redis stream: live on /ws/logs and SSE, and in GET /api/logs, verbatim", async () => {
    await publishAndRead(start([...QUIET, "--redis", redis.url, "--redis-prefix", uniquePrefix()]));
  });
});
