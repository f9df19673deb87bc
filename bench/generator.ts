/**
 * The load generator: runs in its own process (so its CPU is not the server's), drives one scenario
 * against one server, and prints one `RESULT {json}` line. Started by `runGenerator` (lib/generate.ts).
 */
import type { GeneratorParams, GeneratorResult } from "./lib/generate.ts";
import { cpuMs, cpuPressure, rssKb, selfCpuMs } from "./lib/proc.ts";
import { openGate, openPublisher, rateGate, windowGate, type Gate } from "./lib/publisher.ts";
import { openCrowd, type Crowd } from "./lib/subscribers.ts";

/** Measures elapsed time and server and generator CPU from now on. */
function meter(serverPid: number) {
  const s0 = cpuMs(serverPid);
  const g0 = selfCpuMs();
  const t0 = performance.now();
  return () => ({
    elapsedMs: performance.now() - t0,
    serverCpuMs: cpuMs(serverPid) - s0,
    generatorCpuMs: selfCpuMs() - g0,
    /** Other work on the machine competing for the CPUs (noise): PSI "some" avg10 at the end. */
    cpuPressure: cpuPressure(),
  });
}

/** Waits until every subscriber has every event sent so far; returns the error text if some never arrive. */
async function drain(crowd: Crowd, gate: Gate): Promise<string | undefined> {
  return crowd.allReceived(gate.sent(), 15_000).then(() => undefined, (e: Error) => e.message);
}

/** Publishes (window, rate or closed loop) to a crowd; warms up first, then measures one run. */
async function publishToCrowd(p: GeneratorParams) {
  let gate: Gate;
  const sendTimes: number[] = [];
  const latencies: number[] = [];
  let measuring = false;
  const crowd = await openCrowd({
    host: p.host, port: p.port, path: p.path, size: p.subscribers,
    onCounter(n, index) {
      if (p.mode === "latency") {
        if (measuring) latencies.push(performance.now() - sendTimes[n]!);
      } else if (index === 0 && n % ackEvery === 0) gate.wake(); // the sentinel acks every K-th event
    },
  });
  await crowd.ready;
  const window = p.window ?? 100;
  const ackEvery = p.ackEvery ?? 10;
  gate = p.mode === "latency" ? rateGate(p.rate ?? 100, (n) => (sendTimes[n] = performance.now()))
    : p.mode === "http" ? openGate()
    : windowGate(window, () => crowd.subs[0]!.count);
  const pub = await openPublisher({
    host: p.host, port: p.port, path: p.path, via: p.publisher ?? "ws", gate,
    httpConnections: p.httpConnections, batch: p.batch, payloadBytes: p.payloadBytes,
  });

  await pub.run(p.warmupMs ?? 1000);
  const warmError = await drain(crowd, gate);
  if (warmError) throw new Error(`during warm-up: ${warmError}`);
  const deliveredBefore = crowd.deliveries();
  const sentBefore = gate.sent();
  const sendsBefore = pub.stats().sends;
  const measure = meter(p.serverPid);
  measuring = true;
  await pub.run(p.durationMs);
  const error = await drain(crowd, gate);
  const m = measure();
  measuring = false;
  crowds.push(crowd);

  const deliveries = crowd.deliveries() - deliveredBefore;
  const events = gate.sent() - sentBefore;
  const sends = pub.stats().sends - sendsBefore;
  const result: GeneratorResult = {
    ...m,
    events,
    deliveries,
    deliveriesPerSec: (deliveries / m.elapsedMs) * 1000,
    eventsPerSec: (events / m.elapsedMs) * 1000,
    requestsPerSec: (sends / m.elapsedMs) * 1000,
    failures: pub.stats().failures,
    lost: crowd.lost(gate.sent()),
    reordered: crowd.reordered(),
    error,
  };
  if (p.mode === "fanout") Object.assign(result, { window, ackEvery });
  if (p.mode === "latency") {
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    Object.assign(result, { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) ?? NaN, samples: latencies.length });
  }
  return result;
}

/** Opens `connections` idle subscribers and reports the server's resident memory per connection. */
async function idle(p: GeneratorParams): Promise<GeneratorResult> {
  const t0 = performance.now();
  const rssBeforeKb = rssKb(p.serverPid);
  const crowd = await openCrowd({ host: p.host, port: p.port, path: p.path, size: p.subscribers, concurrency: 250 });
  await crowd.ready;
  const openMs = performance.now() - t0;
  // Let the server settle (lazy buffers, GC) before reading its memory.
  await Bun.sleep(p.settleMs ?? 1500);
  Bun.gc(true);
  const rssAfterKb = rssKb(p.serverPid);
  const held = crowd.subs.length;
  crowds.push(crowd);
  return { connections: held, openMs, rssBeforeKb, rssAfterKb, kbPerConnection: (rssAfterKb - rssBeforeKb) / held };
}

/** Crowds still connected after their measurement; see `settle`. */
const crowds: Crowd[] = [];

/**
 * After the result is out, the server is stopped and closes every connection. Leaving the closing to
 * the server matters: the side that closes first keeps each connection in TIME_WAIT for a minute, and
 * 19,000 client ports in TIME_WAIT would starve the next run's connects (the ephemeral range is ~28,000).
 */
async function settle() {
  await Promise.race([Promise.all(crowds.map((c) => c.closed())), Bun.sleep(30_000)]);
}

async function main() {
  const p = JSON.parse(process.argv[2] ?? "{}") as GeneratorParams;
  const result = p.mode === "idle" ? await idle(p) : await publishToCrowd(p);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await settle();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`generator failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
