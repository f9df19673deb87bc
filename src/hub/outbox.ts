/**
 * What a resuming subscriber still has to be sent: the replay first, then the live frames that arrived
 * while it was being read. The replay goes out only as fast as the client reads (the caller's `send`
 * says when the socket is full, and `flush` runs again when it drains), so a replay of any size reaches
 * a client of any steady speed. The replay is history the server holds anyway; the live frames queued
 * behind it are the client's backlog, which the caller bounds like any slow consumer's.
 */
export interface Outbox<T> {
  /** Queues live frames behind what is left; returns the bytes of live frames now waiting. */
  push(frames: readonly T[]): number;
  /** Sends frames while `send` returns true (room for more); true once nothing is left. */
  flush(send: (frame: T) => boolean): boolean;
}

/** An outbox holding `replay`; `sizeOf` measures the live frames queued behind it. */
export function createOutbox<T>(replay: readonly T[], sizeOf: (frame: T) => number): Outbox<T> {
  const queue: T[] = [...replay];
  const replayed = queue.length;
  let next = 0;
  let liveBytes = 0;
  return {
    push(frames) {
      for (const frame of frames) {
        queue.push(frame);
        liveBytes += sizeOf(frame);
      }
      return liveBytes;
    },
    flush(send) {
      while (next < queue.length) {
        const frame = queue[next]!;
        if (next >= replayed) liveBytes -= sizeOf(frame);
        next++;
        if (!send(frame)) return next === queue.length;
      }
      return true;
    },
  };
}
