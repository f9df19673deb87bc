import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { health, startTestServer, type TestServer } from "../helpers/server.ts";

/**
 * Bad input of every kind the issue lists, over HTTP and WebSocket, each with the answer a user sees.
 * One server takes all of it; at the end it still serves and delivers, and the after-each check
 * (test/setup.ts) fails any case that made it log an unexpected error.
 */
const PUB = "publish-token-1";
const SUB = "subscribe-token-1";
const ORIGIN = "https://app.example.com";

let srv: TestServer;
beforeAll(() => {
  srv = startTestServer([
    "--publish-token", PUB, "--subscribe-token", SUB, "--cors-origin", ORIGIN, "--publish-rate", "0",
    "--max-body-bytes", "1048576", "--max-frame-bytes", "1048576", "--log-level", "info",
  ]);
});
afterAll(() => srv.stop());

const nested = (depth: number, inner = "1") => "[".repeat(depth) + inner + "]".repeat(depth);
const json = "application/json";
const auth = { authorization: `Bearer ${PUB}` };
const read = { authorization: `Bearer ${SUB}` };

interface HttpCase {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  status: number;
  error: string;
  says?: string;
}

const HTTP_CASES: HttpCase[] = [
  { name: "malformed JSON", body: '{"type":', status: 400, error: "bad_json", says: "not valid JSON" },
  { name: "JSON with a trailing comma", body: '{"type":"x",}', status: 400, error: "bad_json" },
  { name: "wrong type for type", body: '{"type":5}', status: 400, error: "invalid_body", says: "type must be a string" },
  { name: "wrong type for time", body: '{"type":"x","time":"yesterday"}', status: 400, error: "invalid_body", says: "ISO 8601" },
  { name: "missing type", body: '{"source":"s"}', status: 400, error: "invalid_body", says: "type is required" },
  { name: "unknown field", body: '{"type":"x","colour":"red"}', status: 400, error: "invalid_body", says: "colour" },
  { name: "null body", body: "null", status: 400, error: "invalid_body" },
  { name: "a bare string", body: '"order.filled"', status: 400, error: "invalid_body" },
  { name: "empty batch", body: "[]", status: 400, error: "invalid_body", says: "at least one" },
  { name: "10,000-item batch", body: JSON.stringify(Array.from({ length: 10_000 }, () => ({ type: "x" }))), status: 400, error: "invalid_body", says: "at most 1000" },
  { name: "data nested 100,000 deep", body: `{"type":"x","data":${nested(100_000)}}`, status: 400, error: "invalid_body", says: "nests deeper than 32" },
  { name: "log fields nested 40 deep", path: "/api/logs", body: `{"level":"info","message":"m","fields":{"a":${nested(40)}}}`, status: 400, error: "invalid_body", says: "fields nests deeper" },
  { name: "log fields nested 40 deep under __proto__", path: "/api/logs", body: `{"level":"info","message":"m","fields":{"__proto__":${nested(40)}}}`, status: 400, error: "invalid_body", says: "fields nests deeper" },
  { name: "log fields not an object", path: "/api/logs", body: '{"level":"info","message":"m","fields":[1]}', status: 400, error: "invalid_body", says: "fields must be a JSON object" },
  { name: "huge body (2 MB)", body: JSON.stringify({ type: "x", data: "y".repeat(2 * 1024 * 1024) }), status: 413, error: "body_too_large", says: "--max-body-bytes" },
  { name: "invalid UTF-8 in a string", body: new Uint8Array([...Buffer.from('{"type":"'), 0xff, 0xfe, ...Buffer.from('"}')]), status: 400, error: "invalid_body", says: "type must be" },
  { name: "type with spaces", body: '{"type":"order filled"}', status: 400, error: "invalid_body", says: "dot-separated" },
  { name: "type longer than --max-name-length", body: JSON.stringify({ type: "t".repeat(257) }), status: 400, error: "invalid_body", says: "at most 256" },
  { name: "wrong content type", headers: { ...auth, "content-type": "text/plain" }, body: '{"type":"x"}', status: 415, error: "unsupported_media_type" },
  { name: "missing publish token", headers: { "content-type": json }, body: '{"type":"x"}', status: 401, error: "unauthorized" },
  { name: "wrong publish token", headers: { "content-type": json, authorization: "Bearer nope-nope-nope" }, body: '{"type":"x"}', status: 403, error: "forbidden" },
  { name: "subscribe token used to publish", headers: { "content-type": json, ...read }, body: '{"type":"x"}', status: 403, error: "forbidden" },
  { name: "history without a token", method: "GET", path: "/api/events", headers: {}, status: 401, error: "unauthorized" },
  { name: "history: junk since", method: "GET", path: "/api/events?since=abc", headers: read, status: 400, error: "invalid_query", says: "since" },
  { name: "history: negative limit", method: "GET", path: "/api/events?limit=-5", headers: read, status: 400, error: "invalid_query", says: "limit" },
  { name: "history: repeated since", method: "GET", path: "/api/events?since=1&since=2", headers: read, status: 400, error: "invalid_query" },
  { name: "history: junk type filter", method: "GET", path: "/api/events?types=***", headers: read, status: 400, error: "invalid_query", says: "***" },
  { name: "unknown route", method: "GET", path: "/api/nope", headers: read, status: 404, error: "not_found" },
  { name: "wrong method", method: "DELETE", path: "/api/events", headers: auth, status: 405, error: "method_not_allowed" },
];

