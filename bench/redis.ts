/**
 * `bun run bench:redis [--repeat N] [--quick]`: the `redis` scenario on its own (also `bun run bench redis`):
 * fan-out deliveries/s and p99 latency with --redis on one and two instances, beside single node, in the
 * same run against a private redis-server. Never part of `bun test`.
 */
import { parseArgs } from "node:util";
import { table } from "./lib/report.ts";
import { buildStreamServer } from "./lib/targets.ts";
import { redis } from "./scenarios/redis.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { repeat: { type: "string", default: "1" }, quick: { type: "boolean", default: false } },
});
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`--repeat expects a whole number ≥ 1, got ${values.repeat}`);
  process.exit(2);
}
const progress = (m: string) => process.stderr.write(`· ${m}\n`);
progress("building the stream-server executable");
await buildStreamServer();
const rows = await redis.run({ repeat, timeScale: values.quick ? 0.4 : 1, progress });
console.log(`\n${redis.title} — ${new Date().toISOString()}, Bun ${Bun.version}\n`);
console.log(table(rows));
process.exit(rows.some((r) => Number.isNaN(r.value)) ? 1 : 0);
