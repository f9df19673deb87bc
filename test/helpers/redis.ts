import { afterEach } from "bun:test";
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeIfInstalled, findProgram } from "./requires.ts";
import { startTestServer, type TestServer } from "./server.ts";

/**
 * Tests that need Redis start their own `redis-server` on a free port (skipped loudly when it is not
 * installed, a failure under STREAM_REQUIRE_ALL=1).
 */
const REDIS_SERVER = findProgram("redis-server");

/** `describe`, or `describe.skip` with a loud reason when redis-server is missing. */
export const describeRedis = describeIfInstalled("redis-server", "Redis tests");

/** A redis-server the test owns: its URL, and how to kill and restart it on the same port and data dir. */
export interface RedisServer {
  url: string;
  port: number;
  /** The running process's id (for CPU readings in benchmarks). */
  pid(): number;
  /** Kills the process (SIGKILL by default: nothing gets a chance to save) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Kills it and removes its data directory. */
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Append-only file with fsync on every write, so a SIGKILL loses nothing acknowledged. */
  persistent?: boolean;
  /** Listen on this port (one from freePort(), say) instead of a new free one. */
  port?: number;
  /** Require this password (requirepass); `url` stays without it, so each test writes the URL it means. */
  password?: string;
}

/** Starts a private redis-server on a free port and waits until it accepts connections. */
export async function startRedis({ persistent = false, port: wanted, password }: RedisOptions = {}): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed; guard the test with describeRedis");
  const dir = mkdtempSync(join(tmpdir(), "stream-redis-"));
  const port = wanted ?? (await freePort());
  const args = [
    REDIS_SERVER, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
    ...(persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(password ? ["--requirepass", password] : []),
  ];
  let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  const launch = async () => {
    proc = spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    await waitForReady(proc);
  };
  await launch();

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (!proc || proc.exitCode !== null || proc.signalCode) return;
    proc.kill(signal);
    await proc.exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => proc!.pid,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when redis-server logs that it accepts connections; rejects with its output if it exits first. */
async function waitForReady(proc: Subprocess<"ignore", "pipe", "pipe">): Promise<void> {
  let out = "";
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
    if (/Ready to accept connections/.test(out)) {
      // Keep draining stdout so that a full pipe never blocks the server.
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return;
    }
  }
  const err = await new Response(proc.stderr).text();
  throw new Error(`redis-server exited (code ${await proc.exited}) before accepting connections:\n${out}\n${err}`);
}

/** A port nothing listens on right now (the OS picks it; redis-server binds it a moment later). */
export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** A key prefix of its own for each test, so tests sharing one redis-server never see each other's streams. */
export function uniquePrefix(): string {
  return `test-${crypto.randomUUID().slice(0, 8)}:`;
}

/** Cleanup steps for the tests of the describe block that calls it: each test pushes stops, its afterEach runs them in reverse. */
export function useCleanup(): Array<() => Promise<void>> {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  return cleanup;
}

/**
 * Two in-process servers on one fresh redis-server, under one key prefix, both ready. Their stops and
 * Redis's go onto `cleanup`, which the test's afterEach runs in reverse.
 */
export async function twoInstancesOnRedis(cleanup: Array<() => Promise<void>>): Promise<[TestServer, TestServer]> {
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const prefix = uniquePrefix();
  const instances: TestServer[] = [];
  for (let i = 0; i < 2; i++) {
    const srv = startTestServer(["--redis", redis.url, "--redis-prefix", prefix, "--publish-rate", "0"]);
    cleanup.push(() => srv.stop());
    await srv.server.ready;
    instances.push(srv);
  }
  return instances as [TestServer, TestServer];
}
