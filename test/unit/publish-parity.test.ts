import { describe, expect, test } from "bun:test";
import { createAccess } from "../../src/access/access.ts";
import { createClients } from "../../src/access/client.ts";
import { createRefusals } from "../../src/access/counters.ts";
import { createInflight } from "../../src/access/inflight.ts";
import { createPublishing } from "../../src/access/publishing.ts";
import { loadConfig } from "../../src/config.ts";
import { createPublishEndpoint } from "../../src/http/publish-endpoint.ts";
import type { Hub } from "../../src/hub/hub.ts";
import { BrokerUnavailableError } from "../../src/hub/unavailable.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { Recorder } from "../../src/metrics/metrics.ts";
import { inputSchemas } from "../../src/protocol/inputs.ts";
import { createIngest } from "../../src/ws/ingest.ts";

/**
 * `POST /api/events` and a WebSocket publish frame go through one pipeline: for the same cause they
 * give the same refusal, as a status and body or as an error frame. Both edges run in process, over a
 * hub that stores nothing (or fails like an unreachable Redis).
 */
const TOKEN = "parity-publish-token-1";

function edges(flags: string[], publishEvents: Hub["publishEvents"] = async (items) => items.map((_, i) => ({ seq: i + 1, id: `id-${i}` }))) {
  const config = loadConfig(flags);
  const hub = { publishEvents, publishLogs: publishEvents } as unknown as Hub;
  const access = createAccess(config, createRefusals());
  const inflight = createInflight();
  const logger = createLogger({ level: "error", format: "json", write: () => {} });
  const publishing = createPublishing({ hub, schemas: inputSchemas(config), access, inflight });
  const metrics = { publishAnswered() {} } as unknown as Recorder;
  const endpoint = createPublishEndpoint({ publishing, access, clients: createClients(config.trustedProxy), metrics, logger, maxBodyBytes: config.maxBodyBytes, corsOrigin: config.corsOrigin });
  const ingest = createIngest({ publishing, logger });

  /** POSTs `body` with `token` (if any); the answer's status and JSON body. */
  const http = async (body: unknown, token?: string) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const res = await endpoint(new Request("http://x/api/events", { method: "POST", headers, body: JSON.stringify(body) }), undefined)!;
    return { status: res.status, body: (await res.json()) as { error: string; message: string; issues?: { path: string; message: string }[] } };
  };
  /** Sends `frame` on a connection upgraded with `token` (if any, as ?token=); the frame it gets back. */
  const ws = async (frame: Record<string, unknown>, token?: string) => {
    const url = new URL(`http://x/ws${token ? `?token=${token}` : ""}`);
    const publisher = await access.identify(new Request(url.href), url, () => "127.0.0.1");
    return ingest({ kind: "publish", ack: 7, ...frame }, "events", publisher) as Promise<Record<string, any>>;
  };
  return { http, ws, inflight };
}

const EVENT = { type: "order.filled" };

describe("HTTP and WebSocket publishes get the same refusal for the same cause", () => {
  const same = async (http: { status: number; body: { error: string; message: string } }, frame: Record<string, any>, code: string, status: number) => {
    expect(http.status).toBe(status);
    expect(http.body.error).toBe(code);
    expect(frame).toEqual({ kind: "error", code, message: http.body.message, id: 7 });
  };

  test("no token while --publish-token is set: unauthorized", async () => {
    const { http, ws } = edges(["--publish-token", TOKEN]);
    await same(await http(EVENT), await ws({ event: EVENT }), "unauthorized", 401);
  });

  test("a token that is not a publish token: forbidden", async () => {
    const { http, ws } = edges(["--publish-token", TOKEN]);
    await same(await http(EVENT, "not-the-token-1"), await ws({ event: EVENT }, "not-the-token-1"), "forbidden", 403);
  });

  test("past --publish-rate, one bucket per token whichever way it publishes: rate_limited", async () => {
    const { http, ws } = edges(["--publish-token", TOKEN, "--publish-rate", "1", "--publish-burst", "1"]);
    expect((await http(EVENT, TOKEN)).status).toBe(200);
    const frame = await ws({ event: EVENT }, TOKEN);
    await same(await http(EVENT, TOKEN), frame, "rate_limited", 429);
  });

  test("while shutting down: shutting_down", async () => {
    const { http, ws, inflight } = edges([]);
    await inflight.drain();
    await same(await http(EVENT), await ws({ event: EVENT }), "shutting_down", 503);
  });

  test("the store unreachable: unavailable, saying nothing was stored", async () => {
    const { http, ws } = edges([], async () => {
      throw new BrokerUnavailableError("Redis at localhost:6379 is unreachable");
    });
    const answer = await http(EVENT);
    await same(answer, await ws({ event: EVENT }), "unavailable", 503);
    expect(answer.body.message).toContain("nothing was stored");
  });

  test("invalid items: the same issues, each path where it sat (1.type in the body, events.1.type in the frame)", async () => {
    const { http, ws } = edges([]);
    const batch = [EVENT, { type: "" }];
    const answer = await http(batch);
    const frame = await ws({ events: batch });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_body");
    expect(frame).toMatchObject({ kind: "error", code: "invalid_event", id: 7 });
    expect(answer.body.issues!.map((i) => i.path)).toEqual(["1.type"]);
    expect(frame.issues).toEqual(answer.body.issues!.map((i) => ({ ...i, path: `events.${i.path}` })));
  });

  test("accepted: the seqs the hub gave, as a body or an ack", async () => {
    const { http, ws } = edges([]);
    expect((await http([EVENT, EVENT])).body).toMatchObject({ accepted: 2, items: [{ seq: 1 }, { seq: 2 }] });
    expect(await ws({ events: [EVENT, EVENT] })).toEqual({ kind: "ack", id: 7, seqs: [1, 2] });
  });
});
