import { join } from "node:path";
import { SETTINGS } from "../../src/config.ts";
import { quantile } from "../lib/latency-recorder.ts";
import { fmt, runCase, type Row, type Scenario, type ServerSpec } from "../lib/scenario.ts";
import { ROOT, startTarget, type Target } from "../lib/targets.ts";

const FLOODERS = 20;
const PROBE_EVERY_MS = 10;

/**
 * Hostile clients: 20 WebSocket clients send tiny frames (1-byte junk, or valid pings) as fast as the
 * kernel takes them and never read, while a bystander asks `GET /api/health` every 10 ms. The headline
 * is the bystander's p99 during the flood; "after" is how long health takes once the flooders are gone.
 * Compared against the same server with the inbound budget off (`--max-inbound-frames 0
 * --max-inbound-bytes 0`), which is how every release before the budget behaved.
 */
export const flood: Scenario = {
  name: "flood",
  title: "bystander health latency while 20 clients flood tiny frames",
  inDefault: true,
  async run(ctx) {
    const budget = ["--max-inbound-frames", String(SETTINGS.maxInboundFrames.default), "--max-inbound-bytes", String(SETTINGS.maxInboundBytes.default)];
    const servers: ServerSpec[] = [
      { label: "stream-server", start: () => startTarget("stream-server", budget) },
      { label: "no inbound budget", start: () => startTarget("stream-server", ["--max-inbound-frames", "0", "--max-inbound-bytes", "0"]) },
    ];
    const rows: Row[] = [];
    for (const kind of ["junk", "ping"] as const) {
      rows.push(...(await runCase<FloodResult>(ctx, {
        scenario: "flood",
        case: `${FLOODERS} clients, ${kind === "junk" ? "1-byte invalid" : "ping"} frames`,
        servers,
        measure: (target) => measureFlood(target, kind, 3000 * ctx.timeScale),
        headline: (r) => ({
          value: r.p99Ms, unit: "ms health p99", higherIsBetter: false,
          details: { p50: fmt(r.p50Ms), max: fmt(r.maxMs), probes: r.probes, "after: 1st": fmt(r.firstAfterMs), "after: p99": fmt(r.afterP99Ms), "frames sent": fmt(r.sent) },
        }),
      })));
    }
    return rows;
  },
};

interface FloodResult extends Record<string, unknown> {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  probes: number;
  firstAfterMs: number;
  afterP99Ms: number;
  sent: number;
}

/** Floods `target` for `ms` from a separate process, probing health throughout and for a second after. */
async function measureFlood(target: Target, kind: "junk" | "ping", ms: number): Promise<FloodResult> {
  const health = `http://${target.host}:${target.port}/api/health`;
  const probe = async () => {
    const t0 = performance.now();
    const res = await fetch(health);
    await res.arrayBuffer();
    return performance.now() - t0;
  };
  const flooders = Bun.spawn(["bun", join(ROOT, "test/helpers/flooder.ts"), String(target.port), String(FLOODERS), String(ms / 1000), kind], { stdout: "pipe" });
  let flooding = true;
  const ended = flooders.exited.then(() => (flooding = false));
  const during: number[] = [];
  while (flooding) {
    during.push(await probe());
    await Bun.sleep(PROBE_EVERY_MS);
  }
  await ended;
  const sent = Number(JSON.parse(await new Response(flooders.stdout).text()).sent);
  const after: number[] = [];
  for (const start = performance.now(); performance.now() - start < 1000; await Bun.sleep(PROBE_EVERY_MS)) after.push(await probe());
  const sorted = [...during].sort((a, b) => a - b);
  return {
    p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? NaN, probes: during.length,
    firstAfterMs: after[0] ?? NaN, afterP99Ms: quantile([...after].sort((a, b) => a - b), 0.99), sent,
  };
}
