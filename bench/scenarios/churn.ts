import { rssKb } from "../lib/proc.ts";
import { openPublisher, rateGate } from "../lib/publisher.ts";
import { openRawWs } from "../lib/raw-ws.ts";
import { fmt, runCase, standardServers, type Scenario } from "../lib/scenario.ts";
import type { Target } from "../lib/targets.ts";

/**
 * Connection churn: 2,000 clients each connect, wait for their first frame, disconnect, and start over,
 * for 60 s, while events flow at a steady rate. Headline: connects per second. The server's RSS is read
 * before, after a warm-up (a tenth of the run) and after the run once the connections are gone; growth
 * from warm-up to the end beyond noise would be a leak per connection. stream-server runs with
 * --history-size 1000 so that its histories (events, and the connect/disconnect log lines) are full by
 * the end of the warm-up: with the default 10,000 their filling shows up as growth.
 */

const CLIENTS = 2_000;
const EVENTS_PER_SECOND = 500;

interface ChurnResult extends Record<string, number | string | undefined> {
  connects: number;
  connectsPerSecond: number;
  failures: number;
  frames: number;
  rssStartKb: number;
  rssWarmKb: number;
  rssEndKb: number;
  /** Lowest and highest RSS sampled each second after the warm-up: the garbage collector's swing. */
  rssMinKb: number;
  rssMaxKb: number;
  /** Why the first failed connect failed. */
  firstFailure?: string;
}

/** Runs the churn against one server for `durationMs`. */
export async function measureChurn(target: Target, durationMs: number): Promise<ChurnResult> {
  const rssStartKb = rssKb(target.pid);
  const publisher = await openPublisher({ host: target.host, port: target.port, path: "/ws", via: "http", httpConnections: 2, gate: rateGate(EVENTS_PER_SECOND) });
  const publishing = publisher.run(durationMs);
  const started = performance.now();
  const end = started + durationMs;
  let connects = 0;
  let failures = 0;
  let frames = 0;
  let firstFailure: string | undefined;

  const client = async () => {
    while (performance.now() < end) {
      let first!: () => void;
      const gotFirst = new Promise<void>((resolve) => (first = resolve));
      try {
        const ws = await openRawWs({ host: target.host, port: target.port, path: "/ws", onFrame() { frames++; first(); }, onClose: () => first() });
        await gotFirst;
        ws.close();
        await ws.closed;
        connects++;
      } catch (err) {
        failures++;
        firstFailure ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  let rssWarmKb = NaN;
  const samples: number[] = [];
  const warm = setTimeout(() => (rssWarmKb = rssKb(target.pid)), durationMs / 10);
  const sampler = setInterval(() => {
    if (performance.now() - started > durationMs / 10) samples.push(rssKb(target.pid));
  }, 1000);
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const elapsed = performance.now() - started;
  clearTimeout(warm);
  clearInterval(sampler);
  await publishing;
  publisher.close();
  // Let the server finish its close handlers and free what it will, then read its memory.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return { connects, connectsPerSecond: (connects * 1000) / elapsed, failures, frames, rssStartKb, rssWarmKb, rssEndKb: rssKb(target.pid), rssMinKb: Math.min(...samples), rssMaxKb: Math.max(...samples), firstFailure };
}

export const churn: Scenario = {
  name: "churn",
  title: `connection churn (${CLIENTS} clients reconnecting in a loop while events flow)`,
  inDefault: false,
  async run(ctx) {
    const durationMs = Math.round(60_000 * ctx.timeScale);
    return runCase<ChurnResult>(ctx, {
      scenario: "churn",
      case: `${CLIENTS} clients, ${durationMs / 1000} s`,
      // A short history fills during the warm-up, so growth after it is per-connection memory, not history.
      servers: standardServers(["--history-size", "1000"]),
      measure: (target) => measureChurn(target, durationMs),
      headline: (r) => ({
        value: r.connectsPerSecond, unit: "connects/s", higherIsBetter: true,
        details: {
          connects: r.connects, failed: r.failures, ...(r.firstFailure ? { "first failure": r.firstFailure.slice(0, 80) } : {}),
          "rss start": `${fmt(r.rssStartKb / 1024)} MB`, "rss warm": `${fmt(r.rssWarmKb / 1024)} MB`, "rss end": `${fmt(r.rssEndKb / 1024)} MB`,
          "growth after warm-up": `${fmt((r.rssEndKb - r.rssWarmKb) / 1024)} MB`,
          "rss range": `${fmt(r.rssMinKb / 1024)}–${fmt(r.rssMaxKb / 1024)} MB`,
        },
      }),
    });
  },
};
