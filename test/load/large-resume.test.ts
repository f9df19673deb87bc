import { expect, test } from "bun:test";
import { pacer } from "../helpers/paced.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { postJson, useServer, type TestServer } from "../helpers/server.ts";

const start = useServer();

const EVENTS = 10_000; // the default --history-size
const PAD = "x".repeat(4000); // 4 KB events: about 40 MiB of history

/** Publishes `n` 4 KB events in batches that fit --max-body-bytes; returns the last seq. */
async function publishLarge(s: TestServer, n: number, type = "bulk"): Promise<number> {
  let last = 0;
  for (let done = 0; done < n; done += 200) {
    const items = Array.from({ length: Math.min(200, n - done) }, (_, i) => ({ type, data: { i: done + i, pad: PAD } }));
    const res = await postJson(`${s.url}/api/events`, items);
    expect(res.status).toBe(200);
    last = res.body.items.at(-1).seq;
  }
  return last;
}

test(
  "resuming 40 MiB of history at a few MB/s: every frame, then live frames published during the replay, no gap, no duplicate",
  async () => {
    const s = start(["--log-level", "info", "--publish-rate", "0"]);
    const stored = await publishLarge(s, EVENTS);
    const raw = await rawConnect(s.server.port, "/ws?since=0");
    expect(raw.status).toBe(101);
    const pace = pacer(8 * 1024 * 1024, raw);

    const hello = JSON.parse((await raw.next()).payload.toString());
    expect(hello).toMatchObject({ kind: "hello", seq: stored, resume: { since: 0, complete: true } });
    // While the replay is being read, live events keep coming: they must follow it, in order.
    const LIVE = 50;
    let published = 0;
    const publisher = (async () => {
      while (published < LIVE) {
        expect((await postJson(`${s.url}/api/events`, { type: "live", data: { n: published } })).status).toBe(200);
        published++;
        await Bun.sleep(20);
      }
    })();

    let expected = 1;
    while (expected <= stored + LIVE) {
      const frame = await raw.next();
      expect(frame.opcode).toBe(OP.text);
      await pace.read(frame.payload.length);
      const f = JSON.parse(frame.payload.toString());
      expect(f.seq).toBe(expected);
      expect(f.type).toBe(expected <= stored ? "bulk" : "live");
      expected++;
    }
    await publisher;
    expect(s.server.refusals.slowConsumers).toBe(0);
    raw.end();
  },
  120_000,
);

test(
  "a client that cannot keep up with replay plus live is closed with 1013 and resumes from where it got to",
  async () => {
    const limit = 256 * 1024;
    const s = start(["--log-level", "info", "--publish-rate", "0", "--max-buffered-bytes", String(limit)]);
    const stored = await publishLarge(s, 2000);
    const raw = await rawConnect(s.server.port, "/ws?since=0");
    await raw.next(); // hello
    raw.pause(); // it reads nothing while live events pile up behind its replay
    const closed = s.waitForLog((l) => String(l.msg).startsWith("slow client closed"));
    let live = 0;
    while (s.server.refusals.slowConsumers === 0 && live < 1000) {
      await publishLarge(s, 20, "live");
      live += 20;
    }
    await closed;
    raw.resume();
    let last = 0;
    for (;;) {
      const frame = await raw.next();
      if (frame.opcode === OP.close) {
        expect(frame.code).toBe(1013);
        expect(frame.reason).toContain("too slow");
        break;
      }
      const f = JSON.parse(frame.payload.toString());
      expect(f.seq).toBe(last + 1);
      last = f.seq;
    }
    expect(last).toBeLessThan(stored + live);
    const again = await rawConnect(s.server.port, `/ws?since=${last}`);
    expect(JSON.parse((await again.next()).payload.toString()).resume.complete).toBe(true);
    for (let seq = last + 1; seq <= stored + live; seq++) expect(JSON.parse((await again.next()).payload.toString()).seq).toBe(seq);
    again.end();
  },
  120_000,
);

test(
  "over Server-Sent Events too: 40 MiB of history at a few MB/s, then live frames, no gap, no duplicate",
  async () => {
    const s = start(["--log-level", "info", "--publish-rate", "0"]);
    const stored = await publishLarge(s, EVENTS);
    const res = await fetch(`${s.url}/api/events/stream?since=0`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const BYTES_PER_MS = 8 * 1024; // 8 MB/s: the body is read no faster, so the server sees backpressure
    const LIVE = 20;
    let published = 0;
    const publisher = (async () => {
      for (; published < LIVE; published++) {
        expect((await postJson(`${s.url}/api/events`, { type: "live", data: { n: published } })).status).toBe(200);
        await Bun.sleep(50);
      }
    })();

    let text = "";
    let expected = 1;
    let sawHello = false;
    while (expected <= stored + LIVE) {
      const chunk = await reader.read();
      expect(chunk.done).toBe(false);
      text += decoder.decode(chunk.value, { stream: true });
      await Bun.sleep(chunk.value!.length / BYTES_PER_MS); // the pace itself: there is no event to wait for
      let end: number;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const msg = text.slice(0, end);
        text = text.slice(end + 2);
        const data = msg.split("\n").find((l) => l.startsWith("data: "));
        if (!data) continue; // a heartbeat comment
        const f = JSON.parse(data.slice(6));
        if (f.kind === "hello") {
          sawHello = true;
          continue;
        }
        expect(f.seq).toBe(expected);
        expect(f.type).toBe(expected <= stored ? "bulk" : "live");
        expected++;
      }
    }
    expect(sawHello).toBe(true);
    await publisher;
    await reader.cancel();
  },
  120_000,
);
