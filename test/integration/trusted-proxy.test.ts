import { afterEach, describe, expect, test } from "bun:test";
import { upgradeFrom, type SocketFrom } from "../helpers/from-address.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

/**
 * Behind a reverse proxy every client arrives from the proxy's address. With --trusted-proxy the
 * server attributes a request from that proxy to the client it forwarded; from anyone else the
 * forwarding headers change nothing. The tests' clients connect from 127.0.0.1 (the "proxy" when it
 * is trusted) or, for an untrusted peer, from 127.0.0.2, another loopback address.
 */
const start = useServer();
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const upgrade = async (srv: TestServer, headers: Record<string, string>) => {
  const socket = await rawConnect(srv.server.port, "/ws", headers);
  open.push({ close: () => socket.end() });
  return socket;
};
const xff = (address: string) => ({ "x-forwarded-for": address });

describe("connection limits per forwarded client", () => {
  test("behind a trusted proxy each forwarded client has its own --max-connections-per-address, WebSocket and SSE alike", async () => {
    const srv = start(["--trusted-proxy", "127.0.0.1", "--max-connections-per-address", "2"]);
    for (let i = 0; i < 2; i++) expect((await upgrade(srv, xff("203.0.113.1"))).status).toBe(101);
    const third = await upgrade(srv, xff("203.0.113.1"));
    expect(third.status).toBe(503);
    expect(third.body).toMatchObject({ error: "too_many_connections" });
    expect(third.body.message).toStartWith("203.0.113.1 already holds 2 connections");
    // Another client behind the same proxy is not held back by the first.
    expect((await upgrade(srv, xff("198.51.100.2, 203.0.113.2"))).status).toBe(101);
    await srv.waitForLog((l) => l.msg === "client connected" && l.remote === "203.0.113.2");
    const sse = await openEventStream(`${srv.url}/api/events/stream`, xff("203.0.113.2"));
    open.push(sse);
    expect(sse.status).toBe(200);
    const refused = await fetch(`${srv.url}/api/events/stream`, { headers: { accept: "text/event-stream", ...xff("203.0.113.2") } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).message).toStartWith("203.0.113.2 already holds 2 connections");
  });

  test("without --trusted-proxy the header changes nothing: every connection counts against the peer", async () => {
    const srv = start(["--max-connections-per-address", "2"]);
    for (const client of ["203.0.113.1", "203.0.113.2"]) expect((await upgrade(srv, xff(client))).status).toBe(101);
    const third = await upgrade(srv, { ...xff("203.0.113.3"), forwarded: "for=203.0.113.4" });
    expect(third.status).toBe(503);
    expect(third.body.message).toStartWith("127.0.0.1 already holds 2 connections");
    expect(srv.logs.some((l) => String(l.remote ?? "").startsWith("203.0.113"))).toBe(false);
  });

  test("a peer that is not a trusted proxy cannot choose its address with X-Forwarded-For or Forwarded", async () => {
    const srv = start(["--trusted-proxy", "127.0.0.1", "--max-connections-per-address", "2"]);
    const sockets: SocketFrom[] = [];
    for (const headers of [xff("203.0.113.1"), { forwarded: "for=203.0.113.2" }, xff("127.0.0.1")]) {
      const s = await upgradeFrom("127.0.0.2", srv.ws("/ws"), headers);
      open.push(s);
      sockets.push(s);
    }
    expect(sockets.map((s) => s.status)).toEqual([101, 101, 503]);
    expect(sockets[2]!.body.message).toStartWith("127.0.0.2 already holds 2 connections");
    await srv.waitForLog((l) => l.msg === "client connected" && l.remote === "127.0.0.2");
  });
});

test("trusting every address (0.0.0.0/0, ::/0) is allowed but warned about at start: any client could then pick its address", async () => {
  const srv = start(["--trusted-proxy", "0.0.0.0/0", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::/0"]);
  expect(await srv.waitForLog((l) => l.level === "warn" && String(l.msg).startsWith("--trusted-proxy"))).toMatchObject({
    msg: "--trusted-proxy 0.0.0.0/0, ::/0 trusts every address: any client can choose the address it is counted and logged as by sending X-Forwarded-For; list only your proxies' addresses",
  });
  expect(start(["--trusted-proxy", "10.0.0.0/8"]).logs.filter((l) => String(l.msg).startsWith("--trusted-proxy"))).toEqual([]);
});

describe("the publish rate per forwarded client", () => {
  test("behind a trusted proxy each client has its own bucket, and a refusal is logged with its address", async () => {
    const srv = start(["--trusted-proxy", "127.0.0.1", "--publish-rate", "1", "--publish-burst", "1"]);
    const publish = (client: string) => postJson(`${srv.url}/api/events`, { type: "t" }, xff(client));
    expect((await publish("203.0.113.1")).status).toBe(200);
    expect((await publish("203.0.113.1")).status).toBe(429);
    expect((await publish("203.0.113.2")).status).toBe(200);
    expect(await srv.waitForLog((l) => l.msg === "request refused" && l.status === 429)).toMatchObject({ remote: "203.0.113.1" });
  });

  test("without a trusted proxy the forwarded address is no escape from the bucket", async () => {
    const srv = start(["--publish-rate", "1", "--publish-burst", "1"]);
    expect((await postJson(`${srv.url}/api/events`, { type: "t" }, xff("203.0.113.1"))).status).toBe(200);
    expect((await postJson(`${srv.url}/api/events`, { type: "t" }, xff("203.0.113.2"))).status).toBe(429);
    expect(await srv.waitForLog((l) => l.msg === "request refused" && l.status === 429)).toMatchObject({ remote: "127.0.0.1" });
  });
});

describe("the console's own origin behind a TLS proxy", () => {
  const behindTls = { origin: "https://stream.example.com", "x-forwarded-for": "203.0.113.1", "x-forwarded-proto": "https", "x-forwarded-host": "stream.example.com" };

  test("with --cors-origin set, a page served through a trusted proxy (https://, the public host) may open its WebSocket", async () => {
    const srv = start(["--cors-origin", "https://app.example.com", "--trusted-proxy", "127.0.0.1"]);
    expect((await upgrade(srv, behindTls)).status).toBe(101);
    // Any other origin is still refused.
    expect((await upgrade(srv, { ...behindTls, origin: "https://evil.example" })).status).toBe(403);
  });

  test("from a peer that is not trusted the forwarded scheme and host do not make an origin the server's own", async () => {
    const srv = start(["--cors-origin", "https://app.example.com"]);
    const refused = await upgrade(srv, behindTls);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: "forbidden_origin", origin: "https://stream.example.com" });
  });
});
