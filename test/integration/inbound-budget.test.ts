import { expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { OP, rawConnect } from "../helpers/raw-socket.ts";
import { health, useServer } from "../helpers/server.ts";

const start = useServer();

test("a client over its frame budget gets one inbound_limit error and 1008; what it sent after is not processed", async () => {
  const s = start(["--max-inbound-frames", "10", "--inbound-burst", "1", "--publish-rate", "0"]);
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
  expect((await health(s)).channels.events.seq).toBe(10);
  expect(s.server.refusals.inboundLimit).toBe(1);
  const warned = await s.waitForLog((l) => String(l.msg).includes("more than its inbound budget"));
  expect(warned).toMatchObject({ level: "warn", path: "/ws" });
});

test("the byte budget counts frame sizes; a client within both budgets is never cut off", async () => {
  const s = start(["--max-inbound-bytes", "4096", "--max-frame-bytes", "4096", "--inbound-burst", "1"]);
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
  const s = start(["--max-inbound-frames", "5", "--inbound-burst", "1"]);
  const raw = await rawConnect(s.server.port, "/ws");
  expect(raw.status).toBe(101);
  for (let i = 0; i < 20; i++) raw.send(OP.ping, "p");
  const close = await raw.untilClose();
  expect(close.code).toBe(1008);
});

test("replies to a client that never reads count toward --max-buffered-bytes: it is closed with 1013", async () => {
  const limit = 64 * 1024;
  const s = start(["--max-buffered-bytes", String(limit), "--max-inbound-frames", "0", "--max-inbound-bytes", "0", "--log-level", "info"]);
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
