import { describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

const PUB = "pub-secret-1";
const PUB2 = "pub-secret-2";
const SUB = "sub-secret-1";

const start = useServer();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("tokens", () => {
  test("with no token configured everything is open and the start-up log says so in one warning", async () => {
    const s = start([]);
    expect(s.logs.filter((l) => l.level === "warn" && String(l.msg).includes("no tokens configured"))).toHaveLength(1);
    expect((await postJson(`${s.url}/api/events`, { type: "x" })).status).toBe(200);
    const ws = await connect(s.ws("/ws"));
    expect((await ws.next()).kind).toBe("hello");
    ws.close();
  });

  test("publishing needs a publish token: 401 without, 403 wrong, 200 with any configured one", async () => {
    const s = start(["--publish-token", PUB, "--publish-token", PUB2]);
    const none = await postJson(`${s.url}/api/events`, { type: "x" });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect(none.body).toMatchObject({ error: "unauthorized", message: expect.stringContaining("Authorization: Bearer") });
    const wrong = await postJson(`${s.url}/api/events`, { type: "x" }, bearer("not-the-token"));
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: "forbidden", message: expect.stringContaining("--publish-token") });
    const otherScheme = await postJson(`${s.url}/api/logs`, { level: "info", message: "m" }, { authorization: `Basic ${PUB}` });
    expect(otherScheme.status).toBe(401);
    // A query-string token does not count for publishing: it would end up in proxy logs.
    const inQuery = await postJson(`${s.url}/api/events?token=${PUB}`, { type: "x" });
    expect(inQuery.status).toBe(401);
    expect((await postJson(`${s.url}/api/events`, { type: "x" }, bearer(PUB))).status).toBe(200);
    expect((await postJson(`${s.url}/api/logs`, { level: "info", message: "m" }, bearer(PUB2))).status).toBe(200);
    // Subscribing stays open when only publish tokens are set, and the warning names what is open.
    expect(s.logs.some((l) => l.level === "warn" && String(l.msg).includes("subscribing open"))).toBe(true);
    const ws = await connect(s.ws("/ws"));
    expect((await ws.next()).kind).toBe("hello");
    ws.close();
    expect(s.server.refusals).toMatchObject({ unauthorized: 3, forbidden: 1 });
  });

  test("subscribing needs a subscribe token, refused before the upgrade with a JSON body", async () => {
    const s = start(["--subscribe-token", SUB]);
    const none = await rawConnect(s.server.port, "/api/stream");
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: "unauthorized", message: expect.stringContaining("?token=") });
    const wrong = await rawConnect(s.server.port, "/ws?token=guess-guess");
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: "forbidden", message: expect.stringContaining("--subscribe-token") });
    const wrongHeader = await rawConnect(s.server.port, "/ws/logs", bearer("guess-guess"));
    expect(wrongHeader.status).toBe(403);

    const viaQuery = await connect(`${s.ws("/ws")}?token=${SUB}`);
    expect((await viaQuery.next()).kind).toBe("hello");
    const viaHeader = await connect(s.ws("/ws/logs"), { headers: bearer(SUB) });
    expect((await viaHeader.next()).kind).toBe("hello");
    viaQuery.close();
    viaHeader.close();
  });

  test("health and docs stay open; other reads need the subscribe token", async () => {
    const s = start(["--subscribe-token", SUB, "--publish-token", PUB]);
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${s.url}/docs`)).status).toBe(200);
    const plainGet = await fetch(`${s.url}/ws`);
    expect(plainGet.status).toBe(401);
    expect(((await plainGet.json()) as any).error).toBe("unauthorized");
    expect((await fetch(`${s.url}/ws?token=${SUB}`)).status).toBe(426);
    // A publish token may also read (a publisher's WebSocket carries one token); a subscribe token may not publish.
    const publisher = await rawConnect(s.server.port, "/ws", bearer(PUB));
    expect(publisher.status).toBe(101);
    publisher.end();
    expect((await fetch(`${s.url}/api/events?token=${PUB}`)).status).toBe(200);
    expect((await postJson(`${s.url}/api/events`, { type: "x" }, bearer(SUB))).status).toBe(403);
    expect(s.logs.some((l) => String(l.msg).includes("open to anyone"))).toBe(false);
  });

  test("history reads and Server-Sent Events need the subscribe token too, as header or ?token=", async () => {
    const s = start(["--subscribe-token", SUB]);
    await postJson(`${s.url}/api/events`, { type: "x" });
    expect((await fetch(`${s.url}/api/events`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/events?token=wrong-token`)).status).toBe(403);
    const history = await fetch(`${s.url}/api/events?token=${SUB}`);
    expect(history.status).toBe(200);
    expect((await fetch(`${s.url}/api/logs`, { headers: bearer(SUB) })).status).toBe(200);

    const refused = await fetch(`${s.url}/api/events/stream`, { headers: { accept: "text/event-stream" } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error).toBe("unauthorized");
    const sse = await openEventStream(`${s.url}/api/events/stream?token=${SUB}`);
    expect(sse.status).toBe(200);
    expect((await sse.frame()).kind).toBe("hello");
    sse.close();
  });

  test("CORS preflights are answered without a token", async () => {
    const s = start(["--publish-token", PUB, "--cors-origin", "https://app.example.com"]);
    const res = await fetch(`${s.url}/api/events`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });
});

