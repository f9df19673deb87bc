import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, type Scenario, type ServerSpec } from "../lib/scenario.ts";
import { standardTargets, startTarget, type Target } from "../lib/targets.ts";
import { publishCases } from "./http-publish.ts";

/**
 * The price of durable history: publish throughput in memory vs --data (SQLite, fsync per publish by
 * default, or --data-sync normal), and the time to replay 10,000 events to a client resuming from seq 0.
 */

/**
 * stream-server in memory, then with --data in a fresh directory (removed when it stops); with `--against`,
 * the other build with --data too ("previous --data"), for before/after figures of the durable path.
 */
function servers(): ServerSpec[] {
  const previous = standardTargets().includes("previous");
  return [
    { label: "memory", start: () => startTarget("stream-server") },
    { label: "--data", start: () => withData("stream-server", "full") },
    ...(previous ? [{ label: "previous --data", start: () => withData("previous", "full") }] : []),
    { label: "--data-sync normal", start: () => withData("stream-server", "normal") },
  ];
}

async function withData(name: "stream-server" | "previous", sync: "full" | "normal"): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "stream-bench-data-"));
  const target = await startTarget(name, ["--data", dir, "--data-sync", sync]);
  return {
    ...target,
    async stop() {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const REPLAYED = 10_000;
const REPLAYS = 5;

/** Fills the history with 10,000 events, then times REPLAYS clients each resuming from seq 0 (median). */
async function measureReplay(target: Target): Promise<GeneratorResult> {
  const base = `http://${target.host}:${target.port}`;
  for (let done = 0; done < REPLAYED; done += 1000) {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ type: "order.filled", source: "bench", data: { i: done + i, qty: 5, price: 101.25 } }));
    const res = await fetch(`${base}/api/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
    if (res.status !== 200) throw new Error(`filling history: POST answered ${res.status}: ${await res.text()}`);
  }
  const times: number[] = [];
  for (let r = 0; r < REPLAYS; r++) times.push(await replayOnce(`ws://${target.host}:${target.port}/ws?since=0`));
  times.sort((a, b) => a - b);
  return { replayMs: times[Math.floor(times.length / 2)]!, bestMs: times[0]!, worstMs: times.at(-1)! };
}

/** Milliseconds from connecting to the last replayed event. */
function replayOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(url);
    let events = 0;
    ws.onmessage = (e) => {
      if (!(e.data as string).startsWith('{"kind":"event"')) return;
      if (++events === REPLAYED) {
        resolve(performance.now() - started);
        ws.close();
      }
    };
    ws.onclose = () => events < REPLAYED && reject(new Error(`replay ended after ${events} of ${REPLAYED} events`));
    ws.onerror = () => reject(new Error(`could not connect to ${url}`));
  });
}

export const history: Scenario = {
  name: "history",
  title: "durable history: publish throughput memory vs --data; replay of 10,000 events",
  inDefault: true,
  async run(ctx) {
    const all = servers();
    const rows = await publishCases(ctx, "history", "publish, ", all);
    rows.push(...(await runCase<GeneratorResult>(ctx, {
      scenario: "history",
      case: `replay ${REPLAYED} events to a client resuming from 0`,
      servers: all.filter((s) => s.label === "memory" || s.label.endsWith("--data")),
      measure: measureReplay,
      headline: (r) => ({
        value: r.replayMs as number, unit: "ms", higherIsBetter: false,
        details: { best: `${fmt(r.bestMs as number)} ms`, worst: `${fmt(r.worstMs as number)} ms`, "events/s": fmt((REPLAYED / (r.replayMs as number)) * 1000) },
      }),
    })));
    return rows;
  },
};
