import { expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { randomBytes } from "node:crypto";
import { createInflater, OP, rawConnect, type RawFrame, type RawSocket } from "../helpers/raw-socket.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";

const start = useServer();

const LIMIT = 128 * 1024;
const OTHERS = 1000;
const payload = (i: number) => ({ type: "book.snapshot", data: { i, levels: "x".repeat(16 * 1024) } });

test(
  "a client that stops reading is closed with 1013 while 1,000 others get every frame of a burst",
  async () => {
    const s = start(["--max-buffered-bytes", String(LIMIT), "--max-connections-per-address", "5000", "--log-level", "info"]);
    const slow = await rawConnect(s.server.port, "/ws");
    expect(JSON.parse((await slow.next()).payload.toString()).kind).toBe("hello");
    slow.pause();

    // Fill the kernel's socket buffers first (a few MB on loopback) while the slow client is alone, until
    // the server itself starts queueing for it; otherwise every other client would have to receive those MB too.
    let prefill = 0;
    while (s.server.backlog() === 0) {
      expect(++prefill).toBeLessThan(4000); // 64 MB: the kernel never holds that much
      expect((await postJson(`${s.url}/api/events`, payload(-prefill))).status).toBe(200);
    }
    expect(s.server.refusals.slowConsumers).toBe(0);
    const firstSeq = prefill + 1;

    const others = await Promise.all(Array.from({ length: OTHERS }, () => connect(s.ws("/ws"))));
    await Promise.all(others.map((c) => c.next()));

    // The burst: 40 frames of 16 KB, five times the limit, as fast as the publisher gets answers.
    const BURST = 40;
    for (let i = 0; i < BURST; i++) expect((await postJson(`${s.url}/api/events`, payload(i))).status).toBe(200);
    const received = await Promise.all(others.map((c) => c.take(BURST)));
    for (const frames of received) {
      expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: BURST }, (_, i) => firstSeq + i));
    }

    const closedLog = await s.waitForLog((l) => String(l.msg).startsWith("slow client closed"));
    expect(closedLog).toMatchObject({ level: "warn", path: "/ws", remote: "127.0.0.1", limit: LIMIT });
    // Bounded: the server held at most the limit, half a limit between checks, and one frame for it.
    expect(closedLog.bufferedBytes as number).toBeGreaterThan(LIMIT);
    expect(closedLog.bufferedBytes as number).toBeLessThan(LIMIT + LIMIT / 2 + 20 * 1024);
    expect(s.server.refusals.slowConsumers).toBe(1);
    // It got none of the rest of the burst (five times the limit): its queue stayed within the bound.
    expect(s.server.backlog()).toBeLessThan(LIMIT + LIMIT / 2 + 20 * 1024);

    // When the slow client reads again it gets what was queued, in order without gaps, then the 1013.
    slow.resume();
    let last = 0;
    for (;;) {
      const frame = await slow.next();
      if (frame.opcode === OP.close) {
        expect(frame.code).toBe(1013);
        expect(frame.reason).toContain("too slow");
        break;
      }
      const seq = JSON.parse(frame.payload.toString()).seq;
      expect(seq).toBe(last + 1);
      last = seq;
    }
    expect(last).toBeGreaterThan(prefill);

    // It reconnects from the last seq it saw and gets the rest of the burst from history: nothing lost.
    const resumed = await connect(s.ws(`/ws?since=${last}`));
    await resumed.next();
    const lastSeq = firstSeq + BURST - 1;
    const rest = await resumed.take(lastSeq - last);
    expect(rest.map((f) => f.seq)).toEqual(Array.from({ length: lastSeq - last }, (_, i) => last + 1 + i));
    resumed.close();
    others.forEach((c) => c.close());
  },
  120_000,
);

/** How a test reads a frame's text: as it came, or inflated (`createInflater`) for a client that negotiated compression. */
type Decode = (frame: RawFrame) => string;
const plainText: Decode = (frame) => frame.payload.toString();

/**
 * A client that stops reading right after its hello, fed 16 KB events until the server finds it too slow.
 * In batches, so the few MB that fill the kernel's buffers and then the limit take well under a second.
 */
async function stallUntilSlow(s: TestServer, { headers = {}, decode = plainText, item = payload } = {}) {
  const slow = await rawConnect(s.server.port, "/ws", headers);
  expect(JSON.parse(decode(await slow.next())).kind).toBe("hello");
  slow.pause();
  let published = 0;
  const isSlowLog = (l: Record<string, unknown>) => String(l.msg).startsWith("slow client closed");
  while (!s.logs.some(isSlowLog)) {
    expect(published).toBeLessThan(4000); // 64 MB: the kernel and the limit together never hold that much
    const res = await postJson(`${s.url}/api/events`, Array.from({ length: 32 }, (_, i) => item(published + i)));
    expect(res.status).toBe(200);
    published = res.body.items.at(-1).seq;
  }
  return { slow, published, found: s.logs.find(isSlowLog)! };
}

