/**
 * `bun run bench/redis.ts [--events N] [--subscribers N]`: what --redis costs. Fan-out throughput and
 * publish→delivery latency of the compiled server in memory (single node, the baseline), with --redis on
 * one instance, and with --redis on two instances (publishing on A, subscribers split over A and B) —
 * all in the same run, on the same machine, against a private redis-server. Prints one table with
 * each figure's ratio to single node. Never part of `bun test`.
 */
import { parseArgs } from "node:util";
import { buildBinary, startBinary, type BinaryServer } from "../test/helpers/binary.ts";
import { startRedis, uniquePrefix, type RedisServer } from "../test/helpers/redis.ts";

interface Mode {
  name: string;
  /** Starts the instances; the first is where events are published. */
  start(redis: RedisServer): Promise<BinaryServer[]>;
}

const MODES: Mode[] = [
  { name: "single node (memory)", start: async () => [await startBinary()] },
  { name: "--redis, 1 instance", start: async (redis) => [await startBinary(["--redis", redis.url, "--redis-prefix", uniquePrefix()])] },
  {
    name: "--redis, 2 instances",
    async start(redis) {
      const prefix = uniquePrefix();
      return Promise.all([0, 1].map(() => startBinary(["--redis", redis.url, "--redis-prefix", prefix])));
    },
  },
];

interface Figures {
  eventsPerSec: number;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  max: number;
}

/** Subscribers that count event frames; the first on each instance (the probe) also parses them for latency. */
async function openSubscribers(instances: BinaryServer[], count: number) {
  const counts = new Array<number>(count).fill(0);
  const latencies: number[] = [];
  let recording = false;
  let wake: (() => void) | undefined;
  const sockets = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const srv = instances[i % instances.length]!;
      const probe = i < instances.length;
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`);
      let hello = false;
      ws.onmessage = (e) => {
        if (!hello) {
          hello = true;
          return;
        }
        counts[i]!++;
        if (probe) {
          if (recording) latencies.push(performance.now() - (JSON.parse(e.data as string).data.t as number));
          wake?.();
        }
      };
      return new Promise<WebSocket>((resolve, reject) => {
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error(`could not connect to ${srv.url}`));
      });
    }),
  );
  const probes = instances.length;
  return {
    latencies,
    record: (on: boolean) => (recording = on),
    /** Events every probe has received (the slowest probe). */
    delivered: () => Math.min(...counts.slice(0, probes)),
    total: () => counts.reduce((a, b) => a + b, 0),
    /** Resolves when every subscriber has at least `n` events. */
    async all(n: number, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (counts.some((c) => c < n)) {
        if (Date.now() > deadline) throw new Error(`subscribers stalled: ${counts.filter((c) => c < n).length} of ${count} below ${n}`);
        await Bun.sleep(5);
      }
    },
    /** Resolves on the next probe delivery. */
    next: () => new Promise<void>((resolve) => (wake = resolve)),
    close: () => sockets.forEach((ws) => ws.close()),
  };
}

/** POSTs a batch of `n` events stamped with the send time. */
async function post(url: string, n: number) {
  const t = performance.now();
  const body = JSON.stringify(Array.from({ length: n }, () => ({ type: "bench.tick", data: { t } })));
  const res = await fetch(`${url}/api/events`, { method: "POST", headers: { "content-type": "application/json" }, body });
  if (res.status !== 200) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Throughput: publish `events` in batches with a bounded window of undelivered events, and time until
 * every subscriber has them all. Latency: then publish one event at a time, paced, and time each one
 * from POST to the probes.
 */
async function measure(instances: BinaryServer[], subscribers: number, events: number): Promise<Figures> {
  const subs = await openSubscribers(instances, subscribers);
  const url = instances[0]!.url;
  const BATCH = 50;
  const WINDOW = 1000;
  let sent = 0;
  const publishAll = async (n: number) => {
    const target = sent + n;
    const inflight = new Set<Promise<void>>();
    while (sent < target) {
      while (sent - subs.delivered() >= WINDOW || inflight.size >= 4) await Promise.race([subs.next(), ...inflight]);
      const size = Math.min(BATCH, target - sent);
      sent += size;
      const p = post(url, size).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    await subs.all(sent);
  };

  await publishAll(Math.min(2000, events)); // warm-up
  const t0 = performance.now();
  await publishAll(events);
  const seconds = (performance.now() - t0) / 1000;

  subs.record(true);
  for (let i = 0; i < 500; i++) {
    const arrived = subs.next();
    await post(url, 1);
    await arrived;
    await Bun.sleep(2); // paced: latency, not queueing
  }
  subs.record(false);
  subs.close();
  const lat = subs.latencies.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { eventsPerSec: events / seconds, deliveriesPerSec: (events * subscribers) / seconds, p50: q(0.5), p99: q(0.99), max: lat.at(-1)! };
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { events: { type: "string", default: "20000" }, subscribers: { type: "string", default: "100" } },
  });
  const events = Number(values.events);
  const subscribers = Number(values.subscribers);
  if (!(events > 0) || !(subscribers >= 2)) throw new Error("--events must be > 0 and --subscribers ≥ 2");

  process.stderr.write("· building the executable\n");
  await buildBinary();
  const redis = await startRedis();
  const results: { mode: string; figures?: Figures; error?: string }[] = [];
  try {
    for (const mode of MODES) {
      process.stderr.write(`· ${mode.name}: ${events} events to ${subscribers} subscribers\n`);
      const instances = await mode.start(redis);
      try {
        results.push({ mode: mode.name, figures: await measure(instances, subscribers, events) });
      } catch (err) {
        results.push({ mode: mode.name, error: err instanceof Error ? err.message : String(err) });
      } finally {
        await Promise.all(instances.map((s) => s.kill()));
      }
    }
  } finally {
    await redis.stop();
  }

  const base = results[0]?.figures;
  const ratio = (v: number, b: number | undefined) => (b ? ` (${(v / b).toFixed(2)}×)` : "");
  const rows = results.map(({ mode, figures: f, error }) =>
    f
      ? [mode, `${Math.round(f.eventsPerSec)}${ratio(f.eventsPerSec, base?.eventsPerSec)}`, `${Math.round(f.deliveriesPerSec)}${ratio(f.deliveriesPerSec, base?.deliveriesPerSec)}`,
         `${f.p50.toFixed(2)}`, `${f.p99.toFixed(2)}${ratio(f.p99, base?.p99)}`, f.max.toFixed(2)]
      : [mode, `failed: ${error}`, "", "", "", ""],
  );
  const head = ["mode", "events/s", "deliveries/s", "p50 ms", "p99 ms", "max ms"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(`\n--redis benchmark — ${new Date().toISOString()} — ${events} events, ${subscribers} subscribers, Bun ${Bun.version}`);
  console.log("throughput: HTTP batches of 50, at most 1000 events undelivered; latency: 500 single events, paced, POST → probe subscriber on each instance");
  console.log("ratios (×) are to single node in this run\n");
  console.log(line(head));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
  return results.some((r) => r.error) ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`bench/redis.ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
