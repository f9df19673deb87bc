import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { openEventStream } from "../helpers/sse.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/**
 * A mistyped query parameter (`?type=` for `types`, `?level=` on the event stream, `?limit=` on a
 * WebSocket) used to be ignored: the client got an unfiltered stream and no hint. Every subscription
 * and history route now refuses an unknown parameter with 400 invalid_query naming it and the valid
 * ones; `token` is accepted everywhere.
 */
const SUB = "subscribe-token-1";

let srv: TestServer;
beforeAll(() => {
  srv = startTestServer(["--subscribe-token", SUB]);
});
afterAll(() => srv.stop());

const EVENT_STREAM = "since, since_time, epoch, types and token";
const LOG_STREAM = "since, since_time, epoch, level, source and token";
const EVENT_HISTORY = "since, since_time, limit, types and token";
const LOG_HISTORY = "since, since_time, limit, level, source and token";

interface TypoCase {
  over: "websocket" | "sse" | "http";
  path: string;
  bad: string;
  valid: string;
  hint?: string;
}

const TYPOS: TypoCase[] = [
  { over: "websocket", path: "/ws?type=order.filled", bad: "type", valid: EVENT_STREAM, hint: 'did you mean "types"' },
  { over: "websocket", path: "/ws?level=warn", bad: "level", valid: EVENT_STREAM },
  { over: "websocket", path: "/api/stream?limit=10", bad: "limit", valid: EVENT_STREAM },
  { over: "websocket", path: "/ws/logs?types=order.*", bad: "types", valid: LOG_STREAM },
  { over: "sse", path: "/api/events/stream?type=order.filled", bad: "type", valid: EVENT_STREAM },
  { over: "sse", path: "/ws/logs?limit=5", bad: "limit", valid: LOG_STREAM },
  { over: "http", path: "/api/events?type=order.filled", bad: "type", valid: EVENT_HISTORY },
  { over: "http", path: "/api/logs?levle=warn", bad: "levle", valid: LOG_HISTORY },
];

/** The refusal a client sees for `path` over `over`: status and JSON body. */
async function answer(over: TypoCase["over"], path: string): Promise<{ status: number; body: any }> {
  const withToken = `${path}&token=${SUB}`;
  if (over === "websocket") return rawConnect(srv.server.port, withToken);
  const headers: Record<string, string> = over === "sse" ? { accept: "text/event-stream" } : {};
  const res = await fetch(`${srv.url}${withToken}`, { headers });
  // An accepted event stream never ends: stop reading it rather than wait for a body.
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, body: {} };
  }
  return { status: res.status, body: await res.json() };
}

describe("an unknown query parameter", () => {
  test.each(TYPOS.map((c) => [`${c.over} ${c.path}`, c] as const))("%s: 400 invalid_query naming it and the valid ones", async (_name, c) => {
    const { status, body } = await answer(c.over, c.path);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_query");
    expect(body.message).toContain(`unknown parameter "${c.bad}"`);
    expect(body.message).toContain(c.valid);
    if (c.hint) expect(body.message).toContain(c.hint);
    expect(body.issues).toEqual([{ path: c.bad, message: expect.stringContaining(c.valid) }]);
  });

  test("is named alongside a bad value of a known one", async () => {
    const { status, body } = await answer("http", "/api/events?since=abc&type=x");
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(["since", "type"]);
  });
});

describe("valid queries, with ?token= everywhere", () => {
  test("WebSocket upgrades on every path", async () => {
    for (const path of [`/ws?types=order.*&token=${SUB}`, `/api/stream?since=0&epoch=abc&token=${SUB}`, `/ws/logs?level=warn&source=a,b&token=${SUB}`]) {
      const ws = await connect(srv.ws(path));
      expect((await ws.next()).kind).toBe("hello");
      ws.close();
    }
  });

  test("Server-Sent Events on the stream routes and the WebSocket paths", async () => {
    for (const path of [`/api/events/stream?types=a.*&token=${SUB}`, `/api/logs/stream?level=info&token=${SUB}`, `/ws?since=0&token=${SUB}`]) {
      const stream = await openEventStream(`${srv.url}${path}`);
      expect(stream.status).toBe(200);
      expect((await stream.frame()).kind).toBe("hello");
      stream.close();
    }
  });

  test("history reads", async () => {
    for (const path of [`/api/events?since=0&limit=5&types=a.*&token=${SUB}`, `/api/logs?level=info&source=x&limit=1&token=${SUB}`]) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status).toBe(200);
      expect(Array.isArray(((await res.json()) as any).items)).toBe(true);
    }
  });
});
