import { runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type Row, type Scenario } from "../lib/scenario.ts";
import { cpuDetails } from "./fanout.ts";

/** HTTP publish: POST /api/events answered per second, single events and batches of 100, one subscriber. */
export const httpPublish: Scenario = {
  name: "http",
  title: "HTTP publish (POST /api/events, closed loop)",
  inDefault: true,
  async run(ctx) {
    const rows: Row[] = [];
    for (const batch of [1, 100]) {
      rows.push(...(await runCase<GeneratorResult>(ctx, {
        scenario: "http",
        case: batch === 1 ? "single event per POST" : `batch of ${batch} per POST`,
        servers: standardServers(),
        measure: (target) => runGenerator(target, {
          mode: "http", path: "/ws", subscribers: 1, publisher: "http", batch, httpConnections: 32,
          durationMs: 5000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
        }),
        headline: (r) => ({
          value: r.eventsPerSec as number, unit: "events/s", higherIsBetter: true,
          details: cpuDetails(r, { "requests/s": fmt(r.requestsPerSec as number), failures: r.failures, lost: r.lost }),
        }),
      })));
    }
    return rows;
  },
};
