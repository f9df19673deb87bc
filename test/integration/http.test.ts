import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(() => {
  srv = startTestServer(["--max-body-bytes", "4096", "--max-batch", "10"]);
});
afterAll(() => srv.stop());

const WS_PATHS = ["/ws", "/api/stream", "/ws/logs"];

describe("wrong turns get clear answers", () => {
  test("a WebSocket upgrade on an unknown path: 404 naming the path and the WebSocket endpoints", async () => {
    const res = await rawConnect(srv.server.port, "/api/strem");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toContain("application/json");
    const body = res.body;
    expect(body).toMatchObject({ error: "not_found", path: "/api/strem", websocketEndpoints: WS_PATHS });
    expect(body.message).toContain("/api/strem");
    expect(srv.logs.some((l) => l.msg === "WebSocket upgrade refused: no such endpoint" && l.path === "/api/strem")).toBe(true);
  });

  test("a WebSocket upgrade on a real path switches protocols", async () => {
    const res = await rawConnect(srv.server.port, "/api/stream");
    expect(res.status).toBe(101);
    res.end();
  });

  test.each(WS_PATHS)("a plain GET on %s: 426 with a hint", async (path) => {
    const res = await fetch(`${srv.url}${path}`);
    expect(res.status).toBe(426);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ error: "upgrade_required", websocketEndpoints: WS_PATHS });
    expect(body.message).toContain(`wscat -c ws://`);
  });

  test("an unknown REST route: 404 JSON", async () => {
    const res = await fetch(`${srv.url}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found", message: expect.stringContaining("/api/nothing-here") });
  });

  test("a wrong method: 405 JSON with Allow", async () => {
    const res = await fetch(`${srv.url}/api/health`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(await res.json()).toMatchObject({ error: "method_not_allowed", allowed: ["GET"] });
    const put = await fetch(`${srv.url}/api/events`, { method: "PUT" });
    expect(put.status).toBe(405);
    // Publishing is served ahead of the Hono routes; the 405 still names it.
    expect(put.headers.get("allow")).toBe("POST, GET");
  });

  test("a body that is not JSON: 400 bad_json", async () => {
    const res = await postJson(`${srv.url}/api/events`, "{not json");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "bad_json", message: expect.stringContaining("not valid JSON") });
  });

  test("a body without a JSON content type: 415 saying what to send", async () => {
    const res = await fetch(`${srv.url}/api/events`, { method: "POST", body: '{"type":"a"}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: "unsupported_media_type", message: expect.stringContaining("application/json") });
  });

  test.each([
    ["missing type", {}, [{ path: "type", message: "type is required" }]],
    ["wrong type of type", { type: 5 }, [{ path: "type", message: "type must be a string" }]],
    ["empty type", { type: "" }, [{ path: "type", message: "type must not be empty" }]],
    ["type with a space", { type: "order filled" }, [{ path: "type", message: expect.stringContaining("dot-separated") }]],
    ["bad time", { type: "a", time: "yesterday" }, [{ path: "time", message: expect.stringContaining("ISO 8601") }]],
    ["an id with a lone surrogate", { type: "a", id: "order-\ud800" }, [{ path: "id", message: expect.stringContaining("valid Unicode") }]],
    ["a source with a lone surrogate", { type: "a", source: "\udc00desk" }, [{ path: "source", message: expect.stringContaining("lone surrogate") }]],
    ["unknown field", { type: "a", colour: "red" }, [{ path: "(body)", message: expect.stringContaining("colour") }]],
    ["a bad item in a batch", [{ type: "a" }, { type: 1 }], [{ path: "1.type", message: "type must be a string" }]],
    ["an empty batch", [], [{ path: "(body)", message: expect.stringContaining("at least one") }]],
    ["a batch over --max-batch", Array.from({ length: 11 }, () => ({ type: "a" })), [{ path: "(body)", message: expect.stringContaining("at most 10") }]],
    ["a string body", "\"just text\"", [{ path: "(body)", message: expect.any(String) }]],
  ])("event validation: %s → 400 with the field path", async (_name, body, issues) => {
    const res = await postJson(`${srv.url}/api/events`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_body");
    expect(res.body.issues).toEqual(issues);
    expect(res.body.message).toContain("request body failed validation");
  });

  test("log validation names the level values", async () => {
    const res = await postJson(`${srv.url}/api/logs`, { level: "loud", message: "x" });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: "level", message: "level must be one of debug, info, warn, error" }]);
  });

  test("a body over --max-body-bytes: 413, and nothing published", async () => {
    const before = srv.server.hub.position("events").seq;
    const res = await postJson(`${srv.url}/api/events`, { type: "big", data: "x".repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: "body_too_large", message: expect.stringContaining("4096") });
    expect(srv.server.hub.position("events").seq).toBe(before);
  });

  test("every refusal is logged with what was tried", async () => {
    await fetch(`${srv.url}/api/missing`);
    const line = srv.logs.findLast((l) => l.msg === "request refused");
    expect(line).toMatchObject({ method: "GET", path: "/api/missing", status: 404, error: expect.stringContaining("/api/missing") });
  });

  test("CORS allows any origin by default", async () => {
    const res = await fetch(`${srv.url}/api/events`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const post = await fetch(`${srv.url}/api/events`, { method: "POST", headers: { origin: "https://app.example.com", "content-type": "application/json" }, body: '{"type":"a"}' });
    expect(post.status).toBe(200);
    expect(post.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("CORS with listed origins", () => {
  test("only listed origins are echoed", async () => {
    const s = startTestServer(["--cors-origin", "https://a.example.com", "--cors-origin", "https://b.example.com"]);
    try {
      const ok = await fetch(`${s.url}/api/health`, { headers: { origin: "https://b.example.com" } });
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://b.example.com");
      const other = await fetch(`${s.url}/api/health`, { headers: { origin: "https://evil.example.com" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      // Publishes answer with the same CORS headers as every other route, refusals included.
      for (const body of ['{"type":"a"}', "{oops"]) {
        const listed = await fetch(`${s.url}/api/events`, { method: "POST", headers: { origin: "https://a.example.com", "content-type": "application/json" }, body });
        expect(listed.headers.get("access-control-allow-origin")).toBe("https://a.example.com");
        expect(listed.headers.get("vary")).toBe("Origin");
      }
      const unlisted = await fetch(`${s.url}/api/events`, { method: "POST", headers: { origin: "https://evil.example.com", "content-type": "application/json" }, body: '{"type":"a"}' });
      expect(unlisted.status).toBe(200); // CORS is the browser's guard; tokens are the server's
      expect(unlisted.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await s.stop();
    }
  });
});

describe("API documents", () => {
  test("/openapi.json is OpenAPI 3 and lists every REST route with schemas and examples", async () => {
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of ["GET /api/health", "POST /api/events", "POST /api/logs", ...WS_PATHS.map((p) => `GET ${p}`)]) expect(ops).toContain(op);
    const publish = doc.paths["/api/events"].post;
    expect(publish.requestBody.content["application/json"].example).toMatchObject({ type: "order.filled" });
    expect(Object.keys(publish.responses)).toEqual(expect.arrayContaining(["200", "400", "413", "415"]));
    for (const frame of ["HelloFrame", "EventFrame", "LogFrame", "ErrorFrame", "PongFrame"]) expect(doc.components.schemas[frame]).toBeDefined();
    expect(doc.info.description).toContain("/ws/logs");
  });

  test("/docs is Swagger UI that loads only the server's own assets", async () => {
    const res = await fetch(`${srv.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("SwaggerUIBundle");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) {
      expect(ref.startsWith("/")).toBe(true);
      const asset = await fetch(`${srv.url}${ref}`);
      expect(asset.status).toBe(200);
      expect((await asset.text()).length).toBeGreaterThan(1000);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });
});