/** Reads until the close frame or the end of the connection; checks the seqs run 1, 2, 3… with no gap. */
async function readContiguous(slow: RawSocket, decode: Decode = plainText) {
  let last = 0;
  let bytes = 0;
  for (;;) {
    let frame: RawFrame;
    try {
      frame = await slow.next();
    } catch {
      return { last, bytes, close: undefined }; // the connection ended without a close frame
    }
    if (frame.opcode === OP.close) return { last, bytes, close: frame };
    if (frame.opcode !== OP.text) continue; // a heartbeat ping, if Bun queued one before the stall
    const seq = JSON.parse(decode(frame)).seq;
    expect(seq).toBe(last + 1);
    last = seq;
    bytes += frame.payload.length;
  }
}

/** Resumes from `since` and expects every event after it, up to `lastSeq`. */
async function resumeRecoversAll(s: TestServer, since: number, lastSeq: number) {
  const resumed = await connect(s.ws(`/ws?since=${since}`));
  expect(await resumed.next()).toMatchObject({ kind: "hello", seq: lastSeq, resume: { since, complete: true } });
  const rest = await resumed.take(lastSeq - since);
  expect(rest.map((f) => f.seq)).toEqual(Array.from({ length: lastSeq - since }, (_, i) => since + 1 + i));
  resumed.close();
}

// A queue far larger than the kernel's socket buffers (a few MB on loopback) can take, as with the default 8 MiB.
const BIG_LIMIT = 8 * 1024 * 1024;

test(
  "a slow client that wakes after Bun's close grace still reads every queued frame, then 1013",
  async () => {
    // --idle-timeout 0: the server keeps the queue 60 s for a client that reads nothing. Bun force-closes a
    // socket whose close frame is not taken within 4 s at this setting (0 to 15), often sooner.
    const s = start(["--max-buffered-bytes", String(BIG_LIMIT), "--idle-timeout", "0", "--log-level", "info"]);
    const { slow, published, found } = await stallUntilSlow(s);

    // It gets no new frames: what is queued for it stops growing while others' events go on.
    const queued = s.server.backlog();
    for (let i = 1; i <= 20; i++) expect((await postJson(`${s.url}/api/events`, payload(published + i))).status).toBe(200);
    expect(s.server.backlog()).toBeLessThanOrEqual(queued + 20 * 1024); // at most the frame in flight at the check
    const lastSeq = published + 20;

    // The one fixed wait: the client is asleep, and what is tested is that the server outlasts Bun's 4 s.
    await Bun.sleep(8_000);
    expect(s.server.connections.total()).toBe(1); // still there, its queue kept
    slow.resume();
    const { last, bytes, close } = await readContiguous(slow);
    expect(close?.code).toBe(1013);
    expect(close?.reason).toContain("too slow");
    // More than was queued when it was found too slow (the kernel's buffers held the rest): none of it dropped.
    expect(bytes).toBeGreaterThan(found.bufferedBytes as number);
    await resumeRecoversAll(s, last, lastSeq);
  },
  60_000,
);

test(
  "a slow client that never wakes is cut off after --idle-timeout; what it got is contiguous, and resuming recovers the rest",
  async () => {
    const s = start(["--max-buffered-bytes", String(BIG_LIMIT), "--idle-timeout", "8", "--log-level", "info"]);
    const { slow, published } = await stallUntilSlow(s);

    // Bounded: after --idle-timeout seconds in which it read nothing, its connection and queue are gone,
    // without a close frame. Kept that long first (closed at once, Bun would have dropped it within 4 s).
    const stalledAt = performance.now();
    expect(await s.waitForLog((l) => String(l.msg).startsWith("slow client cut off"))).toMatchObject({ path: "/ws", drainSeconds: 8 });
    expect(performance.now() - stalledAt).toBeGreaterThan(7_000);
    expect((await s.waitForLog((l) => l.msg === "client disconnected")).code).toBe(1006);
    expect(s.server.backlog()).toBe(0);
    expect(s.server.connections.total()).toBe(0);

    // Waking late, it reads what the kernel still held: a contiguous run from its first frame, then the end.
    slow.resume();
    const { last, close } = await readContiguous(slow);
    expect(close).toBeUndefined();
    expect(last).toBeGreaterThan(0);
    await resumeRecoversAll(s, last, published);
  },
  60_000,
);

test(
  "with --compression on, a slow client that negotiated it is closed the same way: its limit counts the (compressed) bytes queued",
  async () => {
    const s = start(["--compression", "on", "--max-buffered-bytes", String(LIMIT), "--log-level", "info"]);
    const inflate = createInflater();
    // Random data compresses little, so the queue grows about as fast as without compression.
    const noisy = (i: number) => ({ type: "book.snapshot", data: { i, levels: randomBytes(12 * 1024).toString("base64") } });
    const headers = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
    const { slow, published, found } = await stallUntilSlow(s, { headers, decode: inflate, item: noisy });
    expect(slow.headers["sec-websocket-extensions"]).toStartWith("permessage-deflate");
    expect(found.bufferedBytes as number).toBeGreaterThan(LIMIT);
    expect(found.bufferedBytes as number).toBeLessThan(LIMIT + LIMIT / 2 + 20 * 1024);

    slow.resume();
    const { last, close } = await readContiguous(slow, inflate);
    expect(close?.code).toBe(1013);
    await resumeRecoversAll(s, last, published);
  },
  60_000,
);
