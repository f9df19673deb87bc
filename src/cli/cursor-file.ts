import { closeSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Position } from "../client/index.ts";

/** A cursor file that cannot be used: it names the file and what to do. */
export class CursorFileError extends Error {}

/** The position saved in `path`, or undefined when the file does not exist yet. */
export function readCursor(path: string): Position | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CursorFileError(`cannot read the cursor file ${path}: ${(err as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as Partial<Position>;
    if (typeof value.epoch === "string" && Number.isSafeInteger(value.seq) && value.seq! >= 0) return { epoch: value.epoch, seq: value.seq! };
  } catch {
    // worded below
  }
  throw new CursorFileError(`the cursor file ${path} does not hold {"epoch":"…","seq":N} (it holds ${JSON.stringify(text.slice(0, 80))}); delete it to start from now`);
}

/**
 * Replaces the file's content in one step, in two calls: `stage` writes the new position to
 * `<path>.tmp`, `commit` renames it over `path`. A process killed at any moment (even SIGKILL) leaves the
 * old position or the new one, never half a file. Staged before a frame is printed and committed right
 * after, the print and the rename are adjacent system calls; still, a SIGKILL that arrives while the
 * print's write is in the kernel takes effect as it returns, before the rename: that frame is printed
 * again on restart. No order avoids it (rename first, and the same kill skips the frame). No fsync: a kill loses nothing the kernel has; a power cut at worst brings back an older
 * position (frames repeated, never skipped).
 */
export function createCursorFile(path: string) {
  const tmp = `${path}.tmp`;
  let saved = "";
  let staged = "";
  return {
    stage(position: Position) {
      staged = `${JSON.stringify(position)}\n`;
      if (staged === saved) return;
      const fd = openSync(tmp, "w");
      try {
        writeSync(fd, staged);
      } finally {
        closeSync(fd);
      }
    },
    commit() {
      if (staged === saved) return;
      renameSync(tmp, path);
      saved = staged;
    },
    /** stage + commit. */
    write(position: Position) {
      this.stage(position);
      this.commit();
    },
  };
}

