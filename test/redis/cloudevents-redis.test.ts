import { expect, test } from "bun:test";
import { connectPastHello } from "../helpers/client.ts";
import { describeRedis, useCleanup, twoInstancesOnRedis } from "../helpers/redis.ts";

/** CloudEvents through Redis: the attributes ride in the stored frame, so every instance delivers them. */
describeRedis("CloudEvents with --redis", () => {
  const cleanup = useCleanup();

  test("a CloudEvent published on one instance reaches the other's subscribers, history and by-id with its attributes; its id is idempotent", async () => {
    const [a, b] = await twoInstancesOnRedis(cleanup);
    const sub = await connectPastHello(b.ws("/ws"));
    const ce = {
      specversion: "1.0", id: "ce-1", source: "/strategy/alpha", type: "order.filled", time: "2026-12-03T10:00:00Z", subject: "order/7",
      datacontenttype: "application/json", dataschema: "https://example.com/fill.json", traceparent: "00-abc-def-01", priority: 3, data: { qty: 5 },
    };
    const post = (url: string, headers: Record<string, string>, body: string) =>
      fetch(`${url}/api/events`, { method: "POST", headers, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect((await post(a.url, { "content-type": "application/cloudevents+json" }, JSON.stringify(ce))).body.items).toEqual([{ seq: 1, id: "ce-1" }]);
    const binary = { "content-type": "application/octet-stream", "ce-specversion": "1.0", "ce-id": "ce-2", "ce-source": "/s", "ce-type": "blob.put", "ce-region": "eu" };
    expect((await post(a.url, binary, "\u0000\u0001")).status).toBe(200);

    const [first, second] = await sub.take(2);
    expect(first).toEqual({ kind: "event", seq: 1, ...ce });
    expect(second).toEqual({
      kind: "event", seq: 2, id: "ce-2", type: "blob.put", source: "/s", time: expect.any(String), specversion: "1.0", region: "eu",
      datacontenttype: "application/octet-stream", data_base64: "AAE=",
    });
    const { items } = (await (await fetch(`${b.url}/api/events?since=0`)).json()) as { items: unknown[] };
    expect(items).toEqual([first, second]);
    expect(JSON.parse(await (await fetch(`${b.url}/api/events/by-id/ce-1`)).text())).toEqual(first);
    // The same CloudEvent again, through the other instance: a duplicate, not a second fill.
    expect((await post(b.url, { "content-type": "application/cloudevents-batch+json" }, JSON.stringify([ce]))).body.items).toEqual([
      { seq: 1, id: "ce-1", duplicate: true },
    ]);
    sub.close();
  });
});
