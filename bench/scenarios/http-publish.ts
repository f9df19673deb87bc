import { cpuDetails, runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type BenchContext, type Row, type Scenario, type ServerSpec } from "../lib/scenario.ts";

/** HTTP publish: POST /api/events answered per second, single events and batches of 100, one subscriber. */
export const httpPublish: Scenario = {
  name: "http",
  title: "HTTP publish (POST /api/events, closed loop)",
  inDefault: true,
  run: (ctx) => publishCases(ctx, "http", "", standardServers()),
};

/** The closed-loop POST cases (single event, batch of 100) against `servers`; other scenarios reuse them. */
export async function publishCases(ctx: BenchContext, scenario: string, casePrefix: string, servers: ServerSpec[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const batch of [1, 100]) {
    rows.push(...(await runCase<GeneratorResult>(ctx, {
      scenario,
      case: casePrefix + (batch === 1 ? "single event per POST" : `batch of ${batch} per POST`),
      servers,
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
  // The batch target is a ratio within one server (batch events/s ÷ single events/s): show it on each batch row.
  const singles = rows.filter((r) => r.case.endsWith("single event per POST"));
  for (const row of rows) {
    const single = singles.find((s) => s.server === row.server);
    if (single && row !== single) row.details["× single"] = `${(row.value / single.value).toFixed(1)}×`;
  }
  return rows;
}
