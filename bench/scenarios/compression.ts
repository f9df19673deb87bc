import { runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { TICK_FIELDS } from "../lib/publisher.ts";
import { fmt, runCase, type Row, type Scenario, type ServerSpec } from "../lib/scenario.ts";
import { startTarget } from "../lib/targets.ts";

/** stream-server with and without --compression, first the one the ratios divide. */
const streamServers: ServerSpec[] = [
  { label: "compression on", start: () => startTarget("stream-server", ["--compression", "on"]) },
  { label: "compression off", start: () => startTarget("stream-server", ["--compression", "off"]) },
];

/**
 * Bare Bun (with stream-server's frame size: `--envelope`) with its shared compressor and with the
 * dedicated one stream-server uses, to tell Bun's cost from stream-server's and to see whether a mode
 * compresses a published frame once for all its subscribers (the server µs per delivery would then
 * shrink as subscribers grow) or once per subscriber.
 */
const bareBun: ServerSpec[] = [
  { label: "bare-bun-envelope", start: () => startTarget("bare-bun", ["--envelope"]) },
  { label: "bare-bun-envelope shared", start: () => startTarget("bare-bun", ["--envelope", "--deflate", "shared"]) },
  { label: "bare-bun-envelope 16KB", start: () => startTarget("bare-bun", ["--envelope", "--deflate", "16KB"]) },
];

/**
 * permessage-deflate: what it saves on the wire and what it costs the server. Every subscriber offers it,
 * as browsers do; a server with compression off answers without it. Bytes are counted exactly, at the
 * subscribers' TCP sockets (frame headers included, handshakes not).
 */
export const compression: Scenario = {
  name: "compression",
  title: "permessage-deflate on vs off: bytes on the wire per delivery, deliveries/s, server µs per delivery",
  inDefault: false,
  async run(ctx) {
    const rows: Row[] = [];
    const cases = [
      { what: "events", path: "/ws", servers: [...streamServers, ...bareBun], publisher: "ws" as const, batch: 1 },
      // Log lines are published over HTTP only; batches of 10 keep the publisher ahead of the fan-out.
      { what: "log lines", path: "/ws/logs", servers: streamServers, publisher: "http" as const, batch: 10 },
    ];
    for (const c of cases) {
      for (const subscribers of [100, 1000]) {
        rows.push(...(await runCase<GeneratorResult>(ctx, {
          scenario: "compression",
          case: `${c.what}, ${subscribers} subs`,
          servers: c.servers,
          measure: (target) => runGenerator(target, {
            mode: "fanout", path: c.path, subscribers, publisher: c.publisher, batch: c.batch,
            channel: c.what === "events" ? "events" : "logs", fields: TICK_FIELDS, deflate: true,
            durationMs: 5000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale, window: 100, ackEvery: 10, httpConnections: 8,
          }),
          headline: (r) => ({
            value: r.deliveriesPerSec as number, unit: "deliveries/s", higherIsBetter: true,
            details: {
              "bytes/delivery": fmt(r.bytesPerDelivery as number),
              "server µs/delivery": fmt(((r.serverCpuMs as number) * 1000) / (r.deliveries as number)),
              "server cpu": `${Math.round(((r.serverCpuMs as number) / (r.elapsedMs as number)) * 100)}%`,
              "gen cpu": `${Math.round(((r.generatorCpuMs as number) / (r.elapsedMs as number)) * 100)}%`,
              deflate: r.extensions ? "yes" : "no",
              lost: r.lost,
              ...(r.error ? { error: r.error } : {}),
            },
          }),
        })));
      }
    }
    // What a client that negotiated compression holds on the server (its compressor), idle.
    rows.push(...(await runCase<GeneratorResult>(ctx, {
      scenario: "compression",
      case: "2000 idle connections",
      servers: [...streamServers, ...bareBun],
      measure: (target) => runGenerator(target, { mode: "idle", path: "/ws", subscribers: 2000, durationMs: 0, deflate: true }),
      headline: (r) => ({
        value: r.kbPerConnection as number, unit: "KB RSS/connection", higherIsBetter: false,
        details: { connections: r.connections, "open ms": fmt(r.openMs as number) },
      }),
    })));
    return rows;
  },
};
