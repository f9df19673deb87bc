import { backoffDelay, type EventFrame, type LogFrame } from "../client/index.ts";

/** How `--exec` reports its runs. */
export interface ExecHooks {
  /** A run failed; the next try comes after `delayMs`. */
  onFailure(message: string, delayMs: number): void;
  /** True once the tail is asked to stop: no further try is made. */
  stopping(): boolean;
  /** Resolves after `ms`, or earlier when the tail is asked to stop. */
  wait(ms: number): Promise<void>;
}

/**
 * Runs `command` (through `sh -c`) for one frame until it exits 0: the frame's JSON on its stdin,
 * STREAM_SEQ and STREAM_TYPE (an event's type, or `log`; STREAM_LEVEL for logs) in its environment.
 * Failures are retried with backoff; one run at a time. Resolves true when it succeeded, false when the
 * tail was asked to stop first (the frame is then not handled).
 */
export async function execFor(command: string, frame: EventFrame | LogFrame, hooks: ExecHooks): Promise<boolean> {
  const env: Record<string, string | undefined> = { ...process.env, STREAM_SEQ: String(frame.seq), STREAM_TYPE: frame.kind === "event" ? frame.type : "log" };
  if (frame.kind === "log") env.STREAM_LEVEL = frame.level;
  for (let attempt = 0; ; attempt++) {
    const proc = Bun.spawn(["sh", "-c", command], { stdin: "pipe", stdout: "inherit", stderr: "inherit", env });
    try {
      proc.stdin.write(`${JSON.stringify(frame)}\n`);
      await proc.stdin.end();
    } catch {
      // a command that does not read its stdin may exit before we finish writing: its exit code decides
    }
    const code = await proc.exited;
    if (code === 0) return true;
    if (hooks.stopping()) return false;
    const delay = backoffDelay(attempt, { initialMs: 1000, maxMs: 60_000 });
    hooks.onFailure(`--exec exited with ${proc.signalCode ?? `status ${code}`} for seq ${frame.seq}`, delay);
    await hooks.wait(delay);
    if (hooks.stopping()) return false;
  }
}
