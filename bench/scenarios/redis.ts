import { startRedis, uniquePrefix, type RedisServer } from "../../test/helpers/redis.ts";
import { cpuDetails, runGenerator, type GeneratorResult } from "../lib/generate.ts";
import { quantile } from "../lib/latency-recorder.ts";
import { cpuMs } from "../lib/proc.ts";
import { openPacedPublisher } from "../lib/paced-publisher.ts";
import { openPublisher, windowGate, type Gate } from "../lib/publisher.ts";
import { fmt, runCase, type BenchContext, type Row, type Scenario, type ServerSpec } from "../lib/scenario.ts";
import { openCrowd, type Crowd } from "../lib/subscribers.ts";
import { hasPrevious, startTarget, type Target } from "../lib/targets.ts";

/**
 * What --redis costs: the same fan-out and latency runs against single node (in memory), --redis with one
 * instance, and --redis with two instances (publishing on A, subscribers split over A and B), all against
 * one private redis-server in the same run. Each --redis row is compared with single node.
 */

const SUBSCRIBERS = 100;
const WINDOW = 100;
const ACK_EVERY = 10;
const LATENCY_RATE = 200;
/** The issue's shape: 1,000 subscribers × 100 events/s (100k deliveries/s), every delivery timed, as in `latency`. */
const CROWD = 1000;
const CROWD_RATE = 100;

interface Mode {
  label: string;
  instances: number;
  /** Runs the build given with --against (the target "previous"), for before/after figures in one run. */
  previous?: boolean;
}
const modes = (): Mode[] => [
  { label: "single node", instances: 1 },
  { label: "--redis, 1 instance", instances: 1 },
  { label: "--redis, 2 instances", instances: 2 },
  ...(hasPrevious() ? [{ label: "--redis, 1 instance, previous build", instances: 1, previous: true }] : []),
];

interface Figures {
  deliveriesPerSec: number;
  eventsPerSec: number;
  lost: number;
  reordered: number;
  /** CPU of the stream-server processes and of redis-server during the fan-out run, % of one core. */
  serverCpu: number;
  redisCpu: number;
  p50: number;
  p99: number;
  max: number;
}

async function startMode(mode: Mode, redis: RedisServer): Promise<Target[]> {
  if (mode.label === "single node") return [await startTarget("stream-server")];
  const flags = ["--redis", redis.url, "--redis-prefix", uniquePrefix()];
  return Promise.all(Array.from({ length: mode.instances }, () => startTarget(mode.previous ? "previous" : "stream-server", flags)));
}

