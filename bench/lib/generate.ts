import { spawn } from "bun";
import { join } from "node:path";
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
  /** idle: wait before reading memory. */
  settleMs?: number;
}

/** Numbers a generator run reports (which ones depends on the mode). */
export type GeneratorResult = Record<string, number | string | undefined>;

/** Runs the generator in its own process against `target`; rejects with its stderr if it fails. */
export async function runGenerator(target: Target, params: Omit<GeneratorParams, "host" | "port" | "serverPid">): Promise<GeneratorResult> {
  const full: GeneratorParams = { ...params, host: target.host, port: target.port, serverPid: target.pid };
  const proc = spawn(["bun", join(import.meta.dir, "..", "generator.ts"), JSON.stringify(full)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (code !== 0 || !line) {
    throw new Error(`generator (${params.mode} against ${target.name}) failed with code ${code}: ${err.trim() || out.trim()}\nserver said: ${target.output().slice(-1000)}`);
  }
  return JSON.parse(line.slice("RESULT ".length)) as GeneratorResult;
}
