import { runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, standardServers, type Row, type Scenario } from "../lib/scenario.ts";

/**
 * Idle connections: how much resident memory the server spends per open, subscribed connection.
 * The clients run in the generator process, so each side has its own open-file limit (20,000 here).
 */
export const idle: Scenario = {
  name: "idle",
  title: "idle connections (server RSS per connection)",
  inDefault: true,
  async run(ctx) {
    const rows: Row[] = [];
    for (const connections of [10_000, IDLE_MAX]) {
      rows.push(...(await runCase<GeneratorResult>(ctx, {
        scenario: "idle",
        case: `${connections} connections`,
        servers: standardServers(),
        measure: (target) => runGenerator(target, { mode: "idle", path: "/ws", subscribers: connections, durationMs: 0 }),
        headline: (r) => ({
          value: r.kbPerConnection as number, unit: "KB/conn", higherIsBetter: false,
          details: { held: r.connections, "rss before": `${fmt((r.rssBeforeKb as number) / 1024)} MB`, "rss after": `${fmt((r.rssAfterKb as number) / 1024)} MB`, "open s": fmt((r.openMs as number) / 1000) },
        }),
      })));
    }
    return rows;
  },
};

/** As many as the open-file limit allows: the hard limit (20,000 here) less room for the process's own files. */
export const IDLE_MAX = 19_000;
