import { spawn } from "bun";
import { join } from "node:path";
import { fmt, type Row } from "./scenario.ts";
import type { Target } from "./targets.ts";

/** What one generator run does. */
export interface GeneratorParams {
  /** fanout: bounded window; latency: fixed rate, latency per delivery; http: closed-loop POSTs; idle: hold connections. */
  mode: "fanout" | "latency" | "http" | "idle";
  host: string;
  port: number;
  /** WebSocket path subscribers (and a WebSocket publisher) connect to. */
  path: string;
  serverPid: number;
  /** Subscribers (idle: connections to hold). */
  subscribers: number;
  publisher?: "ws" | "http";
  durationMs: number;
  warmupMs?: number;
  /** fanout: events in flight ahead of the sentinel subscriber; it acks every `ackEvery`-th. */
  window?: number;
  ackEvery?: number;
  /** latency: events per second. */
  rate?: number;
  httpConnections?: number;
  /** Events per request or frame. */
  batch?: number;
  /** Extra bytes of padding in each event's data. */
  payloadBytes?: number;
  /** Members at the start of each event's data instead of padding (see `TICK_FIELDS`). */
  fields?: string;
  /** "logs": subscribers on `path` get log lines, published with POST /api/logs. */
  channel?: "events" | "logs";
  /** Subscribers offer permessage-deflate (see `openCrowd`); the result then counts bytes on the wire. */
  deflate?: boolean;
  /** idle: wait before reading memory. */
  settleMs?: number;
}

/** Numbers a generator run reports (which ones depends on the mode). */
export type GeneratorResult = Record<string, number | string | undefined>;

/**
 * Runs the generator in its own process against `target` and resolves with its result as soon as it is
 * printed; rejects with its stderr if it fails. The generator then waits for the server to close its
 * connections (stopping the target does that) and exits on its own; it is killed if still there later.
 */
export async function runGenerator(target: Target, params: Omit<GeneratorParams, "host" | "port" | "serverPid">): Promise<GeneratorResult> {
  const full: GeneratorParams = { ...params, host: target.host, port: target.port, serverPid: target.pid };
  const proc = spawn(["bun", join(import.meta.dir, "..", "generator.ts"), JSON.stringify(full)], { stdout: "pipe", stderr: "pipe" });
  const err = new Response(proc.stderr).text();
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    out += decoder.decode(chunk, { stream: true });
    const line = out.split("\n").find((l) => l.startsWith("RESULT ") && out.includes("\n", out.indexOf(l)));
    if (line) {
      const timer = setTimeout(() => proc.kill("SIGKILL"), 40_000);
      void proc.exited.then(() => clearTimeout(timer));
      return JSON.parse(line.slice("RESULT ".length)) as GeneratorResult;
    }
  }
  const code = await proc.exited;
  throw new Error(`generator (${params.mode} against ${target.name}) failed with code ${code}: ${(await err).trim() || out.trim()}\nserver said: ${target.output().slice(-1000)}`);
}

/** Server and generator CPU as a share of one core over the measured run, plus extra details. */
export function cpuDetails(r: GeneratorResult, extra: Row["details"] = {}): Row["details"] {
  const ms = r.elapsedMs as number;
  const pct = (cpu: unknown) => `${Math.round(((cpu as number) / ms) * 100)}%`;
  const perEvent = ((r.serverCpuMs as number) * 1000) / (r.events as number);
  return {
    ...extra,
    "server cpu": pct(r.serverCpuMs),
    "gen cpu": pct(r.generatorCpuMs),
    // Less sensitive to a busy machine than throughput: what one event cost the server.
    "server µs/event": fmt(perEvent),
    ...(r.error ? { error: r.error } : {}),
  };
}
