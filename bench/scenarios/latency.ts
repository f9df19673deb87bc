import { cpuDetails, runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type Row, type Scenario } from "../lib/scenario.ts";

/**
 * Latency at a fixed rate, publish → receive of every delivery (paced publisher in its own thread, send
 * time carried in each event; see generator.ts). 1,000 subscribers × 100 events/s = 100k deliveries/s is
 * the target; on 2 cores it keeps server and generator busy (see "1st p50"), so the same 1,000
 * subscribers at 25 events/s show the fan-out's own latency with CPU to spare.
 */
export const latency: Scenario = {
  name: "latency",
  title: "publish → receive latency at 100k and 25k deliveries/s",
  inDefault: true,
  async run(ctx) {
    const rows: Row[] = [];
    for (const rate of [100, 25]) {
      rows.push(...(await runCase<GeneratorResult>(ctx, {
        scenario: "latency",
        case: `1000 subs × ${rate} events/s`,
        servers: standardServers(),
        measure: (target) => runGenerator(target, {
          mode: "latency", path: "/ws", subscribers: 1000, publisher: "ws", rate,
          durationMs: 6000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
        }),
        headline: (r) => ({
          value: r.p99Ms as number, unit: "ms p99", higherIsBetter: false,
          details: cpuDetails(r, {
            p50: fmt(r.p50Ms as number), max: fmt(r.maxMs as number), "1st p50": fmt(r.firstP50Ms as number),
            lost: r.lost, reordered: r.reordered,
          }),
        }),
      })));
    }
    return rows;
  },
};
