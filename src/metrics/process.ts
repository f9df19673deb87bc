import { collectDefaultMetrics, Registry, type Metric } from "prom-client";

/**
 * prom-client's default metrics, minus those that misreport under Bun: the perf_hooks event-loop
 * histogram (never fed: min 9.2e9 s, mean NaN), per-V8-heap-space sizes (all 0 in JavaScriptCore),
 * GC durations (never observed) and `nodejs_version_info` (Bun's Node-compat version, not ours).
 * What stays is read from the OS or from `process` and is right under Bun and in the executable.
 */
const KEPT = [
  "process_cpu_user_seconds_total",
  "process_cpu_system_seconds_total",
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
  "nodejs_eventloop_lag_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
] as const;

let collected: Metric[] | undefined;

/** The process metrics, created once per process (they describe the process, not one server). */
function processMetrics(): Metric[] {
  if (!collected) {
    const scratch = new Registry();
    collectDefaultMetrics({ register: scratch });
    collected = KEPT.map((name) => scratch.getSingleMetric(name)).filter((m): m is Metric => m !== undefined);
  }
  return collected;
}

/** Adds the process metrics (CPU, memory, file descriptors, event-loop lag) to `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  for (const metric of processMetrics()) registry.registerMetric(metric);
}
