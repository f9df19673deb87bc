/**
 * `bun run bench [scenario…] [--repeat N] [--quick] [--profile] [--envelope-baseline] [--list]`: runs the scenarios side by side against
 * stream-server and the baselines, prints one table, and writes the figures to bench/results/.
 * Never part of `bun test`. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ratios, table } from "./lib/report.ts";
import type { BenchContext, Row, Scenario } from "./lib/scenario.ts";
import { addEnvelopeBaseline, buildStreamServer, compareAgainst, profileStreamServer, RESULTS_DIR } from "./lib/targets.ts";
import { churn } from "./scenarios/churn.ts";
import { compression } from "./scenarios/compression.ts";
import { consoleScenario } from "./scenarios/console.ts";
import { fanout } from "./scenarios/fanout.ts";
import { flood } from "./scenarios/flood.ts";
import { history } from "./scenarios/history.ts";
import { httpPublish } from "./scenarios/http-publish.ts";
import { idle } from "./scenarios/idle.ts";
import { latency } from "./scenarios/latency.ts";
import { redis } from "./scenarios/redis.ts";
import { tokens } from "./scenarios/tokens.ts";

/** The registry: add a scenario here (one import, one entry) and it runs by name or in the default set. */
const SCENARIOS: Scenario[] = [fanout, latency, idle, httpPublish, history, consoleScenario, redis, churn, flood, tokens, compression];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      repeat: { type: "string", default: "1" },
      quick: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      only: { type: "string" },
      case: { type: "string" },
      against: { type: "string" },
      "envelope-baseline": { type: "boolean", default: false },
    },
  });
  if (values.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(10)} ${s.title}${s.inDefault ? "" : "  (only when named)"}`);
    return 0;
  }
  const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    return 2;
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) {
    console.error(`--repeat expects a whole number ≥ 1, got ${values.repeat}`);
    return 2;
  }
  const chosen = positionals.length > 0 ? SCENARIOS.filter((s) => positionals.includes(s.name)) : SCENARIOS.filter((s) => s.inDefault);
  const ctx: BenchContext = {
    repeat,
    timeScale: values.quick ? 0.4 : 1,
    progress: (m) => process.stderr.write(`· ${m}\n`),
    only: values.only?.split(","),
    caseFilter: values.case,
  };

  const started = new Date();
  if (values.against) compareAgainst(values.against);
  if (values["envelope-baseline"]) addEnvelopeBaseline();
  if (values.profile) {
    const dir = join(RESULTS_DIR, `profiles-${started.toISOString().replace(/[:.]/g, "-")}`);
    profileStreamServer(dir);
    ctx.progress(`profiling: stream-server runs from source under bun --cpu-prof; profiles go to ${dir}`);
  } else {
    ctx.progress("building the stream-server executable");
    await buildStreamServer();
  }
  const rows: Row[] = [];
  for (const scenario of chosen) rows.push(...(await scenario.run(ctx)));

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(), bun: Bun.version };
  console.log(`\nstream-server benchmark — ${started.toISOString()} — ${machine.cpus} cores, load ${machine.loadavg.map((l) => l.toFixed(1)).join(" ")}, repeat ${repeat}\n`);
  console.log(table(rows));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  const cases = [...new Set(rows.map((r) => `${r.scenario}\u0000${r.case}`))].map((key) => {
    const group = rows.filter((r) => `${r.scenario}\u0000${r.case}` === key);
    return { scenario: group[0]!.scenario, case: group[0]!.case, ratios: ratios(group) };
  });
  writeFileSync(file, JSON.stringify({ started, argv, machine, rows, cases }, null, 2));
  console.log(`\nfigures written to ${file}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
