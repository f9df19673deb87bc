/**
 * The load generator: runs in its own process (so its CPU is not the server's), drives one scenario
 * against one server, and prints one `RESULT {json}` line. Started by `runGenerator` (lib/generate.ts).
 */
import type { GeneratorParams, GeneratorResult } from "./lib/generate.ts";
import { cpuMs, cpuPressure, rssKb, selfCpuMs } from "./lib/proc.ts";
import { latencyRecorder } from "./lib/latency-recorder.ts";
import { eventsIn, openPacedPublisher } from "./lib/paced-publisher.ts";
import { openGate, openPublisher, windowGate, type Gate } from "./lib/publisher.ts";
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

/** Waits until every subscriber has `sent` events; returns the error text if some never arrive. */
async function drain(crowd: Crowd, sent: number): Promise<string | undefined> {
  return crowd.allReceived(sent, 15_000).then(() => undefined, (e: Error) => e.message);
}

/** What publishes to the crowd: a gated publisher (fanout, http) or a paced one (latency, `PacedPublisher`). */
interface Source {
  run(ms: number): Promise<void>;
  /** Events published so far. */
  sent(): number;
  /** Frames or requests sent so far, and failed requests. */
  stats(): { sends: number; failures: number };
}

/** The publisher for fanout (bounded window, acked by the sentinel) and http (closed loop). */
async function gatedSource(p: GeneratorParams, gate: Gate): Promise<Source> {
  const pub = await openPublisher({
    host: p.host, port: p.port, path: p.path, via: p.publisher ?? "ws", gate,
    httpConnections: p.httpConnections, batch: p.batch, payloadBytes: p.payloadBytes, fields: p.fields, channel: p.channel,
  });
  return { run: pub.run, sent: gate.sent, stats: pub.stats };
}

/** Publishes (window, closed loop, or fixed rate) to a crowd; warms up first, then measures one run. */
async function publishToCrowd(p: GeneratorParams) {
  let gate: Gate | undefined;
  const ackEvery = p.ackEvery ?? 10;
  const latency = p.mode === "latency" ? latencyRecorder() : undefined;
  const crowd = await openCrowd({
    host: p.host, port: p.port, path: p.path, size: p.subscribers,
    // the sentinel acks every K-th event
    onCounter: p.mode === "fanout" ? (n, index) => index === 0 && n % ackEvery === 0 && gate!.wake() : undefined,
    onLatency: latency?.record,
    deflate: p.deflate,
  });
  await crowd.ready;
  const rate = p.rate ?? 100;
  const paced = latency ? await openPacedPublisher({ host: p.host, port: p.port, path: p.path, rate }) : undefined;
  if (!paced) gate = p.mode === "http" ? openGate() : windowGate(p.window ?? 100, () => crowd.subs[0]!.count);
  const source: Source = paced ?? (await gatedSource(p, gate!));

  await source.run(p.warmupMs ?? 1000);
  const warmError = await drain(crowd, source.sent());
  if (warmError) throw new Error(`during warm-up: ${warmError}`);
  const deliveredBefore = crowd.deliveries();
  const bytesBefore = crowd.bytes();
  const sentBefore = source.sent();
  const sendsBefore = source.stats().sends;
  latency?.measure(sentBefore, eventsIn(p.durationMs, rate), p.subscribers);
  const measure = meter(p.serverPid);
  await source.run(p.durationMs);
  const error = await drain(crowd, source.sent());
  const m = measure();
  paced?.close();
  crowds.push(crowd);

  const deliveries = crowd.deliveries() - deliveredBefore;
  const wireBytes = crowd.bytes() - bytesBefore;
  const events = source.sent() - sentBefore;
  const sends = source.stats().sends - sendsBefore;
  const result: GeneratorResult = {
    ...m,
    events,
    deliveries,
    deliveriesPerSec: (deliveries / m.elapsedMs) * 1000,
    eventsPerSec: (events / m.elapsedMs) * 1000,
    wireBytes,
    bytesPerDelivery: wireBytes / deliveries,
    extensions: crowd.subs[0]!.ws.extensions,
    requestsPerSec: (sends / m.elapsedMs) * 1000,
    failures: source.stats().failures,
    lost: crowd.lost(source.sent()),
    reordered: crowd.reordered(),
    error,
  };
  if (p.mode === "fanout") Object.assign(result, { window: p.window ?? 100, ackEvery });
  if (latency) Object.assign(result, latency.summary(), { sendLateP99Ms: paced!.lateP99Ms() });
  return result;
}

/** Opens `connections` idle subscribers and reports the server's resident memory per connection. */
async function idle(p: GeneratorParams): Promise<GeneratorResult> {
  const t0 = performance.now();
  const rssBeforeKb = rssKb(p.serverPid);
  const crowd = await openCrowd({ host: p.host, port: p.port, path: p.path, size: p.subscribers, concurrency: 250, deflate: p.deflate });
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
