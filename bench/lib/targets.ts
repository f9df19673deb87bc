import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import { buildBinary } from "../../test/helpers/binary.ts";

/** The servers a scenario compares: stream-server (the compiled executable) and the two baselines. */

export const ROOT = join(import.meta.dir, "..", "..");
export const RESULTS_DIR = join(ROOT, "bench", "results");

export type TargetName = "stream-server" | "bare-bun" | "bare-bun-envelope" | "node-ws" | "previous";

let previousBinary: string | undefined;
let envelopeBaseline = false;

/** Also measure another stream-server executable (--against PATH), as the target "previous", for before/after figures. */
export function compareAgainst(binary: string) {
  previousBinary = binary;
}

/**
 * Also measure bare Bun sending stream-server's whole frame (`--envelope-baseline`): the target
 * "bare-bun-envelope". Between it and bare Bun is the cost of the envelope's bytes; between it and
 * stream-server, the cost of stream-server's code.
 */
export function addEnvelopeBaseline() {
  envelopeBaseline = true;
}

/** Whether `--against` gave another build to measure (the target "previous"). */
export const hasPrevious = () => previousBinary !== undefined;

/** The targets every standard case measures: stream-server first, then the baselines (and the optional ones, if set). */
export function standardTargets(): TargetName[] {
  return [
    "stream-server",
    ...(previousBinary ? (["previous"] as const) : []),
    "bare-bun",
    ...(envelopeBaseline ? (["bare-bun-envelope"] as const) : []),
    "node-ws",
  ];
}

/** A server under test, listening on 127.0.0.1. */
export interface Target {
  name: TargetName;
  pid: number;
  host: string;
  port: number;
  /** What the server printed (the tail), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Builds the executable once per run, exactly as `bun run build` does (the test suite's build). */
export const buildStreamServer = buildBinary;

/**
 * The load generator is one address sending as fast as it can: stream-server's per-address limits
 * (1,000 connections, 1,000 publishes/s by default) would refuse it, so benchmarks lift them, as the
 * baselines have none. The guards' own cost (a map lookup per upgrade) stays in the figures.
 */
const UNGUARDED = ["--publish-rate", "0", "--max-connections", "10000000", "--max-connections-per-address", "10000000"];
/**
 * The publishers send one event per WebSocket frame, tens of thousands a second: over the inbound budget
 * (2,000 frames/s per connection). Raised, not switched off, so the check's cost stays in the figures;
 * through the environment, which an older build (`--against`) ignores instead of refusing the flag.
 * Flags win over these, so a scenario can put the defaults back (`flood` does).
 */
const UNGUARDED_ENV = { STREAM_MAX_INBOUND_FRAMES: "10000000", STREAM_MAX_INBOUND_BYTES: "1073741824" };

let profileDir: string | undefined;

/** From now on, run stream-server from source under `bun --cpu-prof`, writing a profile per run into `dir`. */
export function profileStreamServer(dir: string) {
  profileDir = dir;
}

/** The command line that starts each target on a free port. `flags` go to stream-server and bare Bun (e.g. `--deflate 3KB`). */
async function command(name: TargetName, flags: string[]): Promise<string[]> {
  switch (name) {
    case "stream-server":
      if (profileDir) return ["bun", "--cpu-prof", "--cpu-prof-dir", profileDir, join(ROOT, "src/main.ts"), "--port", "0", "--host", "127.0.0.1", ...UNGUARDED, ...flags];
      return [await buildStreamServer(), "--port", "0", "--host", "127.0.0.1", ...UNGUARDED, ...flags];
    case "previous":
      return [previousBinary!, "--port", "0", "--host", "127.0.0.1", ...UNGUARDED, ...flags];
    case "bare-bun":
      return ["bun", join(ROOT, "bench/baselines/bun-pubsub.ts"), "0", ...flags];
    case "bare-bun-envelope":
      return ["bun", join(ROOT, "bench/baselines/bun-pubsub.ts"), "0", "--envelope"];
    case "node-ws":
      return [process.env.NODE_BIN ?? "node", join(ROOT, "bench/baselines/node-ws.mjs"), "0"];
  }
}

/**
 * Starts a target and waits for its "listening on http://…" line. Its output keeps being drained
 * (a server blocked on a full stdout pipe would measure the pipe, not the server).
 */
export async function startTarget(name: TargetName, flags: string[] = [], env: Record<string, string> = {}): Promise<Target> {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = spawn(await command(name, flags), {
    cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...(name === "stream-server" || name === "previous" ? UNGUARDED_ENV : {}), ...env },
  });
  let tail = "";
  const keep = (s: string) => {
    tail = (tail + s).slice(-4000);
  };
  const port = await new Promise<number>((resolve, reject) => {
    let seen = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        const s = decoder.decode(chunk, { stream: true });
        keep(s);
        if (seen !== "done") {
          seen += s;
          const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(seen);
          if (m) {
            seen = "done";
            resolve(Number(m[1]));
          }
        }
      }
      reject(new Error(`${name} exited before listening (code ${await proc.exited}): ${tail}`));
    })();
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr) keep(decoder.decode(chunk, { stream: true }));
    })();
  });
  return {
    name,
    pid: proc.pid,
    host: "127.0.0.1",
    port,
    output: () => tail,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}
