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
  const fakeSocket = (buffered: number) => {
    const closes: Array<[number, string]> = [];
    const ws = { data: { path: "/ws", remote: "127.0.0.1" }, getBufferedAmount: () => buffered, close: (code: number, reason: string) => void closes.push([code, reason]) };
    return { ws: ws as unknown as ServerWebSocket<{ path: string; remote: string }>, closes, set: (n: number) => (buffered = n) };
  };
  const setup = (limit: number) => {
    const lines: any[] = [];
    const refusals = createRefusals();
    const slowClosed: string[] = [];
    const metrics = { slowConsumerClosed: (path: string) => void slowClosed.push(path) } as unknown as Recorder;
    const sockets = new Set<ServerWebSocket<{ path: string; remote: string }>>();
    const logger = createLogger({ level: "debug", format: "json", write: (l) => lines.push(JSON.parse(l)) });
    const watchdog = createSlowConsumerWatchdog({ sockets, maxBufferedBytes: limit, logger, refusals, metrics });
    return { sockets, watchdog, lines, refusals, slowClosed };
  };

  test("checks only after every half-limit of published bytes, and closes only sockets past the limit", () => {
    const { sockets, watchdog, lines, refusals, slowClosed } = setup(1000);
    const slow = fakeSocket(1500);
    const fine = fakeSocket(200);
    sockets.add(slow.ws);
    sockets.add(fine.ws);
    watchdog.published(499);
    expect(slow.closes).toEqual([]); // not checked yet: fewer than 500 bytes published
    watchdog.published(1);
    expect(slow.closes).toEqual([[1013, "too slow: 1500 bytes behind; reconnect and resume from your last seq"]]);
    expect(fine.closes).toEqual([]);
    expect(sockets.has(slow.ws)).toBe(false);
    expect(refusals.slowConsumers).toBe(1);
    expect(slowClosed).toEqual(["/ws"]);
    expect(lines.find((l) => l.level === "warn")).toMatchObject({ path: "/ws", remote: "127.0.0.1", bufferedBytes: 1500, limit: 1000 });
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
