import { afterEach, describe, expect, test } from "bun:test";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
afterEach(() => srv?.stop());

const get = async (path: string) => {
  const res = await fetch(`${srv.url}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any };
};

describe("history over REST", () => {
  test("GET /api/events pages through history with since/next/more, frames as subscribers got them", async () => {
    srv = startTestServer();
    await postJson(`${srv.url}/api/events`, Array.from({ length: 250 }, (_, i) => ({ type: "tick", data: { i } })));
    const first = await get("/api/events?limit=100");
    expect(first.status).toBe(200);
    expect(first.type).toStartWith("application/json");
    expect(first.body).toMatchObject({ epoch: expect.any(String), first: 1, last: 250, next: 100, more: true, complete: true });
    expect(first.body.items).toHaveLength(100);
    expect(first.body.items[0]).toMatchObject({ kind: "event", seq: 1, type: "tick", data: { i: 0 } });

    const seqs: number[] = first.body.items.map((f: any) => f.seq);
    let page = first.body;
    while (page.more) {
      page = (await get(`/api/events?limit=100&since=${page.next}`)).body;
      seqs.push(...page.items.map((f: any) => f.seq));
    }
    expect(seqs).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(page).toMatchObject({ next: 250, more: false });
    expect((await get("/api/events")).body.items).toHaveLength(100); // default limit
  });

  test("types filter pages over matching events only", async () => {
    srv = startTestServer();
    await postJson(`${srv.url}/api/events`, Array.from({ length: 30 }, (_, i) => ({ type: i % 3 === 0 ? "order.filled" : "risk.alert" })));
    const a = (await get("/api/events?types=order.*&limit=4")).body;
    expect(a.items.map((f: any) => f.seq)).toEqual([1, 4, 7, 10]);
    expect(a).toMatchObject({ next: 10, more: true });
    const b = (await get(`/api/events?types=order.*&limit=100&since=${a.next}`)).body;
    expect(b.items.map((f: any) => f.seq)).toEqual([13, 16, 19, 22, 25, 28]);
    expect(b).toMatchObject({ next: 30, more: false });
  });

  test("GET /api/logs with level and source", async () => {
    srv = startTestServer(["--log-level", "error"]); // keep the server's own lines out of the logs channel
    await postJson(`${srv.url}/api/logs`, [
      { level: "info", message: "a", source: "risk" },
      { level: "warn", message: "b", source: "risk" },
      { level: "error", message: "c", source: "api" },
    ]);
    const res = await get("/api/logs?level=warn&source=risk");
    expect(res.body.items.map((f: any) => f.message)).toEqual(["b"]);
    expect((await get("/api/logs?level=warn")).body.items.map((f: any) => f.message)).toEqual(["b", "c"]);
  });

  test("since older than the history: complete is false, first says where it starts", async () => {
    srv = startTestServer(["--history-size", "10"]);
    await postJson(`${srv.url}/api/events`, Array.from({ length: 25 }, () => ({ type: "t" })));
    const res = (await get("/api/events?since=3")).body;
    expect(res).toMatchObject({ first: 16, last: 25, complete: false, more: false });
    expect(res.items.map((f: any) => f.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
    expect((await get("/api/events?since=15")).body.complete).toBe(true);
  });

  test.each([
    ["/api/events?limit=0", "limit"],
    ["/api/events?limit=5000", "limit"],
    ["/api/events?limit=ten", "limit"],
    ["/api/events?since=1.5", "since"],
    ["/api/events?types=*foo", "types.0"],
    ["/api/logs?level=trace", "level"],
  ])("bad query %s → 400 naming the parameter", async (path, field) => {
    srv = startTestServer();
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_query", issues: [expect.objectContaining({ path: field })] });
  });

  test("documented in the OpenAPI document, with the stream routes", async () => {
    srv = startTestServer();
    const doc = (await get("/openapi.json")).body;
    for (const path of ["/api/events", "/api/logs"]) {
      const names = doc.paths[path].get.parameters.map((p: any) => p.name);
      expect(names).toEqual(expect.arrayContaining(["since", "limit"]));
    }
    expect(doc.paths["/api/events/stream"].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(["since", "epoch", "types", "last-event-id"]));
    expect(doc.paths["/api/logs/stream"].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(["level", "source"]));
    expect(doc.components.schemas.ResetFrame).toBeDefined();
  });
});
