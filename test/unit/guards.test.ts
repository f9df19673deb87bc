import { describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import { createRefusals } from "../../src/access/counters.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { Recorder } from "../../src/metrics/metrics.ts";
import { createAdmission } from "../../src/access/admission.ts";
import { createSlowConsumerWatchdog } from "../../src/ws/slow-consumers.ts";

describe("admission", () => {
  test("counts per address and in total; refuses past either limit; frees on close", () => {
    const refusals = createRefusals();
    const a = createAdmission({ maxConnections: 3, maxConnectionsPerAddress: 2 }, refusals);
    expect(a.opened("1.1.1.1")).toBeUndefined();
    expect(a.opened("1.1.1.1")).toBeUndefined();
    expect(a.check("1.1.1.1")?.message).toContain("1.1.1.1 already holds 2");
    expect(a.check("2.2.2.2")).toBeUndefined();
    expect(a.opened("2.2.2.2")).toBeUndefined();
    expect(a.check("3.3.3.3")?.message).toContain("maximum of 3");
    expect(a.opened("3.3.3.3")?.status).toBe(503);
    a.closed("1.1.1.1");
    expect(a.check("3.3.3.3")).toBeUndefined();
    expect(a.check("1.1.1.1")).toBeUndefined();
    expect(refusals.connectionLimit).toBe(3);
  });
});

describe("slow-consumer watchdog", () => {
  type Data = { path: string; remote: string; stop: () => void };
  const fakeSocket = (buffered: number) => {
    const closes: Array<[number, string]> = [];
    const calls: string[] = [];
    const ws = {
      data: { path: "/ws", remote: "127.0.0.1", stop: () => void calls.push("stop") },
      readyState: 1,
      subscriptions: ["events"],
      getBufferedAmount: () => buffered,
      unsubscribe: (topic: string) => void calls.push(`unsubscribe ${topic}`),
      pause: () => void calls.push("pause"),
      close(code: number, reason: string) {
        closes.push([code, reason]);
        this.readyState = 3;
      },
      terminate() {
        calls.push("terminate");
        this.readyState = 3;
      },
    };
    return { ws: ws as unknown as ServerWebSocket<Data>, closes, calls, set: (n: number) => (buffered = n), gone: () => (ws.readyState = 3) };
  };
  const setup = (limit: number) => {
    const lines: any[] = [];
    const refusals = createRefusals();
    const slowClosed: string[] = [];
    const metrics = { slowConsumerClosed: (path: string) => void slowClosed.push(path) } as unknown as Recorder;
    const sockets = new Set<ServerWebSocket<Data>>();
    const logger = createLogger({ level: "debug", format: "json", write: (l) => lines.push(JSON.parse(l)) });
    const watchdog = createSlowConsumerWatchdog({ sockets, maxBufferedBytes: limit, drainSeconds: 10, logger, refusals, metrics });
    return { sockets, watchdog, lines, refusals, slowClosed };
  };

  test("checks only after every half-limit of published bytes; a client past the limit gets no more frames", () => {
    const { sockets, watchdog, lines, refusals, slowClosed } = setup(1000);
    const slow = fakeSocket(1500);
    const fine = fakeSocket(200);
    sockets.add(slow.ws);
    sockets.add(fine.ws);
    watchdog.published(499);
    expect(slow.calls).toEqual([]); // not checked yet: fewer than 500 bytes published
    watchdog.published(1);
    expect(slow.calls).toEqual(["stop", "unsubscribe events", "pause"]);
    expect(fine.calls).toEqual([]);
    expect(refusals.slowConsumers).toBe(1);
    expect(slowClosed).toEqual(["/ws"]);
    expect(lines.find((l) => l.level === "warn")).toMatchObject({ path: "/ws", remote: "127.0.0.1", bufferedBytes: 1500, limit: 1000, drainSeconds: 10 });

    // Found once: later sweeps leave it to read its queue.
    watchdog.published(500);
    expect(refusals.slowConsumers).toBe(1);
    expect(watchdog.pending()).toBe(1);
    slow.set(0);
    watchdog.settle(performance.now());
    expect(watchdog.pending()).toBe(0);
  });

  test("closes with 1013 once the queue is read, not before", () => {
    const { sockets, watchdog } = setup(1000);
    const slow = fakeSocket(1500);
    sockets.add(slow.ws);
    watchdog.sweep();
    watchdog.settle(performance.now());
    expect(slow.closes).toEqual([]);
    slow.set(0);
    watchdog.settle(performance.now());
    expect(slow.closes).toEqual([[1013, "too slow: 1500 bytes behind; reconnect and resume from your last seq"]]);
    expect(watchdog.pending()).toBe(0);
  });

  test("a client that keeps reading gets more time; one that reads nothing for drainSeconds is cut off", () => {
    const { sockets, watchdog, lines } = setup(1000);
    const slow = fakeSocket(1500);
    sockets.add(slow.ws);
    watchdog.sweep();
    const t = performance.now();
    slow.set(1200);
    watchdog.settle(t + 9_000); // it read 300 bytes: ten more seconds from here
    watchdog.settle(t + 18_000);
    expect(slow.calls).not.toContain("terminate");
    watchdog.settle(t + 19_500);
    expect(slow.calls).toContain("terminate");
    expect(slow.closes).toEqual([]);
    expect(watchdog.pending()).toBe(0);
    expect(lines.find((l) => String(l.msg).startsWith("slow client cut off"))).toMatchObject({ path: "/ws", bufferedBytes: 1200, drainSeconds: 10 });
  });

  test("a slow client that went away meanwhile is forgotten", () => {
    const { sockets, watchdog } = setup(1000);
    const slow = fakeSocket(1500);
    sockets.add(slow.ws);
    watchdog.sweep();
    slow.gone();
    watchdog.settle(performance.now() + 60_000);
    expect(slow.closes).toEqual([]);
    expect(slow.calls).not.toContain("terminate");
    expect(watchdog.pending()).toBe(0);
  });

  test("backlog is the most any one socket holds", () => {
    const { sockets, watchdog } = setup(1000);
    expect(watchdog.backlog()).toBe(0);
    const a = fakeSocket(10);
    const b = fakeSocket(700);
    sockets.add(a.ws);
    sockets.add(b.ws);
    expect(watchdog.backlog()).toBe(700);
  });
});
