/**
 * `bun bench/redis-path.ts [events] [window]`: where the time goes on the --redis path, without sockets.
 * One process publishes events straight into a broker (`window` in flight, as the fan-out scenario keeps
 * 100) and times each one from the publish call to its acknowledgement (stored) and to its delivery (the
 * broker's `Deliver`), for the memory broker and the Redis broker, with and without grouped appends, in
 * turn (interleaved, 3 rounds; ROUNDS=n for another number), and
 * reads this process's and redis-server's CPU. No subscribers and no generator: what is left is the
 * engine — the append script's round trip, the reader's XREAD, decoding, and a second process to wake.
 */
import { createLocalBroker } from "../src/hub/broker-local.ts";
import type { Broker, Deliver } from "../src/hub/broker.ts";
import { clockNow, eventDraft } from "../src/hub/envelope.ts";
import { openHistoryStore } from "../src/hub/history/open.ts";
import { createRedisBroker } from "../src/hub/redis/broker.ts";
import { createLogger } from "../src/log/logger.ts";
import { startRedis, uniquePrefix } from "../test/helpers/redis.ts";
import { quantile } from "./lib/latency-recorder.ts";
import { cpuMs, selfCpuMs } from "./lib/proc.ts";

const EVENTS = Number(process.argv[2] ?? 20_000);
const WINDOW = Number(process.argv[3] ?? 100);
const logger = createLogger({ level: "warn", format: "json", write: () => {} });
const data = { symbol: "ETH-USD", side: "buy", price: 3521.17, qty: 0.25 };

async function measure(make: (deliver: Deliver) => Broker, redisPid?: number) {
  const sentAt: number[] = [];
  const acked: number[] = [];
  const delivered: number[] = [];
  let deliveredCount = 0;
  let onDelivered: (() => void) | undefined;
  const broker = make((_channel, entries) => {
    const now = performance.now();
    for (const e of entries) if (e.seq > 0 && e.seq <= EVENTS) delivered[e.seq - 1] = now - sentAt[e.seq - 1]!;
    deliveredCount += entries.length;
    onDelivered?.();
  });
  await broker.ready();
  const cpu0 = selfCpuMs();
  const redis0 = redisPid ? cpuMs(redisPid) : 0;
  const t0 = performance.now();
  let next = 0;
  let inFlight = 0;
  let slotFree: (() => void) | undefined;
  while (next < EVENTS || inFlight > 0) {
    while (inFlight < WINDOW && next < EVENTS) {
      const i = next++;
      inFlight++;
      sentAt[i] = performance.now();
      void Promise.resolve(broker.publish("events", [eventDraft({ type: "order.filled", data }, clockNow())])).then(() => {
        acked[i] = performance.now() - sentAt[i]!;
        inFlight--;
        slotFree?.();
      });
    }
    await new Promise<void>((r) => (slotFree = r));
  }
  while (deliveredCount < EVENTS) await new Promise<void>((r) => (onDelivered = r));
  const ms = performance.now() - t0;
  const figures = {
    eventsPerSec: Math.round((EVENTS / ms) * 1000),
    "ack p50": quantile([...acked].sort((a, b) => a - b), 0.5).toFixed(2),
    "ack p99": quantile([...acked].sort((a, b) => a - b), 0.99).toFixed(2),
    "delivered p50": quantile([...delivered].sort((a, b) => a - b), 0.5).toFixed(2),
    "delivered p99": quantile([...delivered].sort((a, b) => a - b), 0.99).toFixed(2),
    "µs cpu/event": (((selfCpuMs() - cpu0) * 1000) / EVENTS).toFixed(1),
    "redis µs cpu/event": redisPid ? (((cpuMs(redisPid) - redis0) * 1000) / EVENTS).toFixed(1) : "-",
  };
  await broker.close();
  return figures;
}

const redis = await startRedis();
try {
  const rows: Record<string, unknown>[] = [];
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    rows.push({
      broker: "memory", round,
      ...(await measure((deliver) => createLocalBroker({ deliver, store: openHistoryStore({ historySize: 10_000 }, undefined) }))),
    });
    for (const groupAppends of [false, true]) {
      rows.push({
        broker: groupAppends ? "redis" : "redis, an append per publish", round,
        ...(await measure((deliver) => createRedisBroker({ url: redis.url, prefix: uniquePrefix(), historySize: 10_000, timeoutMs: 5000, deliver, logger, groupAppends }), redis.pid())),
      });
    }
  }
  console.log(`${EVENTS} events, ${WINDOW} in flight (ms from the publish call)`);
  console.table(rows);
} finally {
  await redis.stop();
}
