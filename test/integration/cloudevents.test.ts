import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectPastHello } from "../helpers/client.ts";
import { openEventStream } from "../helpers/sse.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

const STRUCTURED = "application/cloudevents+json; charset=utf-8";
const BATCH = "application/cloudevents-batch+json";

/** POSTs a body as is with these headers; the status and the parsed answer. */
async function post(headers: Record<string, string>, body: string | Uint8Array, path = "/api/events") {
  const res = await fetch(`${srv!.url}${path}`, { method: "POST", headers, body });
  return { status: res.status, body: (await res.json()) as any };
}
const postCe = (event: unknown, type = STRUCTURED) => post({ "content-type": type }, JSON.stringify(event));

const fill = {
  specversion: "1.0", id: "fill-1", source: "/strategy/alpha", type: "order.filled", time: "2026-12-03T10:00:00Z",
  subject: "order/7", datacontenttype: "application/json", dataschema: "https://example.com/fill.json", traceparent: "00-abc-def-01",
  priority: 3, replay: false, data: { qty: 5 },
};

/** The frame a CloudEvent becomes: its attributes kept, kind and seq first, data last. */
const frameOf = (seq: number, ce: Record<string, unknown>) => ({ kind: "event", seq, ...ce });

describe("CloudEvents in", () => {
  test("structured mode: every attribute, extensions included, is kept in the frame, in frame order with data last", async () => {
    srv = startTestServer();
    const sub = await connectPastHello(srv.ws("/ws"));
    expect(await postCe(fill)).toEqual({ status: 200, body: { accepted: 1, items: [{ seq: 1, id: "fill-1" }] } });
    const raw = (await sub.next(), sub.raw.at(-1)!);
    expect(JSON.parse(raw)).toEqual(frameOf(1, fill));
    expect(Object.keys(JSON.parse(raw))).toEqual([
      "kind", "seq", "id", "type", "source", "time", "specversion", "subject", "datacontenttype", "dataschema", "traceparent", "priority", "replay", "data",
    ]);
    // Server-Sent Events, REST history and by-id give the same frame.
    const stream = await openEventStream(`${srv.url}/api/events/stream?since=0&types=order.*`);
    expect((await stream.frame()).kind).toBe("hello");
    const { _id, ...viaSse } = await stream.frame();
    expect([_id, viaSse]).toEqual(["1", JSON.parse(raw)]);
    stream.close();
    const history = (await (await fetch(`${srv.url}/api/events?since=0`)).json()) as { items: unknown[] };
    expect(history.items).toEqual([JSON.parse(raw)]);
    expect(await (await fetch(`${srv.url}/api/events/by-id/fill-1`)).text()).toBe(raw);
    sub.close();
  });

  test("batch mode: an array of CloudEvents, each its own seq; idempotent by id like any event; an empty batch accepts nothing", async () => {
    srv = startTestServer();
    const a = { specversion: "1.0", id: "a", source: "s", type: "t.a" };
    const b = { specversion: "1.0", id: "b", source: "s", type: "t.b", data_base64: "AAEC/w==" };
    expect((await postCe([a, b], BATCH)).body).toEqual({ accepted: 2, items: [{ seq: 1, id: "a" }, { seq: 2, id: "b" }] });
    expect((await postCe([b, { ...a, id: "c" }], BATCH)).body).toEqual({ accepted: 2, items: [{ seq: 2, id: "b", duplicate: true }, { seq: 3, id: "c" }] });
    expect((await postCe([], BATCH)).body).toEqual({ accepted: 0, items: [] });
    const { items } = (await (await fetch(`${srv.url}/api/events?since=0`)).json()) as { items: any[] };
    expect(items[0]).toMatchObject({ id: "a", specversion: "1.0", data: null });
    // Binary data stays base64, in place of data.
    expect(items[1]).toEqual({ kind: "event", seq: 2, id: "b", type: "t.b", source: "s", time: expect.any(String), specversion: "1.0", data_base64: "AAEC/w==" });
  });

  test("binary mode: attributes from ce- headers (percent-decoded), Content-Type as datacontenttype, the body as data", async () => {
    srv = startTestServer();
    const sub = await connectPastHello(srv.ws("/ws"));
    const headers = (contentType: string, id: string) => ({
      "content-type": contentType, "ce-specversion": "1.0", "ce-id": id, "ce-source": "/risk", "ce-type": "risk.alert",
      "ce-subject": "Euro%20%E2%82%AC", "ce-region": "eu",
    });
    expect((await post(headers("application/json", "j"), JSON.stringify({ used: 0.9 }))).status).toBe(200);
    expect((await post(headers("text/plain; charset=utf-8", "t"), "limit at 90%")).status).toBe(200);
    expect((await post(headers("application/octet-stream", "o"), new Uint8Array([0, 1, 2, 255]))).status).toBe(200);
    const [j, t, o] = await sub.take(3);
    expect(j).toEqual({
      kind: "event", seq: 1, id: "j", type: "risk.alert", source: "/risk", time: expect.any(String), specversion: "1.0", subject: "Euro €", region: "eu",
      datacontenttype: "application/json", data: { used: 0.9 },
    });
    expect(t).toMatchObject({ datacontenttype: "text/plain; charset=utf-8", data: "limit at 90%" });
    expect(o).toMatchObject({ datacontenttype: "application/octet-stream", data_base64: "AAEC/w==" });
    expect("data" in o).toBe(false);
    sub.close();
  });

  test("what a CloudEvents SDK sends (sdk-javascript's HTTP.structured and HTTP.binary) is taken unchanged", async () => {
    srv = startTestServer();
    const event = {
      id: "3f1c8a52-8d7e-4f0a-9b63-2a1d7c9e0b41", time: "2026-12-03T10:00:00.000Z", type: "com.example.order.filled", source: "/strategy/alpha",
      specversion: "1.0", datacontenttype: "application/json", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", data: { qty: 5 },
    };
    expect((await postCe(event)).status).toBe(200);
    const binary = await post(
      {
        "content-type": "application/json; charset=utf-8", "ce-id": "4e2d", "ce-time": event.time, "ce-type": event.type, "ce-source": event.source,
        "ce-specversion": "1.0", "ce-traceparent": event.traceparent,
      },
      JSON.stringify(event.data),
    );
    expect(binary).toEqual({ status: 200, body: { accepted: 1, items: [{ seq: 2, id: "4e2d" }] } });
    const { items } = (await (await fetch(`${srv.url}/api/events?since=0`)).json()) as { items: any[] };
    expect(items[0]).toEqual({ kind: "event", seq: 1, ...event });
    expect(items[1]).toMatchObject({ id: "4e2d", traceparent: event.traceparent, datacontenttype: "application/json; charset=utf-8", data: { qty: 5 } });
  });

  test("plain application/json stays stream-server's own format: CloudEvents attributes are refused as unknown keys", async () => {
    srv = startTestServer();
    const res = await postJson(`${srv.url}/api/events`, { type: "a", specversion: "1.0" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_body", message: expect.stringContaining('"specversion"; a CloudEvent? POST it to /api/events with "Content-Type: application/cloudevents+json"') });
    expect((await postJson(`${srv.url}/api/events`, { type: "a", sorce: "x" })).body.message).toContain('Unrecognized key: "sorce"');
    expect((await postJson(`${srv.url}/api/events`, { type: "a", data: 1 })).status).toBe(200);
  });

  test("a CloudEvent survives --data across a restart, attributes and all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stream-ce-"));
    try {
      srv = startTestServer(["--data", dir]);
      await postCe(fill);
      const before = await (await fetch(`${srv.url}/api/events/by-id/fill-1`)).text();
      await srv.stop();
      srv = startTestServer(["--data", dir]);
      expect(await (await fetch(`${srv.url}/api/events/by-id/fill-1`)).text()).toBe(before);
      expect(JSON.parse(before)).toEqual(frameOf(1, fill));
      expect((await postCe(fill)).body.items).toEqual([{ seq: 1, id: "fill-1", duplicate: true }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CloudEvents bad input: a clear 400 naming the field", () => {
  const cases: Array<[string, Record<string, string>, string | Uint8Array, number, string, string]> = [
    ["specversion missing", { "content-type": STRUCTURED }, JSON.stringify({ id: "x", source: "s", type: "t" }), 400, "specversion", "specversion is required"],
    ["specversion 0.3", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, specversion: "0.3" }), 400, "specversion", 'must be "1.0"'],
    ["no source", { "content-type": STRUCTURED }, JSON.stringify({ specversion: "1.0", id: "x", type: "t" }), 400, "source", "source is required"],
    ["no id", { "content-type": STRUCTURED }, JSON.stringify({ specversion: "1.0", source: "s", type: "t" }), 400, "id", ""],
    ["a bad extension name", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, "my-ext": "v" }), 400, "my-ext", "lower-case letters a–z and digits 0–9"],
    ["an upper-case extension name", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, Trace: "v" }), 400, "Trace", "not a CloudEvents attribute name"],
    ["an extension named __proto__", { "content-type": STRUCTURED }, '{"specversion":"1.0","id":"x","source":"s","type":"t","__proto__":"v"}', 400, "__proto__", "lower-case"],
    ["a batch item's extension named __proto__", { "content-type": BATCH }, '[{"specversion":"1.0","id":"x","source":"s","type":"t","__proto__":"v"}]', 400, "0.__proto__", "lower-case"],
    ["binary: a ce-__proto__ header", { "content-type": "text/plain", "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t", "ce-__proto__": "v" }, "x", 400, "ce-__proto__", "lower-case"],
    ["an extension named like a frame field", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, seq: 4 }), 400, "seq", "collide"],
    ["an object as extension value", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, ext: { a: 1 } }), 400, "ext", "a boolean or a 32-bit integer"],
    ["an extension value too long", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, ext: "x".repeat(300) }), 400, "ext", "at most 256 characters"],
    ["data and data_base64", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, data_base64: "AA==" }), 400, "data_base64", "not both"],
    ["data_base64 not base64", { "content-type": STRUCTURED }, JSON.stringify({ specversion: "1.0", id: "x", source: "s", type: "t", data_base64: "??" }), 400, "data_base64", "base64"],
    ["dataschema not a URI", { "content-type": STRUCTURED }, JSON.stringify({ ...fill, dataschema: "not a uri" }), 400, "dataschema", "absolute URI"],
    ["a batch item's type", { "content-type": BATCH }, JSON.stringify([fill, { ...fill, id: "y", type: "a b" }]), 400, "1.type", "dot-separated"],
    ["a single event sent as a batch", { "content-type": BATCH }, JSON.stringify(fill), 400, "(body)", ""],
    ["binary: no ce-type", { "content-type": "application/json", "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s" }, "{}", 400, "ce-type", "type is required"],
    ["binary: ce-specversion 0.3", { "content-type": "application/json", "ce-specversion": "0.3", "ce-id": "x", "ce-source": "s", "ce-type": "t" }, "{}", 400, "ce-specversion", 'must be "1.0"'],
    ["binary: a bad extension header", { "content-type": "application/json", "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t", "ce-my-ext": "v" }, "{}", 400, "ce-my-ext", "lower-case"],
    ["binary: bad percent-encoding", { "content-type": "text/plain", "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t", "ce-subject": "%C0%A0" }, "hi", 400, "ce-subject", "percent-encoded"],
  ];

  test.each(cases)("%s", async (_name, headers, body, status, path, message) => {
    srv = startTestServer();
    const res = await post(headers, body);
    expect(res.status).toBe(status);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(res.body.message).toContain(message);
    expect(res.body.message).toContain(path);
  });

  test("every problem is named at once: a bad extension name beside a bad specversion; a body that is no object is refused plainly", async () => {
    srv = startTestServer();
    const res = await postCe({ ...fill, specversion: "2.0", "x-y": 1 });
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(["specversion", "x-y"]);
    for (const body of [null, "a", 7]) expect((await postCe(body)).status).toBe(400);
    expect((await postCe([null], BATCH)).body.issues).toEqual([{ path: "0", message: expect.any(String) }]);
  });

  test("binary mode: a JSON Content-Type with a body that is not JSON is bad_json; ce-datacontenttype is refused", async () => {
    srv = startTestServer();
    const base = { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t" };
    expect(await post({ ...base, "content-type": "application/json" }, "{nope")).toMatchObject({ status: 400, body: { error: "bad_json" } });
    expect(await post({ ...base, "content-type": "text/plain", "ce-datacontenttype": "text/plain" }, "x")).toMatchObject({
      status: 400, body: { error: "invalid_header", message: expect.stringContaining("Content-Type") },
    });
  });

  test("CloudEvents go to /api/events: on /api/logs any CloudEvents mode is a 415 saying where to send them", async () => {
    srv = startTestServer();
    const modes: Array<Record<string, string>> = [{ "content-type": STRUCTURED }, { "content-type": "application/json", "ce-specversion": "1.0" }];
    for (const headers of modes) {
      const res = await post(headers, JSON.stringify(fill), "/api/logs");
      expect(res).toMatchObject({ status: 415, body: { error: "unsupported_media_type", message: expect.stringContaining("/api/events") } });
    }
  });
});
