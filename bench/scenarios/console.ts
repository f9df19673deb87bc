import { readdirSync, readFileSync } from "node:fs";
import { launchBrowser } from "../../test/helpers/chromium.ts";
import { quantile } from "../lib/latency-recorder.ts";
import { cpuMs, cpuPressure, statFields } from "../lib/proc.ts";
import { fmt, runCase, type Row, type Scenario } from "../lib/scenario.ts";
import { startTarget, type Target } from "../lib/targets.ts";

/**
 * The web console under a stream of events: does the page keep up, and what does it cost? Headless
 * Chromium opens `/` on the compiled server while a publisher POSTs 1,000 events/s; we read the CPU time
 * of every Chromium process and the page's frame intervals and long tasks (> 50 ms). The baseline, in the
 * same run, is a bare page on the same server that only opens the same two WebSockets and JSON.parses
 * each frame: the irreducible cost of receiving the stream in Chromium. The ratio is the console's price.
 */
export const consoleScenario: Scenario = {
  name: "console",
  title: "web console in Chromium at 1,000 events/s (browser CPU vs a bare WebSocket page)",
  inDefault: false,
  async run(ctx) {
    const durationMs = Math.round(10_000 * ctx.timeScale);
    const rows: Row[] = [];
    for (const page of ["console", "bare receiver"] as const) {
      rows.push(...(await runCase<ConsoleResult>(ctx, {
        scenario: "console",
        case: `1000 events/s, ${durationMs / 1000} s`,
        servers: [{ label: page, start: () => startTarget("stream-server") }],
        measure: (target) => measurePage(target, page, 1000, durationMs),
        headline: (r) => ({
          value: r.browserCpuMsPer1k, unit: "browser cpu ms / 1k events", higherIsBetter: false,
          details: {
            "cpu %": fmt(r.browserCpuPercent), fps: fmt(r.fps), "p95 frame ms": fmt(r.p95FrameMs), "max frame ms": fmt(r.maxFrameMs),
            "long tasks": r.longTasks, published: r.published, received: r.received, "dom rows": r.domRows, "cpu pressure %": fmt(r.cpuPressure),
          },
        }),
      })));
    }
    return rows;
  },
};

interface ConsoleResult extends Record<string, unknown> {
  browserCpuMsPer1k: number;
  browserCpuPercent: number;
  cpuPressure: number;
  fps: number;
  p50FrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  longTasks: number;
  longTaskMs: number;
  published: number;
  received: number;
  domRows: number;
  heapMb: number;
}

// Runs in the page (a string, so this file needs no DOM types): frame timestamps and long tasks.
const INSTRUMENT = `(() => {
  const w = window; w.__frames = []; w.__long = { n: 0, ms: 0 };
  const loop = (t) => { w.__frames.push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) { w.__long.n++; w.__long.ms += e.duration; } })
    .observe({ type: "longtask" });
})()`;

const COLLECT = `(() => ({
  frames: window.__frames, long: window.__long,
  received: window.__received ?? Number(/(\\d+) received/.exec(document.getElementById("events-count").textContent)[1]),
  rows: document.querySelectorAll("#events-rows .row").length,
  heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
}))()`;

// The baseline page: the console's two WebSockets, one JSON.parse per frame, nothing drawn.
const BARE_RECEIVER = `(() => {
  window.__received = 0;
  for (const path of ["/ws", "/ws/logs"]) {
    const ws = new WebSocket("ws://" + location.host + path);
    ws.onmessage = (e) => { const f = JSON.parse(e.data); if (f.kind === "event") window.__received++; };
  }
})()`;

/** Opens the page, publishes `rate` events/s for `durationMs`, and reads the CPU used and the page's frame record. */
async function measurePage(target: Target, kind: "console" | "bare receiver", rate: number, durationMs: number): Promise<ConsoleResult> {
  const base = `http://${target.host}:${target.port}`;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    if (kind === "console") {
      await page.goto(`${base}/`);
      await page.waitForSelector("#events-state[data-state=live]");
    } else {
      await page.goto(`${base}/api/health`);
      await page.evaluate(BARE_RECEIVER);
    }
    await page.evaluate(INSTRUMENT);
    const cpuBefore = chromiumCpuMs();
    const published = await publishAtRate(base, rate, durationMs);
    await page.waitForFunction(`(${COLLECT}).received >= ${published}`, undefined, { timeout: 60_000 });
    const cpu = chromiumCpuMs() - cpuBefore;
    const seen = (await page.evaluate(COLLECT)) as { frames: number[]; long: { n: number; ms: number }; received: number; rows: number; heap: number };
    const intervals = seen.frames.slice(1).map((t, i) => t - seen.frames[i]!).sort((a, b) => a - b);
    const span = (seen.frames.at(-1)! - seen.frames[0]!) / 1000;
    return {
      browserCpuMsPer1k: (cpu / published) * 1000,
      browserCpuPercent: (cpu / durationMs) * 100,
      cpuPressure: cpuPressure(),
      fps: intervals.length / span,
      p50FrameMs: quantile(intervals, 0.5),
      p95FrameMs: quantile(intervals, 0.95),
      maxFrameMs: intervals.at(-1) ?? NaN,
      longTasks: seen.long.n,
      longTaskMs: seen.long.ms,
      published,
      received: seen.received,
      domRows: seen.rows,
      heapMb: seen.heap / 1024 / 1024,
    };
  } finally {
    await browser.dispose();
  }
}

/** CPU time so far of every Chromium process this process started (browser, renderer, GPU, network), in ms. */
function chromiumCpuMs(): number {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parentOf.set(Number(entry), Number(statFields(Number(entry))[1]));
    } catch {
      // the process exited meanwhile
    }
  }
  const ours = (pid: number) => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const pid of parentOf.keys()) {
    try {
      if (ours(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("chromium")) total += cpuMs(pid);
    } catch {
      // the process exited meanwhile
    }
  }
  return total;
}

/** POSTs batches every 20 ms so that `rate` events/s go out on average; returns how many were published. */
async function publishAtRate(base: string, rate: number, durationMs: number): Promise<number> {
  const start = performance.now();
  let sent = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed / 1000) * rate) - sent;
    if (due > 0) {
      const batch = Array.from({ length: due }, (_, i) => ({ type: "bench.tick", source: "bench/console", data: { n: sent + i, price: 101.25, qty: 5 } }));
      const res = await fetch(`${base}/api/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
      if (!res.ok) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
      sent += due;
    }
    await Bun.sleep(20);
  }
  return sent;
}
