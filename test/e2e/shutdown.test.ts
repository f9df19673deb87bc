import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { buildBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";
import { openEventStream } from "../helpers/sse.ts";

let srv: BinaryServer | undefined;
afterEach(async () => {
  if (srv && srv.proc.exitCode === null) await srv.kill("SIGKILL");
  srv = undefined;
});

describe("graceful shutdown of the compiled executable", () => {
  test(
    "SIGTERM during a stream of publishes: every publish answered 2xx reaches every client, then 1001, exit 0",
    async () => {
      await buildBinary();
      const s = (srv = await startBinary(["--log-format", "json", "--publish-rate", "0"]));
      const clients = await Promise.all(Array.from({ length: 5 }, (_, i) => connect(`ws://127.0.0.1:${s.port}${i % 2 ? "/ws" : "/api/stream"}`)));
      await Promise.all(clients.map((c) => c.next()));

      // Three publishers in a loop until the server stops answering.
      const accepted: number[] = [];
      let answered = 0;
      const publisher = async (p: number) => {
        for (let i = 0; ; i++) {
          let res: Response;
          try {
            res = await fetch(`${s.url}/api/events`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify([{ type: "tick", data: { p, i } }, { type: "tick", data: { p, i, second: true } }]),
            });
          } catch {
            return; // the listener is gone: the shutdown has begun
          }
          const body = (await res.json()) as any;
          answered++;
          if (res.status === 200) accepted.push(...body.items.map((x: { seq: number }) => x.seq));
          else {
            expect(res.status).toBe(503);
            expect(body.error).toBe("shutting_down");
            return;
          }
        }
      };
      const publishing = Promise.all([publisher(0), publisher(1), publisher(2)]);
      // Signal once the stream is flowing: clients have seen 50 events.
      await Promise.all(clients.map((c) => c.nextMatching((f) => f.kind === "event" && f.seq >= 50)));
      const exited = s.kill("SIGTERM");
      await publishing;
      expect(await exited).toBe(0);

      expect(accepted.length).toBeGreaterThanOrEqual(50);
      for (const c of clients) {
        const closed = await c.closed;
        expect(closed.code).toBe(1001);
        expect(closed.reason).toContain("reconnect");
        const seen = new Set(c.raw.map((r) => JSON.parse(r)).filter((f) => f.kind === "event").map((f) => f.seq));
        const missing = accepted.filter((seq) => !seen.has(seq));
        expect(missing).toEqual([]);
      }
      expect(answered).toBeGreaterThan(0);
      expect(s.output()).toContain("received SIGTERM");
      expect(s.output()).toContain('"msg":"stopped"');
    },
    120_000,
  );

  test("Server-Sent Events streams end with a comment saying to reconnect", async () => {
    const s = (srv = await startBinary([]));
    const sse = await openEventStream(`${s.url}/api/events/stream`);
    expect((await sse.frame()).kind).toBe("hello");
    const exited = s.kill("SIGTERM");
    // Throws "event stream ended" if the stream closes without the comment.
    while ((await sse.next()).comment !== "server shutting down; reconnect with Last-Event-ID to resume");
    expect(await exited).toBe(0);
  });

  /** The body of a held publish: its first 8 bytes are sent at once, the rest only by `finish()`. */
  const HELD_BODY = JSON.stringify({ type: "held" }).padEnd(100);

  /**
   * Starts a publish whose body stops arriving after 8 bytes: a publish in flight, which the shutdown
   * waits for, until `finish()` sends the rest (or for ever). `answer` resolves with all the server
   * sent once the connection closes.
   */
  const hangingUpload = async (port: number) => {
    let received = "";
    const closed = Promise.withResolvers<string>();
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(`POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n${HELD_BODY.slice(0, 8)}`);
        },
        data(_socket, chunk) {
          received += chunk.toString();
        },
        close: () => closed.resolve(received),
      },
    });
    return { finish: () => socket.write(HELD_BODY.slice(8)), end: () => socket.end(), answer: closed.promise };
  };

  test(
    "while publishes in flight drain, every request gets 503 shutting_down with Connection: close, none a reset; then the port is closed",
    async () => {
      const s = (srv = await startBinary(["--publish-rate", "0", "--shutdown-timeout", "30"]));
      // Holds the drain open for as long as the test needs: requests meanwhile all meet a listening server.
      const upload = await hangingUpload(s.port);
      const ws = await connect(`ws://127.0.0.1:${s.port}/ws`);
      await ws.next(); // the upload was sent first; by now the server is reading it

      // Keep-alive publishers (fetch reuses its connections) in a loop, each answer and failure noted
      // with the phase it was sent in: "signalled" once the server has logged the signal, so is draining.
      let phase: "running" | "signalled" = "running";
      let stopping = false;
      const answers: Array<{ phase: string; status: number; error?: string; connection: string | null; retryAfter: string | null }> = [];
      const failures: Array<{ phase: string; code: string }> = [];
      let wake: (() => void) | undefined;
      const until = async (done: () => boolean) => {
        while (!done()) await new Promise<void>((resolve) => (wake = resolve));
      };
      const publisher = async (p: number) => {
        for (let i = 0; i < 20_000 && !stopping; i++) {
          const sentIn = phase;
          try {
            const res = await fetch(`${s.url}/api/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "tick", data: { p, i } }) });
            const body = (await res.json()) as { error?: string };
            answers.push({ phase: sentIn, status: res.status, error: body.error, connection: res.headers.get("connection"), retryAfter: res.headers.get("retry-after") });
          } catch (err) {
            failures.push({ phase: sentIn, code: (err as { code?: string }).code ?? String(err) });
            return;
          } finally {
            wake?.();
          }
        }
      };
      const running = Array.from({ length: 4 }, (_, p) => publisher(p));
      let finished = false;
      const publishing = Promise.all(running).then(() => {
        finished = true;
        wake?.();
      });
      await until(() => answers.filter((a) => a.status === 200).length >= 40 || finished);

      s.proc.kill("SIGTERM");
      await s.waitForOutput(/received SIGTERM/);
      phase = "signalled";
      await until(() => answers.filter((a) => a.phase === "signalled").length >= 40 || finished);
      stopping = true;
      await publishing;

      const outcome = (list: typeof answers) => [...new Set(list.map((a) => `${a.status} ${a.error ?? ""} connection=${a.connection} retry-after=${a.retryAfter}`))];
      expect({ failures }).toEqual({ failures: [] });
      expect(outcome(answers.filter((a) => a.phase === "signalled"))).toEqual(["503 shutting_down connection=close retry-after=1"]);
      expect(outcome(answers.filter((a) => a.status !== 200))).toEqual(["503 shutting_down connection=close retry-after=1"]);

      // Other requests, still during the drain: a WebSocket upgrade, an event stream, a plain GET.
      const upgrade = await rawConnect(s.port, "/ws");
      const stream = await fetch(`${s.url}/api/events/stream`, { headers: { accept: "text/event-stream" } });
      const health = await fetch(`${s.url}/api/health`);
      upload.finish();
      expect(await s.proc.exited).toBe(0);

      for (const res of [stream, health]) {
        expect(res.status).toBe(503);
        expect(res.headers.get("connection")).toBe("close");
        expect(((await res.json()) as { error: string }).error).toBe("shutting_down");
      }
      expect(upgrade.status).toBe(503);
      expect(upgrade.body).toMatchObject({ error: "shutting_down" });

      // The held publish was taken before the signal: answered 200 and delivered before the 1001.
      expect(await upload.answer).toStartWith("HTTP/1.1 200");
      expect((await ws.nextMatching((f) => f.kind === "event" && f.type === "held")).kind).toBe("event");
      expect((await ws.closed).code).toBe(1001);
      // Only once the drain is over does the port close: a new connection is refused, not reset.
      const refused = await fetch(`${s.url}/api/health`).then(() => "answered", (err) => (err as { code?: string }).code);
      expect(refused).toBe("ECONNREFUSED");
    },
    60_000,
  );

  test("a publish that never completes is given up after --shutdown-timeout, and the exit is still 0", async () => {
    const s = (srv = await startBinary(["--shutdown-timeout", "1"]));
    const upload = await hangingUpload(s.port);
    const ws = await connect(`ws://127.0.0.1:${s.port}/ws`);
    await ws.next(); // the upload was sent first; by now the server is reading it
    const started = Date.now();
    expect(await s.kill("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(s.output()).toContain("gave up waiting for publishes in flight");
    expect((await ws.closed).code).toBe(1001);
    upload.end();
  });

  test("a second signal exits at once with status 1", async () => {
    const s = (srv = await startBinary(["--shutdown-timeout", "600"]));
    const upload = await hangingUpload(s.port);
    const ws = await connect(`ws://127.0.0.1:${s.port}/ws`);
    await ws.next(); // the upload was sent first; by now the server is reading it
    s.proc.kill("SIGTERM");
    await s.waitForOutput(/received SIGTERM/);
    expect(await s.kill("SIGINT")).toBe(1);
    expect(s.output()).toContain("exiting now");
    upload.end();
  });

  test("new connections are refused once the server has stopped, and the close frame is 1001 on the wire", async () => {
    const s = (srv = await startBinary(["--shutdown-timeout", "30"]));
    const raw = await rawConnect(s.port, "/api/stream");
    await raw.next();
    s.proc.kill("SIGTERM");
    const close = await raw.untilClose();
    expect(close.opcode).toBe(OP.close);
    expect(close.code).toBe(1001);
    expect(close.reason).toBe("server shutting down; reconnect and resume from your last seq");
    raw.send(OP.close, Buffer.from([0x03, 0xe9]));
    expect(await s.proc.exited).toBe(0);
    await expect(rawConnect(s.port, "/ws")).rejects.toThrow();
  });
});