describe("bad input over HTTP", () => {
  test.each(HTTP_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const res = await fetch(`${srv.url}${c.path ?? "/api/events"}`, {
      method: c.method ?? "POST",
      headers: c.headers ?? { "content-type": json, ...auth },
      body: c.body,
    });
    expect(res.status).toBe(c.status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as any;
    expect(body.error).toBe(c.error);
    expect(typeof body.message).toBe("string");
    if (c.says) expect(body.message).toContain(c.says);
    expect(JSON.stringify(body)).not.toContain("    at "); // no stack traces
  });

  test("a chunked body over --max-body-bytes (no Content-Length) gets the same JSON 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"type":"x","data":"'));
        if (sent++ < 48) controller.enqueue(chunk); // 3 MB
        else controller.close();
      },
    });
    const res = await fetch(`${srv.url}/api/events`, { method: "POST", headers: { "content-type": json, ...auth }, body });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toBe("body_too_large");
  });
});

describe("chunked bodies (no Content-Length)", () => {
  test("under --max-body-bytes, split mid-character, are read whole and published", async () => {
    const ws = await connect(srv.ws(`/ws?token=${SUB}`));
    expect((await ws.next()).kind).toBe("hello");
    const bytes = new TextEncoder().encode(JSON.stringify([{ type: "chunked.one", data: "naïve ✓" }, { type: "chunked.two" }]));
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of ✓
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, cut));
        controller.enqueue(bytes.subarray(cut));
        controller.close();
      },
    });
    const res = await fetch(`${srv.url}/api/events`, { method: "POST", headers: { "content-type": json, ...auth }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).accepted).toBe(2);
    const [first, second] = await ws.take(2);
    expect(first.type).toBe("chunked.one");
    expect(first.data).toBe("naïve ✓");
    expect(second.type).toBe("chunked.two");
    ws.close();
  });
});

interface UpgradeCase {
  name: string;
  path: string;
  headers?: Record<string, string>;
  status: number;
  error: string;
}

const UPGRADE_CASES: UpgradeCase[] = [
  { name: "no token", path: "/ws", status: 401, error: "unauthorized" },
  { name: "wrong token", path: "/ws?token=wrong-wrong", status: 403, error: "forbidden" },
  { name: "forbidden origin", path: `/ws?token=${SUB}`, headers: { origin: "https://evil.example.net" }, status: 403, error: "forbidden_origin" },
  { name: "junk query", path: `/ws?token=${SUB}&since=abc`, status: 400, error: "invalid_query" },
  { name: "junk filter", path: `/api/stream?token=${SUB}&types=a,,b**`, status: 400, error: "invalid_query" },
  { name: "unknown path", path: `/ws/nope?token=${SUB}`, status: 404, error: "not_found" },
];

type FrameCase = { name: string; send: (ws: Awaited<ReturnType<typeof connect>>) => void; code: string; says?: string };

