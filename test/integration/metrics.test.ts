import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { ERROR_CODES } from "../../src/protocol/frames.ts";
import { connect } from "../helpers/client.ts";
import { eventually } from "../helpers/eventually.ts";
import { parsePrometheus, sampleValue, scrape } from "../helpers/prometheus.ts";
import { health, postJson, startTestServer, type TestServer } from "../helpers/server.ts";

describe("GET /metrics", () => {
  let srv: TestServer;
  beforeAll(() => {
    srv = startTestServer();
  });
  afterAll(() => srv.stop());

  test("counters move by exactly what clients and publishers did", async () => {
    const before = (await scrape(srv.url)).families;
    const v0 = (name: string, labels: Record<string, string> = {}) => sampleValue(before, name, labels);

    const a = await connect(srv.ws("/ws"));
    const b = await connect(srv.ws("/ws"));
    const c = await connect(srv.ws("/api/stream"));
    for (const s of [a, b, c]) expect((await s.next()).kind).toBe("hello");

    expect((await postJson(`${srv.url}/api/events`, [{ type: "m.one" }, { type: "m.two", data: { é: "ünïcode" } }, { type: "m.three" }])).status).toBe(200);
    expect((await postJson(`${srv.url}/api/events`, { type: "m.four", source: "metrics-test" })).status).toBe(200);
    expect((await postJson(`${srv.url}/api/events`, { type: "not valid" })).status).toBe(400);
    const notJson = await fetch(`${srv.url}/api/events`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(notJson.status).toBe(415);

    const frames = await a.take(4);
    await b.take(4);
    await c.take(4);
    expect(frames.map((f) => f.type)).toEqual(["m.one", "m.two", "m.three", "m.four"]);
    const frameBytes = a.raw.slice(1, 5).reduce((n, text) => n + Buffer.byteLength(text), 0);

    b.close();
    await eventually(() => srv.server.connections.byPath()["/ws"] === 1, "the server to see the close", 10_000);

    const { families: after, contentType } = await scrape(srv.url);
    expect(contentType).toStartWith("text/plain; version=0.0.4");
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - v0(name, labels);

    expect(delta("stream_connects_total", { path: "/ws" })).toBe(2);
    expect(delta("stream_connects_total", { path: "/api/stream" })).toBe(1);
    expect(delta("stream_connects_total", { path: "/ws/logs" })).toBe(0);
    expect(delta("stream_disconnects_total", { path: "/ws" })).toBe(1);
    expect(delta("stream_disconnects_total", { path: "/api/stream" })).toBe(0);
    expect(sampleValue(after, "stream_connections", { path: "/ws" })).toBe(1);
    expect(sampleValue(after, "stream_connections", { path: "/api/stream" })).toBe(1);

    expect(delta("stream_frames_published_total", { channel: "events" })).toBe(4);
    // Every frame went to the 3 subscribers of the events topic.
    expect(delta("stream_frames_delivered_total", { channel: "events" })).toBe(12);
    expect(delta("stream_bytes_sent_total", { channel: "events" })).toBe(frameBytes * 3);

    expect(delta("stream_publish_requests_total", { channel: "events", status: "200" })).toBe(2);
    expect(delta("stream_publish_requests_total", { channel: "events", status: "400" })).toBe(1);
    expect(delta("stream_publish_requests_total", { channel: "events", status: "415" })).toBe(1);
    expect(delta("stream_publish_requests_total", { channel: "logs", status: "200" })).toBe(0);

    // One latency observation per publish call that reached fan-out (the batch counts once).
    expect(delta("stream_publish_fanout_seconds_count", { channel: "events" })).toBe(2);
    expect(sampleValue(after, "stream_publish_fanout_seconds_bucket", { channel: "events", le: "+Inf" })).toBe(
      sampleValue(after, "stream_publish_fanout_seconds_count", { channel: "events" }),
    );
    expect(sampleValue(after, "stream_last_seq", { channel: "events" })).toBe(frames.at(-1).seq);
    expect(sampleValue(after, "stream_history_entries", { channel: "events" })).toBe(frames.at(-1).seq);
    a.close();
    c.close();
  });

  test("logs published over HTTP count on the logs channel, delivered to /ws/logs subscribers only", async () => {
    const logs = await connect(srv.ws("/ws/logs"));
    await logs.next();
    const before = (await scrape(srv.url)).families;
    expect((await postJson(`${srv.url}/api/logs`, { level: "warn", message: "metrics test line", source: "metrics-test" })).status).toBe(200);
    await logs.nextMatching((f) => f.message === "metrics test line");
    const after = (await scrape(srv.url)).families;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("stream_publish_requests_total", { channel: "logs", status: "200" })).toBe(1);
    // The server's own log lines (debug access log) travel the logs channel too: at least ours went out.
    expect(delta("stream_frames_published_total", { channel: "logs" })).toBeGreaterThanOrEqual(1);
    expect(delta("stream_frames_published_total", { channel: "events" })).toBe(0);
    expect(delta("stream_frames_delivered_total", { channel: "events" })).toBe(0);
    logs.close();
  });

  test("publish frames over WebSocket count by outcome, apart from HTTP publish requests", async () => {
    const publisher = await connect(srv.ws("/ws"));
    const logs = await connect(srv.ws("/ws/logs"));
    for (const s of [publisher, logs]) await s.next();
    const before = (await scrape(srv.url)).families;

    publisher.send({ kind: "publish", event: { type: "f.one" }, ack: 1 });
    publisher.send({ kind: "publish", events: [{ type: "f.two" }, { type: "f.three" }], ack: 2 });
    publisher.send({ kind: "publish", event: { type: "not valid" }, ack: 3 });
    publisher.send({ kind: "publish", ack: 4 });
    // Frames that fail the publish envelope itself (an unknown key, a bad ack) are publish frames too.
    publisher.send({ kind: "publish", evnt: { type: "f.typo" } });
    publisher.send({ kind: "publish", event: { type: "f.bad.ack" }, ack: { not: "an id" } });
    // Not publish frames: they count nowhere here.
    publisher.send({ kind: "ping", id: { not: "an id" } });
    publisher.send({ kind: "subscribe" });
    logs.send({ kind: "publish", event: { type: "f.four" }, ack: 5 });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await publisher.nextMatching((f) => f.kind === "ack" || f.kind === "error"));
    expect(answers.map((f) => f.kind === "ack" ? "ok" : f.code).sort()).toEqual(
      ["bad_frame", "bad_frame", "bad_frame", "bad_frame", "invalid_event", "ok", "ok", "unsupported"],
    );
    expect(await logs.nextMatching((f) => f.kind === "error")).toMatchObject({ code: "unsupported", id: 5 });

    const after = (await scrape(srv.url)).families;
    const delta = (channel: string, outcome: string) =>
      sampleValue(after, "stream_publish_frames_total", { channel, outcome }) - sampleValue(before, "stream_publish_frames_total", { channel, outcome });
    expect(delta("events", "ok")).toBe(2); // a frame counts once, however many events it carries
    expect(delta("events", "invalid_event")).toBe(1);
    expect(delta("events", "bad_frame")).toBe(3);
    expect(delta("events", "unsupported")).toBe(0);
    expect(delta("logs", "unsupported")).toBe(1);
    expect(sampleValue(after, "stream_publish_requests_total", { channel: "events", status: "200" })).toBe(
      sampleValue(before, "stream_publish_requests_total", { channel: "events", status: "200" }),
    );
    expect(sampleValue(after, "stream_frames_published_total", { channel: "events" }) - sampleValue(before, "stream_frames_published_total", { channel: "events" })).toBe(3);
    publisher.close();
    logs.close();
  });

  test("frames replayed to a resuming client are counted apart from live deliveries", async () => {
    const first = await connect(srv.ws("/ws"));
    const hello = await first.next();
    first.close();
    await first.closed;
    for (const type of ["r.one", "r.two", "r.three"]) await postJson(`${srv.url}/api/events`, { type });
    const before = (await scrape(srv.url)).families;

    const resumed = await connect(srv.ws(`/ws?since=${hello.seq}&epoch=${hello.epoch}`));
    expect((await resumed.next()).resume).toEqual({ since: hello.seq, complete: true });
    const replayed = await resumed.take(3);
    expect(replayed.map((f) => f.type)).toEqual(["r.one", "r.two", "r.three"]);
    const replayedBytes = resumed.raw.slice(1, 4).reduce((n, text) => n + Buffer.byteLength(text), 0);

    const after = (await scrape(srv.url)).families;
    const delta = (name: string) => sampleValue(after, name, { channel: "events" }) - sampleValue(before, name, { channel: "events" });
    expect(delta("stream_frames_replayed_total")).toBe(3);
    expect(delta("stream_frames_delivered_total")).toBe(0);
    expect(delta("stream_bytes_sent_total")).toBe(replayedBytes);
    resumed.close();
  });

  test("a filtered subscriber counts only the frames its filter topics carry", async () => {
    await eventually(() => srv.server.connections.total() === 0, "earlier clients to be gone", 10_000);
    const filtered = await connect(srv.ws("/ws?types=f.*"));
    await filtered.next();
    const before = (await scrape(srv.url)).families;
    await postJson(`${srv.url}/api/events`, [{ type: "g.skipped" }, { type: "f.kept.deep" }]);
    expect((await filtered.next()).type).toBe("f.kept.deep");
    const after = (await scrape(srv.url)).families;
    const delta = (name: string) => sampleValue(after, name, { channel: "events" }) - sampleValue(before, name, { channel: "events" });
    expect(delta("stream_frames_published_total")).toBe(2);
    expect(delta("stream_frames_delivered_total")).toBe(1);
    filtered.close();
  });

  test("Server-Sent Events streams count as connections and deliveries on their path", async () => {
    await eventually(() => srv.server.connections.total() === 0, "earlier clients to be gone", 10_000);
    const before = (await scrape(srv.url)).families;
    const abort = new AbortController();
    const res = await fetch(`${srv.url}/api/events/stream`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(/"kind":"hello"/);
    await postJson(`${srv.url}/api/events`, [{ type: "sse.one" }, { type: "sse.two" }]);
    await readUntil(/"type":"sse\.two"/);
    const during = (await scrape(srv.url)).families;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(during, name, labels) - sampleValue(before, name, labels);
    expect(delta("stream_connects_total", { path: "/api/events/stream" })).toBe(1);
    expect(sampleValue(during, "stream_connections", { path: "/api/events/stream" })).toBe(1);
    expect(delta("stream_frames_delivered_total", { channel: "events" })).toBe(2);
    const dataBytes = Buffer.byteLength(text.slice(text.indexOf("id: ")));
    expect(delta("stream_bytes_sent_total", { channel: "events" })).toBe(dataBytes);

    abort.abort();
    await eventually(() => srv.server.connections.total() === 0, "the server to see the stream end", 10_000);
    const after = (await scrape(srv.url)).families;
    expect(sampleValue(after, "stream_disconnects_total", { path: "/api/events/stream" }) - sampleValue(before, "stream_disconnects_total", { path: "/api/events/stream" })).toBe(1);
  });

  test("no label takes its values from what clients send", async () => {
    await postJson(`${srv.url}/api/events`, { type: "unbounded.type.label", source: "unbounded-source-label" });
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).not.toContain("unbounded");
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    // prom-client's process metrics carry no labels; ours carry only these bounded ones.
    expect([...labelNames].sort()).toEqual(["channel", "le", "outcome", "path", "reason", "status", "version"]);
    const outcomes = new Set([...text.matchAll(/outcome="([^"]*)"/g)].map((m) => m[1]));
    for (const outcome of outcomes) expect(["ok", ...ERROR_CODES]).toContain(outcome!);
  });

  test("includes process metrics that are right under Bun, and none that misreport", async () => {
    const { families } = await scrape(srv.url);
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(sampleValue(families, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(Math.abs(sampleValue(families, "process_start_time_seconds") - performance.timeOrigin / 1000)).toBeLessThan(60);
    expect(sampleValue(families, "process_open_fds")).toBeGreaterThan(0);
    expect(families.has("nodejs_eventloop_lag_p99_seconds")).toBe(false);
    expect(families.has("nodejs_version_info")).toBe(false);
    expect(sampleValue(families, "stream_info", { version: (await health(srv)).version })).toBe(1);
  });

  test("is listed in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as any;
    expect(doc.paths["/metrics"].get.responses["200"].content["text/plain"]).toBeDefined();
  });
});

describe("GET /metrics with --metrics-token", () => {
  let srv: TestServer;
  beforeAll(() => {
    srv = startTestServer(["--metrics-token", "s3cret-token"]);
  });
  afterAll(() => srv.stop());

  test("no token: 401 with a JSON body saying what to send", async () => {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    const body = (await res.json()) as any;
    expect(body.error).toBe("unauthorized");
    expect(body.message).toContain("Authorization: Bearer");
  });

  test.each([["Bearer wrong"], ["Bearer s3cret-token-and-more"], ["Bearer s3cret-toke"]])("wrong token %p: 403", async (authorization) => {
    const res = await fetch(`${srv.url}/metrics`, { headers: { authorization } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).message).toContain("not the metrics token");
  });

  test("a malformed Authorization header is treated as no token", async () => {
    const res = await fetch(`${srv.url}/metrics`, { headers: { authorization: "Basic czNjcmV0" } });
    expect(res.status).toBe(401);
  });

  test("the right token: 200 and parseable metrics; other routes stay open", async () => {
    const { families } = await scrape(srv.url, { authorization: "Bearer s3cret-token" });
    expect(families.get("stream_connects_total")?.type).toBe("counter");
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
  });

  test("a token with spaces is refused at start-up with a clear message", () => {
    expect(() => loadConfig(["--metrics-token", "two words"])).toThrow(ConfigError);
    expect(() => loadConfig(["--metrics-token", "two words"])).toThrow("--metrics-token expects a token of visible ASCII characters");
    expect(loadConfig([], { STREAM_METRICS_TOKEN: "from-env" }).metricsToken).toBe("from-env");
  });
});

describe("GET /metrics with access tokens", () => {
  let srv: TestServer;
  beforeAll(() => {
    srv = startTestServer(["--publish-token", "publish-secret-1", "--subscribe-token", "subscribe-secret-1"]);
  });
  afterAll(() => srv.stop());

  test("refused publishes count by status and by refusal reason", async () => {
    const before = (await scrape(srv.url)).families;
    expect((await postJson(`${srv.url}/api/events`, { type: "no.token" })).status).toBe(401);
    expect((await postJson(`${srv.url}/api/events`, { type: "bad.token" }, { authorization: "Bearer wrong-token-1" })).status).toBe(403);
    expect((await postJson(`${srv.url}/api/events`, { type: "good.token" }, { authorization: "Bearer publish-secret-1" })).status).toBe(200);
    expect((await fetch(`${srv.url}/api/events?since=0`)).status).toBe(401);
    const reader = await connect(srv.ws("/ws?token=subscribe-secret-1"));
    await reader.next();
    reader.send({ kind: "publish", event: { type: "reader.publish" }, ack: 1 });
    expect(await reader.nextMatching((f) => f.kind === "error")).toMatchObject({ code: "forbidden", id: 1 });
    reader.close();
    const after = (await scrape(srv.url)).families;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("stream_publish_requests_total", { channel: "events", status: "401" })).toBe(1);
    expect(delta("stream_publish_requests_total", { channel: "events", status: "403" })).toBe(1);
    expect(delta("stream_publish_requests_total", { channel: "events", status: "200" })).toBe(1);
    expect(delta("stream_refusals_total", { reason: "unauthorized" })).toBe(2);
    expect(delta("stream_publish_frames_total", { channel: "events", outcome: "forbidden" })).toBe(1);
    expect(delta("stream_refusals_total", { reason: "forbidden" })).toBe(2);
    expect(delta("stream_frames_published_total", { channel: "events" })).toBe(1);
  });
});

describe("the Prometheus text reader used above", () => {
  test("rejects what Prometheus would reject", () => {
    expect(() => parsePrometheus("# TYPE a_total counter\na_total 1\n")).not.toThrow();
    expect(() => parsePrometheus("a_total 1\n")).toThrow("sample without a TYPE");
    expect(() => parsePrometheus("# TYPE a_total counter\na_total one\n")).toThrow("bad value");
    expect(() => parsePrometheus("# TYPE a_total counter\na_total{x=1} 1\n")).toThrow("not a sample");
    expect(() => parsePrometheus("# TYPE a counter\na 1\n")).toThrow("should end in _total");
    expect(() => parsePrometheus("# TYPE a_total counter\na_total 1")).toThrow("newline");
    expect(() =>
      parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow("not cumulative");
  });
});
