/**
 * `bun bench/redis-cost.ts [--against PATH] [--rounds N]`: what one published event costs Redis itself,
 * read from Redis's own counters (`INFO commandstats`, `INFO memory`) instead of CPU shares, so a busy
 * machine hardly moves it: 20,000 events without ids in batches of 100, per build, in alternating rounds.
 * Never part of `bun test`.
 */
import { parseArgs } from "node:util";
import { uniquePrefix, startRedis } from "../test/helpers/redis.ts";
import { compareAgainst, startTarget, type TargetName } from "./lib/targets.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { against: { type: "string" }, rounds: { type: "string", default: "3" } } });
if (values.against) compareAgainst(values.against);
const rounds = Number(values.rounds);
const EVENTS = 20_000;
const BATCH = 100;

/** Redis's time (µs) per event in the append script and in the reader's XREADs, its sorted-set inserts, and its memory after the run. */
async function measure(name: TargetName) {
  const redis = await startRedis();
  const client = new Bun.RedisClient(redis.url);
  const target = await startTarget(name, ["--redis", redis.url, "--redis-prefix", uniquePrefix()]);
  try {
    const base = `http://${target.host}:${target.port}/api/events`;
    const body = JSON.stringify(Array.from({ length: BATCH }, (_, i) => ({ type: "order.filled", source: "bench", data: { i, qty: 5, price: 101.25 } })));
    const post = () => fetch(base, { method: "POST", headers: { "content-type": "application/json" }, body });
    // Until Redis is reached (health is up before the publish link is), then counters from zero.
    for (let r = await post(); r.status !== 200; r = await post()) if (r.status !== 503) throw new Error(`POST answered ${r.status}: ${await r.text()}`);
    await client.send("CONFIG", ["RESETSTAT"]);
    for (let sent = 0; sent < EVENTS; sent += BATCH) {
      const res = await post();
      if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    }
    const stats = String(await client.send("INFO", ["commandstats"]));
    const stat = (cmd: string) => stats.match(new RegExp(`cmdstat_${cmd}:calls=(\\d+),usec=(\\d+)`));
    const script = stat("evalsha") ?? stat("eval");
    const memory = Number(String(await client.send("INFO", ["memory"])).match(/used_memory:(\d+)/)![1]);
    return {
      scriptUsPerEvent: Number(script?.[2] ?? 0) / EVENTS,
      // The stream reader's XREADs: what Redis spends handing the entries back to the instance.
      readUsPerEvent: Number(stat("xread")?.[2] ?? 0) / EVENTS,
      zaddPerEvent: Number(stat("zadd")?.[1] ?? 0) / EVENTS,
      memoryBytesPerEvent: memory / (EVENTS + BATCH),
    };
  } finally {
    await target.stop();
    client.close();
    await redis.stop();
  }
}

const names: TargetName[] = values.against ? ["stream-server", "previous"] : ["stream-server"];
console.log(`Redis's own cost per event: ${EVENTS} events without ids, batches of ${BATCH}, ${rounds} rounds\n`);
for (let r = 0; r < rounds; r++) {
  for (const name of names) {
    const m = await measure(name);
    console.log(
      `${name.padEnd(14)} script ${m.scriptUsPerEvent.toFixed(2)} µs/event · XREAD ${m.readUsPerEvent.toFixed(2)} µs/event · ZADD ${m.zaddPerEvent.toFixed(2)}/event · memory ${Math.round(m.memoryBytesPerEvent)} B/event`,
    );
  }
}
