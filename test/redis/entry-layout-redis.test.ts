import { expect, test } from "bun:test";
import { redisKeys } from "../../src/hub/redis/keys.ts";
import { connect } from "../helpers/client.ts";
import { describeRedis, startRedis, uniquePrefix, useCleanup } from "../helpers/redis.ts";
import { postJson, startTestServer } from "../helpers/server.ts";

/**
 * A Redis kept across an upgrade holds entries in the layout before (one field per column: k, t, y, s, m, i).
 * The new layout (e, m, i, d) goes on after them in the same stream: history, by-id, resume and live all
 * serve both, and new entries carry no id field unless the publisher chose one.
 */
describeRedis("Redis stream entries written by the previous version", () => {
  const cleanup = useCleanup();

  test("are served by history, by-id and resume beside new ones, and duplicates of their ids are refused", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix, "events");
    const client = new Bun.RedisClient(redis.url);
    cleanup.push(async () => client.close());
    const epoch = "0ld3p0ch";
    const old = (seq: number, id: string, source: string) => {
      const tail = `,"id":"${id}","type":"order.filled","source":"${source}","time":"2026-12-01T10:00:0${seq}.000Z","data":{"n":${seq}}}`;
      return client.send("XADD", [keys.stream, `${seq}-0`, "e", epoch, "k", "event", "t", tail, "y", "order.filled", "s", source, "m", String(Date.now()), "i", id]);
    };
    await client.send("SET", [keys.epoch, epoch]);
    await old(1, "fill-1", "desk 7");
    await old(2, "fill-2", "desk 8");
    await client.send("ZADD", [keys.ids, "1", "fill-1", "2", "fill-2"]);
    await client.send("SET", [keys.seq, "2"]);

    const srv = startTestServer(["--redis", redis.url, "--redis-prefix", prefix]);
    cleanup.push(() => srv.stop());
    await srv.server.ready;
    const live = await connect(srv.ws("/ws"));
    expect(await live.next()).toMatchObject({ kind: "hello", epoch, seq: 2 });

    const fresh = await postJson(`${srv.url}/api/events`, [{ type: "order.filled", source: "desk 9 ", data: { n: 3 } }, { type: "x", id: "fill-2" }]);
    expect(fresh.status).toBe(200);
    expect(fresh.body.items[0]).toMatchObject({ seq: 3 });
    expect(fresh.body.items[1]).toEqual({ seq: 2, id: "fill-2", duplicate: true });
    expect(await live.next()).toMatchObject({ kind: "event", seq: 3, source: "desk 9 ", data: { n: 3 } });

    const page = (await (await fetch(`${srv.url}/api/events?since=0`)).json()) as { items: Array<Record<string, unknown>> };
    expect(page.items.map((f) => [f.seq, f.id === undefined ? undefined : String(f.id).slice(0, 6), f.source])).toEqual([
      [1, "fill-1", "desk 7"], [2, "fill-2", "desk 8"], [3, expect.any(String), "desk 9 "],
    ]);
    expect(await (await fetch(`${srv.url}/api/events/by-id/fill-1`)).json()).toMatchObject({ seq: 1, source: "desk 7", data: { n: 1 } });

    const resumed = await connect(srv.ws(`/ws?since=0&epoch=${epoch}`));
    expect(await resumed.next()).toMatchObject({ kind: "hello", resume: { since: 0, complete: true } });
    expect([await resumed.next(), await resumed.next(), await resumed.next()].map((f) => [f.seq, f.source])).toEqual([[1, "desk 7"], [2, "desk 8"], [3, "desk 9 "]]);

    const [, fields] = ((await client.send("XRANGE", [keys.stream, "3-0", "3-0"])) as [string, string[]][])[0]!;
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual(["e", "m", "d"]);
    live.close();
    resumed.close();
  });
});
