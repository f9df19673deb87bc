import { afterEach, describe, expect, test } from "bun:test";
import { connect, type TestSocket } from "../helpers/client.ts";
import { rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";

/**
 * Logs go to stdout and to the `logs` channel, which every subscriber may read: a token in a log line
 * would hand a subscriber the publish token. These tests send tokens together with bad input (the
 * refusals that log or echo what was sent) and look for them everywhere a client or operator can see.
 */

const PUB = "pub-secret-redact-1";
const SUB = "sub-secret-redact-1";
const TOKENS = [PUB, SUB];

const startServer = useServer();
let tail: TestSocket | undefined;
afterEach(() => tail?.close());

/** A server with both tokens, and a subscriber tailing its logs on /ws/logs. */
async function start() {
  const s = startServer(["--publish-token", PUB, "--subscribe-token", SUB]);
  tail = await connect(`${s.ws("/ws/logs")}?token=${SUB}`);
  await tail.next(); // hello
  return { s, tail };
}

/** Waits until every log line written so far reached the tail (a marker published after them arrives). */
async function drain(s: TestServer, socket: TestSocket) {
  const marker = `marker-${crypto.randomUUID()}`;
  expect((await postJson(`${s.url}/api/logs`, { level: "info", message: marker }, { authorization: `Bearer ${PUB}` })).status).toBe(200);
  await socket.nextMatching((f) => f.kind === "log" && f.message === marker);
}

const leaked = (text: string) => TOKENS.filter((t) => text.includes(t));

/** No token in the server's log lines or in what the tail received. */
function expectNoLeaks(s: TestServer, socket: TestSocket) {
  expect(s.logs.filter((line) => leaked(JSON.stringify(line)).length > 0)).toEqual([]);
  expect(socket.raw.filter((frame) => leaked(frame).length > 0)).toEqual([]);
}

describe("tokens never appear in logs or error bodies", () => {
  test("a WebSocket upgrade with a valid token and a bad query: the 400 and the log line hold no token", async () => {
    const { s, tail } = await start();
    const attempts: Array<[path: string, headers: Record<string, string>]> = [
      [`/ws?token=${PUB}&types=bad%20type`, {}],
      // The server decodes parameter names: `%74oken` is `token` to it, so it must be to the redaction too.
      [`/ws?%74oken=${PUB}&types=bad%20type`, {}],
      [`/ws?types=bad%20type&token=${PUB}&token=${SUB}`, {}],
      ["/ws?types=bad%20type", { authorization: `Bearer ${PUB}` }],
      [`/ws/logs?token=${SUB}&level=loud`, {}],
    ];
    for (const [path, headers] of attempts) {
      const refused = await rawConnect(s.server.port, path, headers);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe("invalid_query");
      expect(leaked(JSON.stringify(refused.body))).toEqual([]);
      refused.end();
    }
    await drain(s, tail);
    const bad = s.logs.filter((l) => l.msg === "WebSocket upgrade refused: bad query string");
    expect(bad).toHaveLength(attempts.length);
    // The log still shows what was wrong with the query, with the token's value hidden.
    expect(bad[0]!.query).toBe("?token=***&types=bad%20type");
    expectNoLeaks(s, tail);
  });

  test("HTTP reads with a valid ?token= and a bad query: the 400 body and the logs hold no token", async () => {
    const { s, tail } = await start();
    for (const path of [
      `/api/events?token=${PUB}&since=bad`,
      `/api/logs?token=${SUB}&limit=0&level=loud`,
      `/api/events/stream?token=${SUB}&since=bad`,
      `/api/stream?token=${PUB}&types=bad%20type`,
    ]) {
      const res = await fetch(`${s.url}${path}`);
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(JSON.parse(text).error).toBe("invalid_query");
      expect(leaked(text)).toEqual([]);
    }
    await drain(s, tail);
    expectNoLeaks(s, tail);
  });
});
