import { spawn, type Subprocess } from "bun";
import { buildBinary } from "./binary.ts";

/** A running `stream-server tail|publish`: its output as it comes, awaited rather than slept on. */
export interface CliRun {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  /** Complete stdout lines so far. */
  lines(): string[];
  stderr(): string;
  /** Resolves once stdout has at least `n` complete lines (rejects if the process exits first). */
  waitForLines(n: number): Promise<void>;
  /** Resolves once a complete stdout line matches `pattern`. */
  waitForLine(pattern: RegExp): Promise<void>;
  /** Resolves with the first stderr match of `pattern`. */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>;
  /** Exit code, once stdout and stderr are read to the end. */
  exited: Promise<number>;
}

/** Starts the compiled executable with `args` (e.g. ["tail", url, "--json"]); `stdin` is written and closed, unless `openStdin` (the test writes it). */
export async function startCli(args: string[], options: { stdin?: string; openStdin?: boolean; env?: Record<string, string> } = {}): Promise<CliRun> {
  const bin = await buildBinary();
  const proc = spawn([bin, ...args], {
    stdin: "pipe", stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
  });
  if (options.stdin !== undefined) proc.stdin.write(options.stdin);
  if (!options.openStdin) void proc.stdin.end();
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...waiters]) w();
  };
  const read = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      add(decoder.decode(chunk, { stream: true }));
      wakeAll();
    }
  };
  const drained = Promise.all([read(proc.stdout, (s) => (out += s)), read(proc.stderr, (s) => (err += s))]);
  const exited = drained.then(() => proc.exited);
  let over = false;
  void exited.then(() => {
    over = true;
    wakeAll();
  });
  const lines = () => out.split("\n").slice(0, -1);
  const until = <T>(check: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const test = () => {
        const value = check();
        if (value !== undefined) {
          waiters.delete(test);
          resolve(value);
        } else if (over) {
          waiters.delete(test);
          reject(new Error(`${args[0]} exited (${proc.exitCode}) before ${what}.\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`));
        }
      };
      waiters.add(test);
      test();
    });
  return {
    proc, lines, exited,
    stderr: () => err,
    waitForLines: (n) => until(() => (lines().length >= n ? true : undefined), `printing ${n} lines`).then(() => {}),
    waitForLine: (pattern) => until(() => (lines().some((l) => pattern.test(l)) ? true : undefined), `printing a line matching ${pattern}`).then(() => {}),
    waitForStderr: (pattern) => until(() => pattern.exec(err) ?? undefined, `writing ${pattern} to stderr`),
  };
}

/** Runs the executable to the end: exit code, stdout, stderr. */
export async function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const run = await startCli(args, options);
  const code = await run.exited;
  return { code, stdout: run.lines().join("\n"), stderr: run.stderr() };
}
