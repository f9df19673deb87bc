import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../helpers/client.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

/**
 * Log `fields` reach every reader exactly as sent, like event `data`: a key named `__proto__` is an
 * ordinary key of a JSON object, and once was dropped without a word (the 200 answer and the stored
 * frame then disagreed with what the publisher sent). Every engine, because each stores and reads
 * frames its own way. JSON text is compared, as `JSON.parse` keeps the key as an own property but an
 * object built by assignment would not.
 */

const FIELDS = `{"__proto__":{"x":1},"keep":2}`;
const line = (message: string) => `{"level":"info","message":"${message}","fields":${FIELDS}}`;
const KEPT = `"fields":${FIELDS}`;

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

/** Publishes one line and a batch of two; asserts /ws/logs, SSE and GET /api/logs all carry the fields verbatim. */
async function publishAndRead(flags: string[]) {
  // Only warnings and worse from the server itself: the channel then holds just what the test sends.
  srv = startTestServer(["--log-level", "warn", ...flags]);
  const ws = await connect(srv.ws("/ws/logs"));
  expect(await ws.next()).toMatchObject({ kind: "hello", channel: "logs" });
  const sse = await openEventStream(`${srv.url}/api/logs/stream`);
  expect(await sse.frame()).toMatchObject({ kind: "hello", channel: "logs" });

  const one = await postJson(`${srv.url}/api/logs`, line("one"));
  expect(one.status).toBe(200);
  const batch = await postJson(`${srv.url}/api/logs`, `[${line("two")},${line("three")}]`);
  expect(batch.status).toBe(200);
  expect(batch.body.accepted).toBe(2);

  const live = await ws.take(3);
  expect(live.map((f) => f.message)).toEqual(["one", "two", "three"]);
  for (const text of ws.raw.slice(1)) expect(text).toContain(KEPT);
  for (const f of live) {
    expect(Object.keys(f.fields)).toEqual(["__proto__", "keep"]);
    expect(Object.getOwnPropertyDescriptor(f.fields, "__proto__")?.value).toEqual({ x: 1 });
  }

  const streamed: string[] = [];
  while (streamed.length < 3) {
    const m = await sse.next();
    if (m.data !== undefined) streamed.push(m.data);
  }
  for (const text of streamed) expect(text).toContain(KEPT);
  sse.close();

  const history = await (await fetch(`${srv.url}/api/logs`)).text();
  expect(history.split(KEPT)).toHaveLength(4);
  expect((JSON.parse(history).items as any[]).map((f) => f.message)).toEqual(["one", "two", "three"]);
  ws.close();
}

describe("log fields with a __proto__ key", () => {
  test("memory history: live on /ws/logs and SSE, and in GET /api/logs, verbatim", async () => {
    await publishAndRead([]);
  });

  test("SQLite history (--data): verbatim, also read back after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stream-fields-"));
    try {
      await publishAndRead(["--data", dir]);
      await srv!.stop();
      srv = startTestServer(["--log-level", "warn", "--data", dir]);
      const history = await (await fetch(`${srv.url}/api/logs`)).text();
      expect(history.split(KEPT)).toHaveLength(4);
    } finally {
      await srv?.stop();
      srv = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeRedis("log fields with a __proto__ key, Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  test("Redis stream: live on /ws/logs and SSE, and in GET /api/logs, verbatim", async () => {
    await publishAndRead(["--redis", redis.url, "--redis-prefix", uniquePrefix()]);
  });
});