/** Fan-out (bounded window, WebSocket publisher on the first instance), then latency at a fixed rate. */
async function measure(instances: Target[], redis: RedisServer, ctx: BenchContext): Promise<Figures> {
  let gate: Gate | undefined;
  const latencies: number[] = [];
  let timing = false;
  const per = Math.ceil(SUBSCRIBERS / instances.length);
  const crowds: Crowd[] = [];
  for (const t of instances) {
    crowds.push(await openCrowd({
      host: t.host, port: t.port, path: "/ws", size: per,
      onCounter(n, index) {
        if (index === 0 && !timing && n % ACK_EVERY === 0) gate?.wake();
      },
      onLatency(ms, _n, index) {
        if (index === 0 && timing) latencies.push(ms);
      },
    }));
  }
  await Promise.all(crowds.map((c) => c.ready));
  const acked = () => Math.min(...crowds.map((c) => c.subs[0]!.count));
  const deliveries = () => crowds.reduce((a, c) => a + c.deliveries(), 0);
  const drain = (n: number) => Promise.all(crowds.map((c) => c.allReceived(n, 30_000)));
  const first = instances[0]!;
  const cpu = () => ({ server: instances.reduce((a, t) => a + cpuMs(t.pid), 0), redis: cpuMs(redis.pid()) });

  gate = windowGate(WINDOW, acked);
  const pub = await openPublisher({ host: first.host, port: first.port, path: "/ws", via: "ws", gate });
  await pub.run(1000 * ctx.timeScale);
  await drain(gate.sent());
  const sentBefore = gate.sent();
  const deliveredBefore = deliveries();
  const cpu0 = cpu();
  const t0 = performance.now();
  await pub.run(5000 * ctx.timeScale);
  await drain(gate.sent());
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpu();
  const delivered = deliveries() - deliveredBefore;
  pub.close();
  const events = gate.sent() - sentBefore;
  const lost = crowds.reduce((a, c) => a + c.lost(gate!.sent()), 0);
  const reordered = crowds.reduce((a, c) => a + c.reordered(), 0);

  // Latency: a fixed, light rate, so the figure is the path (publish → Redis → every instance), not a queue.
  const paced = await openPacedPublisher({ host: first.host, port: first.port, path: "/ws", rate: LATENCY_RATE });
  timing = true;
  await paced.run(3000 * ctx.timeScale);
  await Promise.all(crowds.map((c) => c.allReceived(sentBefore + events + paced.sent(), 30_000)));
  timing = false;
  paced.close();
  crowds.forEach((c) => c.close());

  const sorted = latencies.sort((a, b) => a - b);
  const pct = (ms: number) => (ms / (seconds * 1000)) * 100;
  return {
    deliveriesPerSec: delivered / seconds,
    eventsPerSec: events / seconds,
    lost, reordered,
    serverCpu: pct(cpu1.server - cpu0.server),
    redisCpu: pct(cpu1.redis - cpu0.redis),
    p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN,
  };
}

/** Rows: for each --redis mode, its fan-out and latency beside single node's (so the table prints the ratio). */
function rows(results: Map<string, Figures | Error>): Row[] {
  const out: Row[] = [];
  const row = (label: string, kind: "fan-out" | "latency", caseName: string): Row => {
    const r = results.get(label);
    if (!r || r instanceof Error) {
      return { scenario: "redis", case: caseName, server: label, value: NaN, unit: "", higherIsBetter: kind === "fan-out", details: { error: r?.message ?? "no run" }, raw: {} };
    }
    return kind === "fan-out"
      ? {
          scenario: "redis", case: caseName, server: label, value: r.deliveriesPerSec, unit: "deliveries/s", higherIsBetter: true,
          details: { "events/s": fmt(r.eventsPerSec), lost: r.lost, reordered: r.reordered, "server cpu": `${Math.round(r.serverCpu)}%`, "redis cpu": `${Math.round(r.redisCpu)}%` },
          raw: { ...r },
        }
      : { scenario: "redis", case: caseName, server: label, value: r.p99, unit: "ms p99", higherIsBetter: false, details: { p50: r.p50, max: r.max }, raw: { ...r } };
  };
  for (const mode of modes().slice(1)) {
    const fan = `fan-out, ${SUBSCRIBERS} subs${mode.instances > 1 ? " split over 2" : ""}, ws publisher`;
    const lat = `latency, ${LATENCY_RATE} events/s to ${SUBSCRIBERS} subs${mode.instances > 1 ? " on 2" : ""}`;
    // The previous build joins its own case after single node, so the case reads: this build ÷ single node, ÷ previous.
    const against = mode.previous ? [] : ["single node"];
    out.push(row(mode.label, "fan-out", fan), ...against.map((l) => row(l, "fan-out", fan)));
    out.push(row(mode.label, "latency", lat), ...against.map((l) => row(l, "latency", lat)));
  }
  return out;
}

