import { runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type Row, type Scenario } from "../lib/scenario.ts";

/** Fan-out throughput: one publisher, N subscribers, a bounded window of events in flight. */
export const fanout: Scenario = {
  name: "fanout",
  title: "fan-out throughput (deliveries/s, bounded window)",
  inDefault: true,
  async run(ctx) {
    const rows: Row[] = [];
    for (const publisher of ["ws", "http"] as const) {
      for (const subscribers of [100, 1000]) {
        rows.push(...(await runCase<GeneratorResult>(ctx, {
          scenario: "fanout",
          case: `${subscribers} subs, ${publisher} publisher`,
          servers: standardServers(),
          measure: (target) => runGenerator(target, {
            mode: "fanout", path: "/ws", subscribers, publisher,
            durationMs: 5000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
            window: 100, ackEvery: 10, httpConnections: 8,
          }),
          headline: (r) => ({
            value: r.deliveriesPerSec as number, unit: "deliveries/s", higherIsBetter: true,
            details: cpuDetails(r, { lost: r.lost, reordered: r.reordered, "events/s": fmt(r.eventsPerSec as number) }),
          }),
        })));
      }
    }
    return rows;
  },
};

/** Server and generator CPU as a share of one core over the measured run, plus extra details. */
export function cpuDetails(r: GeneratorResult, extra: Row["details"] = {}): Row["details"] {
  const ms = r.elapsedMs as number;
  const pct = (cpu: unknown) => `${Math.round(((cpu as number) / ms) * 100)}%`;
  const perEvent = ((r.serverCpuMs as number) * 1000) / (r.events as number);
  return {
    ...extra,
    "server cpu": pct(r.serverCpuMs),
    "gen cpu": pct(r.generatorCpuMs),
    // Less sensitive to a busy machine than throughput: what one event cost the server.
    "server µs/event": fmt(perEvent),
    ...(r.error ? { error: r.error } : {}),
  };
}