const FRAME_CASES: FrameCase[] = [
  { name: "malformed JSON", send: (ws) => ws.send("{kind:ping}"), code: "bad_json" },
  { name: "unknown kind", send: (ws) => ws.send({ kind: "subscribe" }), code: "unsupported", says: "subscribe" },
  { name: "no kind", send: (ws) => ws.send({ type: "x" }), code: "unsupported" },
  { name: "an array", send: (ws) => ws.send([1, 2]), code: "unsupported" },
  { name: "a binary frame", send: (ws) => ws.ws.send(new Uint8Array([0, 1, 2, 255])), code: "unsupported", says: "binary" },
  { name: "ping with an object id", send: (ws) => ws.send({ kind: "ping", id: { a: 1 } }), code: "bad_frame" },
  { name: "publish with wrong types", send: (ws) => ws.send({ kind: "publish", event: { type: 5 } }), code: "invalid_event", says: "type must be a string" },
  { name: "publish without event", send: (ws) => ws.send({ kind: "publish" }), code: "bad_frame" },
  { name: "publish of 10,000 events", send: (ws) => ws.send({ kind: "publish", events: Array.from({ length: 10_000 }, () => ({ type: "x" })) }), code: "invalid_event", says: "at most 1000" },
  { name: "publish nested 100,000 deep", send: (ws) => ws.send(`{"kind":"publish","event":{"type":"x","data":${nested(100_000)}}}`), code: "invalid_event", says: "nests deeper" },
];

describe("bad input over WebSocket", () => {
  test.each(UPGRADE_CASES.map((c) => [c.name, c] as const))("upgrade with %s is refused before the upgrade", async (_name, c) => {
    const res = await rawConnect(srv.server.port, c.path, c.headers);
    expect(res.status).toBe(c.status);
    expect(res.body.error).toBe(c.error);
    expect(typeof res.body.message).toBe("string");
  });

  test.each(FRAME_CASES.map((c) => [c.name, c] as const))("%s gets an error frame and the connection stays open", async (_name, c) => {
    const ws = await connect(srv.ws("/ws"), { headers: { authorization: `Bearer ${PUB}` } });
    await ws.next();
    c.send(ws);
    const error = await ws.nextMatching((f) => f.kind === "error");
    expect(error.code).toBe(c.code);
    if (c.says) expect(error.message).toContain(c.says);
    ws.send({ kind: "ping", id: "after" });
    expect(await ws.nextMatching((f) => f.kind === "pong")).toEqual({ kind: "pong", id: "after" });
    ws.close();
  });

  test("a text frame with invalid UTF-8 closes that client with 1007", async () => {
    const raw = await rawConnect(srv.server.port, `/ws?token=${SUB}`);
    await raw.next();
    raw.send(OP.text, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await raw.untilClose()).code).toBe(1007);
  });

  test("a frame over --max-frame-bytes closes that client with 1009", async () => {
    const ws = await connect(`${srv.ws("/ws")}?token=${SUB}`);
    await ws.next();
    ws.send({ kind: "ping", id: "x".repeat(2 * 1024 * 1024) });
    expect((await ws.closed).code).toBe(1009);
  });

  test("disconnecting in the middle of every step breaks nothing", async () => {
    // Before the handshake answer, right after the upgrade, mid-publish, mid-frame.
    const half = await Bun.connect({ hostname: "127.0.0.1", port: srv.server.port, socket: { data() {} } });
    half.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n");
    half.end();
    const early = await rawConnect(srv.server.port, `/ws?token=${SUB}`);
    early.end();
    const publisher = await connect(srv.ws("/ws"), { headers: { authorization: `Bearer ${PUB}` } });
    await publisher.next();
    publisher.send({ kind: "publish", events: Array.from({ length: 500 }, (_, i) => ({ type: "bulk", data: { i } })), ack: 1 });
    publisher.close();
    // A handshake followed by a masked frame header announcing 100 bytes, then only 3 of them, then gone.
    const partial = await Bun.connect({ hostname: "127.0.0.1", port: srv.server.port, socket: { data() {} } });
    partial.write(
      `GET /ws?token=${SUB} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    partial.write(new Uint8Array([0x81, 0x80 | 100, 1, 2, 3, 4, 0x7b, 0x22, 0x6b]));
    partial.end();
    await srv.waitForLog((l) => l.msg === "client disconnected" && l.connections === 0);
  });
});

describe("after all of it", () => {
  test("the server still serves, delivers and counts correctly", async () => {
    const ws = await connect(`${srv.ws("/api/stream")}?token=${SUB}`);
    const hello = await ws.next();
    const res = await fetch(`${srv.url}/api/events`, { method: "POST", headers: { "content-type": json, ...auth }, body: '{"type":"still.alive"}' });
    expect(res.status).toBe(200);
    expect(await ws.nextMatching((f) => f.kind === "event" && f.type === "still.alive")).toMatchObject({ seq: hello.seq + 1 });
    const h = await health(srv);
    expect(h.status).toBe("ok");
    expect(h.connections["/api/stream"]).toBe(1);
    ws.close();
  });
});
