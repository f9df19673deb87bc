import { spawn, type Subprocess } from "bun";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { configuredTokens, watchForTokens } from "./token-leaks.ts";

const ROOT = join(import.meta.dir, "..", "..");
/** Tests build their own copy so that a stale ./stream-server in the checkout is never what gets tested. */
const BINARY = join(ROOT, "test-output", "stream-server");
let built: Promise<string> | undefined;

/** Builds the executable once per test process (bun build --compile) and returns its path. */
export function buildBinary(): Promise<string> {
  built ??= (async () => {
    mkdirSync(join(ROOT, "test-output"), { recursive: true });
    const proc = spawn(["bun", "build", "--compile", "--minify", "--sourcemap", "src/main.ts", "--outfile", BINARY], {
      cwd: ROOT, stdout: "pipe", stderr: "pipe",
    });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`bun build --compile failed (${code}): ${await new Response(proc.stderr).text()}`);
    if (!existsSync(BINARY) || statSync(BINARY).size === 0) throw new Error(`bun build wrote no executable at ${BINARY}`);
    return BINARY;
  })();
  return built;
}

/** A running compiled server, its URL read from the line it prints on start. */
export interface BinaryServer {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  port: number;
  /** stdout so far (keeps filling while the process runs). */
  output(): string;
  /** Resolves with the first stdout match of `pattern`, already printed or still to come. */
  waitForOutput(pattern: RegExp): Promise<RegExpExecArray>;
  /** Sends a signal and resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number>;
}

/** Starts the compiled executable with `args` (default --port 0 on 127.0.0.1) and waits for its URL. */
export async function startBinary(args: string[] = [], env: Record<string, string> = {}): Promise<BinaryServer> {
  const bin = await buildBinary();
  const proc = spawn([bin, "--port", "0", "--host", "127.0.0.1", ...args], {
    cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  void (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  const url = await new Promise<string>((resolve, reject) => {
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        out += decoder.decode(chunk, { stream: true });
        for (const wake of waiters) wake();
        const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
        if (m) resolve(m[1]!);
      }
      reject(new Error(`stream-server exited before printing its URL (code ${await proc.exited}).\nstdout: ${out}\nstderr: ${err}`));
    })();
  });
  const [stdoutLines, stderrLines] = [linesSince(() => out), linesSince(() => err)];
  watchForTokens(tokensOf(args, env), () => [...stdoutLines(), ...stderrLines()]);
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    output: () => out,
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            waiters.delete(check);
            resolve(m);
          } else if (proc.exitCode !== null) {
            waiters.delete(check);
            reject(new Error(`stream-server exited (${proc.exitCode}) before printing ${pattern}.\nstdout: ${out}\nstderr: ${err}`));
          }
        };
        waiters.add(check);
        void proc.exited.then(check);
        check();
      }),
    async kill(signal = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

/** The tokens the executable was started with; none when its arguments do not parse (nothing to look for). */
function tokensOf(args: string[], env: Record<string, string>): string[] {
  try {
    return configuredTokens(loadConfig(args, env));
  } catch {
    return [];
  }
}

/** Reads the complete lines a growing `text()` gained since the last read (a token cut by a chunk boundary waits for its line's end). */
function linesSince(text: () => string): () => string[] {
  let seen = 0;
  return () => {
    const all = text();
    const end = all.lastIndexOf("\n") + 1;
    const fresh = all.slice(seen, Math.max(seen, end));
    seen = Math.max(seen, end);
    return fresh.split("\n").filter(Boolean);
  };
}

/** Runs the compiled executable to completion (for --help, bad flags, healthcheck). */
export async function runBinary(args: string[], env: Record<string, string> = {}) {
  const bin = await buildBinary();
  const proc = spawn([bin, ...args], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
