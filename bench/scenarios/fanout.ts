import { cpuDetails, runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type BenchContext, type CaseSpec, type Row, type Scenario } from "../lib/scenario.ts";
import type { Target } from "../lib/targets.ts";

/** One fan-out measurement: N subscribers and one publisher on `path`, a bounded window of events in flight. */
export function fanoutCase(ctx: BenchContext, subscribers: number, publisher: "ws" | "http", path: (target: Target) => string = () => "/ws") {
  return {
    measure: (target: Target) => runGenerator(target, {
      mode: "fanout", path: path(target), subscribers, publisher,
      durationMs: 5000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
      window: 100, ackEvery: 10, httpConnections: 8,
    }),
    headline: (r: GeneratorResult) => ({
      value: r.deliveriesPerSec as number, unit: "deliveries/s", higherIsBetter: true,
      details: cpuDetails(r, { lost: r.lost, reordered: r.reordered, "events/s": fmt(r.eventsPerSec as number) }),
    }),
  } satisfies Pick<CaseSpec<GeneratorResult>, "measure" | "headline">;
}

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
          ...fanoutCase(ctx, subscribers, publisher),
        })));
      }
    }
    return rows;
  },
};
