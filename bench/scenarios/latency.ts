import { runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type Scenario } from "../lib/scenario.ts";
import { cpuDetails } from "./fanout.ts";

/**
 * Latency at a fixed rate: 1,000 subscribers × 100 events/s = 100k deliveries/s, publish → receive of
 * every delivery (paced publisher in its own thread, send time carried in each event; see generator.ts).
 */
export const latency: Scenario = {
  name: "latency",
  title: "publish → receive latency at 100k deliveries/s",
  inDefault: true,
  run: (ctx) =>
    runCase<GeneratorResult>(ctx, {
      scenario: "latency",
      case: "1000 subs × 100 events/s",
      servers: standardServers(),
      measure: (target) => runGenerator(target, {
        mode: "latency", path: "/ws", subscribers: 1000, publisher: "ws", rate: 100,
        durationMs: 6000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
      }),
      headline: (r) => ({
        value: r.p99Ms as number, unit: "ms p99", higherIsBetter: false,
        details: cpuDetails(r, {
          p50: fmt(r.p50Ms as number), max: fmt(r.maxMs as number), "1st p50": fmt(r.firstP50Ms as number),
          lost: r.lost, reordered: r.reordered,
        }),
      }),
    }),
};
