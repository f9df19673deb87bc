import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectPastHello, type TestSocket } from "../helpers/client.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

/** A connected socket past its hello frame. */
const open = (path: string): Promise<TestSocket> => connectPastHello(srv!.ws(path));

const byId = async (id: string) => {
  const res = await fetch(`${srv!.url}/api/events/by-id/${encodeURIComponent(id)}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};

describe("publishing is idempotent by id", () => {
  test("HTTP: a retried id answers the original seq with duplicate: true, and subscribers see it once", async () => {
    srv = startTestServer();
    const sub = await open("/ws");
    const first = await postJson(`${srv.url}/api/events`, { type: "order.filled", id: "fill-1", data: { qty: 5 } });
    expect(first.body).toEqual({ accepted: 1, items: [{ seq: 1, id: "fill-1" }] });
    const retry = await postJson(`${srv.url}/api/events`, [
      { type: "order.filled", id: "fill-1", data: { qty: 5 } },
      { type: "order.filled", id: "fill-2" },
      { type: "order.filled", id: "fill-2" },
    ]);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({
      accepted: 3,
      items: [{ seq: 1, id: "fill-1", duplicate: true }, { seq: 2, id: "fill-2" }, { seq: 2, id: "fill-2", duplicate: true }],
    });
    await postJson(`${srv.url}/api/events`, { type: "marker" });
    expect((await sub.take(3)).map((f) => [f.seq, f.type])).toEqual([[1, "order.filled"], [2, "order.filled"], [3, "marker"]]);
    sub.close();
  });

  test("WebSocket: the ack lists every seq and, only when there are any, the duplicates' indexes", async () => {
    srv = startTestServer();
    const pub = await open("/ws");
    pub.send({ kind: "publish", events: [{ type: "a", id: "w-1" }, { type: "b", id: "w-2" }], ack: "first" });
    expect(await pub.nextMatching((f) => f.kind === "ack")).toEqual({ kind: "ack", id: "first", seqs: [1, 2] });
    pub.send({ kind: "publish", events: [{ type: "c", id: "w-3" }, { type: "b", id: "w-2" }], ack: "again" });
    expect(await pub.nextMatching((f) => f.kind === "ack")).toEqual({ kind: "ack", id: "again", seqs: [3, 2], duplicates: [1] });
    pub.close();
  });

  test("GET /api/events/by-id/{id}: the stored frame as subscribers got it, or 404 not_found naming the id", async () => {
    srv = startTestServer();
    const sub = await open("/ws");
    await postJson(`${srv.url}/api/events`, { type: "order.placed", id: "ord/7 é", data: { px: 1.5 } });
    const frame = await sub.next();
    const found = await byId("ord/7 é");
    expect(found.status).toBe(200);
    expect(found.type).toStartWith("application/json");
    expect(JSON.parse(found.text)).toEqual(frame);
    // An id the server made up is not remembered: the answer names it, by-id does not find it.
    const made = await postJson(`${srv.url}/api/events`, { type: "order.placed" });
    expect(made.body.items[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await byId(made.body.items[0].id)).status).toBe(404);
    const missing = await byId("nope-42");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: "not_found", id: "nope-42", message: expect.stringContaining('"nope-42"') });
    sub.close();
  });

  test("by-id needs the subscribe token when the server has one", async () => {
    srv = startTestServer(["--subscribe-token", "sub-secret-1234567890"]);
    expect((await byId("x")).status).toBe(401);
    const res = await fetch(`${srv.url}/api/events/by-id/x?token=sub-secret-1234567890`);
    expect(res.status).toBe(404);
  });

  test("with --data the ids survive a restart: a retry after it is still a duplicate, and by-id still finds it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stream-idem-"));
    try {
      srv = startTestServer(["--data", dir]);
      await postJson(`${srv.url}/api/events`, [{ type: "t", id: "kept-1" }, { type: "t", id: "kept-2" }]);
      await srv.stop();
      srv = startTestServer(["--data", dir]);
      const retry = await postJson(`${srv.url}/api/events`, [{ type: "t", id: "kept-2" }, { type: "t", id: "kept-3" }]);
      expect(retry.body.items).toEqual([{ seq: 2, id: "kept-2", duplicate: true }, { seq: 3, id: "kept-3" }]);
      expect(JSON.parse((await byId("kept-1")).text)).toMatchObject({ kind: "event", seq: 1, id: "kept-1" });
    } finally {
      await srv?.stop(); // before its directory goes
      srv = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the OpenAPI document shows duplicate in the answer, duplicates in the ack, and the by-id route with its 404", async () => {
    srv = startTestServer();
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as any;
    const item = doc.components.schemas.PublishResult.properties.items.items;
    expect(item.properties.duplicate).toMatchObject({ type: "boolean", enum: [true] });
    expect(doc.components.schemas.AckFrame.properties.duplicates.type).toBe("array");
    const op = doc.paths["/api/events/by-id/{id}"].get;
    expect(op.operationId).toBe("readEventById");
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "404"]));
  });
});
