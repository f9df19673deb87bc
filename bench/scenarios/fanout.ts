import { cpuDetails, runGenerator, type GeneratorResult } from "../lib/generate.ts";
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