export const redis: Scenario = {
  name: "redis",
  title: "--redis (1 and 2 instances) beside single node: fan-out deliveries/s and p99 latency",
  inDefault: false,
  async run(ctx) {
    const server = await startRedis();
    const runs = new Map<string, Figures[]>();
    const failures = new Map<string, Error>();
    const out: Row[] = [];
    try {
      out.push(...(await crowdCases(ctx, server)));
      // The cases above run only when --case names them; these (many cases per run) only without --case.
      for (let i = 0; i < (ctx.caseFilter ? 0 : ctx.repeat); i++) {
        for (const mode of modes()) {
          ctx.progress(`redis · ${mode.label}${ctx.repeat > 1 ? ` (run ${i + 1}/${ctx.repeat})` : ""}`);
          let instances: Target[] = [];
          try {
            instances = await startMode(mode, server);
            runs.set(mode.label, [...(runs.get(mode.label) ?? []), await measure(instances, server, ctx)]);
          } catch (err) {
            failures.set(mode.label, err instanceof Error ? err : new Error(String(err)));
            ctx.progress(`  failed: ${String(err).split("\n")[0]}`);
          } finally {
            await Promise.all(instances.map((t) => t.stop()));
          }
        }
      }
    } finally {
      await server.stop();
    }
    if (ctx.caseFilter) return out;
    const results = new Map<string, Figures | Error>();
    for (const mode of modes()) {
      const all = (runs.get(mode.label) ?? []).sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
      results.set(mode.label, all[Math.floor((all.length - 1) / 2)] ?? failures.get(mode.label) ?? new Error("no run"));
    }
    return [...rows(results), ...out];
  },
};

/**
 * The issue's targets at 1,000 subscribers, as the `latency` and `fanout` scenarios measure them (one
 * generator process, every delivery counted): --redis with one instance beside single node, and with
 * --against the build before on Redis too. Runs only when `--case` names it (e.g. `--case "1000 subs"`):
 * at 100k deliveries/s both processes are busy on 2 cores, so it takes a while and needs a quiet machine.
 * **server µs/event** is stream-server's CPU only; Redis's is on top.
 */
async function crowdCases(ctx: BenchContext, redis: RedisServer): Promise<Row[]> {
  if (!ctx.caseFilter) return [];
  const onRedis = (label: string, target: "stream-server" | "previous"): ServerSpec => ({
    label, start: () => startTarget(target, ["--redis", redis.url, "--redis-prefix", uniquePrefix()]),
  });
  const servers: ServerSpec[] = [
    onRedis("--redis, 1 instance", "stream-server"),
    { label: "single node", start: () => startTarget("stream-server") },
    ...(hasPrevious() ? [onRedis("--redis, 1 instance, previous build", "previous")] : []),
  ];
  const rows = await runCase<GeneratorResult>(ctx, {
    scenario: "redis",
    case: `latency, ${CROWD} subs × ${CROWD_RATE} events/s`,
    servers,
    measure: (target) => runGenerator(target, {
      mode: "latency", path: "/ws", subscribers: CROWD, publisher: "ws", rate: CROWD_RATE,
      durationMs: 6000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale,
    }),
    headline: (r) => ({
      value: r.p99Ms as number, unit: "ms p99", higherIsBetter: false,
      details: cpuDetails(r, { p50: fmt(r.p50Ms as number), max: fmt(r.maxMs as number), "1st p50": fmt(r.firstP50Ms as number), lost: r.lost, reordered: r.reordered }),
    }),
  });
  rows.push(...(await runCase<GeneratorResult>(ctx, {
    scenario: "redis",
    case: `fan-out, ${CROWD} subs, ws publisher`,
    servers,
    measure: (target) => runGenerator(target, {
      mode: "fanout", path: "/ws", subscribers: CROWD, publisher: "ws",
      durationMs: 5000 * ctx.timeScale, warmupMs: 1000 * ctx.timeScale, window: WINDOW, ackEvery: ACK_EVERY,
    }),
    headline: (r) => ({
      value: r.deliveriesPerSec as number, unit: "deliveries/s", higherIsBetter: true,
      details: cpuDetails(r, { lost: r.lost, reordered: r.reordered, "events/s": fmt(r.eventsPerSec as number) }),
    }),
  })));
  return rows;
}