describe("publish frames over WebSocket", () => {
  test("need a publish token on the connection, and count against the publish rate", async () => {
    const s = start(["--publish-token", PUB, "--publish-rate", "1", "--publish-burst", "2"]);
    const reader = await connect(s.ws("/ws"));
    await reader.next();
    reader.send({ kind: "publish", event: { type: "x" }, ack: 1 });
    // No token at all: the same refusal as a POST without one (401's code), not a 403.
    expect(await reader.next()).toMatchObject({ kind: "error", code: "unauthorized", id: 1, message: expect.stringContaining("?token=") });

    const publisher = await connect(`${s.ws("/ws")}?token=${PUB}`);
    await publisher.next();
    publisher.send({ kind: "publish", event: { type: "a" }, ack: 1 });
    expect(await publisher.nextMatching((f) => f.kind === "ack")).toMatchObject({ id: 1, seqs: [1] });
    publisher.send({ kind: "publish", event: { type: "b" }, ack: 2 });
    expect(await publisher.nextMatching((f) => f.kind === "ack")).toMatchObject({ id: 2, seqs: [2] });
    publisher.send({ kind: "publish", event: { type: "c" }, ack: 3 });
    expect(await publisher.nextMatching((f) => f.kind === "error")).toMatchObject({ code: "rate_limited", id: 3 });
    // The HTTP route shares the same bucket for the same token.
    expect((await postJson(`${s.url}/api/events`, { type: "d" }, bearer(PUB))).status).toBe(429);
    reader.close();
    publisher.close();
  });
});

describe("origins", () => {
  test("a WebSocket upgrade from a browser origin not on --cors-origin is refused with 403 naming it", async () => {
    const s = start(["--cors-origin", "https://app.example.com", "--cors-origin", "https://ops.example.com"]);
    const evil = await rawConnect(s.server.port, "/api/stream", { origin: "https://evil.example.net" });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({
      error: "forbidden_origin",
      origin: "https://evil.example.net",
      message: expect.stringContaining("https://evil.example.net"),
      allowedOrigins: ["https://app.example.com", "https://ops.example.com"],
    });
    const good = await connect(s.ws("/ws"), { headers: { origin: "https://ops.example.com" } });
    expect((await good.next()).kind).toBe("hello");
    // Non-browser clients send no Origin and are not affected.
    const script = await rawConnect(s.server.port, "/ws");
    expect(script.status).toBe(101);
    script.end();
    good.close();
    expect(s.server.refusals.forbiddenOrigin).toBe(1);
    expect(s.logs.some((l) => l.msg === "WebSocket upgrade refused" && l.status === 403)).toBe(true);
  });

  test("the server's own origin (http:// + the Host header) may always connect, so its console works under --cors-origin", async () => {
    const s = start(["--cors-origin", "https://app.example.com"]);
    const port = s.server.port;
    // rawConnect sends Host: 127.0.0.1:PORT, as a browser on http://127.0.0.1:PORT/ would.
    const own = await rawConnect(port, "/ws", { origin: `http://127.0.0.1:${port}` });
    expect(own.status).toBe(101);
    own.end();
    const logs = await rawConnect(port, "/ws/logs", { origin: `http://127.0.0.1:${port}` });
    expect(logs.status).toBe(101);
    logs.end();
    // Anything else is another origin: another site, another port, another scheme or another name for the host.
    for (const origin of ["https://evil.example", `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, `http://localhost:${port}`, "null"]) {
      const other = await rawConnect(port, "/ws", { origin });
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ error: "forbidden_origin", origin });
    }
  });

  test("with --cors-origin * any origin may connect", async () => {
    const s = start([]);
    const ws = await connect(s.ws("/ws"), { headers: { origin: "https://anywhere.example" } });
    expect((await ws.next()).kind).toBe("hello");
    ws.close();
  });
});
