import { afterEach, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer | undefined;
afterEach(() => srv?.stop());

const LIMIT = 128 * 1024;
const OTHERS = 1000;
const payload = (i: number) => ({ type: "book.snapshot", data: { i, levels: "x".repeat(16 * 1024) } });

test(
  "a client that stops reading is closed with 1013 while 1,000 others get every frame of a burst",
  async () => {
    const s = (srv = startTestServer(["--max-buffered-bytes", String(LIMIT), "--max-connections-per-address", "5000", "--log-level", "info"]));
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
    expect(s.server.backlog()).toBeLessThan(LIMIT);

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
