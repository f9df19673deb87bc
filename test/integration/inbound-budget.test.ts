import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { postJson, startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer | undefined;
afterEach(() => srv?.stop());

const healthSeq = async (s: TestServer) => ((await (await fetch(`${s.url}/api/health`)).json()) as any).channels.events.seq as number;

test("a client over its frame budget gets one inbound_limit error and 1008; what it sent after is not processed", async () => {
  const s = (srv = startTestServer(["--max-inbound-frames", "10", "--inbound-burst", "1", "--publish-rate", "0"]));
  const c = await connect(s.ws("/ws"));
  await c.next(); // hello
  for (let i = 0; i < 30; i++) c.send({ kind: "publish", event: { type: "flood.tick", data: { i } } });
  const error = await c.nextMatching((f) => f.kind === "error");
  expect(error.code).toBe("inbound_limit");
  expect(error.message).toContain("--max-inbound-frames");
  const closed = await c.closed;
  expect(closed.code).toBe(1008);
  expect(closed.reason).toContain("inbound limit");
  // The first ten were within the budget; the other twenty were dropped unread, not published.
  expect(await healthSeq(s)).toBe(10);
  expect(s.server.refusals.inboundLimit).toBe(1);
  const warned = await s.waitForLog((l) => String(l.msg).includes("more than its inbound budget"));
  expect(warned).toMatchObject({ level: "warn", path: "/ws" });
});

test("the byte budget counts frame sizes; a client within both budgets is never cut off", async () => {
  const s = (srv = startTestServer(["--max-inbound-bytes", "4096", "--max-frame-bytes", "4096", "--inbound-burst", "1"]));
  const within = await connect(s.ws("/ws"));
  const heavy = await connect(s.ws("/ws"));
  await Promise.all([within.next(), heavy.next()]);
  for (let i = 0; i < 5; i++) within.send({ kind: "ping", id: i });
  expect((await within.take(5)).map((f) => f.id)).toEqual([0, 1, 2, 3, 4]);
  const big = "x".repeat(1500);
  for (let i = 0; i < 4; i++) heavy.send({ kind: "ping", id: big });
  expect((await heavy.closed).code).toBe(1008);
  const pongs = heavy.raw.filter((t) => t.includes('"pong"')).length;
  expect(pongs).toBe(2); // 2 × ~1.5 KB fit in 4 KB; the third did not
  within.send({ kind: "ping", id: "still here" });
  expect((await within.next()).id).toBe("still here");
  within.close();
});

test("protocol-level pings count against the frame budget too", async () => {
  const s = (srv = startTestServer(["--max-inbound-frames", "5", "--inbound-burst", "1"]));
  const raw = await rawConnect(s.server.port, "/ws");
  expect(raw.status).toBe(101);
  for (let i = 0; i < 20; i++) raw.send(OP.ping, "p");
  const close = await raw.untilClose();
  expect(close.code).toBe(1008);
});

test("replies to a client that never reads count toward --max-buffered-bytes: it is closed with 1013", async () => {
  const limit = 64 * 1024;
  const s = (srv = startTestServer(["--max-buffered-bytes", String(limit), "--max-inbound-frames", "0", "--max-inbound-bytes", "0", "--log-level", "info"]));
  const raw = await rawConnect(s.server.port, "/ws");
  await raw.next(); // hello
  raw.pause();
  // Each pong echoes a 32 KB id: the kernel's buffers fill first, then the server's queue for this client.
  const ping = JSON.stringify({ kind: "ping", id: "x".repeat(32 * 1024) });
  const closed = s.waitForLog((l) => String(l.msg).startsWith("slow client closed"));
  for (let i = 0; i < 2000 && s.server.refusals.slowConsumers === 0; i++) {
    raw.send(OP.text, ping);
    if (i % 50 === 49) await Bun.sleep(0); // let the server read what was sent
  }
  expect((await closed).bufferedBytes as number).toBeGreaterThan(limit);
  expect(s.server.refusals.slowConsumers).toBe(1);
  raw.end();
});

test(
  "20 clients flooding tiny frames: a bystander's health and live events stay fast, and the server is normal right after",
  async () => {
    const s = (srv = startTestServer(["--log-level", "info"]));
    const bystander = await connect(s.ws("/ws"));
    await bystander.next();

    /** One round trip: a health request, then a published event until the bystander receives it. */
    let n = 0;
    const roundTrip = async () => {
      const t0 = performance.now();
      expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
      const health = performance.now() - t0;
      const id = `probe-${++n}`;
      const t1 = performance.now();
      expect((await postJson(`${s.url}/api/events`, { id, type: "probe" })).status).toBe(200);
      await bystander.nextMatching((f) => f.id === id);
      return { health, event: performance.now() - t1 };
    };

    const flooders = Bun.spawn(["bun", join(import.meta.dir, "../helpers/flooder.ts"), String(s.server.port), "20", "3", "junk"], { stdout: "pipe" });
    let flooding = true;
    const ended = flooders.exited.then(() => (flooding = false));
    // Wait until every flooder is connected, so the probes below run while all 20 send.
    await s.waitForLog(() => s.logs.filter((l) => l.msg === "client connected").length >= 21);
    const during: { health: number; event: number }[] = [];
    while (flooding && during.length < 200) {
      during.push(await roundTrip());
      await Bun.sleep(10); // a bystander polls, it does not flood
    }
    await ended;
    const report = JSON.parse(await new Response(flooders.stdout).text());
    const after: { health: number; event: number }[] = [];
    const afterStart = performance.now();
    while (performance.now() - afterStart < 1000) {
      after.push(await roundTrip());
      await Bun.sleep(10);
    }

    const worst = (xs: { health: number; event: number }[]) => Math.max(...xs.flatMap((x) => [x.health, x.event]));
    console.log(`flood: ${report.sent} frames sent by 20 clients; bystander worst round trip ${worst(during).toFixed(1)} ms during (${during.length} probes), ${worst(after).toFixed(1)} ms after`);
    expect(s.server.refusals.inboundLimit).toBe(20);
    expect(during.length).toBeGreaterThan(5);
    // Before the inbound budget, one round trip took seconds (up to 28 s); within tens of milliseconds now.
    // Generous bounds for a busy 2-core machine; bench/ (`bun run bench flood`) has the figures.
    expect(worst(during)).toBeLessThan(500);
    expect(after[0]!.health).toBeLessThan(100);
    expect(worst(after)).toBeLessThan(200);
    bystander.close();
  },
  60_000,
);
