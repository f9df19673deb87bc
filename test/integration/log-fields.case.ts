import { expect } from "bun:test";
import { connect } from "../helpers/client.ts";
import { postJson, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

/**
 * Log `fields` reach every reader exactly as sent, like event `data`: a key named `__proto__` is an
 * ordinary key of a JSON object, and once was dropped without a word (the 200 answer and the stored
 * frame then disagreed with what the publisher sent). Every engine, because each stores and reads
 * frames its own way: memory and SQLite in log-fields.test.ts here, Redis in test/redis/log-fields.test.ts.
 * JSON text is compared, as `JSON.parse` keeps the key as an own property but an object built by
 * assignment would not.
 */

const FIELDS = `{"__proto__":{"x":1},"keep":2}`;
const line = (message: string) => `{"level":"info","message":"${message}","fields":${FIELDS}}`;
export const KEPT = `"fields":${FIELDS}`;

/** Only warnings and worse from the server itself: the logs channel then holds just what the test sends. */
export const QUIET = ["--log-level", "warn"];

/** Publishes one line and a batch of two; asserts /ws/logs, SSE and GET /api/logs all carry the fields verbatim. */
export async function publishAndRead(srv: TestServer) {
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
