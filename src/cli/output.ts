import { writeSync } from "node:fs";

/**
 * Writes text to a file descriptor before returning. process.stdout may buffer in the process when
 * stdout is a pipe; a tail killed with SIGKILL would then lose lines whose frames its cursor had already
 * passed. A pipe the reader is slow to drain answers EAGAIN: wait for it, a millisecond at a time.
 */
export function writeNow(fd: number, text: string) {
  let bytes = Buffer.from(text);
  while (bytes.length > 0) {
    try {
      const n = writeSync(fd, bytes);
      bytes = bytes.subarray(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}
